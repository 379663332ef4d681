import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { childrenRunning } from '../support/processes';
import { freePort } from '../support/stack';
import { clientUri } from '../support/tls';

const ROOT = resolve(__dirname, '../..');

/** The programs a supervisor (scripts/supervise.sh, pid in run/NAME.pid) runs now. */
function supervised(state: string, name: string): number[] {
  const sup = Number(readFileSync(join(state, 'run', `${name}.pid`), 'utf8').trim());
  return childrenRunning(sup, `apps/${name}/main.js`);
}

/** Runs a bash script with `env`; resolves with its output, whatever its exit code. */
function bash(
  script: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, out, err });
    });
  });
}

/** The printed command that starts with `prefix`, its backslash continuations joined. */
function printedCommand(output: string, prefix: string): string {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith(prefix));
  assert.ok(start >= 0, `no "${prefix}" in the quickstart's output:\n${output}`);
  const parts: string[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i].trim();
    parts.push(line.replace(/\\$/, ''));
    if (!line.endsWith('\\')) break;
  }
  return parts.join(' ');
}

/**
 * supervised() reads a supervisor's children while they come and go: scripts/supervise.sh forks a
 * `sleep 0.5` every half second, and CI once saw one exit between the list and its cmdline (ENOENT).
 * Here a program that forks short-lived children all the time stands for the supervisor.
 */
describe('supervised(): children that exit while they are read', () => {
  test('a child gone between the list and its cmdline is not a match, not an error', async () => {
    const state = mkdtempSync(join(tmpdir(), 'dbaas-supervised-'));
    // One child named like the worker (the name comes through the environment so that the churning shell's own
    // command line, which its forks share until they exec, does not match), and /bin/true forked without a pause.
    const churn = spawn(
      'bash',
      ['-c', 'bash -c "sleep 600; :" "$WORKER" & echo $! >"$STATE/stable"; while :; do /bin/true & wait $!; done'],
      { stdio: 'ignore', detached: true, env: { ...process.env, WORKER: 'apps/worker/main.js', STATE: state } },
    );
    try {
      mkdirSync(join(state, 'run'));
      writeFileSync(join(state, 'run', 'worker.pid'), `${churn.pid}\n`);
      let stable = 0;
      for (const until = Date.now() + 5_000; !stable && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 50));
        stable = Number(readFileSync(join(state, 'stable'), { encoding: 'utf8', flag: 'a+' }).trim());
      }
      await new Promise((r) => setTimeout(r, 200));
      const deadline = Date.now() + 5_000;
      let calls = 0;
      while (Date.now() < deadline) {
        assert.deepEqual(supervised(state, 'worker'), [stable]);
        calls++;
      }
      assert.ok(calls > 100, `only ${calls} reads`);
    } finally {
      process.kill(-churn.pid!, 'SIGKILL'); // the group: the loop and its sleeping child
      rmSync(state, { recursive: true, force: true });
    }
  });
});

/**
 * A new user's first minute, as the README tells it: `npm run up` (scripts/up.sh) on a fresh state directory,
 * from a shell whose umask is 077, then the printed curl creates a PostgreSQL, the returned URI answers a query,
 * and a DELETE (with the JSON content type scripts always send) removes it. The platform here is a second one
 * on this machine: its own PostgreSQL, Redis and registry on other ports, the same dockerd.
 */
