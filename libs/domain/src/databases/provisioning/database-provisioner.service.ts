import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommonEnv, ENV, portRange, vipRange } from '@app/config';
import { generatePassword } from '@app/security';
import type { DatabaseEntity, HostEntity, PlanEntity, TlsMode, VolumeEntity } from '@app/persistence/entities';
import {
  adminLogin,
  EngineContext,
  ENGINES,
  platformLogin,
  REDIS_TENANT_RULES,
  tenantLogin,
  tlsFiles,
  tlsPaths,
} from '../../engines';
import { PlatformCertificates } from '../../tls/platform-certificates.service';
import { BackupTargets } from '../../backups/backup-target.service';
import { retentionMs } from '../../backups/retention';
import {
  BACKUP_REPOSITORY,
  BackupRepository,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  ENGINE_CLIENT,
  EngineClient,
  EVENT_REPOSITORY,
  EventRepository,
  HOST_CONNECTOR,
  HOST_REPOSITORY,
  HostConnector,
  HostRepository,
  OPERATION_REPOSITORY,
  OperationRepository,
  PLAN_REPOSITORY,
  PlanRepository,
  SECRET_BOX,
  SecretSealer,
  STORAGE_DRIVERS,
  StorageDrivers,
  VOLUME_REPOSITORY,
  VolumeRepository,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerState,
  type EngineEndpoint,
} from '../../ports';
import type { ServerCertificate } from '../../tls/platform-certificates.service';
import {
  buildContainerSpec,
  containerName,
  hasDiskCaps,
  hostPreparation,
  secretsDir,
  secretsRoot,
  tenantNetwork,
} from '../runtime/container-spec';
import { EgressLimiter, EgressStatus, NetnsTarget } from '../runtime/egress-limiter';
import { AllowListTarget, IngressAllowList } from '../runtime/ingress-allow-list';
import { prepareHost, removeSecretsCmd, replaceFiles } from '../runtime/host-preparation';
import { volumeBlockDevice } from '../runtime/volume-device';
import { PORT_TRIES, takenPort } from '../runtime/host-port';
import { isPermanentCause, OperationCancelled, OperationContext, StepFailed } from '../../operations/operation-context';
import { VolumeSeeder } from '../../volumes/volume-seeder.service';

/** The running container's outbound policy could not be applied in full: which part failed, and why. */
export class EgressNotApplied extends Error {
  constructor(readonly failures: { part: 'filter' | 'rate'; message: string }[]) {
    super(failures.map((f) => `${f.part === 'filter' ? 'outbound filter' : 'egress rate'}: ${f.message}`).join('; '));
  }
}

export interface Loaded {
  db: DatabaseEntity;
  host: HostEntity;
  plan: PlanEntity;
  volume: VolumeEntity;
  ctx: EngineContext;
}

/**
 * The bodies of the database jobs. Each one reconciles what it finds (a volume or container that already
 * exists, a password already changed), so running it twice converges on the same single container.
 */
@Injectable()
export class DatabaseProvisioner {
  private readonly logger = new Logger(DatabaseProvisioner.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(PLAN_REPOSITORY) private readonly plans: PlanRepository,
    @Inject(VOLUME_REPOSITORY) private readonly volumes: VolumeRepository,
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(STORAGE_DRIVERS) private readonly storage: StorageDrivers,
    @Inject(ENGINE_CLIENT) private readonly clients: EngineClient,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(ENV) private readonly env: CommonEnv & { READY_TIMEOUT_MS?: number },
    @Inject(BACKUP_REPOSITORY) private readonly backups: BackupRepository,
    private readonly targets: BackupTargets,
    private readonly seeder: VolumeSeeder,
    private readonly certificates: PlatformCertificates,
  ) {}

  private get readyTimeoutMs(): number {
    return this.env.READY_TIMEOUT_MS ?? 180_000;
  }

