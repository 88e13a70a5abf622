// /v1/admin: an org's administration over HTTP (scope `admin`), so nothing needs the server stopped (issue 14).
// Keys: the secret is answered once, at creation, and stored only as its hash; a revocation holds on every
// instance from the next request (the key caches are emptied through Signals). Users: an admin creates them,
// changes their role, disables them or resets their password (each ends the user's open sessions), deletes them;
// no change may leave the org without an enabled admin.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type Authenticator, createApiKey, revokeApiKey } from '../../core/auth.ts';
import type { Core } from '../../core/context.ts';
import { invalid, notFound } from '../../core/errors.ts';
import { type ApiKey, SCOPES } from '../../core/types.ts';
import { addOrgUser, changeOrgUser, listOrgUsers, removeOrgUser } from '../../core/users.ts';
import { listKeys } from '../../store/sql/keys.ts';
import type { User } from '../../store/sql/users.ts';
import { principalOf } from '../auth.ts';
import { decodeCursor, encodeCursor, errorResponses, IdParams, ListOf, Page, page } from './schemas.ts';

const ScopeSchema = Type.Enum([...SCOPES]);
const KeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    kind: Type.Enum(['operator', 'runner'], {
      description:
        '`runner`: every task write it makes must name its attempt (fencing cannot be skipped); `operator`: ' +
        'scripts, integrations and people — its unidentified task writes are operator writes',
    }),
    scopes: Type.Array(ScopeSchema),
    created_at: Type.String({ format: 'date-time' }),
    revoked_at: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' }),
    expires_at: Type.Unsafe<string | null>({
      type: ['string', 'null'],
      format: 'date-time',
      description: 'After this instant the key answers 401; null: it does not expire',
    }),
  },
  { title: 'ApiKey', description: 'An API key (never its secret)' },
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
  kind: Type.Enum(['operator', 'runner', 'standard'], {
    default: 'operator',
    description: '`standard` is the former name of `operator`',
  }),
  expires_at: Type.Optional(
    Type.String({ format: 'date-time', description: 'When the key stops working (a future instant); none by default' }),
  ),
});
const CreatedKey = Type.Object(
  {
    ...KeySchema.properties,
    key: Type.String({ description: 'The secret, shown this once; only its hash is stored' }),
  },
  { title: 'CreatedApiKey' },
);

const presentKey = (key: ApiKey) => ({
  id: key.id,
  name: key.name,
  kind: key.kind === 'runner' ? ('runner' as const) : ('operator' as const),
  scopes: key.scopes,
  created_at: key.createdAt.toISOString(),
  revoked_at: key.revokedAt ? key.revokedAt.toISOString() : null,
  expires_at: key.expiresAt ? key.expiresAt.toISOString() : null,
});

const RoleSchema = Type.Enum(['viewer', 'approver', 'operator', 'admin'], {
  description:
    'viewer: runners:read; approver: read and runners:approve (decides permission requests, raises budgets); ' +
    'operator: read, write and dispatch; admin: everything, this API included',
});
const Password = Type.String({ minLength: 10, maxLength: 1024, description: 'At least 10 characters' });
const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    role: RoleSchema,
    disabled: Type.Boolean({ description: 'A disabled user cannot log in; its sessions were ended' }),
    created_at: Type.String({ format: 'date-time' }),
  },
  { title: 'User', description: 'A console user of the org (never its password)' },
);
const NewUserBody = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 320 }),
  role: RoleSchema,
  password: Password,
});
const UserChangeBody = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
  },
  { minProperties: 1, description: 'What to change; a new password is the admin’s reset of a forgotten one' },
);

const presentUser = (user: User) => ({
  id: user.id,
  email: user.email,
  role: user.role,
  disabled: user.disabledAt !== null,
  created_at: user.createdAt.toISOString(),
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
        querystring: Type.Object(Page),
        response: { 200: ListOf(KeySchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const keys = await listKeys(core.db, principalOf(request).orgId, { after: decodeCursor(cursor), limit });
      return page(keys, limit, presentKey);
    },
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
      const { name, scopes, kind, expires_at } = request.body;
      if (!scopes && kind !== 'runner') {
        throw invalid('scopes', 'scopes is required for an operator key (or send kind: runner for a runner key)');
      }
      const { key, record } = await createApiKey(core.db, {
        orgSlug: principalOf(request).orgSlug,
        scopes: scopes ?? ['runners:read', 'runners:write'],
        kind: kind === 'runner' ? 'runner' : 'standard',
        ...(name ? { name } : {}),
        ...(expires_at ? { expiresAt: new Date(expires_at) } : {}),
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

  app.get(
    '/v1/admin/users',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'The org’s console users, by email',
        'x-runplane-extension': true,
        querystring: Type.Object(Page),
        response: { 200: ListOf(UserSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const users = await listOrgUsers(core.db, principalOf(request).orgId, { after: decodeCursor(cursor), limit });
      // Users page by email (their order), so a page still follows when the user it ended on was deleted.
      const last = users.at(-1);
      return {
        items: users.map(presentUser),
        next_cursor: users.length === limit && last ? encodeCursor(last.email) : null,
      };
    },
  );

  app.post(
    '/v1/admin/users',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create a console user in this org (409 user_exists when the email is taken)',
        'x-runplane-extension': true,
        body: NewUserBody,
        response: { 201: UserSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.status(201).send(presentUser(await addOrgUser(core.db, principalOf(request).orgId, request.body))),
  );

  app.patch(
    '/v1/admin/users/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Change a user’s role, disable or enable it, or reset its password (409 last_admin)',
        'x-runplane-extension': true,
        params: IdParams,
        body: UserChangeBody,
        response: { 200: UserSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentUser(await changeOrgUser(core.db, principalOf(request).orgId, request.params.id, request.body)),
  );

  app.delete(
    '/v1/admin/users/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Delete a user and end its sessions (409 last_admin); its audit records stay',
        'x-runplane-extension': true,
        params: IdParams,
        response: { 200: UserSchema, ...errorResponses },
      },
    },
    async (request) => presentUser(await removeOrgUser(core.db, principalOf(request).orgId, request.params.id)),
  );
};
