import { execFileSync } from 'node:child_process';

/** The allow-list chains this machine's filter table holds (the e2e tests' host is this machine). */
export const iptablesSave = () => execFileSync('iptables-save', ['-t', 'filter']).toString();

/** The allow-list chains of a database in the machine's filter table, and the DOCKER-USER jumps to them. */
export function rulesOf(
  databaseId: string,
  table = iptablesSave(),
): { chains: string[]; jumps: string[]; rules: string[] } {
  const base = `DBA-${databaseId.replace(/-/g, '').slice(0, 20)}`;
  const lines = table.split('\n');
  return {
    chains: lines.filter((l) => l.startsWith(`:${base}-`)).map((l) => l.slice(1).split(' ')[0]),
    jumps: lines.filter((l) => l.startsWith('-A DOCKER-USER ') && l.includes(`-j ${base}-`)),
    rules: lines.filter((l) => l.startsWith(`-A ${base}-`)),
  };
}

/** Removes every allow-list chain of these databases (teardown: whatever a failed test left). */
export function removeRules(databaseIds: string[]): void {
  for (const id of databaseIds) {
    const { chains, jumps } = rulesOf(id);
    for (const j of jumps) {
      const spec = j.replace(/^-A DOCKER-USER /, '').replace(/--ctorigdst (\S+?) /, '--ctorigdst $1/32 ');
      try {
        execFileSync('iptables', ['-w', '5', '-D', 'DOCKER-USER', ...spec.split(' ')]);
      } catch {
        // already gone
      }
    }
    for (const c of chains) {
      for (const args of [
        ['-F', c],
        ['-X', c],
      ])
        try {
          execFileSync('iptables', ['-w', '5', ...args]);
        } catch {
          // already gone
        }
    }
  }
}
