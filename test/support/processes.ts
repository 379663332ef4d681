import { readFileSync } from 'node:fs';

/** A process's command line, NUL-separated; '' once it has exited. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return '';
    throw e;
  }
}

/**
 * The children of `parent` whose command line holds `marker`. A supervisor (scripts/supervise.sh) also forks a
 * `sleep 0.5` every half second: those are skipped, and one that exits while it is read is no error (CI saw ENOENT).
 */
export function childrenRunning(parent: number, marker: string): number[] {
  return readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((pid) => cmdline(pid).includes(marker));
}