  async create(databaseId: string, op: OperationContext): Promise<void> {
    let l = await this.loadLive(databaseId);
    const loadSource = (id: string) => this.loadLive(id, ['running']);
    // A clone the storage makes itself (a thin LUN snapshot) exists before the volume is mounted: then reload,
    // the volume now names its LUN.
    const byStorage = await this.seeder.seedFromStorage(l, op, loadSource);
    if (byStorage.done) l = await this.loadLive(databaseId);
    // A restore checks its archive before anything is made on the host: an altered one is refused for good.
    if (l.db.origin?.kind === 'backup') await this.seeder.verifyBackup(l, op);
    await op.progress(byStorage.done ? 50 : 5, 'preparing the volume');
    const hostPath = await this.ensureVolume(l);
    // A clone or a restore: the data goes in before the engine first starts, so it never initialises an empty one.
    if (l.db.origin) await this.seeder.seed(l, hostPath, op, loadSource, byStorage.refused);
    const runtime = await this.connector.runtime(l.host);
    const spec = await this.spec(l, hostPath, (m) => op.progress(10, m));
    await this.ensureVip(l.db, l.host);
    await op.progress(15, 'fetching the image');
    await this.step('image pull', () =>
      runtime.ensureImage(spec.image, (pct, msg) => op.progress(15 + pct * 0.4, `fetching the image: ${msg}`)),
    );
    await this.assertLive(databaseId);
    await op.progress(60, 'starting the container');
    l = await this.startOnFreePort(l, runtime, spec, hostPath, op);
    await op.progress(70, 'waiting for the database to accept connections');
    if (l.db.origin) l = await this.adoptCredentials(l);
    await this.waitReady(l);
    // A new database's tenant account is made by the platform's admin: an owner, never the engine's superuser.
    if (!l.db.origin) await this.applyOwnerModel(l);
    await this.applyLimits(l, (m) => op.progress(95, m));
    await this.finish(
      databaseId,
      'running',
      'database.running',
      `ready on ${l.db.vip ?? l.host.address}:${l.db.port}`,
      op,
    );
  }

  /**
   * A new database's first start: a port that another program holds on the host (the metadata knows only our
   * databases) is given up for another, as the tenant has not seen it yet. Returns the database as it started.
   */
  private async startOnFreePort(
    l: Loaded,
    runtime: ContainerRuntime,
    spec: ContainerSpec,
    hostPath: string,
    op: OperationContext,
  ): Promise<Loaded> {
    const taken: number[] = [];
    for (;;) {
      try {
        await runtime.ensureRunning(spec);
        return l;
      } catch (err) {
        const port = takenPort(err);
        if (port === null || port !== l.db.port || taken.length >= PORT_TRIES)
          return this.step('container start', () => Promise.reject(err));
        taken.push(port);
        // The container holds the refused binding: it goes, and comes back on the next port.
        await this.step('container removal', () => runtime.remove(spec.name));
        const next = await this.databases.repickPort(l.db.id, portRange(this.env), taken).catch((e: unknown) => {
          throw new StepFailed(
            'container start',
            `no free port: ${taken.join(', ')} in use on the host by other programs, and no other port left (${e instanceof Error ? e.message : e})`,
            { permanent: true },
          );
        });
        await op.progress(60, `port ${port} is in use on the host by another program: starting on ${next}`);
        l = await this.loadLive(l.db.id);
        spec = await this.spec(l, hostPath);
      }
    }
  }

  async delete(databaseId: string, op: OperationContext): Promise<void> {
    const db = await this.databases.get(databaseId);
    if (!db || db.status === 'deleted') return;
    const host = db.hostId ? await this.hosts.get(db.hostId) : null;
    if (host) {
      await op.progress(10, 'removing the container');
      const runtime = await this.connector.runtime(host);
      await this.step('container removal', () => runtime.remove(containerName(db.id)));
      await this.cleanUpHost(host, db);
      if (db.vip)
        await this.step('VIP removal', async () => (await this.connector.vips(host)).remove(db.vip!, this.vipPrefix()));
      const volume = await this.volumes.forDatabase(db.id);
      if (volume && !volume.deletedAt) {
        await op.progress(50, 'removing the volume');
        await this.step('volume removal', () => this.storage.get(volume.driver).remove(host, volume));
        await this.volumes.update(volume.id, { deletedAt: new Date() });
      }
    }
    await this.databases.markDeleted(db.id);
    const keepBackups = (await this.operations.get(op.operationId))?.params.keepBackups !== false;
    await this.retireBackups(db, keepBackups);
    await this.events.record({
      type: 'database.deleted',
      message: `container, volume and secrets removed; backups ${keepBackups ? 'kept for the retention period' : 'deleted'}`,
      tenantId: db.tenantId,
      databaseId: db.id,
      operationId: op.operationId,
    });
  }

