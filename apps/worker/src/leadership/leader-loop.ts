import type { ResourceLock } from '@app/domain/ports';
import { Leadership } from './leadership';

/**
 * A periodic task run by one worker replica at a time (the holder of its leader lock): one round at a time,
 * the next one `intervalMs` after the last ends, whatever it threw (the caller's `onError` says so).
 */
export class LeaderLoop {
  private readonly leadership: Leadership;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    lock: ResourceLock,
    key: string,
    private readonly intervalMs: number,
    private readonly round: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {
    this.leadership = new Leadership(lock, key);
  }

  start(firstDelayMs = this.intervalMs): void {
    this.schedule(firstDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.leadership.release();
  }

  private schedule(ms: number): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    try {
      if (await this.leadership.check()) await this.round();
    } catch (err) {
      this.onError(err);
    } finally {
      this.schedule(this.intervalMs);
    }
  }
}
