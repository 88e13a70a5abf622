// POST /api/webhooks/github: authenticated by the webhook signature, not by a key. The body is taken raw (the
// signature covers the exact bytes), so this plugin has its own JSON parser.
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/context.ts';
import { receiveGitHubWebhook } from '../../intake/github.ts';
import { presentReview } from './schemas.ts';

export const webhookRoutes: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/api/webhooks/github',
    {
      config: { scope: 'public' },
      bodyLimit: 25 * 1024 * 1024,
      schema: {
        tags: ['webhooks'],
        summary: 'GitHub pull_request webhook (X-Hub-Signature-256); opened/synchronize/reopened create a review',
        'x-runplane-extension': true,
      },
    },
    async (request, reply) => {
      const header = (name: string) => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const outcome = await receiveGitHubWebhook(core, {
        body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        signature: header('x-hub-signature-256'),
        event: header('x-github-event'),
        deliveryId: header('x-github-delivery'),
      });
      if (outcome.kind === 'ignored')
        return reply.status(202).send({ data: { ignored: true, reason: outcome.reason } });
      const review = outcome.review ? presentReview(outcome.review) : null;
      return reply
        .status(outcome.kind === 'created' ? 201 : 200)
        .send({ data: { duplicate: outcome.kind === 'duplicate', review } });
    },
  );
};
