import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './stack';

export const SSHD = '/usr/sbin/sshd';
const KEYGEN = '/usr/bin/ssh-keygen';

/** What `ssh-keygen -lf` says of a public key: OpenSSH's own fingerprint, independent of the code under test. */
function fingerprintOf(pubFile: string): string {
  return execFileSync(KEYGEN, ['-l', '-E', 'sha256', '-f', pubFile]).toString().split(' ')[1];
}

/** Every process whose parent chain leads to `root` (read from /proc). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the ppid is the 2nd field after ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) {
      if (ppid !== pid || out.includes(child)) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** Sends `sig` to each pid, skipping those already gone. */
export function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // Already gone.
    }
  }
}

/**
 * A real OpenSSH server on 127.0.0.1 with its own config, keys and log in a temp dir, run in the foreground
 * (`sshd -D`) so a test can stop it, kill it with its sessions, freeze them, and start it again on the same port.
 * Two host keys, `a` and `b`: `start('b')` on the same port plays an impostor at the registered host's address.
 */
export class TestSshd {
  readonly dir = mkdtempSync(join(tmpdir(), 'sshd-'));
  readonly username = userInfo().username;
  /** The authorized client's private key. */
  readonly clientKey: string;
  readonly fingerprints: { a: string; b: string };
  port = 0;
  /** sshd's log (stderr, DEBUG1) since the last `start`. */
  logText = '';
  private proc?: ChildProcess;

  constructor() {
    for (const k of ['a', 'b', 'client'])
      execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, k)]);
    writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(join(this.dir, 'client.pub')));
    this.clientKey = readFileSync(join(this.dir, 'client'), 'utf8');
    this.fingerprints = { a: fingerprintOf(join(this.dir, 'a.pub')), b: fingerprintOf(join(this.dir, 'b.pub')) };
  }

  /** A server already answering with host key `a`. */
  static async create(): Promise<TestSshd> {
    const sshd = new TestSshd();
    await sshd.start('a');
    return sshd;
  }

  /** Starts sshd with host key `key` (on the same port as before, once one was picked); waits for its banner. */
  async start(key: 'a' | 'b' = 'a'): Promise<void> {
    if (this.running()) throw new Error('sshd already running');
    this.port ||= await freePort();
    this.logText = '';
    const cfg = join(this.dir, `sshd_${key}.conf`);
    writeFileSync(
      cfg,
      [
        `Port ${this.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(this.dir, key)}`,
        `PidFile ${join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AllowTcpForwarding yes',
        'AllowStreamLocalForwarding yes',
        // The server's own keepalive stays off: the client's keepalive is what the session tests exercise.
        'ClientAliveInterval 0',
        'LogLevel DEBUG1',
        // Sessions get a HOME of their own: bash run by sshd sources ~/.bashrc, and this machine's may hang.
        `SetEnv HOME=${this.dir}`,
        '',
      ].join('\n'),
    );
    // sshd's privilege separation directory: made by the package's init script, which never ran on a fresh machine.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const proc = spawn(SSHD, ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (c: Buffer) => (this.logText += c.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await this.answers())) {
      if (proc.exitCode !== null || Date.now() > deadline)
        throw new Error(`sshd did not start (exit ${proc.exitCode}): ${this.logText.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The per-connection processes (sshd's session processes and the commands they run). */
  sessions(): number[] {
    return this.proc?.pid ? descendants(this.proc.pid) : [];
  }

  /** A clean stop (SIGTERM to the listener; sessions end with it). */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
  }

  async restart(key: 'a' | 'b'): Promise<void> {
    await this.stop();
    await this.start(key);
  }

  /** SIGKILLs the listener and every session with what runs in it: the host's sshd dies at once. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc?.pid) return;
    // SIGKILL also ends stopped processes; no SIGCONT first, which would let a frozen session read what it has.
    signalAll([...this.sessions(), proc.pid], 'SIGKILL');
    if (proc.exitCode === null && proc.signalCode === null) await new Promise((r) => proc.once('exit', r));
    this.proc = undefined;
  }

  /** SIGSTOPs the sessions (not the listener): they stay connected and answer nothing, a silent host. */
  freezeSessions(): number[] {
    const pids = this.sessions();
    signalAll(pids, 'SIGSTOP');
    return pids;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port: this.port });
      const done = (ok: boolean) => {
        s.destroy();
        resolve(ok);
      };
      s.setTimeout(1000, () => done(false));
      s.once('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
      s.once('error', () => done(false));
    });
  }
}

/** Log lines that show a client tried to authenticate (with a key, a password, anything). */
export const AUTH_ATTEMPT = /userauth|Accepted |Failed |Postponed |authentication|publickey/i;
