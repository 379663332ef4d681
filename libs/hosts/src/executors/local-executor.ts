import type { CommandExecutor, CommandResult, RunOptions } from '@app/domain/ports';

export function maskSecrets(text: string, secrets: string[] = []): string {
  return secrets.reduce((t, s) => (s ? t.split(s).join('***') : t), text);
}

/** Runs programs on the control plane's own machine: argv arrays only, no shell, with a timeout. */
export class LocalExecutor implements CommandExecutor {
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    if (argv.length === 0) throw new Error('empty command');
    // execa is ESM-only; Node >= 20.19 loads it from CommonJS.
    const { execa } = await import('execa');
    const [file, ...args] = argv;
    const res = await execa(file, args, {
      reject: false,
      shell: false,
      timeout: opts.timeoutMs ?? 60_000,
      input: opts.input,
      stripFinalNewline: true,
    });
    if (res.timedOut) throw new Error(`${file} timed out after ${opts.timeoutMs ?? 60_000} ms`);
    return {
      exitCode: res.exitCode ?? -1,
      stdout: String(res.stdout ?? ''),
      stderr: maskSecrets(String(res.stderr ?? ''), opts.secrets),
    };
  }
}
