import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { StandbyService } from '@app/domain';
import { RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';
import { LeaderLoop } from '../leadership/leader-loop';

/** Keeps each HA database's standby on the host its takeover would go to, on one worker replica at a time. */
@Injectable()
export class StandbyLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StandbyLoop.name);
  private readonly loop?: LeaderLoop;

  constructor(@Inject(ENV) env: WorkerEnv, @Inject(RESOURCE_LOCK) lock: ResourceLock, standby: StandbyService) {
    if (!env.STANDBY_INTERVAL_MS) return;
    this.loop = new LeaderLoop(
      lock,
      'standby',
      env.STANDBY_INTERVAL_MS,
      async () => {
        const n = await standby.prepareAll();
        if (n['not-made']) this.logger.warn(`standby round: ${n.ready} ready, ${n['not-made']} not made`);
      },
      (err) => this.logger.warn(`standby round failed: ${(err as Error).message}`),
    );
  }

  onApplicationBootstrap(): void {
    this.loop?.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop?.stop() ?? Promise.resolve();
  }
}
