import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { SampleContainersUseCase } from '@app/domain';
import { RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';
import { LeaderLoop } from '../leadership/leader-loop';

/** Samples the database containers' resource use on an interval, on one worker replica (the lock holder). */
@Injectable()
export class ContainerSampler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ContainerSampler.name);
  private readonly loop: LeaderLoop;

  constructor(@Inject(ENV) env: WorkerEnv, @Inject(RESOURCE_LOCK) lock: ResourceLock, sample: SampleContainersUseCase) {
    this.loop = new LeaderLoop(
      lock,
      'container-sampler',
      env.CONTAINER_SAMPLE_INTERVAL_MS,
      async () => void (await sample.execute()),
      (err) => this.logger.warn(`container sampling failed: ${(err as Error).message}`),
    );
  }

  onApplicationBootstrap(): void {
    // The first round soon after boot: /metrics and the rebalancer should not wait a whole interval.
    this.loop.start(1000);
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
