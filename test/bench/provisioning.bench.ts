import 'reflect-metadata';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Stack } from '../support/stack';
import { servicesEnv } from '../support/services';

/**
 * `npm run bench`: provisioning time through the platform (HTTP request → a client connects) beside a raw
 * `docker run` of the same image to the same readiness, interleaved so both see the same machine noise;
 * then 20 concurrent creations. Prints a table and the platform/raw ratio (target ≤ 1.15).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 20);
const PG_PORT_RAW = 39900;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitConnect(uri: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new Client({ connectionString: uri, connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch {
      await c.end().catch(() => undefined);
    }
    if (Date.now() > deadline)
      throw new Error(`no connection to ${uri.replace(/:[^:@]+@/, ':***@')} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function bar(done: number, total: number, label: string): void {
  const w = 24;
  const fill = Math.round((done / total) * w);
  process.stdout.write(`\r[bench] ${label} [${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${done}/${total}   `);
  if (done === total) process.stdout.write('\n');
}

async function rawRun(stack: Stack, image: string, i: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-raw-'));
  chmodSync(dir, 0o755); // as the directory driver's volumes (mkdtemp makes 0700, which the postgres user cannot enter)
  const name = `bench-raw-${stack.id}-${i}`;
  const port = PG_PORT_RAW + (i % 50);
  const t0 = performance.now();
  const c = await stack.docker.createContainer({
    name,
    Image: image,
    Env: [
      'POSTGRES_USER=bench',
      'POSTGRES_PASSWORD=benchpassword1234',
      'POSTGRES_DB=bench',
      'PGDATA=/var/lib/postgresql/data/pgdata',
    ],
    ExposedPorts: { '5432/tcp': {} },
    HostConfig: {
      Binds: [`${dir}:/var/lib/postgresql/data`],
      PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
      NanoCpus: 0.5e9,
      Memory: 512 * 2 ** 20,
    },
  });
  await c.start();
  await waitConnect(`postgresql://bench:benchpassword1234@127.0.0.1:${port}/bench`);
  const ms = performance.now() - t0;
  await c.remove({ force: true });
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

async function platformRun(stack: Stack, key: string, i: number): Promise<{ ms: number; id: string }> {
  const t0 = performance.now();
  const res = await stack.request('POST', '/v1/databases', {
    key,
    body: { name: `bench-${i}`, engine: 'postgresql', plan: 'small' },
  });
  if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  // The password exists from the request on; the endpoint accepts connections once the database is up.
  const creds = (await stack.request('GET', `/v1/databases/${res.body.id}/credentials`, { key })).body;
  await waitConnect(creds.uri);
  return { ms: performance.now() - t0, id: res.body.id };
}

async function remove(stack: Stack, key: string, id: string): Promise<void> {
  const del = await stack.request('DELETE', `/v1/databases/${id}`, { key });
  await stack.waitOperation(key, del.body.operationId);
}

async function main(): Promise<void> {
  const services = servicesEnv();
  const image = `${services.IMAGE_REGISTRY}/library/postgres:15`;
  const stack = await new Stack({
    name: 'bench',
    worker: { WORKER_CONCURRENCY: String(Math.max(20, CONCURRENT)) },
  }).start();
  try {
    const { key } = await stack.tenant('bench');
    // Warm-up: the image is pulled once and page caches are filled before anything is timed.
    const warm = await platformRun(stack, key, 0);
    await remove(stack, key, warm.id);
    await rawRun(stack, image, 0);

    const raw: number[] = [];
    const platform: number[] = [];
    for (let i = 1; i <= RUNS; i++) {
      raw.push(await rawRun(stack, image, i));
      const p = await platformRun(stack, key, i);
      platform.push(p.ms);
      await remove(stack, key, p.id);
      bar(i, RUNS, 'provisioning, platform and raw docker interleaved');
    }

    const t0 = performance.now();
    let done = 0;
    const results = await Promise.allSettled(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const r = await platformRun(stack, key, 100 + i);
        bar(++done, CONCURRENT, `${CONCURRENT} concurrent creations`);
        return r;
      }),
    );
    const totalConcurrent = performance.now() - t0;
    const ok = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ ms: number; id: string }>[];
    const each = ok.map((r) => r.value.ms);
    for (const r of ok) await remove(stack, key, r.value.id);

    const row = (name: string, xs: number[]) =>
      `| ${name.padEnd(34)} | ${String(xs.length).padStart(4)} | ${(pct(xs, 50) / 1000).toFixed(2).padStart(7)} | ${(pct(xs, 95) / 1000).toFixed(2).padStart(7)} |`;
    console.log('\nProvisioning: request → a PostgreSQL client connects (seconds)');
    console.log('| what                               | runs |     p50 |     p95 |');
    console.log('|------------------------------------|------|---------|---------|');
    console.log(row('raw docker run (baseline)', raw));
    console.log(row('platform: POST /v1/databases', platform));
    console.log(row(`platform, ${CONCURRENT} at once (each)`, each));
    const ratio50 = pct(platform, 50) / pct(raw, 50);
    const ratio95 = pct(platform, 95) / pct(raw, 95);
    console.log(
      `\nratio platform/raw: p50 ${ratio50.toFixed(3)}, p95 ${ratio95.toFixed(3)} (target ≤ 1.15: ${ratio50 <= 1.15 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `${CONCURRENT} concurrent creations: ${ok.length}/${CONCURRENT} succeeded in ${(totalConcurrent / 1000).toFixed(2)} s total`,
    );
    if (ok.length !== CONCURRENT) {
      for (const r of results) if (r.status === 'rejected') console.log(`  failed: ${(r.reason as Error).message}`);
      process.exitCode = 1;
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
