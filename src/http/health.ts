// Liveness and readiness: /healthz says the process answers; /readyz that the store is reachable and migrated.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../core/context.ts';
import { isMigrated } from '../store/migrate.ts';

const Status = Type.Object({ status: Type.String(), reason: Type.Optional(Type.String()) });

export const healthRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { tags: ['health'], response: { 200: Status, 503: Status } } },
    async (_request, reply) => {
      try {
        if (await isMigrated(core.db)) return { status: 'ready' };
        return reply
          .status(503)
          .send({ status: 'unavailable', reason: 'migrations not applied; run `runplane migrate`' });
      } catch {
        return reply.status(503).send({ status: 'unavailable', reason: 'store unreachable' });
      }
    },
  );
};
