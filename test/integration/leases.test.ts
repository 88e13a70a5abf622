// Leases, fencing and cancellation over real HTTP on each store, with the lease reaper running and a 1 s lease.
import { beforeEach, describe, expect, it } from 'vitest';
import { claim, createReview, register, resultBody } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(STORE_KINDS)('leases and fencing on the %s store', (kind) => {
  const t = useTestServer(kind, { reaper: true, config: { leaseTtlMs: 1000, maxAttempts: 2 } });
  let api: Client;

  beforeEach(async () => {
    api = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
  });

  const task = async (id: string) => (await api.get(`/api/runners/tasks/${id}`)).body.data;

  it('a task whose runner stops heartbeating is claimable by another runner within 2 s; the first runner’s result then gets stale_attempt', async () => {
    await register(api, 'r1');
    await register(api, 'r2');
    const review = await createReview(api);
    const [first] = await claim(api, 'r1');
    expect(first.attempt).toBe(1);
    // r2 long-polls for at most 2 s (the server bounds the wait): the reaper must requeue the task once r1's
    // 1 s lease lapses and wake r2 inside that window, or r2 gets an empty list.
    const [second] = await claim(api, 'r2', '&wait=2');
    expect(second).toMatchObject({ id: review.taskId, attempt: 2 });
    const stale = await api.post(`/api/runners/tasks/${first.id}/result`, resultBody('r1'));
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_attempt');
    const staleLog = await api.post(
      `/api/runners/tasks/${first.id}/logs`,
      { logs: ['late'] },
      { 'x-runner-id': 'r1', 'x-runplane-attempt': '1' },
    );
    expect(staleLog.body.error.code).toBe('stale_attempt');
    const stalePhase = await api.post(
      `/api/runners/tasks/${first.id}/status`,
      { status: 'reviewing' },
      { 'x-runner-id': 'r2', 'x-runplane-attempt': '1' },
    );
    expect(stalePhase.body.error.code).toBe('stale_attempt');
    expect((await api.get(`/api/runners/tasks/${first.id}/logs`)).body.data).toEqual([]);
    const fresh = await api.post(`/api/runners/tasks/${first.id}/result`, resultBody('r2'), {
      'x-runplane-attempt': '2',
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body.data.status).toBe('succeeded');
  });

  it('after max attempts an expired lease fails the task with lease_expired', async () => {
    await register(api, 'r1');
    const review = await createReview(api);
    await claim(api, 'r1');
    await until(
      () => task(review.taskId),
      (t) => t.status === 'pending',
      5000,
    );
    const [again] = await claim(api, 'r1');
    expect(again.attempt).toBe(2);
    const failed = await until(
      () => task(review.taskId),
      (t) => t.status === 'failed',
      5000,
    );
    expect(failed.status).toBe('failed');
    const stored = (await api.get(`/api/reviews/${review.id}`)).body.data;
    expect(stored).toMatchObject({ status: 'failed', failureReason: 'lease_expired', attempt: 2 });
  });

  it('heartbeats keep a lease alive past its TTL', async () => {
    await register(api, 'r1');
    const review = await createReview(api);
    await claim(api, 'r1');
    for (let i = 0; i < 6; i++) {
      await sleep(300);
      await api.post('/api/runners/r1/heartbeat', { status: 'busy', currentJobs: 1 });
    }
    expect((await task(review.taskId)).status).toBe('dispatched');
    expect((await task(review.taskId)).attempt).toBe(1);
  });

  it('writes by the runner extend the task’s lease', async () => {
    await register(api, 'r1');
    const review = await createReview(api);
    const [claimed] = await claim(api, 'r1');
    const headers = { 'x-runner-id': 'r1', 'x-runplane-attempt': String(claimed.attempt) };
    for (let i = 0; i < 6; i++) {
      await sleep(300);
      const reply = await api.post(`/api/runners/tasks/${claimed.id}/logs`, { logs: [`line ${i}`] }, headers);
      expect(reply.status).toBe(200);
    }
    expect((await task(review.taskId)).attempt).toBe(1);
  });

  it('writes without fencing headers are accepted while the task is active', async () => {
    await register(api, 'r1');
    await createReview(api);
    const [claimed] = await claim(api, 'r1');
    expect((await api.post(`/api/runners/tasks/${claimed.id}/status`, { status: 'preparing' })).status).toBe(200);
    expect((await api.post(`/api/runners/tasks/${claimed.id}/logs`, { logs: ['x'] })).status).toBe(200);
  });

  it('a write to a task that is not claimed answers 409 illegal_transition', async () => {
    const review = await createReview(api);
    const reply = await api.post(`/api/runners/tasks/${review.taskId}/status`, { status: 'cloning' });
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe('illegal_transition');
  });

  describe('cancel', () => {
    it('a queued review is cancelled at once and never claimed', async () => {
      await register(api, 'r1');
      const review = await createReview(api);
      const reply = await api.post(`/api/reviews/${review.id}/cancel`);
      expect(reply.status).toBe(200);
      expect(reply.body.data.status).toBe('cancelled');
      expect(await claim(api, 'r1')).toEqual([]);
    });

    it('a running review is cancelled through its runner: heartbeat and writes carry it, the report finishes it', async () => {
      await register(api, 'r1');
      const review = await createReview(api);
      const [claimed] = await claim(api, 'r1');
      const requested = await api.post(`/api/reviews/${review.id}/cancel`);
      expect(requested.body.data.status).toBe('cancel_requested');
      const beat = await api.post('/api/runners/r1/heartbeat', { status: 'busy', currentJobs: 1 });
      expect(beat.body.data.cancelTaskIds).toEqual([claimed.id]);
      const log = await api.post(`/api/runners/tasks/${claimed.id}/logs`, { logs: ['stopping'] });
      expect(log.body.data.cancelRequested).toBe(true);
      const reported = await api.post(
        `/api/runners/tasks/${claimed.id}/result`,
        resultBody('r1', { status: 'failed', files: [], totalComments: 0, error: 'cancelled by request' }),
      );
      expect(reported.body.data.status).toBe('cancelled');
      expect((await api.get(`/api/reviews/${review.id}`)).body.data.status).toBe('cancelled');
    });

    it('a cancel-requested task whose lease expires becomes cancelled, not requeued', async () => {
      await register(api, 'r1');
      const review = await createReview(api);
      await claim(api, 'r1');
      await api.post(`/api/reviews/${review.id}/cancel`);
      const done = await until(
        () => task(review.taskId),
        (t) => t.status !== 'cancel_requested',
        5000,
      );
      expect(done.status).toBe('cancelled');
    });

    it('cancelling a finished review answers 409', async () => {
      await register(api, 'r1');
      const review = await createReview(api);
      const [claimed] = await claim(api, 'r1');
      await api.post(`/api/runners/tasks/${claimed.id}/result`, resultBody('r1'));
      const reply = await api.post(`/api/reviews/${review.id}/cancel`);
      expect(reply.status).toBe(409);
      expect(reply.body.error.code).toBe('task_finished');
    });
  });

  it('every state change, phase change and log line is one event in a gap-free sequence', async () => {
    await register(api, 'r1');
    const review = await createReview(api);
    const [claimed] = await claim(api, 'r1');
    await api.post(`/api/runners/tasks/${claimed.id}/status`, { status: 'cloning' });
    await api.post(`/api/runners/tasks/${claimed.id}/logs`, { logs: ['a', 'b'] });
    await api.post(`/api/runners/tasks/${claimed.id}/result`, resultBody('r1', { logs: ['c'] }));
    const events = await t.db.query<{ seq: number; type: string; message: string }>(
      'select seq, type, message from item_events where item_id = $1 order by seq',
      [review.taskId],
    );
    expect(events.map((e) => e.seq)).toEqual(events.map((_e, i) => i + 1));
    expect(events.map((e) => `${e.type}:${e.message}`)).toEqual([
      'state:created → pending',
      'state:pending → dispatched',
      'state:dispatched → running',
      'phase:cloning',
      'log:a',
      'log:b',
      'log:c',
      'state:running → succeeded',
    ]);
  });
});
