import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV, WorkerEnv } from '@app/config';
import { MeasureVolumesUseCase } from '@app/domain';

/** Runs the volume measurement on an interval; one round at a time. */
@Injectable()
export class VolumeUsageService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(VolumeUsageService.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly measure: MeasureVolumesUseCase,
    @Inject(ENV) private readonly env: WorkerEnv,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.env.VOLUME_USAGE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.measure.execute();
    } catch (err) {
      this.logger.warn(`volume measurement failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
