import { sshCommandLine } from '@app/hosts/executors/ssh-executor';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import Docker from 'dockerode';
import { NodeSSH } from 'node-ssh';

/** What `test/lab/lab.sh up` wrote: SSH ports on 127.0.0.1, private addresses, the key. */
export interface LabVm {
  name: 'storage' | 'host1' | 'host2';
  sshPort: number;
  ip: string;
}

export function labEnv(): { key: string; vms: Record<LabVm['name'], LabVm> } {
  const file = `${process.env.DBAAS_LAB_DIR ?? '/var/lib/dbaas/lab'}/lab.env`;
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  const vm = (name: LabVm['name']): LabVm => ({
    name,
    sshPort: Number(env[`LAB_${name.toUpperCase()}_SSH_PORT`]),
    ip: env[`LAB_${name.toUpperCase()}_IP`],
  });
  return {
    key: readFileSync(env.LAB_SSH_KEY, 'utf8'),
    vms: { storage: vm('storage'), host1: vm('host1'), host2: vm('host2') },
  };
}

/** SSH into a lab VM (through its forward on 127.0.0.1). */
export async function sshTo(vm: LabVm, key: string): Promise<NodeSSH> {
  return new NodeSSH().connect({
    host: '127.0.0.1',
    port: vm.sshPort,
    username: 'root',
    privateKey: key,
    readyTimeout: 20_000,
  });
}

