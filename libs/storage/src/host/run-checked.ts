import type { CommandExecutor, CommandResult, RunOptions } from '@app/domain/ports';

export class CommandFailed extends Error {
  constructor(
    readonly argv0: string,
    readonly result: CommandResult,
  ) {
    super(`${argv0} exited with ${result.exitCode}: ${result.stderr.trim().split('\n').pop() ?? ''}`);
  }
}

/** Runs a command and returns its stdout; a non-zero exit not in `ok` is an error naming the program. */
export async function runChecked(
  exec: CommandExecutor,
  argv: string[],
  opts: RunOptions & { ok?: number[] } = {},
): Promise<CommandResult> {
  const res = await exec.run(argv, { timeoutMs: 120_000, ...opts });
  if (res.exitCode !== 0 && !(opts.ok ?? []).includes(res.exitCode)) throw new CommandFailed(argv[0], res);
  return res;
}
