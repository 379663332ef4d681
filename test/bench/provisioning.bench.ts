import 'reflect-metadata';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { Client } from 'pg';
import { WorkerEnv } from '@app/config';
import { Stack } from '../support/stack';
import { servicesEnv } from '../support/services';
import { pgUri, saveCa } from '../support/tls';

/**
 * `npm run bench`: provisioning time through the platform (HTTP request → a client connects) beside a raw
 * `docker run` of the same image to the same readiness, interleaved so both see the same machine noise;
 * then CONCURRENT creations at once. Prints a table, the platform/raw ratio (target ≤ 1.15) and where the time
 * goes: each step's p50 beside raw docker's create/start/ready, from timestamps the platform and Docker record.
 *
 * Like an operator, it first raises the placement overcommit so the fleet has room for the concurrent batch;
 * when placement still refuses some, the number it placed is the result (the cap), not a failure. Exit 1 only when
 * something broke (a creation that failed for another reason, an error).
 *
 * The platform's databases are made as a tenant's are: TLS required (a server certificate issued by the platform CA
 * before each start), contained (capabilities dropped, read-only root, non-root user, no-new-privileges, pids limit,
 * the tenant's own network, secrets as files, an allow-list and egress rules); the raw `docker run` has none of it.
 * So the ratio is what TLS and the containment cost in provisioning. Then it prints connect times over TLS beside
 * clear text (tlsConnectTable).
 *
 * Knobs: BENCH_RUNS (10: one-at-a-time runs of each), BENCH_CONCURRENT (20: creations at once), BENCH_CONNECTS
 * (40: connects of each kind).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 20);
const PLAN = 'small';
const PG_PORT_RAW = 39900;
// 20 initdb's at once on a busy 2-core machine take minutes: the bench measures them, it does not time them out.
const CONNECT_TIMEOUT_MS = 600_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitConnect(uri: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A server not listening yet refuses at once; one that is up but starved gets the platform's own 10 s. A 1 s
    // timeout gave up on TLS handshakes that a busy 0.5-CPU container had started, every second: each abandoned
    // one a backend the container still paid for, and 8 databases starting at once never became reachable.
    const c = new Client({ connectionString: uri, connectionTimeoutMillis: 10_000 });
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
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function bar(done: number, total: number, label: string): void {
  const w = 24;
  const fill = Math.round((done / total) * w);
  process.stdout.write(`\r[bench] ${label} [${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${done}/${total}   `);
  if (done === total) process.stdout.write('\n');
}

// ------------------------------------------------------------------------------------------------ probes ---
// Every mark is a wall-clock time in ms (Date.now(), PostgreSQL's clock_timestamp(), Docker's timestamps: one
// machine, one clock), so the platform's own records and the bench's line up.

type Marks = Record<string, number | undefined>;

/** RFC 3339 with nanoseconds (Docker) to ms. */
const dockerTime = (s: string | undefined): number | undefined => {
  if (!s || s.startsWith('0001-')) return undefined;
  const ms = Date.parse(s.replace(/(\.\d{3})\d*/, '$1'));
  return Number.isNaN(ms) ? undefined : ms;
};

/** Docker's multiplexed log stream (no TTY): 8-byte frame headers, then the payload. */
function demux(buf: Buffer): string {
  const out: Buffer[] = [];
  for (let i = 0; i + 8 <= buf.length;) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(out).toString('utf8');
}

/**
 * The entrypoint's own log lines (scripts/images/postgres/entrypoint.sh) that split the engine's start; the first
 * of a mark's lines counts. The temporary server is up when the entrypoint creates its database (raw docker) or
 * runs the init SQL (the platform's owner model, which makes the database there).
 */
const ENGINE_LINES: [string, string[]][] = [
  ['initdb', ['[entrypoint] initializing']],
  ['tempUp', ['[entrypoint] creating database', '[entrypoint] running /docker-entrypoint-initdb.d/']],
  ['initDone', ['[entrypoint] init done']],
];

