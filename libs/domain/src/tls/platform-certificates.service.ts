import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import type { DatabaseEntity, HostEntity } from '@app/persistence/entities';
import type { ServerTlsPem } from '../engines';
import {
  CERTIFICATE_AUTHORITY_REPOSITORY,
  CERTIFICATE_TOOLKIT,
  CertificateAndKey,
  CertificateAuthorityRepository,
  CertificateToolkit,
  DATABASE_REPOSITORY,
  DatabaseRepository,
  SECRET_BOX,
  SecretSealer,
} from '../ports';
import {
  BACKDATE_MS,
  CA_VALIDITY_MS,
  PLATFORM_CA_NAME,
  RenewalDecision,
  renewalDecision,
  serverNames,
  TlsPolicy,
} from './certificate-policy';

/** A database's server certificate as it now is, and whether it was just issued (then why). */
export interface ServerCertificate extends ServerTlsPem {
  issued: RenewalDecision | null;
  notAfter: Date;
}

/**
 * The platform's CA and the server certificates it signs. The CA is made at the first start of the first process
 * (API or worker), its key sealed with the master key like every other secret; every process then uses that one.
 */
@Injectable()
export class PlatformCertificates implements OnApplicationBootstrap {
  private readonly logger = new Logger(PlatformCertificates.name);
  private ca?: Promise<CertificateAndKey>;

  constructor(
    @Inject(CERTIFICATE_AUTHORITY_REPOSITORY) private readonly authorities: CertificateAuthorityRepository,
    @Inject(CERTIFICATE_TOOLKIT) private readonly x509: CertificateToolkit,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(ENV) private readonly env: CommonEnv,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.authority();
  }

  get policy(): TlsPolicy {
    return { validityMs: this.env.TLS_CERT_VALIDITY_MS, renewBeforeMs: this.env.TLS_RENEW_BEFORE_MS };
  }

  async caPem(): Promise<string> {
    return (await this.authority()).certPem;
  }

  /** The CA with its key, made and stored on first use (a failure is not remembered: the next call tries again). */
  authority(): Promise<CertificateAndKey> {
    this.ca ??= this.loadOrCreate().catch((err: unknown) => {
      this.ca = undefined;
      throw err;
    });
    return this.ca;
  }

  private async loadOrCreate(): Promise<CertificateAndKey> {
    let row = await this.authorities.get(PLATFORM_CA_NAME);
    if (!row) {
      const now = Date.now();
      const notAfter = new Date(now + CA_VALIDITY_MS);
      const made = await this.x509.createAuthority({
        commonName: 'DBaaS platform CA',
        notBefore: new Date(now - BACKDATE_MS),
        notAfter,
      });
      await this.authorities.insertIfAbsent({
        name: PLATFORM_CA_NAME,
        certPem: made.certPem,
        keySealed: this.secrets.seal(made.keyPem),
        notAfter,
      });
      row = await this.authorities.get(PLATFORM_CA_NAME);
      if (!row) throw new Error('the platform CA could not be stored');
      if (row.certPem === made.certPem) this.logger.log(`platform CA created, valid until ${notAfter.toISOString()}`);
    }
    return { certPem: row.certPem, keyPem: this.secrets.open(row.keySealed) };
  }

  /** Whether the database's stored certificate must be replaced now (see renewalDecision). */
  async decide(db: DatabaseEntity, host: HostEntity, now = new Date()): Promise<RenewalDecision> {
    const ca = await this.authority();
    const current = db.tlsCert
      ? { facts: this.x509.describe(db.tlsCert), issuedByCa: this.x509.issuedBy(db.tlsCert, ca.certPem) }
      : null;
    return renewalDecision({
      current,
      storedNotAfter: db.tlsNotAfter,
      wanted: serverNames(db, host),
      now,
      policy: this.policy,
    });
  }

  /**
   * The database's server certificate for its endpoint on `host`: the stored one, or a new one (new key) when it is
   * missing, due, or names another endpoint. A new one is stored (key sealed) as not yet applied. Callers hold the
   * database's lock (jobs, the renewal), so two never issue for one database at once.
   */
  async ensure(db: DatabaseEntity, host: HostEntity, now = new Date()): Promise<ServerCertificate> {
    const ca = await this.authority();
    const decision = await this.decide(db, host, now);
    if (!decision.renew) {
      const { tlsKey } = await this.databases.getSecrets(db.id);
      if (tlsKey && db.tlsCert)
        return {
          certPem: db.tlsCert,
          keyPem: this.secrets.open(tlsKey),
          caPem: ca.certPem,
          issued: null,
          notAfter: this.x509.describe(db.tlsCert).notAfter,
        };
    }
    const names = serverNames(db, host);
    const notAfter = new Date(now.getTime() + this.policy.validityMs);
    const made = await this.x509.issueServer(ca, {
      ...names,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter,
    });
    const patch = {
      tlsCert: made.certPem,
      tlsKey: this.secrets.seal(made.keyPem),
      tlsNotAfter: notAfter,
      tlsAppliedAt: null,
    };
    await this.databases.update(db.id, patch);
    Object.assign(db, { tlsCert: made.certPem, tlsNotAfter: notAfter, tlsAppliedAt: null });
    const issued = decision.renew ? decision : { renew: true, reason: 'missing' as const, detail: 'no key stored' };
    return { ...made, caPem: ca.certPem, issued, notAfter };
  }
}