export async function sh(
  ssh: NodeSSH,
  cmd: string,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  // Quoted here, not by node-ssh: its shell-escape drops empty arguments (`grep -r ''` became `grep -r`).
  const r = await ssh.execCommand(sshCommandLine([cmd, ...args]));
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A local port carried over SSH to an address on the lab's private segment (e.g. a database endpoint). */
export async function tunnel(ssh: NodeSSH, host: string, port: number): Promise<{ port: number; close(): void }> {
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    ssh.connection!.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
      if (err) {
        console.error(`# tunnel to ${host}:${port}: ${err.message}`);
        return socket.destroy();
      }
      stream.on('error', () => socket.destroy());
      socket.pipe(stream).pipe(socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

/**
 * The VMs cannot reach the host's registry (their NAT is restricted), so an image is copied in with
 * `docker save` here and `docker load` there, the remote side through dockerode over SSH.
 */
export async function seedImage(vm: LabVm, key: string, image: string): Promise<'present' | 'loaded'> {
  const remote = new Docker({
    protocol: 'ssh',
    host: '127.0.0.1',
    port: vm.sshPort,
    username: 'root',
    sshOptions: { privateKey: key },
  } as Docker.DockerOptions);
  const local = new Docker({ socketPath: '/var/run/docker.sock' });
  const wanted = (await local.getImage(image).inspect()).Id;
  const have = await remote
    .getImage(image)
    .inspect()
    .then((i) => i.Id)
    .catch(() => null);
  // Same tag is not enough: a rebuilt image must replace the one the VM has.
  if (have === wanted) return 'present';
  {
    const tar = await local.getImage(image).get();
    const res = await remote.loadImage(tar);
    await new Promise((resolve, reject) =>
      remote.modem.followProgress(res, (err: Error | null) => (err ? reject(err) : resolve(null))),
    );
    await remote.getImage(image).inspect();
    return 'loaded';
  }
}

/**
 * Removes what an interrupted lab run may have left (containers, mounts, volume groups and iSCSI sessions on
 * the hosts; targets and LUNs on the storage server), so every run starts from the provisioned state.
 * Only names the platform and the suites create are touched: dbaas-* containers and VGs, lun-*, bench* and thin-*
 * LVs, iqn.2026-11.io.dbaas* targets.
 */
export async function resetLab(ssh: Record<string, NodeSSH>): Promise<void> {
  const hostScript = [
    // A primary a test left waiting on its fence-peer answer has its I/O frozen: resumed, or nothing below returns.
    'for m in $(sed -n \'s/^ *\\([0-9][0-9]*\\): .* s[-a-z]*$/\\1/p\' /proc/drbd 2>/dev/null); do drbdsetup resume-io "$m"; done',
    // A replication link a killed test left cut.
    'ip link set eth2 up 2>/dev/null',
    'docker ps -aq --filter name=^dbaas- | xargs -r docker rm -f',
    // Tenant networks of earlier runs: each is a bridge and rules every later docker start goes through.
    'docker network ls -q --filter name=^dbaas-t- | xargs -r docker network rm >/dev/null 2>&1',
    'for m in $(findmnt -rn -o TARGET | grep "^/var/lib/dbaas/"); do umount -l "$m"; done',
    // HA leftovers: DRBD resources r-<uuid>, their backing LVs d-<uuid>, and VIPs of the test range.
    'for r in /etc/drbd.d/r-*.res; do [ -e "$r" ] && { drbdadm down "$(basename "$r" .res)"; rm -f "$r"; }; done',
    // And any still up whose file is gone (a run killed between the two). A device a lazy unmount still holds for a
    // moment (its container just removed) refuses to go down: tried again for up to 10 s.
    'for r in $(drbdsetup show 2>/dev/null | sed -n \'s/^resource \\(r-[^ ]*\\) {.*/\\1/p\'); do i=0; until drbdsetup down "$r" || [ $i -ge 10 ]; do i=$((i+1)); sleep 1; done; done',
    // The fence-peer handler's requests and answers of those resources.
    'rm -f /var/lib/dbaas/drbd-fence/r-*',
    'for lv in $(lvs --noheadings -o lv_name local 2>/dev/null | grep -E "^ *d-"); do lvremove -fy "local/$lv"; done',
    'for a in $(ip -o -4 addr show dev eth1 | grep -o "10\\.99\\.0\\.1[0-9][0-9]/24"); do ip addr del "$a" dev eth1; done',
    'for vg in $(vgs --noheadings -o vg_name | grep -E "^ *(dbaas|bench)-"); do vgremove -ff -y "$vg"; done',
    'for t in $(iscsiadm -m session 2>/dev/null | grep -o "iqn.2026-11.io.dbaas[^ ]*"); do iscsiadm -m node -T "$t" --logout; done',
    'iscsiadm -m node 2>/dev/null | grep -o "iqn.2026-11.io.dbaas[^ ]*" | sort -u | while read t; do iscsiadm -m node -T "$t" -o delete; done',
    'for pv in $(pvs --noheadings -o pv_name,vg_name | awk \'$2=="" {print $1}\' | grep /dev/sd); do pvremove -y "$pv"; done',
    'true',
  ].join('; ');
  for (const name of ['host1', 'host2']) await sh(ssh[name], 'sh', ['-c', hostScript]);
  const storageScript = [
    'for t in /sys/kernel/config/target/iscsi/iqn.2026-11.io.dbaas*; do [ -e "$t" ] && python3 -c "import sys; from rtslib_fb import RTSRoot; [t.delete() for t in RTSRoot().targets if t.wwn == sys.argv[1]]; [s.delete() for s in RTSRoot().storage_objects if s.name.startswith((\'lun-\', \'bench-\'))]" "$(basename "$t")"; done',
    "python3 -c \"from rtslib_fb import RTSRoot; [s.delete() for s in RTSRoot().storage_objects if s.name.startswith(('lun-', 'bench-'))]\"",
    'for lv in $(lvs --noheadings -o lv_name san | grep -E "^ *(lun|bench)-"); do lvremove -y "san/$lv"; done',
    // A suite's or a benchmark's thin pool (thin-*, bench*) would leave the others without room in the 20 GB VG.
    'for lv in $(lvs --noheadings -o lv_name san | grep -E "^ *(bench|thin-)"); do lvremove -y "san/$lv"; done',
    'rm -rf /srv/backups',
    'true',
  ].join('; ');
  await sh(ssh.storage, 'sh', ['-c', storageScript]);
}

/**
 * node-postgres TLS options from a database's credentials: the platform CA from `creds.tls.ca`, and the server's
 * name checked against the one its certificate carries (`serverName`: its endpoint or VIP), although the lab's
 * connections arrive through a tunnel on 127.0.0.1. Undefined when the endpoint offers no TLS.
 */
export function pgTls(creds: { tls?: { offered?: boolean; ca?: string; serverName?: string } }) {
  const t = creds.tls;
  if (!t?.offered || !t.ca || !t.serverName) return undefined;
  const name = t.serverName;
  return { ca: t.ca, checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert) };
}
