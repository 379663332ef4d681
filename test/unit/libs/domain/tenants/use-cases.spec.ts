import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TenantException, TenantExceptionCode } from '@app/domain/tenants/tenant.exception';
import { CreateTenantCommand } from '@app/domain/tenants/use-cases/create-tenant/create-tenant.command';
import { CreateTenantUseCase } from '@app/domain/tenants/use-cases/create-tenant/create-tenant.usecase';
import { IssueApiKeyCommand } from '@app/domain/tenants/use-cases/issue-api-key/issue-api-key.command';
import { IssueApiKeyUseCase } from '@app/domain/tenants/use-cases/issue-api-key/issue-api-key.usecase';
import { RevokeApiKeyUseCase } from '@app/domain/tenants/use-cases/revoke-api-key/revoke-api-key.usecase';
import { cryptography } from '@app/security/cryptography.adapter';

// The tenant use cases (a tenant, its API keys), on fakes.

const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const events = () => {
  const list: { type: string; message: string }[] = [];
  return { list, repo: { record: async (e: { type: string; message: string }) => void list.push(e) } };
};

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
