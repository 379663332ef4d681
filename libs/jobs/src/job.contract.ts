/** The typed contract between the API (which enqueues) and the worker (which runs). Payloads carry ids, never entities. */
export enum QueueName {
  Databases = 'databases',
}

export enum JobName {
  CreateDatabase = 'create-database',
  DeleteDatabase = 'delete-database',
  RestartDatabase = 'restart-database',
  RotatePassword = 'rotate-password',
  ResizeDatabase = 'resize-database',
  FailoverDatabase = 'failover-database',
  BackupDatabase = 'backup-database',
  MoveDatabase = 'move-database',
  ConvertPrivileges = 'convert-privileges',
  UpdateAllowedCidrs = 'update-allowed-cidrs',
}

interface DatabaseJobData {
  operationId: string;
  databaseId: string;
}

export type JobItem =
  | { name: JobName.CreateDatabase; data: DatabaseJobData }
  | { name: JobName.DeleteDatabase; data: DatabaseJobData }
  | { name: JobName.RestartDatabase; data: DatabaseJobData }
  | { name: JobName.RotatePassword; data: DatabaseJobData }
  | { name: JobName.ResizeDatabase; data: DatabaseJobData & { planId: string } }
  // The failover record (target, reason, timeline) is found by the operation id.
  | { name: JobName.FailoverDatabase; data: DatabaseJobData }
  // Clones and restores are create-database jobs of a database with an origin; the backup row is found by the
  // operation id; a move's target host is in the operation's params.
  | { name: JobName.BackupDatabase; data: DatabaseJobData }
  | { name: JobName.MoveDatabase; data: DatabaseJobData }
  // A database of the legacy privilege model brought to the owner model (enqueued at worker start).
  | { name: JobName.ConvertPrivileges; data: DatabaseJobData }
  // The list is read from the database's row (the newest asked), not carried by the job.
  | { name: JobName.UpdateAllowedCidrs; data: DatabaseJobData };

export const JOB_QUEUE = Symbol('JOB_QUEUE');

/**
 * Where an operation's job is in Bull: `pending` (waiting, delayed, active, paused: it will run), `failed` (Bull
 * gave up for good: retries spent, stall limit reached), `completed`, `missing` (no such job: never enqueued, or
 * removed), `lost` (its record exists but it is in none of Bull's lists: it will never run).
 */
export type JobStatus =
  { state: 'pending' | 'completed' | 'missing' | 'lost' } | { state: 'failed'; reason: string | null };

export interface JobQueue {
  /** Enqueues a job; its operation id is the Bull jobId, so enqueueing twice runs it once. */
  enqueue(item: JobItem): Promise<void>;
  /** Where Bull holds this operation's job. */
  status(operationId: string): Promise<JobStatus>;
}

/** Redis hash where workers count finished job attempts (`<job>|<result>` → n), read by the API's /metrics. */
export const jobCounterKey = (prefix: string) => `${prefix}:metrics:jobs`;

/**
 * Redis hash where the API and worker processes count their starts (`api`/`worker` → n), read by /metrics: a
 * start after the first is a restart by the supervisor (systemd or scripts/supervise.sh), whichever it is.
 */
export const processStartsKey = (prefix: string) => `${prefix}:metrics:starts`;
