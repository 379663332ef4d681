import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { prepareHost } from '@app/domain/databases/runtime/host-preparation';
import { RoundTrips } from '@app/domain/ports';
import { LocalExecutor } from '@app/hosts/executors/local-executor';

const work = mkdtempSync(join(tmpdir(), 'local-exec-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('the control plane as a database host', () => {
  test('it runs the platform’s own host helper: a preparation is one command, and leaves what the single commands would', async () => {
    const volume = join(work, 'vol');
    mkdirSync(join(volume, 'sub'), { recursive: true });
    const secrets = join(work, 'secrets');
    const prep = {
      volume: { path: volume, uid: 999, gid: 998 },
      secrets: { root: secrets, dir: join(secrets, 'db1'), uid: 999, gid: 998, files: { password: 's3cret-pw' } },
    };
    const trips = await RoundTrips.count(async (counted) => {
      await prepareHost(new LocalExecutor(), prep);
      return counted();
    });
    assert.equal(trips, 1, 'one call of the host helper, not one command per file');
    // By the system's Python, whatever `python3` the caller's PATH finds first (a pyenv shim: 0.3 s a call).
    if (existsSync('/usr/bin/python3')) assert.equal(new LocalExecutor().hostHelper?.python, '/usr/bin/python3');
    for (const p of [volume, join(volume, 'sub'), join(secrets, 'db1', 'password')])
      assert.deepEqual([statSync(p).uid, statSync(p).gid], [999, 998], p);
    assert.equal(statSync(join(secrets, 'db1', 'password')).mode & 0o777, 0o600);
    assert.equal(statSync(secrets).mode & 0o777, 0o700);
    assert.equal(readFileSync(join(secrets, 'db1', 'password'), 'utf8'), 's3cret-pw');
  });
});
