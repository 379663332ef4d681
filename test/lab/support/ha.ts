import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { NodeSSH } from 'node-ssh';
import { Client } from 'pg';
import { servicesEnv } from '../../support/services';
import { Stack } from '../../support/stack';
import { labEnv, pgTls, resetLab, seedImage, sh, sshTo, tunnel } from './lab';

const run = promisify(execFile);
export const LAB_SH = resolve(__dirname, '../lab.sh');
// The lab stacks' fence-agent allow-list: fence_lab cuts a VM's power (lab.sh kill) and reports it (lab.sh status).
export const LAB_FENCE_AGENTS = resolve(__dirname, '../fence-agents');
/** The DRBD fence-peer handler, as ansible/playbooks/db-host.yml installs it (the same file). */
export const FENCE_HANDLER_SRC = resolve(__dirname, '../../../ansible/files/drbd-fence-peer');
export const FENCE_HANDLER = '/usr/local/lib/dbaas/drbd-fence-peer';
export const FENCE_DIR = '/var/lib/dbaas/drbd-fence';
export const VIP_RANGE = '10.99.0.100-10.99.0.119/24';
export type HostName = 'host1' | 'host2';
export interface Creds {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  tls?: { offered?: boolean; ca?: string; serverName?: string };
}

/**
 * The HA lab as the tests and the failover benchmark use it: a platform stack whose hosts are the lab VMs (SAN
 * storage, a DRBD replication segment, VIPs on eth1, fenced by stopping the VM), and tenants' access to VIPs
 * through the storage VM, which sits on the same private segment and is never killed.
 */
export class HaLab {
  readonly lab = labEnv();
  readonly ssh: Partial<Record<'storage' | HostName, NodeSSH>> = {};
  readonly hostIds: Record<string, string> = {};
  key = '';

  constructor(readonly stack: Stack) {}

  static stack(name: string, worker: Record<string, string> = {}, env: Record<string, string> = {}): Stack {
    return new Stack({
      name,
      env: { LOCAL_HOST: 'false', HA_VIP_RANGE: VIP_RANGE, FENCE_AGENTS_DIR: LAB_FENCE_AGENTS, ...env },
      worker: {
        // Detection as in production (the defaults): the bench measures what operators get.
        // The hosts are killed soon after they are registered or let back in: a grace period of seconds.
        FAILOVER_GRACE_MS: '5000',
        JOB_LOCK_MS: '6000',
        READY_TIMEOUT_MS: '300000',
        ...worker,
      },
    });
  }

  async connect(name: HostName | 'storage'): Promise<NodeSSH> {
    this.ssh[name]?.dispose();
    this.ssh[name] = await sshTo(this.lab.vms[name], this.lab.key);
    return this.ssh[name]!;
  }

  on(name: HostName | 'storage', cmd: string, args: string[] = []) {
    return sh(this.ssh[name]!, cmd, args);
  }

  /** `thinPool`: LUNs are carved thin from this pool of the storage server's VG (created here if missing). */
  async setUp(tenant: string, opts: { thinPool?: { name: string; sizeGb: number } } = {}): Promise<void> {
    for (const vm of Object.values(this.lab.vms)) await this.connect(vm.name);
    await resetLab(this.ssh as Record<string, NodeSSH>);
    // The VM disks outlive runs and may predate the handler (provisioned before it existed): installed here too.
    await Promise.all([this.installFenceHandler('host1'), this.installFenceHandler('host2')]);
    const image = `${servicesEnv().IMAGE_REGISTRY}/library/postgres:15`;
    await Promise.all([
      seedImage(this.lab.vms.host1, this.lab.key, image),
      seedImage(this.lab.vms.host2, this.lab.key, image),
    ]);
    if (opts.thinPool) {
      const { name, sizeGb } = opts.thinPool;
      const has = await this.on('storage', 'lvs', [`san/${name}`]);
      if (has.code !== 0) {
        const made = await this.on('storage', 'lvcreate', ['-y', '-T', `san/${name}`, '-L', `${sizeGb}g`]);
        assert.equal(made.code, 0, made.stderr);
      }
    }
    await this.stack.start();
    const op = { key: this.stack.operatorKey };
    const backend = await this.stack.request('POST', '/admin/v1/storage-backends', {
      ...op,
      body: {
        name: 'lab-san',
        portalAddress: this.lab.vms.storage.ip,
        sshAddress: '127.0.0.1',
        sshPort: this.lab.vms.storage.sshPort,
        sshPrivateKey: this.lab.key,
        volumeGroup: 'san',
        iqnPrefix: 'iqn.2026-11.io.dbaas.lab',
        lunSizeGb: 2,
        ...(opts.thinPool ? { thinPool: opts.thinPool.name } : {}),
      },
    });
    assert.equal(backend.status, 201, JSON.stringify(backend.body));
    for (const name of ['host1', 'host2'] as const) {
      const h = await this.stack.request('POST', '/admin/v1/hosts', {
        ...op,
        body: {
          name,
          address: this.lab.vms[name].ip,
          sshAddress: '127.0.0.1',
          sshPort: this.lab.vms[name].sshPort,
          sshPrivateKey: this.lab.key,
          labels: { rack: name === 'host1' ? 'r1' : 'r2' },
          capacity: { cpus: 2, memoryMb: 2048, diskGb: 3 },
          storageDriver: 'san-lvm',
          storageBackendId: backend.body.id,
          dataRoot: '/var/lib/dbaas/volumes',
          replicationAddress: `10.99.1.${name === 'host1' ? 11 : 12}`,
          vipInterface: 'eth1',
          // The lab's power switch: the control plane stops the VM (as IPMI would power a server off), and the
          // fence counts once the agent's status says the VM is off.
          fencing: {
            driver: 'agent',
            agent: 'fence_lab',
            // Agents run with a bare environment: the lab's state directory is told, not inherited.
            params: { plug: name, ...(process.env.DBAAS_LAB_DIR ? { lab_dir: process.env.DBAAS_LAB_DIR } : {}) },
            timeoutSec: 30,
          },
        },
      });
      assert.equal(h.status, 201, JSON.stringify(h.body));
      this.hostIds[name] = h.body.id;
    }
    this.key = (await this.stack.tenant(tenant)).key;
  }

