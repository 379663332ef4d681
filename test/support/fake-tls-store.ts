import { randomBytes } from 'node:crypto';
import type { CertificateAuthorityEntity, DatabaseEntity, HostEntity } from '../../libs/persistence/src/entities';
import type { CertificateAuthorityRepository } from '../../libs/domain/src/ports';
import { PlatformCertificates } from '../../libs/domain/src/tls/platform-certificates.service';
import { SecretBox } from '../../libs/security/src/secret-box';
import { PeculiarCertificateToolkit } from '../../libs/security/src/x509';

/** The certificate_authorities table in memory, as TypeOrmCertificateAuthorityRepository keeps it. */
export class MemoryAuthorities implements CertificateAuthorityRepository {
  rows: CertificateAuthorityEntity[] = [];
  private clock = 0;

  async current() {
    return this.rows.find((r) => r.state === 'current') ?? null;
  }
  async list() {
    const rank = (r: CertificateAuthorityEntity) => (r.state === 'current' ? 1 : 0);
    return [...this.rows]
      .sort((a, b) => rank(b) - rank(a) || b.createdAt.getTime() - a.createdAt.getTime())
      .map((r) => ({ ...r }));
  }
  async insertIfAbsent(ca: { name: string; certPem: string; keySealed: string; notAfter: Date }) {
    if (this.rows.some((r) => r.name === ca.name || r.state === 'current')) return;
    this.rows.push(this.row(ca));
  }
  async rotate(next: { name: string; certPem: string; keySealed: string; notAfter: Date }, reissueAt: Date | null) {
    for (const r of this.rows.filter((x) => x.state === 'current'))
      Object.assign(r, { state: 'previous', rotatedAt: new Date(), reissueAt });
    this.rows.push(this.row(next));
  }
  async reissuePrevious(at: Date) {
    const previous = this.rows.filter((r) => r.state === 'previous');
    for (const r of previous) r.reissueAt = r.reissueAt && r.reissueAt < at ? r.reissueAt : at;
    return previous.length;
  }
  async retire(name: string) {
    const r = this.rows.find((x) => x.name === name && x.state === 'previous');
    if (!r) return false;
    Object.assign(r, { state: 'retired', retiredAt: new Date(), keySealed: null });
    return true;
  }
  private row(ca: { name: string; certPem: string; keySealed: string; notAfter: Date }): CertificateAuthorityEntity {
    // Distinct creation times, in insertion order (the real column's now() may tie within a test).
    const createdAt = new Date(Date.UTC(2027, 0, 1) + this.clock++ * 1000);
    return { ...ca, state: 'current', rotatedAt: null, reissueAt: null, retiredAt: null, createdAt };
  }
}

/** Databases in memory: what PlatformCertificates and CertificateRenewal read and write. */
export class MemoryDatabases {
  rows = new Map<string, DatabaseEntity & { tlsKey: string | null }>();

  add(patch: Partial<DatabaseEntity>): DatabaseEntity {
    const db = {
      id: randomBytes(8).toString('hex'),
      tenantId: 't1',
      engine: 'postgresql',
      status: 'running',
      tls: 'required',
      vip: null,
      hostId: 'h1',
      tlsCert: null,
      tlsKey: null,
      tlsNotAfter: null,
      tlsAppliedAt: null,
      deletedAt: null,
      ...patch,
    } as DatabaseEntity & { tlsKey: string | null };
    this.rows.set(db.id, db);
    return { ...db };
  }
  async list() {
    return [...this.rows.values()].filter((d) => d.status !== 'deleted').map((d) => ({ ...d }));
  }
  async get(id: string) {
    const d = this.rows.get(id);
    return d ? { ...d } : null;
  }
  async update(id: string, patch: Partial<DatabaseEntity>) {
    Object.assign(this.rows.get(id)!, patch);
  }
  async getSecrets(id: string) {
    return { tlsKey: this.rows.get(id)?.tlsKey ?? null };
  }
}

export const HOST = { id: 'h1', address: '127.0.0.1' } as HostEntity;
export const MASTER_KEY = randomBytes(32).toString('hex');

/** A PlatformCertificates over the in-memory tables, the real X.509 toolkit and the real secret box. */
export function platformCertificates() {
  const authorities = new MemoryAuthorities();
  const databases = new MemoryDatabases();
  const x509 = new PeculiarCertificateToolkit();
  const secrets = new SecretBox(MASTER_KEY);
  const env = { TLS_CERT_VALIDITY_MS: 90 * 86400_000, TLS_RENEW_BEFORE_MS: 30 * 86400_000 };
  const certificates = new PlatformCertificates(authorities, x509, secrets, databases as never, env as never);
  return { certificates, authorities, databases, x509, secrets };
}
