import { randomBytes, X509Certificate } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import type { CertificateAuthorityEntity, DatabaseEntity, HostEntity } from '@app/persistence/entities';
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
import type { CertificateAuthoritiesView } from './certificate-authority.view';

/** A database's server certificate as it now is, and whether it was just issued (then why). */
export interface ServerCertificate extends ServerTlsPem {
  issued: RenewalDecision | null;
  notAfter: Date;
}

/** A CA as the service uses it: its row (without its key). */
type Authority = CertificateAuthorityEntity;

/** PEM certificates one after another, a line break between two (one alone is returned as it is). */
function joinPems(pems: string[]): string {
  return pems.reduce((all, p) => (all ? `${all.endsWith('\n') ? all : `${all}\n`}${p}` : p), '');
}

/**
 * The platform's CAs and the server certificates they sign. The first CA is made at the first start of the first
 * process (API or worker), its key sealed with the master key like every other secret. A rotation makes another one
 * current (signing from then on); the one before stays trusted, in the bundle clients are given, until no database
 * holds a certificate it signed. Every call reads the CAs from the metadata, so a rotation made by the API is seen
 * by the workers at once.
 */
@Injectable()
export class PlatformCertificates implements OnApplicationBootstrap {
  private readonly logger = new Logger(PlatformCertificates.name);
  private creating?: Promise<CertificateAndKey>;

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

  /**
   * What clients trust (GET /v1/ca.pem, the credentials, the platform's own connections): the current CA, then each
   * previous one still trusted, newest first.
   */
  async caPem(): Promise<string> {
    let cas = await this.trusted();
    if (!cas.length) {
      await this.authority();
      cas = await this.trusted();
    }
    return joinPems(cas.map((c) => c.certPem));
  }

  /** The current CA and the previous ones still trusted, the current first. */
  async trusted(): Promise<Authority[]> {
    return (await this.authorities.list()).filter((c) => c.state !== 'retired');
  }

  /** Every CA, the current first (for operators). */
  list(): Promise<Authority[]> {
    return this.authorities.list();
  }

  /** The current CA with its key, made and stored at the first use ever. */
  async authority(): Promise<CertificateAndKey> {
    const row = await this.authorities.current();
    if (row?.keySealed) return { certPem: row.certPem, keyPem: this.secrets.open(row.keySealed) };
    // A failure is not remembered: the next call tries again.
    this.creating ??= this.createFirst().finally(() => (this.creating = undefined));
    return this.creating;
  }

  private async createFirst(): Promise<CertificateAndKey> {
    const made = await this.newAuthority('DBaaS platform CA');
    await this.authorities.insertIfAbsent({ name: PLATFORM_CA_NAME, ...made.row });
    const row = await this.authorities.current();
    if (!row?.keySealed) throw new Error('the platform CA could not be stored');
    if (row.certPem === made.certPem)
      this.logger.log(`platform CA created, valid until ${made.row.notAfter.toISOString()}`);
    return { certPem: row.certPem, keyPem: this.secrets.open(row.keySealed) };
  }

  private async newAuthority(commonName: string) {
    const now = Date.now();
    const notAfter = new Date(now + CA_VALIDITY_MS);
    const made = await this.x509.createAuthority({ commonName, notBefore: new Date(now - BACKDATE_MS), notAfter });
    return { ...made, row: { certPem: made.certPem, keySealed: this.secrets.seal(made.keyPem), notAfter } };
  }

  /**
   * A new CA signs from now on; the current one becomes `previous`, still trusted. The certificates it signed are
   * replaced by the renewal job from `reissueAt` (null: each at its own renewal, which leaves clients the time to
   * fetch the bundle). Returns the new CA's row.
   */
  async rotate(reissueAt: Date | null, now = new Date()): Promise<Authority> {
    await this.authority();
    // Told apart by name as well as by key: some clients pick a CA from a bundle by its subject first.
    const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const made = await this.newAuthority(`DBaaS platform CA ${stamp}`);
    const name = `${PLATFORM_CA_NAME}-${stamp.replace(/[-:]/g, '')}-${randomBytes(3).toString('hex')}`;
    await this.authorities.rotate({ name, ...made.row }, reissueAt);
    const row = (await this.authorities.list()).find((c) => c.name === name);
    if (!row) throw new Error('the new CA could not be stored');
    this.logger.log(`platform CA rotated: ${name} signs from now on`);
    return row;
  }

  /** The certificates of every previous CA are replaced by the renewal job from now on. */
  reissuePrevious(now = new Date()): Promise<number> {
    return this.authorities.reissuePrevious(now);
  }

  /** A previous CA leaves the bundle (its key dropped). */
  retire(name: string): Promise<boolean> {
    return this.authorities.retire(name);
  }

  /** The CAs as operators see them: which signs, which are still trusted, how many certificates each signed. */
  async view(): Promise<CertificateAuthoritiesView> {
    await this.authority();
    const cas = await this.authorities.list();
    const live = cas.filter((c) => c.state !== 'retired');
    const count = new Map<string, number>();
    let reloadsPending = 0;
    for (const db of await this.databases.list({})) {
      if (db.status === 'running' && db.tlsCert && !db.tlsAppliedAt) reloadsPending++;
      const signer = db.tlsCert ? this.signerOf(db.tlsCert, live) : undefined;
      if (signer) count.set(signer.name, (count.get(signer.name) ?? 0) + 1);
    }
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      authorities: cas.map((c) => {
        const x = new X509Certificate(c.certPem);
        return {
          name: c.name,
          state: c.state,
          subject: x.subject,
          fingerprint: x.fingerprint256,
          notBefore: new Date(x.validFrom).toISOString(),
          notAfter: c.notAfter.toISOString(),
          createdAt: c.createdAt.toISOString(),
          rotatedAt: iso(c.rotatedAt),
          reissueAt: iso(c.reissueAt),
          retiredAt: iso(c.retiredAt),
          certificates: count.get(c.name) ?? 0,
        };
      }),
      bundle: joinPems(live.map((c) => c.certPem)),
      reloadsPending,
    };
  }

  /** The CA of `cas` that signed the certificate, if any. */
  signerOf(certPem: string, cas: Authority[]): Authority | undefined {
    return cas.find((ca) => this.x509.issuedBy(certPem, ca.certPem));
  }

  /**
   * Whether the database's stored certificate must be replaced now (see renewalDecision). `cas`: the trusted CAs,
   * when the caller read them already (a renewal round reads them once).
   */
  async decide(db: DatabaseEntity, host: HostEntity, now = new Date(), cas?: Authority[]): Promise<RenewalDecision> {
    if (!cas) {
      await this.authority();
      cas = await this.trusted();
    }
    const signer = db.tlsCert ? this.signerOf(db.tlsCert, cas) : undefined;
    const current = db.tlsCert
      ? {
          facts: this.x509.describe(db.tlsCert),
          issuedByCa: signer?.state === 'current',
          // A previous CA's certificate stays until its renewal, unless the operator asked for it sooner.
          keptUntilDue: signer?.state === 'previous' && (!signer.reissueAt || signer.reissueAt > now),
        }
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
    // The engine is given the whole bundle: which of the trusted CAs signed the certificate does not matter to it.
    const bundle = await this.caPem();
    if (!decision.renew) {
      const { tlsKey } = await this.databases.getSecrets(db.id);
      if (tlsKey && db.tlsCert)
        return {
          certPem: db.tlsCert,
          keyPem: this.secrets.open(tlsKey),
          caPem: bundle,
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
    return { ...made, caPem: bundle, issued, notAfter };
  }
}