  /** The fence-peer handler from this checkout, written over SSH (no image rebuild), checked executable. */
  async installFenceHandler(name: HostName): Promise<void> {
    const ssh = this.ssh[name]!;
    const r = await ssh.exec(
      'sh',
      [
        '-c',
        'install -d -m 0755 /usr/local/lib/dbaas && install -d -m 0700 "$1" && cat > "$2.new" && ' +
          'chmod 0755 "$2.new" && mv -f "$2.new" "$2" && test -x "$2"',
        'install-fence-handler',
        FENCE_DIR,
        FENCE_HANDLER,
      ],
      { stdin: readFileSync(FENCE_HANDLER_SRC, 'utf8'), stream: 'both' },
    );
    assert.equal(r.code, 0, `fence-peer handler not installed on ${name}: ${r.stderr}`);
  }

  /** The fence-peer markers on a host: name → first line. */
  async fenceMarkers(name: HostName): Promise<Record<string, string>> {
    const r = await this.on(name, 'grep', ['-r', '-H', '-s', '', FENCE_DIR]);
    const out: Record<string, string> = {};
    for (const line of r.stdout.split('\n')) {
      const m = /^\/var\/lib\/dbaas\/drbd-fence\/([^:]+):(.*)$/.exec(line);
      if (m) out[m[1]] = m[2];
    }
    return out;
  }

  /** Every VM running again (a test or a benchmark run may have cut one). */
  async tearDown(): Promise<void> {
    await this.stack.stop();
    for (const name of ['host1', 'host2'] as const) {
      const ok = await this.on(name, 'true').then(
        (r) => r.code === 0,
        () => false,
      );
      if (!ok) await this.bootAgain(name).catch(() => undefined);
    }
    for (const s of Object.values(this.ssh)) s?.dispose();
  }

