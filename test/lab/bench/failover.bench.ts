import 'reflect-metadata';
import { HaLab, HostName, otherThan, waitFor } from '../support/ha';

/**
 * `npm run bench:failover`: power cuts of a primary's VM, per HA mode, over several runs. For each: detection
 * (power cut → host declared dead), fencing, storage takeover, container start, the database's own start
 * (crash recovery until it accepts connections) and the total until a tenant's query through the VIP answers.
 * The database's own start is the baseline: "platform" is everything else, and the ratio total / own start
 * says how much the platform adds on top of what any restart of that database costs on the same machine.
 */
const RUNS = Number(process.env.BENCH_FAILOVER_RUNS ?? 3);
const MODES = (process.env.BENCH_FAILOVER_MODES ?? 'drbd,san').split(',') as ('drbd' | 'san')[];

interface Row {
  mode: string;
  run: number;
  /** Baselines measured on the new primary right after: an SSH command round trip, and raw docker create+start. */
  sshRtt: number;
  rawDocker: number;
  detection: number;
  fencing: number;
  storage: number;
  container: number;
  dbStart: number;
  total: number;
  /** Round trips to hosts the takeover made (the failover record's count). */
  roundTrips: number;
}

/**
 * What the baselines cost on hardware, to convert the lab's steps: a command over a kept SSH session on a LAN, and
 * `docker create` + `start` of the same container on a server (both measured on ordinary x86 servers, not here).
 */
const HW_SSH_RTT_MS = 2;
const HW_RAW_DOCKER_MS = 500;

const s = (ms: number) => (ms / 1000).toFixed(2);
const median = (all: number[]) => {
  const xs = all.filter((x) => !Number.isNaN(x));
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
};

function bar(done: number, total: number, label: string): void {
  const w = 24;
  const fill = Math.round((done / total) * w);
  process.stdout.write(`[bench:failover] ${label} [${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${done}/${total}\n`);
}

/**
 * What the emulated VM costs by itself, on the host that just took over: the mean round trip of a trivial SSH
 * command, and `docker create` + `docker start` of a throwaway container from the same image with a published
 * port (timed inside the VM, so no SSH in it).
 */
async function baselines(
  ha: HaLab,
  host: HostName,
  db: { id: string },
): Promise<{ sshRtt: number; rawDocker: number; image: string }> {
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) await ha.on(host, 'true');
  const sshRtt = (Date.now() - t0) / 5;
  const image = (await ha.on(host, 'docker', ['inspect', '-f', '{{.Config.Image}}', `dbaas-${db.id}`])).stdout.trim();
  return { sshRtt, rawDocker: await rawDocker(ha, host, image), image };
}

/** `docker create` + `start` of a throwaway container of `image` with a published port, timed inside the VM (ms). */
async function rawDocker(ha: HaLab, host: HostName, image: string): Promise<number> {
  const script =
    'a=$(date +%s%N); docker create --name bench-raw -p 127.0.0.1::5432 --entrypoint /bin/sleep "$1" 60 >/dev/null && ' +
    'docker start bench-raw >/dev/null; b=$(date +%s%N); docker rm -f bench-raw >/dev/null; echo $(( (b - a) / 1000000 ))';
  const r = await ha.on(host, 'sh', ['-c', script, 'sh', image]);
  return Number(r.stdout.trim()) || NaN;
}

