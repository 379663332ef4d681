import { createServer, Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import type { CommandExecutor, CommandResult, RunOptions } from '@app/domain/ports';
import { maskSecrets } from './local-executor';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  /** For logs and errors: never the key. */
  label: string;
}

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

  constructor(private readonly target: SshTarget) {}

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    const line = sshCommandLine(argv);
    // Masked argument by argument, before quoting changes how a secret is spelled.
    this.sent.push(sshCommandLine(argv.map((a) => maskSecrets(a, opts.secrets))));
    if (this.sent.length > 50) this.sent.shift();
    const ssh = await this.connection();
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    let channel: { close(): void } | undefined;
    try {
      const res = await Promise.race([
        ssh.execCommand(line, { stdin: opts.input, onChannel: (c) => (channel = c) }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${argv[0]} timed out after ${timeoutMs} ms on ${this.target.label}`)),
            timeoutMs,
          );
        }),
      ]);
      return { exitCode: res.code ?? -1, stdout: res.stdout, stderr: maskSecrets(res.stderr, opts.secrets) };
    } catch (err) {
      channel?.close();
      if (!ssh.isConnected()) this.ssh = undefined;
      throw err;
    } finally {
      clearTimeout(timer);
    }
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
          ssh.connection!.forwardOut('127.0.0.1', 0, targetHost, targetPort, (err, stream) => {
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
    const ssh = await this.connection();
    return new Promise((resolve, reject) =>
      ssh.connection!.openssh_forwardOutStreamLocal(path, (err, stream) => (err ? reject(err) : resolve(stream))),
    );
  }

  async close(): Promise<void> {
    this.ssh?.dispose();
    this.ssh = undefined;
  }

  private async connection(): Promise<NodeSSH> {
    if (this.ssh?.isConnected()) return this.ssh;
    this.connecting ??= new NodeSSH()
      .connect({
        host: this.target.host,
        port: this.target.port,
        username: this.target.username,
        privateKey: this.target.privateKey,
        readyTimeout: 10_000,
        keepaliveInterval: 5_000,
        keepaliveCountMax: 3,
      })
      .then((ssh) => {
        this.ssh = ssh;
        ssh.connection?.on('close', () => {
          if (this.ssh === ssh) this.ssh = undefined;
        });
        return ssh;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }
}
