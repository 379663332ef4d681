import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { maskSecrets, RoundTrips } from '@app/domain/ports';
import type { CommandExecutor, CommandResult, CommandStream, RunOptions, StreamOptions } from '@app/domain/ports';

/** How much of a streamed program's stderr is kept (its end: where the error usually is). */
export const STDERR_TAIL_BYTES = 64 * 1024;

/**
 * Collects the last `limit` bytes of a stream (stderr of a long-running program), masked at the end. A little
 * more than `limit` is kept until then, so a secret cut at the boundary is still masked whole.
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly keep: number;

  constructor(
    private readonly secrets: string[] = [],
    private readonly limit = STDERR_TAIL_BYTES,
  ) {
    this.keep = limit + Math.max(0, ...secrets.map((s) => Buffer.byteLength(s)));
  }

  push(chunk: Buffer | string): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - this.chunks[0].length >= this.keep) this.size -= this.chunks.shift()!.length;
  }

  text(): string {
    let buf = Buffer.concat(this.chunks);
    if (buf.length > this.keep) buf = buf.subarray(buf.length - this.keep);
    const masked = maskSecrets(buf.toString('utf8'), this.secrets);
    return masked.length > this.limit ? masked.slice(masked.length - this.limit) : masked;
  }
}

/**
 * The host helper this platform ships (ansible/files/dbaas-host-helper), found from this file up to the checkout or
 * package root: the control plane's own machine runs the very version its code speaks, without Ansible. Null when
 * it is not shipped alongside (then the single commands run).
 */
export function packagedHostHelper(): { python: string; path: string } | null {
  packaged ??= findUp(__dirname, join('ansible', 'files', 'dbaas-host-helper'));
  // The distribution's interpreter: a version manager's `python3` on the PATH (pyenv's shim) costs 0.3 s a call.
  python ??= ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p)) ?? 'python3';
  return packaged ? { python, path: packaged } : null;
}
let packaged: string | undefined;
let python: string | undefined;

function findUp(from: string, rel: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
    if (dirname(dir) === dir) return '';
  }
}

/** Runs programs on the control plane's own machine: argv arrays only, no shell, with a timeout. */
export class LocalExecutor implements CommandExecutor {
  readonly hostHelper = packagedHostHelper() ?? undefined;

  /** `env`: the programs' whole environment (none of the control plane's own), for `run`. */
  constructor(private readonly opts: { env?: Record<string, string> } = {}) {}

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    if (argv.length === 0) throw new Error('empty command');
    RoundTrips.note();
    // execa is ESM-only; Node >= 20.19 loads it from CommonJS.
    const { execa } = await import('execa');
    const [file, ...args] = argv;
    const res = await execa(file, args, {
      reject: false,
      shell: false,
      timeout: opts.timeoutMs ?? 60_000,
      input: opts.input,
      stripFinalNewline: true,
      ...(this.opts.env ? { env: this.opts.env, extendEnv: false } : {}),
    });
    if (res.timedOut) throw new Error(`${file} timed out after ${opts.timeoutMs ?? 60_000} ms`);
    return {
      exitCode: res.exitCode ?? -1,
      stdout: String(res.stdout ?? ''),
      stderr: maskSecrets(String(res.stderr ?? ''), opts.secrets),
    };
  }

  /**
   * Starts a program with piped stdio (no shell). Rejects when it cannot be started (not found); afterwards
   * `done` settles once the program exited and its stdout was read to the end (or destroyed).
   */
  async spawn(argv: readonly string[], opts: StreamOptions = {}): Promise<CommandStream> {
    if (argv.length === 0) throw new Error('empty command');
    RoundTrips.note();
    const [file, ...args] = argv;
    const child = spawn(file, args, { shell: false, stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr = new TailBuffer(opts.secrets);
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    // A program that exits before reading all its input makes writes fail (EPIPE): its exit code tells why.
    child.stdin.on('error', () => undefined);
    child.stdout.on('error', () => undefined);
    const done = new Promise<{ exitCode: number; stderr: string }>((resolve) => {
      let startError: Error | undefined;
      child.once('error', (err) => (startError = err));
      // 'close': the process exited and its stdio streams are closed (stdout read to the end, or destroyed).
      child.once('close', (code, signal) => {
        let text = stderr.text();
        if (startError) text = `${text}${text ? '\n' : ''}${maskSecrets(startError.message, opts.secrets)}`;
        if (code === null && signal) text = `${text}${text ? '\n' : ''}${file} killed by ${signal}`;
        resolve({ exitCode: code ?? -1, stderr: text });
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const onSpawn = () => {
          child.off('error', onError);
          resolve();
        };
        const onError = (err: Error) => {
          child.off('spawn', onSpawn);
          reject(err);
        };
        child.once('spawn', onSpawn).once('error', onError);
      });
    } catch (err) {
      child.stdout.destroy();
      await done;
      throw new Error(`${file}: ${maskSecrets((err as Error).message, opts.secrets)}`);
    }
    let killTimer: NodeJS.Timeout | undefined;
    void done.then(() => clearTimeout(killTimer));
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      done,
      kill: () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        // Whatever it had still to say is not wanted: its stdout closing lets `done` settle.
        child.stdout.destroy();
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      },
    };
  }
}
