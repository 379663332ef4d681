interface ProgressBarProps {
  value: number;
  label: string;
  testId?: string;
}

/** An operation's progress (0-100): a real progressbar for assistive tech, with the number shown. */
export function ProgressBar({ value, label, testId }: ProgressBarProps) {
  const v = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={v}
        aria-valuetext={`${v}%`}
        data-testid={testId}
      >
        <div className="progress-fill" style={{ width: `${v}%` }} />
      </div>
      <span className="progress-num">{v}%</span>
    </div>
  );
}
