import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { SshExecutor } from '@app/hosts';
import { HostBlockDevices, SanBackendClient, lvmCmd, parseLvs } from '@app/storage';
import { labEnv } from '../support/lab';

/**
 * `npm run bench:lab`: the SAN storage layer on the lab's real kernels, through the same code the san-lvm
 * driver runs (SSH → LVM, LIO, iscsiadm). Prints: time to attach a new LUN; time to create and mount a
 * database volume; and 100 volumes on one host, time per volume as the count grows. Emulated CPUs (QEMU
 * TCG) make every command several times slower than on hardware; the shape of the curve is the point.
 */
const VOLUMES = Number(process.env.BENCH_VOLUMES ?? 100);
const ATTACH_RUNS = Number(process.env.BENCH_ATTACH_RUNS ?? 3);
const POOL = 'benchpool';

const now = () => performance.now();
const secs = (ms: number) => (ms / 1000).toFixed(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function bar(done: number, total: number, label: string): void {
  const w = 30;
  const fill = Math.round((done / total) * w);
  process.stdout.write(`\r[bench:lab] ${label} [${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${done}/${total}  `);
  if (done === total) process.stdout.write('\n');
}

async function main(): Promise<void> {
  const lab = labEnv();
  const exec = (port: number, label: string) =>
    new SshExecutor({ host: '127.0.0.1', port, username: 'root', privateKey: lab.key, label });
  const storageExec = exec(lab.vms.storage.sshPort, 'storage');
  const hostExec = exec(lab.vms.host1.sshPort, 'host1');
  const blk = new HostBlockDevices(hostExec);
  const portal = `${lab.vms.storage.ip}:3260`;
  const initiator = await blk.initiatorName();

  // A thin pool, so 100 volumes of 1 GB fit a 20 GB lab disk (space is taken only as written).
  const lvs = parseLvs((await storageExec.run(lvmCmd.lvs('san'))).stdout);
  if (!lvs.some((l) => l.name === POOL)) {
    const r = await storageExec.run(['lvcreate', '-y', '-L', '12g', '-T', `san/${POOL}`]);
    if (r.exitCode !== 0) throw new Error(`thin pool: ${r.stderr}`);
  }
  const san = new SanBackendClient(storageExec, 'san', lab.vms.storage.ip, 3260, POOL);
  const newLun = (sizeGb: number) => {
    const id = randomBytes(4).toString('hex');
    return {
      name: `bench-${id}`,
      iqn: `iqn.2026-11.io.dbaas.bench:lun-${id}`,
      sizeGb,
      initiators: [initiator],
      chapUser: `bench-${id}`,
      chapPassword: randomBytes(12).toString('hex'),
      vg: `bench-${id}`,
    };
  };
  const attach = async (lun: ReturnType<typeof newLun>) => {
    await san.ensureLun(lun);
    const disk = await blk.attach({ iqn: lun.iqn, portal, chapUser: lun.chapUser, chapPassword: lun.chapPassword });
    await blk.ensureVg(lun.vg, disk);
    return disk;
  };
  const release = async (lun: ReturnType<typeof newLun>, disk: string) => {
    await blk.removeVg(lun.vg, disk);
    await blk.detach({ iqn: lun.iqn, portal });
    await san.removeLun(lun.name, lun.iqn);
  };

  // 1. Attaching a new LUN: carve + export with ACL and CHAP, log in, volume group on it.
  const attachMs: number[] = [];
  const volumeMs: number[] = [];
  for (let i = 0; i < ATTACH_RUNS; i++) {
    const lun = newLun(2);
    const t0 = now();
    const disk = await attach(lun);
    attachMs.push(now() - t0);
    const t1 = now();
    await blk.ensureVolume(lun.vg, 'v-single', 1, `/var/lib/dbaas/bench/single-${i}`);
    volumeMs.push(now() - t1);
    await blk.removeVolume(lun.vg, 'v-single', `/var/lib/dbaas/bench/single-${i}`);
    await release(lun, disk);
    bar(i + 1, ATTACH_RUNS, 'attach a LUN, then create+mount a volume');
  }

  // 2. Many volumes on one host: one big thin LUN, one LV + ext4 + mount per database.
  const big = newLun(VOLUMES + 10);
  const disk = await attach(big);
  const perVolume: number[] = [];
  const t0 = now();
  for (let i = 1; i <= VOLUMES; i++) {
    const t = now();
    await blk.ensureVolume(big.vg, `v-${i}`, 1, `/var/lib/dbaas/bench/v-${i}`);
    perVolume.push(now() - t);
    bar(i, VOLUMES, `${VOLUMES} volumes on one host`);
  }
  const totalMs = now() - t0;
  const mounted = Number(
    (await hostExec.run(['sh', '-c', 'findmnt -rn -o TARGET | grep -c /var/lib/dbaas/bench/'])).stdout.trim(),
  );
  for (let i = 1; i <= VOLUMES; i++) {
    await blk.removeVolume(big.vg, `v-${i}`, `/var/lib/dbaas/bench/v-${i}`);
    bar(i, VOLUMES, 'cleaning up');
  }
  await release(big, disk);

  console.log('\nSAN storage in the lab (QEMU TCG guests), seconds');
  console.log('| step                                             | runs | median |');
  console.log('|--------------------------------------------------|------|--------|');
  console.log(
    `| attach a new LUN (carve, export+ACL, login, VG)  | ${String(ATTACH_RUNS).padStart(4)} | ${secs(median(attachMs)).padStart(6)} |`,
  );
  console.log(
    `| create+mount a database volume (LV, ext4, mount) | ${String(ATTACH_RUNS).padStart(4)} | ${secs(median(volumeMs)).padStart(6)} |`,
  );
  console.log(
    `\n${VOLUMES} volumes on one host: all ${mounted === VOLUMES ? 'mounted' : `NOT mounted (${mounted})`}, ${secs(totalMs)} s in all`,
  );
  console.log('| volumes  | mean s/volume | ratio to the first 10 |');
  console.log('|----------|---------------|-----------------------|');
  const first = perVolume.slice(0, 10).reduce((a, b) => a + b, 0) / Math.min(10, perVolume.length);
  for (let i = 0; i < perVolume.length; i += 10) {
    const slice = perVolume.slice(i, i + 10);
    const mean = slice.reduce((a, b) => a + b, 0) / slice.length;
    console.log(
      `| ${`${i + 1}-${i + slice.length}`.padEnd(8)} | ${secs(mean).padStart(13)} | ${(mean / first).toFixed(2).padStart(21)} |`,
    );
  }
  await storageExec.close();
  await hostExec.close();
  if (mounted !== VOLUMES) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
