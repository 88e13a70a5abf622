// Permission requests (issue 16): the running attempt asks (runners:write, fenced), anyone with runners:read lists
// and reads them (the asking attempt collects its token in that read, with a long poll), a person with
// runners:approve decides.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { Core } from '../../core/context.ts';
import {
  askPermission,
  decidePermission,
  listRequests,
  MAX_GRANT_TTL_SECONDS,
  type RequestAnswer,
  readPermissionRequest,
} from '../../core/permission-requests.ts';
import { getSession } from '../../core/sessions.ts';
import type { PermissionRequest } from '../../core/types.ts';
import { principalOf } from '../auth.ts';
import { longPollSignal } from '../long-poll.ts';
import { WriterHeaders, writerOf } from '../writer.ts';
import { errorResponses, GrantSchema, Id, IdParams, presentGrant } from './schemas.ts';

const STATES = ['pending', 'approved', 'denied', 'expired'] as const;
const Nullable = (format?: string) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...(format ? { format } : {}) });

export const PermissionRequestSchema = Type.Object(
  {
    id: Type.String(),
    session_id: Type.String(),
    attempt: Type.Integer({ description: 'The attempt that asked: the only one its token is handed to' }),
    runner_id: Nullable(),
    scope: Type.String(),
    resource: Type.String(),
    reason: Type.String(),
    ttl_seconds: Type.Integer({ description: 'The grant lifetime asked for, capped by the matching rule' }),
    state: Type.Enum([...STATES]),
    decided_by: Type.Unsafe<string | null>({
      type: ['string', 'null'],
      description: '`policy` when a rule decided, else the person (API key id or user); null while pending',
    }),
    rule_index: Type.Unsafe<number | null>({
      type: ['integer', 'null'],
      description: 'The policy rule that matched (0-based); null: none did and the default `ask` applied',
    }),
    note: Nullable(),
    grant_id: Nullable(),
    grant_expires_at: Nullable('date-time'),
    token_delivered: Type.Boolean({ description: 'The token was handed to the asking attempt (it is shown once)' }),
    created_at: Type.String({ format: 'date-time' }),
    expires_at: Type.String({
      format: 'date-time',
      description: 'A pending request expires here at the latest (earlier when its attempt ends)',
    }),
    decided_at: Nullable('date-time'),
  },
  { title: 'PermissionRequest', description: "A session's request for a grant and its decision" },
);

const AnswerSchema = Type.Object(
  {
    ...PermissionRequestSchema.properties,
    token: Type.Unsafe<string | null>({
      type: ['string', 'null'],
      description:
        'The grant token (`rpg_…`): only in the one answer that hands it to the asking attempt; null otherwise',
    }),
    grant: Type.Union([GrantSchema, Type.Null()], { description: 'The grant minted for that token; else null' }),
  },
  {
    title: 'PermissionRequestAnswer',
    description: 'A permission request, with its token when this answer hands it out',
  },
);

const AskBody = Type.Object(
  {
    scope: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[a-z][a-z0-9_.-]*(:[a-z0-9_.-]+)*$',
      description:
        'What the session wants to do: a Runplane scope (`runners:write`) or another system’s (`repo:write`)',
    }),
    resource: Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: '^[^\\u0000-\\u001f\\u007f]+$',
      description: 'What it wants to do it on (a repository, a path…); matched against the rules’ globs',
    }),
    reason: Type.String({ minLength: 1, maxLength: 1024, description: 'Shown to the person who decides' }),
    ttl_seconds: Type.Integer({ minimum: 1, maximum: MAX_GRANT_TTL_SECONDS, default: 900 }),
  },
  { additionalProperties: false },
);

const DecisionBody = Type.Object(
  {
    ttl_seconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_GRANT_TTL_SECONDS,
        description: 'The grant lifetime; default what was asked; capped by the matching rule’s max_ttl_seconds',
      }),
    ),
    note: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

const DenyBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 1024 })) },
  { additionalProperties: false },
);

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export const presentRequest = (request: PermissionRequest) => ({
  id: request.id,
  session_id: request.sessionId,
  attempt: request.attempt,
  runner_id: request.runnerId,
  scope: request.scope,
  resource: request.resource,
  reason: request.reason,
  ttl_seconds: request.ttlSeconds,
  state: request.state,
  decided_by: request.decidedBy,
  rule_index: request.ruleIndex,
  note: request.note,
  grant_id: request.grantId,
  grant_expires_at: iso(request.grantExpiresAt),
  token_delivered: request.tokenDelivered,
  created_at: request.createdAt.toISOString(),
  expires_at: request.expiresAt.toISOString(),
  decided_at: iso(request.decidedAt),
});