  /**
   * What a database leaves on a host besides its container and volume, once its container is gone from there
   * (deleted, or moved away): its password files, and its tenant's network when no other container uses it.
   */
  async cleanUpHost(host: HostEntity, db: DatabaseEntity): Promise<void> {
    await this.removeAllowList(host, db.id);
    await this.step('password files removal', async () => {
      const res = await (
        await this.connector.executor(host)
      ).run(removeSecretsCmd(secretsDir(host, db.id)), {
        timeoutMs: 60_000,
      });
      if (res.exitCode !== 0) throw new Error(`rm exited with ${res.exitCode}: ${res.stderr.split('\n')[0]}`);
    });
    await this.step('network removal', async () =>
      (await this.connector.runtime(host)).removeNetwork(tenantNetwork(db.tenantId)),
    );
  }

  /** A deleted database's backups expire after its plan's retention period, or go at once when asked. */
  private async retireBackups(db: DatabaseEntity, keep: boolean): Promise<void> {
    if (keep) {
      const plan = await this.plans.get(db.planId);
      const ms = retentionMs(plan?.backupDaily ?? 7, plan?.backupWeekly ?? 4);
      await this.backups.expireForDatabase(db.id, new Date(Date.now() + ms));
      return;
    }
    // A purge confirmed by the database's name at the API (see purgeRefusal), recorded backup by backup.
    for (const b of await this.backups.list({ databaseId: db.id, limit: 10_000 })) {
      if (b.status === 'running' || b.status === 'pending') await this.backups.update(b.id, { status: 'failed' });
      await this.step('backup removal', () => this.targets.remove(b));
      await this.backups.markDeleted(b.id);
      await this.events.record({
        type: 'backup.purged',
        message: `backup ${b.id} of "${db.name}" purged with its database, confirmed by name`,
        tenantId: db.tenantId,
        databaseId: db.id,
      });
    }
  }

  async restart(databaseId: string, op: OperationContext): Promise<void> {
    // A change of TLS mode (PUT /v1/databases/:id/tls) is recorded here, under the database's lock: the container's
    // definition changes with it, so it is replaced on the same volume below.
    const tls = (await this.operations.get(op.operationId))?.params.tls as TlsMode | undefined;
    let l = await this.loadLive(databaseId);
    if (tls && tls !== l.db.tls) {
      await this.databases.update(databaseId, { tls });
      l = await this.loadLive(databaseId);
      await op.progress(5, `TLS ${tls}`);
    }
    const runtime = await this.connector.runtime(l.host);
    // A restart of an unchanged container does not go through the spec's preparation: the list is applied here.
    await op.progress(5, 'applying the IP allow-list');
    await this.applyAllowList(l.host, l.db);
    await op.progress(10, 'restarting the container');
    const state = await runtime.inspect(containerName(l.db.id));
    if (state) {
      // Through the container's definition of now: one made before a change of it (its sandbox, its network, the
      // image's user) is replaced on the same volume instead; an unchanged one is restarted.
      const spec = await this.spec(l, l.volume.path ?? (await this.ensureVolume(l)), (m) => op.progress(10, m));
      const started = await this.step('container start', () => runtime.ensureRunning(spec));
      if (!started.created) await this.step('container restart', () => runtime.restart(containerName(l.db.id)));
    } else {
      // Lost container (host rebuilt, manual removal): recreate it on the same volume.
      const hostPath = await this.ensureVolume(l);
      await this.ensureVip(l.db, l.host);
      const spec = await this.spec(l, hostPath, (m) => op.progress(10, m));
      await this.step('container start', () => runtime.ensureRunning(spec));
    }
    await op.progress(50, 'waiting for the database to accept connections');
    await this.waitReady(l);
    // A restarted container has a new network namespace, without the shaping.
    await this.applyLimits(l, (m) => op.progress(95, m));
    await this.finish(databaseId, 'running', 'database.restarted', 'restarted', op);
  }

