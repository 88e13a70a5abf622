// The lease model over real HTTP on each store: leases belong to a runner instance, heartbeats reconcile what the
// runner works on, runner keys cannot skip fencing, and no statement moves a finished item.
import { describe, expect, it } from 'vitest';
import { createUser } from '../../src/core/users.ts';
import { createReview, register, resultBody, reviewBody } from '../support/review-fixtures.ts';
import { type Client, client, newKey, testConfig, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

const ALL = ['runners:read', 'runners:write', 'runners:dispatch'] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(STORE_KINDS)('runner instances and leases on the %s store', (kind) => {
  const t = useTestServer(kind, { reaper: true, config: { leaseTtlMs: 1500 } });

  const task = async (api: Client, id: string) => (await api.get(`/api/runners/tasks/${id}`)).body.data;
  const events = async (api: Client, id: string) =>
    (await api.get(`/v1/runners/sessions/${id}/events?after=0&limit=1000`)).body.items as {
      type: string;
      data: Record<string, unknown> | null;
    }[];
  const stateReasons = async (api: Client, id: string) =>
    (await events(api, id)).filter((e) => e.type === 'state').map((e) => `${e.data?.['to']}:${e.data?.['reason']}`);
  const claimAs = async (api: Client, runnerId: string, instance: string) => {
    const reply = await api.get(`/api/runners/tasks/pending?runnerId=${runnerId}`, { 'x-runner-instance': instance });
    expect(reply.status).toBe(200);
    return reply.body.data as { id: string; attempt: number }[];
  };
  const leaseOf = async (id: string) =>
    (await t.db.query<{ lease_expires_at: Date | null }>('select lease_expires_at from items where id = $1', [id]))[0]!
      .lease_expires_at;

  describe('register', () => {
    it('answers a new instanceId each time; a new register releases what earlier instances held (runner_restarted)', async () => {
      const api = await t.client([...ALL]);
      const first = await register(api, 'r1');
      expect(first.instanceId).toMatch(/^[0-9a-f-]{36}$/);
      const review = await createReview(api);
      const [claimed] = await claimAs(api, 'r1', first.instanceId);
      expect(claimed!.id).toBe(review.taskId);

      const second = await register(api, 'r1');
      expect(second.instanceId).not.toBe(first.instanceId);
      expect(second.releasedTaskIds).toEqual([review.taskId]);
      expect((await task(api, review.taskId)).status).toBe('pending');
      expect(await stateReasons(api, review.taskId)).toEqual([
        'pending:undefined',
        'dispatched:claimed',
        'pending:runner_restarted',
      ]);
      // Claimable again at once, as attempt 2, by the new instance.
      const [again] = await claimAs(api, 'r1', second.instanceId);
      expect(again).toMatchObject({ id: review.taskId, attempt: 2 });
    });

    it('the replaced instance is told runner_replaced on heartbeat, claim and deregister, and its writes are stale', async () => {
      const api = await t.client([...ALL]);
      const old = await register(api, 'r1');
      await createReview(api);
      const [held] = await claimAs(api, 'r1', old.instanceId);
      const current = await register(api, 'r1');
      const [mine] = await claimAs(api, 'r1', current.instanceId);
      expect(mine!.id).toBe(held!.id);
      const leaseBefore = await leaseOf(mine!.id);

      const beat = await api.post(
        '/api/runners/r1/heartbeat',
        { status: 'busy', currentJobs: 1, taskIds: [held!.id] },
        { 'x-runner-instance': old.instanceId },
      );
      expect(beat.status).toBe(409);
      expect(beat.body.error.code).toBe('runner_replaced');
      const claim = await api.get('/api/runners/tasks/pending?runnerId=r1', { 'x-runner-instance': old.instanceId });
      expect(claim.body.error.code).toBe('runner_replaced');
      const v1Claim = await api.post(
        '/v1/runners/sessions/claim',
        { runner_id: 'r1' },
        { 'x-runner-instance': old.instanceId },
      );
      expect(v1Claim.body.error.code).toBe('runner_replaced');
      const phase = await api.post(
        `/api/runners/tasks/${held!.id}/status`,
        { status: 'cloning' },
        { 'x-runner-id': 'r1', 'x-runplane-attempt': '1', 'x-runner-instance': old.instanceId },
      );
      expect(phase.status).toBe(409);
      expect(phase.body.error.code).toBe('stale_attempt');
      // Even with the current attempt number, an earlier instance is not the lease holder.
      const spoofed = await api.post(
        `/api/runners/tasks/${held!.id}/logs`,
        { logs: ['late'] },
        { 'x-runner-id': 'r1', 'x-runplane-attempt': '2', 'x-runner-instance': old.instanceId },
      );
      expect(spoofed.body.error.code).toBe('stale_attempt');
      const gone = await api.delete('/api/runners/r1', { 'x-runner-instance': old.instanceId });
      expect(gone.body.error.code).toBe('runner_replaced');
      // Nothing the old instance did moved the new attempt's lease or state.
      expect(await leaseOf(mine!.id)).toEqual(leaseBefore);
      expect((await task(api, mine!.id)).status).toBe('dispatched');
    });
  });

  describe('heartbeats that reconcile', () => {
    it('extends exactly the listed leases, releases the unlisted (runner_abandoned) and names the stale ones', async () => {
      const api = await t.client([...ALL]);
      const { instanceId } = await register(api, 'r1', { 'x-runner-max-concurrency': '5' });
      const kept = await createReview(api);
      const abandoned = await createReview(api);
      await api.get('/api/runners/tasks/pending?runnerId=r1&limit=2', { 'x-runner-instance': instanceId });
      const other = await createReview(api);
      await register(api, 'r2');
      await api.get('/api/runners/tasks/pending?runnerId=r2');
      const leaseBefore = await leaseOf(kept.taskId);
      await sleep(20);

      const beat = await api.post(
        '/api/runners/r1/heartbeat',
        { status: 'busy', currentJobs: 1, taskIds: [kept.taskId, other.taskId, 'no-such-task'] },
        { 'x-runner-instance': instanceId },
      );
      expect(beat.status).toBe(200);
      expect(beat.body.data.staleTaskIds.sort()).toEqual([other.taskId, 'no-such-task'].sort());
      expect(beat.body.data.activeTasks).toBe(1);
      expect((await leaseOf(kept.taskId))!.getTime()).toBeGreaterThan(leaseBefore!.getTime());
      expect((await task(api, abandoned.taskId)).status).toBe('pending');
      expect(await stateReasons(api, abandoned.taskId)).toContain('pending:runner_abandoned');
      // Another runner's task is untouched by r1's heartbeat.
      expect((await task(api, other.taskId)).status).toBe('dispatched');
      expect((await task(api, other.taskId)).runnerId).toBe('r2');
    });

    it('a lease claimed within claimsPendingMs is kept even when unlisted (its claim answer may still be on its way)', async () => {
      const api = await t.client([...ALL]);
      await register(api, 'r1');
      const review = await createReview(api);
      await api.get('/api/runners/tasks/pending?runnerId=r1');
      const beat = { status: 'online', currentJobs: 0, taskIds: [] };
      await api.post('/api/runners/r1/heartbeat', { ...beat, claimsPendingMs: 20_000 });
      expect((await task(api, review.taskId)).status).toBe('dispatched');
      await api.post('/api/runners/r1/heartbeat', beat);
      expect((await task(api, review.taskId)).status).toBe('pending');
    });

    it('a task given up on its last attempt fails (runner_abandoned) instead of passing between runners for ever', async () => {
      const api = await t.client([...ALL]);
      await register(api, 'r1');
      const review = await createReview(api);
      await t.db.query('update items set max_attempts = 2 where id = $1', [review.taskId]);
      for (let attempt = 1; attempt <= 2; attempt++) {
        await api.get('/api/runners/tasks/pending?runnerId=r1');
        await api.post('/api/runners/r1/heartbeat', { status: 'online', currentJobs: 0, taskIds: [] });
      }
      expect(await task(api, review.taskId)).toMatchObject({ status: 'failed', attempt: 2 });
      expect((await task(api, review.taskId)).error).toBe('runner gave the task up on attempt 2 of 2');
    });

    it('a cancel on a task the runner gave up completes at its next heartbeat', async () => {
      const api = await t.client([...ALL]);
      await register(api, 'r1');
      const review = await createReview(api);
      await api.get('/api/runners/tasks/pending?runnerId=r1');
      await api.post(`/api/reviews/${review.id}/cancel`);
      expect((await task(api, review.taskId)).status).toBe('cancel_requested');
      await api.post('/api/runners/r1/heartbeat', { status: 'online', currentJobs: 0, taskIds: [] });
      expect((await task(api, review.taskId)).status).toBe('cancelled');
    });

    it('without taskIds, currentJobs 0 releases leases claimed before the previous heartbeat and keeps newer ones', async () => {
      const api = await t.client([...ALL]);
      await register(api, 'r1', { 'x-runner-max-concurrency': '5' });
      const old = await createReview(api);
      await api.get('/api/runners/tasks/pending?runnerId=r1');
      await sleep(5);
      await api.post('/api/runners/r1/heartbeat', { status: 'online', currentJobs: 1 });
      await sleep(5);
      // Claimed after that heartbeat: may still be on its way to the runner when it counts its jobs.
      const fresh = await createReview(api);
      await api.get('/api/runners/tasks/pending?runnerId=r1');
      const beat = await api.post('/api/runners/r1/heartbeat', { status: 'online', currentJobs: 0 });
      expect(beat.status).toBe(200);
      expect(beat.body.data.staleTaskIds).toEqual([]);
      expect((await task(api, old.taskId)).status).toBe('pending');
      expect((await task(api, fresh.taskId)).status).toBe('dispatched');
      // A heartbeat without taskIds and with jobs extends every live lease, as the contract says.
      const leaseBefore = await leaseOf(fresh.taskId);
      await sleep(20);
      await api.post('/api/runners/r1/heartbeat', { status: 'busy', currentJobs: 1 });
      expect((await leaseOf(fresh.taskId))!.getTime()).toBeGreaterThan(leaseBefore!.getTime());
    });
  });

  describe('fencing that cannot be skipped', () => {
    it('a runner key must name the attempt of every task write: 400 attempt_required, nothing written', async () => {
      const admin = await t.client([...ALL]);
      const runner = await t.client(['runners:read', 'runners:write'], { kind: 'runner' });
      const { instanceId } = await register(runner, 'r1');
      const review = await createReview(admin);
      const [claimed] = await claimAs(runner, 'r1', instanceId);
      const id = claimed!.id;
      const identity = { 'x-runner-id': 'r1', 'x-runner-instance': instanceId };
      const refused = [
        await runner.post(`/api/runners/tasks/${id}/status`, { status: 'cloning' }, identity),
        await runner.post(`/api/runners/tasks/${id}/logs`, { logs: ['x'] }, identity),
        await runner.post(`/api/runners/tasks/${id}/result`, resultBody('r1')),
        await runner.call('PATCH', `/v1/runners/sessions/${id}`, { progress: 0.5 }, identity),
        await runner.post(`/v1/runners/sessions/${id}/events`, [{ type: 'x', level: 'info', message: 'm' }], identity),
        await runner.post(`/v1/runners/sessions/${id}/heartbeat`, undefined, identity),
        await runner.post(`/v1/runners/sessions/${id}/checkpoint`, { data: { a: 1 } }, identity),
        await runner.call('POST', `/v1/runners/sessions/${id}/artifacts?name=a.txt`, 'hello', {
          ...identity,
          'content-type': 'text/plain',
        }),
      ];
      for (const reply of refused) {
        expect(reply.status).toBe(400);
        expect(reply.body.error).toMatchObject({ code: 'attempt_required', field: 'x-runplane-attempt' });
      }
      expect((await events(admin, id)).map((e) => e.type)).toEqual(['state', 'state']);
      // Named, the same writes are fenced and accepted; `attempt` in a result body counts as naming it.
      const ok = await runner.post(
        `/api/runners/tasks/${id}/status`,
        { status: 'cloning' },
        { ...identity, 'x-runplane-attempt': '1' },
      );
      expect(ok.status).toBe(200);
      const done = await runner.post(`/api/runners/tasks/${id}/result`, { ...resultBody('r1'), attempt: 1 });
      expect(done.status).toBe(200);
      expect(done.body.data.status).toBe('succeeded');
      expect(review.taskId).toBe(id);
    });

    it('an identified stale write gets 409 and leaves the new attempt’s lease as it was', async () => {
      const api = await t.client([...ALL]);
      await register(api, 'r1');
      await register(api, 'r2');
      const review = await createReview(api);
      await api.get('/api/runners/tasks/pending?runnerId=r1');
      await api.delete('/api/runners/r1');
      await api.get('/api/runners/tasks/pending?runnerId=r2');
      const leaseBefore = await leaseOf(review.taskId);
      await sleep(20);
      for (const reply of [
        await api.post(
          `/api/runners/tasks/${review.taskId}/status`,
          { status: 'reviewing' },
          { 'x-runner-id': 'r1', 'x-runplane-attempt': '1' },
        ),
        await api.post(`/api/runners/tasks/${review.taskId}/logs`, { logs: ['late'] }, { 'x-runplane-attempt': '1' }),
        await api.post(`/api/runners/tasks/${review.taskId}/result`, { ...resultBody('r1'), attempt: 1 }),
        await api.post(`/v1/runners/sessions/${review.taskId}/heartbeat`, undefined, { 'x-runplane-attempt': '1' }),
      ]) {
        expect(reply.status).toBe(409);
        expect(reply.body.error.code).toBe('stale_attempt');
      }
      expect(await leaseOf(review.taskId)).toEqual(leaseBefore);
      expect(await task(api, review.taskId)).toMatchObject({ status: 'dispatched', runnerId: 'r2', attempt: 2 });
    });

    it('an operator write (no identity, not a runner key) is accepted while active, recorded, and never extends a lease', async () => {
      const api = await t.client([...ALL]);
      await register(api, 'r1');
      const review = await createReview(api);
      await api.get('/api/runners/tasks/pending?runnerId=r1');
      const leaseBefore = await leaseOf(review.taskId);
      await sleep(20);
      expect((await api.post(`/api/runners/tasks/${review.taskId}/status`, { status: 'cloning' })).status).toBe(200);
      expect((await api.post(`/api/runners/tasks/${review.taskId}/logs`, { logs: ['by hand'] })).status).toBe(200);
      expect((await api.post(`/v1/runners/sessions/${review.taskId}/heartbeat`)).status).toBe(200);
      expect(await leaseOf(review.taskId)).toEqual(leaseBefore);
      const log = await events(api, review.taskId);
      expect(log.find((e) => e.type === 'state' && e.data?.['to'] === 'running')?.data).toMatchObject({
        by: 'operator',
      });
      expect(log.find((e) => e.type === 'phase')?.data).toMatchObject({ by: 'operator' });
    });
  });

  describe('no statement moves a finished item', () => {
    it('an artifact upload racing the finish never reopens the session (200 races)', async () => {
      const api = await t.client([...ALL]);
      const raceProfile = (await api.post('/v1/runners/profiles', { name: 'race' })).body.id;
      const ids: string[] = [];
      for (let round = 0; round < 200; round++) {
        const session = (
          await api.post('/v1/runners/sessions', { profile_id: raceProfile, task_id: `t${round}`, input: {} })
        ).body;
        const claimed = (await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'g1' })).body;
        expect(claimed, JSON.stringify(claimed)).toMatchObject({ state: 'dispatched' });
        const who = { 'x-runner-id': 'g1', 'x-runplane-attempt': String(claimed.attempt) };
        const [upload, finish] = await Promise.all([
          api.call('POST', `/v1/runners/sessions/${session.id}/artifacts?name=out.txt`, 'x'.repeat(1000), {
            ...who,
            'content-type': 'text/plain',
          }),
          api.call('PATCH', `/v1/runners/sessions/${session.id}`, { state: 'succeeded', result: { ok: round } }, who),
        ]);
        expect(finish.body).toMatchObject({ state: 'succeeded' });
        // The upload either committed before the finish or was refused because the task had finished.
        if (upload.status !== 201) expect(upload.body.error.code).toBe('task_finished');
        ids.push(session.id);
      }
      const leased = await t.db.query<{ n: number }>(
        'select count(*)::int as n from items where id = any($1::text[]) and lease_expires_at is not null',
        [ids],
      );
      expect(leased[0]!.n).toBe(0);
      // Past the 1.5 s lease with the reaper running: every session is still succeeded.
      await sleep(2000);
      const states = await t.db.query<{ state: string; n: number }>(
        'select state, count(*)::int as n from items where id = any($1::text[]) group by state',
        [ids],
      );
      expect(states).toEqual([{ state: 'succeeded', n: 200 }]);
    }, 120_000);

    it('the reaper leaves a finished item alone even when its lease column says otherwise', async () => {
      const api = await t.client([...ALL]);
      await register(api, 'r1');
      const review = await createReview(api);
      await api.get('/api/runners/tasks/pending?runnerId=r1');
      await api.post(`/api/runners/tasks/${review.taskId}/result`, resultBody('r1'));
      await t.db.query(`update items set lease_expires_at = now() - interval '1 second' where id = $1`, [
        review.taskId,
      ]);
      await sleep(1000);
      expect((await task(api, review.taskId)).status).toBe('succeeded');
    });
  });

  describe('long polls', () => {
    /** Starts a long poll, aborts it once the server holds it, and shows that a task dispatched after that waits. */
    async function abortedPollLeavesWorkPending(api: Client, url: string, headers: Record<string, string>) {
      const aborts = new AbortController();
      const polling = fetch(url, { headers, signal: aborts.signal }).catch(() => null);
      await sleep(300);
      aborts.abort();
      await polling;
      await sleep(200);
      const review = await createReview(api);
      // Longer than the claimers' re-poll: a poll that still ran would have claimed by now.
      await sleep(1500);
      expect((await task(api, review.taskId)).status).toBe('pending');
      const [taken] = (await api.get('/api/runners/tasks/pending?runnerId=r2')).body.data;
      expect(taken).toMatchObject({ id: review.taskId, attempt: 1 });
    }

    it('an aborted long poll claims nothing', async () => {
      const key = await newKey(t.db, 'acme', [...ALL]);
      const api = client(t.server.url, key);
      await register(api, 'r1');
      await register(api, 'r2');
      await abortedPollLeavesWorkPending(api, `${t.server.url}/api/runners/tasks/pending?runnerId=r1&wait=10`, {
        authorization: `Bearer ${key}`,
      });
    });

    it('an aborted long poll through the console backend claims nothing', async () => {
      const api = await t.client([...ALL]);
      await register(api, 'r1');
      await register(api, 'r2');
      await createUser(t.db, { orgSlug: 'acme', email: 'op@acme.test', role: 'admin', password: PASSWORD });
      const login = await fetch(`${t.server.url}/console/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'op@acme.test', password: PASSWORD, org: 'acme' }),
      });
      const { csrf_token: csrf } = await login.json();
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
      await abortedPollLeavesWorkPending(api, `${t.server.url}/console/api/runners/tasks/pending?runnerId=r1&wait=10`, {
        cookie,
        'x-csrf-token': csrf,
      });
    });
  });
});

const PASSWORD = 'correct horse battery staple';

describe.each(STORE_KINDS)('one finish path on the %s store', (kind) => {
  // Outbox rows only: no delivery worker runs here, so the webhook address is never called.
  const t = useTestServer(kind, {
    config: { delivery: { ...testConfig().delivery, webhookUrl: 'http://127.0.0.1:9/hook', webhookSecret: 'secret' } },
  });

  const outboxRows = async (reviewId: string) =>
    (await t.db.query<{ n: number }>('select count(*)::int as n from outbox where review_id = $1', [reviewId]))[0]!.n;

  it('finishing an ai-review item through /v1 PATCH writes its review’s outbox row, exactly once', async () => {
    const api = await t.client([...ALL]);
    const review = await createReview(api);
    const claimed = (await api.post(`/v1/runners/sessions/${review.taskId}/claim`, { runner_id: 'g1' })).body;
    const body = { state: 'succeeded', result: resultBody('g1') };
    const headers = { 'x-runner-id': 'g1', 'x-runplane-attempt': String(claimed.attempt) };
    expect((await api.call('PATCH', `/v1/runners/sessions/${review.taskId}`, body, headers)).status).toBe(200);
    expect((await api.call('PATCH', `/v1/runners/sessions/${review.taskId}`, body, headers)).status).toBe(200);
    expect(await outboxRows(review.id)).toBe(1);
  });

  it('a cancelled review posts nothing, whether the runner reports or releases it', async () => {
    const api = await t.client([...ALL]);
    await register(api, 'r1', { 'x-runner-max-concurrency': '5' });
    const reported = await createReview(api);
    const released = await createReview(api);
    await api.get('/api/runners/tasks/pending?runnerId=r1&limit=2');
    await api.post(`/api/reviews/${reported.id}/cancel`);
    await api.post(`/api/reviews/${released.id}/cancel`);
    const result = await api.post(`/api/runners/tasks/${reported.taskId}/result`, resultBody('r1'));
    expect(result.body.data.status).toBe('cancelled');
    await api.post('/api/runners/r1/heartbeat', { status: 'online', currentJobs: 0, taskIds: [] });
    expect((await api.get(`/api/reviews/${released.id}`)).body.data.status).toBe('cancelled');
    expect(await outboxRows(reported.id)).toBe(0);
    expect(await outboxRows(released.id)).toBe(0);
  });

  it('a review finished through /v1 PATCH with a result that is not a review result still reads back', async () => {
    const api = await t.client([...ALL]);
    const review = await createReview(api);
    const claimed = (await api.post(`/v1/runners/sessions/${review.taskId}/claim`, { runner_id: 'g1' })).body;
    const headers = { 'x-runplane-attempt': String(claimed.attempt) };
    await api.call('PATCH', `/v1/runners/sessions/${review.taskId}`, { state: 'succeeded', result: { x: 1 } }, headers);
    const read = await api.get(`/api/reviews/${review.id}`);
    expect(read.status).toBe(200);
    expect(read.body.data).toMatchObject({ status: 'succeeded', totalComments: null, files: [] });
  });

  it('a review input cannot point the finish at another review', async () => {
    const api = await t.client([...ALL]);
    const victim = await createReview(api);
    const session = (
      await api.post('/v1/runners/sessions', {
        profile_id: 'ai-review',
        task_id: 'forged',
        input: { ...reviewBody(), reviewId: victim.id },
      })
    ).body;
    const claimed = (await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'g1' })).body;
    await api.call(
      'PATCH',
      `/v1/runners/sessions/${session.id}`,
      { state: 'succeeded', result: {} },
      { 'x-runplane-attempt': String(claimed.attempt) },
    );
    expect(await outboxRows(victim.id)).toBe(0);
  });
});
