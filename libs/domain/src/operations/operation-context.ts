import type { TransferProgress } from '@app/persistence/entities';
import { DomainException } from '../errors';
import { maskSecrets } from '../ports/infrastructure';

/** What a job body is handed: its operation, its attempt, and where it reports progress. */
export interface OperationContext {
  operationId: string;
  attempt: number;
  /** `transfer`: the bytes and files of a bulk copy, shown with the operation while it runs. */
  progress(pct: number, message: string, transfer?: TransferProgress): Promise<void>;
}

/** The job's target went away (e.g. deleted meanwhile): the operation ends without retries. */
export class OperationCancelled extends Error {}

/**
 * A failure of one named step, with a message fit to show the tenant (no raw driver or shell text).
 * `permanent`: trying again cannot succeed (a missing image, a limit the host refuses, a crash at start), so the
 * operation ends at once instead of spending its retries.
 */
export class StepFailed extends Error {
  readonly permanent: boolean;
  constructor(
    readonly step: string,
    readonly detail: string,
    opts: { permanent?: boolean } = {},
  ) {
    super(`${step} failed: ${detail}`);
    this.permanent = opts.permanent ?? false;
  }
}

// What a container engine or registry answers when the request itself is wrong: the same request fails again.
const PERMANENT_CAUSES = [
  /manifest unknown/i,
  /manifest for \S+ not found/i,
  /repository does not exist/i,
  /pull access denied/i,
  /invalid reference format/i,
  /range of cpus is from/i,
  /minimum memory limit allowed is/i,
];

/** Whether a raw error (Docker's, a registry's) says that retrying the same request cannot help. */
export function isPermanentCause(err: unknown): boolean {
  if (err instanceof StepFailed) return err.permanent;
  // Named causes only, not Docker's 400 as such: a bind source that is not there yet (storage still being
  // attached during a takeover) is a 400 too, and a retry mends it.
  const e = err as { json?: { message?: string }; message?: string } | null;
  const text = `${e?.json?.message ?? ''} ${e?.message ?? ''}`;
  return PERMANENT_CAUSES.some((re) => re.test(text));
}

// Long enough for a container's last log lines (a crash at start is told by them), short enough for a row.
const MAX_ERROR = 2000;

export function readableError(err: unknown, secrets: string[] = []): string {
  const msg =
    err instanceof StepFailed || err instanceof DomainException
      ? err.message
      : `internal error (${(err as Error)?.name ?? 'Error'}); see the worker log`;
  return maskSecrets(msg, secrets).slice(0, MAX_ERROR);
}
