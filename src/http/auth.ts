// Authentication and scope checks as one hook: every /api and /v1 route declares the scope it needs in
// `config.scope` (a route without one fails at start-up), and the hook refuses before the handler runs.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Authenticator, sameSecret } from '../core/auth.ts';
import { DomainError, forbidden, unauthenticated } from '../core/errors.ts';
import type { Principal, Scope } from '../core/types.ts';
import { sessionPrincipal } from '../core/users.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope a caller must hold; `public` for routes without credentials. */
    scope?: Scope | 'public';
    /**
     * A scope that also lets a caller in, for the parts of the route it governs; the handler checks which part
     * the request touches (PATCH of a session: its budget takes runners:approve, the rest runners:write).
     */
    orScope?: Scope;
    /** `always`: a console session must send its CSRF token even on GET (a GET that claims work). */
    csrf?: 'always';
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const PROTECTED_PREFIXES = ['/api/', '/v1/', '/console/api/'];

/** The presented credential: `Authorization: Bearer …` or `x-api-key`. */
export function credentialOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1]! : null;
  }
  const key = request.headers['x-api-key'];
  return typeof key === 'string' && key.length > 0 ? key : null;
}

export function registerAuth(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const needsScope = PROTECTED_PREFIXES.some((prefix) => route.url.startsWith(prefix));
    if (needsScope && !route.config?.scope) {
      throw new Error(`route ${route.method} ${route.url} must declare config.scope`);
    }
  });

  const failures = new FailedAuthLimiter(FAILED_AUTH_PER_MINUTE);
  app.addHook('onRequest', async (request, reply) => {
    const scope = request.routeOptions.config.scope;
    if (!scope || scope === 'public') return;
    const credential = credentialOf(request);
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (!credential && !cookie) {
      throw unauthenticated(
        'send an API key as `Authorization: Bearer <key>` or `x-api-key: <key>`, or log in to the console',
      );
    }
    const blockedFor = failures.blockedForSeconds(request.ip);
    if (blockedFor > 0) {
      reply.header('retry-after', String(blockedFor));
      throw new DomainError(
        'rate_limited',
        'rate_limited',
        `too many failed authentications from this address; retry in ${blockedFor} s with a valid credential`,
      );
    }
    let principal: Principal;
    try {
      principal = credential ? await authenticator.authenticate(credential) : await cookiePrincipal(request, cookie!);
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'unauthenticated') failures.record(request.ip);
      throw error;
    }
    const orScope = request.routeOptions.config.orScope;
    if (!principal.scopes.has(scope) && !(orScope && principal.scopes.has(orScope))) {
      throw forbidden(`this credential lacks the ${scope} scope; create a key with --scopes ${scope}`);
    }
    if (principal.sessionId !== undefined && !isOwnSession(request, principal.sessionId)) {
      throw forbidden(`this grant token is limited to session ${principal.sessionId}`);
    }
    request.principal = principal;
  });
}

/** Failed authentications an address may make per minute before it is refused without a store lookup. */
const FAILED_AUTH_PER_MINUTE = 30;

/** Counts failed authentications per client address in fixed one-minute windows (bounded memory). */
class FailedAuthLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly max: number,
    private readonly maxAddresses = 10_000,
  ) {}

  record(address: string): void {
    const now = Date.now();
    const window = this.windows.get(address);
    if (!window || now - window.start >= 60_000) {
      if (this.windows.size >= this.maxAddresses) this.windows.clear();
      this.windows.set(address, { start: now, count: 1 });
    } else {
      window.count += 1;
    }
  }

  blockedForSeconds(address: string): number {
    const window = this.windows.get(address);
    if (!window || window.count < this.max) return 0;
    const left = 60_000 - (Date.now() - window.start);
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }
}

/** The console's session cookie (HttpOnly, SameSite=Lax); see src/http/console. */
export const SESSION_COOKIE = 'runplane_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A console user's session, accepted by the management endpoints of both facades with the role's scopes. A cookie
 * is sent by the browser on its own, so every state-changing request must also carry the session's CSRF token.
 */
async function cookiePrincipal(request: FastifyRequest, token: string): Promise<Principal> {
  const session = await sessionPrincipal(request.server.core.db, token);
  if (!session) throw unauthenticated('the console session expired; log in again');
  // Claims change state whatever their method (GET /api/runners/tasks/pending): they need the token too.
  if (!SAFE_METHODS.has(request.method) || request.routeOptions.config.csrf === 'always') {
    const sent = request.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) {
      throw new DomainError(
        'forbidden',
        'csrf_required',
        'send the x-csrf-token header given at login with every change',
      );
    }
  }
  return session.principal;
}

const SESSION_ROUTE = '/v1/runners/sessions/:id';

/** A grant token works only on the routes of the one session it was granted for. */
function isOwnSession(request: FastifyRequest, sessionId: string): boolean {
  const url = request.routeOptions.url ?? '';
  const params = request.params as { id?: string } | undefined;
  return (url === SESSION_ROUTE || url.startsWith(`${SESSION_ROUTE}/`)) && params?.id === sessionId;
}

/** The authenticated caller of a scoped route (the hook guarantees it is set). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated('not authenticated');
  return request.principal;
}
