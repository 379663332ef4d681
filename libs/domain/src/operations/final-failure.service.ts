import { Injectable } from '@nestjs/common';
import { JobItem, JobName } from '@app/jobs';
import { BackupRunner } from '../backups/backup-runner.service';
import { DatabaseMover } from '../databases/moving/database-mover.service';
import { DatabaseJobOutcome } from '../databases/jobs/database-job-outcome.service';
import { TakeoverService } from '../failover/takeover.service';

type Handler = (data: JobItem['data'], message: string) => Promise<void>;

/**
 * What an operation leaves behind when it ends failed for good, per job: the database, failover, backup or move
 * record is closed so nothing stays busy. Used after the last failed attempt (the worker) and when Bull gave up
 * on a job without its operation being marked (the reconciler).
 */
@Injectable()
export class FinalFailurePolicy {
  // A Record over every JobName: a new job does not compile until it says what its final failure does.
  private readonly handlers: Record<JobName, Handler>;

  constructor(outcome: DatabaseJobOutcome, takeover: TakeoverService, backups: BackupRunner, mover: DatabaseMover) {
    const database =
      (name: JobName): Handler =>
      ({ databaseId }, message) =>
        outcome.markFailed(databaseId, name, message);
    this.handlers = {
      [JobName.CreateDatabase]: database(JobName.CreateDatabase),
      [JobName.DeleteDatabase]: database(JobName.DeleteDatabase),
      [JobName.RestartDatabase]: database(JobName.RestartDatabase),
      [JobName.RotatePassword]: database(JobName.RotatePassword),
      [JobName.ResizeDatabase]: database(JobName.ResizeDatabase),
      [JobName.FailoverDatabase]: ({ operationId, databaseId }, message) =>
        takeover.markFailed(operationId, databaseId, message),
      [JobName.BackupDatabase]: ({ operationId }, message) => backups.markFailed(operationId, message),
      // The database keeps running under the legacy model; the next worker start tries again.
      [JobName.ConvertPrivileges]: database(JobName.ConvertPrivileges),
      // The row keeps the asked list; the next start, restart or retry applies it.
      [JobName.UpdateAllowedCidrs]: database(JobName.UpdateAllowedCidrs),
      [JobName.MoveDatabase]: async ({ operationId, databaseId }, message) => {
        await mover.markFailed(operationId, databaseId);
        await outcome.markFailed(databaseId, JobName.MoveDatabase, message);
      },
    };
  }

  apply(item: JobItem, message: string): Promise<void> {
    return this.handlers[item.name](item.data, message);
  }
}