  async rotatePassword(databaseId: string, op: OperationContext): Promise<void> {
    let l = await this.loadLive(databaseId);
    // The new password is kept (sealed) on the operation first, so a retry after a crash reuses it.
    const fresh = await this.operations.get(op.operationId);
    let sealed = fresh?.params.newPassword as string | undefined;
    if (!sealed) {
      sealed = this.secrets.seal(generatePassword());
      await this.operations.progress(op.operationId, 10, 'new password generated');
      await this.operations.setParams(op.operationId, { ...(fresh?.params ?? {}), newPassword: sealed });
    }
    const next = this.secrets.open(sealed);
    const engine = ENGINES[l.db.engine];
    // A database still of the legacy model is converted on the way (the change goes through the admin).
    const legacy = l.db.privilegeModel === 'legacy';
    if (legacy) l = await this.ensureAdminPassword(l);
    const updated: Loaded = { ...l, ctx: { ...l.ctx, password: next, privilegeModel: 'owner' } };
    await op.progress(30, 'changing the password');
    let notes: string[] = [];
    if (engine.rotation === 'in-database') {
      // Idempotent: setting the same password again is harmless; a legacy conversion resumes where it stopped.
      notes = await this.applyOwnerModel(updated, legacy ? [l.ctx.password, next] : undefined);
      await this.databases.update(l.db.id, { password: sealed });
    } else {
      await this.databases.update(l.db.id, { password: sealed });
      const hostPath = await this.ensureVolume(updated);
      const runtime = await this.connector.runtime(l.host);
      const spec = await this.spec(updated, hostPath, (m) => op.progress(40, m));
      await this.step('container recreate', () => runtime.ensureRunning(spec));
      await op.progress(60, 'waiting for the database to accept connections');
      await this.waitReady(updated);
      await this.applyLimits(updated, (m) => op.progress(95, m));
    }
    if (legacy) await this.recordConverted(l, op, notes);
    await this.operations.setParams(op.operationId, {});
    await this.finish(databaseId, 'running', 'database.password-rotated', 'password rotated', op);
  }

  /**
   * The reconciling job for a database made under the legacy model (the tenant's account is the engine's
   * superuser, or Redis's only password): the platform gets its own admin account (a new password, sealed), the
   * tenant's account keeps its name, password and data but only owns its database. Idempotent.
   */
  async convertPrivileges(databaseId: string, op: OperationContext): Promise<void> {
    let l = await this.loadLive(databaseId, ['running']);
    if (l.db.privilegeModel === 'owner') return op.progress(100, 'already of the owner model');
    l = await this.ensureAdminPassword(l);
    const engine = ENGINES[l.db.engine];
    const owner: Loaded = { ...l, ctx: { ...l.ctx, privilegeModel: 'owner' } };
    let notes: string[];
    await op.progress(20, 'creating the admin account and demoting the tenant account');
    if (engine.rotation === 'in-database') {
      notes = await this.applyOwnerModel(owner, [l.ctx.password]);
    } else {
      // Redis's users are on its command line: a new container on the same volume (a restart of a few seconds).
      const hostPath = await this.ensureVolume(owner);
      const runtime = await this.connector.runtime(l.host);
      const spec = await this.spec(owner, hostPath, (m) => op.progress(30, m));
      await this.step('container recreate', () => runtime.ensureRunning(spec));
      await op.progress(60, 'waiting for the database to accept connections');
      await this.waitReady(owner);
      await this.applyLimits(owner, (m) => op.progress(95, m));
      notes = [`users: default (the tenant, without the admin commands) and ${engine.adminUsername}`];
    }
    await this.recordConverted(l, op, notes);
    await op.progress(100, 'converted to the owner model');
  }

