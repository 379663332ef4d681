import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OperatorKeyException, OperatorKeyExceptionCode } from '../../libs/domain/src/auth/operator-key.exception';
import { RevokeOperatorKeyUseCase } from '../../libs/domain/src/auth/use-cases/revoke-operator-key/revoke-operator-key.usecase';
import { DatabaseException, DatabaseExceptionCode } from '../../libs/domain/src/databases/database.exception';
import { ApplyRebalanceCommand } from '../../libs/domain/src/placement/use-cases/apply-rebalance/apply-rebalance.command';
import { ApplyRebalanceUseCase } from '../../libs/domain/src/placement/use-cases/apply-rebalance/apply-rebalance.usecase';
import { UpdatePlacementSettingsCommand } from '../../libs/domain/src/placement/use-cases/update-placement-settings/update-placement-settings.command';
import { UpdatePlacementSettingsUseCase } from '../../libs/domain/src/placement/use-cases/update-placement-settings/update-placement-settings.usecase';
import { RegisterStorageBackendCommand } from '../../libs/domain/src/storage/use-cases/register-storage-backend/register-storage-backend.command';
import { RegisterStorageBackendUseCase } from '../../libs/domain/src/storage/use-cases/register-storage-backend/register-storage-backend.usecase';
import { StorageException } from '../../libs/domain/src/storage/storage-backend.exception';
import { TenantException, TenantExceptionCode } from '../../libs/domain/src/tenants/tenant.exception';
import { CreateTenantCommand } from '../../libs/domain/src/tenants/use-cases/create-tenant/create-tenant.command';
import { CreateTenantUseCase } from '../../libs/domain/src/tenants/use-cases/create-tenant/create-tenant.usecase';
import { IssueApiKeyCommand } from '../../libs/domain/src/tenants/use-cases/issue-api-key/issue-api-key.command';
import { IssueApiKeyUseCase } from '../../libs/domain/src/tenants/use-cases/issue-api-key/issue-api-key.usecase';
import { RevokeApiKeyUseCase } from '../../libs/domain/src/tenants/use-cases/revoke-api-key/revoke-api-key.usecase';
import { cryptography } from '../../libs/security/src/cryptography.adapter';

// The smaller operator use cases with a rule of their own (placement, tenants, storage backends), on fakes.

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

describe('tenants and their API keys', () => {
  test('a tenant name is unique', async () => {
    const e = events();
    const tenants = {
      findByName: async (name: string) => (name === 'acme' ? { id: id(1) } : null),
      create: async (name: string) => ({ id: id(2), name }),
    };
    const uc = new CreateTenantUseCase(tenants as never, e.repo as never);
    await assert.rejects(
      uc.execute(CreateTenantCommand.create({ name: 'acme' }), 'a'),
      (err: unknown) => err instanceof TenantException && err.code === TenantExceptionCode.NameTaken,
    );
    assert.equal((await uc.execute(CreateTenantCommand.create({ name: 'globex' }), 'operator:a')).id, id(2));
    assert.deepEqual(e.list, [
      { type: 'tenant.created', message: 'tenant globex created by operator:a', tenantId: id(2) },
    ]);
  });

  test('a key is issued to an existing tenant only, shown once, and only its hash is kept', async () => {
    const e = events();
    const stored: Record<string, unknown>[] = [];
    const keys = {
      create: async (row: Record<string, unknown>) => {
        stored.push(row);
        return { id: id(3), name: row.name, prefix: row.prefix, createdAt: new Date(), revokedAt: null };
      },
    };
    const tenants = { get: async (t: string) => (t === id(1) ? { id: t } : null) };
    const uc = new IssueApiKeyUseCase(tenants as never, keys as never, e.repo as never, cryptography);
    await assert.rejects(
      uc.execute(id(2), IssueApiKeyCommand.create({}), 'a'),
      (err: unknown) => err instanceof TenantException && err.code === TenantExceptionCode.NotFound,
    );
    const issued = await uc.execute(id(1), IssueApiKeyCommand.create({}), 'operator:a');
    assert.equal(issued.name, 'default');
    assert.ok(issued.key.startsWith(issued.prefix));
    assert.notEqual(stored[0].keyHash, issued.key);
    assert.ok(!JSON.stringify(stored).includes(issued.key), 'the clear key is not stored');
  });

  test('a revoked key is forgotten by the authentication cache at once; an unknown one is a 404', async () => {
    const e = events();
    const forgotten: string[] = [];
    const keys = { revoke: async (keyId: string) => keyId === id(3) };
    const uc = new RevokeApiKeyUseCase(
      keys as never,
      e.repo as never,
      {
        forget: (k: string) => void forgotten.push(k),
      } as never,
    );
    await uc.execute(id(1), id(3), 'operator:a');
    assert.deepEqual(forgotten, [id(3)]);
    await assert.rejects(
      uc.execute(id(1), id(4), 'a'),
      (err: unknown) => err instanceof TenantException && err.code === TenantExceptionCode.KeyNotFound,
    );
  });
});

describe('RegisterStorageBackendUseCase', () => {
  test('defaults filled in, the key sealed and not shown; a name is unique', async () => {
    const e = events();
    const created: Record<string, unknown>[] = [];
    const backends = {
      findByName: async (name: string) => (name === 'taken' ? { id: id(1) } : null),
      create: async (row: Record<string, unknown>) => {
        created.push(row);
        return { id: id(2), ...row };
      },
    };
    const uc = new RegisterStorageBackendUseCase(backends as never, e.repo as never, { seal: () => 'sealed' } as never);
    const body = {
      portalAddress: '10.0.0.5',
      sshAddress: '10.0.0.5',
      sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
      volumeGroup: 'vg0',
    };
    await assert.rejects(
      uc.execute(RegisterStorageBackendCommand.create({ ...body, name: 'taken' }), 'a'),
      StorageException,
    );
    const view = await uc.execute(RegisterStorageBackendCommand.create({ ...body, name: 'san-1' }), 'operator:a');
    assert.equal(created[0].portalPort, 3260);
    assert.equal(created[0].iqnPrefix, 'iqn.2026-11.io.dbaas.san1');
    assert.equal(created[0].lunSizeGb, 20);
    assert.equal(created[0].sshPrivateKey, 'sealed');
    assert.ok(!('sshPrivateKey' in view));
  });
});

describe('RevokeOperatorKeyUseCase', () => {
  test('the last active operator key is never revoked; an unknown or revoked one is a 404', async () => {
    const forgotten: string[] = [];
    const active = [
      { id: id(1), revokedAt: null },
      { id: id(2), revokedAt: new Date() },
    ];
    const keys = { listOperators: async () => active, revoke: async () => true };
    const uc = new RevokeOperatorKeyUseCase(keys as never, { forget: (k: string) => void forgotten.push(k) } as never);
    const refused = (c: OperatorKeyExceptionCode) => (e: unknown) => e instanceof OperatorKeyException && e.code === c;
    await assert.rejects(uc.execute(id(1)), refused(OperatorKeyExceptionCode.LastKey));
    await assert.rejects(uc.execute(id(2)), refused(OperatorKeyExceptionCode.NotFound));
    active.push({ id: id(3), revokedAt: null });
    await uc.execute(id(1));
    assert.deepEqual(forgotten, [id(1)]);
  });
});
