import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { StandbyService } from '@app/domain';
import { RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';
import { LeaderLoop } from '../leadership/leader-loop';

/**
 * Keeps each HA database's standby on the host its takeover would go to, on one worker replica at a time: a round
 * every STANDBY_INTERVAL_MS, and one as soon as the placement changed (checked every STANDBY_CHECK_MS). A host let
 * back in after a power cut had waited up to a minute for its standby, and a cut in that minute paid for it.
 */
@Injectable()
export class StandbyLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StandbyLoop.name);
  private readonly loop?: LeaderLoop;
  private seen?: string;
  private lastRound = 0;

  constructor(@Inject(ENV) env: WorkerEnv, @Inject(RESOURCE_LOCK) lock: ResourceLock, standby: StandbyService) {
    if (!env.STANDBY_INTERVAL_MS) return;
    this.loop = new LeaderLoop(
      lock,
      'standby',
      Math.min(env.STANDBY_CHECK_MS, env.STANDBY_INTERVAL_MS),
      async () => {
        // Read before the round: a change during it makes the next check round again.
        const placement = await standby.placement();
        const changed = this.seen !== undefined && placement !== this.seen;
        if (placement === this.seen && Date.now() - this.lastRound < env.STANDBY_INTERVAL_MS) return;
        this.seen = placement;
        const t0 = (this.lastRound = Date.now());
        const n = await standby.prepareAll();
        // A database an operation held is tried again at the next check, not at the interval.
        if (n.busy) this.seen = undefined;
        const why = changed ? ' (the placement changed)' : '';
        const line = `standby round${why}: ${n.ready} ready, ${n['not-made']} not made, ${n.busy} busy, in ${Date.now() - t0} ms`;
        // Said when something moved (seldom); the periodic round only when it failed somewhere.
        if (n['not-made']) this.logger.warn(line);
        else if (changed) this.logger.log(line);
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