/** A cgroup v1 counter of the container (ns) in ms (best effort: absent under another cgroup layout). */
function cgroupMs(id: string, file: string, field?: string): number | undefined {
  try {
    const text = readFileSync(`/sys/fs/cgroup/${file.split('.')[0]}/docker/${id}/${file}`, 'utf8');
    const v = field ? text.match(new RegExp(`^${field} (\\d+)`, 'm'))?.[1] : text.trim();
    return v === undefined ? undefined : Number(v) / 1e6;
  } catch {
    return undefined;
  }
}

/**
 * When Docker created and started the container, when the entrypoint reached each stage, and when PostgreSQL said
 * it was ready (the last "ready to accept connections": the first one is the temporary, socket-only server). The
 * CPU the container used and the time it was throttled (its plan's 0.5 CPU) are kept as `cpu:` values.
 */
async function containerMarks(c: Docker.Container): Promise<Marks> {
  const info = await c.inspect();
  const buf = (await c.logs({ stdout: true, stderr: true, timestamps: true, follow: false })) as unknown as Buffer;
  const lines = demux(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))).split('\n');
  const at = (text: string) =>
    dockerTime(
      lines
        .filter((l) => l.includes(text))
        .pop()
        ?.split(' ')[0],
    );
  const first = (texts: string[]) => dockerTime(lines.find((l) => texts.some((t) => l.includes(t)))?.split(' ')[0]);
  return {
    created: dockerTime(info.Created),
    started: dockerTime(info.State.StartedAt),
    ...Object.fromEntries(ENGINE_LINES.map(([mark, texts]) => [mark, first(texts)])),
    ready: at('ready to accept connections'),
    'cpu:container': cgroupMs(info.Id, 'cpuacct.usage'),
    'cpu:throttled': cgroupMs(info.Id, 'cpu.stat', 'throttled_time'),
  };
}

/** CPU time (user + system, ms) the processes used so far, from /proc; 0 for one that is gone. */
function processCpuMs(pids: (number | undefined)[]): number {
  const tick = 10; // ms: USER_HZ is 100 on Linux
  return pids.reduce<number>((sum, pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return sum + (Number(f[11]) + Number(f[12])) * tick;
    } catch {
      return sum;
    }
  }, 0);
}

/**
 * Records, with the time, every change of an operation's status or progress message and of a database's status:
 * the platform keeps only the latest message, the steps need each one's time. Installed in this stack's own
 * metadata database; a row per change is negligible beside what each change costs.
 */
async function installTrace(stack: Stack): Promise<void> {
  await stack.metadata(`
    CREATE TABLE bench_trace (kind text, id uuid, status text, message text, at timestamptz DEFAULT clock_timestamp());
    CREATE FUNCTION bench_trace_op() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status
         OR NEW.progress_message IS DISTINCT FROM OLD.progress_message THEN
        INSERT INTO bench_trace (kind, id, status, message) VALUES ('op', NEW.id, NEW.status, NEW.progress_message);
      END IF;
      RETURN NULL;
    END $$;
    CREATE FUNCTION bench_trace_db() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO bench_trace (kind, id, status) VALUES ('db', NEW.id, NEW.status);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER bench_trace_op AFTER INSERT OR UPDATE ON operations FOR EACH ROW EXECUTE FUNCTION bench_trace_op();
    CREATE TRIGGER bench_trace_db AFTER UPDATE ON databases FOR EACH ROW EXECUTE FUNCTION bench_trace_db();`);
}

/** The platform's marks for one creation, from the trace: the first time each status or message was seen. */
async function traceMarks(stack: Stack, operationId: string, databaseId: string): Promise<Marks> {
  const rows = await stack.metadata<{ kind: string; status: string; message: string | null; ms: number }>(
    `SELECT kind, status, message, extract(epoch FROM at) * 1000 AS ms FROM bench_trace
      WHERE (kind = 'op' AND id = $1) OR (kind = 'db' AND id = $2) ORDER BY at`,
    [operationId, databaseId],
  );
  const first = (pred: (r: (typeof rows)[number]) => boolean) => {
    const r = rows.find(pred);
    return r ? Number(r.ms) : undefined;
  };
  const msg = (prefix: string) => (r: (typeof rows)[number]) => r.kind === 'op' && !!r.message?.startsWith(prefix);
  return {
    queued: first((r) => r.kind === 'op' && r.status === 'queued'),
    running: first((r) => r.kind === 'op' && r.status === 'running'),
    volume: first(msg('preparing the volume')),
    starting: first(msg('starting the container')),
    waiting: first(msg('waiting for the database')),
    dbRunning: first((r) => r.kind === 'db' && r.status === 'running'),
    succeeded: first((r) => r.kind === 'op' && r.status === 'succeeded'),
  };
}

