import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HostEntity } from '@app/persistence/entities';
import { SweepTenantNetworksUseCase } from '@app/domain/hosts/use-cases/sweep-tenant-networks/sweep-tenant-networks.usecase';

type Net = { id: string; name: string; containers: number };

function world(hosts: Partial<HostEntity>[], nets: Record<string, Net[] | Error>) {
  const removed: string[] = [];
  const connector = {
    runtime: async (h: HostEntity) => ({
      networks: async (key: string) => {
        assert.equal(key, 'dbaas.tenant');
        const n = nets[h.id];
        if (n instanceof Error) throw n;
        return n;
      },
      removeUnusedNetwork: async (id: string) => {
        removed.push(`${h.id}/${id}`);
        return true;
      },
    }),
  };
  const sweep = new SweepTenantNetworksUseCase({ list: async () => hosts } as never, connector as never);
  return { sweep, removed };
}

describe('SweepTenantNetworksUseCase', () => {
  const IDLE = 10_000;

  test('a network goes once no container used it for the idle time seen by the rounds; one in use never', async () => {
    const nets: Record<string, Net[] | Error> = {
      h1: [
        { id: 'a', name: 'dbaas-t-a', containers: 0 },
        { id: 'b', name: 'dbaas-t-b', containers: 1 },
      ],
    };
    const w = world([{ id: 'h1', name: 'host1', status: 'active' }], nets);
    assert.deepEqual(await w.sweep.execute(IDLE, 0), [], 'first seen unused: the count starts');
    assert.deepEqual(await w.sweep.execute(IDLE, 9_999), []);
    assert.deepEqual(await w.sweep.execute(IDLE, 10_000), ['dbaas-t-a']);
    assert.deepEqual(w.removed, ['h1/a']);
  });

  test('used again in between: the count starts over', async () => {
    const nets: Record<string, Net[] | Error> = { h1: [{ id: 'a', name: 'dbaas-t-a', containers: 0 }] };
    const w = world([{ id: 'h1', name: 'host1', status: 'active' }], nets);
    await w.sweep.execute(IDLE, 0);
    nets.h1 = [{ id: 'a', name: 'dbaas-t-a', containers: 1 }];
    await w.sweep.execute(IDLE, 5_000);
    nets.h1 = [{ id: 'a', name: 'dbaas-t-a', containers: 0 }];
    assert.deepEqual(await w.sweep.execute(IDLE, 12_000), []);
    assert.deepEqual(await w.sweep.execute(IDLE, 22_000), ['dbaas-t-a']);
  });

  test('a host that does not answer keeps its counts; down and fenced hosts are not asked', async () => {
    const nets: Record<string, Net[] | Error> = { h1: [{ id: 'a', name: 'dbaas-t-a', containers: 0 }] };
    const w = world(
      [
        { id: 'h1', name: 'host1', status: 'active' },
        { id: 'h2', name: 'host2', status: 'down' },
        { id: 'h3', name: 'host3', status: 'fenced' },
      ],
      { ...nets, h2: new Error('must not be asked'), h3: new Error('must not be asked') },
    );
    await w.sweep.execute(IDLE, 0);
    const saved = nets.h1;
    (w.sweep as unknown as { connector: unknown }).connector = {
      runtime: async () => ({ networks: async () => Promise.reject(new Error('no answer')) }),
    };
    assert.deepEqual(await w.sweep.execute(IDLE, 5_000), []);
    (w.sweep as unknown as { connector: unknown }).connector = {
      runtime: async () => ({ networks: async () => saved, removeUnusedNetwork: async () => true }),
    };
    assert.deepEqual(await w.sweep.execute(IDLE, 10_000), ['dbaas-t-a'], 'counted from the first round');
  });
});
