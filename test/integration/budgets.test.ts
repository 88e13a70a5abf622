// Budgets (issue 16) over HTTP on both stores: usage events summed by the server, a crossed budget asks the runner
// to pause (told on its next heartbeat or write), the runner's pause keeps the reason, a raised budget and resume
// continue it; max_wall_seconds pauses a session that reports nothing, by the server when its runner ignores it.
import { beforeEach, describe, expect, it } from 'vitest';
import { register } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

describe.each(STORE_KINDS)('budgets on the %s store', (kind) => {
  const t = useTestServer(kind, { reaper: true, config: { leaseTtlMs: 120_000 } });
  let admin: Client;
  let runner: Client;
  let approver: Client;

  beforeEach(async () => {
    admin = await t.client(['admin']);
    runner = await t.client(['runners:read', 'runners:write'], { kind: 'runner' });
    approver = await t.client(['runners:read', 'runners:approve']);
  });

  let profiles = 0;
  const claimedSession = async (policy: Record<string, unknown>) => {
    const profile = (await admin.post('/v1/runners/profiles', { name: `budget-${++profiles}` })).body;
    expect((await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, policy)).status).toBe(200);
    const session = (await admin.post('/v1/runners/sessions', { profile_id: profile.id, task_id: 'job', input: {} }))
      .body;
    await register(runner, 'budget-runner');
    const claimed = await runner.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'budget-runner' });
    expect(claimed.status).toBe(200);
    return {
      id: session.id as string,
      headers: { 'x-runner-id': 'budget-runner', 'x-runplane-attempt': String(claimed.body.attempt) },
    };
  };
  const usage = (id: string, headers: Record<string, string>, data: unknown) =>
    runner.post(
      `/v1/runners/sessions/${id}/events`,
      [{ type: 'usage', level: 'info', message: 'spent', data }],
      headers,
    );
  const session = async (id: string) => (await admin.get(`/v1/runners/sessions/${id}`)).body;

  it('usage past max_tokens asks for a pause; the pause keeps its reason; a raised budget and resume continue', async () => {
    const { id, headers } = await claimedSession({ budgets: { max_tokens: 100, max_cost_usd: 5 } });
    const first = await usage(id, headers, { tokens: 60, cost_usd: 0.25 });
    expect(first.status).toBe(200);
    expect(first.body.pause_requested).toBe(false);
    const second = await usage(id, headers, { tokens: 50 });
    expect(second.body.pause_requested).toBe(true);
    expect(await session(id)).toMatchObject({
      state: 'dispatched',
      usage: { tokens: 110, cost_usd: 0.25 },
      pause_requested: true,
      pause_reason: 'budget_reached',
    });
    // Told on every heartbeat: the session's own and the runner's.
    expect((await runner.post(`/v1/runners/sessions/${id}/heartbeat`, undefined, headers)).body.pause_requested).toBe(
      true,
    );
    const beat = await runner.post('/api/runners/budget-runner/heartbeat', {
      status: 'busy',
      currentJobs: 1,
      taskIds: [id],
    });
    expect(beat.status, JSON.stringify(beat.body)).toBe(200);
    expect(beat.body.data.pauseTaskIds).toEqual([id]);
    const events = (await admin.get(`/v1/runners/sessions/${id}/events?type=budget_reached`)).body.items;
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ budget: 'max_tokens', used: 110, limit: 100 });

    // The runner carries it out: a checkpoint with pause.
    const paused = await runner.post(`/v1/runners/sessions/${id}/checkpoint`, { data: { n: 7 }, pause: true }, headers);
    expect(paused.status).toBe(200);
    expect(await session(id)).toMatchObject({
      state: 'paused',
      pause_requested: false,
      pause_reason: 'budget_reached',
    });

    // Raising the budget takes runners:approve.
    const operator = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    const refused = await operator.patch(`/v1/runners/sessions/${id}`, { budget: { max_tokens: 1000 } });
    expect(refused.status).toBe(403);
    const raised = await approver.patch(`/v1/runners/sessions/${id}`, { budget: { max_tokens: 1000 } });
    expect(raised.status).toBe(200);
    expect(raised.body.budget).toEqual({ max_tokens: 1000 });
    expect((await admin.post(`/v1/runners/sessions/${id}/resume`)).status).toBe(200);
    expect(await session(id)).toMatchObject({ state: 'pending', pause_reason: null, usage: { tokens: 110 } });
    const again = await runner.post(`/v1/runners/sessions/${id}/claim`, { runner_id: 'budget-runner' });
    expect(again.body.latest_checkpoint.data).toEqual({ n: 7 });
    const next = { ...headers, 'x-runplane-attempt': String(again.body.attempt) };
    expect((await usage(id, next, { tokens: 500 })).body.pause_requested).toBe(false);
    expect((await usage(id, next, { tokens: 400 })).body.pause_requested).toBe(true);
    const audit = (await admin.get(`/v1/audit?target=${id}`)).body.items;
    expect(audit.some((r: { action: string }) => r.action.startsWith('PATCH'))).toBe(true);
  });

  it('max_cost_usd pauses too; raising the budget before the pause withdraws the request', async () => {
    const { id, headers } = await claimedSession({ budgets: { max_cost_usd: 1 } });
    const spent = await usage(id, headers, { cost_usd: 1.5 });
    expect(spent.body.pause_requested, JSON.stringify(await session(id))).toBe(true);
    const raised = await approver.patch(`/v1/runners/sessions/${id}`, { budget: { max_cost_usd: 10 } });
    expect(raised.body).toMatchObject({ pause_requested: false, budget: { max_cost_usd: 10 } });
    expect((await runner.post(`/v1/runners/sessions/${id}/heartbeat`, undefined, headers)).body.pause_requested).toBe(
      false,
    );
    // null removes the session's own limit: the policy's (1) applies again and is reached.
    const back = await approver.patch(`/v1/runners/sessions/${id}`, { budget: { max_cost_usd: null } });
    expect(back.body.budget).toEqual({});
    await until(
      () => session(id),
      (s) => s.pause_requested === true,
      10_000,
    );
  });

  it('max_wall_seconds pauses a session that reports nothing; the server pauses it when the runner ignores it', async () => {
    const { id, headers } = await claimedSession({ budgets: { max_wall_seconds: 1 }, cancel_grace_seconds: 1 });
    const paused = await until(
      () => session(id),
      (s) => s.state === 'paused',
      15_000,
    );
    expect(paused).toMatchObject({ pause_reason: 'budget_reached', runner_id: null });
    const late = await runner.post(`/v1/runners/sessions/${id}/heartbeat`, undefined, headers);
    expect(late.status).toBe(409);
    const types = (await admin.get(`/v1/runners/sessions/${id}/events?limit=100`)).body.items.map(
      (event: { type: string; data: { reason?: string } }) => (event.type === 'state' ? event.data.reason : event.type),
    );
    expect(types).toEqual(expect.arrayContaining(['budget_reached']));
    expect(types.at(-1)).toBe('budget_reached');
  });

  it('a usage event must carry non-negative numbers, named in the 400; nothing is written', async () => {
    const { id, headers } = await claimedSession({ budgets: { max_tokens: 10 } });
    for (const [data, field] of [
      [{ tokens: -1 }, '[0].data.tokens'],
      [{ tokens: 1.5 }, '[0].data.tokens'],
      [{ cost_usd: 'free' }, '[0].data.cost_usd'],
      ['lots', '[0].data'],
    ] as const) {
      const bad = await usage(id, headers, data);
      expect(bad.status, JSON.stringify(data)).toBe(400);
      expect(bad.body.error.field).toBe(field);
    }
    expect((await session(id)).usage).toEqual({ tokens: 0, cost_usd: 0 });
    const budgetTooLow = await approver.patch(`/v1/runners/sessions/${id}`, { budget: { max_tokens: 0 } });
    expect(budgetTooLow.status).toBe(400);
    expect(budgetTooLow.body.error.field).toContain('max_tokens');
    const globex = await t.client(['admin'], { org: 'globex' });
    expect((await globex.patch(`/v1/runners/sessions/${id}`, { budget: { max_tokens: 5 } })).status).toBe(404);
  });
});

