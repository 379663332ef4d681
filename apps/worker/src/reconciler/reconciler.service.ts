import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { OperationReconciler } from '@app/domain';
import { RESOURCE_LOCK, ResourceLock } from '@app/domain/ports';
import { LeaderLoop } from '../leadership/leader-loop';

/**
 * Periodically compares unfinished operations with their jobs, on one worker replica at a time: re-delivers
 * those with no job (Redis lost them, or enqueue failed) and ends failed those whose job Bull gave up on.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconcilerService.name);
  private readonly loop: LeaderLoop;

  constructor(@Inject(ENV) env: WorkerEnv, @Inject(RESOURCE_LOCK) lock: ResourceLock, reconciler: OperationReconciler) {
    this.loop = new LeaderLoop(
      lock,
      'operation-reconciler',
      env.RECONCILE_INTERVAL_MS,
      async () => {
        const { requeued, failed } = await reconciler.reconcile(env.RECONCILE_STALE_AFTER_MS);
        if (requeued) this.logger.warn(`re-enqueued ${requeued} operation(s)`);
        if (failed) this.logger.warn(`ended ${failed} operation(s) whose job Bull gave up on`);
      },
      (err) => this.logger.warn(`reconcile failed: ${(err as Error).message}`),
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
