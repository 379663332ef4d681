import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OperationReconciler } from '@app/domain';

const EVERY_MS = 30_000;
const STALE_AFTER_MS = 60_000;

/** Periodically re-delivers operations that have no live job (Redis lost them, or enqueue failed). */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconcilerService.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly reconciler: OperationReconciler) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    try {
      const n = await this.reconciler.reconcile(STALE_AFTER_MS);
      if (n) this.logger.warn(`re-enqueued ${n} operation(s)`);
    } catch (err) {
      this.logger.warn(`reconcile failed: ${(err as Error).message}`);
    }
  }
}
