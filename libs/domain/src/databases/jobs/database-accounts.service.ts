import { Inject, Injectable } from '@nestjs/common';
import { adminLogin, ENGINES } from '../../engines';
import { OperationContext, StepFailed } from '../../operations/operation-context';
import {
  CRYPTOGRAPHY,
  Cryptography,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  ENGINE_CLIENT,
  EngineClient,
  EVENT_REPOSITORY,
  EventRepository,
  SECRET_BOX,
  SecretSealer,
} from '../../ports';
import { DatabaseRuntime, Loaded } from '../runtime/database-runtime.service';

/**
 * The accounts of the owner model, as several jobs set them (create, rotate-password, convert-privileges): the
 * platform's own admin (its password made and sealed once) and the tenant's account that owns its database.
 */
@Injectable()
export class DatabaseAccounts {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(ENGINE_CLIENT) private readonly clients: EngineClient,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(CRYPTOGRAPHY) private readonly crypto: Cryptography,
    private readonly dbRuntime: DatabaseRuntime,
  ) {}

  async recordConverted(l: Loaded, op: OperationContext, notes: string[]): Promise<void> {
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
  async ensureAdminPassword(l: Loaded): Promise<Loaded> {
    if (l.ctx.adminPassword) return l;
    const sealed = this.secrets.seal(this.crypto.generatePassword());
    await this.databases.update(l.db.id, { adminPassword: sealed });
    return { ...l, ctx: { ...l.ctx, adminPassword: this.secrets.open(sealed) } };
  }

  /**
   * Engines whose accounts live in the data: the tenant's account as the owner model wants it, made or changed by
   * the platform's admin. `legacyPasswords`: the data may be of the legacy model (converted first).
   */
  async applyOwnerModel(l: Loaded, legacyPasswords?: string[]): Promise<string[]> {
    const engine = ENGINES[l.db.engine];
    if (engine.rotation !== 'in-database') return [];
    // A legacy database named before the names were reserved: its tenant account cannot become the admin's.
    if ([engine.adminUsername, 'dbaas_migrate'].includes(l.ctx.username))
      throw new StepFailed(
        'accounts',
        `the tenant account is named ${l.ctx.username}, the name of the platform's own account: an operator must rename it first`,
        { permanent: true },
      );
    const endpoint = await this.dbRuntime.endpointOf(l.db, l.host);
    return this.dbRuntime.step('accounts', () =>
      this.clients.applyOwnerModel(l.db.engine, endpoint, {
        admin: adminLogin(engine, l.ctx),
        tenant: { username: l.ctx.username, password: l.ctx.password, dbName: l.ctx.dbName },
        legacyPasswords,
      }),
    );
  }
}
