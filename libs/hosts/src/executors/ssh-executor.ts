import { createServer, Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import type { Client, ClientChannel } from 'ssh2';
import { maskSecrets, RoundTrips } from '@app/domain/ports';
import type { CommandExecutor, CommandResult, CommandStream, RunOptions, StreamOptions } from '@app/domain/ports';
import { HostKeyCheck, hostKeyVerifier } from './host-key';
import { TailBuffer } from './local-executor';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  /** For logs and errors: never the key. */
  label: string;
}

/** How a silent host is detected: no answer to this many keepalives sent this often ends the session. */
export interface SshSessionOptions {
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

/** A call cut off because its SSH session went down (reset, keepalive timeout, host gone): the next call reconnects. */
export class SshSessionLost extends Error {}

/** The address of the forward a ping cancels: none is ever asked for under it. */
const PING_ADDRESS = 'dbaas-ping.invalid';

const SAFE = /^[A-Za-z0-9_/.,:=@%+-]+$/;

/** POSIX single-quoting: inside '…' nothing is special but the quote itself, written '\''. */
function quote(arg: string): string {
  return SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * SSH runs a command line through the remote user's shell, so the argv is quoted argument by argument:
 * input can never become shell syntax, and an empty argument stays an argument ('').
 */
export function sshCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  for (const a of argv) {
    if (typeof a !== 'string') throw new Error('arguments must be strings');
    if (a.includes('\0')) throw new Error('an argument contains a NUL byte');
  }
  return argv.map(quote).join(' ');
}

/** Runs programs on a remote host over one kept-alive SSH connection (reconnected when it drops). */
export class SshExecutor implements CommandExecutor {
  private ssh?: NodeSSH;
  private connecting?: Promise<NodeSSH>;
  /** The last command lines sent, for tests and debugging (bounded). */
  readonly sent: string[] = [];
  /** Why each connection ended ('error' comes before 'close'): the reason calls cut off by it report. */
  private readonly lost = new WeakMap<Client, Error>();

