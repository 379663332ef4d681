#!/usr/bin/env bash
# Hands-on proof on real kernels inside the lab VMs:
#  1. SAN: LVM LUN on `storage`, exported by LIO (rtslib-fb) with an ACL for host1 only + CHAP;
#     host1 logs in over the private segment, builds LVM + ext4 on it, writes, re-attaches and
#     reads back; host2 (same CHAP secret, other initiator name) is refused.
#  2. DRBD 8.4 protocol C between host1 and host2 on a small local LV each: host1 primary
#     writes, then a manual switch-over to host2 that finds the file.
# Re-runnable: it first removes what a previous run left. Boots the lab if it is down
# (and leaves it running: `lab.sh down` when finished). SMOKE_KEEP=1 skips the final cleanup.
set -euo pipefail
source "$(dirname "$0")/common.sh"
LAB="$LAB_SRC/lab.sh"

"$LAB" status | grep -q ' down ' && "$LAB" up
# shellcheck disable=SC1091
source "$LAB_DIR/lab.env"
IQN=$LAB_ISCSI_TARGET_IQN
PORTAL=$LAB_STORAGE_IP:3260
CHAP_USER=host1
CHAP_PASS=lab-chap-secret-$(sha256sum "$LAB_SSH_KEY.pub" | cut -c1-12)   # 12-16+ chars for CHAP
BYPATH=/dev/disk/by-path/ip-$PORTAL-iscsi-$IQN-lun-0

RESULTS=()
# step NAME VM: run the script on stdin in VM with bash -e, time it, keep the timing.
step() {
  local name=$1 vm=$2 t out rc=0
  t=${EPOCHREALTIME/./}
  out=$("$LAB" ssh "$vm" "bash -euo pipefail -s" 2>&1) || rc=$?
  local dt; dt=$(elapsed_since "$t")
  [[ -n $out ]] && sed "s/^/    [$vm] /" <<<"$out" >&2
  if ((rc)); then log "FAIL $name ($vm, ${dt}s)"; RESULTS+=("FAIL $name ${dt}s"); exit 1; fi
  log "ok   $name ($vm, ${dt}s)"; RESULTS+=("ok   ${dt}s  $name")
}
summary() { printf '%s\n' "--- smoke summary ---" "${RESULTS[@]}" >&2; }
trap summary EXIT

cleanup_hosts() {
  for h in host1 host2; do
    step "cleanup $h" "$h" <<SH || true
umount /mnt/san /mnt/drbd 2>/dev/null || true
drbdadm down r0 2>/dev/null || true
vgchange -an tenantvg >/dev/null 2>&1 || true
iscsiadm -m node -u >/dev/null 2>&1 || true
iscsiadm -m node -o delete >/dev/null 2>&1 || true
rm -f /etc/drbd.d/r0.res
lvremove -fy local/drbd0 >/dev/null 2>&1 || true
SH
  done
}
cleanup_storage() {
  step "cleanup storage" storage <<'SH'
targetctl clear
rm -f /etc/rtslib-fb-target/saveconfig.json
lvremove -fy san/lun0 >/dev/null 2>&1 || true
SH
}
cleanup_hosts; cleanup_storage

# ---------------------------------------------------------------- SAN
step "storage: VG san on data disk, LV lun0 (1 GiB)" storage <<SH
vgs san >/dev/null 2>&1 || { pvcreate -q $LAB_STORAGE_DATA_DISK; vgcreate -q san $LAB_STORAGE_DATA_DISK; }
lvcreate -q -y -L 1G -n lun0 san
lvs --noheadings -o lv_path,lv_size san/lun0
SH

step "storage: LIO export, ACL host1 + CHAP" storage <<SH
python3 - <<'PY'
from rtslib_fb import (BlockStorageObject, FabricModule, Target, TPG, NetworkPortal,
                       LUN, NodeACL, MappedLUN)
so = BlockStorageObject("lun0", dev="/dev/san/lun0")
tgt = Target(FabricModule("iscsi"), "$IQN", "create")
tpg = TPG(tgt, 1, "create")
tpg.set_attribute("authentication", "1")        # CHAP required
tpg.set_attribute("generate_node_acls", "0")    # only explicit ACLs may log in
tpg.set_attribute("demo_mode_write_protect", "1")
NetworkPortal(tpg, "$LAB_STORAGE_IP", 3260, "create")
lun = LUN(tpg, 0, so)
acl = NodeACL(tpg, "$LAB_HOST1_IQN", "create")
acl.chap_userid, acl.chap_password = "$CHAP_USER", "$CHAP_PASS"
MappedLUN(acl, 0, lun)
tpg.enable = True
PY
targetctl save >/dev/null   # persisted in /etc/rtslib-fb-target/saveconfig.json
targetcli ls /iscsi 2>/dev/null | sed -n '1,12p' || true
SH

