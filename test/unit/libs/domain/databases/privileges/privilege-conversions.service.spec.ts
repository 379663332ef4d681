import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JobName } from '@app/jobs';
import type { DatabaseEntity } from '@app/persistence/entities';
import type { DatabaseOperationStarter, StartRequest } from '@app/domain/databases/database-operation-starter';
import { DatabaseException, DatabaseExceptionCode } from '@app/domain/databases/database.exception';
import { PrivilegeConversions } from '@app/domain/databases/privileges/privilege-conversions.service';
import type { DatabaseRepository } from '@app/domain/ports';

const db = (id: string, privilegeModel: 'legacy' | 'owner') =>
  ({ id, privilegeModel, status: 'running' }) as DatabaseEntity;

describe('PrivilegeConversions', () => {
  test('starts one convert-privileges operation per running legacy database; busy ones are deferred', async () => {
    const asked: { status?: string }[] = [];
    const databases = {
      list: async (filter: { status?: string }) => {
        asked.push(filter);
        return [db('a', 'legacy'), db('b', 'owner'), db('c', 'legacy')];
      },
    } as unknown as DatabaseRepository;
    const started: StartRequest[] = [];
    const starter = {
      start: async (req: StartRequest) => {
        if (req.databaseId === 'c')
          throw new DatabaseException(DatabaseExceptionCode.Busy, 'operation x (backup-database) is still running');
        started.push(req);
        return { id: `op-${req.databaseId}` };
      },
    } as unknown as DatabaseOperationStarter;
    const res = await new PrivilegeConversions(databases, starter).startAll();
    assert.deepEqual(res, { started: 1, deferred: 1 });
    assert.deepEqual(asked, [{ status: 'running' }]);
    assert.equal(started.length, 1);
    assert.equal(started[0].databaseId, 'a');
    assert.equal(started[0].type, 'convert-privileges');
    assert.equal(started[0].tenantId, null, 'the platform acts, not a tenant');
    assert.deepEqual(started[0].allowedFrom, ['running']);
    assert.deepEqual(started[0].job('op-a'), {
      name: JobName.ConvertPrivileges,
      data: { operationId: 'op-a', databaseId: 'a' },
    });
  });
});
