import type { OperationView } from '../api/types';
import { bytes } from '../format';
import { ProgressBar } from './ProgressBar';

/** A running operation's bar, message and bulk-copy counters; a finished one's outcome. */
export function OperationProgress({ op }: { op: OperationView }) {
  const t = op.transfer;
  return (
    <div className="op-progress">
      {op.status === 'running' || op.status === 'queued' ? (
        <ProgressBar value={op.progress} label={`${op.type} progress`} testId={`op-progress-${op.id}`} />
      ) : null}
      {op.progressMessage && op.status !== 'succeeded' && <div className="small">{op.progressMessage}</div>}
      {t && (
        <div className="small muted">
          {t.phase}: {bytes(t.bytesDone)} of {bytes(t.bytesTotal)}
          {t.filesTotal > 0 && (
            <>
              {' '}
              · {t.filesDone} of {t.filesTotal} files
            </>
          )}
        </div>
      )}
      {op.error && <div className="op-error">{op.error}</div>}
    </div>
  );
}
