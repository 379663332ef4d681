import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { Client } from 'pg';
import { servicesEnv } from './services';

const ROOT = resolve(__dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');

export interface StackOptions {
  name: string;
  /** Extra environment for both the API and the worker. */
  env?: Record<string, string>;
  worker?: Record<string, string>;
  /** Start the worker with the stack (default true). */
  startWorker?: boolean;
  /** The umask the API and worker inherit (e.g. '077', as a shell with a restrictive umask would hand down). */
  umask?: string;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

/** Polls `fn` every 200 ms until it returns something truthy (returned), failing the test after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * One isolated copy of the platform for a test file: its own metadata database, Redis key prefix, data root
 * and port range, with the real API and worker processes built in dist/. Only 127.0.0.1 is used.
 */
export class Stack {
  readonly operatorKey = 'op-' + randomBytes(24).toString('hex');
  readonly id = randomBytes(4).toString('hex');
  readonly dataRoot = mkdtempSync(join(tmpdir(), 'dbaas-e2e-'));
  /**
   * The stack's fence-agent allow-list (FENCE_AGENTS_DIR): one agent, `fence_test`, that follows the
   * fence-agents convention (key=value lines on stdin), appends what it was given to `fenceLog` and "powers off"
   * (status exit 2, or 0 when its params say `state=on`: a device that never confirms).
   */
  readonly fenceAgentsDir = mkdtempSync(join(tmpdir(), 'dbaas-fence-agents-'));
  readonly fenceLog = `${this.fenceAgentsDir}.log`;
  readonly docker = new Docker({ socketPath: '/var/run/docker.sock' });
  apiUrl = '';
  workers: ChildProcess[] = [];
  private api?: ChildProcess;
  private replicas: ChildProcess[] = [];
  env: Record<string, string> = {};
  private dbName = '';
  private adminUrl = '';

  constructor(private readonly opts: StackOptions) {}

  /** The API process's pid (benchmarks read its CPU time); undefined before start. */
  get apiPid(): number | undefined {
    return this.api?.pid;
  }

  async start(): Promise<this> {
    const services = servicesEnv();
    this.dbName = `dbaas_e2e_${this.id}`;
    this.adminUrl = services.DATABASE_URL;
    await this.sql(this.adminUrl, `CREATE DATABASE ${this.dbName}`);
    const apiPort = await freePort();
    writeFileSync(
      join(this.fenceAgentsDir, 'fence_test'),
      `#!/bin/bash
input=$(cat)
{ echo "argc=$#"; printf '%s\\n' "$input"; echo --; } >> '${this.fenceLog}'
case $(sed -n 's/^action=//p' <<<"$input") in
  off) exit 0 ;;
  status) grep -qx 'state=on' <<<"$input" && exit 0; exit 2 ;;
  *) exit 1 ;;
esac
`,
      { mode: 0o755 },
    );
    // A port range of its own (derived from the stack id) so parallel stacks never publish the same port.
    // Under the kernel's ephemeral range (32768-60999): a client's outgoing connection never holds one of these.
    const base = 20000 + (parseInt(this.id, 16) % 120) * 100;
    this.env = {
      ...services,
      DATABASE_URL: services.DATABASE_URL.replace(/\/[^/]+$/, `/${this.dbName}`),
      MASTER_KEY: randomBytes(32).toString('base64'),
      QUEUE_PREFIX: `e2e-${this.id}`,
      DATA_ROOT: this.dataRoot,
      PORT_RANGE: `${base}-${base + 99}`,
      API_PORT: String(apiPort),
      API_HOST: '127.0.0.1',
      OPERATOR_BOOTSTRAP_KEY: this.operatorKey,
      JOB_LOCK_MS: '4000',
      JOB_BACKOFF_MS: '500',
      READY_TIMEOUT_MS: '90000',
      VOLUME_USAGE_INTERVAL_MS: '2000',
      FENCE_AGENTS_DIR: this.fenceAgentsDir,
      ...this.opts.env,
    };
    await this.run(['dist/apps/api/main.js', 'migrate']);
    this.api = this.spawn('api', ['dist/apps/api/main.js']);
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    await this.waitHealthy();
    if (this.opts.startWorker !== false) this.startWorker();
    return this;
  }

  /** A second API process on the same metadata and queues, as behind a load balancer; returns its base URL. */
  async startApiReplica(): Promise<string> {
    const port = await freePort();
    const child = this.spawn(`api-${this.replicas.length + 1}`, ['dist/apps/api/main.js'], { API_PORT: String(port) });
    this.replicas.push(child);
    const url = `http://127.0.0.1:${port}`;
    await this.waitHealthy(url, child);
    return url;
  }

  startWorker(extra: Record<string, string> = {}): ChildProcess {
    const w = this.spawn(`worker-${this.workers.length}`, ['dist/apps/worker/main.js'], {
      ...this.opts.worker,
      ...extra,
    });
    this.workers.push(w);
    return w;
  }

  /** A worker run by the quickstart's supervisor (scripts/supervise.sh), restarts counted in `restartsFile`. */
  startSupervisedWorker(restartsFile: string): ChildProcess {
    const w = this.spawn(`worker-supervised-${this.workers.length}`, [], { ...this.opts.worker }, [
      'bash',
      [
        'scripts/supervise.sh',
        '--name',
        'worker',
        '--restarts',
        restartsFile,
        '--',
        process.execPath,
        'dist/apps/worker/main.js',
      ],
    ]);
    this.workers.push(w);
    return w;
  }

  killWorker(w: ChildProcess): void {
    w.kill('SIGKILL');
  }

  async request<T = any>(
    method: string,
    path: string,
    opts: {
      key?: string | null;
      body?: unknown;
      raw?: string;
      headers?: Record<string, string>;
      /** Another API replica's base URL (startApiReplica). */
      apiUrl?: string;
    } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch((opts.apiUrl ?? this.apiUrl) + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics, docs)
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** Creates a tenant with an API key through the admin API. */
  /**
   * Registers an SSH host that is never contacted (port 9, a placeholder key): for placement and failover
   * decisions made from the metadata alone. `body` adds to or overrides the host's fields. Returns the host.
   */
  async registerUnreachableHost(name: string, body: Record<string, unknown>): Promise<any> {
    const res = await this.request('POST', '/admin/v1/hosts', {
      key: this.operatorKey,
      body: {
        name,
        address: '127.0.0.1',
        sshPort: 9,
        sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
        ...body,
      },
    });
    if (res.status !== 201) throw new Error(`host ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async tenant(name: string): Promise<{ id: string; key: string }> {
    const t = await this.request('POST', '/admin/v1/tenants', { key: this.operatorKey, body: { name } });
    if (t.status !== 201) throw new Error(`tenant: ${t.status} ${JSON.stringify(t.body)}`);
    const k = await this.request('POST', `/admin/v1/tenants/${t.body.id}/api-keys`, {
      key: this.operatorKey,
      body: { name: 'test' },
    });
    if (k.status !== 201) throw new Error(`api key: ${k.status} ${JSON.stringify(k.body)}`);
    return { id: t.body.id, key: k.body.key };
  }

  /** Polls an operation until it ends; returns it. */
  async waitOperation(key: string, operationId: string, timeoutMs = 120_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.request('GET', `/v1/operations/${operationId}`, { key });
      if (r.status !== 200) throw new Error(`operation ${operationId}: ${r.status}`);
      if (r.body.status === 'succeeded' || r.body.status === 'failed') return r.body;
      if (Date.now() > deadline)
        throw new Error(`operation ${operationId} still ${r.body.status} (${r.body.progressMessage})`);
      await new Promise((res) => setTimeout(res, 150));
    }
  }

  /** Runs SQL against this stack's metadata database (to assert on what was, or was not, written). */
  async metadata<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.sql(this.env.DATABASE_URL, sql, params);
  }

  async containersOf(databaseId: string): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({ all: true, filters: { label: [`dbaas.database=${databaseId}`] } });
  }

  async stop(): Promise<void> {
    for (const w of this.workers) w.kill('SIGTERM');
    this.api?.kill('SIGTERM');
    for (const r of this.replicas) r.kill('SIGTERM');
    // Remove whatever this stack's databases left behind, even after a failed test.
    try {
      const ids = (await this.metadata<{ id: string }>('SELECT id FROM databases')).map((r) => r.id);
      for (const id of ids) {
        for (const c of await this.containersOf(id))
          await this.docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined);
      }
      // And its tenants' networks (a host has room for a few dozen bridges only by Docker's default pools).
      const tenants = (await this.metadata<{ id: string }>('SELECT id FROM tenants')).map((r) => r.id);
      for (const id of tenants)
        await this.docker
          .getNetwork(`dbaas-t-${id}`)
          .remove()
          .catch(() => undefined);
    } catch {
      // the stack may not have started
    }
    await new Promise((r) => setTimeout(r, 300));
    await this.sql(this.adminUrl, `DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`).catch(() => undefined);
    rmSync(this.dataRoot, { recursive: true, force: true });
    rmSync(this.fenceAgentsDir, { recursive: true, force: true });
    rmSync(this.fenceLog, { force: true });
  }

  /** Where a process's stdout and stderr go (`api`, `worker`, ...): test-artifacts/<stack>-<id>-<label>.log. */
  logFile(label: string): string {
    return join(ARTIFACTS, `${this.opts.name}-${this.id}-${label}.log`);
  }

  private spawn(
    label: string,
    args: string[],
    extra: Record<string, string> = {},
    command?: [string, string[]],
  ): ChildProcess {
    mkdirSync(ARTIFACTS, { recursive: true });
    const log = createWriteStream(this.logFile(label));
    // Through a shell only to hand down a umask, as a caller's shell would; exec keeps the child's pid node's.
    const [cmd, argv] =
      command ??
      (this.opts.umask
        ? ['/bin/sh', ['-c', 'umask "$0" && exec "$@"', this.opts.umask, process.execPath, ...args]]
        : [process.execPath, args]);
    const child = spawn(cmd, argv, {
      cwd: ROOT,
      env: { ...process.env, ...this.env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    return child;
  }

  private run(args: string[]): Promise<void> {
    return new Promise((res, rej) => {
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${args.join(' ')} exited ${code}: ${out}`))));
    });
  }

  private async waitHealthy(url = this.apiUrl, api = this.api): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const r = await fetch(url + '/healthz');
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      if (api?.exitCode !== null && api?.exitCode !== undefined)
        throw new Error(`the API exited (${api.exitCode}); see test-artifacts/`);
      if (Date.now() > deadline) throw new Error('the API did not become healthy in 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async sql<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  }
}
