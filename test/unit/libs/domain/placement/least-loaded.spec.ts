import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseHost, sharesFailureDomain } from '@app/domain/placement/least-loaded';
import { host } from '../../../support/hosts';

describe('failure domains', () => {
  test('the same host, rack or hypervisor is one failure domain', () => {
    assert.equal(sharesFailureDomain(host('a'), host('a')), true);
    assert.equal(sharesFailureDomain(host('a', { rack: 'r1' }), host('b', { rack: 'r1' })), true);
    assert.equal(sharesFailureDomain(host('a', { hypervisor: 'hv1' }), host('b', { hypervisor: 'hv1' })), true);
    assert.equal(sharesFailureDomain(host('a', { rack: 'r1' }), host('b', { rack: 'r2' })), false);
    // Different racks but the same hypervisor: still one failure.
    assert.equal(
      sharesFailureDomain(host('a', { rack: 'r1', hypervisor: 'x' }), host('b', { rack: 'r2', hypervisor: 'x' })),
      true,
    );
    // Unlabelled hosts are only their own domain.
    assert.equal(sharesFailureDomain(host('a'), host('b')), false);
    // Other labels (zone, disk type) do not count.
    assert.equal(sharesFailureDomain(host('a', { disk: 'ssd' }), host('b', { disk: 'ssd' })), false);
  });

  test("a DRBD peer is never placed in the primary's domain, even when that host is emptier", () => {
    const primary = host('p', { rack: 'r1' });
    const sameRack = host('s', { rack: 'r1' });
    const otherRack = host('o', { rack: 'r2' });
    const usage = [{ hostId: 'o', databases: 5, cpus: 4, memoryMb: 6000, diskGb: 50 }];
    const peer = chooseHost([primary, sameRack, otherRack], usage, {
      plan: { cpus: 1, memoryMb: 512, diskGb: 1 },
      accept: (h) => !sharesFailureDomain(h, primary),
    });
    assert.equal(peer?.id, 'o');
    assert.equal(
      chooseHost([primary, sameRack], [], {
        plan: { cpus: 1, memoryMb: 512, diskGb: 1 },
        accept: (h) => !sharesFailureDomain(h, primary),
      }),
      null,
    );
  });
});
