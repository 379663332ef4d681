import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommonEnv, ENV, vipRange } from '@app/config';
import type { DatabaseEntity, HostEntity, PlanEntity, TlsMode, VolumeEntity } from '@app/persistence/entities';
import {
  adminLogin,
  EngineContext,
  ENGINES,
  imageRef,
  platformLogin,
  REDIS_TENANT_RULES,
  tlsFiles,
  tlsPaths,
} from '../../engines';
import { OperationCancelled, StepFailed } from '../../operations/operation-context';
import { settleAll } from '../../shared/settle';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  ENGINE_CLIENT,
  EngineClient,
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  PLAN_REPOSITORY,
  PlanRepository,
  SECRET_BOX,
  SecretSealer,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
  type ContainerSpec,
  type ContainerState,
  type EngineEndpoint,
  type ProgressFn,
} from '../../ports';
import { PlatformCertificates, type ServerCertificate } from '../../tls/platform-certificates.service';
import {
  buildContainerSpec,
  containerName,
  hasDiskCaps,
  hostPreparation,
  secretsDir,
  secretsRoot,
  TENANT_LABEL,
  tenantNetwork,
} from './container-spec';
import { prepareHost, removeSecretsCmd, replaceFiles, stageHost } from './host-preparation';
import { allowsEgress, DatabaseNetworkPolicy, EgressNotApplied } from './network-policy.service';
import { runStep } from './step';
import { volumeBlockDevice } from './volume-device';

/** A live database as the jobs work on it: its row, host, plan, volume and opened credentials. */
export interface Loaded {
  db: DatabaseEntity;
  host: HostEntity;
  plan: PlanEntity;
  volume: VolumeEntity;
  ctx: EngineContext;
}

/**
 * The live database on its host, as every job that touches it needs it: loading it (cancelling when it is being
 * deleted), its volume, its container's definition, its VIP, its readiness, the limits and network boundary applied
 * after each start, its certificate, and what it leaves on a host. The job bodies (databases/jobs, the mover, the
 * takeover, backups) are built from these; each step reconciles what it finds.
 */
@Injectable()
export class DatabaseRuntime {
  private readonly logger = new Logger(DatabaseRuntime.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    @Inject(ENGINE_CLIENT) private readonly clients: EngineClient,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(ENV) private readonly env: CommonEnv & { READY_TIMEOUT_MS?: number },
    private readonly certificates: PlatformCertificates,
    private readonly network: DatabaseNetworkPolicy,
  ) {}

  get readyTimeoutMs(): number {
    return this.env.READY_TIMEOUT_MS ?? 180_000;
  }

  /** Loads what a job needs; cancels the operation when the database is gone or being deleted. */
  async loadLive(databaseId: string, requireStatus?: DatabaseEntity['status'][]): Promise<Loaded> {
    const db = await this.databases.get(databaseId);
    if (!db || db.status === 'deleting' || db.status === 'deleted' || !db.hostId) {
      throw new OperationCancelled('the database is being deleted');
    }
    if (requireStatus && !requireStatus.includes(db.status))
      throw new StepFailed('load', `the database is ${db.status}, not ${requireStatus.join(' or ')}`);
    const [host, plan, volume, secrets] = await Promise.all([
      this.hosts.get(db.hostId),
      this.plans.get(db.planId),
      this.volumes.forDatabase(db.id),
      this.databases.getSecrets(db.id),
    ]);
    if (!host || !plan || !volume || !secrets.password)
      throw new StepFailed('load', 'the database record is incomplete', { permanent: true });
    return {
      db,
      host,
      plan,
      volume,
      ctx: {
        username: db.username,
        dbName: db.dbName,
        password: this.secrets.open(secrets.password),
        adminPassword: secrets.adminPassword ? this.secrets.open(secrets.adminPassword) : null,
        privilegeModel: db.privilegeModel,
        tls: db.tls,
      },
    };
  }

  /** The database, unless it is gone or being deleted (then the operation is cancelled). */
  async assertLive(databaseId: string): Promise<DatabaseEntity> {
    const db = await this.databases.get(databaseId);
    if (!db || db.status === 'deleting' || db.status === 'deleted')
      throw new OperationCancelled('the database is being deleted');
    return db;
  }

