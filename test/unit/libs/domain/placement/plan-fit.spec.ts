import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostStatus } from '@app/persistence/entities';
import {
  containerRoom,
  holdsOne,
  hostShortfall,
  planFit,
  type Overcommit,
  type PlanDemand,
} from '@app/domain/placement';

const DEFAULT: Overcommit = { cpus: 4, memoryMb: 1, diskGb: 1 };

function host(
  name: string,
  cpus: number,
  memoryMb: number,
  diskGb: number,
  status: HostStatus = 'active',
  driver = 'directory',
) {
  return { name, status, storageDriver: driver, capacity: { cpus, memoryMb, diskGb } };
}
const plan = (
  name: string,
  cpus: number,
  memoryMb: number,
  diskGb: number,
  storageDriver: string | null = null,
): PlanDemand => ({
  name,
  cpus,
  memoryMb,
  diskGb,
  storageDriver,
});
// The seeded plans and the machine the CI runs on (2 cores, 24 GiB).
const XLARGE = plan('xlarge', 4, 8192, 200);
const LARGE = plan('large', 2, 4096, 50);
const LOCAL = host('local', 2, 24_000, 500);

describe('containerRoom: what one container can be given on an empty host', () => {
  test('CPU overcommit adds no cores to one container; memory and disk follow the overcommit', () => {
    assert.deepEqual(containerRoom({ cpus: 2, memoryMb: 4096, diskGb: 100 }, DEFAULT), {
      cpus: 2,
      memoryMb: 4096,
      diskGb: 100,
    });
    assert.deepEqual(containerRoom({ cpus: 2, memoryMb: 4096, diskGb: 100 }, { cpus: 8, memoryMb: 2, diskGb: 3 }), {
      cpus: 2,
      memoryMb: 8192,
      diskGb: 300,
    });
  });

  test('boundaries: exactly the host fits, a hair more does not (fractional CPUs too)', () => {
    assert.equal(
      holdsOne({ cpus: 2, memoryMb: 4096, diskGb: 100 }, { cpus: 2, memoryMb: 4096, diskGb: 100 }, DEFAULT),
      true,
    );
    assert.equal(
      holdsOne({ cpus: 2, memoryMb: 4096, diskGb: 100 }, { cpus: 2.01, memoryMb: 1, diskGb: 1 }, DEFAULT),
      false,
    );
    assert.equal(
      holdsOne({ cpus: 2, memoryMb: 4096, diskGb: 100 }, { cpus: 1, memoryMb: 4097, diskGb: 1 }, DEFAULT),
      false,
    );
    assert.equal(
      holdsOne({ cpus: 2, memoryMb: 4096, diskGb: 100 }, { cpus: 1, memoryMb: 1, diskGb: 101 }, DEFAULT),
      false,
    );
    assert.equal(
      holdsOne({ cpus: 0.3, memoryMb: 4096, diskGb: 100 }, { cpus: 0.1 + 0.2, memoryMb: 1, diskGb: 1 }, DEFAULT),
      true,
    );
  });
});

describe('planFit: can the plan ever be placed on this fleet', () => {
  test('xlarge on the 2-core local host: too large, naming the CPUs and the best host', () => {
    const fit = planFit([LOCAL], XLARGE, DEFAULT);
    assert.equal(fit.verdict, 'too-large');
    assert.equal(
      fit.verdict === 'too-large' && fit.reason,
      'plan "xlarge" is larger than any active host can hold for one database: ' +
        '4 CPUs asked, at most 2 on one host (local); see GET /v1/plans',
    );
    assert.deepEqual(planFit([LOCAL], LARGE, DEFAULT), { verdict: 'fits' });
  });

  test('one active host big enough is enough, even next to small ones', () => {
    assert.deepEqual(planFit([LOCAL, host('big', 8, 16_384, 500)], XLARGE, DEFAULT), { verdict: 'fits' });
  });

  test('hosts that are not active do not count; with none active at all, nothing is judged', () => {
    for (const status of ['draining', 'down', 'fenced'] as const) {
      const fit = planFit([LOCAL, host('big', 8, 16_384, 500, status)], XLARGE, DEFAULT);
      assert.equal(fit.verdict, 'too-large', status);
      assert.deepEqual(planFit([host('big', 8, 16_384, 500, status)], XLARGE, DEFAULT), { verdict: 'no-host' });
    }
    assert.deepEqual(planFit([], XLARGE, DEFAULT), { verdict: 'no-host' });
  });

  test('every short resource is named, with the most any host offers', () => {
    const fit = planFit([host('a', 2, 4096, 100), host('b', 1, 6144, 150)], XLARGE, DEFAULT);
    assert.equal(fit.verdict, 'too-large');
    const reason = fit.verdict === 'too-large' ? fit.reason : '';
    assert.match(reason, /4 CPUs asked, at most 2 on one host \(a\)/);
    assert.match(reason, /8192 MB of memory asked, at most 6144 on one host \(b\)/);
    assert.match(reason, /200 GB of disk asked, at most 150 on one host \(b\)/);
  });

  test('each resource fits somewhere but never all on one host: said so', () => {
    const fit = planFit([host('cores', 8, 4096, 500), host('memory', 2, 16_384, 500)], XLARGE, DEFAULT);
    assert.equal(fit.verdict, 'too-large');
    assert.match(
      fit.verdict === 'too-large' ? fit.reason : '',
      /none has 4 CPUs, 8192 MB of memory, 200 GB of disk at once/,
    );
  });

  test('memory and disk overcommit raise what one database may be promised; CPU overcommit does not', () => {
    const hosts = [host('a', 4, 4096, 100)];
    assert.equal(planFit(hosts, XLARGE, DEFAULT).verdict, 'too-large');
    assert.equal(planFit(hosts, XLARGE, { cpus: 4, memoryMb: 2, diskGb: 2 }).verdict, 'fits');
    assert.equal(planFit([host('a', 2, 8192, 200)], XLARGE, { cpus: 16, memoryMb: 1, diskGb: 1 }).verdict, 'too-large');
  });

  test("a plan's storage driver limits the hosts that count", () => {
    const hosts = [host('dir', 8, 16_384, 500, 'active', 'directory'), host('san', 2, 4096, 100, 'active', 'san-lvm')];
    const onSan = plan('san-xl', 4, 8192, 200, 'san-lvm');
    const fit = planFit(hosts, onSan, DEFAULT);
    assert.equal(fit.verdict, 'too-large');
    assert.match(fit.verdict === 'too-large' ? fit.reason : '', /any active host with storage driver san-lvm/);
    assert.deepEqual(planFit(hosts, { ...onSan, storageDriver: null }, DEFAULT), { verdict: 'fits' });
    assert.deepEqual(planFit([hosts[0]], onSan, DEFAULT), { verdict: 'no-host' });
  });
});

describe('hostShortfall: in-place changes on one host', () => {
  test('names the host and what is short; null when it fits', () => {
    assert.equal(
      hostShortfall(LOCAL, XLARGE, DEFAULT),
      'plan "xlarge" does not fit on host local: 4 CPUs asked, at most 2 there',
    );
    assert.equal(hostShortfall(LOCAL, LARGE, DEFAULT), null);
  });
});
