import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeTook } from '@app/domain/ports/host-helper';

describe('describeTook', () => {
  test("sums the helper's programs by name and names the rest as its own time", () => {
    const took = {
      ms: 5000,
      runs: [
        ['iscsiadm', 300],
        ['iscsiadm', 1200],
        ['vgchange', 1500],
        ['mount', 900],
      ],
    };
    assert.equal(describeTook(took), '5000 ms: iscsiadm×2 1500, vgchange 1500, mount 900, own 1100');
  });

  test('an answer without a usable account gives nothing (an older helper)', () => {
    assert.equal(describeTook(undefined), null);
    assert.equal(describeTook({ ms: 'x', runs: [] }), null);
    assert.equal(describeTook({ ms: 10, runs: [['a', 'b'], 7] }), '10 ms: own 10');
  });
});
