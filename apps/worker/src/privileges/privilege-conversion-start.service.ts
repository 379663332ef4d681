import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PrivilegeConversions } from '@app/domain';

// A database busy with another operation at start is tried again this much later, until none is left.
const RETRY_MS = 60_000;

/** At worker start: every running database of the legacy privilege model gets its conversion job. */
@Injectable()
export class PrivilegeConversionStart implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PrivilegeConversionStart.name);
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly conversions: PrivilegeConversions) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.round(), ms);
    this.timer.unref();
  }

  private async round(): Promise<void> {
    try {
      const { started, deferred } = await this.conversions.startAll();
      if (started || deferred)
        this.logger.log(`privilege conversions to the owner model: ${started} started, ${deferred} deferred`);
      if (deferred) this.schedule(RETRY_MS);
    } catch (err) {
      this.logger.warn(`privilege conversions not started: ${(err as Error).message}`);
      this.schedule(RETRY_MS);
    }
  }
}
