// /v1/runners/sessions: dispatch, read, claim, update, heartbeat, checkpoint, resume, cancel. Handlers translate
// snake_case into core calls; the claim, fence and event log are the engine's, shared with /api/runners.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { budgetsFromBody, changeSessionBudget } from '../../core/budgets.ts';
import type { Core } from '../../core/context.ts';
import { forbidden, invalid } from '../../core/errors.ts';
import { REVIEW_PROFILE } from '../../core/reviews.ts';
import {
  cancelSession,
  checkpointSession,
  claimNextSessions,
  claimSession,
  dispatchSession,
  getSession,
  heartbeatSession,
  listSessions,
  patchSession,
  replaySession,
  resumeSession,
  sessionAttempts,
  sessionContext,
} from '../../core/sessions.ts';
import { ITEM_STATES, parseStateList } from '../../core/states.ts';
import type { Item } from '../../core/types.ts';
import { principalOf } from '../auth.ts';
import { longPollSignal } from '../long-poll.ts';
import { ReviewInputBody } from '../review/schemas.ts';
import { compileBodyCheck } from '../validation.ts';
import { InstanceHeaders, instanceOf, WriterHeaders, writerOf } from '../writer.ts';
import {
  AnyJson,
  AttemptSchema,
  DispatchBody,
  decodeCursor,
  errorResponses,
  Id,
  IdParams,
  ListOf,
  MAX_INPUT_BYTES,
  Page,
  PatchBody,
  page,
  presentAttempt,
  presentSession,
  RunnerIdSchema,
  SessionSchema,
  Tag,
} from './schemas.ts';

const ListQuery = Type.Object({
  ...Page,
  state: Type.Optional(Type.String({ description: `Comma-separated: ${ITEM_STATES.join(', ')}` })),
  profile_id: Type.Optional(Id),
  task_id: Type.Optional(Type.String({ maxLength: 256 })),
  created_after: Type.Optional(Type.String({ format: 'date-time' })),
  created_before: Type.Optional(Type.String({ format: 'date-time' })),
});

const checkReviewInput = compileBodyCheck(ReviewInputBody, 'input');

