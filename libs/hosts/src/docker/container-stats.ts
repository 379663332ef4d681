import type Docker from 'dockerode';
import type { ContainerStats, ContainerStatsReader } from '@app/domain/ports';

interface RawStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op?: string; value?: number }[] | null };
}

/** Turns the engine's stats document into the numbers we keep (the same arithmetic as `docker stats`). */
export function toContainerStats(raw: RawStats): ContainerStats {
  const cpu = raw.cpu_stats ?? {};
  const pre = raw.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const cpus = cpu.online_cpus ?? 1;
  const mem = raw.memory_stats ?? {};
  // The page cache the kernel can drop is not the database's footprint: cgroup v2 says inactive_file, v1 cache.
  const reclaimable = mem.stats?.inactive_file ?? mem.stats?.total_inactive_file ?? 0;
  const nets = Object.values(raw.networks ?? {});
  const io = raw.blkio_stats?.io_service_bytes_recursive ?? [];
  const ioSum = (op: string) =>
    io.filter((e) => (e.op ?? '').toLowerCase() === op).reduce((a, e) => a + (e.value ?? 0), 0);
  return {
    cpuCores: systemDelta > 0 && cpuDelta > 0 ? Math.round((cpuDelta / systemDelta) * cpus * 1000) / 1000 : 0,
    cpuSecondsTotal: (cpu.cpu_usage?.total_usage ?? 0) / 1e9,
    memoryBytes: Math.max(0, (mem.usage ?? 0) - reclaimable),
    memoryLimitBytes: mem.limit ?? 0,
    netRxBytes: nets.reduce((a, n) => a + (n.rx_bytes ?? 0), 0),
    netTxBytes: nets.reduce((a, n) => a + (n.tx_bytes ?? 0), 0),
    blkReadBytes: ioSum('read'),
    blkWriteBytes: ioSum('write'),
  };
}

/** Resource use of a host's containers, read from its engine (local socket or over SSH). */
export class DockerStatsReader implements ContainerStatsReader {
  constructor(private readonly docker: Docker) {}

  async read(name: string): Promise<ContainerStats | null> {
    try {
      const c = this.docker.getContainer(name);
      const info = await c.inspect();
      if (!info.State.Running || info.State.Paused) return null;
      // Not one-shot: the engine waits for a second reading, so the CPU figure is a rate, not zero.
      const raw = (await c.stats({ stream: false })) as unknown as RawStats;
      return toContainerStats(raw);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null;
      throw err;
    }
  }
}