describe('the quickstart on a fresh state directory, umask 077', () => {
  const state = mkdtempSync(join(tmpdir(), 'dbaas-quickstart-'));
  let env: NodeJS.ProcessEnv = {};

  let api = 0;

  before(async () => {
    const [pg, redis, registry] = [await freePort(), await freePort(), await freePort()];
    api = await freePort();
    // Nothing of the test's own platform leaks in: a new user's shell has none of it.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !/^(DBAAS_|IMAGE_REGISTRY|DATABASE_URL|REDIS_URL|API_|MASTER_KEY|OPERATOR_)/.test(k),
      ),
    );
    env = {
      ...inherited,
      DBAAS_STATE_DIR: state,
      DBAAS_SECRETS_DIR: join(state, 'secrets'),
      DBAAS_LOG_DIR: join(state, 'log'),
      DBAAS_PG_PORT: String(pg),
      DBAAS_REDIS_PORT: String(redis),
      DBAAS_REGISTRY_ADDR: `127.0.0.1:${registry}`,
      API_PORT: String(api),
    };
  });

  after(async () => {
    // Only ever this test's own state directory: down.sh without it would stop the machine's main services.
    if (env.DBAAS_STATE_DIR !== state) return;
    const down = await bash('bash scripts/down.sh', env, 120_000);
    if (down.code !== 0) console.log(`down.sh: ${down.code}\n${down.err}`);
    await bash(`docker logout "$DBAAS_REGISTRY_ADDR" >/dev/null 2>&1 || true`, env, 30_000);
    rmSync(state, { recursive: true, force: true });
  });

  test('up, create through the printed curl, connect, delete', async () => {
    const t0 = Date.now();
    const up = await bash('umask 077 && exec bash scripts/up.sh', env, 600_000);
    assert.equal(up.code, 0, `up.sh exited ${up.code}:\n${up.err.slice(-4000)}`);
    console.log(`quickstart: up.sh on a fresh state directory in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // The condition under test: the platform's processes did inherit the restrictive umask.
    const [workerPid] = supervised(state, 'worker');
    assert.ok(workerPid, 'the worker runs under its supervisor');
    assert.match(readFileSync(`/proc/${workerPid}/status`, 'utf8'), /^Umask:\s+0077$/m);

    const t1 = Date.now();
    const created = await bash(printedCommand(up.out, 'curl -s -X POST'), env, 30_000);
    assert.equal(created.code, 0, created.err);
    const db = JSON.parse(created.out);
    assert.ok(db.id && db.operationId, created.out);
    const poll = printedCommand(up.out, 'curl -s http://127.0.0.1:' + api + '/v1/operations/').replace(
      'OPERATION_ID',
      db.operationId,
    );
    let op: any;
    for (const deadline = Date.now() + 180_000; ;) {
      op = JSON.parse((await bash(poll, env, 30_000)).out);
      if (op.status === 'succeeded' || op.status === 'failed') break;
      assert.ok(Date.now() < deadline, `operation still ${op.status}: ${op.progressMessage}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(op.status, 'succeeded', op.error);
    const credsCmd = printedCommand(up.out, 'curl -s http://127.0.0.1:' + api + '/v1/databases/DATABASE_ID').replace(
      'DATABASE_ID',
      db.id,
    );
    const creds = JSON.parse((await bash(credsCmd, env, 30_000)).out);
    // The URI verifies the server against the platform CA, saved as the file it names (dbaas-ca.pem).
    const client = new Client({ connectionString: clientUri(creds) });
    await client.connect();
    try {
      assert.deepEqual((await client.query('SELECT 41 + 1 AS answer')).rows, [{ answer: 42 }]);
    } finally {
      await client.end();
    }
    console.log(`quickstart: from the printed curl to a query answered in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

    // Deleted as scripts do it: the JSON content type set, no body.
    const key = /Bearer (\S+?)'/.exec(poll)![1];
    const del = await bash(
      `curl -s -X DELETE http://127.0.0.1:${api}/v1/databases/${db.id} -H 'Authorization: Bearer ${key}' -H 'content-type: application/json'`,
      env,
      30_000,
    );
    const deleting = JSON.parse(del.out);
    assert.ok(deleting.operationId, del.out);
    for (const deadline = Date.now() + 120_000; ;) {
      op = JSON.parse((await bash(poll.replace(db.operationId, deleting.operationId), env, 30_000)).out);
      if (op.status === 'succeeded' || op.status === 'failed') break;
      assert.ok(Date.now() < deadline, `delete still ${op.status}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(op.status, 'succeeded', op.error);
    const left = await new Promise<string>((res) =>
      execFile('docker', ['ps', '-aq', '--filter', `label=dbaas.database=${db.id}`], (_e, out) => res(out.trim())),
    );
    assert.equal(left, '', 'no container left');
  });

  test('a killed worker is running again within 10 s (scripts/supervise.sh)', async () => {
    const [before] = supervised(state, 'worker');
    assert.ok(before, 'a worker runs');
    const log = join(state, 'log', 'worker.log');
    const readyBefore = readFileSync(log, 'utf8').split('worker running').length;
    const killedAt = Date.now();
    process.kill(before, 'SIGKILL');
    let after: number | undefined;
    while (Date.now() - killedAt < 10_000) {
      [after] = supervised(state, 'worker');
      if (after && after !== before && readFileSync(log, 'utf8').split('worker running').length > readyBefore) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(after && after !== before, 'a new worker process');
    assert.ok(readFileSync(log, 'utf8').split('worker running').length > readyBefore, 'and it is running its queue');
    console.log(`quickstart: worker killed, back and running in ${Date.now() - killedAt} ms`);
    assert.equal(readFileSync(join(state, 'run', 'worker.restarts'), 'utf8').trim(), '1');
  });
});
