// /v1 security: each route refused without its scope, another org's ids answer 404, grant tokens, and the audit log.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/core/types.ts';
import { type Client, client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

type Route = [method: string, path: string, scope: Scope, body?: unknown];

/**
 * Every /v1 route with the scope the contract gives it; `:s` is a session, `:p` a profile, `:g` a grant, `:c` a
 * session a runner holds and `:q` a permission request it asked.
 */
const ROUTES: Route[] = [
  ['GET', '/v1/runners/profiles', 'runners:read'],
  ['GET', '/v1/runners/profiles/:p', 'runners:read'],
  ['GET', '/v1/runners/profiles/:p/harnesses', 'runners:read'],
  ['GET', '/v1/runners/profiles/:p/harnesses/latest', 'runners:read'],
  ['GET', '/v1/runners/sessions', 'runners:read'],
  ['GET', '/v1/runners/sessions/:s', 'runners:read'],
  ['GET', '/v1/runners/sessions/:s/events', 'runners:read'],
  ['GET', '/v1/runners/sessions/:s/events/stream', 'runners:read'],
  ['GET', '/v1/runners/sessions/:s/artifacts', 'runners:read'],
  ['GET', '/v1/runners/sessions/:s/permissions', 'runners:read'],
  ['POST', '/v1/runners/profiles', 'runners:write', { name: 'x' }],
  ['PUT', '/v1/runners/profiles/:p', 'runners:write', { name: 'y' }],
  ['DELETE', '/v1/runners/profiles/:p', 'runners:write'],
  ['POST', '/v1/runners/profiles/:p/harnesses', 'runners:write', { version: '9', image_ref: 'img' }],
  ['PATCH', '/v1/runners/sessions/:s', 'runners:write', { progress: 0.5 }],
  ['POST', '/v1/runners/sessions/:s/heartbeat', 'runners:write'],
  ['POST', '/v1/runners/sessions/:s/checkpoint', 'runners:write', { data: {} }],
  ['POST', '/v1/runners/sessions/:s/resume', 'runners:write'],
  ['POST', '/v1/runners/sessions/:s/cancel', 'runners:write'],
  ['POST', '/v1/runners/sessions/:s/events', 'runners:write', [{ type: 't', level: 'info', message: 'm' }]],
  ['POST', '/v1/runners/sessions/:s/artifacts?name=a.txt', 'runners:write', 'hello'],
  [
    'POST',
    '/v1/runners/sessions/:s/permissions',
    'runners:write',
    { scope: 'runners:read', reason: 'r', ttl_seconds: 60 },
  ],
  ['DELETE', '/v1/runners/sessions/:s/permissions/:g', 'runners:write'],
  ['POST', '/v1/runners/sessions/:s/claim', 'runners:write', { runner_id: 'r1' }],
  ['POST', '/v1/runners/sessions/claim', 'runners:write', { runner_id: 'r1' }],
  ['POST', '/v1/runners/sessions', 'runners:dispatch', { profile_id: ':p', task_id: 't', input: {} }],
  ['GET', '/v1/audit', 'admin'],
  ['GET', '/v1/runners/profiles/:p/policy', 'runners:read'],
  ['PUT', '/v1/runners/profiles/:p/policy', 'admin', { cancel_grace_seconds: 10 }],
  ['POST', '/v1/runners/sessions/:s/replay', 'runners:dispatch'],
  ['POST', '/v1/runners/profiles/:p/suspend', 'admin', { reason: 'test' }],
  ['POST', '/v1/runners/profiles/:p/unsuspend', 'admin'],
  [
    'POST',
    '/v1/runners/sessions/:c/permission-requests',
    'runners:write',
    { scope: 'repo:write', resource: 'r', reason: 'why' },
  ],
  ['GET', '/v1/runners/sessions/:c/permission-requests', 'runners:read'],
  ['GET', '/v1/runners/sessions/:c/permission-requests/:q', 'runners:read'],
  ['GET', '/v1/runners/permission-requests', 'runners:read'],
  ['POST', '/v1/runners/grants/introspect', 'runners:read', { token: 'rpg_x' }],
  ['POST', '/v1/runners/permission-requests/:q/approve', 'runners:approve', {}],
  ['POST', '/v1/runners/permission-requests/:q/deny', 'runners:approve', {}],
];

describe.each(STORE_KINDS)('/v1 security on the %s store', (kind) => {
  const t = useTestServer(kind);
  let admin: Client;
  let ids: { s: string; p: string; g: string; c: string; q: string };

  beforeEach(async () => {
    admin = await t.client(['admin']);
    const p = (await admin.post('/v1/runners/profiles', { name: 'prof' })).body.id;
    const s = (await admin.post('/v1/runners/sessions', { profile_id: p, task_id: 't', input: {} })).body.id;
    const g = (
      await admin.post(`/v1/runners/sessions/${s}/permissions`, { scope: 'runners:read', reason: 'r', ttl_seconds: 60 })
    ).body.id;
    const c = (await admin.post('/v1/runners/sessions', { profile_id: p, task_id: 'c', input: {} })).body.id;
    const runner = { 'x-runner-id': 'sec-runner' };
    await admin.post('/api/runners/register', undefined, runner);
    const { attempt } = (await admin.post(`/v1/runners/sessions/${c}/claim`, { runner_id: 'sec-runner' })).body;
    const asked = await admin.post(
      `/v1/runners/sessions/${c}/permission-requests`,
      { scope: 'repo:write', resource: 'r', reason: 'why' },
      { ...runner, 'x-runplane-attempt': String(attempt) },
    );
    ids = { s, p, g, c, q: asked.body.id };
  });

  const fill = (text: string) =>
    text.replace(':s', ids.s).replace(':p', ids.p).replace(':g', ids.g).replace(':c', ids.c).replace(':q', ids.q);
  const send = (api: Client, [method, path, , body]: Route) => {
    const payload =
      typeof body === 'string' ? body : body === undefined ? undefined : JSON.parse(fill(JSON.stringify(body)));
    const headers: Record<string, string> = typeof body === 'string' ? { 'content-type': 'text/plain' } : {};
    return api.call(method, fill(path), payload, headers);
  };

  it.each(ROUTES)('%s %s is refused without %s (403)', async (...route) => {
    const scope = route[2];
    const others = (['runners:read', 'runners:write', 'runners:dispatch'] as Scope[]).filter((s) => s !== scope);
    const reply = await send(await t.client(others), route);
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('forbidden');
  });

  it.each(ROUTES)('%s %s without credentials answers 401', async (...route) => {
    const reply = await send(client(t.server.url, null), route);
    expect(reply.status).toBe(401);
  });

  it.each(ROUTES.filter(([, path]) => path.includes(':')))(
    '%s %s with another org’s ids answers 404',
    async (...route) => {
      const other = await t.client(['admin'], { org: 'globex' });
      const reply = await send(other, route);
      expect(reply.status).toBe(404);
      expect(reply.body.error.code).toBe('not_found');
    },
  );

  it('another org’s lists are empty and its profile ids are unknown here', async () => {
    const other = await t.client(['admin'], { org: 'globex' });
    expect((await other.post('/v1/runners/sessions', { profile_id: ids.p, task_id: 't', input: {} })).status).toBe(404);
    expect((await other.get('/v1/runners/sessions')).body.items).toEqual([]);
    expect((await other.get('/v1/runners/profiles')).body.items.map((p: { id: string }) => p.id)).toEqual([
      'ai-review',
    ]);
    expect((await other.post('/v1/runners/sessions/claim', { runner_id: 'r1' })).body.items).toEqual([]);
  });

  describe('permission grants', () => {
    it('a grant token authorises exactly its scope on its session until revoked', async () => {
      const created = await admin.post(`/v1/runners/sessions/${ids.s}/permissions`, {
        scope: 'runners:write',
        reason: 'upload evidence',
        ttl_seconds: 600,
        resource: 'artifacts',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ scope: 'runners:write' });
      expect(created.body.token).toMatch(/^rpg_/);
      const grantee = client(t.server.url, created.body.token);
      expect(
        (await grantee.post(`/v1/runners/sessions/${ids.s}/events`, [{ type: 'note', level: 'info', message: 'hi' }]))
          .status,
      ).toBe(200);
      // Another scope, another session, another route family: refused.
      expect((await grantee.get(`/v1/runners/sessions/${ids.s}`)).status).toBe(403);
      const other = (await admin.post('/v1/runners/sessions', { profile_id: ids.p, task_id: 't2', input: {} })).body.id;
      expect(
        (await grantee.post(`/v1/runners/sessions/${other}/events`, [{ type: 'n', level: 'info', message: 'x' }]))
          .status,
      ).toBe(403);
      expect((await grantee.post('/v1/runners/profiles', { name: 'sneaky' })).status).toBe(403);
      const listed = await admin.get(`/v1/runners/sessions/${ids.s}/permissions`);
      expect(listed.body.items.find((g: { id: string }) => g.id === created.body.id)).toMatchObject({
        status: 'active',
        resource: 'artifacts',
      });
      expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
      const revoked = await admin.delete(`/v1/runners/sessions/${ids.s}/permissions/${created.body.id}`);
      expect(revoked.body.status).toBe('revoked');
      const refused = await grantee.post(`/v1/runners/sessions/${ids.s}/events`, [
        { type: 'note', level: 'info', message: 'x' },
      ]);
      expect(refused.status).toBe(401);
    });

    it('a write-scoped grant token cannot revoke the session’s other grants, only itself', async () => {
      const grant = async () =>
        (
          await admin.post(`/v1/runners/sessions/${ids.s}/permissions`, {
            scope: 'runners:write',
            reason: 'r',
            ttl_seconds: 600,
          })
        ).body;
      const mine = await grant();
      const other = await grant();
      const grantee = client(t.server.url, mine.token);
      const refused = await grantee.delete(`/v1/runners/sessions/${ids.s}/permissions/${other.id}`);
      expect(refused.status).toBe(403);
      const listed = await admin.get(`/v1/runners/sessions/${ids.s}/permissions`);
      expect(listed.body.items.find((g: { id: string }) => g.id === other.id).status).toBe('active');
      const self = await grantee.delete(`/v1/runners/sessions/${ids.s}/permissions/${mine.id}`);
      expect(self.body.status).toBe('revoked');
    });

    it('an expired grant token answers 401 and is listed as expired', async () => {
      const created = await admin.post(`/v1/runners/sessions/${ids.s}/permissions`, {
        scope: 'runners:read',
        reason: 'short',
        ttl_seconds: 1,
      });
      await t.db.query(`update permission_grants set expires_at = now() - interval '1 second' where id = $1`, [
        created.body.id,
      ]);
      expect((await client(t.server.url, created.body.token).get(`/v1/runners/sessions/${ids.s}/events`)).status).toBe(
        401,
      );
      const listed = await admin.get(`/v1/runners/sessions/${ids.s}/permissions`);
      expect(listed.body.items.find((g: { id: string }) => g.id === created.body.id).status).toBe('expired');
    });

    it('only a caller holding a scope may grant it; ttl is bounded', async () => {
      const writer = await t.client(['runners:write']);
      const refused = await writer.post(`/v1/runners/sessions/${ids.s}/permissions`, {
        scope: 'runners:dispatch',
        reason: 'r',
        ttl_seconds: 60,
      });
      expect(refused.status).toBe(403);
      const tooLong = await admin.post(`/v1/runners/sessions/${ids.s}/permissions`, {
        scope: 'runners:read',
        reason: 'r',
        ttl_seconds: 86401,
      });
      expect(tooLong.body.error.field).toBe('ttl_seconds');
      expect((await admin.delete(`/v1/runners/sessions/${ids.s}/permissions/grant_nope`)).status).toBe(404);
    });
  });

  describe('audit', () => {
    it('records every mutation on both facades with actor, action, target and request id', async () => {
      await admin.call(
        'PATCH',
        `/v1/runners/sessions/${ids.s}`,
        { metadata: { a: 1 } },
        { 'x-request-id': 'req-audit-1' },
      );
      await admin.post('/api/runners/register', undefined, { 'x-runner-id': 'r-audit' });
      const records = (await admin.get('/v1/audit?limit=200')).body.items;
      const patch = records.find((r: { request_id: string }) => r.request_id === 'req-audit-1');
      expect(patch).toMatchObject({ action: 'PATCH /v1/runners/sessions/:id', target: ids.s });
      expect(patch.actor).toMatch(/^key_/);
      expect(records.map((r: { action: string }) => r.action)).toEqual(
        expect.arrayContaining([
          'POST /api/runners/register',
          'POST /v1/runners/sessions',
          'POST /v1/runners/profiles',
          'POST /v1/runners/sessions/:id/permissions',
        ]),
      );
      const byTarget = (await admin.get(`/v1/audit?target=${ids.s}`)).body.items;
      expect(byTarget.every((r: { target: string }) => r.target === ids.s)).toBe(true);
      const page1 = await admin.get('/v1/audit?limit=2');
      const page2 = await admin.get(`/v1/audit?limit=2&cursor=${page1.body.next_cursor}`);
      expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
      // Reads are not mutations.
      expect(records.some((r: { action: string }) => r.action.startsWith('GET '))).toBe(false);
    });

    it('needs admin', async () => {
      expect((await (await t.client(['runners:read', 'runners:write'])).get('/v1/audit')).status).toBe(403);
    });
  });
});
