import type { FailoverView } from '../../api/types';
import { seconds } from '../../format';

type Step = 'fenced' | 'storageMoved' | 'started' | 'reachable';

const STEPS: Array<{ key: Step; label: string }> = [
  { key: 'fenced', label: 'fenced' },
  { key: 'storageMoved', label: 'storage moved' },
  { key: 'started', label: 'started' },
  { key: 'reachable', label: 'reachable' },
];

interface Segment {
  key: Step;
  label: string;
  /** From detection, when reached. */
  at: number | null;
  /** Time since the previous reached step. */
  span: number;
  state: 'done' | 'skipped' | 'pending';
}

function segments(f: FailoverView): Segment[] {
  const d = f.durationsMs;
  const lastReached = Math.max(-1, ...STEPS.map((s, i) => (d[s.key] !== null ? i : -1)));
  let prev = 0;
  return STEPS.map((s, i) => {
    const at = d[s.key];
    if (at !== null) {
      const span = Math.max(0, at - prev);
      prev = at;
      return { ...s, at, span, state: 'done' };
    }
    // A step passed over (a switchover needs no fencing) is not the same as one never reached.
    return { ...s, at: null, span: 0, state: i < lastReached ? 'skipped' : 'pending' };
  });
}

/**
 * Detection → fenced → storage moved → started → reachable, as one horizontal bar: each reached step's segment
 * is as wide as the time it took; steps not reached yet (or never) follow as dashed boxes.
 */
export function FailoverTimeline({ failover: f }: { failover: FailoverView }) {
  const segs = segments(f);
  const done = segs.filter((s) => s.state === 'done');
  const pending = segs.filter((s) => s.state === 'pending');
  const total = done.reduce((sum, s) => sum + s.span, 0);
  const pendingText = f.status === 'running' ? 'waiting' : 'not reached';
  return (
    <div className="timeline" data-testid={`timeline-${f.id}`}>
      <div className="timeline-bar" aria-hidden="true">
        <div className="tl-seg tl-start" title="detected">
          detected
        </div>
        {done.map((s) => (
          <div
            key={s.key}
            className={`tl-seg tl-done tl-${s.key}`}
            style={{ flexGrow: total > 0 ? Math.max(s.span, total * 0.02) : 1 }}
            title={`${s.label}: ${seconds(s.at)} after detection (+${seconds(s.span)})`}
          >
            <span className="tl-label">
              {s.label} <span className="tl-sec">{seconds(s.at)}</span>
            </span>
          </div>
        ))}
        {pending.map((s) => (
          <div key={s.key} className={`tl-seg tl-pending tl-${f.status}`} title={`${s.label}: ${pendingText}`}>
            <span className="tl-label">{s.label}</span>
          </div>
        ))}
      </div>
      <ol className="timeline-steps" aria-label="Failover steps">
        <li>detected at {new Date(f.timeline.detectedAt).toLocaleTimeString(undefined, { hour12: false })}</li>
        {segs.map((s) => (
          <li key={s.key} className={`step-${s.state}`}>
            {s.label}:{' '}
            {s.state === 'done' ? `${seconds(s.at)} after detection` : s.state === 'skipped' ? 'skipped' : pendingText}
          </li>
        ))}
      </ol>
    </div>
  );
}
