import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DrbdStorageDriver } from '@app/storage/drbd/drbd.driver';
import { host } from '../../../support/hosts';

describe('drbd mirror states', () => {
  const volume = { id: 'v1', drbdMinor: 0 } as never;
  const driverWith = (result: { exitCode: number; stdout: string; stderr: string }) =>
    new DrbdStorageDriver(
      { executor: async () => ({ run: async () => result }) } as never,
      {} as never,
      {} as never,
      {} as never,
      {} as never,
    );

  test('read from /proc/drbd on the primary', async () => {
    const d = driverWith({
      exitCode: 0,
      stdout: '/proc/drbd: 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n',
      stderr: '',
    });
    const m = await d.mirrors(host('h'), [volume]);
    assert.deepEqual(m.get('v1'), { role: 'primary', state: 'synced' });
  });

  test('a host without the marker directory yet (grep exit 2) still tells its mirrors', async () => {
    const d = driverWith({
      exitCode: 2,
      stdout: '/proc/drbd: 0: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown C r-----\n',
      stderr: '',
    });
    assert.deepEqual((await d.mirrors(host('h'), [volume])).get('v1'), { role: 'primary', state: 'degraded' });
  });

  test('a failed read (the host dying under it) is an error, never "degraded"', async () => {
    // Recording "degraded" here once blocked a legitimate failover: the probe raced the power cut.
    const d = driverWith({ exitCode: -1, stdout: '', stderr: '' });
    await assert.rejects(d.mirrors(host('h'), [volume]), /exited with -1/);
    // grep's exit 2 without /proc/drbd read (no DRBD module): an error too.
    await assert.rejects(
      driverWith({ exitCode: 2, stdout: '', stderr: '' }).mirrors(host('h'), [volume]),
      /exited with 2/,
    );
  });
});