describe.each(STORE_KINDS)('a budget pause its runner never carried out, on the %s store', (kind) => {
  // The lease ends long before the cancel grace after which the server would pause the session itself.
  const t = useTestServer(kind, { reaper: true, config: { leaseTtlMs: 1_000, cancelGraceMs: 600_000 } });

  /** A session claimed by `runnerId` whose usage is past its policy's budget: a pause is asked for. */
  const sessionPastBudget = async (runnerId: string) => {
    const admin = await t.client(['admin']);
    const runner = await t.client(['runners:read', 'runners:write'], { kind: 'runner' });
    const profile = (await admin.post('/v1/runners/profiles', { name: `budget-${runnerId}` })).body;
    await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, { budgets: { max_tokens: 10 } });
    const { id } = (await admin.post('/v1/runners/sessions', { profile_id: profile.id, task_id: 'job', input: {} }))
      .body;
    await register(runner, runnerId);
    const claimed = await runner.post(`/v1/runners/sessions/${id}/claim`, { runner_id: runnerId });
    expect(claimed.status).toBe(200);
    const headers = { 'x-runner-id': runnerId, 'x-runplane-attempt': String(claimed.body.attempt) };
    const spent = await runner.post(
      `/v1/runners/sessions/${id}/events`,
      [{ type: 'usage', level: 'info', message: 'spent', data: { tokens: 20 } }],
      headers,
    );
    expect(spent.body.pause_requested).toBe(true);
    return { admin, runner, id: id as string };
  };

  it('a session whose runner died after its budget was reached is paused when the lease expires, not handed out again', async () => {
    const { admin, runner, id } = await sessionPastBudget('doomed');
    // The runner dies here: no heartbeat, no pause. The lease expires.
    const ended = await until(
      async () => (await admin.get(`/v1/runners/sessions/${id}`)).body,
      (s) => s.state !== 'dispatched',
      15_000,
    );
    expect(ended).toMatchObject({ state: 'paused', pause_reason: 'budget_reached', pause_requested: false });
    const states = (await admin.get(`/v1/runners/sessions/${id}/events?type=state`)).body.items;
    expect(states.at(-1).data).toMatchObject({ from: 'dispatched', to: 'paused', reason: 'lease_expired' });
    await register(runner, 'other');
    expect((await runner.post(`/v1/runners/sessions/${id}/claim`, { runner_id: 'other' })).status).toBe(409);

    // A person raises the budget and resumes it: it is handed out again.
    await admin.patch(`/v1/runners/sessions/${id}`, { budget: { max_tokens: 1000 } });
    expect((await admin.post(`/v1/runners/sessions/${id}/resume`)).status).toBe(200);
    expect((await runner.post(`/v1/runners/sessions/${id}/claim`, { runner_id: 'other' })).status).toBe(200);
  });

  it('a runner deregistering with a pause not carried out leaves the session paused, not queued', async () => {
    const { admin, runner, id } = await sessionPastBudget('leaving');
    expect((await runner.delete('/api/runners/leaving')).status).toBe(200);
    expect((await admin.get(`/v1/runners/sessions/${id}`)).body).toMatchObject({
      state: 'paused',
      pause_reason: 'budget_reached',
      runner_id: null,
    });
  });
});
