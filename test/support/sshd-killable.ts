import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** True once something on 127.0.0.1:port sends an SSH banner. */
function banner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
    s.on('error', () => done(false));
  });
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

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // Already gone.
    }
  }
}

/**
 * A real OpenSSH server on 127.0.0.1 (a free port), with its own host key and one authorized client key in a
 * temporary directory, run in the foreground (`sshd -D`) so a test can kill it, stop it, and start it again.
 */
export class KillableSshd {
  private proc?: ChildProcess;
  readonly username = userInfo().username;
  readonly privateKey: string;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.privateKey = readFileSync(join(dir, 'client_key'), 'utf8');
  }

  static async create(): Promise<KillableSshd> {
    const dir = mkdtempSync(join(tmpdir(), 'sshd-test-'));
    for (const k of ['host_key', 'client_key'])
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
    const port = await freePort();
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'AllowTcpForwarding yes',
        'AllowStreamLocalForwarding yes',
        // The server's own keepalive stays off: the client's keepalive is what the tests exercise.
        'ClientAliveInterval 0',
        // The user's own startup files (bash reads ~/.bashrc under sshd) are not what is tested: a home of our own.
        `SetEnv HOME=${dir}`,
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    // sshd's privilege separation directory (created by the package's init script, which never ran here).
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const sshd = new KillableSshd(dir, port);
    await sshd.start();
    return sshd;
  }

  /** Starts sshd (again, on the same port) and waits for its banner. */
  async start(): Promise<void> {
    this.proc = spawn(SSHD, ['-D', '-e', '-f', join(this.dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.proc.stderr!.on('data', (d) => (err += d));
    for (let i = 0; i < 100; i++) {
      if (this.proc.exitCode !== null) throw new Error(`sshd exited ${this.proc.exitCode}: ${err}`);
      if (await banner(this.port)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`sshd did not answer on 127.0.0.1:${this.port}: ${err}`);
  }

  running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The per-connection processes (sshd's session processes and the commands they run). */
  sessions(): number[] {
    return this.proc?.pid ? descendants(this.proc.pid) : [];
  }

  /** SIGKILLs the listener and every session with what runs in it: the host's sshd dies at once. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc?.pid) return;
    const all = [...this.sessions(), proc.pid];
    // SIGKILL also ends stopped processes; no SIGCONT first, which would let a frozen session read what it has.
    signal(all, 'SIGKILL');
    if (proc.exitCode === null && proc.signalCode === null) await new Promise((r) => proc.once('exit', r));
    this.proc = undefined;
  }

  /** SIGSTOPs the sessions (not the listener): they stay connected and answer nothing, a silent host. */
  freezeSessions(): number[] {
    const pids = this.sessions();
    signal(pids, 'SIGSTOP');
    return pids;
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export { signal as signalAll };
