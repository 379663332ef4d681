import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RegisterStorageBackendCommand } from '@app/domain/storage/use-cases/register-storage-backend/register-storage-backend.command';
import { RegisterStorageBackendUseCase } from '@app/domain/storage/use-cases/register-storage-backend/register-storage-backend.usecase';
import { StorageException } from '@app/domain/storage/storage-backend.exception';

const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const events = () => {
  const list: { type: string; message: string }[] = [];
  return { list, repo: { record: async (e: { type: string; message: string }) => void list.push(e) } };
};

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
