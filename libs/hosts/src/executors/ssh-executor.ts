import { NodeSSH } from 'node-ssh';
import shellEscape from 'shell-escape';
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

/**
 * SSH runs a command line through the remote user's shell, so the argv is quoted argument by argument
 * (each one single-quoted by shell-escape): input can never become shell syntax.
 */
export function sshCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  for (const a of argv) {
    if (typeof a !== 'string') throw new Error('arguments must be strings');
    if (a.includes('\0')) throw new Error('an argument contains a NUL byte');
  }
  return shellEscape(argv);
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
    this.sent.push(maskSecrets(line, opts.secrets));
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
