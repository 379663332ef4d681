import 'reflect-metadata';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { addressOf, connectsFrom, containerOf, execIn, type ExecResult } from '../support/containment';
import { Stack } from '../support/stack';
import { pgUri, saveCa } from '../support/tls';

/**
 * The plan's limits as the database's container sees them: cgroup files read inside it, and rates measured from
 * inside it (its own /proc/net/dev, dd's own timing). Only 127.0.0.1; bounded sizes and times.
 */

const MIB = 2 ** 20;
const EGRESS_MBIT = 8;
const FAST_MBIT = 16;
const READ_MBPS = 20;
const WRITE_MBPS = 10;
const RECAPPED_READ_MBPS = 40;
const DATA_DIR = '/var/lib/postgresql/data';

async function query(uri: string, sql: string) {
  const c = new Client({ connectionString: pgUri(uri), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('plan limits, measured inside the database container', () => {
  const stack = new Stack({ name: 'limits' });
  let tenant: { id: string; key: string };
  let dbId = '';
  let uri = '';
  // A second tenant with two Redis databases, one of them on a plan that allows outbound connections.
  let other: { id: string; key: string };
  const otherDbs: string[] = [];
  // A TCP server of the test on every host address: what a container's outbound connection would reach.
  let listener: Server;
  let listenerPort = 0;
  let accepted = 0;

  const container = async () => stack.docker.getContainer((await stack.containersOf(dbId))[0].Id);

  /** `docker exec` in the database container (argv, no shell unless asked), bounded in time. */
  const exec = async (cmd: string[], timeoutMs = 30_000): Promise<ExecResult> =>
    execIn(stack, (await container()).id, cmd, { timeoutMs });

  /** The first of `files` that exists in the container, with its content. */
  async function readFirst(files: string[]): Promise<{ file: string; text: string } | null> {
    for (const file of files) {
      const r = await exec(['cat', file]);
      if (r.exitCode === 0) return { file, text: r.stdout.trim() };
    }
    return null;
  }

  async function txBytes(): Promise<number> {
    const dev = (await exec(['cat', '/proc/net/dev'])).stdout;
    const line = dev.split('\n').find((l) => l.trim().startsWith('eth0:'));
    assert.ok(line, dev);
    // Receive: bytes packets errs drop fifo frame compressed multicast; then Transmit: bytes …
    return Number(line.split(':')[1].trim().split(/\s+/)[8]);
  }

  /** Pulls `rows` KiB out of the database and measures what the container sent over the time it took. */
  async function egressMbit(rows: number): Promise<{ mbit: number; bytes: number; seconds: number }> {
    const c = new Client({ connectionString: pgUri(uri), connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      await c.query('SELECT 1');
      const tx0 = await txBytes();
      const t0 = performance.now();
      const res = await c.query(`SELECT repeat('x', 1024) AS v FROM generate_series(1, ${rows})`);
      const seconds = (performance.now() - t0) / 1000;
      const bytes = (await txBytes()) - tx0;
      assert.equal(res.rowCount, rows);
      return { mbit: (bytes * 8) / seconds / 1e6, bytes, seconds };
    } finally {
      await c.end();
    }
  }

  /**
   * Measures the egress up to three times: every sample must stay under the cap (the shaping holds), and the best
   * must reach half of it (the cap is the plan's, not a smaller one). A busy machine can slow one sample's reader.
   */
  async function assertShaped(rows: number, planMbit: number): Promise<void> {
    let best = 0;
    for (let attempt = 1; attempt <= 3 && best < planMbit * 0.5; attempt++) {
      const m = await egressMbit(rows);
      console.log(
        `# egress at ${planMbit} Mbit/s: ${m.bytes} B sent by eth0 in ${m.seconds.toFixed(2)} s = ${m.mbit.toFixed(2)} Mbit/s`,
      );
      assert.ok(m.mbit <= planMbit * 1.15, `${m.mbit} Mbit/s is above ${planMbit} Mbit/s x 1.15`);
      best = Math.max(best, m.mbit);
    }
    assert.ok(best >= planMbit * 0.5, `${best} Mbit/s (the best of 3) is below half of ${planMbit} Mbit/s`);
  }

  async function memoryLimit(): Promise<number> {
    const f = await readFirst(['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
    assert.ok(f, 'no memory.max (cgroup v2) nor memory.limit_in_bytes (v1) in the container');
    return Number(f.text);
  }

  /** The kernel's count of OOM kills in the container's memory cgroup (v2 memory.events, v1 memory.oom_control). */
  async function oomKills(): Promise<number> {
    const f = await readFirst(['/sys/fs/cgroup/memory.events', '/sys/fs/cgroup/memory/memory.oom_control']);
    const m = f && /^oom_kill (\d+)$/m.exec(f.text);
    assert.ok(m, `no oom_kill counter in the container: ${f?.file ?? 'no memory.events nor memory.oom_control'}`);
    return Number(m[1]);
  }

  /** The volume's disk as major:minor (a partition's parent), or null when it is on no block device. */
  async function volumeDisk(): Promise<{ volume: string; disk: string | null }> {
    const volume = (await stack.metadata('SELECT path FROM volumes WHERE database_id = $1', [dbId]))[0].path;
    const dev = statSync(volume).dev;
    const major = Math.floor(dev / 256) & 0xfff;
    const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    // Anonymous devices (major 0: tmpfs, overlay) hold no disk to cap.
    if (major === 0) return { volume, disk: null };
    // The caps go on the whole disk: a partition's disk is its parent in sysfs.
    const sys = realpathSync(`/sys/dev/block/${major}:${minor}`);
    if (existsSync(join(sys, 'partition')))
      return { volume, disk: readFileSync(join(dirname(sys), 'dev'), 'utf8').trim() };
    return { volume, disk: `${major}:${minor}` };
  }

  async function createDb(key: string, name: string, engine: string, plan: string): Promise<string> {
    const res = await stack.request('POST', '/v1/databases', { key, body: { name, engine, plan } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    return res.body.id;
  }

  /** Whether the database's container can open a connection to the test's listener through its network's gateway. */
  async function reachesHost(databaseId: string): Promise<boolean> {
    const id = await containerOf(stack, databaseId);
    return connectsFrom(stack, id, (await addressOf(stack, id)).gateway, listenerPort);
  }

  async function resize(plan: string): Promise<void> {
    const res = await stack.request('POST', `/v1/databases/${dbId}/resize`, { key: tenant.key, body: { plan } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
  }

  before(async () => {
    listener = createServer((s) => {
      accepted++;
      s.on('error', () => undefined);
      s.end();
    });
    await new Promise<void>((r) => listener.listen(0, '0.0.0.0', r));
    listenerPort = (listener.address() as { port: number }).port;
    await stack.start();
    await saveCa(stack.apiUrl);
    tenant = await stack.tenant('limits');
    // Only `limited-egress` and `open` allow outbound connections (allow_egress); the others keep the default (no).
    await stack.metadata(
      `INSERT INTO plans (name, cpus, memory_mb, disk_gb, io_weight, io_read_mbps, io_write_mbps, egress_mbit, allow_egress)
       VALUES ('limited', 0.5, 256, 1, 50, $1, $2, $3, DEFAULT), ('limited-fast', 0.5, 384, 1, 50, $1, $2, $4, DEFAULT),
              ('limited-unshaped', 0.5, 384, 1, 50, $1, $2, NULL, DEFAULT),
              ('limited-recapped', 0.5, 384, 1, 50, $5, $2, $4, DEFAULT),
              ('limited-egress', 0.5, 256, 1, 50, $1, $2, $3, true), ('open', 0.25, 128, 1, 50, NULL, NULL, NULL, true)`,
      [READ_MBPS, WRITE_MBPS, EGRESS_MBIT, FAST_MBIT, RECAPPED_READ_MBPS],
    );
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'limited', engine: 'postgresql', plan: 'limited' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    dbId = res.body.id;
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    uri = (await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).body.uri;
  });
  after(async () => {
    listener?.close();
    await stack.stop();
  });

  test("network: one per tenant; no container reaches another tenant's, nor another of its own tenant", async () => {
    other = await stack.tenant('limits-other');
    otherDbs.push(await createDb(other.key, 'open-cache', 'redis', 'open'));
    otherDbs.push(await createDb(other.key, 'closed-cache', 'redis', 'small'));
    const [a, b1, b2] = await Promise.all([dbId, ...otherDbs].map((d) => containerOf(stack, d)));
    const [aAddr, b1Addr, b2Addr] = await Promise.all([a, b1, b2].map((c) => addressOf(stack, c)));
    const nets = await Promise.all(
      [a, b1, b2].map(async (c) => (await stack.docker.getContainer(c).inspect()).HostConfig.NetworkMode),
    );
    assert.deepEqual(nets, [`dbaas-t-${tenant.id}`, `dbaas-t-${other.id}`, `dbaas-t-${other.id}`]);
    // The positive control: b1's plan allows outbound connections, and it reaches the host's listener.
    assert.equal(await reachesHost(otherDbs[0]), true, 'a container whose plan allows egress reaches the host');
    // So what refuses b1 below is the network, not its egress rules.
    assert.equal(await connectsFrom(stack, b1, aAddr.ip, 5432), false, "another tenant's container");
    assert.equal(
      await connectsFrom(stack, b1, b2Addr.ip, 6379),
      false,
      'another container of its own tenant (icc off)',
    );
    assert.equal(await connectsFrom(stack, a, b1Addr.ip, 6379), false, "another tenant's container, the other way");
    // Each engine still answers on its own address inside its own container (the port is the engine's).
    assert.equal(await connectsFrom(stack, b1, b1Addr.ip, 6379), true);
    console.log(`# networks: tenant A ${aAddr.ip}, tenant B ${b1Addr.ip} and ${b2Addr.ip}: isolated`);
  });

  test('egress: a plan without allow_egress refuses outbound connections; replies still flow; a plan change opens it', async () => {
    const before = accepted;
    assert.equal(await reachesHost(dbId), false, 'outbound refused (plan "limited")');
    assert.equal(await reachesHost(otherDbs[1]), false, 'outbound refused (plan "small")');
    assert.equal(accepted, before, 'the listener saw no connection');
    // Incoming connections and their replies are not outbound: the tenant's client still gets its rows.
    assert.deepEqual(await query(uri, 'SELECT 1 AS ok'), [{ ok: 1 }]);
    await resize('limited-egress');
    assert.equal(await reachesHost(dbId), true, 'outbound allowed by the new plan');
    await resize('limited');
    assert.equal(await reachesHost(dbId), false, 'refused again');
  });

  test('memory: the cgroup limit is the plan; a process above it is OOM-killed, PostgreSQL keeps running', async () => {
    assert.equal(await memoryLimit(), 256 * MIB);
    const before = (await (await container()).inspect()).State;
    const kills = await oomKills();
    // tail keeps the whole (newline-free) input in memory: 400 MiB in a 256 MiB cgroup.
    const r = await exec(['bash', '-c', 'head -c 400m /dev/zero | tail'], 60_000);
    assert.equal(r.exitCode, 137, `exit ${r.exitCode}: ${r.stderr}`);
    assert.ok((await oomKills()) > kills, 'the kernel counted an OOM kill in the container');
    const afterState = (await (await container()).inspect()).State;
    // The killed process was the exec'd one: the container's first process (the postmaster) is the same one.
    assert.equal(afterState.Running, true);
    assert.equal(afterState.Pid, before.Pid);
    assert.equal(afterState.StartedAt, before.StartedAt);
    // State.OOMKilled is not evidence either way: Docker sets it from OOM events in the container's cgroup, and
    // depending on its version only when the container exits, or for any process killed in it.
    console.log(`# memory: exec exit ${r.exitCode}, OOMKilled=${afterState.OOMKilled}, container still running`);
    assert.deepEqual(await query(uri, 'SELECT 1 AS ok'), [{ ok: 1 }]);
  });

  test(`egress: what the container sends is shaped to the plan's ${EGRESS_MBIT} Mbit/s`, async () => {
    // ~10 MB of rows: ~10 s at the plan's rate.
    await assertShaped(10_000, EGRESS_MBIT);
  });

  test('restart: the new network namespace is shaped again', async () => {
    const res = await stack.request('POST', `/v1/databases/${dbId}/restart`, { key: tenant.key });
    assert.equal(res.status, 202);
    const op = await stack.waitOperation(tenant.key, res.body.operationId);
    assert.equal(op.status, 'succeeded', op.error);
    await assertShaped(4_000, EGRESS_MBIT);
    assert.equal(await reachesHost(dbId), false, 'the new namespace refuses outbound connections too');
  });

  test('resize: memory and egress change on the running container (same caps: not recreated)', async () => {
    const before = (await (await container()).inspect()).State.StartedAt;
    await resize('limited-fast');
    assert.equal((await (await container()).inspect()).State.StartedAt, before);
    assert.equal(await memoryLimit(), 384 * MIB);
    await assertShaped(8_000, FAST_MBIT);
  });

  test('a plan without egress_mbit: the shaping is removed and the same measurement is far above the cap', async () => {
    await resize('limited-unshaped');
    const m = await egressMbit(10_000);
    console.log(`# egress unshaped: ${m.bytes} B in ${m.seconds.toFixed(2)} s = ${m.mbit.toFixed(1)} Mbit/s`);
    assert.ok(m.mbit > FAST_MBIT * 3, `${m.mbit} Mbit/s: still shaped?`);
  });

  test('block I/O weight: the cgroup weight is the plan', async (t) => {
    const files = [
      '/sys/fs/cgroup/io.bfq.weight',
      '/sys/fs/cgroup/io.weight',
      '/sys/fs/cgroup/blkio/blkio.weight',
      '/sys/fs/cgroup/blkio/blkio.bfq.weight',
    ];
    const f = await readFirst(files);
    if (!f) return t.skip(`no ${files.join(', ')} in the container: this kernel has no block I/O weight`);
    // Whether dockerd applies a weight at all on this kernel: a container created (not started) to ask it.
    const image = (await (await container()).inspect()).Config.Image;
    const probe = await stack.docker.createContainer({ Image: image, HostConfig: { BlkioWeight: 50 } });
    const applied = (await probe.inspect()).HostConfig.BlkioWeight;
    await probe.remove({ force: true });
    const version = (await stack.docker.version()).Version;
    if (!applied)
      return t.skip(
        `dockerd ${version} discards BlkioWeight here (it looks for blkio.weight/io.weight); ${f.file} = ${f.text}`,
      );
    assert.equal((await (await container()).inspect()).HostConfig.BlkioWeight, 50);
    // "default 50" (v2) or "50" (v1).
    assert.equal(Number(/(\d+)\s*$/.exec(f.text.split('\n')[0])?.[1]), 50, `${f.file}: ${f.text}`);
    console.log(`# io weight: ${f.file} = ${f.text}`);
  });

  test('block I/O caps: the cgroup caps the volume disk, and dd inside measures them', async (t) => {
    const { volume, disk } = await volumeDisk();
    if (!disk) return t.skip(`the volume ${volume} is not on a block device: no device caps`);
    const hc = (await (await container()).inspect()).HostConfig;
    assert.equal(hc.BlkioDeviceReadBps?.length, 1, JSON.stringify(hc.BlkioDeviceReadBps));

    const v2 = await readFirst(['/sys/fs/cgroup/io.max']);
    if (v2) {
      assert.match(v2.text, new RegExp(`^${disk} rbps=${READ_MBPS * MIB} wbps=${WRITE_MBPS * MIB} `, 'm'));
    } else {
      const r = await readFirst(['/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device']);
      const w = await readFirst(['/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device']);
      if (!r || !w) return t.skip('no io.max (cgroup v2) nor blkio.throttle.*_bps_device (v1) in the container');
      assert.equal(r.text, `${disk} ${READ_MBPS * MIB}`);
      assert.equal(w.text, `${disk} ${WRITE_MBPS * MIB}`);
    }

    // Direct I/O, so the page cache does not answer for the disk: 30 MiB each way on the volume.
    const probe = `${DATA_DIR}/limits-probe`;
    const rate = (r: ExecResult) => {
      const m = /^(\d+) bytes .* copied, ([\d.]+) s/m.exec(r.stderr);
      assert.ok(m && r.exitCode === 0, r.stderr);
      return Number(m[1]) / Number(m[2]) / MIB;
    };
    try {
      const w = rate(
        await exec(['dd', 'if=/dev/zero', `of=${probe}`, 'bs=1M', 'count=30', 'oflag=direct', 'conv=fsync'], 60_000),
      );
      const r = rate(await exec(['dd', `if=${probe}`, 'of=/dev/null', 'bs=1M', 'iflag=direct'], 60_000));
      console.log(
        `# disk ${disk}: write ${w.toFixed(1)} MiB/s (cap ${WRITE_MBPS}), read ${r.toFixed(1)} MiB/s (cap ${READ_MBPS})`,
      );
      assert.ok(w <= WRITE_MBPS * 1.15 && w >= WRITE_MBPS * 0.5, `write ${w} MiB/s`);
      assert.ok(r <= READ_MBPS * 1.15 && r >= READ_MBPS * 0.5, `read ${r} MiB/s`);
    } finally {
      await exec(['rm', '-f', probe]);
    }
  });

  test('resize to other disk caps: the container is recreated with them, then shaped again', async (t) => {
    const { volume, disk } = await volumeDisk();
    if (!disk) return t.skip(`the volume ${volume} is not on a block device: no device caps to change`);
    const before = (await (await container()).inspect()).State.StartedAt;
    await resize('limited-recapped');
    const info = await (await container()).inspect();
    assert.notEqual(info.State.StartedAt, before, 'Docker sets device caps only when it creates a container');
    const rates = (info.HostConfig.BlkioDeviceReadBps as { Rate: number }[] | undefined)?.map((d) => d.Rate);
    assert.deepEqual(rates, [RECAPPED_READ_MBPS * MIB]);
    const caps = await readFirst(['/sys/fs/cgroup/io.max', '/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device']);
    assert.match(caps?.text ?? '', new RegExp(`^${disk} (rbps=)?${RECAPPED_READ_MBPS * MIB}\\b`, 'm'));
    assert.equal(await memoryLimit(), 384 * MIB);
    await assertShaped(4_000, FAST_MBIT);
  });
});
