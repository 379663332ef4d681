import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { HeldLock, ResourceLock } from '@app/domain/ports';

/**
 * A session-level PostgreSQL advisory lock held on its own connection for the duration of the work:
 * if the worker dies, its connection closes and the lock is released with it.
 */
@Injectable()
export class PgAdvisoryLock implements ResourceLock {
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
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      const deadline = Date.now() + waitMs;
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
