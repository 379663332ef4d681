import type { CommandExecutor } from '@app/domain/ports';

const ADDRESS = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/;

/**
 * The argv a witness runs to look at a peer: a TCP connection to the peer's SSH port, bounded by `timeout`. The
 * script is a constant; the address and port are its positional arguments ($1, $2), so no value is ever part of a
 * shell string.
 */
export function witnessArgv(address: string, port: number, timeoutMs: number): string[] {
  if (!ADDRESS.test(address)) throw new Error(`not an address: ${JSON.stringify(address).slice(0, 80)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a port: ${port}`);
  const secs = (Math.max(100, timeoutMs) / 1000).toFixed(1); // GNU timeout takes fractions
  return [
    'timeout',
    secs,
    'bash',
    '-c',
    'exec 3<>"/dev/tcp/$1/$2" && head -c 4 <&3',
    'dbaas-witness',
    address,
    String(port),
  ];
}

/**
 * Asks one witness whether any of `targets` is alive. Alive is a kernel that answers: an SSH banner, or a refused
 * connection (a live host whose sshd died may still be writing: it must not be condemned). Dead is silence: no
 * answer within the timeout, or no route to it. Rejects when the witness itself could not be asked (then it is no
 * witness at all, not a vote).
 */
export async function probeFrom(
  exec: CommandExecutor,
  targets: { address: string; port: number }[],
  timeoutMs: number,
): Promise<boolean> {
  const seen = await Promise.all(
    targets.map(async (t) => {
      // The witness's own session gets a little more than the probe: its answer must come back too.
      const res = await exec.run(witnessArgv(t.address, t.port, timeoutMs), { timeoutMs: timeoutMs + 1500 });
      return res.stdout.startsWith('SSH-') || /Connection refused/i.test(res.stderr);
    }),
  );
  return seen.some(Boolean);
}
