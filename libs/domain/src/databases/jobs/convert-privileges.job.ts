import { Inject, Injectable } from '@nestjs/common';
import { ENGINES } from '../../engines';
import { OperationContext } from '../../operations/operation-context';
import { HOST_CONNECTOR, HostConnector } from '../../ports';
import { DatabaseRuntime, Loaded } from '../runtime/database-runtime.service';
import { DatabaseAccounts } from './database-accounts.service';

@Injectable()
export class ConvertPrivilegesJob {
  constructor(
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    private readonly dbRuntime: DatabaseRuntime,
    private readonly accounts: DatabaseAccounts,
  ) {}

  /**
   * The reconciling job for a database made under the legacy model (the tenant's account is the engine's
   * superuser, or Redis's only password): the platform gets its own admin account (a new password, sealed), the
   * tenant's account keeps its name, password and data but only owns its database. Idempotent.
   */
  async run(databaseId: string, op: OperationContext): Promise<void> {
    let l = await this.dbRuntime.loadLive(databaseId, ['running']);
    if (l.db.privilegeModel === 'owner') return op.progress(100, 'already of the owner model');
    l = await this.accounts.ensureAdminPassword(l);
    const engine = ENGINES[l.db.engine];
    const owner: Loaded = { ...l, ctx: { ...l.ctx, privilegeModel: 'owner' } };
    let notes: string[];
    await op.progress(20, 'creating the admin account and demoting the tenant account');
    if (engine.rotation === 'in-database') {
      notes = await this.accounts.applyOwnerModel(owner, [l.ctx.password]);
    } else {
      // Redis's users are on its command line: a new container on the same volume (a restart of a few seconds).
      const hostPath = await this.dbRuntime.ensureVolume(owner);
      const runtime = await this.connector.runtime(l.host);
      const spec = await this.dbRuntime.spec(owner, hostPath, (m) => op.progress(30, m));
      await this.dbRuntime.step('container recreate', () => runtime.ensureRunning(spec));
      await op.progress(60, 'waiting for the database to accept connections');
      await this.dbRuntime.waitReady(owner);
      await this.dbRuntime.applyLimits(owner, (m) => op.progress(95, m));
      notes = [`users: default (the tenant, without the admin commands) and ${engine.adminUsername}`];
    }
    await this.accounts.recordConverted(l, op, notes);
    await op.progress(100, 'converted to the owner model');
  }
}
