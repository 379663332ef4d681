import 'reflect-metadata';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Stack } from '../support/stack';

// A new user's shell may hand down umask 077 (the quickstart once did): nothing the platform creates for a
// database may depend on it.
describe('a worker started with umask 077 still provisions every engine', () => {
  const stack = new Stack({ name: 'umask', umask: '077' });
  let key = '';

  before(async () => {
    await stack.start();
    key = (await stack.tenant('strict')).key;
  });
  after(() => stack.stop());

  for (const engine of ['postgresql', 'mariadb', 'redis']) {
    test(`${engine} reaches running`, async () => {
      const res = await stack.request('POST', '/v1/databases', {
        key,
        body: { name: `u-${engine}`, engine, plan: 'small' },
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const op = await stack.waitOperation(key, res.body.operationId, 180_000);
      assert.equal(op.status, 'succeeded', op.error);
      const [vol] = await stack.metadata('SELECT path FROM volumes WHERE database_id = $1', [res.body.id]);
      // The volume's root is the platform's to set, whatever the umask: engines drop to their own user in it.
      assert.equal((statSync(vol.path).mode & 0o777).toString(8), '755');
      const del = await stack.request('DELETE', `/v1/databases/${res.body.id}`, { key });
      assert.equal((await stack.waitOperation(key, del.body.operationId)).status, 'succeeded');
    });
  }
});
