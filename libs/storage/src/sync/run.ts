import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CommandExecutor, CommandStream } from '@app/domain/ports';

/** How much of a failed program's stderr goes into an error message (its end). */
const ERROR_STDERR_CHARS = 2000;

/** Long enough for `rm -rf` of a big tree or a `mkdir` on a slow host; bulk data goes through `spawn`. */
export const RUN_TIMEOUT_MS = 60 * 60_000;

export function stageError(stage: string, where: string, exitCode: number, stderr: string): Error {
  let text = stderr.trim();
  if (text.length > ERROR_STDERR_CHARS) text = `…${text.slice(text.length - ERROR_STDERR_CHARS)}`;
  return new Error(`fssync: ${stage} failed on ${where} (exit ${exitCode})${text ? `: ${text}` : ''}`);
}

/** Runs a short command (buffered) and throws with its stderr unless it exits 0. */
export async function runChecked(exec: CommandExecutor, argv: string[], stage: string, where: string): Promise<void> {
  const res = await exec.run(argv, { timeoutMs: RUN_TIMEOUT_MS });
  if (res.exitCode !== 0) throw stageError(stage, where, res.exitCode, res.stderr);
}

/**
 * Runs a program with `input` on its stdin and its stdout handed chunk by chunk to `onData` (or discarded):
 * for outputs too big to buffer as one string. Resolves with the exit code; throws if it cannot start.
 */
export async function runStreaming(
  exec: CommandExecutor,
  argv: string[],
  opts: { input?: Buffer; onData?: (chunk: Buffer) => void },
): Promise<{ exitCode: number; stderr: string }> {
  const p = await exec.spawn(argv);
  let parseError: unknown;
  p.stdout.on('data', (chunk: Buffer) => {
    if (parseError !== undefined || !opts.onData) return;
    try {
      opts.onData(chunk);
    } catch (err) {
      parseError = err;
      p.kill();
    }
  });
  p.stdin.on('error', () => undefined);
  p.stdin.end(opts.input ?? Buffer.alloc(0));
  const res = await p.done;
  if (parseError !== undefined) throw parseError;
  return res;
}

/** Counts the bytes flowing through (progress). */
export class ByteCounter extends Transform {
  bytes = 0;
  constructor(private readonly onBytes?: (total: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    try {
      this.onBytes?.(this.bytes);
    } catch {
      // progress reporting never breaks the transfer
    }
    cb(null, chunk);
  }
}

interface Side {
  /** For error messages: what ran where ("tar -c on src"). */
  stage: string;
  where: string;
}

/**
 * Streams `from` → counter → `to`, where either end may be a program started on a host. When one side fails
 * (non-zero exit, stream error) the others are stopped; everything is awaited, and the first failure — the
 * cause, not the kills it led to — is thrown.
 */
export async function pump(opts: {
  from: Readable | (CommandStream & Side);
  to: Writable | (CommandStream & Side);
  counter: ByteCounter;
  /** Bytes to write to the source program's stdin (its file list), if it is a program. */
  input?: Buffer;
}): Promise<void> {
  const { from, to, counter } = opts;
  const fromCmd = isCommand(from) ? from : undefined;
  const toCmd = isCommand(to) ? to : undefined;
  // The first failure seen, and the program failures: a broken pipe is usually the effect of the reader
  // failing (its exit code and stderr say why), so a program's own error (exit > 0) wins over a stream error.
  let cause: { err: Error; fromProgram: boolean } | undefined;
  let programError: Error | undefined;
  let flowDone = false;
  const stopAll = (err: Error, fromProgram = false) => {
    cause ??= { err, fromProgram };
    fromCmd?.kill();
    toCmd?.kill();
    if (!flowDone) counter.destroy(err);
  };

  if (fromCmd) {
    fromCmd.stdin.on('error', () => undefined);
    fromCmd.stdin.end(opts.input ?? Buffer.alloc(0));
  }
  if (toCmd) toCmd.stdout.resume(); // nothing expected, but it must be read for the program to finish

  const source = fromCmd ? fromCmd.stdout : (from as Readable);
  const sink = toCmd ? toCmd.stdin : (to as Writable);
  const flow = pipeline(source, counter, sink).then(
    () => {
      flowDone = true;
    },
    (err: Error) => {
      flowDone = true;
      stopAll(err);
    },
  );
  const watch = async (cmd: (CommandStream & Side) | undefined) => {
    if (!cmd) return;
    const res = await cmd.done;
    if (res.exitCode !== 0) {
      const err = stageError(cmd.stage, cmd.where, res.exitCode, res.stderr);
      if (res.exitCode > 0) programError ??= err;
      stopAll(err, true);
    } else if (cmd === toCmd && !flowDone) {
      // The reader finished without error but data is still pending: never wait on a stream nobody reads.
      setTimeout(() => {
        if (!flowDone) stopAll(new Error(`fssync: ${cmd.stage} on ${cmd.where} exited before reading all its input`));
      }, 2_000).unref();
    }
  };
  await Promise.all([flow, watch(fromCmd), watch(toCmd)]);
  if (cause) throw cause.fromProgram ? cause.err : (programError ?? cause.err);
}

function isCommand(x: unknown): x is CommandStream & Side {
  return typeof x === 'object' && x !== null && 'done' in x && 'kill' in x && 'stage' in x;
}
