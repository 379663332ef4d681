import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuditLog, Principal } from '@app/domain';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Writes one audit entry per write (POST, PUT, PATCH, DELETE) on the admin and tenant APIs, after the response is
 * sent, with the status the caller really got (validation errors and refusals included). A refused attempt (no
 * key, a wrong key, the wrong kind of key) is recorded as a refusal: who, what, where from, never its body.
 */
@Injectable()
export class AuditRecorder {
  constructor(private readonly audit: AuditLog) {}

  attach(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => {
      if (!MUTATING.has(req.method) || !/^\/(admin\/)?v1\//.test(req.url)) return;
      // Shed by the rate limit: a row for each would let a flood write to the database at will.
      if (reply.statusCode === 429) return;
      const principal = (req as FastifyRequest & { principal?: Principal }).principal;
      const params = (req.params ?? {}) as Record<string, string>;
      await this.audit.record({
        actor: !principal
          ? 'anonymous'
          : principal.kind === 'operator'
            ? `operator:${principal.name}`
            : `tenant-key:${principal.keyId}`,
        method: req.method,
        path: req.url.split('?')[0],
        action: `${req.method} ${req.routeOptions?.url ?? req.url.split('?')[0]}`,
        // The resource acted on: the innermost id of the route (an API key under its tenant, say).
        target: params.keyId ?? params.backupId ?? params.id ?? null,
        statusCode: reply.statusCode,
        address: req.ip,
        refused: !principal || reply.statusCode === 401 || reply.statusCode === 403,
        body: withQuery(req.body, req.query),
      });
    });
  }
}

/**
 * The query string is part of what was asked (`?purgeBackups=true&confirm=<name>` on a delete): kept beside the
 * body, under `query`, redacted the same way.
 */
function withQuery(body: unknown, query: unknown): unknown {
  const q = query && typeof query === 'object' && Object.keys(query).length ? { ...(query as object) } : null;
  if (!q) return body;
  if (body === undefined || body === null) return { query: q };
  if (typeof body === 'object' && !Array.isArray(body)) return { ...(body as object), query: q };
  return { body, query: q };
}