const presentAnswer = (answer: RequestAnswer) => ({
  ...presentRequest(answer.request),
  token: answer.token,
  grant: answer.grant ? presentGrant(answer.grant) : null,
});

const ListQuery = Type.Object({
  state: Type.Optional(Type.Enum([...STATES])),
  session_id: Type.Optional(Id),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 128, description: 'next_cursor of the previous page' })),
});

const RequestList = Type.Object({ items: Type.Array(PermissionRequestSchema), next_cursor: Nullable() });

export const permissionRequestRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const tags = ['permissions'];

  const list = async (orgId: string, query: Static<typeof ListQuery>, sessionId: string | null) => {
    const items = await listRequests(core, orgId, {
      state: query.state ?? null,
      sessionId,
      beforeId: query.cursor ?? null,
      limit: query.limit,
    });
    const last = items.at(-1);
    return { items: items.map(presentRequest), next_cursor: items.length === query.limit && last ? last.id : null };
  };

  app.post(
    '/v1/runners/sessions/:id/permission-requests',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'The running attempt asks for a permission; its policy decides at once or a person will',
        description:
          'Fenced by `x-runplane-attempt` (and `x-runner-id`): only the attempt holding the session may ask, and the ' +
          'ask extends its lease. A rule with `allow` answers `approved` with the grant token in this answer (shown ' +
          'once); `deny` answers `denied`; otherwise the request is `pending` until a person decides or it expires.',
        params: IdParams,
        headers: WriterHeaders,
        body: AskBody,
        response: { 201: AnswerSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const answer = await askPermission(core, principalOf(request).orgId, request.params.id, writerOf(request), {
        scope: body.scope,
        resource: body.resource,
        reason: body.reason,
        ttlSeconds: body.ttl_seconds,
      });
      return reply.status(201).send(presentAnswer(answer));
    },
  );

  app.get(
    '/v1/runners/sessions/:id/permission-requests',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: "A session's permission requests and their decisions, newest first",
        params: IdParams,
        querystring: ListQuery,
        response: { 200: RequestList, ...errorResponses },
      },
    },
    async (request) => {
      const orgId = principalOf(request).orgId;
      // A session of another org is 404, like every session route.
      await getSession(core, orgId, request.params.id);
      return list(orgId, request.query, request.params.id);
    },
  );

  app.get(
    '/v1/runners/sessions/:id/permission-requests/:request_id',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: 'One permission request; with `wait`, waits for its decision (long poll)',
        description:
          'The attempt that asked (sending its `x-runplane-attempt` and `x-runner-id`) receives the grant token of an ' +
          'approved request in the first answer after the decision, once; every other answer has `token: null`.',
        params: Type.Object({ id: Id, request_id: Id }),
        headers: WriterHeaders,
        querystring: Type.Object({
          wait: Type.Number({
            minimum: 0,
            maximum: 60,
            default: 0,
            description: 'Seconds to wait while the request is pending',
          }),
        }),
        response: { 200: AnswerSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const waitMs = request.query.wait * 1000;
      const answer = await readPermissionRequest(
        core,
        principalOf(request).orgId,
        request.params.id,
        request.params.request_id,
        writerOf(request),
        waitMs,
        waitMs > 0 ? longPollSignal(reply, app.shutdownSignal) : undefined,
      );
      return presentAnswer(answer);
    },
  );

  app.get(
    '/v1/runners/permission-requests',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: "The org's permission requests; `state=pending` is the queue a person decides (oldest first)",
        querystring: ListQuery,
        response: { 200: RequestList, ...errorResponses },
      },
    },
    async (request) => list(principalOf(request).orgId, request.query, request.query.session_id ?? null),
  );

  app.post(
    '/v1/runners/permission-requests/:id/approve',
    {
      config: { scope: 'runners:approve' },
      schema: {
        tags,
        summary: 'Approve a pending request: a grant for the asking attempt, its lifetime capped by the rule',
        params: IdParams,
        body: DecisionBody,
        response: { 200: PermissionRequestSchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const decided = await decidePermission(core, principal.orgId, request.params.id, principal.actor, {
        approve: true,
        ...(request.body.ttl_seconds !== undefined ? { ttlSeconds: request.body.ttl_seconds } : {}),
        note: request.body.note ?? null,
      });
      return presentRequest(decided);
    },
  );

  app.post(
    '/v1/runners/permission-requests/:id/deny',
    {
      config: { scope: 'runners:approve' },
      schema: {
        tags,
        summary: 'Deny a pending request',
        params: IdParams,
        body: DenyBody,
        response: { 200: PermissionRequestSchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const decided = await decidePermission(core, principal.orgId, request.params.id, principal.actor, {
        approve: false,
        note: request.body.note ?? null,
      });
      return presentRequest(decided);
    },
  );
};
