import { isIP } from 'node:net';
import type { TlsMode } from '@app/persistence/entities';
import type { CertificateFacts } from '../ports';

export const TLS_MODES: TlsMode[] = ['required', 'preferred'];

/** How long server certificates live and when they are renewed. */
export interface TlsPolicy {
  validityMs: number;
  /** Renewed once less than this is left (at most half the certificate's lifetime). */
  renewBeforeMs: number;
}

export const DAY_MS = 86_400_000;
export const DEFAULT_TLS_POLICY: TlsPolicy = { validityMs: 90 * DAY_MS, renewBeforeMs: 30 * DAY_MS };
/** The CA outlives many generations of server certificates. */
export const CA_VALIDITY_MS = 10 * 365 * DAY_MS;
/** Certificates start a little in the past: a client whose clock is a few minutes behind still accepts them. */
export const BACKDATE_MS = 5 * 60_000;
export const PLATFORM_CA_NAME = 'platform';

/** The names a database's certificate must carry: those clients connect to. */
export interface ServerNames {
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
}

/** IPv6 in one spelling (`::1`, never `0:0:…:1`), so names compare as equal when they are. */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/**
 * The database's endpoint names: its host's address (an IP or a DNS name) and, for HA databases, its VIP (the
 * endpoint tenants use, wherever the primary runs). The common name is the endpoint.
 */
export function serverNames(db: { vip: string | null }, host: { address: string }): ServerNames {
  const all = [...new Set([db.vip, host.address].filter((n): n is string => !!n).map((n) => n.trim().toLowerCase()))];
  const ipAddresses = all.filter((n) => isIP(n)).map(canonicalIp);
  const dnsNames = all.filter((n) => !isIP(n));
  return { commonName: db.vip ?? host.address, dnsNames, ipAddresses };
}

export type RenewalReason = 'missing' | 'expiring' | 'names' | 'issuer';

export interface RenewalDecision {
  renew: boolean;
  reason?: RenewalReason;
  /** Why, for events and logs. */
  detail: string;
}

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

/**
 * Whether a database needs a new server certificate: none yet; not signed by the current CA (unless by a previous one
 * still trusted whose certificates are kept until their renewal: `keptUntilDue`); not naming exactly its endpoint
 * (moved to another host, a VIP given); or within the renewal window of its expiry. `storedNotAfter` (the metadata's
 * copy) may only bring the expiry closer: an operator renews a certificate now by setting it to now.
 */
export function renewalDecision(args: {
  current: { facts: CertificateFacts; issuedByCa: boolean; keptUntilDue?: boolean } | null;
  storedNotAfter?: Date | null;
  wanted: ServerNames;
  now: Date;
  policy: TlsPolicy;
}): RenewalDecision {
  const { current, wanted, now, policy } = args;
  if (!current) return { renew: true, reason: 'missing', detail: 'no certificate yet' };
  const { facts } = current;
  if (!current.issuedByCa && !current.keptUntilDue)
    return { renew: true, reason: 'issuer', detail: "the certificate is not signed by the platform's current CA" };
  const ips = facts.ipAddresses.map(canonicalIp);
  const dns = facts.dnsNames.map((n) => n.toLowerCase());
  if (!sameSet(ips, wanted.ipAddresses) || !sameSet(dns, wanted.dnsNames))
    return {
      renew: true,
      reason: 'names',
      detail: `the certificate names ${[...dns, ...ips].join(', ') || 'nothing'}, the endpoint is ${[...wanted.dnsNames, ...wanted.ipAddresses].join(', ')}`,
    };
  const stored = args.storedNotAfter?.getTime() ?? Infinity;
  const notAfter = Math.min(facts.notAfter.getTime(), stored);
  const lifetime = facts.notAfter.getTime() - facts.notBefore.getTime();
  const window = Math.min(policy.renewBeforeMs, lifetime / 2);
  if (notAfter - now.getTime() <= window)
    return {
      renew: true,
      reason: 'expiring',
      detail: `the certificate expires ${new Date(notAfter).toISOString()}, within ${Math.round(window / 3_600_000)} h`,
    };
  return { renew: false, detail: `valid until ${facts.notAfter.toISOString()}` };
}
