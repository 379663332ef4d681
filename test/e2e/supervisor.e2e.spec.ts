import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';

/**
 * The quickstart's supervisor (scripts/supervise.sh) with a stand-in program: a program that is killed or stops
 * answering its health check is running again within 10 s, restarts are counted, and TERM stops both.
 */
const ROOT = join(__dirname, '..', '..');
const SUPERVISE = join(ROOT, 'scripts/supervise.sh');
const dir = mkdtempSync(join(tmpdir(), 'supervise-test-'));
// The stand-in: writes its pid to a file, then idles until killed.
const PROGRAM = `require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000);`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid the program wrote once it differs from `not` (bounded by `ms`). */
async function programPid(pidFile: string, ms: number, not?: number): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
    if (pid && pid !== not && alive(pid)) return pid;
    await sleep(100);
  }
  throw new Error(`no (new) program running within ${ms} ms`);
}

describe('the quickstart supervisor', () => {
  let sup: ChildProcess | undefined;
  afterEach(async () => {
    if (sup && sup.exitCode === null) {
      sup.kill('SIGTERM');
      await new Promise((r) => sup!.once('exit', r));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function start(name: string, extra: string[] = []) {
    const pidFile = join(dir, `${name}.pid`);
    const restarts = join(dir, `${name}.restarts`);
    sup = spawn(
      'bash',
      [SUPERVISE, '--name', name, '--restarts', restarts, ...extra, '--', process.execPath, '-e', PROGRAM, pidFile],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    sup.stderr!.on('data', (d) => (log += d));
    return { pidFile, restarts, log: () => log };
  }

  test('a killed program is running again within 10 s, and the restart is counted', async () => {
    const s = start('killed');
    const first = await programPid(s.pidFile, 10_000);
    assert.equal(readFileSync(s.restarts, 'utf8').trim(), '0');
    const killedAt = Date.now();
    process.kill(first, 'SIGKILL');
    const second = await programPid(s.pidFile, 10_000, first);
    assert.ok(Date.now() - killedAt < 10_000, `back after ${Date.now() - killedAt} ms`);
    assert.ok(alive(second));
    assert.equal(readFileSync(s.restarts, 'utf8').trim(), '1');
    assert.match(s.log(), /killed: exited \(status 137\); restart 1/);
  });

  test('a program that fails its health check is killed and started again', async () => {
    const s = start('unhealthy', ['--grace', '0', '--health', 'false']);
    const first = await programPid(s.pidFile, 10_000);
    const second = await programPid(s.pidFile, 20_000, first);
    assert.ok(!alive(first), 'the unhealthy one was killed');
    assert.ok(alive(second));
    assert.match(s.log(), /failed its health check 3 times/);
  });

  test('TERM stops the program and the supervisor', async () => {
    const s = start('stopped');
    const pid = await programPid(s.pidFile, 10_000);
    const exited = new Promise((r) => sup!.once('exit', r));
    sup!.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    assert.notEqual(sup!.exitCode, null, 'the supervisor exited');
    assert.ok(!alive(pid), 'the program is gone');
  });

  test('scripts/up.sh runs the API and the worker under it', () => {
    const up = readFileSync(join(ROOT, 'scripts/up.sh'), 'utf8');
    assert.match(up, /scripts\/supervise\.sh/);
    assert.doesNotMatch(up, /nohup node/, 'no process is started unsupervised');
  });
});
