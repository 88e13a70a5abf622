// /v1/admin: an org's administration over HTTP (scope `admin`), so nothing needs the server stopped (issue 14).
// Keys: the secret is answered once, at creation, and stored only as its hash; a revocation holds on every
// instance from the next request (the key caches are emptied through Signals).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type Authenticator, createApiKey, revokeApiKey } from '../../core/auth.ts';
import type { Core } from '../../core/context.ts';
import { invalid, notFound } from '../../core/errors.ts';
import { type ApiKey, SCOPES } from '../../core/types.ts';
import { listKeys } from '../../store/sql/keys.ts';
import { principalOf } from '../auth.ts';
import { errorResponses, IdParams, ListOf } from './schemas.ts';

const ScopeSchema = Type.Enum([...SCOPES]);
const KeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    kind: Type.Enum(['standard', 'runner'], {
      description: '`runner`: every task write it makes must name its attempt (fencing cannot be skipped)',
    }),
    scopes: Type.Array(ScopeSchema),
    created_at: Type.String({ format: 'date-time' }),
    revoked_at: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' }),
  },
  { description: 'An API key (never its secret)' },
);
const NewKeyBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f]+$' })),
  scopes: Type.Optional(
    Type.Array(ScopeSchema, {
      minItems: 1,
      uniqueItems: true,
      description: 'Required for a standard key; a runner key defaults to runners:read and runners:write',
    }),
  ),
  kind: Type.Enum(['standard', 'runner'], { default: 'standard' }),
});
const CreatedKey = Type.Object({
  ...KeySchema.properties,
  key: Type.String({ description: 'The secret, shown this once; only its hash is stored' }),
});

const presentKey = (key: ApiKey) => ({
  id: key.id,
  name: key.name,
  kind: key.kind,
  scopes: key.scopes,
  created_at: key.createdAt.toISOString(),
  revoked_at: key.revokedAt ? key.revokedAt.toISOString() : null,
});

export const adminRoutes: FastifyPluginAsyncTypebox<{ core: Core; authenticator: Authenticator }> = async (
  app,
  { core, authenticator },
) => {
  const tags = ['admin'];

  app.get(
    '/v1/admin/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'The org’s API keys, oldest first (never their secrets)',
        'x-runplane-extension': true,
        response: { 200: ListOf(KeySchema), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await listKeys(core.db, principalOf(request).orgId)).map(presentKey),
      next_cursor: null,
    }),
  );

  app.post(
    '/v1/admin/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create an API key in this org; the answer holds its secret, shown once',
        'x-runplane-extension': true,
        body: NewKeyBody,
        response: { 201: CreatedKey, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, scopes, kind } = request.body;
      if (!scopes && kind !== 'runner') {
        throw invalid('scopes', 'scopes is required for a standard key (or send kind: runner for a runner key)');
      }
      const { key, record } = await createApiKey(core.db, {
        orgSlug: principalOf(request).orgSlug,
        scopes: scopes ?? ['runners:read', 'runners:write'],
        kind,
        ...(name ? { name } : {}),
      });
      return reply.status(201).send({ ...presentKey(record), key });
    },
  );

  app.delete(
    '/v1/admin/keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Revoke an API key at once, on every instance (idempotent)',
        'x-runplane-extension': true,
        params: IdParams,
        response: { 200: KeySchema, ...errorResponses },
      },
    },
    async (request) => {
      const key = await revokeApiKey(core.db, request.params.id, null, principalOf(request).orgId);
      if (!key) throw notFound('key', request.params.id);
      authenticator.forgetCachedKeys();
      core.signals.publish({ kind: 'credentials' });
      return presentKey(key);
    },
  );
};