  private async recordConverted(l: Loaded, op: OperationContext, notes: string[]): Promise<void> {
    await this.databases.update(l.db.id, { privilegeModel: 'owner' });
    await this.events.record({
      type: 'database.privileges-converted',
      message:
        `the tenant account ${l.db.username} owns its database and is no superuser; the platform has its own admin${notes.length ? `: ${notes.join('; ')}` : ''}`.slice(
          0,
          4000,
        ),
      tenantId: l.db.tenantId,
      databaseId: l.db.id,
      operationId: op.operationId,
    });
  }

  /** A legacy database has no admin password yet: one is made and sealed before anything uses it (retries reuse it). */
  private async ensureAdminPassword(l: Loaded): Promise<Loaded> {
    if (l.ctx.adminPassword) return l;
    const sealed = this.secrets.seal(generatePassword());
    await this.databases.update(l.db.id, { adminPassword: sealed });
    return { ...l, ctx: { ...l.ctx, adminPassword: this.secrets.open(sealed) } };
  }

  /**
   * Engines whose accounts live in the data: the tenant's account as the owner model wants it, made or changed by
   * the platform's admin. `legacyPasswords`: the data may be of the legacy model (converted first).
   */
  private async applyOwnerModel(l: Loaded, legacyPasswords?: string[]): Promise<string[]> {
    const engine = ENGINES[l.db.engine];
    if (engine.rotation !== 'in-database') return [];
    // A legacy database named before the names were reserved: its tenant account cannot become the admin's.
    if ([engine.adminUsername, 'dbaas_migrate'].includes(l.ctx.username))
      throw new StepFailed(
        'accounts',
        `the tenant account is named ${l.ctx.username}, the name of the platform's own account: an operator must rename it first`,
        { permanent: true },
      );
    const endpoint = await this.endpointOf(l.db, l.host);
    return this.step('accounts', () =>
      this.clients.applyOwnerModel(l.db.engine, endpoint, {
        admin: adminLogin(engine, l.ctx),
        tenant: { username: l.ctx.username, password: l.ctx.password, dbName: l.ctx.dbName },
        legacyPasswords,
      }),
    );
  }

  async resize(databaseId: string, planId: string, op: OperationContext): Promise<void> {
    const l = await this.loadLive(databaseId);
    const plan = await this.plans.get(planId);
    if (!plan) throw new StepFailed('resize', 'the plan no longer exists', { permanent: true });
    const runtime = await this.connector.runtime(l.host);
    await op.progress(30, `applying plan ${plan.name}`);
    const next = { ...l, plan };
    const spec = await this.spec(next, l.volume.path ?? (await this.ensureVolume(l)), (m) => op.progress(30, m));
    const applied = await this.step('resource update', () =>
      runtime.updateResources(containerName(l.db.id), { cpus: plan.cpus, memoryMb: plan.memoryMb, io: spec.io }),
    );
    if (applied === 'recreate') {
      // Disk caps are set only when the engine creates a container: a restart on the same volume.
      await op.progress(40, 'new disk caps: recreating the container');
      await this.step('container recreate', () => runtime.ensureRunning(spec));
      await this.waitReady(next);
    }
    await this.applyLimits(next, (m) => op.progress(50, m));
    const driver = this.storage.get(l.volume.driver);
    if (plan.diskGb > l.volume.sizeGb && driver.grow) {
      // Online: the filesystem grows under the running database.
      await op.progress(60, `growing the volume to ${plan.diskGb} GB`);
      await this.step('volume grow', () => driver.grow!(l.host, l.volume, plan.diskGb));
    }
    await this.databases.update(l.db.id, { planId: plan.id });
    await this.volumes.update(l.volume.id, { sizeGb: plan.diskGb });
    await this.finish(databaseId, 'running', 'database.resized', `now on plan ${plan.name}`, op);
  }

