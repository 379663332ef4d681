import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OperatorKeyException, OperatorKeyExceptionCode } from '@app/domain/auth/operator-key.exception';
import { RevokeOperatorKeyUseCase } from '@app/domain/auth/use-cases/revoke-operator-key/revoke-operator-key.usecase';

const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

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
