// Administration without a stop (issue 14), over real HTTP on each store: /v1/admin/users (create, role, disable,
// password reset, delete; never the last admin), keys that expire, the audit log's filters, and the first-run
// setup link (one token, used once, by one of two racing browsers).
import { describe, expect, it } from 'vitest';
import { bootstrapAdmin, completeSetup, issueSetupToken } from '../../src/core/first-run.ts';
import { createUser } from '../../src/core/users.ts';
import { insertUserSession } from '../../src/store/sql/users.ts';
import { client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const PASSWORD = 'correct horse battery';

async function logIn(baseUrl: string, email: string, password = PASSWORD) {
  const reply = await fetch(`${baseUrl}/console/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await reply.json();
  return { status: reply.status, body, cookie: (reply.headers.get('set-cookie') ?? '').split(';')[0]! };
}

/** The signed-in user of a cookie, or null once its session is gone (the API then answers 401). */
async function me(baseUrl: string, cookie: string) {
  const reply = await fetch(`${baseUrl}/console/api/me`, { headers: { cookie } });
  return reply.status === 401 ? null : (await reply.json()).user;
}

describe.each(STORE_KINDS)('administration on the %s store', (kind) => {
  const t = useTestServer(kind);

  it('an admin creates a user who can log in; the list shows it without a password; bad input names the field', async () => {
    const admin = await t.client(['admin']);
    const created = await admin.post('/v1/admin/users', {
      email: 'Dev@Acme.test',
      role: 'operator',
      password: PASSWORD,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'dev@acme.test', role: 'operator', disabled: false });
    expect(created.body.id).toMatch(/^usr_/);
    expect((await logIn(t.server.url, 'dev@acme.test')).body.user).toEqual({
      email: 'dev@acme.test',
      role: 'operator',
      org: 'acme',
    });
    const listed = await admin.get('/v1/admin/users');
    expect(listed.body.items).toEqual([created.body]);
    expect(JSON.stringify(listed.body)).not.toContain('scrypt');

    const again = await admin.post('/v1/admin/users', { email: 'dev@acme.test', role: 'viewer', password: PASSWORD });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('user_exists');
    for (const [body, field] of [
      [{ email: 'not-an-email', role: 'viewer', password: PASSWORD }, 'email'],
      [{ email: 'x@acme.test', role: 'root', password: PASSWORD }, 'role'],
      [{ email: 'x@acme.test', role: 'viewer', password: 'short' }, 'password'],
      [{ email: 'x@acme.test', role: 'viewer' }, 'password'],
    ] as const) {
      const reply = await admin.post('/v1/admin/users', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.message).toContain(field);
    }
    const patched = await admin.patch(`/v1/admin/users/${created.body.id}`, {});
    expect(patched.status).toBe(400);
    expect((await admin.get('/v1/admin/users')).body.items).toHaveLength(1); // nothing half-written
  });

  it('a role change, a disable and a password reset end the user’s sessions; a disabled user cannot log in; all audited', async () => {
    const admin = await t.client(['admin']);
    const { body: user } = await admin.post('/v1/admin/users', {
      email: 'dev@acme.test',
      role: 'operator',
      password: PASSWORD,
    });
    let session = await logIn(t.server.url, 'dev@acme.test');
    expect(await me(t.server.url, session.cookie)).toMatchObject({ role: 'operator' });

    expect((await admin.patch(`/v1/admin/users/${user.id}`, { role: 'viewer' })).body.role).toBe('viewer');
    expect(await me(t.server.url, session.cookie)).toBeNull();
    session = await logIn(t.server.url, 'dev@acme.test');
    expect(session.body.user.role).toBe('viewer');

    expect((await admin.patch(`/v1/admin/users/${user.id}`, { disabled: true })).body.disabled).toBe(true);
    expect(await me(t.server.url, session.cookie)).toBeNull();
    const refused = await logIn(t.server.url, 'dev@acme.test');
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain('disabled');
    expect((await logIn(t.server.url, 'dev@acme.test', 'a wrong password')).body.error.message).not.toContain(
      'disabled',
    );

    await admin.patch(`/v1/admin/users/${user.id}`, { disabled: false, password: 'a brand new password' });
    expect((await logIn(t.server.url, 'dev@acme.test')).status).toBe(401);
    expect((await logIn(t.server.url, 'dev@acme.test', 'a brand new password')).status).toBe(200);

    const deleted = await admin.delete(`/v1/admin/users/${user.id}`);
    expect(deleted.status).toBe(200);
    expect((await logIn(t.server.url, 'dev@acme.test', 'a brand new password')).status).toBe(401);
    expect((await admin.delete(`/v1/admin/users/${user.id}`)).status).toBe(404);

    const audit = await admin.get(`/v1/audit?target=${user.id}`);
    expect(audit.body.items.map((row: { action: string }) => row.action).reverse()).toEqual([
      'POST /v1/admin/users',
      'PATCH /v1/admin/users/:id',
      'PATCH /v1/admin/users/:id',
      'PATCH /v1/admin/users/:id',
      'DELETE /v1/admin/users/:id',
    ]);
  });

  it('no change leaves the org without an enabled admin, even when two admins demote each other at once', async () => {
    const admin = await t.client(['admin']);
    const first = (await admin.post('/v1/admin/users', { email: 'a@acme.test', role: 'admin', password: PASSWORD }))
      .body;
    for (const change of [{ role: 'operator' }, { disabled: true }]) {
      const reply = await admin.patch(`/v1/admin/users/${first.id}`, change);
      expect(reply.status).toBe(409);
      expect(reply.body.error.code).toBe('last_admin');
    }
    expect((await admin.delete(`/v1/admin/users/${first.id}`)).body.error.code).toBe('last_admin');

    const second = (await admin.post('/v1/admin/users', { email: 'b@acme.test', role: 'admin', password: PASSWORD }))
      .body;
    for (let round = 0; round < 20; round++) {
      const replies = await Promise.all([
        admin.patch(`/v1/admin/users/${first.id}`, { role: 'viewer' }),
        admin.patch(`/v1/admin/users/${second.id}`, { disabled: true }),
      ]);
      expect(replies.map((reply) => reply.status).sort()).toEqual([200, 409]);
      const admins = (await admin.get('/v1/admin/users')).body.items.filter(
        (user: { role: string; disabled: boolean }) => user.role === 'admin' && !user.disabled,
      );
      expect(admins).toHaveLength(1);
      await admin.patch(`/v1/admin/users/${first.id}`, { role: 'admin' });
      await admin.patch(`/v1/admin/users/${second.id}`, { role: 'admin', disabled: false });
    }
  });

  it('every admin route: 401 without a key, 403 without the admin scope, 404 for another org’s user or key', async () => {
    const admin = await t.client(['admin']);
    const other = await t.client(['admin'], { org: 'globex' });
    const theirUser = (
      await other.post('/v1/admin/users', { email: 'g@globex.test', role: 'admin', password: PASSWORD })
    ).body;
    const theirKey = (await other.post('/v1/admin/keys', { scopes: ['runners:read'] })).body;
    const operator = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    const anonymous = client(t.server.url, null);
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/admin/keys'],
      ['POST', '/v1/admin/keys', { scopes: ['runners:read'] }],
      ['DELETE', `/v1/admin/keys/${theirKey.id}`],
      ['GET', '/v1/admin/users'],
      ['POST', '/v1/admin/users', { email: 'n@acme.test', role: 'viewer', password: PASSWORD }],
      ['PATCH', `/v1/admin/users/${theirUser.id}`, { role: 'viewer' }],
      ['DELETE', `/v1/admin/users/${theirUser.id}`],
    ];
    for (const [method, path, body] of routes) {
      expect((await anonymous.call(method, path, body)).status, `${method} ${path}`).toBe(401);
      const refused = await operator.call(method, path, body);
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.body.error.code).toBe('forbidden');
    }
    for (const [method, path, body] of routes.filter(([, path]) => path.includes('/globex') || /_/.test(path))) {
      const reply = await admin.call(method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(404);
    }
    expect((await admin.get('/v1/admin/users')).body.items).toEqual([]);
    expect((await other.get('/v1/admin/users')).body.items.map((u: { id: string }) => u.id)).toEqual([theirUser.id]);
  });

  it('an email in two orgs: the password picks the org; another org’s admin cannot lock a user out', async () => {
    await createUser(t.db, { orgSlug: 'acme', email: 'dev@shared.test', role: 'operator', password: PASSWORD });
    const globex = await t.client(['admin'], { org: 'globex' });
    expect(
      (
        await globex.post('/v1/admin/users', {
          email: 'dev@shared.test',
          role: 'viewer',
          password: 'globex password 1',
        })
      ).status,
    ).toBe(201);
    expect((await logIn(t.server.url, 'dev@shared.test')).body.user.org).toBe('acme');
    expect((await logIn(t.server.url, 'dev@shared.test', 'globex password 1')).body.user.org).toBe('globex');
    const wrong = await logIn(t.server.url, 'dev@shared.test', 'not the password');
    expect(wrong.body.error.message).toBe('wrong email or password');
    // The same password in both: only then is the org asked for, and naming it logs in.
    await globex.patch(`/v1/admin/users/${(await globex.get('/v1/admin/users')).body.items[0].id}`, {
      password: PASSWORD,
    });
    expect((await logIn(t.server.url, 'dev@shared.test')).body.error.message).toContain('choose the org');
    const chosen = await fetch(`${t.server.url}/console/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'dev@shared.test', password: PASSWORD, org: 'globex' }),
    });
    expect((await chosen.json()).user.org).toBe('globex');
  });

  it('a session is not opened for a password that changed after it was checked, nor for a disabled user', async () => {
    const admin = await t.client(['admin']);
    const { body: user } = await admin.post('/v1/admin/users', {
      email: 'r@acme.test',
      role: 'viewer',
      password: PASSWORD,
    });
    const [row] = await t.db.query<{ password_hash: string }>('select password_hash from users where id = $1', [
      user.id,
    ]);
    const open = () =>
      insertUserSession(t.db, {
        tokenHash: `h-${Math.random()}`,
        userId: user.id,
        passwordHash: row!.password_hash,
        csrfToken: 'c',
        ttlSeconds: 60,
      });
    expect(await open()).toBeInstanceOf(Date);
    await admin.patch(`/v1/admin/users/${user.id}`, { password: 'a different password' });
    expect(await open()).toBeNull();
    await admin.delete(`/v1/admin/users/${user.id}`);
    expect(await open()).toBeNull(); // no foreign-key error either
  });

  it('users and keys are listed in pages', async () => {
    const admin = await t.client(['admin']);
    for (const name of ['c', 'a', 'b']) {
      await admin.post('/v1/admin/users', { email: `${name}@acme.test`, role: 'viewer', password: PASSWORD });
      await admin.post('/v1/admin/keys', { name, scopes: ['runners:read'] });
    }
    const first = await admin.get('/v1/admin/users?limit=2');
    expect(first.body.items.map((u: { email: string }) => u.email)).toEqual(['a@acme.test', 'b@acme.test']);
    const second = await admin.get(`/v1/admin/users?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.items.map((u: { email: string }) => u.email)).toEqual(['c@acme.test']);
    expect(second.body.next_cursor).toBeNull();
    // The user a page ended on is deleted: the next page still follows.
    await admin.delete(`/v1/admin/users/${first.body.items[1].id}`);
    const after = await admin.get(`/v1/admin/users?limit=2&cursor=${first.body.next_cursor}`);
    expect(after.body.items.map((u: { email: string }) => u.email)).toEqual(['c@acme.test']);
    const keys: string[] = [];
    let cursor = '';
    do {
      const reply = await admin.get(`/v1/admin/keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      keys.push(...reply.body.items.map((k: { name: string }) => k.name));
      cursor = reply.body.next_cursor ?? '';
    } while (cursor);
    expect(keys.filter((name) => ['a', 'b', 'c'].includes(name))).toEqual(['c', 'a', 'b']); // oldest first
    expect((await admin.get('/v1/admin/users?cursor=bogus')).status).toBe(400);
  });

  it('a key with an expiry works until it, then answers 401 saying so (the auth cache does not outlive it)', async () => {
    const admin = await t.client(['admin']);
    const past = await admin.post('/v1/admin/keys', { scopes: ['runners:read'], expires_at: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.error.message).toContain('expires_at');
    expect((await admin.post('/v1/admin/keys', { scopes: ['runners:read'], expires_at: 'tomorrow' })).status).toBe(400);
    const expiresAt = new Date(Date.now() + 1500);
    const created = await admin.post('/v1/admin/keys', {
      scopes: ['runners:read'],
      expires_at: expiresAt.toISOString(),
    });
    expect(created.status).toBe(201);
    expect(created.body.expires_at).toBe(expiresAt.toISOString());
    const reader = client(t.server.url, created.body.key);
    expect((await reader.get('/v1/runners/sessions')).status).toBe(200);
    while (Date.now() <= expiresAt.getTime()) await new Promise((resolve) => setTimeout(resolve, 100));
    const expired = await reader.get('/v1/runners/sessions');
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toContain('expired');
  });

  it('the audit log filters by action and time, newest first, in pages', async () => {
    const admin = await t.client(['admin']);
    for (let i = 0; i < 3; i++) await admin.post('/v1/admin/keys', { scopes: ['runners:read'], name: `k${i}` });
    // Audit rows are written in batches after the answer: `middle` is taken once the keys' rows are stored, so a
    // loaded machine cannot stamp one of them after it.
    await until(
      async () => (await admin.get('/v1/audit?action=admin/keys')).body.items,
      (items) => items.length === 3,
      10_000,
    );
    const middle = new Date();
    await admin.post('/v1/admin/users', { email: 'n@acme.test', role: 'viewer', password: PASSWORD });
    const keys = await admin.get('/v1/audit?action=admin/keys&limit=2');
    expect(keys.body.items.map((row: { action: string }) => row.action)).toEqual([
      'POST /v1/admin/keys',
      'POST /v1/admin/keys',
    ]);
    const rest = await admin.get(`/v1/audit?action=admin/keys&limit=2&cursor=${keys.body.next_cursor}`);
    expect(rest.body.items).toHaveLength(1);
    const since = await admin.get(`/v1/audit?since=${encodeURIComponent(middle.toISOString())}`);
    expect(since.body.items.map((row: { action: string }) => row.action)).toEqual(['POST /v1/admin/users']);
    const before = await admin.get(`/v1/audit?until=${encodeURIComponent(middle.toISOString())}&action=users`);
    expect(before.body.items).toEqual([]);
    expect((await admin.get('/v1/audit?since=yesterday')).status).toBe(400);
  });

  it('the setup link creates the first org and admin once and logs in; a wrong or used token creates nothing', async () => {
    const token = await issueSetupToken(t.db);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const stored = await t.db.query<{ token_hash: string }>('select token_hash from setup_tokens');
    expect(stored.map((row) => row.token_hash)).not.toContain(token); // hashed
    const setup = (body: object) =>
      fetch(`${t.server.url}/console/api/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const first = { org: 'acme', email: 'root@acme.test', password: PASSWORD };

    const wrong = await setup({ ...first, token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect((await t.db.query('select 1 from users')).length).toBe(0);
    const badOrg = await setup({ ...first, org: 'Not A Slug', token });
    expect(badOrg.status).toBe(400);
    expect((await badOrg.json()).error.message).toContain('org');

    const done = await setup({ ...first, token });
    expect(done.status).toBe(200);
    const cookie = (done.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(await me(t.server.url, cookie)).toEqual({ email: 'root@acme.test', role: 'admin', org: 'acme' });
    const used = await setup({ ...first, email: 'other@acme.test', token });
    expect(used.status).toBe(401);
    expect((await used.json()).error.message).toContain('used');
    expect(await issueSetupToken(t.db)).toBeNull();
    const audit = await t.db.query<{ actor: string; action: string }>('select actor, action from audit_log');
    expect(audit).toEqual([{ actor: 'user:root@acme.test', action: 'setup' }]);
  });

  it('two setup links opened at once (two instances printed one each) make exactly one admin', async () => {
    for (let round = 0; round < 10; round++) {
      await t.db.exec('truncate users, setup_tokens, audit_log cascade');
      const tokens = [await issueSetupToken(t.db), await issueSetupToken(t.db)];
      const results = await Promise.allSettled(
        tokens.map((token, i) =>
          completeSetup(t.db, token!, { org: `org${i}`, email: `root${i}@acme.test`, password: PASSWORD }),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect((await t.db.query('select 1 from users')).length).toBe(1);
    }
  });

  it('the unattended bootstrap admin is created once, and not when users exist', async () => {
    const admin = { org: 'ops', email: 'ops@acme.test', password: PASSWORD };
    expect(await bootstrapAdmin(t.db, admin)).toBe(true);
    expect(await bootstrapAdmin(t.db, { ...admin, email: 'again@acme.test' })).toBe(false);
    expect((await logIn(t.server.url, 'ops@acme.test')).body.user).toEqual({
      email: 'ops@acme.test',
      role: 'admin',
      org: 'ops',
    });
    await t.db.exec('truncate users cascade');
    await createUser(t.db, { orgSlug: 'acme', email: 'v@acme.test', role: 'viewer', password: PASSWORD });
    expect(await bootstrapAdmin(t.db, admin)).toBe(false);
  });
});