ISCSI_LOGIN="iscsiadm -m discovery -t sendtargets -p $PORTAL >/dev/null
n() { iscsiadm -m node -T $IQN -p $PORTAL \"\$@\"; }
n -o update -n node.session.auth.authmethod -v CHAP
n -o update -n node.session.auth.username -v $CHAP_USER
n -o update -n node.session.auth.password -v $CHAP_PASS"

step "host1: discovery + CHAP login, LUN appears" host1 <<SH
cat /etc/iscsi/initiatorname.iscsi
$ISCSI_LOGIN
n --login
udevadm settle
for i in \$(seq 50); do [ -b $BYPATH ] && break; sleep 0.2; done
ls -l $BYPATH
iscsiadm -m session -P3 | grep -E 'Target:|Attached scsi disk' | sed 's/^[[:space:]]*//'
SH

step "host1: pvcreate/vgcreate/lvcreate/mkfs.ext4/mount/write on the LUN" host1 <<SH
pvcreate -q $BYPATH
vgcreate -q tenantvg $BYPATH
lvcreate -q -y -L 512M -n data tenantvg
mkfs.ext4 -q /dev/tenantvg/data
mkdir -p /mnt/san && mount /dev/tenantvg/data /mnt/san
echo "written by host1 over iSCSI" > /mnt/san/proof.txt
sync; cat /mnt/san/proof.txt; df -h /mnt/san | tail -1
SH

step "host1: umount, deactivate, logout" host1 <<SH
umount /mnt/san; vgchange -q -an tenantvg; iscsiadm -m node -T $IQN -p $PORTAL --logout
[ ! -e $BYPATH ]
SH

step "host1: login again, data is on the SAN" host1 <<SH
iscsiadm -m node -T $IQN -p $PORTAL --login >/dev/null
udevadm settle; for i in \$(seq 50); do [ -b $BYPATH ] && break; sleep 0.2; done
vgchange -q -ay tenantvg; mount /dev/tenantvg/data /mnt/san
grep -q "written by host1" /mnt/san/proof.txt && echo "proof.txt read back after re-login"
umount /mnt/san; vgchange -q -an tenantvg; iscsiadm -m node -T $IQN -p $PORTAL --logout >/dev/null
SH

step "host2: login with valid CHAP but not in ACL is refused" host2 <<SH
cat /etc/iscsi/initiatorname.iscsi
iscsiadm -m discovery -t sendtargets -p $PORTAL || true
iscsiadm -m node -T $IQN -p $PORTAL -o new >/dev/null 2>&1 || true
$ISCSI_LOGIN
if out=\$(n --login 2>&1); then echo "UNEXPECTED: host2 logged in"; exit 1; fi
echo "\$out" | grep -i -E 'error|fail' | head -2
! iscsiadm -m session >/dev/null 2>&1
iscsiadm -m node -o delete
SH

step "storage: refusal was the ACL (kernel log)" storage <<SH
dmesg | grep "$LAB_HOST2_IQN is not authorized" | tail -1
SH

# ---------------------------------------------------------------- DRBD
DRBD_RES="resource r0 {
  protocol C;
  disk { c-plan-ahead 0; resync-rate 100M; }
  net { cram-hmac-alg sha1; shared-secret \"$CHAP_PASS\"; }
  on host1 { device /dev/drbd0; disk /dev/local/drbd0; address $LAB_HOST1_REPL_IP:7789; meta-disk internal; }
  on host2 { device /dev/drbd0; disk /dev/local/drbd0; address $LAB_HOST2_REPL_IP:7789; meta-disk internal; }
}"
for h in host1 host2; do
  step "$h: local LV + DRBD metadata + up" "$h" <<SH
vgs local >/dev/null 2>&1 || { pvcreate -q $LAB_HOST_DATA_DISK; vgcreate -q local $LAB_HOST_DATA_DISK; }
lvcreate -q -y -Wy -L 256M -n drbd0 local
cat > /etc/drbd.d/r0.res <<'RES'
$DRBD_RES
RES
drbdadm create-md --force r0 >/dev/null 2>&1 </dev/null
drbdadm up r0
SH
done

step "host1: connect, skip initial sync, primary, mkfs, write" host1 <<'SH'
for i in $(seq 150); do [ "$(drbdadm cstate r0)" = Connected ] && break; sleep 0.2; done
drbdadm cstate r0
drbdadm -- --clear-bitmap new-current-uuid r0   # both sides empty: no initial resync
drbdadm primary r0
mkfs.ext4 -q /dev/drbd0
mkdir -p /mnt/drbd && mount /dev/drbd0 /mnt/drbd
echo "written on host1 through DRBD" > /mnt/drbd/proof.txt; sync
cat /proc/drbd | sed -n '3,4p'
SH

step "switch-over part 1: host1 umount + demote" host1 <<'SH'
umount /mnt/drbd; drbdadm secondary r0; drbdadm role r0
SH
step "switch-over part 2: host2 promote + mount, file is there" host2 <<'SH'
drbdadm primary r0; drbdadm role r0
mkdir -p /mnt/drbd && mount /dev/drbd0 /mnt/drbd
cat /mnt/drbd/proof.txt
grep -q "written on host1" /mnt/drbd/proof.txt
umount /mnt/drbd; drbdadm secondary r0
SH

[[ -n ${SMOKE_KEEP:-} ]] || { cleanup_hosts; cleanup_storage; }
log "smoke passed"
