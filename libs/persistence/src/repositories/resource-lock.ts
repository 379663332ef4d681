import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { HeldLock, ResourceLock } from '@app/domain/ports';
import { withTimeout } from '@app/domain/shared';

/**
 * A session-level PostgreSQL advisory lock held on its own connection for the duration of the work:
 * if the worker dies, its connection closes and the lock is released with it.
 */
@Injectable()
export class PgAdvisoryLock implements ResourceLock {
  private readonly queued = new Map<string, Promise<void>>();

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async tryHold(key: string): Promise<HeldLock | null> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [key]);
      if (!locked) {
        await runner.release();
        return null;
      }
    } catch (err) {
      await runner.release();
      throw err;
    }
    let released = false;
    return {
      alive: async () => {
        if (released) return false;
        try {
          const [{ held }] = await runner.query(
            `SELECT count(*) > 0 AS held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted`,
          );
          return held;
        } catch {
          return false;
        }
      },
      release: async () => {
        if (released) return;
        released = true;
        await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]).catch(() => undefined);
        await runner.release();
      },
    };
  }

  async withLock<T>(key: string, fn: () => Promise<T>, waitMs = 120_000): Promise<T> {
    const deadline = Date.now() + waitMs;
    // Callers in this process queue here first, without a connection: N callers polling the advisory lock
    // would hold N pool connections and could starve the holder of the ones its work needs.
    const before = this.queued.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    // The next caller waits for both: one that gives up early never lets a later one past a running holder.
    const tail = before.then(() => mine);
    this.queued.set(key, tail);
    try {
      await withTimeout(before, Math.max(0, deadline - Date.now()), `timed out waiting for the lock on ${key}`);
      return await this.withAdvisoryLock(key, fn, deadline);
    } finally {
      done();
      if (this.queued.get(key) === tail) this.queued.delete(key);
    }
  }

  private async withAdvisoryLock<T>(key: string, fn: () => Promise<T>, deadline: number): Promise<T> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      for (;;) {
        const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [
          key,
        ]);
        if (locked) break;
        if (Date.now() > deadline) throw new Error(`timed out waiting for the lock on ${key}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      try {
        return await fn();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
      }
    } finally {
      await runner.release();
    }
  }
}
