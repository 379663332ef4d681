import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The storage drivers share their host helpers through libs/storage/src/host; none reaches into another's folder.

const SRC = join(__dirname, '../../../libs/storage/src');
const DRIVERS = ['directory', 'san-lvm', 'drbd'];

describe('libs/storage layout', () => {
  test("no driver imports another driver's folder, and host/ imports no driver", () => {
    for (const dir of [...DRIVERS, 'host']) {
      for (const f of readdirSync(join(SRC, dir)).filter((n) => n.endsWith('.ts'))) {
        const imports = [...readFileSync(join(SRC, dir, f), 'utf8').matchAll(/from '(\.\.\/[^']+)'/g)].map((m) => m[1]);
        const others = imports.filter((p) => DRIVERS.some((d) => d !== dir && p.startsWith(`../${d}`)));
        assert.deepEqual(others, [], `${dir}/${f}`);
      }
    }
  });
});
