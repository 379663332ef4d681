import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@nestjs/common';
import type { HostEntity, HostHealth } from '@app/persistence/entities';
import { HostMonitorService } from '@app/domain/failover/host-monitor.service';
import { hostChecks } from '@app/domain/hosts/host-checks';

const health = (h: Partial<HostHealth>): HostHealth => ({
  checkedAt: new Date().toISOString(),
  ssh: true,
  docker: true,
  failures: 0,
  ...h,
});

describe('hostChecks', () => {
  test('never checked: both unknown', () => {
    assert.deepEqual(hostChecks({ health: null, lastSeenAt: null }), { ssh: 'unknown', docker: 'unknown' });
  });

  test('never reached: both unknown, even with an old record claiming Docker answered', () => {
    assert.deepEqual(hostChecks({ health: health({ ssh: false, docker: true, failures: 2 }), lastSeenAt: null }), {
      ssh: 'unknown',
      docker: 'unknown',
    });
  });

  test('reached before, SSH failing now: ssh failed, docker unknown (it cannot be checked)', () => {
    const h = { health: health({ ssh: false, docker: null, failures: 1 }), lastSeenAt: new Date() };
    assert.deepEqual(hostChecks(h), { ssh: 'failed', docker: 'unknown' });
  });

  test('SSH answers: docker as its own check said, unknown until it ran', () => {
    const seen = new Date();
    assert.deepEqual(hostChecks({ health: health({ docker: true }), lastSeenAt: seen }), { ssh: 'ok', docker: 'ok' });
    assert.deepEqual(hostChecks({ health: health({ docker: false }), lastSeenAt: seen }), {
      ssh: 'ok',
      docker: 'failed',
    });
    assert.deepEqual(hostChecks({ health: health({ docker: null }), lastSeenAt: seen }), {
      ssh: 'ok',
      docker: 'unknown',
    });
  });
});

describe('host monitor: what it records', () => {
  before(() => Logger.overrideLogger(false));

  function monitor(hosts: Partial<HostEntity>[], opts: { probe: (h: HostEntity) => Promise<void>; docker: boolean }) {
    const written = new Map<string, Partial<HostEntity>>();
    const svc = new HostMonitorService(
      {
        list: async () => hosts as HostEntity[],
        update: async (id: string, p: Partial<HostEntity>) => void written.set(id, p),
      } as never,
      { list: async () => [] } as never,
      {
        probe: opts.probe,
        runtime: async () => ({
          ping: async () => {
            if (!opts.docker) throw new Error('docker down');
          },
        }),
      } as never,
      { record: async () => undefined } as never,
      { get: async () => null } as never,
      { declareDown: async () => undefined } as never,
      { read: async () => undefined } as never,
    );
    return { svc, written };
  }
  const settings = {
    probeTimeoutMs: 50,
    bannerTimeoutMs: 50,
    failuresBeforeDown: 3,
    probeIntervalMs: 0,
    suspectIntervalMs: 0,
    deepEvery: 5,
    witnessTimeoutMs: 100,
    graceMs: 0,
    brakeShare: 0.55,
    fencesPerMinute: 3,
  };

  test('a host that never answers: its Docker is not reported (it was never checked)', async () => {
    const { svc, written } = monitor([{ id: 'h', name: 'h', status: 'active', connection: 'ssh', labels: {} }], {
      probe: async () => Promise.reject(new Error('connect ECONNREFUSED')),
      docker: true,
    });
    await svc.tick(settings);
    const w = written.get('h')!;
    assert.equal(w.health!.ssh, false);
    assert.equal(w.health!.docker, null);
    assert.equal(w.lastSeenAt, undefined, 'not seen');
  });

  test('the local host is checked too: Docker answered, seen now', async () => {
    const { svc, written } = monitor([{ id: 'l', name: 'local', status: 'active', connection: 'local' }], {
      probe: async () => undefined,
      docker: true,
    });
    await svc.tick(settings);
    const w = written.get('l');
    assert.ok(w, 'the local host was checked');
    assert.equal(w.health!.docker, true);
    assert.ok(w.lastSeenAt);
    assert.deepEqual(hostChecks({ health: w.health!, lastSeenAt: w.lastSeenAt! }), { ssh: 'ok', docker: 'ok' });
  });
});
