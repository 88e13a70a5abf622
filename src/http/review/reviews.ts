// /api/reviews: where review tasks come from (dispatch) and where their results are read.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../../core/context.ts';
import { invalid } from '../../core/errors.ts';
import { cancelReview, createReview, findReview, listOrgReviews } from '../../core/reviews.ts';
import { parseStateList } from '../../core/states.ts';
import { principalOf } from '../auth.ts';
import { data, errorResponses, NewReviewBody, presentReview, ReviewSchema } from './schemas.ts';

const ReviewParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const encodeCursor = (reviewId: string) => Buffer.from(reviewId).toString('base64url');
function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[0-9a-f-]{36}$/.test(id))
    throw invalid('cursor', 'cursor is not one this server issued; drop it to start over');
  return id;
}

export const reviewRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const tags = ['reviews'];

  app.post(
    '/api/reviews',
    {
      config: { scope: 'runners:dispatch' },
      schema: {
        tags,
        summary: 'Create a review; its task is queued for runners',
        body: NewReviewBody,
        response: { 201: data(ReviewSchema), ...errorResponses },
      },
    },
    async (request, reply) => {
      const review = await createReview(core, { orgId: principalOf(request).orgId, ...request.body });
      return reply.status(201).send({ data: presentReview(review) });
    },
  );

  app.get(
    '/api/reviews/:id',
    {
      config: { scope: 'runners:read' },
      schema: { tags, params: ReviewParams, response: { 200: data(ReviewSchema), ...errorResponses } },
    },
    async (request) => ({ data: presentReview(await findReview(core, principalOf(request).orgId, request.params.id)) }),
  );

  app.get(
    '/api/reviews',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: 'List reviews, newest first',
        querystring: Type.Object({
          status: Type.Optional(Type.String({ description: 'Comma-separated states' })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 128 })),
        }),
        response: {
          200: Type.Object({ data: Type.Array(ReviewSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { limit } = request.query;
      const reviews = await listOrgReviews(core, principalOf(request).orgId, {
        states: parseStateList(request.query.status, 'status'),
        limit,
        after: decodeCursor(request.query.cursor),
      });
      const last = reviews.at(-1);
      return {
        data: reviews.map(presentReview),
        nextCursor: reviews.length === limit && last ? encodeCursor(last.id) : null,
      };
    },
  );

  app.post(
    '/api/reviews/:id/cancel',
    {
      config: { scope: 'runners:dispatch' },
      schema: {
        tags,
        summary: 'Cancel a review (extension): at once when queued, via its runner when running',
        params: ReviewParams,
        response: { 200: data(ReviewSchema), ...errorResponses },
        'x-runplane-extension': true,
      },
    },
    async (request) => ({
      data: presentReview(
        await cancelReview(core, principalOf(request).orgId, request.params.id, principalOf(request).actor),
      ),
    }),
  );
};
