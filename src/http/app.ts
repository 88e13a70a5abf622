// The Fastify app, built apart from listen() so tests and the CLI share it. Cross-cutting concerns are registered
// once here (errors, auth, rate limit, OpenAPI); routes live in one file per resource.

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Authenticator } from '../core/auth.ts';
import type { Core } from '../core/context.ts';
import { invalid } from '../core/errors.ts';
import { startQueueSweep } from '../core/queue-sweep.ts';
import { createLogger } from '../log.ts';
import { registerAudit } from './audit.ts';
import { registerAuth } from './auth.ts';
import { consoleRoutes } from './console/routes.ts';
import { clientErrorHandler, ErrorBody, frameworkErrors, registerErrorHandling } from './errors.ts';
import { healthRoutes } from './health.ts';
import { jsonLimitProblem } from './json-limits.ts';
import { metricsRoutes, registerRequestMetrics } from './metrics.ts';
import { documentRoute, finishDocument } from './openapi.ts';
import { RequestLog } from './request-log.ts';
import { reviewRoutes } from './review/reviews.ts';
import { runnerRoutes } from './review/runners.ts';
import { webhookRoutes } from './review/webhooks.ts';
import { adminRoutes } from './v1/admin.ts';
import { artifactRoutes } from './v1/artifacts.ts';
import { eventRoutes } from './v1/events.ts';
import { integrationRoutes } from './v1/integrations.ts';
import { permissionRequestRoutes } from './v1/permission-requests.ts';
import { permissionRoutes } from './v1/permissions.ts';
import { policyRoutes } from './v1/policies.ts';
import { profileRoutes } from './v1/profiles.ts';
import { sessionRoutes } from './v1/sessions.ts';
import { suspensionRoutes } from './v1/suspension.ts';
import { validatorCompiler } from './validation.ts';

const PACKAGE_VERSION = (
  JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 5 * 60_000;

export interface AppOptions {
  /** The process's logger (the one the core logs domain events to); by default one from the config; false: none. */
  logger?: FastifyBaseLogger | false;
}

export async function buildApp(core: Core, options: AppOptions = {}): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger | undefined =
    options.logger === false ? undefined : (options.logger ?? createLogger(core.config));
  const app = Fastify({
    loggerInstance: logger,
    logController: new RequestLog(core.config.requestLogLevel),
    bodyLimit: BODY_LIMIT_BYTES,
    // A request must arrive whole within this (a slow upload cannot hold a socket for ever); long polls and event
    // streams are answers, not requests, and are not limited by it.
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Runner ids may be 128 characters, and they are path segments.
    routerOptions: { maxParamLength: 256 },
    frameworkErrors,
    clientErrorHandler,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // `Expect:` other than 100-continue: Node answers 417 on its own unless told how; answer in our shape.
  app.server.on('checkExpectation', (request, response) => {
    response.writeHead(417, { 'content-type': 'application/json', connection: 'close' });
    response.end(
      JSON.stringify({
        error: {
          code: 'expectation_failed',
          message: `Expect: ${request.headers.expect} is not supported; drop the header`,
        },
      }),
    );
  });

  // Bodies are JSON only; anything else answers 415 instead of reaching a schema as a string.
  app.removeContentTypeParser('text/plain');
  // Clients often send `Content-Type: application/json` with no body on header-only calls (register, deregister).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    parseJson(request, body as string, (error, parsed) => {
      if (error) return done(error, undefined);
      const problem = jsonLimitProblem(parsed);
      if (problem) return done(invalid(problem.field, problem.message), undefined);
      done(null, parsed);
    });
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  /** Aborted at shutdown so long polls answer at once instead of holding the close for up to a minute. */
  const shutdown = new AbortController();
  app.decorate('shutdownSignal', shutdown.signal);
  app.addHook('preClose', async () => shutdown.abort());

  registerErrorHandling(app);
  app.decorate('core', core);
  await app.register(cookie);
  app.addSchema(ErrorBody);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Runplane',
        version: PACKAGE_VERSION,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        description:
          'Control plane for remote runners. Extensions beyond the published contracts are marked with x-runplane-extension.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API key (rp_…) or JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
      // Relative: the document is served by the server it describes, at whatever address it is reached.
      servers: [{ url: '/', description: 'This Runplane server' }],
    },
    transform: ({ schema, url, route }) => ({
      schema:
        schema &&
        documentRoute(schema as Record<string, unknown>, {
          method: String(route.method),
          url,
          scope: (route.config as { scope?: string } | undefined)?.scope,
        }),
      url,
    }),
    transformObject: (document) =>
      'openapiObject' in document
        ? finishDocument(document.openapiObject as Record<string, unknown>)
        : document.swaggerObject,
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  // The API reference: Swagger UI served from the package itself (no CDN), with a CSP that allows only its files.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    uiConfig: { deepLinking: true, docExpansion: 'list', defaultModelsExpandDepth: 0, tryItOutEnabled: false },
  });

  // Registered even when the global limit is off (RUNPLANE_RATE_LIMIT_PER_MINUTE=0): the console login keeps its own.
  await app.register(rateLimit, {
    global: core.config.rateLimitPerMinute > 0,
    max: Math.max(1, core.config.rateLimitPerMinute),
    timeWindow: 60_000,
    // After authentication, per verified principal: rotating made-up credentials gives no fresh budget (failed
    // authentications are limited per address in the auth hook). Public routes count per address.
    hook: 'preHandler',
    keyGenerator: (request) =>
      request.principal ? `p:${request.principal.orgId}:${request.principal.actor}` : `ip:${request.ip}`,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'rate_limited',
      message: `rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}`,
    }),
  });

  const authenticator = new Authenticator(core.db, core.config);
  registerAuth(app, authenticator);
  // Other instances' news: work to claim wakes one matching long poll here, items with new events wake their event
  // streams' watcher, a revoked credential empties the key cache; a (re)connected listener may have missed any of
  // it, so it does all of it for everything. The queue sweep covers work whose notification was lost.
  await core.signals.start(
    {
      signal: (signal) => {
        if (signal.kind === 'credentials') return authenticator.forgetCachedKeys();
        if (signal.kind === 'items') return core.itemWatch.wake(signal.orgId, signal.itemIds);
        for (let i = 0; i < signal.count && core.wakeups.notifyWork(signal.work); i++);
      },
      disconnected: () => core.wakeups.setListening(false),
      resync: () => {
        authenticator.forgetCachedKeys();
        core.wakeups.setListening(true);
        core.wakeups.wakeAll();
        core.itemWatch.wakeAll();
      },
    },
    app.log,
  );
  const stopSweep = startQueueSweep(core, app.log);
  app.addHook('onClose', async () => {
    await stopSweep();
    await core.signals.close();
  });
  registerAudit(app, core.audit);
  registerRequestMetrics(app, core);
  await app.register(healthRoutes, { core });
  await app.register(runnerRoutes, { core });
  await app.register(reviewRoutes, { core });
  await app.register(webhookRoutes, { core });
  await app.register(profileRoutes, { core });
  await app.register(policyRoutes, { core });
  await app.register(suspensionRoutes, { core });
  await app.register(sessionRoutes, { core });
  await app.register(eventRoutes, { core });
  await app.register(artifactRoutes, { core });
  await app.register(permissionRoutes, { core });
  await app.register(permissionRequestRoutes, { core });
  await app.register(integrationRoutes, { core });
  await app.register(adminRoutes, { core, authenticator });
  await app.register(metricsRoutes, { core });
  await app.register(consoleRoutes, { core });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    core: Core;
    shutdownSignal: AbortSignal;
  }
}
