import { Inject, Injectable, Logger } from '@nestjs/common';
import { AUDIT_REPOSITORY, AuditRepository } from '../ports';

export interface AuditView {
  id: string;
  actor: string;
  method: string;
  path: string;
  action: string;
  target: string | null;
  statusCode: number;
  outcome: 'ok' | 'error';
  detail: Record<string, unknown>;
  createdAt: string;
}

export interface AuditRecord {
  actor: string;
  method: string;
  path: string;
  action: string;
  target: string | null;
  statusCode: number;
  /** The caller's address. */
  address: string;
  /** Refused (no key, a wrong key, the wrong kind): the refusal is recorded, not what was sent. */
  refused: boolean;
  body: unknown;
}

// The most of a request body an entry keeps (its JSON, in characters).
const MAX_DETAIL = 4096;

// Keys whose values never reach the log: keys, passwords, private keys, tokens, SNMP communities (a fence
// agent's parameters: `passwd`, `community`).
const SECRET = /key|pass|secret|token|credential|community/i;
// An argv (a fencing command of the old kind, refused now) may carry a password on its command line.
const ARGV = /^(command|argv|args)$/;

/** Drops secrets and bounds the size, so the audit log can be shown to every operator. */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' && value.length > 500 ? `${value.slice(0, 500)}…` : value;
  }
  if (depth > 4) return '…';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .slice(0, 50)
      .map(([k, v]) => [k, SECRET.test(k) || (ARGV.test(k) && Array.isArray(v)) ? '***' : redact(v, depth + 1)]),
  );
}

/** A redacted body, or its outline when it is larger than an entry keeps. */
function bounded(detail: unknown): unknown {
  const size = JSON.stringify(detail ?? null).length;
  if (size <= MAX_DETAIL) return detail;
  const keys = detail && typeof detail === 'object' && !Array.isArray(detail) ? Object.keys(detail).slice(0, 20) : [];
  return { truncated: true, size, keys };
}

/** Who did what, when, and how it ended: every write on the admin and tenant APIs, and every refused one. */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger(AuditLog.name);

  constructor(@Inject(AUDIT_REPOSITORY) private readonly entries: AuditRepository) {}

  async record(r: AuditRecord): Promise<void> {
    try {
      const detail = r.refused ? { address: r.address } : bounded(redact(r.body ?? {}));
      await this.entries.record({
        actor: r.actor,
        method: r.method,
        path: r.path.slice(0, 500),
        action: r.action.slice(0, 200),
        target: r.target,
        statusCode: r.statusCode,
        detail:
          detail && typeof detail === 'object' && !Array.isArray(detail) ? (detail as Record<string, unknown>) : {},
      });
    } catch (e) {
      // The action already happened; a lost audit line is logged loudly rather than failing the response.
      this.logger.error(`audit entry lost for ${r.actor} ${r.method} ${r.path}: ${(e as Error).message}`);
    }
  }

  async list(filter: { actor?: string; target?: string; limit?: number }): Promise<AuditView[]> {
    const rows = await this.entries.list({ ...filter, limit: filter.limit ?? 200 });
    return rows.map((e) => ({
      id: e.id,
      actor: e.actor,
      method: e.method,
      path: e.path,
      action: e.action,
      target: e.target,
      statusCode: e.statusCode,
      outcome: e.statusCode < 400 ? 'ok' : 'error',
      detail: e.detail,
      createdAt: e.createdAt.toISOString(),
    }));
  }
}
