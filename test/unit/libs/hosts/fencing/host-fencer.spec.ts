import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { HostEntity } from '@app/persistence/entities';
import type { CommonEnv } from '@app/config/env';
import { HostFencer } from '@app/hosts/fencing/host-fencer';
import { SecretBox } from '@app/security/secret-box';
import { host } from '../../../support/hosts';

describe('fencing: agents from the allow-list, confirmed by their status', () => {
  const box = new SecretBox(randomBytes(32).toString('base64'));
  const root = mkdtempSync(join(tmpdir(), 'fence-unit-'));
  const allow = join(root, 'allow');
  const outside = join(root, 'outside');
  const logs = join(root, 'logs');
  for (const d of [allow, outside, logs]) mkdirSync(d);
  let n = 0;
  /**
   * A real agent: records its argument count and its exact stdin (one file per run), then answers `off` and
   * `status` as told. `status` may be a list, one exit code per run (a power device that lags).
   */
  const agent = (dir: string, name: string, off: number, status: number[], stderr = '') => {
    const log = join(logs, `${name}-${++n}`);
    mkdirSync(log);
    const file = join(dir, name);
    writeFileSync(
      file,
      `#!/bin/bash
i=$(( $(ls "${log}" | grep -c '^stdin-') + 1 ))
echo "$#" > "${log}/argc-$i"
env > "${log}/env-$i"
cat > "${log}/stdin-$i"
action=$(sed -n 's/^action=//p' "${log}/stdin-$i")
[ -n "${stderr}" ] && echo "${stderr}" >&2
statuses=(${status.join(' ')})
s=$(ls "${log}" | grep -c '^stdin-')
case $action in
  off) exit ${off} ;;
  status) k=$(( $(grep -l '^action=status' "${log}"/stdin-* | wc -l) - 1 )); [ $k -ge \${#statuses[@]} ] && k=$(( \${#statuses[@]} - 1 )); exit \${statuses[$k]} ;;
  *) exit 1 ;;
esac
`,
      { mode: 0o755 },
    );
    return {
      env: (i: number) => readFileSync(join(log, `env-${i}`), 'utf8'),
      runs: () => {
        const out: { argc: string; stdin: string }[] = [];
        for (let i = 1; existsSync(join(log, `stdin-${i}`)); i++)
          out.push({
            argc: readFileSync(join(log, `argc-${i}`), 'utf8').trim(),
            stdin: readFileSync(join(log, `stdin-${i}`), 'utf8'),
          });
        return out;
      },
    };
  };
  const good = agent(allow, 'fence_good', 0, [2]);
  const stuck = agent(allow, 'fence_stuck', 0, [0]);
  const lagging = agent(allow, 'fence_lagging', 0, [0, 0, 2]);
  const broken = agent(allow, 'fence_broken', 1, [2], 'Unable to login as admin with password s3cret');
  const escaped = agent(outside, 'fence_outside', 0, [2]);
  symlinkSync(join(outside, 'fence_outside'), join(allow, 'fence_escape'));
  writeFileSync(join(allow, 'fence_noexec'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  writeFileSync(join(allow, 'fence_open'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(allow, 'fence_open'), 0o777);
  after(() => rmSync(root, { recursive: true, force: true }));

  const env = { FENCE_AGENTS_DIR: allow } as CommonEnv;
  // Stands for the control plane's secrets in its environment (MASTER_KEY...): agents must not inherit it.
  process.env.DBAAS_FENCE_CANARY = 'leak';
  /** An SSH session that answers poweroff -f as told (and records that it was sent). */
  const connector = (answer: 'exit0' | 'reset' | 'closed' | 'unreachable') => {
    const sent: string[][] = [];
    return {
      sent,
      connector: {
        executor: async () => {
          if (answer === 'unreachable') throw new Error('connect ECONNREFUSED');
          return {
            run: async (argv: string[]) => {
              sent.push(argv);
              if (answer === 'exit0') return { exitCode: 0, stdout: '', stderr: '' };
              throw new Error(answer === 'reset' ? 'read ECONNRESET' : 'Connection closed');
            },
          };
        },
        reset: async () => undefined,
      } as never,
    };
  };
  const fencer = (answer: 'exit0' | 'reset' | 'closed' | 'unreachable' = 'unreachable') => {
    const c = connector(answer);
    return { fencer: new HostFencer(c.connector, env, box), sent: c.sent };
  };
  const agentHost = (name: string, extra: Record<string, unknown> = {}) =>
    host('a', {}, {
      fencing: {
        driver: 'agent',
        agent: name,
        params: { ip: '10.0.0.5', username: 'admin' },
        sealedParams: { password: box.seal('s3cret') },
        // Room for bash to start on a loaded machine (CI): the timeouts under test are the shorter ones below.
        timeoutSec: 8,
        ...extra,
      },
    } as Partial<HostEntity>);

  test('an agent whose status says off fences: run with no argument, the parameters on stdin, secrets unsealed', async () => {
    const { fencer: f, sent } = fencer('exit0');
    const r = await f.fence(agentHost('fence_good'));
    assert.equal(r.fenced, true, r.detail);
    assert.equal(r.method, 'agent:fence_good');
    assert.equal(r.confirmedBy, 'agent-status');
    const runs = good.runs();
    assert.deepEqual(runs, [
      { argc: '0', stdin: 'action=off\nip=10.0.0.5\npassword=s3cret\nusername=admin\n' },
      { argc: '0', stdin: 'action=status\nip=10.0.0.5\npassword=s3cret\nusername=admin\n' },
    ]);
    assert.doesNotMatch(JSON.stringify(r), /s3cret/);
    // A bare environment: nothing of the control plane's own (its MASTER_KEY, DATABASE_URL...).
    assert.doesNotMatch(good.env(1), /DBAAS_FENCE_CANARY/);
    assert.match(good.env(1), /^PATH=/m);
    // poweroff -f was sent too, as an extra.
    assert.deepEqual(sent, [['poweroff', '-f']]);
  });

  test('off exits 0 but the status still says on: not fenced', async () => {
    // Long enough for two status runs even when each bash start takes a second.
    const r = await fencer().fencer.fence(agentHost('fence_stuck', { timeoutSec: 4 }));
    assert.equal(r.fenced, false);
    assert.match(r.detail, /still on/);
    const runs = stuck.runs();
    assert.equal(runs[0].stdin.split('\n')[0], 'action=off');
    assert.ok(runs.filter((x) => x.stdin.startsWith('action=status')).length >= 2, 'the status is asked again');
  });

  test('a power device that lags: the status is asked again until it says off', async () => {
    const r = await fencer().fencer.fence(agentHost('fence_lagging', { timeoutSec: 10 }));
    assert.equal(r.fenced, true, r.detail);
    assert.equal(lagging.runs().length, 4);
  });

  test('off fails: not fenced, with the last line of its stderr (secrets masked), and no status run', async () => {
    const r = await fencer().fencer.fence(agentHost('fence_broken'));
    assert.equal(r.fenced, false);
    assert.match(r.detail, /exited with 1: Unable to login as admin with password \*\*\*/);
    assert.doesNotMatch(r.detail, /s3cret/);
    assert.equal(broken.runs().length, 1);
  });

  test('an agent outside the allow-list, a symlink out of it, a path or a bad file is refused and never run', async () => {
    const { fencer: f } = fencer();
    for (const [name, why] of [
      ['fence_outside', /not in the allow-list/],
      ['fence_escape', /outside the allow-list/],
      ['../outside/fence_outside', /not a fence agent name/],
      ['fence_noexec', /not executable/],
      ['fence_open', /writable by anyone/],
    ] as const) {
      const r = await f.fence(agentHost(name));
      assert.equal(r.fenced, false, name);
      assert.match(r.detail, why, name);
      assert.match((await f.checkAgent(name)) ?? '', why, name);
    }
    assert.equal(escaped.runs().length, 0);
    assert.equal(await f.checkAgent('fence_good'), null);
    assert.deepEqual(await f.agents(), ['fence_broken', 'fence_good', 'fence_lagging', 'fence_stuck']);
    // No directory: no agent at all.
    const none = new HostFencer(
      connector('unreachable').connector,
      { FENCE_AGENTS_DIR: join(root, 'nope') } as CommonEnv,
      box,
    );
    assert.deepEqual(await none.agents(), []);
    assert.match((await none.checkAgent('fence_good')) ?? '', /not in the allow-list/);
  });

  test('poweroff -f over SSH never fences alone, whatever it answered', async () => {
    for (const answer of ['exit0', 'reset', 'closed', 'unreachable'] as const) {
      for (const fencing of [{ driver: 'ssh' } as const, null]) {
        const { fencer: f, sent } = fencer(answer);
        const r = await f.fence(host('a', {}, { fencing }));
        assert.equal(r.fenced, false, `${answer} ${JSON.stringify(fencing)}`);
        assert.match(r.detail, /no confirming fence method: an operator must confirm the host is off/);
        if (answer !== 'unreachable') assert.deepEqual(sent, [['poweroff', '-f']]);
      }
    }
  });

  test('sshPoweroff: false sends no poweroff -f; a failing agent is not rescued by SSH', async () => {
    const quiet = fencer('exit0');
    assert.equal((await quiet.fencer.fence(agentHost('fence_good', { sshPoweroff: false }))).fenced, true);
    assert.deepEqual(quiet.sent, []);
    const loud = fencer('exit0');
    assert.equal((await loud.fencer.fence(agentHost('fence_broken'))).fenced, false);
    assert.deepEqual(loud.sent, [['poweroff', '-f']]);
  });
});
