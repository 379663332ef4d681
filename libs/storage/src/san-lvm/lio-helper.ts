/**
 * The LIO (kernel iSCSI target) helper, run on the storage server as `python3 -c <script> ACTION JSON`
 * (python3-rtslib-fb: no D-Bus, unlike targetcli). Its arguments are argv entries, never interpolated.
 */
export const LIO_HELPER_PY = String.raw`# LIO (kernel iSCSI target) management through python3-rtslib-fb, run on the storage server as
#   python3 -c "$(this file)" ACTION JSON
# Every action is idempotent: it reconciles what exists with what is asked and prints a JSON result.
# One target per LUN, so moving a LUN to another host only changes that target's ACL.
import json
import sys

from rtslib_fb import (BlockStorageObject, FabricModule, LUN, MappedLUN, NetworkPortal, NodeACL, RTSRoot,
                       Target, TPG)
from rtslib_fb.utils import RTSLibError, RTSLibNotInCFS

SAVE = '/etc/rtslib-fb-target/saveconfig.json'


def find_so(name):
    for so in RTSRoot().storage_objects:
        if so.name == name:
            return so
    return None


def find_target(iqn):
    for t in RTSRoot().targets:
        if t.wwn == iqn:
            return t
    return None


def ensure_export(a):
    so = find_so(a['name']) or BlockStorageObject(a['name'], dev=a['device'])
    fabric = FabricModule('iscsi')
    target = find_target(a['iqn']) or Target(fabric, a['iqn'])
    tpg = TPG(target, 1)
    # No auto ACLs, CHAP required: only the listed initiators, with their secret, may log in.
    tpg.set_attribute('generate_node_acls', '0')
    tpg.set_attribute('authentication', '1')
    tpg.set_attribute('demo_mode_write_protect', '0')
    if not any(p.ip_address == a['portalIp'] and p.port == a.get('portalPort', 3260) for p in tpg.network_portals):
        NetworkPortal(tpg, a['portalIp'], a.get('portalPort', 3260))
    lun = next((l for l in tpg.luns if l.storage_object.name == so.name), None) or LUN(tpg, 0, so)
    set_acl(tpg, lun, a['initiators'], a['chapUser'], a['chapPassword'])
    tpg.enable = True
    return {'iqn': target.wwn, 'lun': lun.lun, 'initiators': sorted(acl.node_wwn for acl in tpg.node_acls)}


def set_acl(tpg, lun, initiators, user, password):
    wanted = set(initiators)
    for acl in list(tpg.node_acls):
        if acl.node_wwn not in wanted:
            # Fencing: a host that lost the LUN must not log in again; drop its sessions too.
            acl.delete()
    for iqn in sorted(wanted):
        acl = next((x for x in tpg.node_acls if x.node_wwn == iqn), None) or NodeACL(tpg, iqn)
        acl.chap_userid = user
        acl.chap_password = password
        if not any(m.tpg_lun.lun == lun.lun for m in acl.mapped_luns):
            MappedLUN(acl, 0, lun)


def set_initiators(a):
    target = find_target(a['iqn'])
    if target is None:
        raise SystemExit('no such target: ' + a['iqn'])
    tpg = TPG(target, 1)
    lun = next(iter(tpg.luns))
    set_acl(tpg, lun, a['initiators'], a['chapUser'], a['chapPassword'])
    # Read back from the kernel's configfs, as show() does: the caller confirms the fence from it without a second call.
    return dict(show(a), iqn=target.wwn)


def remove_export(a):
    target = find_target(a['iqn'])
    if target is not None:
        target.delete()
    so = find_so(a['name'])
    if so is not None:
        so.delete()
    return {'removed': a['iqn']}


def logged_in(acl):
    try:
        return bool(acl.session)
    except Exception:
        return False


def show(a):
    target = find_target(a['iqn'])
    if target is None:
        return {'exists': False}
    tpg = TPG(target, 1)
    return {
        'exists': True,
        'enabled': tpg.enable,
        'authentication': tpg.get_attribute('authentication'),
        'luns': [{'lun': l.lun, 'device': l.storage_object.udev_path} for l in tpg.luns],
        'initiators': sorted(acl.node_wwn for acl in tpg.node_acls),
        'sessions': sorted(acl.node_wwn for acl in tpg.node_acls if logged_in(acl)),
        'portals': ['%s:%d' % (p.ip_address, p.port) for p in tpg.network_portals],
    }


ACTIONS = {'ensure-export': ensure_export, 'set-initiators': set_initiators, 'remove-export': remove_export, 'show': show}

if __name__ == '__main__' or True:
    action, args = sys.argv[1], json.loads(sys.argv[2])
    try:
        result = ACTIONS[action](args)
        if action != 'show':
            import os
            os.makedirs(os.path.dirname(SAVE), exist_ok=True)
            RTSRoot().save_to_file(SAVE)  # survives a reboot of the storage server
    except (RTSLibError, RTSLibNotInCFS) as e:
        sys.stderr.write('lio: %s\n' % e)
        sys.exit(3)
    print(json.dumps(result))
`;
