import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the credentials say of TLS (GET /v1/databases/:id/credentials). */
export interface TlsCredentials {
  uri: string;
  tls?: { mode: string; offered: boolean; ca: string; caFile: string; serverName: string };
}

/** The CA saved as a file (once per content), as a tenant saves GET /v1/ca.pem. */
export function caFile(ca: string): string {
  const dir = join(tmpdir(), 'dbaas-e2e-ca');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(ca).digest('hex').slice(0, 16)}.pem`);
  writeFileSync(file, ca);
  return file;
}

/** The credentials' URI with the CA file it names (`sslrootcert=dbaas-ca.pem`) at the path where it was saved. */
export function clientUri(c: TlsCredentials): string {
  if (!c.tls) return c.uri;
  return c.uri.replace(`=${c.tls.caFile}`, `=${encodeURIComponent(caFile(c.tls.ca))}`);
}

/** Node TLS options (ioredis `tls`, mysql2 `ssl`) that verify the server against the CA; none when it speaks clear text. */
export function tlsOptions(c: TlsCredentials): { ca: string } | undefined {
  return c.tls?.offered && c.tls.mode === 'required' ? { ca: c.tls.ca } : undefined;
}

let savedCa: string | null = null;

/** Saves the stack's CA (GET /v1/ca.pem, no key needed) where pgUri's URIs find it, as a tenant would. */
export async function saveCa(apiUrl: string): Promise<void> {
  const res = await fetch(`${apiUrl}/v1/ca.pem`);
  if (res.status !== 200) throw new Error(`GET /v1/ca.pem: ${res.status}`);
  savedCa = caFile(await res.text());
}

/** A PostgreSQL URI from the credentials, its `sslrootcert=dbaas-ca.pem` pointing at the CA saved by saveCa. */
export function pgUri(uri: string): string {
  if (!uri.includes('sslrootcert=dbaas-ca.pem')) return uri;
  if (!savedCa) throw new Error('saveCa() first: the URI names the platform CA');
  return uri.replace('sslrootcert=dbaas-ca.pem', `sslrootcert=${encodeURIComponent(savedCa)}`);
}