// --------------------------------------------------------------------------------------------------- runs ---

/** The platform's own processes' CPU time so far (in a concurrent batch, shared by all the runs in flight). */
const platformCpuMs = (stack: Stack) => processCpuMs([stack.apiPid, ...stack.workers.map((w) => w.pid)]);

async function rawRun(stack: Stack, image: string, i: number): Promise<{ ms: number; marks: Marks }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-raw-'));
  chmodSync(dir, 0o755); // as the directory driver's volumes (mkdtemp makes 0700, which the postgres user cannot enter)
  const name = `bench-raw-${stack.id}-${i}`;
  const port = PG_PORT_RAW + (i % 50);
  const cpu0 = platformCpuMs(stack);
  const sent = Date.now();
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
  const marks = {
    sent,
    connected: sent + ms,
    'cpu:platform': platformCpuMs(stack) - cpu0,
    ...(await containerMarks(c)),
  };
  await c.remove({ force: true });
  rmSync(dir, { recursive: true, force: true });
  return { ms, marks };
}

/** Placement said no (HTTP 503): the fleet's cap, a result, not a failure. */
class Refused extends Error {}

interface PlatformRun {
  ms: number;
  id: string;
  operationId: string;
  marks: Marks;
}

async function platformRun(stack: Stack, key: string, i: number): Promise<PlatformRun> {
  const cpu0 = platformCpuMs(stack);
  const sent = Date.now();
  const t0 = performance.now();
  const res = await stack.request('POST', '/v1/databases', {
    key,
    body: { name: `bench-${i}`, engine: 'postgresql', plan: PLAN },
  });
  const accepted = sent + (performance.now() - t0);
  // Placement's refusal names the plan (PlacementService); any other 503 is something broken.
  if (res.status === 503 && /^plan "[^"]+": /.test(String(res.body?.message)))
    throw new Refused(`${res.status} ${res.body.message}`);
  if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  // The password exists from the request on; the endpoint accepts connections once the database is up.
  const creds = (await stack.request('GET', `/v1/databases/${res.body.id}/credentials`, { key })).body;
  await waitConnect(pgUri(creds.uri));
  const ms = performance.now() - t0;
  const marks = { sent, accepted, connected: sent + ms, 'cpu:platform': platformCpuMs(stack) - cpu0 };
  return { ms, id: res.body.id, operationId: res.body.operationId, marks };
}

/** After the timing: the operation's end, the platform's and Docker's records of the steps. */
async function probe(stack: Stack, key: string, r: PlatformRun): Promise<void> {
  await stack.waitOperation(key, r.operationId, CONNECT_TIMEOUT_MS);
  const [container] = await stack.containersOf(r.id);
  Object.assign(
    r.marks,
    await traceMarks(stack, r.operationId, r.id),
    container ? await containerMarks(stack.docker.getContainer(container.Id)) : {},
  );
}

async function remove(stack: Stack, key: string, id: string): Promise<void> {
  const del = await stack.request('DELETE', `/v1/databases/${id}`, { key });
  await stack.waitOperation(key, del.body.operationId);
}

// --------------------------------------------------------------------------------------------- capacity ---

type Res = { cpus: number; memoryMb: number; diskGb: number };
const RESOURCES = ['cpus', 'memoryMb', 'diskGb'] as const;
// The settings API's bounds (UpdatePlacementSettingsCommand) and names.
const MAX_RATIO: Res = { cpus: 64, memoryMb: 4, diskGb: 16 };
const SETTING: Record<keyof Res, string> = {
  cpus: 'cpuOvercommit',
  memoryMb: 'memoryOvercommit',
  diskGb: 'diskOvercommit',
};

/**
 * As an operator would before a batch: room for `count` databases of the plan on the active hosts, by raising the
 * overcommit ratios (PUT /admin/v1/placement/settings) as far as needed, never above what the API allows and never
 * below what they are. Returns how many placement should now accept and what it did.
 */
