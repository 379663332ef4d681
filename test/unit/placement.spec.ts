import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostCapacity, HostEntity, HostStatus } from '../../libs/persistence/src/entities';
import type { HostUsage } from '../../libs/domain/src/ports';
import { chooseHost, DEFAULT_OVERCOMMIT } from '../../libs/domain/src/hosts/placement/placement.service';

function host(
  id: string,
  opts: { status?: HostStatus; capacity?: Partial<HostCapacity>; storageDriver?: string } = {},
): HostEntity {
  return {
    id,
    name: `host-${id}`,
    status: opts.status ?? 'active',
    storageDriver: opts.storageDriver ?? 'directory',
    capacity: { cpus: 4, memoryMb: 8192, diskGb: 100, ...opts.capacity },
  } as HostEntity;
}

function usage(hostId: string, u: Partial<Omit<HostUsage, 'hostId'>>): HostUsage {
  return { hostId, databases: 1, cpus: 0, memoryMb: 0, diskGb: 0, ...u };
}

const small = { plan: { cpus: 1, memoryMb: 1024, diskGb: 10 } };

describe('chooseHost', () => {
  test('default overcommit: 4x CPU, none on memory and disk', () => {
    assert.deepEqual(DEFAULT_OVERCOMMIT, { cpus: 4, memoryMb: 1, diskGb: 1 });
  });

  test('picks the least loaded host by its tightest resource', () => {
    const hosts = [host('a'), host('b'), host('c')];
    const used = [
      usage('a', { memoryMb: 6000 }), // memory-tight
      usage('b', { memoryMb: 1000, diskGb: 20 }),
      usage('c', { diskGb: 80 }), // disk-tight
    ];
    assert.equal(chooseHost(hosts, used, small)?.id, 'b');
  });

  test('a host with no usage row counts as empty and wins', () => {
    const hosts = [host('busy'), host('idle')];
    assert.equal(chooseHost(hosts, [usage('busy', { memoryMb: 100 })], small)?.id, 'idle');
  });

  test('larger hosts win at equal absolute usage (load is relative to capacity)', () => {
    const hosts = [host('small'), host('big', { capacity: { memoryMb: 32768, diskGb: 400 } })];
    const used = [usage('small', { memoryMb: 2048 }), usage('big', { memoryMb: 2048 })];
    assert.equal(chooseHost(hosts, used, small)?.id, 'big');
  });

  test('skips draining, down and fenced hosts even when they are emptier', () => {
    for (const status of ['draining', 'down', 'fenced'] as const) {
      const hosts = [host('off', { status }), host('on')];
      const used = [usage('on', { memoryMb: 4000 })];
      assert.equal(chooseHost(hosts, used, small)?.id, 'on', status);
    }
    assert.equal(chooseHost([host('x', { status: 'draining' }), host('y', { status: 'fenced' })], [], small), null);
  });

  test('CPU may be overcommitted up to 4x', () => {
    const hosts = [host('a', { capacity: { cpus: 2 } })];
    // 7 of 2 cores promised: 7 + 1 = 8 = 2 * 4 still fits.
    assert.equal(chooseHost(hosts, [usage('a', { cpus: 7 })], small)?.id, 'a');
    // 7.5 + 1 > 8: no longer fits.
    assert.equal(chooseHost(hosts, [usage('a', { cpus: 7.5 })], small), null);
  });

  test('memory and disk are not overcommitted', () => {
    const hosts = [host('a')];
    assert.equal(chooseHost(hosts, [usage('a', { memoryMb: 8192 - 1024 })], small)?.id, 'a'); // exactly full
    assert.equal(chooseHost(hosts, [usage('a', { memoryMb: 8192 - 1023 })], small), null);
    assert.equal(chooseHost(hosts, [usage('a', { diskGb: 91 })], small), null);
  });

  test('a custom overcommit applies per resource', () => {
    const hosts = [host('a')];
    const used = [usage('a', { memoryMb: 12000 })];
    assert.equal(chooseHost(hosts, used, small), null);
    assert.equal(chooseHost(hosts, used, small, { cpus: 4, memoryMb: 2, diskGb: 1 })?.id, 'a');
    assert.equal(chooseHost(hosts, [usage('a', { cpus: 4 })], small, { cpus: 1, memoryMb: 1, diskGb: 1 }), null);
  });

  test('returns null when no host has room, or there are no hosts', () => {
    const huge = { plan: { cpus: 1, memoryMb: 65536, diskGb: 10 } };
    assert.equal(chooseHost([host('a'), host('b')], [], huge), null);
    assert.equal(chooseHost([], [], small), null);
  });

  test('filters by storage driver when one is requested', () => {
    const hosts = [host('dir'), host('san', { storageDriver: 'san' })];
    const used = [usage('dir', { memoryMb: 7000 })];
    assert.equal(chooseHost(hosts, used, { ...small, storageDriver: 'san' })?.id, 'san');
    assert.equal(chooseHost(hosts, used, { ...small, storageDriver: 'directory' })?.id, 'dir');
    assert.equal(chooseHost(hosts, used, { ...small, storageDriver: 'lvm' }), null);
    // Without a filter the emptier host wins, whatever its driver.
    assert.equal(chooseHost(hosts, used, small)?.id, 'san');
  });

  test('the host order does not decide between differently loaded hosts', () => {
    const used = [usage('a', { diskGb: 50 }), usage('b', { diskGb: 10 })];
    assert.equal(chooseHost([host('a'), host('b')], used, small)?.id, 'b');
    assert.equal(chooseHost([host('b'), host('a')], used, small)?.id, 'b');
  });
});
