import { Injectable } from '@nestjs/common';
import { JobItem, JobName } from '@app/jobs';
import { BackupRunner } from '../backups/backup-runner.service';
import { ConvertPrivilegesJob } from '../databases/jobs/convert-privileges.job';
import { CreateDatabaseJob } from '../databases/jobs/create-database.job';
import { DatabaseJobOutcome } from '../databases/jobs/database-job-outcome.service';
import { DeleteDatabaseJob } from '../databases/jobs/delete-database.job';
import { ResizeDatabaseJob } from '../databases/jobs/resize-database.job';
import { RestartDatabaseJob } from '../databases/jobs/restart-database.job';
import { RotatePasswordJob } from '../databases/jobs/rotate-password.job';
import { UpdateAllowedCidrsJob } from '../databases/jobs/update-allowed-cidrs.job';
import { DatabaseMover } from '../databases/moving/database-mover.service';
import { TakeoverService } from '../failover/takeover.service';
import { OperationContext } from './operation-context';

/** The payload job `N` carries (ids only; see libs/jobs). */
export type JobData<N extends JobName = JobName> = Extract<JobItem, { name: N }>['data'];

/** One job: its body, and what its operation leaves behind when it ends failed for good. */
export interface JobHandlerEntry<N extends JobName = JobName> {
  run(data: JobData<N>, op: OperationContext): Promise<void>;
  /**
   * Closes the job's records (database, failover, backup, move) so nothing stays busy: after the last failed attempt
   * (the worker) and when Bull gave up on the job without its operation being marked (the reconciler).
   */
  onFinalFailure(data: JobData<N>, message: string): Promise<void>;
}

/** Every job, each with its own payload type: a new JobName does not compile until it has both halves here. */
export type JobEntries = { [N in JobName]: JobHandlerEntry<N> };

/** The one table from a job's name to what runs it and what its final failure does. */
@Injectable()
export class JobTable {
  private readonly entries: JobEntries;

  constructor(
    create: CreateDatabaseJob,
    remove: DeleteDatabaseJob,
    restart: RestartDatabaseJob,
    rotatePassword: RotatePasswordJob,
    resize: ResizeDatabaseJob,
    convertPrivileges: ConvertPrivilegesJob,
    updateAllowedCidrs: UpdateAllowedCidrsJob,
    takeover: TakeoverService,
    backups: BackupRunner,
    mover: DatabaseMover,
    outcome: DatabaseJobOutcome,
  ) {
    // Most jobs fail onto their database: the event, and for some the database's status (see markFailed).
    const database =
      (name: JobName) =>
      ({ databaseId }: JobData, message: string) =>
        outcome.markFailed(databaseId, name, message);
    this.entries = {
      [JobName.CreateDatabase]: {
        run: ({ databaseId }, op) => create.run(databaseId, op),
        onFinalFailure: database(JobName.CreateDatabase),
      },
      [JobName.DeleteDatabase]: {
        run: ({ databaseId }, op) => remove.run(databaseId, op),
        onFinalFailure: database(JobName.DeleteDatabase),
      },
      [JobName.RestartDatabase]: {
        run: ({ databaseId }, op) => restart.run(databaseId, op),
        onFinalFailure: database(JobName.RestartDatabase),
      },
      [JobName.RotatePassword]: {
        run: ({ databaseId }, op) => rotatePassword.run(databaseId, op),
        onFinalFailure: database(JobName.RotatePassword),
      },
      [JobName.ResizeDatabase]: {
        run: ({ databaseId, planId }, op) => resize.run(databaseId, planId, op),
        onFinalFailure: database(JobName.ResizeDatabase),
      },
      [JobName.FailoverDatabase]: {
        run: ({ databaseId }, op) => takeover.run(databaseId, op),
        onFinalFailure: ({ operationId, databaseId }, message) => takeover.markFailed(operationId, databaseId, message),
      },
      [JobName.BackupDatabase]: {
        run: ({ databaseId }, op) => backups.run(databaseId, op),
        onFinalFailure: ({ operationId }, message) => backups.markFailed(operationId, message),
      },
      [JobName.MoveDatabase]: {
        run: ({ databaseId }, op) => mover.run(databaseId, op),
        onFinalFailure: async ({ operationId, databaseId }, message) => {
          await mover.markFailed(operationId, databaseId);
          await outcome.markFailed(databaseId, JobName.MoveDatabase, message);
        },
      },
      // The database keeps running under the legacy model; the next worker start tries again.
      [JobName.ConvertPrivileges]: {
        run: ({ databaseId }, op) => convertPrivileges.run(databaseId, op),
        onFinalFailure: database(JobName.ConvertPrivileges),
      },
      // The row keeps the asked list; the next start, restart or retry applies it.
      [JobName.UpdateAllowedCidrs]: {
        run: ({ databaseId }, op) => updateAllowedCidrs.run(databaseId, op),
        onFinalFailure: database(JobName.UpdateAllowedCidrs),
      },
    } satisfies JobEntries;
  }

  /** The job's body. */
  run(item: JobItem, op: OperationContext): Promise<void> {
    return this.entry(item).run(item.data, op);
  }

  /** What the job's operation leaves behind when it ends failed for good. */
  applyFinalFailure(item: JobItem, message: string): Promise<void> {
    return this.entry(item).onFinalFailure(item.data, message);
  }

  private entry(item: JobItem): JobHandlerEntry {
    // The entry under `item.name` takes `item.data` (JobEntries pairs them); TypeScript cannot follow that pairing.
    const entry = this.entries[item.name] as JobHandlerEntry | undefined;
    // Only a queue shared with another version of the worker can hold a name the table does not know.
    if (!entry) throw new Error(`unknown job ${String(item.name)}`);
    return entry;
  }
}