  /** Runs one named step of a job; its failure is a StepFailed fit to show the tenant (see runStep). */
  step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return runStep(this.logger, name, fn);
  }

  /** The database's volume on its host, made or attached when it is not; its path is recorded. */
  async ensureVolume(l: Loaded): Promise<string> {
    const { hostPath } = await this.step('volume', () => this.storage.get(l.volume.driver).ensure(l.host, l.volume));
    if (l.volume.path !== hostPath) await this.volumes.update(l.volume.id, { path: hostPath });
    return hostPath;
  }

  /**
   * The container for `l` on `l.host` with its plan's limits. The volume's disk is looked up on the host only when
   * the plan caps disk throughput; not finding one never fails the database: it runs without the caps.
   */
  async spec(
    l: Loaded,
    hostPath: string,
    note?: (message: string) => unknown,
    opts: { allowListApplied?: boolean } = {},
  ): Promise<ContainerSpec> {
    let ioDevice: string | null = null;
    if (hasDiskCaps(l.plan)) {
      const found = await volumeBlockDevice(await this.connector.executor(l.host), hostPath).catch((err: Error) => ({
        device: null,
        reason: `the volume's disk could not be looked up (${err.message.split('\n')[0].slice(0, 200)})`,
      }));
      ioDevice = found.device;
      if (found.reason) {
        this.logger.warn(`database ${l.db.id}: disk caps not applied: ${found.reason}`);
        await note?.('disk I/O caps not applied: no block device found under the volume');
      }
    }
    // Its server certificate for the host it starts on (a new one when it moved, or is due).
    const tls = l.ctx.tls ? await this.step('certificate', () => this.certificates.ensure(l.db, l.host)) : undefined;
    const spec = this.definition(l, hostPath, ioDevice, tls);
    // Run by the runtime right before it creates or starts the container (never under a running one).
    const prep = hostPreparation({ db: l.db, host: l.host, hostPath, ctx: l.ctx, tls });
    // The allow-list before the container: a start never leaves the port open to everyone for a moment (unless the
    // caller applied it already: a takeover's container made ahead). Both are on the host before the runtime goes
    // on; neither needs the other.
    const prepare = async () => {
      await settleAll([
        this.step('host preparation', async () => prepareHost(await this.connector.executor(l.host), prep)),
        opts.allowListApplied ? Promise.resolve(false) : this.network.applyAllowList(l.host, l.db),
      ]);
      // The engine reads these files as it starts: the certificate is applied (the renewal round does not push it
      // again, a dozen commands on a host that is busy starting its databases).
      if (tls && !l.db.tlsAppliedAt) await this.databases.update(l.db.id, { tlsAppliedAt: new Date() });
    };
    return { ...spec, prepare };
  }

  private definition(l: Loaded, hostPath: string, ioDevice: string | null, tls?: ServerCertificate): ContainerSpec {
    return buildContainerSpec({
      db: l.db,
      host: l.host,
      plan: l.plan,
      hostPath,
      ctx: l.ctx,
      registry: this.env.IMAGE_REGISTRY,
      ioDevice,
      tls,
    });
  }

  /**
   * What a start on `l.host` needs that does not depend on the volume, ready ahead: the image on the host, the server
   * certificate for it and the tenant's network there. A takeover runs this while the storage is taken over, a
   * creation while the volume is made; `spec` and the start then find them. Every part settles before it returns.
   */
  async readyAhead(l: Loaded, onImageProgress?: ProgressFn): Promise<void> {
    const runtime = await this.connector.runtime(l.host);
    const image = imageRef(ENGINES[l.db.engine], l.db.version, this.env.IMAGE_REGISTRY);
    await settleAll([
      this.step('image pull', () => runtime.ensureImage(image, onImageProgress)),
      l.ctx.tls ? this.step('certificate', () => this.certificates.ensure(l.db, l.host)) : Promise.resolve(),
      this.step('network', () =>
        runtime.ensureNetwork(tenantNetwork(l.db.tenantId), { [TENANT_LABEL]: l.db.tenantId }),
      ),
    ]);
  }

  /**
   * A takeover's container, created on `l.host` while the storage is being taken over (point 3 of a fast failover):
   * its files and a guard under the mount point first (stageHost), then `docker create` bound to `at.hostPath`, where
   * the volume will be. ensureRunning then prepares and starts it once the volume is mounted. Only an optimisation:
   * never throws, and false (the container is made after the storage, as before) when the host's helper cannot
   * stage, or when the plan caps disk throughput (the disk to cap is known only once the volume is mounted).
   */
  async createAhead(
    l: Loaded,
    at: { mount: string; hostPath: string },
    purpose: 'takeover' | 'standby' = 'takeover',
  ): Promise<boolean> {
    if (hasDiskCaps(l.plan)) return false;
    const what = purpose === 'takeover' ? 'container made ahead' : 'standby container';
    try {
      return await this.step(what, async () => {
        const tls = l.ctx.tls ? await this.certificates.ensure(l.db, l.host) : undefined;
        const { secrets } = hostPreparation({ db: l.db, host: l.host, hostPath: at.hostPath, ctx: l.ctx, tls });
        const [staged] = await settleAll([
          stageHost(await this.connector.executor(l.host), at.mount, secrets),
          // Its allow-list is on the host before the start as well, off the path that waits for the storage.
          this.network.applyAllowList(l.host, l.db),
        ]);
        if (!staged) return false;
        const made = await (
          await this.connector.runtime(l.host)
        ).ensureCreated(this.definition(l, at.hostPath, null, tls));
        // Each standby round finds it there: only a new one is news.
        if (purpose === 'takeover' || made === 'created')
          this.logger.log(`database ${l.db.id}: ${what} on ${l.host.name} (${made}), at ${at.hostPath}`);
        return true;
      });
    } catch (err) {
      this.logger.warn(
        purpose === 'takeover'
          ? `database ${l.db.id}: container not made ahead on ${l.host.name}, made once the volume is there: ${(err as Error).message}`
          : `database ${l.db.id}: no standby container on ${l.host.name}: ${(err as Error).message}`,
      );
      return false;
    }
  }

  /** HA databases listen on their VIP: it must be on the host before the container binds to it. */
  async ensureVip(db: DatabaseEntity, host: HostEntity): Promise<void> {
    if (!db.vip) return;
    await this.step('VIP', async () => (await this.connector.vips(host)).add(db.vip!, this.vipPrefix()));
  }

  vipPrefix(): number {
    return vipRange(this.env)?.prefixLen ?? 32;
  }

  /**
   * Where the platform reaches the database: over TLS, verified against the CA for the endpoint's name, when the
   * database refuses clear text; as before otherwise (a container made before TLS may not offer it).
   */
  async endpointOf(db: DatabaseEntity, host: HostEntity): Promise<EngineEndpoint> {
    // An allow-list would refuse the control plane's own address: its checks then go from the host itself.
    const ep = await this.connector.endpoint(host, db.port!, db.vip ?? undefined, { fromHost: guarded(db) });
    if (db.tls !== 'required' || !ENGINES[db.engine].tls.offered('required')) return ep;
    return { ...ep, tls: { ca: await this.certificates.caPem(), serverName: db.vip ?? host.address } };
  }

  /**
   * Waits until the engine accepts connections, watching the container meanwhile: one that exits or restarts (a
   * crash loop) will not become ready by waiting, so the attempt ends within about a second of it with the
   * container's last log lines; a timeout names what was last seen. The crash ends the operation at once unless
   * `retryCrash`: a takeover or a move retries it, since the storage it just attached may still be settling.
   */
  async waitReady(l: Loaded, opts: { retryCrash?: boolean } = {}): Promise<void> {
    const runtime = await this.connector.runtime(l.host);
    const name = containerName(l.db.id);
    const deadline = Date.now() + this.readyTimeoutMs;
    const endpoint = await this.endpointOf(l.db, l.host);
    // The platform's own admin (the legacy model had none in some engines: then the tenant's account).
    const login = platformLogin(ENGINES[l.db.engine], l.ctx);
    let state = await runtime.inspect(name);
    const restartsBefore = state?.restartCount ?? 0;
    let lastError = '';
    let nextLook = Date.now() + 1000;
    // Each refused attempt is a new connection (~1 ms of CPU): many databases starting at once on a small host
    // would spend their CPU on asking. 100 ms at first, then a little slower each time, never above 500 ms; but
    // the engine's log speaks when it becomes ready ("ready to accept connections"): new output asks at once.
    let pause = 100;
    let wake: (() => void) | undefined;
    let spoke = false;
    const stopFollowing = await runtime
      .followLogs(name, () => {
        spoke = true;
        wake?.();
      })
      .catch(() => () => undefined);
    try {
      for (;;) {
        try {
          await this.clients.ping(l.db.engine, endpoint, login);
          return;
        } catch (err) {
          lastError = String((err as Error)?.message ?? err).split('\n')[0];
        }
        if (Date.now() >= nextLook) {
          nextLook = Date.now() + 1000;
          state = await this.assertStarting(l, restartsBefore, !opts.retryCrash);
        }
        if (Date.now() > deadline) {
          const seen = state ? `${state.status}, ${state.restartCount - restartsBefore} restart(s)` : 'missing';
          throw new StepFailed(
            'readiness',
            `the database did not accept connections on port ${endpoint.port} within ${Math.round(this.readyTimeoutMs / 1000)} s ` +
              `(container ${seen}; last connection error: ${mask(lastError, l.ctx).slice(0, 200) || 'none'}; ` +
              `last log line: ${(await this.lastLogs(l, 1)) || 'none'})`,
          );
        }
        // Output since the last attempt: a short breath (its lines come in bursts) and ask again.
        await new Promise<void>((r) => {
          const timer = setTimeout(r, spoke ? 20 : pause);
          wake = () => {
            clearTimeout(timer);
            setTimeout(r, 20);
          };
        });
        wake = undefined;
        spoke = false;
        pause = Math.min(500, Math.round(pause * 1.5));
      }
    } finally {
      stopFollowing();
    }
  }

  /**
   * The container as it is now; throws (with its last log lines) when it stopped, vanished or restarted since
   * `restartsBefore`, and cancels when the database is being deleted.
   */
  async assertStarting(l: Loaded, restartsBefore: number, permanent = true): Promise<ContainerState> {
    await this.assertLive(l.db.id);
    const state = await (await this.connector.runtime(l.host)).inspect(containerName(l.db.id));
    const restarts = (state?.restartCount ?? 0) - restartsBefore;
    if (!state?.running || restarts > 0 || state.status === 'restarting') {
      const what = !state
        ? 'the container is gone'
        : restarts > 0 || state.status === 'restarting'
          ? `the container keeps restarting (${Math.max(restarts, 1)} restart(s) since it started)`
          : `the container stopped (${state.status})`;
      throw new StepFailed('readiness', `${what}; its last log lines:\n${await this.lastLogs(l, 12)}`, {
        permanent,
      });
    }
    return state;
  }

  /** The container's last log lines, each bounded, with the database's secrets masked; never throws. */
  async lastLogs(l: Loaded, lines: number): Promise<string> {
    try {
      const out = await (await this.connector.runtime(l.host)).logs(containerName(l.db.id), lines);
      return out.map((line) => mask(line, l.ctx).slice(0, 240)).join('\n');
    } catch (err) {
      return `(logs unavailable: ${(err as Error).message.split('\n')[0].slice(0, 120)})`;
    }
  }

  /**
   * What the container engine does not do itself, after every start or plan change: in the container's (new)
   * network namespace, refuse its outbound connections unless the plan allows them and shape its egress; and say
   * which limits the engine left out. Never fails the database: what could not be applied is noted, and the
   * periodic ensureEgress applies it again (a database must not go down for a missing iptables; it is logged).
   */
  async applyLimits(l: Loaded, note?: (message: string) => unknown): Promise<void> {
    try {
      const state = await (await this.connector.runtime(l.host)).inspect(containerName(l.db.id));
      if (state?.running && state.ioWeight !== l.plan.ioWeight)
        this.logger.warn(
          `database ${l.db.id}: the container engine applied disk weight ${state.ioWeight || 'none'}, not ${l.plan.ioWeight} (no blkio.weight/io.weight it can use on ${l.host.name})`,
        );
      await this.network.shapeEgress(l.host, l.db.id, l.plan.egressMbit, allowsEgress(l.plan));
    } catch (err) {
      await this.noteEgressFailure(l, err, note);
    }
    // A full volume stays read-only across the starts the platform makes (Redis's ACLs and MariaDB's read_only
    // live in memory only); the quota's own rounds check it too.
    if (l.volume.quotaState === 'read-only') {
      await this.setReadOnly(l, true).catch(async (err: Error) => {
        this.logger.warn(`database ${l.db.id}: read-only (full volume) not applied again: ${err.message}`);
        await note?.('the volume is full but read-only could not be applied again: the next quota check retries');
      });
    }
  }

  /**
   * Puts the engine in or out of read-only (its volume is full) through the platform's admin account, so that the
   * tenant's account cannot undo it. PostgreSQL goes read-only by coming back as a hot standby: a restart, after
   * which the engine is asked again and must say it is. Whether anything changed. Legacy databases are left as they
   * are (the tenant is the engine's superuser there: nothing holds; they are converted at the worker's start).
   */
  async setReadOnly(l: Loaded, readOnly: boolean): Promise<boolean> {
    if (l.db.privilegeModel !== 'owner') return false;
    const engine = ENGINES[l.db.engine];
    const endpoint = await this.endpointOf(l.db, l.host);
    const req = {
      admin: adminLogin(engine, l.ctx),
      tenant: { username: l.ctx.username, password: l.ctx.password, dbName: l.ctx.dbName },
      readOnly,
      tenantRules: l.db.engine === 'redis' ? REDIS_TENANT_RULES : undefined,
    };
    const done = await this.clients.setReadOnly(l.db.engine, endpoint, req);
    if (done !== 'restart') return done === 'changed';
    await (await this.connector.runtime(l.host)).restart(containerName(l.db.id));
    await this.waitReady(l);
    if ((await this.clients.setReadOnly(l.db.engine, endpoint, req)) === 'restart')
      throw new Error('the engine did not come back read-only after its restart');
    return true;
  }

  private async noteEgressFailure(l: Loaded, err: unknown, note?: (message: string) => unknown): Promise<void> {
    this.logger.warn(`database ${l.db.id}: egress not applied: ${(err as Error).message}`);
    const parts = err instanceof EgressNotApplied ? err.failures.map((f) => f.part) : ['filter', 'rate'];
    if (parts.includes('filter'))
      await note?.(
        `outbound connections filter not applied (the plan ${allowsEgress(l.plan) ? 'allows' : 'refuses'} them); see the worker log`,
      );
    if (parts.includes('rate')) await note?.('egress bandwidth limit not applied; see the worker log');
  }

  /**
   * Hands the database's current certificate to its running server: the files replaced on its host (each written
   * beside and renamed over the old one, so the engine never reads half a file), then the engine told to read them
   * again (no restart; open sessions stay). A container made before TLS (no `dbaas.tls` label) only gets the files:
   * it serves them from its next start. Records it applied. False when the container is not running.
   */
  async applyCertificate(l: Loaded, cert: ServerCertificate): Promise<boolean> {
    const runtime = await this.connector.runtime(l.host);
    const state = await runtime.inspect(containerName(l.db.id));
    if (!state?.running || !l.ctx.tls) return false;
    const engine = ENGINES[l.db.engine];
    const { uid, gid } = engine.sandbox;
    await this.step('certificate files', async () =>
      replaceFiles(await this.connector.executor(l.host), {
        root: secretsRoot(l.host),
        dir: secretsDir(l.host, l.db.id),
        uid,
        gid,
        files: tlsFiles(engine, l.ctx.tls!, cert),
      }),
    );
    if (state.labels['dbaas.tls'] && engine.tls.offered(state.labels['dbaas.tls'] as TlsMode)) {
      const endpoint = await this.endpointOf(l.db, l.host);
      await this.step('certificate reload', () =>
        this.clients.reloadTls(l.db.engine, endpoint, platformLogin(engine, l.ctx), tlsPaths(engine)),
      );
    }
    await this.databases.update(l.db.id, { tlsAppliedAt: new Date() });
    return true;
  }

  /**
   * What a database leaves on a host besides its container and volume, once its container is gone from there
   * (deleted, or moved away): its allow-list and password files. Its tenant's network stays for the tenant's next
   * database there (making one costs a start ~0.2 s); unused ones are swept (SweepTenantNetworksUseCase).
   */
  async cleanUpHost(host: HostEntity, db: DatabaseEntity): Promise<void> {
    await this.network.removeAllowList(host, db.id);
    await this.step('password files removal', async () => {
      const res = await (
        await this.connector.executor(host)
      ).run(removeSecretsCmd(secretsDir(host, db.id)), {
        timeoutMs: 60_000,
      });
      if (res.exitCode !== 0) throw new Error(`rm exited with ${res.exitCode}: ${res.stderr.split('\n')[0]}`);
    });
  }

  /** Removes the database's allow-list from `host`; never fails the caller (a leftover is swept later). */
  removeAllowList(host: HostEntity, databaseId: string): Promise<void> {
    return this.network.removeAllowList(host, databaseId);
  }
}

/** `text` without the database's passwords (a log line may echo a connection string or a failed login). */
function mask(text: string, ctx: EngineContext): string {
  let out = text;
  for (const secret of [ctx.password, ctx.adminPassword]) if (secret) out = out.split(secret).join('***');
  return out;
}

/** Whether the database has an allow-list (the control plane's own address may not be in it). */
function guarded(db: DatabaseEntity): boolean {
  return (db.allowedCidrs?.length ?? 0) > 0;
}
