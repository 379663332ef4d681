import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Stack } from '../support/stack';
import { pgUri, saveCa } from '../support/tls';

/** The value of one series in a Prometheus text exposition, matched by name and a subset of its labels. */
function series(text: string, name: string, labels: Record<string, string>): number | null {
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return null;
}

describe('/metrics: per container, per host and per database, with durations as histograms', () => {
  const stack = new Stack({
    name: 'metrics',
    // No failover monitor: the spare host registered below never answers, and must stay a placement target.
    worker: { CONTAINER_SAMPLE_INTERVAL_MS: '1000', FAILOVER_ENABLED: 'false', JOB_ATTEMPTS: '1' },
  });
  let tenant: { id: string; key: string };
  let dbId = '';

  before(async () => {
    await stack.start();
    await saveCa(stack.apiUrl);
    tenant = await stack.tenant('acme');
    const res = await stack.request('POST', '/v1/databases', {
      key: tenant.key,
      body: { name: 'shop', engine: 'postgresql', plan: 'small' },
    });
    assert.equal(res.status, 202);
    dbId = res.body.id;
    assert.equal((await stack.waitOperation(tenant.key, res.body.operationId, 180_000)).status, 'succeeded');
  });
  after(() => stack.stop());

  const scrape = async () => {
    const r = await stack.request('GET', '/metrics');
    assert.equal(r.status, 200);
    return r.body as string;
  };

  test("a running database's container: CPU, memory, network and block I/O, labelled", async () => {
    const labels = { tenant: 'acme', database: 'shop', database_id: dbId, engine: 'postgresql', host: 'local' };
    let text = '';
    const deadline = Date.now() + 60_000;
    while (series((text = await scrape()), 'dbaas_container_memory_bytes', labels) === null) {
      assert.ok(Date.now() < deadline, 'the worker sampled the container');
      await new Promise((r) => setTimeout(r, 500));
    }
    const [plan] = (await stack.request('GET', '/v1/plans', { key: tenant.key })).body.filter(
      (p: any) => p.name === 'small',
    );
    const memory = series(text, 'dbaas_container_memory_bytes', labels)!;
    assert.ok(memory > 1 * 2 ** 20 && memory < plan.memoryMb * 2 ** 20, `memory ${memory}`);
    assert.equal(series(text, 'dbaas_container_memory_limit_bytes', labels), plan.memoryMb * 2 ** 20);
    assert.ok(series(text, 'dbaas_container_cpu_seconds_total', labels)! > 0);
    assert.ok(series(text, 'dbaas_container_cpu_cores', labels)! >= 0);
    for (const n of ['dbaas_container_network_receive_bytes_total', 'dbaas_container_network_transmit_bytes_total'])
      assert.ok(series(text, n, labels)! >= 0, n);
    for (const n of ['dbaas_container_blkio_read_bytes_total', 'dbaas_container_blkio_write_bytes_total'])
      assert.notEqual(series(text, n, labels), null, n);
    assert.ok(series(text, 'dbaas_container_sample_age_seconds', labels)! < 60);
    // The counters move: traffic to the database shows up in the next samples.
    const before = series(text, 'dbaas_container_network_receive_bytes_total', labels)!;
    const creds = (await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).body;
    const { Client } = await import('pg');
    const pg = new Client({ connectionString: pgUri(creds.uri) });
    await pg.connect();
    for (let i = 0; i < 20; i++) await pg.query(`SELECT repeat('x', 100000), $1::text`, ['y'.repeat(50000)]);
    await pg.end();
    const moved = Date.now() + 30_000;
    while (series((text = await scrape()), 'dbaas_container_network_receive_bytes_total', labels)! < before + 1e6) {
      assert.ok(Date.now() < moved, 'received bytes grew by the ~1 MB sent');
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  test('per database: up, and its volume (size from the plan)', async () => {
    const text = await scrape();
    const labels = {
      tenant: 'acme',
      database: 'shop',
      database_id: dbId,
      engine: 'postgresql',
      host: 'local',
      ha: 'none',
    };
    assert.equal(series(text, 'dbaas_database_up', labels), 1);
    assert.equal(series(text, 'dbaas_database_volume_size_bytes', labels), 1 * 2 ** 30);
  });

  test('per host: capacity, promised by plans, used by its containers', async () => {
    const text = await scrape();
    const host = { host: 'local' };
    assert.equal(series(text, 'dbaas_host_up', host), 1);
    assert.equal(series(text, 'dbaas_host_databases', host), 1);
    assert.equal(series(text, 'dbaas_host_promised_cpus', host), 0.5);
    assert.equal(series(text, 'dbaas_host_promised_memory_bytes', host), 512 * 2 ** 20);
    assert.ok(series(text, 'dbaas_host_capacity_cpus', host)! >= 1);
    assert.ok(series(text, 'dbaas_host_used_memory_bytes', host)! > 0);
  });

  test('operation and failover durations are histograms', async () => {
    const text = await scrape();
    assert.match(text, /# TYPE dbaas_operation_duration_seconds histogram/);
    assert.match(text, /# TYPE dbaas_failover_duration_seconds histogram/);
    const labels = { type: 'create-database', status: 'succeeded' };
    assert.equal(series(text, 'dbaas_operation_duration_seconds_count', labels), 1);
    assert.equal(series(text, 'dbaas_operation_duration_seconds_bucket', { ...labels, le: '+Inf' }), 1);
    const [op] = await stack.metadata(
      `SELECT extract(epoch FROM finished_at - started_at) AS d FROM operations WHERE database_id = $1`,
      [dbId],
    );
    assert.ok(Math.abs(series(text, 'dbaas_operation_duration_seconds_sum', labels)! - Number(op.d)) < 0.001);
    // Cumulative: never fewer in a wider bucket; the first bucket that holds it counts it.
    const les = ['1', '5', '15', '30', '60', '120', '300', '600', '1800', '3600'];
    const counts = les.map((le) => series(text, 'dbaas_operation_duration_seconds_bucket', { ...labels, le })!);
    assert.ok(
      counts.every((c, i) => i === 0 || c >= counts[i - 1]),
      String(counts),
    );
    assert.equal(counts[les.findIndex((le) => Number(le) >= Number(op.d))], 1);
  });

  test('rebalance from measured use: a busy database makes its host a hotspot; the proposal, applied, starts its move', async () => {
    const op = { key: stack.operatorKey };
    const spare = await stack.registerUnreachableHost('spare', {
      labels: { rack: 'r9' },
      capacity: { cpus: 16, memoryMb: 65536, diskGb: 500 },
    });
    // The small plan's container may use half a core: on this host that is a hotspot above 10 % CPU.
    const put = await stack.request('PUT', '/admin/v1/placement/settings', { ...op, body: { hotspotCpu: 0.1 } });
    assert.equal(put.status, 200);
    const creds = (await stack.request('GET', `/v1/databases/${dbId}/credentials`, { key: tenant.key })).body;
    const { Client } = await import('pg');
    const burner = new Client({ connectionString: pgUri(creds.uri) });
    await burner.connect();
    // CPU only: a set-returning function in the select list streams (in FROM it is materialised and spills temp
    // files, which filled the small plan's volume until the quota put the database read-only).
    const burning = burner
      .query('SELECT sum(x) FROM (SELECT generate_series(1, 2000000000) AS x) s')
      .catch(() => undefined);
    try {
      let proposal: any;
      const deadline = Date.now() + 60_000;
      for (;;) {
        proposal = (await stack.request('GET', '/admin/v1/placement/rebalance', op)).body;
        if (proposal.moves.length > 0) break;
        assert.ok(Date.now() < deadline, `no hotspot seen: ${JSON.stringify(proposal.hosts)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      const local = proposal.hosts.find((h: any) => h.name === 'local');
      console.log(
        `# measured on local: cpu ${local.cpu}, memory ${local.memory}; moves: ${JSON.stringify(proposal.moves)}`,
      );
      assert.equal(local.hotspot, true);
      assert.ok(local.cpu > 0.1);
      assert.deepEqual(
        proposal.moves.map((m: any) => [m.database, m.fromName, m.toName]),
        [['shop', 'local', 'spare']],
      );
      assert.notEqual(proposal.measuredSince, null);
      const applied = await stack.request('POST', '/admin/v1/placement/rebalance', {
        ...op,
        body: { moves: proposal.moves.map((m: any) => ({ databaseId: m.databaseId, targetHostId: m.to })) },
      });
      assert.equal(applied.status, 202, JSON.stringify(applied.body));
      assert.equal(applied.body.started.length, 1, JSON.stringify(applied.body));
      const [row] = await stack.metadata('SELECT type, params FROM operations WHERE id = $1', [
        applied.body.started[0].operationId,
      ]);
      assert.equal(row.type, 'move-database');
      assert.equal(row.params.targetHostId, spare.id);
      // The spare host does not exist: the move fails, and the database is left running where it was.
      const ended = await (async () => {
        const until = Date.now() + 120_000;
        for (;;) {
          const r = await stack.request('GET', `/admin/v1/operations/${applied.body.started[0].operationId}`, op);
          if (r.body.status === 'failed' || r.body.status === 'succeeded') return r.body;
          assert.ok(Date.now() < until, 'the move ended');
          await new Promise((res) => setTimeout(res, 500));
        }
      })();
      assert.equal(ended.status, 'failed');
      const db = (await stack.request('GET', `/v1/databases/${dbId}`, { key: tenant.key })).body;
      assert.equal(db.status, 'running');
    } finally {
      await burner.end().catch(() => undefined);
      await burning;
    }
  });
});