async function main(): Promise<void> {
  const ha = new HaLab(HaLab.stack('bench-failover'));
  const rows: Row[] = [];
  await ha.setUp('bench');
  try {
    let done = 0;
    const total = RUNS * MODES.length;
    for (const mode of MODES) {
      const { db, creds } = await ha.createHa(`bench-${mode}`, mode, mode === 'drbd' ? 'small' : 'san-small');
      await ha.write1000(creds);
      for (let run = 1; run <= RUNS; run++) {
        bar(done, total, `${mode} run ${run}: waiting for a healthy pair`);
        if (mode === 'drbd')
          await waitFor('a synced mirror', async () => (await ha.mirrorState(db.id)) === 'synced', 300_000);
        const before = (await ha.failoversOf(db.id)).length;
        const primary = await ha.primaryOf(db.id);
        // The steady state a power cut meets: the takeover host holds the standby (its network holder running, the
        // container created), made again by the worker's leader as soon as the last cut's host is let back in.
        bar(done, total, `${mode} run ${run}: waiting for the standby on ${otherThan(primary)}`);
        await ha.waitStandby(db.id, otherThan(primary));
        const cut = Date.now();
        await ha.powerCut(primary);
        const answer = await ha.waitAnswers(creds, 10 * 60_000);
        if (answer.rows !== 1000) throw new Error(`${mode}: ${answer.rows} rows after the failover, not 1000`);
        const f = await waitFor(
          'the failover record',
          async () => {
            const list = await ha.failoversOf(db.id);
            return list.length > before && list[0].status === 'succeeded' ? list[0] : null;
          },
          120_000,
        );
        const t = (k: string) => Date.parse(f.timeline[k]);
        const { sshRtt, rawDocker: raw, image } = await baselines(ha, f.toHost.name, db);
        rows.push({
          mode,
          run,
          sshRtt,
          rawDocker: raw,
          detection: t('detectedAt') - cut,
          fencing: t('fencedAt') - t('detectedAt'),
          storage: t('storageMovedAt') - t('fencedAt'),
          container: t('startedAt') - t('storageMovedAt'),
          dbStart: t('reachableAt') - t('startedAt'),
          total: answer.at - cut,
          roundTrips: f.roundTrips ?? NaN,
        });
        done++;
        const r = rows[rows.length - 1];
        bar(
          done,
          total,
          `${mode} run ${run}: detect ${s(r.detection)} fence ${s(r.fencing)} storage ${s(r.storage)} container ${s(r.container)} (raw docker ${s(r.rawDocker)}) db start ${s(r.dbStart)} total ${s(r.total)} s, ${r.roundTrips} round trips; restoring ${primary}`,
        );
        await ha.restore(primary);
        // A host that has just booted starts its first containers from a cold page cache (dockerd's 75 MB binary is
        // run again by every start's hook): one throwaway start first, as a host that has been up a while would be.
        await rawDocker(ha, primary, image);
      }
      // The next mode's power cuts must not fail this database over too (two takeovers at once on one VM).
      await ha.remove(db.id);
    }
  } finally {
    await ha.tearDown();
  }

  const cols = [
    'mode',
    'run',
    'detect',
    'fence',
    'storage',
    'container',
    'db start',
    'total',
    'platform',
    'ratio',
    'ssh rtt',
    'raw docker',
    'trips',
  ];
  const line = (v: string[]) => v.map((x, i) => (i < 2 ? x.padEnd(6) : x.padStart(10))).join(' ');
  console.log('\nFailover after a power cut of the primary VM (seconds; QEMU TCG lab)');
  console.log(line(cols));
  const fmt = (r: Omit<Row, 'mode' | 'run'>, mode: string, run: string) =>
    line([
      mode,
      run,
      s(r.detection),
      s(r.fencing),
      s(r.storage),
      s(r.container),
      s(r.dbStart),
      s(r.total),
      s(r.total - r.dbStart),
      (r.total / r.dbStart).toFixed(2),
      s(r.sshRtt),
      s(r.rawDocker),
      String(r.roundTrips),
    ]);
  for (const r of rows) console.log(fmt(r, r.mode, String(r.run)));
  for (const mode of MODES) {
    const mine = rows.filter((r) => r.mode === mode);
    if (!mine.length) continue;
    const k = (f: keyof Row) => median(mine.map((r) => r[f] as number));
    console.log(
      fmt(
        {
          sshRtt: k('sshRtt'),
          rawDocker: k('rawDocker'),
          detection: k('detection'),
          fencing: k('fencing'),
          storage: k('storage'),
          container: k('container'),
          dbStart: k('dbStart'),
          total: k('total'),
          roundTrips: k('roundTrips'),
        },
        mode,
        'p50',
      ),
    );
  }
  // Each step at hardware speed, from this run's baselines: storage steps are round trips and kernel work, slowed as
  // an SSH round trip is; the container and the database's start are process and CPU work, slowed as raw docker is.
  // Detection (timeouts) and fencing (a power switch's answer) are kept as measured.
  console.log('\nAt hardware speed (p50, converted with the baselines measured in this run):');
  for (const mode of MODES) {
    const mine = rows.filter((r) => r.mode === mode);
    if (!mine.length) continue;
    const k = (f: keyof Row) => median(mine.map((r) => r[f] as number));
    const byRtt = HW_SSH_RTT_MS / k('sshRtt');
    const byDocker = HW_RAW_DOCKER_MS / k('rawDocker');
    const hw = {
      detection: k('detection'),
      fencing: k('fencing'),
      storage: k('storage') * byRtt,
      container: k('container') * byDocker,
      dbStart: k('dbStart') * byDocker,
    };
    const platform = hw.detection + hw.fencing + hw.storage + hw.container;
    console.log(
      `${mode}: detect ${s(hw.detection)} fence ${s(hw.fencing)} storage ${s(hw.storage)} container ${s(hw.container)}` +
        ` db start ${s(hw.dbStart)} → platform ${s(platform)} s, total ${s(platform + hw.dbStart)} s` +
        ` (ssh rtt ×${byRtt.toFixed(3)}, docker ×${byDocker.toFixed(3)}; hardware: ${HW_SSH_RTT_MS} ms, ${HW_RAW_DOCKER_MS} ms)`,
    );
  }
  console.log(
    "\nplatform = total − the database's own start (its crash recovery until it accepts connections, the baseline);" +
      ' ratio = total / own start. Targets: detection ≤ 3 s; platform ≤ 10 s (DRBD), ≤ 15 s (SAN) under TCG.\n' +
      'trips = round trips to hosts the takeover made (commands, Docker API requests; readiness polls not counted).\n' +
      'ssh rtt = one trivial command over SSH on the new primary; raw docker = docker create + start of a throwaway' +
      ' container of the same image there, timed inside the VM: what emulation costs before the platform adds anything.',
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
