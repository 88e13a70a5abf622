// The console: its pages (a small Preact app built by `npm install` into console/dist), login and logout, and the
// backend-for-frontend the browser talks to. BFF routes require the session cookie (and the CSRF token for
// changes) and forward to the /v1 and /api contracts in-process, so the console holds no logic of its own.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../../core/context.ts';
import { completeSetup } from '../../core/first-run.ts';
import { type LoginSession, login, logout, SESSION_TTL_SECONDS, sessionPrincipal } from '../../core/users.ts';
import { whyPending } from '../../core/why-pending.ts';
import { principalOf, SESSION_COOKIE } from '../auth.ts';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../console/dist');
/** What the browser may reach through the BFF. */
const FORWARDED = [
  /^\/v1\/runners(\/|$|\?)/,
  /^\/v1\/audit(\/|$|\?)/,
  /^\/v1\/admin(\/|$|\?)/,
  /^\/api\/runners(\/|$|\?)/,
  /^\/api\/reviews(\/|$|\?)/,
];
const LOGIN_LIMIT_PER_MINUTE = 10;

export const consoleRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const built = fs.existsSync(path.join(DIST, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: path.join(DIST, 'assets'),
      prefix: '/console/assets/',
      decorateReply: false,
    });
  }
  const page = (reply: import('fastify').FastifyReply) =>
    built
      ? reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(fs.readFileSync(path.join(DIST, 'index.html')))
      : reply
          .status(503)
          .type('text/plain')
          .send('The console is not built: run `npm install` (it builds console/dist).');

  app.get('/console/login', { schema: { hide: true } }, async (_request, reply) => page(reply));
  // The first-run page needs no session: its link's token is the credential (checked when the form is sent).
  app.get('/console/setup', { schema: { hide: true } }, async (_request, reply) => page(reply));
  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/runners'));
  app.get('/console/*', { schema: { hide: true } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (!token || !(await sessionPrincipal(core.db, token))) {
      return reply.redirect(`/console/login?next=${encodeURIComponent(request.url)}`);
    }
    return page(reply);
  });

  app.post(
    '/console/api/login',
    {
      config: {
        scope: 'public',
        // Per account, whatever the address: rotating addresses gives no fresh guesses. (Failed authentications
        // are also limited per address, in the auth hook.)
        rateLimit: {
          hook: 'preHandler',
          max: LOGIN_LIMIT_PER_MINUTE,
          timeWindow: 60_000,
          keyGenerator: (request: import('fastify').FastifyRequest) =>
            `login:${String((request.body as { email?: unknown } | undefined)?.email ?? '').toLowerCase()}`,
          errorResponseBuilder: (_request: unknown, context: { after: string }) => ({
            statusCode: 429,
            code: 'rate_limited',
            message: `too many login attempts for this account; it is locked for ${context.after}, then try again`,
          }),
        },
      },
      schema: {
        tags: ['console'],
        body: Type.Object({
          email: Type.String({ minLength: 3, maxLength: 320 }),
          password: Type.String({ minLength: 1, maxLength: 1024 }),
          org: Type.Optional(Type.String({ maxLength: 63 })),
        }),
      },
    },
    async (request, reply) => {
      const session = await login(core.db, request.body.email, request.body.password, request.body.org);
      return startSession(request, reply, session);
    },
  );

  app.post(
    '/console/api/setup',
    {
      config: {
        scope: 'public',
        rateLimit: { hook: 'preHandler', max: LOGIN_LIMIT_PER_MINUTE, timeWindow: 60_000 },
      },
      schema: {
        tags: ['console'],
        summary: 'First run: create the first org and its admin with the setup link’s token, and log in',
        body: Type.Object({
          token: Type.String({ minLength: 1, maxLength: 128 }),
          org: Type.String({ minLength: 1, maxLength: 63 }),
          email: Type.String({ minLength: 3, maxLength: 320 }),
          password: Type.String({ minLength: 10, maxLength: 1024 }),
        }),
      },
    },
    async (request, reply) => {
      const { token, org, email, password } = request.body;
      await completeSetup(core.db, token, { org, email, password });
      return startSession(request, reply, await login(core.db, email, password, org));
    },
  );

  app.post(
    '/console/api/logout',
    { config: { scope: 'runners:read' }, schema: { tags: ['console'] } },
    async (request, reply) => {
      await logout(core.db, request.cookies[SESSION_COOKIE] ?? '');
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );

  app.get('/console/api/me', { config: { scope: 'runners:read' }, schema: { tags: ['console'] } }, async (request) => {
    const session = await sessionPrincipal(core.db, request.cookies[SESSION_COOKIE] ?? '');
    if (!session) return { user: null };
    return {
      user: { email: session.user.email, role: session.user.role, org: session.user.orgSlug },
      csrf_token: session.csrfToken,
    };
  });

  app.get(
    '/console/api/sessions/:id/why-pending',
    {
      config: { scope: 'runners:read' },
      schema: { tags: ['console'], params: Type.Object({ id: Type.String({ maxLength: 128 }) }) },
    },
    async (request) => whyPending(core, principalOf(request).orgId, request.params.id),
  );

  // The BFF: /console/api/v1/<path> is /v1/<path> and /console/api/<path> is /api/<path> of the API, called
  // in-process with the same cookie (and CSRF token), so the API's own scope checks apply.
  app.all('/console/api/*', { config: { scope: 'runners:read' }, schema: { hide: true } }, async (request, reply) => {
    const rest = request.url.slice('/console/api'.length);
    const target = rest.startsWith('/v1/') ? rest : `/api${rest}`;
    if (!FORWARDED.some((pattern) => pattern.test(target))) {
      return reply
        .status(404)
        .send({ error: { code: 'route_not_found', message: `no console route ${request.url.split('?')[0]}` } });
    }
    // The browser going away aborts the forwarded request too, so a long poll never claims for a closed tab.
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    const forwarded = await app.inject({
      method: request.method as 'GET',
      url: target,
      signal: gone.signal,
      headers: {
        cookie: request.headers.cookie ?? '',
        ...(request.headers['x-csrf-token'] ? { 'x-csrf-token': String(request.headers['x-csrf-token']) } : {}),
        ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
        'x-request-id': request.id,
      },
      ...(request.body !== undefined ? { payload: JSON.stringify(request.body) } : {}),
    });
    const type = forwarded.headers['content-type'];
    if (type) reply.header('content-type', type);
    return reply.status(forwarded.statusCode).send(forwarded.rawPayload);
  });
};

function startSession(
  request: import('fastify').FastifyRequest,
  reply: import('fastify').FastifyReply,
  session: LoginSession,
) {
  const secure = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
  reply.setCookie(SESSION_COOKIE, session.token, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    expires: session.expiresAt,
    maxAge: SESSION_TTL_SECONDS,
  });
  return {
    user: { email: session.user.email, role: session.user.role, org: session.user.orgSlug },
    csrf_token: session.csrfToken,
  };
}
