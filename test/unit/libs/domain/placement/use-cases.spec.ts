import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DatabaseException, DatabaseExceptionCode } from '@app/domain/databases/database.exception';
import { ApplyRebalanceCommand } from '@app/domain/placement/use-cases/apply-rebalance/apply-rebalance.command';
import { ApplyRebalanceUseCase } from '@app/domain/placement/use-cases/apply-rebalance/apply-rebalance.usecase';
import { UpdatePlacementSettingsCommand } from '@app/domain/placement/use-cases/update-placement-settings/update-placement-settings.command';
import { UpdatePlacementSettingsUseCase } from '@app/domain/placement/use-cases/update-placement-settings/update-placement-settings.usecase';

// The operator's placement use cases with a rule of their own, on fakes.

const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const events = () => {
  const list: { type: string; message: string }[] = [];
  return { list, repo: { record: async (e: { type: string; message: string }) => void list.push(e) } };
};

describe('ApplyRebalanceUseCase', () => {
  test('each accepted move is started; a refused one is reported and does not stop the others', async () => {
    const mover = {
      execute: async (cmd: { databaseId: string; targetHostId: string }) => {
        if (cmd.databaseId === id(2)) throw new DatabaseException(DatabaseExceptionCode.Busy, 'the database is busy');
        return { id: `op-${cmd.databaseId}` };
      },
    };
    const uc = new ApplyRebalanceUseCase(mover as never);
    const moves = [1, 2, 3].map((n) => ({ databaseId: id(n), targetHostId: id(9) }));
    assert.deepEqual(await uc.execute(ApplyRebalanceCommand.create({ moves }), 'operator:a'), {
      started: [
        { databaseId: id(1), operationId: `op-${id(1)}` },
        { databaseId: id(3), operationId: `op-${id(3)}` },
      ],
      refused: [{ databaseId: id(2), reason: 'the database is busy' }],
    });
  });

  test('an unexpected error (not a refusal) is not swallowed', async () => {
    const uc = new ApplyRebalanceUseCase({ execute: async () => Promise.reject(new Error('db down')) } as never);
    const cmd = ApplyRebalanceCommand.create({ moves: [{ databaseId: id(1), targetHostId: id(2) }] });
    await assert.rejects(uc.execute(cmd, 'a'), /db down/);
  });
});

describe('UpdatePlacementSettingsUseCase', () => {
  test('only the fields given change; who changed them is kept and recorded', async () => {
    const saved: Record<string, unknown>[] = [];
    const e = events();
    const settings = {
      update: async (patch: Record<string, unknown>) => {
        saved.push(patch);
        return {
          cpuOvercommit: 4,
          memoryOvercommit: 1,
          diskOvercommit: 1,
          hotspotCpu: 0.5,
          hotspotMemory: 0.9,
          updatedBy: patch.updatedBy,
          updatedAt: new Date('2026-12-01T00:00:00Z'),
        };
      },
    };
    const uc = new UpdatePlacementSettingsUseCase(settings as never, e.repo as never);
    const view = await uc.execute(UpdatePlacementSettingsCommand.create({ hotspotCpu: 0.5 }), 'operator:a');
    assert.deepEqual(saved, [{ hotspotCpu: 0.5, updatedBy: 'operator:a' }]);
    assert.deepEqual(view.hotspot, { cpu: 0.5, memory: 0.9 });
    assert.equal(e.list[0].message, 'placement settings changed by operator:a: {"hotspotCpu":0.5}');
  });
});
