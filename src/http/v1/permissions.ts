// Permission grants of a session, and the audit log.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../../core/context.ts';
import { invalid } from '../../core/errors.ts';
import { createGrant, introspectGrant, listSessionGrants, revokeSessionGrant } from '../../core/grants.ts';
import { listAuditRecords } from '../../store/sql/audit.ts';
import { principalOf } from '../auth.ts';
import {
  AuditSchema,
  errorResponses,
  GrantBody,
  GrantSchema,
  Id,
  IdParams,
  ListOf,
  presentAudit,
  presentGrant,
} from './schemas.ts';

export const permissionRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const tags = ['permissions'];

  app.post(
    '/v1/runners/sessions/:id/permissions',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Grant one scope to this session for a while; the token is shown once',
        params: IdParams,
        body: GrantBody,
        response: {
          201: Type.Object({
            id: Type.String(),
            scope: Type.String(),
            expires_at: Type.String({ format: 'date-time' }),
            token: Type.String(),
            grant: GrantSchema,
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { grant, token } = await createGrant(core, principalOf(request), request.params.id, {
        scope: body.scope,
        reason: body.reason,
        ttlSeconds: body.ttl_seconds,
        resource: body.resource ?? null,
      });
      return reply.status(201).send({
        id: grant.id,
        scope: grant.scope,
        expires_at: grant.expiresAt.toISOString(),
        token,
        grant: presentGrant(grant),
      });
    },
  );

  app.get(
    '/v1/runners/sessions/:id/permissions',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(GrantSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await listSessionGrants(core, principalOf(request).orgId, request.params.id)).map(presentGrant),
    }),
  );

  app.delete(
    '/v1/runners/sessions/:id/permissions/:grant_id',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Revoke a grant at once',
        params: Type.Object({ id: Id, grant_id: Id }),
        response: { 200: GrantSchema, ...errorResponses },
      },
    },
    async (request) => {
      const grant = await revokeSessionGrant(core, principalOf(request), request.params.id, request.params.grant_id);
      return presentGrant(grant);
    },
  );

  app.post(
    '/v1/runners/grants/introspect',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: 'What a grant token stands for (RFC 7662 style), for the system that receives it',
        description:
          'Extension. A service a session presents its grant token to (a git proxy checking `repo:write` on one ' +
          'repository) asks here with its own key: `active: true` with the scope, resource, session and expiry ' +
          'while the grant is active in the caller’s org; otherwise only `active: false`.',
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            active: Type.Boolean(),
            scope: Type.Optional(Type.String()),
            resource: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'] })),
            session_id: Type.Optional(Type.String()),
            grant_id: Type.Optional(Type.String()),
            expires_at: Type.Optional(Type.String({ format: 'date-time' })),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const answer = await introspectGrant(core, principalOf(request).orgId, request.body.token);
      if (!answer.active) return { active: false };
      const { grant } = answer;
      return {
        active: true,
        scope: grant.scope,
        resource: grant.resource,
        session_id: grant.itemId,
        grant_id: grant.id,
        expires_at: grant.expiresAt.toISOString(),
      };
    },
  );

  app.get(
    '/v1/audit',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'Audit records of both facades, newest first',
        querystring: Type.Object({
          target: Type.Optional(Type.String({ maxLength: 512 })),
          actor: Type.Optional(Type.String({ maxLength: 256 })),
          action: Type.Optional(
            Type.String({ minLength: 1, maxLength: 256, description: 'Records whose action contains this text' }),
          ),
          since: Type.Optional(Type.String({ format: 'date-time', description: 'Records at or after this instant' })),
          until: Type.Optional(Type.String({ format: 'date-time', description: 'Records before this instant' })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: { 200: ListOf(AuditSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { target, actor, action, since, until, limit, cursor } = request.query;
      if (cursor !== undefined && !/^\d+$/.test(cursor))
        throw invalid('cursor', 'cursor is not one this server issued');
      // Records of this instance are written in batches; flush first so a reader sees its own writes.
      await core.audit.flush();
      const records = await listAuditRecords(core.db, principalOf(request).orgId, {
        target: target ?? null,
        actor: actor ?? null,
        action: action ?? null,
        since: since ? new Date(since) : null,
        until: until ? new Date(until) : null,
        before: cursor === undefined ? null : Number(cursor),
        limit,
      });
      const last = records.at(-1);
      return {
        items: records.map(presentAudit),
        next_cursor: records.length === limit && last ? String(last.id) : null,
      };
    },
  );
};
