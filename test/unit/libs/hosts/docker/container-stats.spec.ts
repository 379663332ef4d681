import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toContainerStats } from '@app/hosts/docker/container-stats';

describe('container stats: the engine document to the numbers we keep', () => {
  test('CPU as cores busy between the two readings; memory without reclaimable cache; counters summed', () => {
    const s = toContainerStats({
      cpu_stats: { cpu_usage: { total_usage: 12_500_000_000 }, system_cpu_usage: 2_000_000_000_000, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 12_000_000_000 }, system_cpu_usage: 1_996_000_000_000 },
      memory_stats: { usage: 300 * 2 ** 20, limit: 512 * 2 ** 20, stats: { inactive_file: 100 * 2 ** 20 } },
      networks: { eth0: { rx_bytes: 1000, tx_bytes: 5000 }, eth1: { rx_bytes: 24, tx_bytes: 0 } },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: 'read', value: 4096 },
          { op: 'write', value: 8192 },
          { op: 'Read', value: 4096 }, // cgroup v1 spells them capitalised, per device
        ],
      },
    });
    // 0.5 s of CPU in 4 s of system time on 4 CPUs: half a core.
    assert.equal(s.cpuCores, 0.5);
    assert.equal(s.cpuSecondsTotal, 12.5);
    assert.equal(s.memoryBytes, 200 * 2 ** 20);
    assert.equal(s.memoryLimitBytes, 512 * 2 ** 20);
    assert.equal(s.netRxBytes, 1024);
    assert.equal(s.netTxBytes, 5000);
    assert.equal(s.blkReadBytes, 8192);
    assert.equal(s.blkWriteBytes, 8192);
  });

  test('a first reading (no previous one) is 0 cores, not a division by zero; missing parts are zeros', () => {
    const s = toContainerStats({ cpu_stats: { cpu_usage: { total_usage: 5e9 }, system_cpu_usage: 0 } });
    assert.equal(s.cpuCores, 0);
    assert.equal(s.cpuSecondsTotal, 5);
    assert.deepEqual([s.memoryBytes, s.netRxBytes, s.blkReadBytes], [0, 0, 0]);
  });
});
