import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { signalAll, TestSshd } from '../support/sshd';

/**
 * A real sshd on 127.0.0.1 under an SshExecutor held by a separate process: the session is reset, killed mid-command
 * and silenced, and each time the call fails with a clear error, the process stays up, and the next call reconnects.
 */
const ROOT = join(__dirname, '..', '..');

interface Reply {
  ok: boolean;
  value?: { exitCode: number; stdout?: string; stderr: string };
  error?: string;
  ms: number;
}

class ExecutorProcess {
  private next = 0;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  readonly proc: ChildProcess;
  output = '';

  constructor() {
    this.proc = fork(join(ROOT, 'test/support/ssh-executor-child.ts'), [], {
      cwd: ROOT,
      execArgv: ['-r', '@swc-node/register'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.proc.stdout!.on('data', (d) => (this.output += d));
    this.proc.stderr!.on('data', (d) => (this.output += d));
    this.proc.on('message', (m: Reply & { id: number }) => this.waiting.get(m.id)?.(m));
    // A dead process answers nothing: every pending call gets its exit instead.
    this.proc.on('exit', (code, sig) => {
      for (const w of this.waiting.values()) w({ ok: false, error: `process exited ${code ?? sig}`, ms: 0 });
    });
  }

  call(msg: Record<string, unknown>): Promise<Reply> {
    const id = ++this.next;
    if (!this.alive()) return Promise.resolve({ ok: false, error: 'process is dead', ms: 0 });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(msg)} in 60 s`)), 60_000);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(r);
      });
      this.proc.send({ id, ...msg });
    });
  }

  run(argv: string[], timeoutMs = 30_000): Promise<Reply> {
    return this.call({ op: 'run', argv, timeoutMs });
  }

  /** Still running (a process that crashed has an exit code or a signal). */
  alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  assertAlive(): void {
    assert.ok(this.alive(), `the executor's process died (exit ${this.proc.exitCode}):\n${this.output}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an SSH session that breaks never takes the process down', () => {
  let sshd: TestSshd;
  let child: ExecutorProcess;

  before(async () => {
    sshd = await TestSshd.create();
  });

  // A fresh process per case: one that died in a case does not fail the next ones.
  beforeEach(async () => {
    child?.proc.kill('SIGKILL');
    if (!sshd.running()) await sshd.start();
    child = new ExecutorProcess();
    const init = await child.call({
      op: 'init',
      target: { host: '127.0.0.1', port: sshd.port, username: sshd.username, privateKey: sshd.clientKey, label: 'h1' },
      // Short keepalive so the silent-host case takes seconds, not the production 15 s.
      options: { keepaliveIntervalMs: 500, keepaliveCountMax: 2 },
    });
    assert.ok(init.ok, init.error);
  });

  after(async () => {
    child?.proc.kill('SIGKILL');
    await sshd?.destroy();
  });

  async function assertReconnects(): Promise<void> {
    const r = await child.run(['echo', 'back']);
    assert.ok(r.ok, `the next call reconnects: ${r.error}`);
    assert.equal(r.value!.stdout, 'back');
  }

  test('a connection reset (host sshd dies with unread data) fails the calls, not the process', async () => {
    const running = child.run(['sleep', '30']);
    // The client keeps sending; frozen sessions leave it unread, so killing them makes the kernel send a RST.
    const streaming = child.call({ op: 'spawn', argv: ['cat'], feedMs: 50 });
    await sleep(700);
    sshd.freezeSessions();
    await sleep(300);
    await sshd.kill();
    const [r, s] = await Promise.all([running, streaming]);
    await sleep(500);
    child.assertAlive();
    assert.equal(r.ok, false, `the running command fails: ${JSON.stringify(r)}`);
    assert.match(r.error!, /sleep.*h1/, `the error names the command and the host: ${r.error}`);
    assert.match(r.error!, /ECONNRESET|lost/, `the error says the connection broke: ${r.error}`);
    assert.ok(s.ok, s.error);
    assert.match(s.value!.stderr, /connection to h1 lost/);
    await sshd.start();
    await assertReconnects();
  });

  test('sshd killed mid-command: the command fails at once with "connection lost", the process lives', async () => {
    const pending = child.run(['sleep', '5']);
    await sleep(700);
    await sshd.kill();
    const r = await pending;
    await sleep(300);
    child.assertAlive();
    assert.equal(r.ok, false, `a command cut off is a failure, not an exit code: ${JSON.stringify(r)}`);
    assert.match(r.error!, /sleep.*h1|h1.*sleep/, `the error names the command and the host: ${r.error}`);
    assert.match(r.error!, /connection .*lost|closed/i, r.error);
    assert.ok(r.ms < 4000, `failed in ${r.ms} ms, not after the command's time`);
    await sshd.start();
    await assertReconnects();
  });

  test('a streamed command whose session is killed ends with "connection lost", the process lives', async () => {
    const pending = child.call({ op: 'spawn', argv: ['sleep', '5'] });
    await sleep(700);
    await sshd.kill();
    const r = await pending;
    await sleep(300);
    child.assertAlive();
    assert.ok(r.ok, r.error);
    assert.equal(r.value!.exitCode, -1);
    assert.match(r.value!.stderr, /connection to h1 lost/);
    await sshd.start();
    await assertReconnects();
  });

  test('a silent host (sessions stopped): keepalive fails the call, the process lives, a new session works', async () => {
    assert.ok((await child.run(['true'])).ok);
    const pending = child.run(['sleep', '30'], 60_000);
    await sleep(300);
    const frozen = sshd.freezeSessions();
    try {
      const r = await pending;
      await sleep(300);
      child.assertAlive();
      assert.equal(r.ok, false, 'the call fails');
      assert.match(r.error!, /keepalive/i, `the error says why: ${r.error}`);
      assert.ok(r.ms < 10_000, `failed in ${r.ms} ms`);
      // The listener still answers: the next call opens a new session.
      await assertReconnects();
    } finally {
      signalAll(frozen, 'SIGKILL');
    }
  });
});
