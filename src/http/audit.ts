// Audit of every mutation on both facades, as a hook: a successful request that changed something (any method but
// GET/HEAD, plus routes that mutate through GET such as claims) is recorded with its actor, action, target and
// request id. Handlers only name the target when it is not the route's `:id` (e.g. the id they just created).
import type { FastifyInstance } from 'fastify';
import type { AuditWriter } from '../core/audit.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A GET that can change state (a claim): recorded when the handler names a target (it claimed something). */
    auditReads?: boolean;
    /** false: a high-volume runner write (heartbeat, log batch) that is not recorded row by row. */
    audit?: boolean;
  }
  interface FastifyRequest {
    auditTarget: string | null;
  }
}

export function registerAudit(app: FastifyInstance, audit: AuditWriter): void {
  app.decorateRequest('auditTarget', null);
  app.addHook('onResponse', async (request, reply) => {
    const principal = request.principal;
    // Console BFF requests are recorded by the API call they forward to.
    if (!principal || reply.statusCode >= 400 || request.routeOptions.url?.startsWith('/console/')) return;
    if (request.routeOptions.config.audit === false) return;
    const read = ['GET', 'HEAD', 'OPTIONS'].includes(request.method);
    if (read && !(request.routeOptions.config.auditReads && request.auditTarget)) return;
    const params = request.params as Record<string, string> | undefined;
    audit.record({
      orgId: principal.orgId,
      actor: principal.actor,
      action: `${request.method} ${request.routeOptions.url}`,
      target: request.auditTarget ?? params?.['id'] ?? null,
      requestId: request.id,
    });
  });
}
