// Audit of every mutation on both facades. A request that can change something (any method but GET/HEAD, plus
// routes that mutate through GET such as claims) runs its handler inside an audit scope naming its actor, action
// (`METHOD /route`), default target (the route's `:id`) and request id; the core writes the row in the transaction
// of the change (core/audit.ts). A successful mutating request that reached no mutation (a replay) is recorded
// after the response instead.
import type { FastifyInstance } from 'fastify';
import { type AuditScope, type AuditWriter, openAuditScope, withAuditScope } from '../core/audit.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A GET that can change state (a claim): recorded only when it changed something. */
    auditReads?: boolean;
    /** false: a high-volume runner write (heartbeat, log batch) that is not recorded row by row. */
    audit?: boolean;
  }
  interface FastifyRequest {
    auditScope: AuditScope | null;
  }
}

export function registerAudit(app: FastifyInstance, audit: AuditWriter): void {
  app.decorateRequest('auditScope', null);
  // preHandler: after authentication; the handler runs inside the scope (callback style, so the async context
  // reaches the handler).
  app.addHook('preHandler', (request, _reply, done) => {
    const principal = request.principal;
    const config = request.routeOptions.config;
    const read = ['GET', 'HEAD', 'OPTIONS'].includes(request.method);
    // Console BFF requests are recorded by the API call they forward to.
    if (
      !principal ||
      config.audit === false ||
      (read && !config.auditReads) ||
      request.routeOptions.url?.startsWith('/console/')
    ) {
      done();
      return;
    }
    const params = request.params as Record<string, string> | undefined;
    const scope = openAuditScope({
      orgId: principal.orgId,
      actor: principal.actor,
      action: `${request.method} ${request.routeOptions.url}`,
      target: params?.['id'] ?? null,
      requestId: request.id,
    });
    request.auditScope = scope;
    withAuditScope(scope, done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const scope = request.auditScope;
    if (!scope || scope.recorded || reply.statusCode >= 400) return;
    // A GET that claims and found nothing changed nothing.
    if (['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return;
    audit.record(scope);
  });
}
