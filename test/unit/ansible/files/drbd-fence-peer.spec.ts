import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fenceToken } from '@app/storage/drbd/fence';

/**
 * The real fence-peer handler (ansible/files/drbd-fence-peer), run by `sh` as drbdadm runs it: the resource in
 * DRBD_RESOURCE. Its marker directory and its wait are moved to a temporary directory and a few seconds through
 * the two variables that exist for tests only.
 */
const HANDLER = resolve(__dirname, '../../../../ansible/files/drbd-fence-peer');
const RES = 'r-0f8fad5b-d9cb-469f-a165-70867728950e';

const root = mkdtempSync(join(tmpdir(), 'drbd-fence-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function runHandler(env: Record<string, string>, waitS = 2, dir = join(root, `d${n++}`)) {
  const t0 = Date.now();
  const child = spawn('sh', [HANDLER], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DBAAS_FENCE_DIR: dir, DBAAS_FENCE_WAIT_S: String(waitS), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; ms: number; stderr: string }>((r) =>
    child.on('close', (code) => r({ code, ms: Date.now() - t0, stderr })),
  );
  return { dir, done };
}

async function waitForFile(path: string, ms = 3000): Promise<string> {
  const t0 = Date.now();
  while (!existsSync(path)) {
    if (Date.now() - t0 > ms) throw new Error(`no ${path} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return readFileSync(path, 'utf8');
}

describe('the DRBD fence-peer handler (real script, run by sh)', () => {
  test('it leaves a request with the time and exits 4 ("peer outdated") once the control plane acks it', async () => {
    const before = Math.floor(Date.now() / 1000);
    const h = runHandler({ DRBD_RESOURCE: RES }, 20);
    const request = (await waitForFile(join(h.dir, `${RES}.request`))).trim();
    // "<epoch seconds> <pid>": the same check the control plane applies before it answers.
    assert.equal(fenceToken(request), request);
    const at = Number(request.split(' ')[0]);
    assert.ok(at >= before && at <= before + 5, request);
    writeFileSync(join(h.dir, `${RES}.ack`), `${request}\n`);
    const r = await h.done;
    assert.equal(r.code, 4, r.stderr);
    assert.ok(r.ms < 5000, `answered in ${r.ms} ms`);
  });

  test('no answer: exit 1 once its wait is over (DRBD keeps the I/O frozen)', async () => {
    const h = runHandler({ DRBD_RESOURCE: RES }, 2);
    await waitForFile(join(h.dir, `${RES}.request`));
    const r = await h.done;
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.ms >= 1000 && r.ms < 6000, `gave up after ${r.ms} ms`);
    assert.match(r.stderr, /no answer within 2s/);
  });

  test('an ack of an earlier request counts for nothing: it is removed, and a wrong token is no answer', async () => {
    const dir = join(root, 'stale');
    mkdirSync(dir);
    writeFileSync(join(dir, `${RES}.ack`), '1700000000 42\n');
    const h = runHandler({ DRBD_RESOURCE: RES }, 2, dir);
    const request = (await waitForFile(join(dir, `${RES}.request`))).trim();
    assert.notEqual(request, '1700000000 42');
    writeFileSync(join(dir, `${RES}.ack`), '1700000000 43\n');
    const r = await h.done;
    assert.equal(r.code, 1, r.stderr);
  });

  test('names that are not ours are refused at once, and nothing is written', async () => {
    for (const bad of [
      '',
      'r0',
      'r-helpertest',
      `${RES}x`,
      RES.toUpperCase().replace('R-', 'r-'),
      `r-../../../../etc/${'a'.repeat(21)}`,
      `r-0f8fad5b-d9cb-469f-a165-70867728950e/../x`,
      `r-0f8fad5b-d9cb-469f-a165-7086772895\ne`,
      `r-0f8fad5b-d9cb-469f-a165-$(reboot)12345`,
    ]) {
      const h = runHandler(bad ? { DRBD_RESOURCE: bad } : {}, 2);
      const r = await h.done;
      assert.equal(r.code, 1, JSON.stringify(bad));
      assert.ok(r.ms < 1500, `${JSON.stringify(bad)} took ${r.ms} ms`);
      assert.ok(!existsSync(h.dir) || readdirSync(h.dir).length === 0, JSON.stringify(bad));
    }
  });
});