  /** `hostKey`: checks the server's key before authenticating (without it, any key is accepted: tests only). */
  constructor(
    private readonly target: SshTarget,
    private readonly hostKey?: HostKeyCheck,
    private readonly session: SshSessionOptions = {},
  ) {}

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    const line = sshCommandLine(argv);
    RoundTrips.note();
    // Masked argument by argument, before quoting changes how a secret is spelled.
    this.sent.push(sshCommandLine(argv.map((a) => maskSecrets(a, opts.secrets))));
    if (this.sent.length > 50) this.sent.shift();
    const ssh = await this.connection();
    const conn = this.client(ssh, argv[0]);
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    let channel: { close(): void } | undefined;
    let timedOut = false;
    try {
      const res = await Promise.race([
        ssh.execCommand(line, { stdin: opts.input, onChannel: (c) => (channel = c) }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(new Error(`${argv[0]} timed out after ${timeoutMs} ms on ${this.target.label}`));
          }, timeoutMs);
        }),
      ]);
      // A channel closed with neither exit status nor signal: the connection went down under the command.
      const cause = this.lost.get(conn);
      if (res.code === null && res.signal === null && cause) throw this.cutOff(argv[0], cause);
      return { exitCode: res.code ?? -1, stdout: res.stdout, stderr: maskSecrets(res.stderr, opts.secrets) };
    } catch (err) {
      channel?.close();
      if (!ssh.isConnected()) this.ssh = undefined;
      if (timedOut || err instanceof SshSessionLost) throw err;
      const lost = this.lost.get(conn);
      if (lost) throw this.cutOff(argv[0], lost);
      throw new Error(`${argv[0]} on ${this.target.label}: ${maskSecrets((err as Error).message, opts.secrets)}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts a program on the host with its stdin/stdout carried by an SSH channel (quoted as `run` does).
   * `done` settles once the program exited and its stdout was read to the end, or the channel/connection closed.
   */
  async spawn(argv: readonly string[], opts: StreamOptions = {}): Promise<CommandStream> {
    const line = sshCommandLine(argv);
    RoundTrips.note();
    this.sent.push(sshCommandLine(argv.map((a) => maskSecrets(a, opts.secrets))));
    if (this.sent.length > 50) this.sent.shift();
    const ssh = await this.connection();
    const conn = this.client(ssh, argv[0]);
    let channel: ClientChannel;
    try {
      channel = await new Promise<ClientChannel>((resolve, reject) =>
        conn.exec(line, (err, ch) => (err ? reject(err) : resolve(ch))),
      );
    } catch (err) {
      if (!ssh.isConnected()) this.ssh = undefined;
      throw new Error(`${argv[0]} on ${this.target.label}: ${maskSecrets((err as Error).message, opts.secrets)}`);
    }
    const stderr = new TailBuffer(opts.secrets);
    channel.stderr.on('data', (c: Buffer) => stderr.push(c));
    channel.on('error', () => undefined);
    let exitCode: number | null = null;
    let exitSignal: string | undefined;
    let killed = false;
    channel.on('exit', (code: number | null, signal?: string) => {
      exitCode = code;
      exitSignal = signal ?? undefined;
    });
    const label = this.target.label;
    const done = new Promise<{ exitCode: number; stderr: string }>((resolve) => {
      const finish = (note?: string) => {
        conn.off('close', onConnClose);
        let text = stderr.text();
        if (exitCode === null && exitSignal) note ??= `${argv[0]} killed by ${exitSignal} on ${label}`;
        if (exitCode === null && killed) note ??= `${argv[0]} stopped on ${label}`;
        if (note) text = `${text}${text ? '\n' : ''}${note}`;
        resolve({ exitCode: exitCode ?? -1, stderr: text });
      };
      // ssh2 emits 'close' (with the exit code) after the channel closed and its stdout was read to the end.
      const onConnClose = () => {
        channel.resume();
        const why = this.lost.get(conn);
        finish(exitCode === null ? `connection to ${label} lost${why ? ` (${why.message})` : ''}` : undefined);
      };
      channel.once('close', (code: number | null) => {
        if (typeof code === 'number') exitCode = code;
        finish();
      });
      conn.once('close', onConnClose);
    });
    return {
      stdin: channel,
      stdout: channel,
      done,
      kill: () => {
        killed = true;
        channel.signal('KILL');
        channel.close();
        // Drain what is still buffered so the stream ends and `done` settles.
        channel.resume();
      },
    };
  }

  /**
   * A local TCP port (127.0.0.1) whose connections are carried over this SSH session to `targetHost:targetPort`
   * as seen from the remote host: how the control plane reaches a database endpoint on a network it has no
   * route to (a firewalled database network, the lab's private segment).
   */
  async forward(targetHost: string, targetPort: number): Promise<{ port: number; close(): Promise<void> }> {
    const server: Server = createServer((socket) => {
      socket.on('error', () => socket.destroy());
      this.connection()
        .then((ssh) => {
          this.client(ssh, 'forward').forwardOut('127.0.0.1', 0, targetHost, targetPort, (err, stream) => {
            if (err) return socket.destroy();
            stream.on('error', () => socket.destroy());
            socket.pipe(stream).pipe(socket);
          });
        })
        .catch(() => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).on('error', reject));
    const port = (server.address() as { port: number }).port;
    return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  /**
   * A stream to a unix socket on the host (Docker's API socket), carried by this SSH session
   * (direct-streamlocal): one round trip, no process started on the host, no new SSH handshake.
   */
  async openUnixSocket(path: string): Promise<Duplex> {
    // One per Docker API request (the agent keeps no connection alive).
    RoundTrips.note();
    const conn = this.client(await this.connection(), path);
    return new Promise((resolve, reject) =>
      conn.openssh_forwardOutStreamLocal(path, (err, stream) => (err ? reject(err) : resolve(stream))),
    );
  }

  /**
   * Whether the session already open answers within `timeoutMs`: an SSH global request, answered by the session's
   * own sshd process (no new connection, no process started on the host). False at once when no session is open or
   * it closes meanwhile. A busy session may answer late: false then says nothing about the host.
   */
  ping(timeoutMs: number): Promise<boolean> {
    const conn = this.ssh?.isConnected() ? this.ssh.connection : undefined;
    if (!conn || this.lost.has(conn)) return Promise.resolve(false);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (ok: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        conn.off('close', onClose);
        resolve(ok);
      };
      const onClose = () => finish(false);
      // As in the banner probe: a late timer (a stalled event loop) lets the reply read meanwhile decide first.
      const timer = setTimeout(() => setImmediate(() => finish(false)), timeoutMs);
      conn.once('close', onClose);
      try {
        // The cancellation of a forward never asked for: sshd answers "failure" and changes nothing, and any
        // answer is a live server. ssh2 answers calls still waiting when the connection closes with this error.
        conn.unforwardIn(PING_ADDRESS, 0, (err?: Error | null) =>
          finish(!err || !/No response from server/.test(err.message)),
        );
      } catch {
        finish(false);
      }
    });
  }

  async close(): Promise<void> {
    const conn = this.ssh?.connection;
    if (conn && !this.lost.has(conn)) this.lost.set(conn, new Error('session closed here'));
    this.ssh?.dispose();
    this.ssh = undefined;
  }

  private async connection(): Promise<NodeSSH> {
    if (this.ssh?.isConnected()) return this.ssh;
    // Checked before authentication: an impostor at the address never sees a signature, password or command.
    const hostKey = this.hostKey && hostKeyVerifier(this.target.label, this.hostKey);
    this.connecting ??= new NodeSSH()
      .connect({
        hostVerifier: hostKey?.verify,
        host: this.target.host,
        port: this.target.port,
        username: this.target.username,
        privateKey: this.target.privateKey,
        readyTimeout: 10_000,
        keepaliveInterval: this.session.keepaliveIntervalMs ?? 5_000,
        keepaliveCountMax: this.session.keepaliveCountMax ?? 3,
      })
      .then((ssh) => {
        this.ssh = ssh;
        const conn = ssh.connection!;
        const drop = () => {
          if (this.ssh === ssh) this.ssh = undefined;
        };
        // node-ssh listens for 'error' only while connecting. A reset, a keepalive timeout or a protocol error
        // after that is emitted on the client: unheard, it would kill the process. It ends this session only:
        // the calls on it fail (their channels close), the next call reconnects.
        conn.on('error', (err: Error) => {
          if (!this.lost.has(conn)) this.lost.set(conn, err);
          drop();
          conn.destroy();
        });
        conn.on('close', () => {
          if (!this.lost.has(conn)) this.lost.set(conn, new Error('connection closed by the host'));
          drop();
        });
        return ssh;
      })
      .catch((err: Error) => {
        throw hostKey?.refusal() ?? err;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** The live ssh2 client of a session, or a clear error when it went down meanwhile. */
  private client(ssh: NodeSSH, what: string): Client {
    const conn = ssh.connection;
    if (!conn) throw new Error(`${what} on ${this.target.label}: connection lost`);
    return conn;
  }

  private cutOff(what: string, cause: Error): Error {
    return new SshSessionLost(`${what} on ${this.target.label}: connection lost (${cause.message})`, { cause });
  }
}
