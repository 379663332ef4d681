import type { CommandExecutor } from '@app/domain/ports';

const ADDRESS = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/;

/**
 * The argv a witness runs to look at a peer on each of its addresses at once: a TCP connection to each target,
 * in parallel, all bounded by one `timeout` (GNU timeout signals its whole process group). One process tree per
 * witness, not one per address: under emulation every program started costs a tenth of a second or more. The script
 * is a constant; the addresses and ports are its positional arguments, so no value is ever part of a shell string.
 */
export function witnessArgv(targets: { address: string; port: number }[], timeoutMs: number): string[] {
  if (!targets.length) throw new Error('no address to look at');
  for (const { address, port } of targets) {
    if (!ADDRESS.test(address)) throw new Error(`not an address: ${JSON.stringify(address).slice(0, 80)}`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a port: ${port}`);
  }
  const secs = (Math.max(100, timeoutMs) / 1000).toFixed(1); // GNU timeout takes fractions
  return [
    'timeout',
    secs,
    'bash',
    '-c',
    'while [ $# -ge 2 ]; do (exec 3<>"/dev/tcp/$1/$2" && echo "open $1") & shift 2; done; wait',
    'dbaas-witness',
    ...targets.flatMap((t) => [t.address, String(t.port)]),
  ];
}

/**
 * Asks one witness whether any of `targets` is alive. Alive is a kernel that answers: a TCP connection made (its
 * sshd may be too starved to send a banner in time: the kernel is what counts), or a refused connection (a live host whose sshd died may still be writing: it must not be condemned). Dead is silence: no
 * answer within the timeout, or no route to it. Rejects when the witness itself could not be asked (then it is no
 * witness at all, not a vote).
 */
export async function probeFrom(
  exec: CommandExecutor,
  targets: { address: string; port: number }[],
  timeoutMs: number,
): Promise<boolean> {
  // The witness's own session gets a little more than the probe: its answer must come back too.
  const res = await exec.run(witnessArgv(targets, timeoutMs), { timeoutMs: timeoutMs + 1500 });
  return /^open /m.test(res.stdout) || /Connection refused/i.test(res.stderr);
}
