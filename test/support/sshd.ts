import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SSHD = '/usr/sbin/sshd';
const KEYGEN = '/usr/bin/ssh-keygen';

/** What `ssh-keygen -lf` says of a public key: OpenSSH's own fingerprint, independent of the code under test. */
function fingerprintOf(pubFile: string): string {
  return execFileSync(KEYGEN, ['-l', '-E', 'sha256', '-f', pubFile]).toString().split(' ')[1];
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * A real OpenSSH server on 127.0.0.1 with its own config, keys and log in a temp dir. Two host keys, `a` and
 * `b`: `start('b')` on the same port plays an impostor at the registered host's address.
 */
export class TestSshd {
  readonly dir = mkdtempSync(join(tmpdir(), 'sshd-'));
  readonly clientKey: string;
  readonly fingerprints: { a: string; b: string };
  port = 0;
  private proc?: ChildProcess;

  constructor() {
    for (const k of ['a', 'b']) execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, k)]);
    execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, 'client')]);
    writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(join(this.dir, 'client.pub')));
    this.clientKey = readFileSync(join(this.dir, 'client'), 'utf8');
    this.fingerprints = { a: fingerprintOf(join(this.dir, 'a.pub')), b: fingerprintOf(join(this.dir, 'b.pub')) };
  }

  /** Starts sshd with host key `key` (on the same port as before, once one was picked); waits for its banner. */
  async start(key: 'a' | 'b'): Promise<void> {
    if (this.proc) throw new Error('sshd already running');
    this.port ||= await freePort();
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
        'AllowStreamLocalForwarding yes',
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

  /** sshd's log (stderr, DEBUG1) since the last `start`. */
  logText = '';

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
    this.logText = '';
    await this.start(key);
  }

  async destroy(): Promise<void> {
    await this.stop();
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
      s.once('data', (d) => done(d.toString().startsWith('SSH-')));
      s.once('error', () => done(false));
    });
  }
}

/** Log lines that show a client tried to authenticate (with a key, a password, anything). */
export const AUTH_ATTEMPT = /userauth|Accepted |Failed |Postponed |authentication|publickey/i;
