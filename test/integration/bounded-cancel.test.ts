// Bounded cancel (issue 16): a cancel its runner does not confirm within the grace is finalised by the server —
// `cancelled` with failure_reason `cancel_forced` — however hard the runner keeps heartbeating and writing, and the
// attempt's later writes get 409. A runner that confirms in time ends it itself.
import { beforeEach, describe, expect, it } from 'vitest';
import { claim, createReview, register, resultBody } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const GRACE_MS = 1000;

describe.each(STORE_KINDS)('bounded cancel on the %s store', (kind) => {
  // A long lease: only the cancel's grace can end it within the test.
  const t = useTestServer(kind, { reaper: true, config: { leaseTtlMs: 120_000, cancelGraceMs: GRACE_MS } });
  let api: Client;

  beforeEach(async () => {
    api = await t.client(['admin']);
  });

  const asRunner = (attempt: number) => ({ 'x-runplane-attempt': String(attempt), 'x-runner-id': 'r1' });

  async function runningSession() {
    const profile = (await api.post('/v1/runners/profiles', { name: `p-${Math.random()}` })).body;
    const session = (await api.post('/v1/runners/sessions', { profile_id: profile.id, task_id: 't', input: {} })).body;
    await register(api, 'r1');
    const claimed = (await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'r1' })).body;
    const running = await api.call('PATCH', `/v1/runners/sessions/${session.id}`, { state: 'running' }, asRunner(1));
    expect(running.body.state).toBe('running');
    return claimed;
  }

  it('a runner that ignores the cancel and keeps heartbeating is cut off after the grace: cancel_forced, then 409', async () => {
    const s = await runningSession();
    const requested = await api.post(`/v1/runners/sessions/${s.id}/cancel`);
    expect(requested.body.state).toBe('cancel_requested');
    const requestedAt = Date.now();
    // The lease now ends within the grace, whatever the 120 s lease said.
    expect(Date.parse(requested.body.lease_expires_at) - requestedAt).toBeLessThanOrEqual(GRACE_MS + 500);

    // The runner ignores it: session heartbeats, runner heartbeats naming it, and events, all the time.
    let stop = false;
    const ignoring = (async () => {
      while (!stop) {
        await api.post(`/v1/runners/sessions/${s.id}/heartbeat`, undefined, asRunner(1));
        await api.post('/api/runners/r1/heartbeat', { status: 'busy', currentJobs: 1, taskIds: [s.id] });
        await api.post(`/v1/runners/sessions/${s.id}/events`, [{ type: 'step', level: 'info', message: 'x' }], {
          ...asRunner(1),
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const done = await until(
      async () => (await api.get(`/v1/runners/sessions/${s.id}`)).body,
      (session) => session.state !== 'cancel_requested',
      10_000,
    );
    stop = true;
    await ignoring;
    expect(done).toMatchObject({ state: 'cancelled', failure_reason: 'cancel_forced', lease_expires_at: null });

    // Fenced: the attempt's later writes are refused and write nothing.
    const late = await Promise.all([
      api.call('PATCH', `/v1/runners/sessions/${s.id}`, { state: 'succeeded', result: { late: true } }, asRunner(1)),
      api.post(`/v1/runners/sessions/${s.id}/heartbeat`, undefined, asRunner(1)),
      api.post(`/v1/runners/sessions/${s.id}/events`, [{ type: 'late', level: 'info', message: 'x' }], asRunner(1)),
      api.post(`/v1/runners/sessions/${s.id}/checkpoint`, { data: { n: 1 } }, asRunner(1)),
    ]);
    for (const reply of late) expect(reply.status).toBe(409);
    const after = (await api.get(`/v1/runners/sessions/${s.id}`)).body;
    expect(after).toMatchObject({ state: 'cancelled', result: null, failure_reason: 'cancel_forced' });
    expect((await api.get(`/v1/runners/sessions/${s.id}/events?type=late`)).body.items).toEqual([]);
    const states = (await api.get(`/v1/runners/sessions/${s.id}/events?type=state`)).body.items;
    expect(states.at(-1).data).toMatchObject({ from: 'cancel_requested', to: 'cancelled' });
  });

  it('a runner that confirms within the grace ends the session itself', async () => {
    const s = await runningSession();
    await api.post(`/v1/runners/sessions/${s.id}/cancel`);
    const confirmed = await api.call(
      'PATCH',
      `/v1/runners/sessions/${s.id}`,
      { state: 'failed', error: 'cancelled on request' },
      asRunner(1),
    );
    expect(confirmed.body.state).toBe('cancelled');
    expect(confirmed.body.failure_reason).not.toBe('cancel_forced');
  });

  it('a review task whose runner ignores the cancel is finalised after the grace; its result then gets 409', async () => {
    await register(api, 'r2');
    const review = await createReview(api);
    const [task] = await claim(api, 'r2');
    await api.post(`/api/reviews/${review.id}/cancel`);
    // Still its runner's until the grace ends: told to cancel, not told it lost the task (it may still report).
    const told = await api.post('/api/runners/r2/heartbeat', { status: 'busy', currentJobs: 1, taskIds: [task.id] });
    expect(told.body.data).toMatchObject({ cancelTaskIds: [task.id], staleTaskIds: [] });
    let stop = false;
    const beating = (async () => {
      while (!stop) {
        await api.post('/api/runners/r2/heartbeat', { status: 'busy', currentJobs: 1, taskIds: [task.id] });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const done = await until(
      async () => (await api.get(`/api/reviews/${review.id}`)).body.data,
      (r) => r.status !== 'cancel_requested',
      10_000,
    );
    stop = true;
    await beating;
    expect(done.status).toBe('cancelled');
    const late = await api.post(`/api/runners/tasks/${task.id}/result`, resultBody('r2'), {
      'x-runplane-attempt': String(task.attempt),
    });
    expect(late.status).toBe(409);
    expect((await api.get(`/api/reviews/${review.id}`)).body.data.status).toBe('cancelled');
  });
});