export const sessionRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const tags = ['sessions'];
  const present = async (items: Item[]) => {
    const context = await sessionContext(core.db, items);
    return items.map((item) => presentSession(item, context));
  };
  const presentOne = async (item: Item) => (await present([item]))[0]!;

  app.post(
    '/v1/runners/sessions',
    {
      config: { scope: 'runners:dispatch' },
      schema: {
        tags,
        summary: 'Dispatch a session (Idempotency-Key supported)',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
        body: DispatchBody,
        response: { 200: SessionSchema, 201: SessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (Buffer.byteLength(JSON.stringify(body.input ?? null)) > MAX_INPUT_BYTES) {
        throw invalid('input', `input is larger than ${MAX_INPUT_BYTES} bytes; store large data as an artifact`);
      }
      // A review runner works from these fields: checked here like POST /api/reviews checks them.
      if (body.profile_id === REVIEW_PROFILE) {
        const problem = checkReviewInput(body.input);
        if (problem)
          throw invalid(problem.field, `${problem.message}; a session of ${REVIEW_PROFILE} needs a review's fields`);
      }
      const { item, replayed } = await dispatchSession(
        core,
        principalOf(request).orgId,
        {
          profileId: body.profile_id,
          taskId: body.task_id,
          input: body.input ?? null,
          requiredTags: body.required_tags,
          maxAttempts: body.max_attempts,
          leaseTtlSeconds: body.lease_ttl_seconds,
          metadata: body.metadata,
        },
        request.headers['idempotency-key'] ?? null,
      );
      return reply.status(replayed ? 200 : 201).send(await presentOne(item));
    },
  );

  app.post(
    '/v1/runners/sessions/:id/replay',
    {
      config: { scope: 'runners:dispatch' },
      schema: {
        tags,
        summary:
          'Replay a session: a new pending session with its input, pinned harness revision and policy version, linked both ways (Idempotency-Key supported)',
        params: IdParams,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
        response: { 200: SessionSchema, 201: SessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { item, replayed } = await replaySession(
        core,
        principalOf(request).orgId,
        request.params.id,
        request.headers['idempotency-key'] ?? null,
      );
      return reply.status(replayed ? 200 : 201).send(await presentOne(item));
    },
  );

  app.get(
    '/v1/runners/sessions',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: 'Sessions, newest first',
        querystring: ListQuery,
        response: { 200: ListOf(SessionSchema), ...errorResponses },
      },
    },
    async (request) => {
      const query = request.query;
      const items = await listSessions(core, principalOf(request).orgId, {
        states: parseStateList(query.state, 'state'),
        profileId: query.profile_id ?? null,
        taskId: query.task_id ?? null,
        createdAfter: query.created_after ? new Date(query.created_after) : null,
        createdBefore: query.created_before ? new Date(query.created_before) : null,
        after: decodeCursor(query.cursor),
        limit: query.limit,
      });
      const context = await sessionContext(core.db, items);
      return page(items, query.limit, (item) => presentSession(item, context));
    },
  );

  app.get(
    '/v1/runners/sessions/:id',
    {
      config: { scope: 'runners:read' },
      schema: { tags, params: IdParams, response: { 200: SessionSchema, ...errorResponses } },
    },
    async (request) => presentOne(await getSession(core, principalOf(request).orgId, request.params.id)),
  );

  app.get(
    '/v1/runners/sessions/:id/attempts',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: 'Every attempt of the session, first to last: runner, claim, end, outcome',
        'x-runplane-extension': true,
        params: IdParams,
        response: { 200: ListOf(AttemptSchema), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await sessionAttempts(core, principalOf(request).orgId, request.params.id)).map(presentAttempt),
      next_cursor: null,
    }),
  );

  app.post(
    '/v1/runners/sessions/claim',
    {
      config: { scope: 'runners:write', auditReads: true },
      schema: {
        tags,
        summary: 'Claim the next pending sessions (long-poll with wait_seconds)',
        headers: InstanceHeaders,
        body: Type.Object({
          runner_id: RunnerIdSchema,
          profile_ids: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 50 })),
          tags: Type.Optional(Type.Array(Tag, { maxItems: 32 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 1 })),
          wait_seconds: Type.Optional(Type.Number({ minimum: 0, maximum: 60, default: 0 })),
        }),
        response: { 200: Type.Object({ items: Type.Array(SessionSchema) }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const waitMs = (body.wait_seconds ?? 0) * 1000;
      const items = await claimNextSessions(core, {
        orgId: principalOf(request).orgId,
        runnerId: body.runner_id,
        profileIds: body.profile_ids ?? null,
        tags: body.tags ?? null,
        limit: body.limit ?? 1,
        instance: instanceOf(request),
        waitMs,
        signal: waitMs > 0 ? longPollSignal(reply, app.shutdownSignal) : undefined,
      });
      return { items: await present(items) };
    },
  );

  app.post(
    '/v1/runners/sessions/:id/claim',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Claim one pending session by id (atomic pending → dispatched)',
        params: IdParams,
        headers: InstanceHeaders,
        body: Type.Object({ runner_id: RunnerIdSchema }),
        response: { 200: SessionSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentOne(
        await claimSession(
          core,
          principalOf(request).orgId,
          request.params.id,
          request.body.runner_id,
          instanceOf(request),
        ),
      ),
  );

  app.patch(
    '/v1/runners/sessions/:id',
    {
      config: { scope: 'runners:write', orScope: 'runners:approve' },
      schema: {
        tags,
        summary: 'Partial update: state, progress, metadata (merged), result; budget with runners:approve',
        description:
          'State, progress, metadata and result take runners:write (a runner sends its attempt headers). `budget` ' +
          "(extension) takes runners:approve: it changes the session's own limits over its pinned policy's.",
        params: IdParams,
        headers: WriterHeaders,
        body: PatchBody,
        response: { 200: SessionSchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { budget, ...patch } = request.body;
      // The route lets runners:write or runners:approve in: each part needs its own.
      if (budget && !principal.scopes.has('runners:approve')) {
        throw forbidden('changing a budget needs the runners:approve scope (an approver or an admin)');
      }
      if (Object.keys(patch).length > 0 && !principal.scopes.has('runners:write')) {
        throw forbidden('this credential lacks the runners:write scope; create a key with --scopes runners:write');
      }
      let item: Item | null = null;
      if (budget) {
        item = await changeSessionBudget(
          core,
          principal.orgId,
          request.params.id,
          budgetsFromBody(budget),
          principal.actor,
        );
      }
      if (Object.keys(patch).length > 0 || !item) {
        item = await patchSession(core, principal.orgId, request.params.id, patch, writerOf(request));
      } else {
        item = await getSession(core, principal.orgId, request.params.id);
      }
      return presentOne(item);
    },
  );

  app.post(
    '/v1/runners/sessions/:id/heartbeat',
    {
      config: { scope: 'runners:write', audit: false },
      schema: {
        tags,
        params: IdParams,
        headers: WriterHeaders,
        response: {
          200: Type.Object({
            lease_expires_at: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' }),
            cancel_requested: Type.Boolean(),
            pause_requested: Type.Boolean({
              description: 'Extension: the session reached a budget; checkpoint with pause',
            }),
            state: Type.String(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const item = await heartbeatSession(core, principalOf(request).orgId, request.params.id, writerOf(request));
      return {
        lease_expires_at: item.leaseExpiresAt?.toISOString() ?? null,
        cancel_requested: item.state === 'cancel_requested',
        pause_requested: item.pauseRequestedAt !== null && item.state !== 'cancel_requested',
        state: item.state,
      };
    },
  );

  app.post(
    '/v1/runners/sessions/:id/checkpoint',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Store a checkpoint; with pause, also pause the session and free its runner slot',
        params: IdParams,
        headers: WriterHeaders,
        // The checkpoint itself may be up to 1 MiB; the JSON envelope around it needs a little more.
        body: Type.Object({ data: Type.Optional(AnyJson), pause: Type.Optional(Type.Boolean()) }, { minProperties: 1 }),
        response: {
          200: Type.Object({
            seq: Type.Unsafe<number | null>({ type: ['integer', 'null'] }),
            session: SessionSchema,
          }),
          ...errorResponses,
        },
      },
      bodyLimit: 1024 * 1024 + 64 * 1024,
    },
    async (request) => {
      const { data, pause } = request.body;
      if (data !== undefined && Buffer.byteLength(JSON.stringify(data)) > 1024 * 1024) {
        throw invalid('data', 'checkpoint data is larger than 1 MiB; store large state as an artifact');
      }
      const { item, checkpoint } = await checkpointSession(
        core,
        principalOf(request).orgId,
        request.params.id,
        { data, pause: pause ?? false },
        writerOf(request),
      );
      return { seq: checkpoint?.seq ?? null, session: await presentOne(item) };
    },
  );

  app.post(
    '/v1/runners/sessions/:id/resume',
    {
      config: { scope: 'runners:write' },
      schema: { tags, params: IdParams, response: { 200: SessionSchema, ...errorResponses } },
    },
    async (request) => {
      const principal = principalOf(request);
      return presentOne(await resumeSession(core, principal.orgId, request.params.id, principal.actor));
    },
  );

  app.post(
    '/v1/runners/sessions/:id/cancel',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Cancel: at once when pending or paused, via the runner (cancel_requested) when it runs',
        params: IdParams,
        response: { 200: SessionSchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return presentOne(await cancelSession(core, principal.orgId, request.params.id, principal.actor));
    },
  );
};
