import { Logger } from '@nestjs/common';
import type { HeldLock, ResourceLock } from '@app/domain/ports';

/**
 * Which worker replica runs a periodic task: the one holding its leader lock (a PostgreSQL advisory lock on its
 * own connection). If that replica dies its connection closes, the lock frees, and another takes it at its next
 * check.
 */
export class Leadership {
  private readonly logger = new Logger(Leadership.name);
  private held: HeldLock | null = null;

  constructor(
    private readonly lock: ResourceLock,
    private readonly key: string,
  ) {}

  /** Whether this replica leads now, taking the lock if it is free: 'gained' the first time after not leading. */
  async check(): Promise<'kept' | 'gained' | null> {
    if (this.held && (await this.held.alive())) return 'kept';
    if (this.held) this.logger.warn(`lost the ${this.key} leader lock`);
    this.held = await this.lock.tryHold(this.key);
    return this.held ? 'gained' : null;
  }

  async release(): Promise<void> {
    await this.held?.release();
    this.held = null;
  }
}
