import { Inject, Injectable } from '@nestjs/common';
import { ENGINES } from '../../engines';
import { OperationContext } from '../../operations/operation-context';
import {
  CRYPTOGRAPHY,
  Cryptography,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  HOST_CONNECTOR,
  HostConnector,
  OPERATION_REPOSITORY,
  OperationRepository,
  SECRET_BOX,
  SecretSealer,
} from '../../ports';
import { DatabaseRuntime, Loaded } from '../runtime/database-runtime.service';
import { DatabaseAccounts } from './database-accounts.service';
import { DatabaseJobOutcome } from './database-job-outcome.service';

/**
 * The rotate-password job: a new password for the tenant's account, in the data (through the platform's admin) or
 * on a new container's command line (Redis). A legacy database is brought to the owner model on the way.
 */
@Injectable()
export class RotatePasswordJob {
  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(HOST_CONNECTOR) private readonly connector: HostConnector,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(CRYPTOGRAPHY) private readonly crypto: Cryptography,
    private readonly dbRuntime: DatabaseRuntime,
    private readonly accounts: DatabaseAccounts,
    private readonly outcome: DatabaseJobOutcome,
  ) {}

  async run(databaseId: string, op: OperationContext): Promise<void> {
    let l = await this.dbRuntime.loadLive(databaseId);
    // The new password is kept (sealed) on the operation first, so a retry after a crash reuses it.
    const fresh = await this.operations.get(op.operationId);
    let sealed = fresh?.params.newPassword as string | undefined;
    if (!sealed) {
      sealed = this.secrets.seal(this.crypto.generatePassword());
      await this.operations.progress(op.operationId, 10, 'new password generated');
      await this.operations.setParams(op.operationId, { ...(fresh?.params ?? {}), newPassword: sealed });
    }
    const next = this.secrets.open(sealed);
    const engine = ENGINES[l.db.engine];
    // A database still of the legacy model is converted on the way (the change goes through the admin).
    const legacy = l.db.privilegeModel === 'legacy';
    if (legacy) l = await this.accounts.ensureAdminPassword(l);
    const updated: Loaded = { ...l, ctx: { ...l.ctx, password: next, privilegeModel: 'owner' } };
    await op.progress(30, 'changing the password');
    let notes: string[] = [];
    if (engine.rotation === 'in-database') {
      // Idempotent: setting the same password again is harmless; a legacy conversion resumes where it stopped.
      notes = await this.accounts.applyOwnerModel(updated, legacy ? [l.ctx.password, next] : undefined);
      await this.databases.update(l.db.id, { password: sealed });
    } else {
      await this.databases.update(l.db.id, { password: sealed });
      const hostPath = await this.dbRuntime.ensureVolume(updated);
      const runtime = await this.connector.runtime(l.host);
      const spec = await this.dbRuntime.spec(updated, hostPath, (m) => op.progress(40, m));
      await this.dbRuntime.step('container recreate', () => runtime.ensureRunning(spec));
      await op.progress(60, 'waiting for the database to accept connections');
      await this.dbRuntime.waitReady(updated);
      await this.dbRuntime.applyLimits(updated, (m) => op.progress(95, m));
    }
    if (legacy) await this.accounts.recordConverted(l, op, notes);
    await this.operations.setParams(op.operationId, {});
    await this.outcome.finish(databaseId, 'running', 'database.password-rotated', 'password rotated', op);
  }
}
