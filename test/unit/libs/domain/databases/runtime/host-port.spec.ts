import assert from 'node:assert/strict';
import { test } from 'node:test';
import { takenPort } from '@app/domain/databases/runtime/host-port';

test('the port is read from both of Docker refusals, and nothing else counts', () => {
  const proxy = {
    json: {
      message:
        'driver failed programming external connectivity on endpoint dbaas-1 (abc): Error starting userland proxy: listen tcp4 0.0.0.0:31005: bind: address already in use',
    },
  };
  assert.equal(takenPort(proxy), 31005);
  assert.equal(
    takenPort(
      new Error(
        'driver failed programming external connectivity on endpoint x: Bind for 10.0.0.5:20001 failed: port is already allocated',
      ),
    ),
    20001,
  );
  assert.equal(takenPort(new Error('listen tcp6 [::]:20002: bind: address already in use')), 20002);
  assert.equal(takenPort(new Error('no such image')), null);
  assert.equal(takenPort(null), null);
});
