import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Fixture {
  /** The recorded stdout+stderr, without the trailing `exit=N` line. */
  text: string;
  /** The recorded exit code, or null when the recording has no `exit=N` line. */
  exit: number | null;
}

const DIR = join(__dirname, 'fixtures', 'san');

/** Loads a recorded command output from test/unit/support/fixtures/san and splits off its final `exit=N` line. */
export function fixture(name: string): Fixture {
  const raw = readFileSync(join(DIR, name.endsWith('.txt') ? name : `${name}.txt`), 'utf8');
  const m = raw.match(/(?:^|\n)exit=(\d+)\n?$/);
  if (!m) return { text: raw, exit: null };
  return { text: raw.slice(0, m.index! + (m[0].startsWith('\n') ? 1 : 0)), exit: Number(m[1]) };
}
