import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { SampleContainersUseCase } from '@app/domain';
import { RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';
import { Leadership } from '../leadership/leadership';

/** Samples the database containers' resource use on an interval, on one worker replica (the lock holder). */
@Injectable()
export class ContainerSampler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ContainerSampler.name);
  private timer?: NodeJS.Timeout;
  private readonly leadership: Leadership;
  private stopped = false;

  constructor(
    @Inject(ENV) private readonly env: WorkerEnv,
    @Inject(RESOURCE_LOCK) lock: ResourceLock,
    private readonly sample: SampleContainersUseCase,
  ) {
    this.leadership = new Leadership(lock, 'container-sampler');
  }

  onApplicationBootstrap(): void {
    this.schedule(1000);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.leadership.release();
  }

  private schedule(ms: number): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    try {
      if (await this.leadership.check()) await this.sample.execute();
    } catch (err) {
      this.logger.warn(`container sampling failed: ${(err as Error).message}`);
    } finally {
      this.schedule(this.env.CONTAINER_SAMPLE_INTERVAL_MS);
    }
  }
}