  /**
   * The copied data holds the source's accounts and passwords: the new database's own tenant password replaces the
   * source's there (engines whose accounts live in the data), through the admin (the source's, copied with the
   * data). Data of the legacy model (a source or backup from before it) is converted on the way. Idempotent: done
   * when the new password already works. Returns the database as the owner model has it.
   */
  private async adoptCredentials(l: Loaded): Promise<Loaded> {
    const engine = ENGINES[l.db.engine];
    const origin = l.db.origin;
    if (engine.rotation !== 'in-database' || !origin) return l;
    l = await this.ensureAdminPassword(l);
    // The source's password, sealed, as its data knows it.
    const old = this.secrets.open(origin.credentials);
    const endpoint = await this.endpointOf(l.db, l.host);
    const deadline = Date.now() + this.readyTimeoutMs;
    const restartsBefore = (await (await this.connector.runtime(l.host)).inspect(containerName(l.db.id)))?.restartCount;
    let nextLook = Date.now() + 1000;
    const answers = (login: ReturnType<typeof tenantLogin>) =>
      this.clients.ping(l.db.engine, endpoint, login).then(
        () => true,
        () => false,
      );
    const logins = [adminLogin(engine, l.ctx), tenantLogin(l.ctx), tenantLogin(l.ctx, old)];
    for (;;) {
      let any = false;
      for (const login of logins) if ((any = await answers(login))) break;
      if (any) break;
      if (Date.now() >= nextLook) {
        nextLook = Date.now() + 1000;
        await this.assertStarting(l, restartsBefore ?? 0);
      }
      if (Date.now() > deadline)
        throw new StepFailed(
          'readiness',
          `the copied database did not accept connections within ${Math.round(this.readyTimeoutMs / 1000)} s (last log line: ${(await this.lastLogs(l, 1)) || 'none'})`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
    const legacy = l.db.privilegeModel === 'legacy';
    await this.applyOwnerModel(l, legacy ? [l.ctx.password, old] : undefined);
    if (legacy) await this.databases.update(l.db.id, { privilegeModel: 'owner' });
    return { ...l, db: { ...l.db, privilegeModel: 'owner' }, ctx: { ...l.ctx, privilegeModel: 'owner' } };
  }

  /** What the database becomes when its operation has no retries left. */
  async markFailed(databaseId: string, type: string, message: string): Promise<void> {
    const db = await this.databases.get(databaseId);
    if (!db || db.status === 'deleted') return;
    if (['create-database', 'delete-database', 'restart-database'].includes(type)) {
      await this.databases.update(databaseId, { status: 'error' });
    }
    await this.events.record({
      type: 'operation.failed',
      message: `${type}: ${message}`,
      tenantId: db.tenantId,
      databaseId,
    });
  }

  private async finish(databaseId: string, status: 'running', type: string, message: string, op: OperationContext) {
    const db = await this.assertLive(databaseId);
    await this.databases.update(databaseId, { status });
    await this.events.record({
      type,
      message,
      tenantId: db.tenantId,
      databaseId,
      operationId: op.operationId,
    });
    await op.progress(100, message);
  }

  /**
   * The container for `l` on `l.host` with its plan's limits. The volume's disk is looked up on the host only when
   * the plan caps disk throughput; not finding one never fails the database: it runs without the caps.
   */
  async spec(l: Loaded, hostPath: string, note?: (message: string) => unknown): Promise<ContainerSpec> {
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
    const spec = buildContainerSpec({
      db: l.db,
      host: l.host,
      plan: l.plan,
      hostPath,
      ctx: l.ctx,
      registry: this.env.IMAGE_REGISTRY,
      ioDevice,
      tls,
    });
    // Run by the runtime right before it creates or starts the container (never under a running one).
    const prep = hostPreparation({ db: l.db, host: l.host, hostPath, ctx: l.ctx, tls });
    // The allow-list before the container: a start never leaves the port open to everyone for a moment.
    const prepare = async () => {
      await this.step('host preparation', async () => prepareHost(await this.connector.executor(l.host), prep));
      await this.applyAllowList(l.host, l.db);
    };
    return { ...spec, prepare };
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
      await this.shapeEgress(l.host, l.db.id, l.plan.egressMbit, allowsEgress(l.plan));
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
   * Applies the plan's outbound policy to the running container: its outbound connections refused unless
   * `allowEgress`, then its rate (null: not shaped). The filter first, as it is the boundary; either is applied
   * even when the other fails. False when it is not running.
   */
  async shapeEgress(host: HostEntity, databaseId: string, mbit: number | null, allowEgress = false): Promise<boolean> {
    const runtime = await this.connector.runtime(host);
    const limiter = new EgressLimiter(await this.connector.executor(host));
    for (let i = 0; i < 3; i++) {
      const state = await runtime.inspect(containerName(databaseId));
      if (!state?.running) return false;
      const target = netnsOf(state);
      const failures: EgressNotApplied['failures'] = [];
      await limiter
        .guard(target, allowEgress)
        .catch((e: Error) => failures.push({ part: 'filter', message: e.message }));
      await limiter.apply(target, mbit).catch((e: Error) => failures.push({ part: 'rate', message: e.message }));
      // Restarted in between (restart policy): that is another namespace, to filter and shape again.
      const now = await runtime.inspect(containerName(databaseId));
      if (now?.pid === state.pid && now.netns === state.netns) {
        if (failures.length) throw new EgressNotApplied(failures);
        return true;
      }
    }
    throw new Error('the container kept restarting');
  }

  /**
   * For a periodic check: whether the running container's outbound connections are filtered and its egress shaped
   * as its plan says, re-applying both when not (the engine restarted the container, or the host rebooted: a new
   * namespace has neither). Null: not running.
   */
  async ensureEgress(host: HostEntity, db: DatabaseEntity): Promise<(EgressStatus & { reapplied: boolean }) | null> {
    const plan = await this.plans.get(db.planId);
    const state = await (await this.connector.runtime(host)).inspect(containerName(db.id));
    if (!plan || !state?.running) return null;
    const limiter = new EgressLimiter(await this.connector.executor(host));
    const guard = await limiter.checkGuard(netnsOf(state), allowsEgress(plan));
    const rate = await limiter.check(netnsOf(state), plan.egressMbit);
    const status = { inPlace: guard.inPlace && rate.inPlace, current: `${rate.current}, ${guard.current}` };
    if (status.inPlace) return { ...status, reapplied: false };
    this.logger.warn(
      `database ${db.id}: egress is ${status.current}, the plan says ${plan.egressMbit ?? 'none'}, outbound ${allowsEgress(plan) ? 'allowed' : 'refused'}`,
    );
    await this.shapeEgress(host, db.id, plan.egressMbit, allowsEgress(plan));
    return { ...status, reapplied: true };
  }

  /** Where the database's port is published on `host`, and who may connect to it. */
  private allowListTarget(host: HostEntity, db: DatabaseEntity): AllowListTarget | null {
    if (!db.port) return null;
    return { databaseId: db.id, address: db.vip ?? host.address, port: db.port, cidrs: db.allowedCidrs ?? [] };
  }

  /**
   * Puts the database's IP allow-list on its host (idempotent: nothing is written when it is there). A list that
   * cannot be applied fails the step: the tenant asked for it, so the database does not run open instead. No list:
   * whatever an earlier list left is removed, and a host where that cannot be read (no iptables) is only logged.
   */
  async applyAllowList(host: HostEntity, db: DatabaseEntity): Promise<boolean> {
    const target = this.allowListTarget(host, db);
    if (!target?.cidrs.length) {
      await this.removeAllowList(host, db.id);
      return false;
    }
    return this.step('IP allow-list', async () =>
      new IngressAllowList(await this.connector.executor(host)).apply(target),
    );
  }

  /** Removes the database's allow-list from `host`; never fails the caller (a leftover is swept later). */
  async removeAllowList(host: HostEntity, databaseId: string): Promise<void> {
    try {
      await new IngressAllowList(await this.connector.executor(host)).remove(databaseId);
    } catch (err) {
      this.logger.warn(`database ${databaseId}: allow-list not removed from ${host.name}: ${(err as Error).message}`);
    }
  }

  /** The job of PUT …/allowed-cidrs: the row's list (the newest asked) on the database's host, no restart. */
  async updateAllowedCidrs(databaseId: string, op: OperationContext): Promise<void> {
    const l = await this.loadLive(databaseId);
    const cidrs = l.db.allowedCidrs ?? [];
    await op.progress(30, `applying the IP allow-list on ${l.host.name}`);
    await this.applyAllowList(l.host, l.db);
    const message = cidrs.length
      ? `reachable only from ${cidrs.join(', ')}`.slice(0, 2000)
      : 'reachable from anywhere (no allow-list)';
    await this.events.record({
      type: 'database.allow-list-updated',
      message,
      tenantId: l.db.tenantId,
      databaseId,
      hostId: l.host.id,
      operationId: op.operationId,
    });
    await op.progress(100, message);
  }

  /**
   * For a periodic check: whether the host still holds the database's allow-list, applying it again when not (a
   * host reboot or a firewall reload empties the table). Null: no list to check.
   */
  async ensureAllowList(host: HostEntity, db: DatabaseEntity): Promise<{ reapplied: boolean } | null> {
    const target = this.allowListTarget(host, db);
    if (!target?.cidrs.length) return null;
    const fw = new IngressAllowList(await this.connector.executor(host));
    if (await fw.check(target)) return { reapplied: false };
    this.logger.warn(`database ${db.id}: its IP allow-list was missing on ${host.name}: applied again`);
    await fw.apply(target);
    return { reapplied: true };
  }

  private async ensureVolume(l: Loaded): Promise<string> {
    const { hostPath } = await this.step('volume', () => this.storage.get(l.volume.driver).ensure(l.host, l.volume));
    if (l.volume.path !== hostPath) await this.volumes.update(l.volume.id, { path: hostPath });
    return hostPath;
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
    // would spend their CPU on asking. 100 ms at first, then a little slower each time, never above 500 ms.
    let pause = 100;
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
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(500, Math.round(pause * 1.5));
    }
  }

  /**
   * The container as it is now; throws (with its last log lines) when it stopped, vanished or restarted since
   * `restartsBefore`, and cancels when the database is being deleted.
   */
  private async assertStarting(l: Loaded, restartsBefore: number, permanent = true): Promise<ContainerState> {
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
  private async lastLogs(l: Loaded, lines: number): Promise<string> {
    try {
      const out = await (await this.connector.runtime(l.host)).logs(containerName(l.db.id), lines);
      return out.map((line) => mask(line, l.ctx).slice(0, 240)).join('\n');
    } catch (err) {
      return `(logs unavailable: ${(err as Error).message.split('\n')[0].slice(0, 120)})`;
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

  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StepFailed || err instanceof OperationCancelled) throw err;
      const port = takenPort(err);
      // Another program took a port the tenant already connects to: retrying does not free it, an operator must.
      if (port !== null)
        throw new StepFailed(name, `port ${port} is in use on the host by another program`, { permanent: true });
      const detail = String((err as { json?: { message?: string } })?.json?.message ?? (err as Error)?.message ?? err)
        .split('\n')[0]
        .slice(0, 200);
      this.logger.warn(`${name}: ${(err as Error)?.stack ?? err}`);
      throw new StepFailed(name, detail, { permanent: isPermanentCause(err) });
    }
  }

  private async assertLive(databaseId: string): Promise<DatabaseEntity> {
    const db = await this.databases.get(databaseId);
    if (!db || db.status === 'deleting' || db.status === 'deleted')
      throw new OperationCancelled('the database is being deleted');
    return db;
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
}

/** `text` without the database's passwords (a log line may echo a connection string or a failed login). */
function mask(text: string, ctx: EngineContext): string {
  let out = text;
  for (const secret of [ctx.password, ctx.adminPassword]) if (secret) out = out.split(secret).join('***');
  return out;
}

/** Docker's bind of the namespace when there is one (it cannot name another's later, as a reused pid could). */
/** Plans read from the database always say; a partial plan (tests, old rows in memory) refuses, the safe side. */
function allowsEgress(plan: PlanEntity): boolean {
  return plan.allowEgress === true;
}

/** Whether the database has an allow-list (the control plane's own address may not be in it). */
function guarded(db: DatabaseEntity): boolean {
  return (db.allowedCidrs?.length ?? 0) > 0;
}

function netnsOf(state: ContainerState): NetnsTarget {
  return state.netns ? { netns: state.netns } : { pid: state.pid };
}