  async createHa(
    name: string,
    ha: 'drbd' | 'san',
    plan: string,
    extra: { allowedCidrs?: string[] } = {},
  ): Promise<{ db: any; creds: Creds }> {
    const res = await this.stack.request('POST', '/v1/databases', {
      key: this.key,
      body: { name, engine: 'postgresql', plan, ha, ...extra },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const op = await this.stack.waitOperation(this.key, res.body.operationId, 20 * 60_000);
    assert.equal(op.status, 'succeeded', op.error);
    const db = (await this.stack.request('GET', `/v1/databases/${res.body.id}`, { key: this.key })).body;
    const creds = (await this.stack.request('GET', `/v1/databases/${res.body.id}/credentials`, { key: this.key })).body;
    return { db, creds };
  }

  /** A query through the VIP, as a tenant would run it. */
  async viaVip<T>(c: Creds, fn: (pg: Client) => Promise<T>): Promise<T> {
    // A session that dropped while idle would make every tunnel fail: reconnect it first.
    if (!this.ssh.storage?.isConnected()) await this.connect('storage');
    const t = await tunnel(this.ssh.storage!, c.host, c.port);
    const pg = new Client({
      host: '127.0.0.1',
      port: t.port,
      user: c.username,
      password: c.password,
      database: c.database,
      connectionTimeoutMillis: 5000,
      ssl: pgTls(c),
    });
    try {
      await pg.connect();
      return await fn(pg);
    } finally {
      await pg.end().catch(() => undefined);
      t.close();
    }
  }

  /** 1000 rows in ten transactions, each committed synchronously (protocol C: on both disks once acknowledged). */
  write1000(c: Creds, table = 't'): Promise<void> {
    return this.viaVip(c, async (pg) => {
      await pg.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`);
      for (let b = 0; b < 10; b++)
        await pg.query(
          `SET synchronous_commit = on; INSERT INTO ${table} SELECT g, 'row ' || g FROM generate_series(${b * 100 + 1}, ${b * 100 + 100}) g`,
        );
    });
  }

  count(c: Creds, table = 't'): Promise<number> {
    return this.viaVip(c, async (pg) => Number((await pg.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n));
  }

  /** Polls until the database answers through its VIP; makes no API call meanwhile. */
  async waitAnswers(c: Creds, timeoutMs: number, table = 't'): Promise<{ rows: number; at: number }> {
    const t0 = Date.now();
    for (;;) {
      try {
        return { rows: await this.count(c, table), at: Date.now() };
      } catch {
        if (Date.now() - t0 > timeoutMs) throw new Error(`no answer on ${c.host}:${c.port} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async primaryOf(dbId: string): Promise<HostName> {
    const [row] = await this.stack.metadata(
      'SELECT h.name FROM databases d JOIN hosts h ON h.id = d.host_id WHERE d.id = $1',
      [dbId],
    );
    return row.name;
  }

  async failoversOf(dbId: string): Promise<any[]> {
    return (await this.stack.request('GET', `/admin/v1/failovers?databaseId=${dbId}`, { key: this.stack.operatorKey }))
      .body;
  }

  /** Deletes a database, waiting for its operation: the next measurement is its alone. */
  async remove(dbId: string): Promise<void> {
    const res = await this.stack.request('DELETE', `/v1/databases/${dbId}`, { key: this.key });
    if (res.status !== 202) throw new Error(`delete: ${res.status} ${JSON.stringify(res.body)}`);
    await this.stack.waitOperation(this.key, res.body.operationId, 10 * 60_000);
  }

  /** Whether a worker logged the database's container as made on `host` ahead of its storage (a takeover). */
  madeAhead(dbId: string, host: HostName, how?: 'created' | 'present'): boolean {
    // Every worker's log, restarted ones included: <stack>-<id>-worker-N.log.
    const first = this.stack.logFile('worker-0');
    const prefix = basename(first).replace(/-0\.log$/, '');
    const line = `database ${dbId}: container made ahead on ${host} ${how ? `(${how})` : ''}`;
    return readdirSync(dirname(first))
      .filter((f) => f.startsWith(prefix))
      .some((f) => readFileSync(join(dirname(first), f), 'utf8').includes(line));
  }

  /** The state of the database's container on `host` ('created' for a standby), or null when there is none. */
  async containerState(dbId: string, host: HostName): Promise<string | null> {
    const r = await this.on(host, 'docker', ['inspect', '-f', '{{.State.Status}}', `dbaas-${dbId}`]);
    return r.code === 0 ? r.stdout.trim() : null;
  }

  /** The state of the database's network holder on `host` ('running' ahead on a standby), or null. */
  async holderState(dbId: string, host: HostName): Promise<string | null> {
    const r = await this.on(host, 'docker', ['inspect', '-f', '{{.State.Status}}', `dbaas-${dbId}-net`]);
    return r.code === 0 ? r.stdout.trim() : null;
  }

  /** Whether the database's container on `host` runs in its holder's network namespace (no network of its own). */
  async joinsHolder(dbId: string, host: HostName): Promise<boolean> {
    const [db, holder] = await Promise.all([
      this.on(host, 'docker', ['inspect', '-f', '{{.HostConfig.NetworkMode}}', `dbaas-${dbId}`]),
      this.on(host, 'docker', ['inspect', '-f', '{{.Id}}', `dbaas-${dbId}-net`]),
    ]);
    return db.code === 0 && holder.code === 0 && db.stdout.trim() === `container:${holder.stdout.trim()}`;
  }

  /**
   * Waits for the standby a takeover onto `host` will find: the container created there, never started, and its
   * network's holder running (the takeover's start then sets no network up).
   */
  async waitStandby(dbId: string, host: HostName, timeoutMs = 180_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const [state, holder] = await Promise.all([this.containerState(dbId, host), this.holderState(dbId, host)]);
      if (state === 'created' && holder === 'running' && (await this.joinsHolder(dbId, host))) return;
      if (state === 'running') throw new Error(`the standby of ${dbId} on ${host} is running`);
      if (Date.now() - t0 > timeoutMs)
        throw new Error(
          `no standby of ${dbId} on ${host} after ${timeoutMs / 1000} s (container ${state}, holder ${holder})`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async mirrorState(dbId: string): Promise<string | null> {
    return (await this.stack.metadata('SELECT mirror_state FROM volumes WHERE database_id = $1', [dbId]))[0]
      .mirror_state;
  }

  powerCut(name: HostName) {
    return run('bash', [LAB_SH, 'kill', name]);
  }

  async bootAgain(name: HostName): Promise<void> {
    await run('bash', [LAB_SH, 'start', name], { timeout: 5 * 60_000 });
    await this.connect(name);
  }

  /** Boots a fenced host and lets it back in; its DRBD copies rejoin as secondaries and resync. */
  async restore(name: HostName): Promise<any> {
    await this.bootAgain(name);
    const act = await this.stack.request('POST', `/admin/v1/hosts/${this.hostIds[name]}/activate`, {
      key: this.stack.operatorKey,
    });
    assert.equal(act.status, 201, JSON.stringify(act.body));
    return act.body;
  }
}

export const otherThan = (h: HostName): HostName => (h === 'host1' ? 'host2' : 'host1');

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
