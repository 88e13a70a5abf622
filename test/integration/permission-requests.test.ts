// Permission requests (issue 16) over HTTP on both stores: the policy decides at once (allow, deny) or a person
// with runners:approve does; the asking attempt collects its token once, in a long poll that the decision ends;
// a pending request expires with its deadline or its attempt; scopes, org scoping and fencing hold on every route.
import { beforeEach, describe, expect, it } from 'vitest';
import { register } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

describe.each(STORE_KINDS)('permission requests on the %s store', (kind) => {
  const t = useTestServer(kind, { reaper: true, config: { leaseTtlMs: 120_000, approvalTimeoutMs: 120_000 } });
  let admin: Client;
  let runner: Client;
  let approver: Client;

  beforeEach(async () => {
    admin = await t.client(['admin']);
    runner = await t.client(['runners:read', 'runners:write'], { kind: 'runner' });
    approver = await t.client(['runners:read', 'runners:approve']);
  });

  let profiles = 0;
  /** A profile with `rules`, one session of it claimed by runner `perm-runner`; the attempt's headers. */
  const runningSession = async (rules: unknown[] = []) => {
    const profile = (await admin.post('/v1/runners/profiles', { name: `perm-${++profiles}` })).body;
    if (rules.length > 0) {
      const put = await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, { permissions: rules });
      expect(put.status).toBe(200);
    }
    const session = (await admin.post('/v1/runners/sessions', { profile_id: profile.id, task_id: 'job', input: {} }))
      .body;
    await register(runner, 'perm-runner');
    const claimed = await runner.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'perm-runner' });
    expect(claimed.status).toBe(200);
    const headers = { 'x-runner-id': 'perm-runner', 'x-runplane-attempt': String(claimed.body.attempt) };
    return { session: claimed.body, profile, headers };
  };
  const ask = (sessionId: string, headers: Record<string, string>, body: Record<string, unknown> = {}) =>
    runner.post(
      `/v1/runners/sessions/${sessionId}/permission-requests`,
      { scope: 'repo:write', resource: 'github.com/acme/api', reason: 'push the fix', ttl_seconds: 600, ...body },
      headers,
    );
  const eventTypes = async (sessionId: string) =>
    ((await admin.get(`/v1/runners/sessions/${sessionId}/events?limit=500`)).body.items as { type: string }[])
      .map((event) => event.type)
      .filter((type) => type.startsWith('permission_'));

  it('an allow rule answers approved with a token that works on its session only, handed out once', async () => {
    const { session, headers } = await runningSession([
      { scope: 'runners:read', resource: 'sessions/*', action: 'allow', max_ttl_seconds: 120 },
    ]);
    const other = (
      await admin.post('/v1/runners/sessions', { profile_id: session.profile_id, task_id: 'other', input: {} })
    ).body;
    expect(other.id).toMatch(/./);
    const asked = await ask(session.id, headers, { scope: 'runners:read', resource: 'sessions/own', ttl_seconds: 900 });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      state: 'approved',
      decided_by: 'policy',
      rule_index: 0,
      ttl_seconds: 120, // capped by the rule
      token_delivered: true,
      attempt: Number(headers['x-runplane-attempt']),
    });
    const token = asked.body.token as string;
    expect(token).toMatch(/^rpg_/);
    expect(asked.body.grant).toMatchObject({ scope: 'runners:read', resource: 'sessions/own', created_by: 'policy' });
    const lifetime = Date.parse(asked.body.grant.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(100_000);
    expect(lifetime).toBeLessThanOrEqual(121_000);

    const bearer = { authorization: `Bearer ${token}` };
    expect((await runner.get(`/v1/runners/sessions/${session.id}`, bearer)).status).toBe(200);
    expect((await runner.get(`/v1/runners/sessions/${other.id}`, bearer)).status).toBe(403);
    expect((await runner.get('/v1/runners/profiles', bearer)).status).toBe(403);
    expect((await runner.get('/v1/runners/permission-requests', bearer)).status).toBe(403);

    const again = await runner.get(`/v1/runners/sessions/${session.id}/permission-requests/${asked.body.id}`, headers);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ token: null, state: 'approved', token_delivered: true });
    expect(await eventTypes(session.id)).toEqual(['permission_requested', 'permission_approved']);
  });

  it('a deny rule answers denied at once; no rule means ask', async () => {
    const { session, headers } = await runningSession([
      { scope: 'repo:*', resource: 'github.com/acme/secrets', action: 'deny' },
      { scope: 'repo:read', resource: '**', action: 'allow' },
    ]);
    const denied = await ask(session.id, headers, { resource: 'github.com/acme/secrets' });
    expect(denied.body).toMatchObject({ token: null, grant: null, state: 'denied', rule_index: 0 });
    const read = await ask(session.id, headers, { scope: 'repo:read', resource: 'github.com/x/y/z' });
    expect(read.body).toMatchObject({ state: 'approved', rule_index: 1 });
    // `*` stays within one path segment; no rule matches, so the default ask applies.
    const pending = await ask(session.id, headers, { resource: 'github.com/acme/secrets/deeper' });
    expect(pending.body).toMatchObject({ state: 'pending', rule_index: null, decided_by: null });
  });

  it('ask: the waiting attempt gets the token when a person approves, once; others never see it', async () => {
    const { session, headers } = await runningSession([
      { scope: 'repo:write', resource: 'github.com/acme/*', action: 'ask', max_ttl_seconds: 300 },
    ]);
    const asked = await ask(session.id, headers);
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ token: null, state: 'pending', rule_index: 0 });
    const id = asked.body.id;
    const url = `/v1/runners/sessions/${session.id}/permission-requests/${id}`;

    const queue = await approver.get('/v1/runners/permission-requests?state=pending');
    expect(queue.body.items.map((r: { id: string }) => r.id)).toEqual([id]);
    const metrics = async () => (await fetch(`${t.server.url}/metrics`)).text();
    expect(await metrics()).toMatch(/^runplane_permission_requests_pending\{org="acme"\} 1$/m);

    const waiting = runner.get(`${url}?wait=20`, headers);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const approved = await approver.post(`/v1/runners/permission-requests/${id}/approve`, {
      ttl_seconds: 3600,
      note: 'one push',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', note: 'one push', token_delivered: false });
    expect(approved.body.decided_by).toMatch(/^key_/);
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ state: 'approved', token_delivered: true });
    expect(answer.body.token).toMatch(/^rpg_/);
    expect(answer.body.grant).toMatchObject({ scope: 'repo:write', created_by: approved.body.decided_by });
    // Capped by the rule's max_ttl_seconds (300), not the 3600 asked for.
    expect(Date.parse(answer.body.grant.expires_at) - Date.parse(approved.body.decided_at)).toBeLessThanOrEqual(
      301_000,
    );

    expect((await runner.get(url, headers)).body.token).toBeNull();
    expect((await admin.get(url)).body.token).toBeNull();
    const after = await metrics();
    expect(after).toMatch(/^runplane_permission_decision_seconds_count\{decision="approved"\} 1$/m);
    expect(after).not.toMatch(/^runplane_permission_requests_pending\{org="acme"\} [1-9]/m);
    // The system the token is for (a git proxy) checks it with its own key.
    const proxy = await t.client(['runners:read']);
    const checked = await proxy.post('/v1/runners/grants/introspect', { token: answer.body.token });
    expect(checked.body).toEqual({
      active: true,
      scope: 'repo:write',
      resource: 'github.com/acme/api',
      session_id: session.id,
      grant_id: answer.body.grant.id,
      expires_at: answer.body.grant.expires_at,
    });
    const globexProxy = await t.client(['runners:read'], { org: 'globex' });
    expect((await globexProxy.post('/v1/runners/grants/introspect', { token: answer.body.token })).body).toEqual({
      active: false,
    });
    expect((await proxy.post('/v1/runners/grants/introspect', { token: 'rpg_nope' })).body).toEqual({ active: false });
    expect((await approver.get('/v1/runners/permission-requests?state=pending')).body.items).toEqual([]);
    const grants = (await admin.get(`/v1/runners/sessions/${session.id}/permissions`)).body.items;
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ id: answer.body.grant.id, status: 'active' });

    const again = await approver.post(`/v1/runners/permission-requests/${id}/deny`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('request_not_pending');

    const audit = (await admin.get(`/v1/audit?target=${encodeURIComponent(`${session.id}/${id}`)}`)).body.items;
    expect(audit.map((r: { actor: string; action: string }) => [r.actor, r.action])).toEqual(
      expect.arrayContaining([[approved.body.decided_by, expect.stringContaining('approve')]]),
    );
    expect(await eventTypes(session.id)).toEqual(['permission_requested', 'permission_approved']);
  });

  it('concurrent collects by the asking attempt hand out exactly one token and mint exactly one grant', async () => {
    const { session, headers } = await runningSession();
    const id = (await ask(session.id, headers)).body.id;
    await approver.post(`/v1/runners/permission-requests/${id}/approve`, {});
    const url = `/v1/runners/sessions/${session.id}/permission-requests/${id}`;
    const answers = await Promise.all(Array.from({ length: 12 }, () => runner.get(url, headers)));
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(answers.filter((answer) => answer.body.token !== null)).toHaveLength(1);
    expect((await admin.get(`/v1/runners/sessions/${session.id}/permissions`)).body.items).toHaveLength(1);
  });

  it('a person denies with a note; the wait ends denied', async () => {
    const { session, headers } = await runningSession();
    const id = (await ask(session.id, headers)).body.id;
    const waiting = runner.get(`/v1/runners/sessions/${session.id}/permission-requests/${id}?wait=20`, headers);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const denied = await approver.post(`/v1/runners/permission-requests/${id}/deny`, { note: 'not today' });
    expect(denied.body).toMatchObject({ state: 'denied', note: 'not today' });
    expect((await waiting).body).toMatchObject({ token: null, state: 'denied', note: 'not today' });
    const audit = (await admin.get(`/v1/audit?action=deny`)).body.items;
    expect(audit.some((r: { actor: string }) => r.actor === denied.body.decided_by)).toBe(true);
  });

  it('a cancel expires a pending request at once, and ends a wait on it', async () => {
    const { session, headers } = await runningSession();
    const id = (await ask(session.id, headers)).body.id;
    const waiting = runner.get(`/v1/runners/sessions/${session.id}/permission-requests/${id}?wait=20`, headers);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await admin.post(`/v1/runners/sessions/${session.id}/cancel`)).status).toBe(200);
    expect((await waiting).body.state).toBe('expired');
    const refused = await approver.post(`/v1/runners/permission-requests/${id}/approve`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'request_not_pending' });
    await until(
      () => eventTypes(session.id),
      (types) => types.includes('permission_expired'),
      10_000,
    );
  });

  it('only runners:approve decides; another org sees nothing; the asker must hold the session', async () => {
    const { session, headers } = await runningSession();
    const id = (await ask(session.id, headers)).body.id;
    const viewer = await t.client(['runners:read']);
    const operator = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    for (const who of [viewer, operator, runner]) {
      expect((await who.post(`/v1/runners/permission-requests/${id}/approve`, {})).status).toBe(403);
      expect((await who.post(`/v1/runners/permission-requests/${id}/deny`, {})).status).toBe(403);
    }
    const globex = await t.client(['admin'], { org: 'globex' });
    expect((await globex.post(`/v1/runners/permission-requests/${id}/approve`, {})).status).toBe(404);
    expect((await globex.get(`/v1/runners/sessions/${session.id}/permission-requests/${id}`)).status).toBe(404);
    expect((await globex.get(`/v1/runners/sessions/${session.id}/permission-requests`)).status).toBe(404);
    expect((await globex.get('/v1/runners/permission-requests')).body.items).toEqual([]);
    const globexRunner = await t.client(['runners:read', 'runners:write'], { org: 'globex', kind: 'runner' });
    expect(
      (
        await globexRunner.post(
          `/v1/runners/sessions/${session.id}/permission-requests`,
          { scope: 'repo:write', resource: 'x', reason: 'y' },
          headers,
        )
      ).status,
    ).toBe(404);

    // Fencing: a stale attempt, no attempt at all (an operator cannot ask for a session), a bad body.
    const stale = await ask(session.id, { ...headers, 'x-runplane-attempt': '7' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_attempt');
    const noAttempt = await operator.post(`/v1/runners/sessions/${session.id}/permission-requests`, {
      scope: 'repo:write',
      resource: 'x',
      reason: 'y',
    });
    expect(noAttempt.status).toBe(400);
    expect(noAttempt.body.error.field).toBe('x-runplane-attempt');
    for (const [body, field] of [
      [{ scope: 'Repo Write' }, 'scope'],
      [{ resource: 'a\u0000b' }, 'resource'],
      [{ reason: '' }, 'reason'],
      [{ ttl_seconds: 0 }, 'ttl_seconds'],
      [{ extra: true }, 'extra'],
    ] as const) {
      const bad = await ask(session.id, headers, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(`${bad.body.error.field} ${bad.body.error.message}`, JSON.stringify(bad.body)).toContain(field);
    }
    // The refused asks wrote nothing: one request, one event.
    expect((await admin.get(`/v1/runners/sessions/${session.id}/permission-requests`)).body.items).toHaveLength(1);
    expect(await eventTypes(session.id)).toEqual(['permission_requested']);
  });

  describe('with a short approval timeout', () => {
    const short = useTestServer(kind, { reaper: true, config: { leaseTtlMs: 120_000, approvalTimeoutMs: 1_000 } });

    it('a request nobody decides expires; the wait ends expired and the sweep writes the event', async () => {
      const own = await short.client(['admin']);
      const ownRunner = await short.client(['runners:read', 'runners:write'], { kind: 'runner' });
      const created = await own.post('/v1/runners/profiles', { name: 'perm-timeout' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const dispatched = await own.post('/v1/runners/sessions', {
        profile_id: created.body.id,
        task_id: 'job',
        input: {},
      });
      expect(dispatched.status, JSON.stringify(dispatched.body)).toBe(201);
      const session = dispatched.body;
      await register(ownRunner, 'timeout-runner');
      const claim = await ownRunner.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'timeout-runner' });
      expect(claim.status, JSON.stringify(claim.body)).toBe(200);
      const claimed = claim.body;
      const headers = { 'x-runner-id': 'timeout-runner', 'x-runplane-attempt': String(claimed.attempt) };
      const asked = await ownRunner.post(
        `/v1/runners/sessions/${session.id}/permission-requests`,
        { scope: 'repo:write', resource: 'r', reason: 'why' },
        headers,
      );
      expect(asked.body.state, JSON.stringify(asked.body)).toBe('pending');
      const waited = await ownRunner.get(
        `/v1/runners/sessions/${session.id}/permission-requests/${asked.body.id}?wait=15`,
        headers,
      );
      expect(waited.body.state).toBe('expired');
      await until(
        async () => (await own.get(`/v1/runners/sessions/${session.id}/events?limit=100`)).body.items,
        (items: { type: string }[]) => items.some((event) => event.type === 'permission_expired'),
        10_000,
      );
    });
  });
});
