// GET /metrics (Prometheus text format) and GET /v1/runners/queues (the queue figures as JSON, for autoscalers such
// as KEDA's metrics-api scaler). /metrics spans every org, so it is not open to the network by default: with
// RUNPLANE_METRICS_TOKEN it needs `Authorization: Bearer <token>`, without it only loopback clients are answered.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { sameSecret } from '../core/auth.ts';
import type { Core } from '../core/context.ts';
import { forbidden, unauthenticated } from '../core/errors.ts';
import { queueFigures } from '../store/sql/queues.ts';
import { principalOf } from './auth.ts';
import { errorResponses } from './v1/schemas.ts';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

const QueueSchema = Type.Object({
  profile_id: Type.String(),
  required_tags: Type.Array(Type.String()),
  depth: Type.Integer(),
  oldest_age_seconds: Type.Number(),
});

/** Request durations by route template (never the raw URL: ids would make a series per request); on the root app. */
export function registerRequestMetrics(app: FastifyInstance, core: Core): void {
  app.addHook('onResponse', async (request, reply) => {
    core.metrics.httpDuration.observe(
      { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}

export const metricsRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (queue depth and age, claims, leases, runners, HTTP, pool, delivery, process)',
        'x-runplane-extension': true,
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text exposition format 0.0.4' } },
      },
    },
    async (request, reply) => {
      const token = core.config.metricsToken;
      if (token) {
        const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
        if (!given) throw unauthenticated('send the metrics token as `Authorization: Bearer <RUNPLANE_METRICS_TOKEN>`');
        if (!sameSecret(given, token)) throw forbidden('wrong metrics token');
      } else if (!LOOPBACK.test(request.ip)) {
        throw forbidden('set RUNPLANE_METRICS_TOKEN to scrape /metrics from another host; without it only loopback');
      }
      // A store outage while collecting answers 503 like any other request (the error handler's mapping).
      const text = await core.metrics.registry.metrics();
      return reply.type(core.metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/v1/runners/queues',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags: ['sessions'],
        summary: 'Pending work of this org by profile and required tag set; `depth` sums the rows the filters keep',
        'x-runplane-extension': true,
        querystring: Type.Object({
          profile_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          tags: Type.Optional(
            Type.String({
              maxLength: 2048,
              description: 'Comma-separated: rows whose required tags are exactly these',
            }),
          ),
        }),
        response: {
          200: Type.Object({
            depth: Type.Integer(),
            oldest_age_seconds: Type.Number(),
            items: Type.Array(QueueSchema),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { profile_id: profileId, tags } = request.query;
      const wanted =
        tags === undefined ? null : [...new Set(tags.split(',').map((tag) => tag.trim()))].filter(Boolean).sort();
      const rows = (await queueFigures(core.db, principalOf(request).orgId)).filter(
        (row) =>
          (profileId === undefined || row.profileId === profileId) &&
          (wanted === null || row.requiredTags.join(',') === wanted.join(',')),
      );
      return {
        depth: rows.reduce((sum, row) => sum + row.depth, 0),
        oldest_age_seconds: rows.reduce((oldest, row) => Math.max(oldest, row.oldestAgeSeconds), 0),
        items: rows.map((row) => ({
          profile_id: row.profileId,
          required_tags: row.requiredTags,
          depth: row.depth,
          oldest_age_seconds: row.oldestAgeSeconds,
        })),
      };
    },
  );
};