async function ensureCapacity(stack: Stack, key: string, count: number): Promise<{ fits: number; note: string }> {
  const op = stack.operatorKey;
  const plan = (
    (await stack.request('GET', '/v1/plans', { key })).body as (Res & { name: string; storage: string })[]
  ).find((p) => p.name === PLAN);
  if (!plan) throw new Error(`plan ${PLAN} not found`);
  const hosts = ((await stack.request('GET', '/admin/v1/hosts', { key: op })).body as any[]).filter(
    (h) => h.status === 'active' && (plan.storage === 'any' || h.storageDriver === plan.storage),
  );
  if (hosts.length === 0) throw new Error('no active host to place on');
  const before = (await stack.request('GET', '/admin/v1/placement/settings', { key: op })).body.overcommit as Res;
  // Each host holds whole databases: how many fit on one resource at a ratio, and on all of them.
  const fitsOn = (r: keyof Res, ratio: number) =>
    hosts.reduce((n, h) => n + Math.floor((h.capacity[r] * ratio + 1e-9) / plan[r]), 0);
  const fitsWith = (ratio: Res) =>
    hosts.reduce(
      (n, h) => n + Math.min(...RESOURCES.map((r) => Math.floor((h.capacity[r] * ratio[r] + 1e-9) / plan[r]))),
      0,
    );
  const ratio = { ...before };
  for (const r of RESOURCES) {
    const total = hosts.reduce((s, h) => s + h.capacity[r], 0);
    ratio[r] = Math.min(MAX_RATIO[r], Math.max(before[r], Math.ceil(((count * plan[r]) / total) * 100) / 100));
    // Several hosts round down each: a hundredth more until the sum fits (bounded by the API's maximum).
    while (ratio[r] < MAX_RATIO[r] && fitsOn(r, ratio[r]) < count)
      ratio[r] = Math.min(MAX_RATIO[r], Math.round((ratio[r] + 0.01) * 100) / 100);
  }
  const changed = RESOURCES.filter((r) => ratio[r] !== before[r]);
  if (changed.length > 0) {
    const res = await stack.request('PUT', '/admin/v1/placement/settings', {
      key: op,
      body: Object.fromEntries(changed.map((r) => [SETTING[r], ratio[r]])),
    });
    if (res.status !== 200) throw new Error(`placement settings: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const cap = hosts.map((h) => `${h.name} ${h.capacity.cpus} CPUs, ${h.capacity.memoryMb} MB, ${h.capacity.diskGb} GB`);
  const how = changed.length
    ? `overcommit ${changed.map((r) => `${r} ${before[r]}× → ${ratio[r]}×`).join(', ')}`
    : 'overcommit unchanged';
  const fits = fitsWith(ratio);
  return {
    fits,
    note: `capacity: ${cap.join('; ')}; ${how}: room for ${fits} × plan ${PLAN} (${plan.cpus} CPU, ${plan.memoryMb} MB, ${plan.diskGb} GB)`,
  };
}

// ------------------------------------------------------------------------------------------------ report ---

/** A step ends at its mark; it starts where the step before it ended (a missing mark: the step counts 0). */
type Step = { name: string; to: string; raw?: boolean };

/** Along the path request → client connects; `raw`: raw docker has the step too (its path starts at create). */
const STEPS: Step[] = [
  { name: 'API: POST → operation row', to: 'queued' },
  { name: 'API → worker: row → job running', to: 'running' },
  { name: 'worker: lock, load (→ volume)', to: 'volume' },
  { name: 'volume ‖ image, certificate, network', to: 'starting' },
  { name: 'container create (→ Created)', to: 'created', raw: true },
  { name: 'container start (→ StartedAt)', to: 'started', raw: true },
  { name: 'engine: entrypoint chown (→ initdb)', to: 'initdb', raw: true },
  { name: 'engine: initdb, temporary server', to: 'tempUp', raw: true },
  { name: 'engine: database (and role), stop', to: 'initDone', raw: true },
  { name: 'engine: server start (→ ready)', to: 'ready', raw: true },
  { name: 'ready → client connects', to: 'connected', raw: true },
];

/** Off the client's path, or what the path cost elsewhere: [name, value of one run]. */
const EXTRAS: [string, (m: Marks) => number | undefined, boolean][] = [
  ['(beside) POST → 202, the client waits', (m) => diff(m.accepted, m.sent), false],
  ['(after) ready → database running', (m) => diff(m.dbRunning, m.ready), false],
  ['(after) database running → op succeeded', (m) => diff(m.succeeded, m.dbRunning), false],
  ['(cpu) container, CPU-s', (m) => m['cpu:container'], true],
  ['(cpu) container throttled, s', (m) => m['cpu:throttled'], true],
  ['(cpu) API + worker in the run, CPU-s', (m) => m['cpu:platform'], true],
];

function diff(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

/** Each step's duration: its mark, kept in order and within sent → connected, minus where the last one ended. */
function stepDurations(m: Marks): number[] {
  let prev = m.sent!;
  return STEPS.map((s) => {
    const at = Math.min(m.connected!, Math.max(prev, m[s.to] ?? prev));
    const d = at - prev;
    prev = at;
    return d;
  });
}

const sec = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '—');
const share = (ms: number, total: number) => (Number.isFinite(ms) ? `${((100 * ms) / total).toFixed(1)}%` : '—');
const signed = (ms: number) => (Number.isFinite(ms) ? (ms >= 0 ? '+' : '') + sec(ms) : '');
const p50 = (xs: (number | undefined)[]) =>
  pct(
    xs.filter((x): x is number => x !== undefined),
    50,
  );

/**
 * The p50 of each step beside raw docker's, with its share of the p50 total, and Δ: the platform's p50 minus
 * raw's (the extra time, step by step). The steps' p50s need not add up to the total's.
 */
function stepTable(title: string, platform: Marks[], raw: Marks[]): void {
  const total = (m: Marks) => m.connected! - m.sent!;
  const pTotal = pct(platform.map(total), 50);
  const rTotal = pct(raw.map(total), 50);
  const pSteps = platform.map(stepDurations);
  const rSteps = raw.map(stepDurations);
  const hasRaw = raw.length > 0;
  const cols = (name: string, p: number, ps: string, r: string, rs: string, d: string) =>
    `| ${name.padEnd(40)} | ${sec(p).padStart(8)} | ${ps.padStart(6)} | ${r.padStart(5)} | ${rs.padStart(6)} | ${d.padStart(6)} |`;
  console.log(`\n${title}`);
  console.log('| step (p50, seconds)                      | platform |  share |   raw |  share |  Δ p50 |');
  console.log('|------------------------------------------|----------|--------|-------|--------|--------|');
  let own = 0; // the platform's steps raw docker does not have
  let shared = 0; // Δ of the steps both have
  STEPS.forEach((s, i) => {
    const p = pct(
      pSteps.map((d) => d[i]),
      50,
    );
    const r =
      hasRaw && s.raw
        ? pct(
            rSteps.map((d) => d[i]),
            50,
          )
        : NaN;
    const has = Number.isFinite(r);
    if (has) shared += p - r;
    else own += p;
    const delta = hasRaw ? signed(has ? p - r : p) : '';
    console.log(cols(s.name, p, share(p, pTotal), has ? sec(r) : '', has ? share(r, rTotal) : '', delta));
  });
  const d = hasRaw ? signed(pTotal - rTotal) : '';
  console.log(
    cols('total: request → client connects', pTotal, '100%', hasRaw ? sec(rTotal) : '', hasRaw ? '100%' : '', d),
  );
  for (const [name, f, both] of EXTRAS) {
    const p = p50(platform.map(f));
    const r = hasRaw && both ? p50(raw.map(f)) : NaN;
    if (!Number.isFinite(p) && !Number.isFinite(r)) continue;
    const has = Number.isFinite(r);
    console.log(cols(name, p, '', has ? sec(r) : '', '', has ? signed(p - r) : ''));
  }
  if (hasRaw)
    console.log(
      `extra over raw docker at p50: ${signed(pTotal - rTotal)} s; the platform's own steps (API, queue, worker ` +
        `before the container) ${sec(own)} s = ${share(own, rTotal)} of raw; Δ of the docker and engine steps ` +
        `both have ${signed(shared)} s`,
    );
  else console.log('(cpu) API + worker: over the whole batch, all its creations together');
}

// -------------------------------------------------------------------------------------------------- main ---

const CONNECTS = Number(process.env.BENCH_CONNECTS ?? 40);

/** One connection and its first query, in ms. */
async function connectOnce(config: ConstructorParameters<typeof Client>[0]): Promise<number> {
  const t0 = performance.now();
  const c = new Client(config);
  await c.connect();
  await c.query('SELECT 1');
  const ms = performance.now() - t0;
  await c.end();
  return ms;
}

/** A database of the bench's tenant, running, with its credentials. */
async function runningDatabase(stack: Stack, key: string, name: string, tls: 'required' | 'preferred') {
  const res = await stack.request('POST', '/v1/databases', {
    key,
    body: { name, engine: 'postgresql', plan: PLAN, tls },
  });
  if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  const op = await stack.waitOperation(key, res.body.operationId, CONNECT_TIMEOUT_MS);
  if (op.status !== 'succeeded') throw new Error(`create ${name}: ${op.status} ${op.error}`);
  const c = (await stack.request('GET', `/v1/databases/${res.body.id}/credentials`, { key })).body;
  const config = { host: c.host, port: c.port, user: c.username, password: c.password, database: c.database };
  return { id: res.body.id as string, config, ca: c.tls.ca as string };
}

/**
 * TLS beside clear text: connect + first query, CONNECTS of each, alternated so all see the same noise. Clear text
 * (sslmode=disable) and verified TLS on one `preferred` server, so the handshake is the only difference; then verified
 * TLS on a `required` database (the default for new ones, whose pg_hba takes TLS only). "Verified" is node-postgres
 * checking the chain against GET /v1/ca.pem and the server's name, what sslmode=verify-full asks of libpq.
 */
async function tlsConnectTable(stack: Stack, key: string): Promise<void> {
  const preferred = await runningDatabase(stack, key, 'bench-tls-preferred', 'preferred');
  const required = await runningDatabase(stack, key, 'bench-tls-required', 'required');
  const rows: [string, number[]][] = [
    ['clear text (sslmode=disable), preferred', []],
    ['TLS verify-full, same preferred server', []],
    ['TLS verify-full, required (default)', []],
  ];
  for (let i = 0; i < CONNECTS; i++) {
    rows[0][1].push(await connectOnce({ ...preferred.config, ssl: false }));
    rows[1][1].push(await connectOnce({ ...preferred.config, ssl: { ca: preferred.ca, rejectUnauthorized: true } }));
    rows[2][1].push(await connectOnce({ ...required.config, ssl: { ca: required.ca, rejectUnauthorized: true } }));
  }
  await remove(stack, key, preferred.id);
  await remove(stack, key, required.id);
  const ms = (x: number) => x.toFixed(1).padStart(7);
  console.log(`\nConnect + first query, PostgreSQL 15 (${CONNECTS} of each, alternated; ms)`);
  console.log('| what                                     |     p50 |     p95 |');
  console.log('|------------------------------------------|---------|---------|');
  for (const [name, xs] of rows) console.log(`| ${name.padEnd(40)} | ${ms(pct(xs, 50))} | ${ms(pct(xs, 95))} |`);
  const clear = pct(rows[0][1], 50);
  const tls = pct(rows[1][1], 50);
  console.log(
    `TLS handshake + verification, same server: ${tls >= clear ? '+' : ''}${(tls - clear).toFixed(1)} ms at p50 per new connection ` +
      `(x${(tls / clear).toFixed(2)}); nothing per query once connected`,
  );
}

async function main(): Promise<void> {
  const services = servicesEnv();
  const image = `${services.IMAGE_REGISTRY}/library/postgres:15`;
  // The intervals and timeouts an operator runs with, not the tests' short ones (the Stack's defaults): a `du` of
  // every volume every 2 s, meant to make the tests quick, is CPU the databases starting beside it do not get.
  const prod = new WorkerEnv();
  const stack = await new Stack({
    name: 'bench',
    env: {
      JOB_LOCK_MS: String(prod.JOB_LOCK_MS),
      JOB_BACKOFF_MS: String(prod.JOB_BACKOFF_MS),
      VOLUME_USAGE_INTERVAL_MS: String(prod.VOLUME_USAGE_INTERVAL_MS),
      READY_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    },
    worker: { WORKER_CONCURRENCY: String(Math.max(20, CONCURRENT)) },
  }).start();
  try {
    await saveCa(stack.apiUrl);
    await installTrace(stack);
    const { key } = await stack.tenant('bench');
    const capacity = await ensureCapacity(stack, key, CONCURRENT);
    console.log(`[bench] ${capacity.note}`);
    // Warm-up: the image is pulled once and page caches are filled before anything is timed.
    const warm = await platformRun(stack, key, 0);
    await stack.waitOperation(key, warm.operationId, CONNECT_TIMEOUT_MS);
    await remove(stack, key, warm.id);
    await rawRun(stack, image, 0);

    const raw: { ms: number; marks: Marks }[] = [];
    const platform: PlatformRun[] = [];
    for (let i = 1; i <= RUNS; i++) {
      raw.push(await rawRun(stack, image, i));
      const p = await platformRun(stack, key, i);
      await probe(stack, key, p);
      platform.push(p);
      await remove(stack, key, p.id);
      bar(i, RUNS, 'provisioning, platform and raw docker interleaved');
    }

    const t0 = performance.now();
    let done = 0;
    const results = await Promise.allSettled(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        try {
          return await platformRun(stack, key, 100 + i);
        } finally {
          bar(++done, CONCURRENT, `${CONCURRENT} concurrent creations`);
        }
      }),
    );
    const totalConcurrent = performance.now() - t0;
    const ok = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<PlatformRun>).value);
    const reasons = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as Error);
    for (const r of ok) await probe(stack, key, r);
    for (const r of ok) await remove(stack, key, r.id);

    const rawMs = raw.map((r) => r.ms);
    const platformMs = platform.map((r) => r.ms);
    const each = ok.map((r) => r.ms);
    const row = (name: string, xs: number[]) =>
      `| ${name.padEnd(34)} | ${String(xs.length).padStart(4)} | ${sec(pct(xs, 50)).padStart(7)} | ${sec(pct(xs, 95)).padStart(7)} |`;
    console.log('\nProvisioning: request → a PostgreSQL client connects (seconds)');
    console.log('| what                               | runs |     p50 |     p95 |');
    console.log('|------------------------------------|------|---------|---------|');
    console.log(row('raw docker run (baseline)', rawMs));
    console.log(row('platform: POST /v1/databases', platformMs));
    console.log(row(`platform, ${CONCURRENT} at once (each)`, each));
    const ratio50 = pct(platformMs, 50) / pct(rawMs, 50);
    const ratio95 = pct(platformMs, 95) / pct(rawMs, 95);
    console.log(
      `\nratio platform/raw: p50 ${ratio50.toFixed(3)}, p95 ${ratio95.toFixed(3)} (target ≤ 1.15: ${ratio50 <= 1.15 ? 'met' : 'NOT met'})`,
    );

    stepTable(
      `Where the time goes, one at a time (${RUNS} runs each)`,
      platform.map((p) => p.marks),
      raw.map((r) => r.marks),
    );
    if (ok.length > 0)
      stepTable(
        `Where the time goes, ${CONCURRENT} at once (${ok.length} placed)`,
        ok.map((p) => p.marks),
        [],
      );

    const refused = reasons.filter((e) => e instanceof Refused);
    const broken = reasons.filter((e) => !(e instanceof Refused));
    console.log(
      `\n${CONCURRENT} concurrent creations: ${ok.length}/${CONCURRENT} succeeded in ${sec(totalConcurrent)} s total`,
    );
    if (refused.length > 0)
      console.log(
        `  capacity cap: placement accepted ${ok.length} of ${CONCURRENT} (expected room for ${capacity.fits}); refused: ${refused[0].message}`,
      );
    for (const e of broken) console.log(`  failed: ${e.message}`);
    if (broken.length > 0) process.exitCode = 1;

    await tlsConnectTable(stack, key);
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
