import { Inject, Injectable, Logger } from '@nestjs/common';
import { DatabaseRuntime } from '../databases/runtime/database-runtime.service';
import { databaseLockKey } from '../operations/operation-runner';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  HOST_REPOSITORY,
  HostRepository,
  RESOURCE_LOCK,
  ResourceLock,
} from '../ports';
import { PlatformCertificates } from './platform-certificates.service';

// A database busy with an operation (which holds its lock) is left for the next round rather than waited for.
const LOCK_WAIT_MS = 2000;

export interface RenewalRound {
  renewed: number;
  applied: number;
  failed: number;
}

/**
 * The periodic renewal (one worker replica at a time): each running database whose certificate is due (or names
 * another endpoint) gets a new one, written to its host and reloaded by its engine, without a restart; one whose
 * current certificate was not handed to its engine yet (a new database, a failed reload) gets it again. Under the
 * database's lock, so never during an operation on it.
 */
@Injectable()
export class CertificateRenewal {
  private readonly logger = new Logger(CertificateRenewal.name);

  constructor(
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(RESOURCE_LOCK) private readonly lock: ResourceLock,
    private readonly certificates: PlatformCertificates,
    private readonly dbRuntime: DatabaseRuntime,
  ) {}

  async tick(now = new Date()): Promise<RenewalRound> {
    const round: RenewalRound = { renewed: 0, applied: 0, failed: 0 };
    for (const db of await this.databases.list({ status: 'running' })) {
      const host = db.hostId ? await this.hosts.get(db.hostId) : null;
      if (!host) continue;
      const decision = await this.certificates.decide(db, host, now);
      if (!decision.renew && db.tlsAppliedAt) continue;
      try {
        const done = await this.lock.withLock(databaseLockKey(db.id), () => this.renew(db.id), LOCK_WAIT_MS);
        if (done === 'renewed') round.renewed++;
        else if (done === 'applied') round.applied++;
      } catch (err) {
        round.failed++;
        this.logger.warn(`database ${db.id}: certificate not renewed or applied: ${(err as Error).message}`);
      }
    }
    return round;
  }

  private async renew(databaseId: string): Promise<'renewed' | 'applied' | 'skipped'> {
    const l = await this.dbRuntime.loadLive(databaseId, ['running']);
    const cert = await this.certificates.ensure(l.db, l.host);
    if (!cert.issued && l.db.tlsAppliedAt) return 'skipped';
    const reloaded = await this.dbRuntime.applyCertificate(l, cert);
    if (cert.issued)
      await this.events.record({
        type: 'database.certificate-renewed',
        message: `new server certificate, valid until ${cert.notAfter.toISOString()} (${cert.issued.detail}); ${
          reloaded ? 'reloaded by the engine, no restart' : 'served from the next start'
        }`,
        tenantId: l.db.tenantId,
        databaseId: l.db.id,
      });
    return cert.issued ? 'renewed' : reloaded ? 'applied' : 'skipped';
  }
}
