export type Tone = 'good' | 'warn' | 'bad' | 'info' | 'muted' | 'fenced';

const TONES: Record<string, Tone> = {
  active: 'good',
  running: 'good',
  succeeded: 'good',
  ok: 'good',
  synced: 'good',
  attached: 'good',
  creating: 'info',
  detached: 'muted',
  draining: 'warn',
  provisioning: 'info',
  'failing-over': 'warn',
  queued: 'info',
  deleting: 'warn',
  syncing: 'warn',
  down: 'bad',
  failed: 'bad',
  error: 'bad',
  degraded: 'bad',
  fenced: 'fenced',
  stopped: 'muted',
  deleted: 'muted',
};

export const toneOf = (status: string): Tone => TONES[status] ?? 'muted';

/** A status as a coloured pill; the word itself is always shown, so colour is never the only cue. */
export function StatusBadge({ status, tone }: { status: string; tone?: Tone }) {
  return <span className={`badge badge-${tone ?? toneOf(status)}`}>{status}</span>;
}

// For operations and failovers "running" means "in progress", not "healthy".
export const progressTone = (status: string): Tone | undefined => (status === 'running' ? 'info' : undefined);
