import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { HostMonitorService, MonitorSettings } from '@app/domain';
import { RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';
import { Leadership } from '../leadership/leadership';

/** The failover worker's loop. Every replica runs it, but only the leader (see Leadership) probes and acts. */
@Injectable()
export class FailoverMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FailoverMonitor.name);
  private timer?: NodeJS.Timeout;
  private readonly leadership: Leadership;
  private stopped = false;
  private leading = false;
  private leaderCheckedAt = 0;
  private readonly settings: MonitorSettings;

  constructor(
    @Inject(ENV) private readonly env: WorkerEnv,
    @Inject(RESOURCE_LOCK) lock: ResourceLock,
    private readonly monitor: HostMonitorService,
  ) {
    this.leadership = new Leadership(lock, 'failover-monitor');
    this.settings = {
      probeIntervalMs: env.FAILOVER_PROBE_INTERVAL_MS,
      suspectIntervalMs: env.FAILOVER_SUSPECT_INTERVAL_MS,
      probeTimeoutMs: env.FAILOVER_PROBE_TIMEOUT_MS,
      bannerTimeoutMs: env.FAILOVER_BANNER_TIMEOUT_MS,
      failuresBeforeDown: env.FAILOVER_FAILURES,
      deepEvery: 5,
      witnessTimeoutMs: env.FAILOVER_WITNESS_TIMEOUT_MS,
      graceMs: env.FAILOVER_GRACE_MS,
      brakeShare: env.FAILOVER_BRAKE_SHARE,
      fencesPerMinute: env.FAILOVER_FENCES_PER_MINUTE,
    };
  }

  onApplicationBootstrap(): void {
    if (!this.env.FAILOVER_ENABLED) return;
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.leadership.release();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const started = Date.now();
    try {
      // The lock is looked at once per probe interval, not at every (faster) tick: a query each time otherwise.
      if (started - this.leaderCheckedAt >= this.env.FAILOVER_PROBE_INTERVAL_MS) {
        this.leaderCheckedAt = started;
        const lead = await this.leadership.check();
        this.leading = lead !== null;
        if (lead === 'gained') {
          this.monitor.reset();
          this.logger.log('this worker now leads host monitoring and failover');
        }
      }
      if (!this.leading) return;
      // Not awaited: hosts whose probe is still running are skipped by the next tick, the others probed on time.
      void this.monitor
        .tick(this.settings)
        .catch((err) => this.logger.error(`failover monitor tick: ${(err as Error).stack ?? err}`));
    } catch (err) {
      this.logger.error(`failover monitor tick: ${(err as Error).stack ?? err}`);
    } finally {
      // Fixed rate, at the faster of the two paces (each host is probed at its own, see probeDue): a slow tick
      // does not push the next one back by its whole duration.
      const every = Math.min(this.env.FAILOVER_PROBE_INTERVAL_MS, this.env.FAILOVER_SUSPECT_INTERVAL_MS);
      this.schedule(Math.max(0, every - (Date.now() - started)));
    }
  }
}
