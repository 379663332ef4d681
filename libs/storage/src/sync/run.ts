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
  /** Exit codes that are not failures (tar's 1, "some files changed as they were read", on a live source). */
  okExit?: number[];
}

/**
 * Streams `from` → counter → `to`, where either end may be a program started on a host. When one side fails
 * (non-zero exit, stream error) the others are stopped; everything is awaited, and the failure that caused
 * the others (not the broken pipes and kills it led to) is thrown.
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
  const source = fromCmd ? fromCmd.stdout : (from as Readable);
  const sink = toCmd ? toCmd.stdin : (to as Writable);

  // Facts gathered while it runs; who is to blame is decided at the end, from what failed rather than from
  // the order events arrived in (a dead reader shows up as EPIPE or a premature close before its exit code).
  let flowError: Error | undefined;
  let earlyExit: Error | undefined;
  const ours = new WeakSet<Error>();
  // Which stream emitted an error first: pipeline passes the same error on to the other streams.
  const firstSeen = new Map<Error, Readable | Writable>();
  for (const s of [source, sink]) s.on('error', (err: Error) => void (firstSeen.has(err) || firstSeen.set(err, s)));
  const failures = new Map<CommandStream, { err: Error; exitCode: number }>();
  let readerDoneOk = false;
  const settled = new Set<CommandStream>();
  const killed = new Set<CommandStream>();
  let flowDone = false;
  let stopped = false;
  const stopAll = (err?: Error) => {
    if (!flowDone) counter.destroy(err);
    if (stopped) return;
    stopped = true;
    for (const cmd of [fromCmd, toCmd])
      if (cmd && !settled.has(cmd)) {
        killed.add(cmd);
        cmd.kill();
      }
  };

  if (fromCmd) {
    fromCmd.stdin.on('error', () => undefined);
    fromCmd.stdin.end(opts.input ?? Buffer.alloc(0));
  }
  if (toCmd) toCmd.stdout.resume(); // nothing expected, but it must be read for the program to finish

  const flow = pipeline(source, counter, sink).then(
    () => {
      flowDone = true;
    },
    (err: Error) => {
      flowDone = true;
      flowError = err;
      stopAll(err);
    },
  );
  let readerTimer: NodeJS.Timeout | undefined;
  const watch = async (cmd: (CommandStream & Side) | undefined) => {
    if (!cmd) return;
    const res = await cmd.done;
    settled.add(cmd);
    if (res.exitCode !== 0 && !cmd.okExit?.includes(res.exitCode)) {
      const err = stageError(cmd.stage, cmd.where, res.exitCode, res.stderr);
      ours.add(err);
      failures.set(cmd, { err, exitCode: res.exitCode });
      stopAll(err);
    } else if (cmd === toCmd) {
      readerDoneOk = true;
      // The reader finished without error but data is still pending: never wait on a stream nobody reads.
      if (!flowDone)
        readerTimer = setTimeout(() => {
          if (flowDone) return;
          ours.add((earlyExit = readerEarly(cmd)));
          stopAll(earlyExit);
        }, 2_000);
    }
  };
  await Promise.all([flow, watch(fromCmd), watch(toCmd)]);
  clearTimeout(readerTimer);

  // 1. The caller's own stream failed (its source went away, its sink broke): that is the cause.
  for (const [err, stream] of firstSeen) {
    const callers = stream === source ? !fromCmd : !toCmd;
    if (callers && !ours.has(err) && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  }
  const exited = (cmd: CommandStream | undefined) => {
    const f = cmd ? failures.get(cmd) : undefined;
    return f && f.exitCode > 0 ? f.err : undefined;
  };
  const anyFailure = (cmd: CommandStream | undefined) => (cmd ? failures.get(cmd)?.err : undefined);
  // A program we stopped (because something else had failed) is not the cause.
  const died = (cmd: CommandStream | undefined) => (cmd && !killed.has(cmd) ? anyFailure(cmd) : undefined);
  // 2. The flow broke: a reader that exited with an error is why (writing into it failed), else a writer.
  // A reader that exited 0 while data was still coming stopped reading too early.
  if (flowError && readerDoneOk && toCmd) earlyExit ??= readerEarly(toCmd);
  if (flowError) throw exited(toCmd) ?? earlyExit ?? exited(fromCmd) ?? died(toCmd) ?? died(fromCmd) ?? flowError;
  // 3. The stream ended cleanly but a program failed: upstream first (a reader fed a truncated stream fails too).
  const failed = anyFailure(fromCmd) ?? anyFailure(toCmd);
  if (failed) throw failed;
}

function readerEarly(cmd: Side): Error {
  return new Error(`fssync: ${cmd.stage} on ${cmd.where} exited before reading all its input`);
}

function isCommand(x: unknown): x is CommandStream & Side {
  return typeof x === 'object' && x !== null && 'done' in x && 'kill' in x && 'stage' in x;
}
