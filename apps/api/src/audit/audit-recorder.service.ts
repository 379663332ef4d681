import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuditLog, Principal } from '@app/domain';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Writes one audit entry per operator action on the admin API, after the response is sent, with the status
 * the caller really got (validation errors and refusals included). Refused attempts (no key, a wrong key,
 * a tenant key) are recorded too: they are what an audit is for.
 */
@Injectable()
export class AuditRecorder {
  constructor(private readonly audit: AuditLog) {}

  attach(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => {
      if (!MUTATING.has(req.method) || !req.url.startsWith('/admin/')) return;
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
        body: req.body,
      });
    });
  }
}
