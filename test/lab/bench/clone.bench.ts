import 'reflect-metadata';
import { Client } from 'pg';
import { HaLab, HostName } from '../support/ha';
import { pgTls, tunnel } from '../support/lab';

/**
 * `npm run bench:clone` (lab part): clone time of a PostgreSQL on a 1 GiB and on an 8 GiB SAN volume holding the
 * same data, on thin LUNs. The copy (a thin snapshot of the source's LUN on the storage server, exported to the
 * target host and imported there) is timed from the clone operation's start to the `database.cloned` event; the
 * total includes the clone's first start. BENCH_CLONE_RUNS (default 2), BENCH_CLONE_DATA_MB (default 64).
 */
const RUNS = Number(process.env.BENCH_CLONE_RUNS ?? 2);
const DATA_MB = Number(process.env.BENCH_CLONE_DATA_MB ?? 64);
const SIZES = [1, 8];

async function main() {
  const h = new HaLab(HaLab.stack('bench-clone', { BACKUPS_ENABLED: 'false' }));
  const rows: { size: number; run: number; copy: number; total: number }[] = [];
  try {
    await h.setUp('bench', { thinPool: { name: 'benchpool', sizeGb: 18 } });
    for (const size of SIZES)
      await h.stack.metadata(
        `INSERT INTO plans (name, cpus, memory_mb, disk_gb) VALUES ($1, 0.5, 512, $2) ON CONFLICT (name) DO NOTHING`,
        [`bench-${size}g`, size],
      );
    await h.stack.metadata(`UPDATE hosts SET capacity = jsonb_set(capacity, '{diskGb}', '100')`);
    const sources: Record<number, string> = {};
    for (const size of SIZES) {
      process.stderr.write(`# creating a PostgreSQL on a ${size} GiB volume with ${DATA_MB} MB of rows\n`);
      const res = await h.stack.request('POST', '/v1/databases', {
        key: h.key,
        body: { name: `src-${size}g`, engine: 'postgresql', plan: `bench-${size}g` },
      });
      const op = await h.stack.waitOperation(h.key, res.body.operationId, 20 * 60_000);
      if (op.status !== 'succeeded') throw new Error(`create: ${op.error}`);
      sources[size] = res.body.id;
      await fill(h, res.body.id);
    }
    for (let run = 1; run <= RUNS; run++) {
      for (const size of SIZES) {
        const t = await cloneOnce(h, sources[size], `c${run}-${size}g`);
        rows.push({ size, run, ...t });
        process.stderr.write(`# run ${run} ${size} GiB: copy ${t.copy.toFixed(1)} s, total ${t.total.toFixed(1)} s\n`);
      }
    }
  } finally {
    await h.tearDown().catch(() => undefined);
  }
  print(rows);
}

async function fill(h: HaLab, id: string) {
  const c = (await h.stack.request('GET', `/v1/databases/${id}/credentials`, { key: h.key })).body;
  const [db] = await h.stack.metadata('SELECT host_id FROM databases WHERE id = $1', [id]);
  const host: HostName = db.host_id === h.hostIds.host1 ? 'host1' : 'host2';
  const t = await tunnel(h.ssh[host]!, c.host, c.port);
  const pg = new Client({
    host: '127.0.0.1',
    port: t.port,
    user: c.username,
    password: c.password,
    database: c.database,
    ssl: pgTls(c),
  });
  try {
    await pg.connect();
    await pg.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
    // ~1 KB per row, TOAST-compressed poorly (random).
    await pg.query(
      `INSERT INTO t SELECT g, (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 32)) FROM generate_series(1, $1) g`,
      [DATA_MB * 1024],
    );
  } finally {
    await pg.end().catch(() => undefined);
    t.close();
  }
}

async function cloneOnce(h: HaLab, sourceId: string, name: string): Promise<{ copy: number; total: number }> {
  const res = await h.stack.request('POST', `/v1/databases/${sourceId}/clones`, { key: h.key, body: { name } });
  if (res.status !== 202) throw new Error(`clone: ${JSON.stringify(res.body)}`);
  const op = await h.stack.waitOperation(h.key, res.body.operationId, 20 * 60_000);
  if (op.status !== 'succeeded') throw new Error(`clone: ${op.error}`);
  const [ev] = await h.stack.metadata(
    `SELECT e.created_at AS copied, o.started_at AS started, o.finished_at AS finished, e.message
     FROM events e JOIN operations o ON o.id = e.operation_id WHERE e.operation_id = $1 AND e.type = 'database.cloned'`,
    [res.body.operationId],
  );
  process.stderr.write(`#   ${ev.message}\n`);
  const s = (a: Date, b: Date) => (new Date(a).getTime() - new Date(b).getTime()) / 1000;
  // The clone goes again, so the thin pool and LUNs stay bounded whatever the run count.
  const del = await h.stack.request('DELETE', `/v1/databases/${res.body.id}?purgeBackups=true&confirm=${name}`, {
    key: h.key,
  });
  await h.stack.waitOperation(h.key, del.body.operationId, 10 * 60_000);
  return { copy: s(ev.copied, ev.started), total: s(ev.finished, ev.started) };
}

function print(rows: { size: number; run: number; copy: number; total: number }[]) {
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const col = (v: string | number, w = 12) => String(v).padStart(w);
  console.log(`\nClone of a PostgreSQL with ${DATA_MB} MB of rows, by volume size (seconds; QEMU TCG lab, thin LUNs)`);
  console.log(['volume', 'run', 'copy', 'total'].map((c, i) => (i ? col(c) : c.padEnd(8))).join(''));
  for (const r of rows)
    console.log(`${`${r.size} GiB`.padEnd(8)}${col(r.run)}${col(r.copy.toFixed(2))}${col(r.total.toFixed(2))}`);
  const med: Record<number, { copy: number; total: number }> = {};
  for (const size of SIZES) {
    const mine = rows.filter((r) => r.size === size);
    if (!mine.length) continue;
    med[size] = { copy: p50(mine.map((r) => r.copy)), total: p50(mine.map((r) => r.total)) };
    console.log(
      `${`${size} GiB`.padEnd(8)}${col('p50')}${col(med[size].copy.toFixed(2))}${col(med[size].total.toFixed(2))}`,
    );
  }
  if (med[1] && med[8])
    console.log(
      `ratio 8 GiB / 1 GiB: copy ${(med[8].copy / med[1].copy).toFixed(2)}, total ${(med[8].total / med[1].total).toFixed(2)}` +
        ' (1.00 = the clone does not grow with the volume size)',
    );
  console.log(
    "copy = thin snapshot of the source's LUN (its filesystem frozen meanwhile), exported, attached and imported on" +
      ' the target host; total adds the PostgreSQL start.',
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
