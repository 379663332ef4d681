import type { ApiKeyView, AuditView } from '@app/domain';

export class Tenant {
  id: string;
  name: string;
  createdAt: string;
}

/** An API key as listed: never the key itself (only its hash is kept). */
export class ApiKey implements ApiKeyView {
  id: string;
  name: string;
  /** The key's first characters, to tell keys apart. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export class IssuedApiKey extends ApiKey {
  /** In clear this once: only its hash is kept. */
  key: string;
}

/** One write on the API (or a refused attempt), newest first. */
export class AuditEntry implements AuditView {
  id: string;
  /** `operator:<name>` or `tenant-key:<key id>`. */
  actor: string;
  method: string;
  /** The route's pattern. */
  path: string;
  action: string;
  target: string | null;
  statusCode: number;
  outcome: 'ok' | 'error';
  /** The request body (query string under `query`), secrets masked. */
  detail: Record<string, unknown>;
  createdAt: string;
}
