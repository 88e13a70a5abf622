// The console's backend over real HTTP on each store: login and its cookie, CSRF, roles, the BFF, why-pending.
import { beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '../../src/core/users.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

const PASSWORD = 'correct horse battery';

/** A browser-like client: keeps the session cookie, sends the CSRF token it got at login. */
async function browser(baseUrl: string, email: string, password = PASSWORD) {
  const login = await fetch(`${baseUrl}/console/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await login.json();
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const call = async (method: string, path: string, payload?: unknown, csrf = true) => {
    const response = await fetch(baseUrl + path, {
      method,
      redirect: 'manual',
      headers: {
        cookie,
        ...(csrf && body.csrf_token ? { 'x-csrf-token': body.csrf_token } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const text = await response.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {}
    return { status: response.status, body: json, text, headers: response.headers };
  };
  return { login, body, cookie, setCookie: login.headers.get('set-cookie') ?? '', call };
}

describe.each(STORE_KINDS)('the console backend on the %s store', (kind) => {
  const t = useTestServer(kind);
  let keyApi: Client;

  beforeEach(async () => {
    for (const [email, role] of [
      ['viewer@acme.test', 'viewer'],
      ['operator@acme.test', 'operator'],
      ['admin@acme.test', 'admin'],
    ]) {
      await createUser(t.db, { orgSlug: 'acme', email: email!, role: role!, password: PASSWORD });
    }
    keyApi = await t.client(['admin']);
  });

  it('pages without a session redirect to the login page', async () => {
    const reply = await fetch(`${t.server.url}/console/sessions`, { redirect: 'manual' });
    expect(reply.status).toBe(302);
    expect(reply.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fsessions');
    const loginPage = await fetch(`${t.server.url}/console/login`);
    expect(loginPage.status).toBe(200);
    expect(await loginPage.text()).toContain('<div id="app">');
  });

  it('login sets an HttpOnly, SameSite=Lax session cookie with an expiry; a wrong password answers 401', async () => {
    const wrong = await browser(t.server.url, 'viewer@acme.test', 'wrong password!');
    expect(wrong.login.status).toBe(401);
    const viewer = await browser(t.server.url, 'viewer@acme.test');
    expect(viewer.login.status).toBe(200);
    expect(viewer.body).toMatchObject({ user: { email: 'viewer@acme.test', role: 'viewer', org: 'acme' } });
    expect(viewer.setCookie).toMatch(/HttpOnly/i);
    expect(viewer.setCookie).toMatch(/SameSite=Lax/i);
    expect(viewer.setCookie).toMatch(/Expires=/i);
    expect(viewer.setCookie).not.toMatch(/Secure/i);
    const page = await viewer.call('GET', '/console/runners');
    expect(page.status).toBe(200);
    expect((await viewer.call('GET', '/console/api/me')).body.user.email).toBe('viewer@acme.test');
  });

  it('a change without the CSRF token answers 403, with it the change is made', async () => {
    const operator = await browser(t.server.url, 'operator@acme.test');
    const profile = { name: 'from-console' };
    const refused = await operator.call('POST', '/console/api/v1/runners/profiles', profile, false);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('csrf_required');
    const made = await operator.call('POST', '/console/api/v1/runners/profiles', profile);
    expect(made.status).toBe(201);
    // The same cookie is accepted by the API itself, with the same CSRF rule.
    expect((await operator.call('GET', '/api/runners')).status).toBe(200);
    expect((await operator.call('POST', '/v1/runners/profiles', { name: 'direct' }, false)).status).toBe(403);
  });

  it('roles: a viewer reads but cannot cancel, dispatch or create; an operator can', async () => {
    const profileId = (await keyApi.post('/v1/runners/profiles', { name: 'jobs' })).body.id;
    const session = (await keyApi.post('/v1/runners/sessions', { profile_id: profileId, task_id: 't', input: {} }))
      .body;
    const viewer = await browser(t.server.url, 'viewer@acme.test');
    expect((await viewer.call('GET', `/console/api/v1/runners/sessions/${session.id}`)).status).toBe(200);
    expect((await viewer.call('POST', `/console/api/v1/runners/sessions/${session.id}/cancel`)).status).toBe(403);
    expect(
      (
        await viewer.call('POST', '/console/api/v1/runners/sessions', {
          profile_id: profileId,
          task_id: 'x',
          input: {},
        })
      ).status,
    ).toBe(403);
    const operator = await browser(t.server.url, 'operator@acme.test');
    const cancelled = await operator.call('POST', `/console/api/v1/runners/sessions/${session.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    const admin = await browser(t.server.url, 'admin@acme.test');
    const audit = await admin.call('GET', '/console/api/v1/audit');
    expect(audit.body.items.find((r: { action: string }) => r.action.endsWith('/cancel')).actor).toBe(
      'user:operator@acme.test',
    );
    expect((await operator.call('GET', '/console/api/v1/audit')).status).toBe(403);
  });

  it('downloads an artifact through the console with its content type', async () => {
    const profileId = (await keyApi.post('/v1/runners/profiles', { name: 'jobs' })).body.id;
    const session = (await keyApi.post('/v1/runners/sessions', { profile_id: profileId, task_id: 't', input: {} }))
      .body;
    const artifact = (
      await keyApi.call('POST', `/v1/runners/sessions/${session.id}/artifacts?name=r.txt`, 'report', {
        'content-type': 'text/plain',
      })
    ).body;
    const viewer = await browser(t.server.url, 'viewer@acme.test');
    const download = await viewer.call(
      'GET',
      `/console/api/v1/runners/sessions/${session.id}/artifacts/${artifact.id}/content`,
    );
    expect(download.status).toBe(200);
    expect(download.text).toBe('report');
    expect(download.headers.get('content-type')).toContain('text/plain');
  });

  it('another org’s ids answer 404 through the console', async () => {
    await createUser(t.db, { orgSlug: 'globex', email: 'spy@globex.test', role: 'admin', password: PASSWORD });
    const profileId = (await keyApi.post('/v1/runners/profiles', { name: 'jobs' })).body.id;
    const session = (await keyApi.post('/v1/runners/sessions', { profile_id: profileId, task_id: 't', input: {} }))
      .body;
    const spy = await browser(t.server.url, 'spy@globex.test');
    expect((await spy.call('GET', `/console/api/v1/runners/sessions/${session.id}`)).status).toBe(404);
    expect((await spy.call('POST', `/console/api/v1/runners/sessions/${session.id}/cancel`)).status).toBe(404);
    expect((await spy.call('GET', `/console/api/sessions/${session.id}/why-pending`)).status).toBe(404);
  });

  it('why pending: no runner online, then none with the tags, then all at capacity', async () => {
    const profileId = (await keyApi.post('/v1/runners/profiles', { name: 'jobs' })).body.id;
    const session = (
      await keyApi.post('/v1/runners/sessions', {
        profile_id: profileId,
        task_id: 't',
        input: {},
        required_tags: ['gpu'],
      })
    ).body;
    const viewer = await browser(t.server.url, 'viewer@acme.test');
    const why = async () => (await viewer.call('GET', `/console/api/sessions/${session.id}/why-pending`)).body.reason;
    expect(await why()).toBe('no_runner_online');
    await keyApi.post('/api/runners/register', undefined, { 'x-runner-id': 'cpu' });
    expect(await why()).toBe('no_runner_with_tags');
    await keyApi.post('/api/runners/register', undefined, {
      'x-runner-id': 'gpu',
      'x-runner-tags': 'gpu',
      'x-runner-max-concurrency': '1',
    });
    const other = (
      await keyApi.post('/v1/runners/sessions', {
        profile_id: profileId,
        task_id: 'u',
        input: {},
        required_tags: ['gpu'],
      })
    ).body;
    await keyApi.post(`/v1/runners/sessions/${other.id}/claim`, { runner_id: 'gpu' });
    expect(await why()).toBe('runners_at_capacity');
  });

  it('the admin API through the console: an admin cookie manages keys and users, a viewer or operator gets 403', async () => {
    // Its own admin: the rate-limit test below counts admin@acme.test's logins.
    await createUser(t.db, { orgSlug: 'acme', email: 'root@acme.test', role: 'admin', password: PASSWORD });
    const admin = await browser(t.server.url, 'root@acme.test');
    const created = await admin.call('POST', '/console/api/v1/admin/keys', { kind: 'runner', name: 'box' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.key).toMatch(/^rp_/);
    expect((await admin.call('GET', '/console/api/v1/admin/users')).body.items).toHaveLength(4);
    expect((await admin.call('POST', '/console/api/v1/admin/keys', { kind: 'runner' }, false)).status).toBe(403); // no CSRF
    for (const email of ['viewer@acme.test', 'operator@acme.test']) {
      const other = await browser(t.server.url, email);
      expect((await other.call('GET', '/console/api/v1/admin/keys')).status).toBe(403);
      expect((await other.call('GET', '/console/api/v1/admin/users')).status).toBe(403);
    }
    const audit = await admin.call('GET', '/console/api/v1/audit?action=admin/keys');
    expect(audit.body.items.map((row: { actor: string }) => row.actor)).toEqual(['user:root@acme.test']);
  });

  it('the setup page needs no session; a browser that completes it is signed in', async () => {
    const page = await fetch(`${t.server.url}/console/setup?token=whatever`, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
    const refused = await fetch(`${t.server.url}/console/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'whatever', org: 'acme', email: 'x@acme.test', password: PASSWORD }),
    });
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe('unauthorized');
  });

  it('logout ends the session; logins are rate limited per account and address', async () => {
    const viewer = await browser(t.server.url, 'viewer@acme.test');
    expect((await viewer.call('POST', '/console/api/logout')).status).toBe(200);
    expect((await viewer.call('GET', '/console/api/v1/runners/sessions')).status).toBe(401);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await browser(t.server.url, 'admin@acme.test', 'guess number one')).login.status);
    expect(statuses.slice(0, 9).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});
