import { Inject, Injectable } from '@nestjs/common';
import { CommonEnv, ENV, portRange } from '@app/config';
import { adminLogin, ENGINES, tenantLogin } from '../../engines';
import { StandbyService } from '../../failover/standby.service';
import { OperationContext, StepFailed } from '../../operations/operation-context';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  ENGINE_CLIENT,
  EngineClient,
  HOST_CONNECTOR,
  HostConnector,
  SECRET_BOX,
  SecretSealer,
  type ContainerRuntime,
  type ContainerSpec,
} from '../../ports';
import { settleAll } from '../../shared/settle';
import { VolumeSeeder } from '../../volumes/volume-seeder.service';
import { containerName } from '../runtime/container-spec';
import { DatabaseRuntime, Loaded } from '../runtime/database-runtime.service';
import { PORT_TRIES, takenPort } from '../runtime/host-port';
import { DatabaseAccounts } from './database-accounts.service';
import { DatabaseJobOutcome } from './database-job-outcome.service';

/**
 * The create-database job (clones and restores too: a database with an origin): its volume (seeded from the source
 * or the backup before the engine first starts), its container on a free port, readiness, the tenant's account and
 * the limits. Each step reconciles what it finds, so running it twice converges on the same single container.
 */
@Injectable()
export class CreateDatabaseJob {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(ENGINE_CLIENT) private readonly clients: EngineClient,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(ENV) private readonly env: CommonEnv,
    private readonly dbRuntime: DatabaseRuntime,
    private readonly seeder: VolumeSeeder,
    private readonly accounts: DatabaseAccounts,
    private readonly outcome: DatabaseJobOutcome,
    private readonly standby: StandbyService,
  ) {}

  async run(databaseId: string, op: OperationContext): Promise<void> {
    let l = await this.dbRuntime.loadLive(databaseId);
    const loadSource = (id: string) => this.dbRuntime.loadLive(id, ['running']);
    // A clone the storage makes itself (a thin LUN snapshot) exists before the volume is mounted: then reload,
    // the volume now names its LUN.
    const byStorage = await this.seeder.seedFromStorage(l, op, loadSource);
    if (byStorage.done) l = await this.dbRuntime.loadLive(databaseId);
    // A restore checks its archive before anything is made on the host: an altered one is refused for good.
    if (l.db.origin?.kind === 'backup') await this.seeder.verifyBackup(l, op);
    await op.progress(byStorage.done ? 50 : 5, 'preparing the volume, the image and the network');
    // What does not need the volume (image, certificate, tenant network, VIP) is made while the volume is: all of it
    // settles before anything goes on, so a retry never runs beside a step of this attempt.
    const [hostPath] = await settleAll([
      (async () => {
        const path = await this.dbRuntime.ensureVolume(l);
        // A clone or a restore: the data goes in before the engine first starts, so it never initialises an empty one.
        if (l.db.origin) await this.seeder.seed(l, path, op, loadSource, byStorage.refused);
        return path;
      })(),
      // A copy reports its own progress meanwhile: a pull's percentages would interleave with it.
      this.dbRuntime.readyAhead(
        l,
        l.db.origin ? undefined : (pct, msg) => op.progress(15 + pct * 0.4, `fetching the image: ${msg}`),
      ),
      this.dbRuntime.ensureVip(l.db, l.host),
    ]);
    const runtime = await this.connector.runtime(l.host);
    const spec = await this.dbRuntime.spec(l, hostPath, (m) => op.progress(10, m));
    await this.dbRuntime.assertLive(databaseId);
    await op.progress(60, 'starting the container');
    l = await this.startOnFreePort(l, runtime, spec, hostPath, op);
    await op.progress(70, 'waiting for the database to accept connections');
    if (l.db.origin) l = await this.adoptCredentials(l);
    await this.dbRuntime.waitReady(l);
    // A new database's tenant account is made by the platform's admin: an owner, never the engine's superuser.
    if (!l.db.origin) await this.accounts.applyOwnerModel(l);
    await this.dbRuntime.applyLimits(l, (m) => op.progress(95, m));
    await this.outcome.finish(
      databaseId,
      'running',
      'database.running',
      `ready on ${l.db.vip ?? l.host.address}:${l.db.port}`,
      op,
    );
    // An HA database is failover-ready once its takeover host holds what a start there needs (never throws).
    if (l.db.ha !== 'none') await this.standby.prepare(databaseId);
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
          return this.dbRuntime.step('container start', () => Promise.reject(err));
        taken.push(port);
        // The container holds the refused binding: it goes, and comes back on the next port.
        await this.dbRuntime.step('container removal', () => runtime.remove(spec.name));
        const next = await this.databases.repickPort(l.db.id, portRange(this.env), taken).catch((e: unknown) => {
          throw new StepFailed(
            'container start',
            `no free port: ${taken.join(', ')} in use on the host by other programs, and no other port left (${e instanceof Error ? e.message : e})`,
            { permanent: true },
          );
        });
        await op.progress(60, `port ${port} is in use on the host by another program: starting on ${next}`);
        l = await this.dbRuntime.loadLive(l.db.id);
        spec = await this.dbRuntime.spec(l, hostPath);
      }
    }
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
    l = await this.accounts.ensureAdminPassword(l);
    // The source's password, sealed, as its data knows it.
    const old = this.secrets.open(origin.credentials);
    const endpoint = await this.dbRuntime.endpointOf(l.db, l.host);
    const deadline = Date.now() + this.dbRuntime.readyTimeoutMs;
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
        await this.dbRuntime.assertStarting(l, restartsBefore ?? 0);
      }
      if (Date.now() > deadline)
        throw new StepFailed(
          'readiness',
          `the copied database did not accept connections within ${Math.round(this.dbRuntime.readyTimeoutMs / 1000)} s (last log line: ${(await this.dbRuntime.lastLogs(l, 1)) || 'none'})`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
    const legacy = l.db.privilegeModel === 'legacy';
    await this.accounts.applyOwnerModel(l, legacy ? [l.ctx.password, old] : undefined);
    if (legacy) await this.databases.update(l.db.id, { privilegeModel: 'owner' });
    return { ...l, db: { ...l.db, privilegeModel: 'owner' }, ctx: { ...l.ctx, privilegeModel: 'owner' } };
  }
}
