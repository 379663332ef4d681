import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CertificateAuthorityEntity } from '@app/persistence/entities';
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
  /** Previous CAs that left the bundle this round. */
  retired: number;
}

// Not running and in no operation: a rotation replaces their certificates in the metadata, served from their next
// start (an `error` database whose container still runs serves the old one until then). The other states are in an
// operation, which issues the certificate itself, or are gone.
const SETTLED = new Set(['stopped', 'error']);

/**
 * The periodic renewal (one worker replica at a time): each running database whose certificate is due (or names
 * another endpoint, or was signed by a CA it must no longer be signed by) gets a new one, written to its host and
 * reloaded by its engine, without a restart; one whose current certificate was not handed to its engine yet (a new
 * database, a failed reload) gets it again. A stopped database whose certificate a rotation replaces gets its new one
 * in the metadata, written at its next start. Under the database's lock, so never during an operation on it. Then a
 * previous CA that signs no certificate in use any more leaves the bundle.
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
    const round: RenewalRound = { renewed: 0, applied: 0, failed: 0, retired: 0 };
    await this.certificates.authority();
    const cas = await this.certificates.trusted();
    for (const db of await this.databases.list({})) {
      const host = db.hostId ? await this.hosts.get(db.hostId) : null;
      if (!host) continue;
      const running = db.status === 'running';
      if (!running && !(SETTLED.has(db.status) && db.tlsCert)) continue;
      const decision = await this.certificates.decide(db, host, now, cas);
      if (running ? !decision.renew && db.tlsAppliedAt : decision.reason !== 'issuer') continue;
      try {
        const work = running ? () => this.renew(db.id) : () => this.reissueStopped(db.id, now);
        const done = await this.lock.withLock(databaseLockKey(db.id), work, LOCK_WAIT_MS);
        if (done === 'renewed') round.renewed++;
        else if (done === 'applied') round.applied++;
      } catch (err) {
        round.failed++;
        this.logger.warn(`database ${db.id}: certificate not renewed or applied: ${(err as Error).message}`);
      }
    }
    round.retired = await this.retireUnused(cas);
    return round;
  }

  /**
   * Each previous CA that signed no stored certificate of a database (not deleted) leaves the bundle. Not while a
   * running database's latest certificate is not loaded by its engine yet: it may still serve an older one.
   */
  private async retireUnused(cas: CertificateAuthorityEntity[]): Promise<number> {
    const previous = cas.filter((c) => c.state === 'previous');
    if (!previous.length) return 0;
    const dbs = await this.databases.list({});
    if (dbs.some((d) => d.status === 'running' && d.tlsCert && !d.tlsAppliedAt)) return 0;
    let retired = 0;
    for (const ca of previous) {
      if (dbs.some((d) => d.tlsCert && this.certificates.signerOf(d.tlsCert, [ca]))) continue;
      if (!(await this.certificates.retire(ca.name))) continue;
      retired++;
      await this.events.record({
        type: 'ca.retired',
        message: `CA ${ca.name} signs no certificate in use any more: it left GET /v1/ca.pem and its key was dropped`,
      });
    }
    return retired;
  }

  /** A stopped database's replaced certificate, in the metadata only: its next start writes and serves it. */
  private async reissueStopped(databaseId: string, now: Date): Promise<'renewed' | 'skipped'> {
    const db = await this.databases.get(databaseId);
    const host = db?.hostId ? await this.hosts.get(db.hostId) : null;
    if (!db || !host || !SETTLED.has(db.status)) return 'skipped';
    const cert = await this.certificates.ensure(db, host, now);
    return cert.issued ? 'renewed' : 'skipped';
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
