import { percent } from '../format';

interface MeterProps {
  /** What is measured, for the accessible name ("cpu", "memory", "volume group vg0"). */
  label: string;
  used: number;
  total: number;
  /** Human text of the numbers, e.g. "3 of 8 CPUs". */
  text: string;
  testId?: string;
}

/** A horizontal bar of used vs total; turns amber then red as it fills. */
export function Meter({ label, used, total, text, testId }: MeterProps) {
  const pct = percent(used, total);
  const over = total > 0 && used > total;
  const level = over || pct >= 90 ? 'bad' : pct >= 75 ? 'warn' : 'good';
  const pctText = total > 0 ? `${Math.round((used / total) * 100)}%` : 'n/a';
  return (
    <div className="meter" data-testid={testId}>
      <div className="meter-head">
        <span className="meter-label">{label}</span>
        <span className="meter-text">
          {text} <span className="muted">({pctText})</span>
        </span>
      </div>
      <div className="meter-track" role="img" aria-label={`${label}: ${text}, ${pctText} used`}>
        <div className={`meter-fill meter-${level}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
