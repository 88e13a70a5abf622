// What the server logs, through its one pino logger, as JSON lines: one line per request at
// RUNPLANE_REQUEST_LOG_LEVEL (debug by default), and the domain events at info with a stable `event` and their ids.
import { beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { claim, createReview, register, resultBody } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const DEBUG = 20;
const INFO = 30;

type Line = Record<string, unknown> & { level: number; msg: string; event?: string };

/** A logger at trace writing into an array, as the server's own. */
function capturedLog() {
  const lines: Line[] = [];
  const log = createLogger({ logLevel: 'trace' }, { write: (text: string) => void lines.push(JSON.parse(text)) });
  return { log, lines, events: (event: string) => lines.filter((line) => line.event === event) };
}

const SCOPES = ['runners:read', 'runners:write', 'runners:dispatch'] as const;

describe.each(STORE_KINDS)('server logs on the %s store', (kind) => {
  describe('by default', () => {
    const logs = capturedLog();
    const t = useTestServer(kind, { log: logs.log, reaper: true });
    let api: Client;

    beforeEach(async () => {
      api = await t.client([...SCOPES]);
      logs.lines.length = 0;
    });

    it('a request logs one line at debug and none at info; register, claim and result are info events with their ids', async () => {
      const registered = await register(api, 'r1');
      const review = await createReview(api);
      const [task] = await claim(api, 'r1', '&limit=1');
      const done = await api.post(`/api/runners/tasks/${task.id}/result`, resultBody('r1'), {
        'x-runplane-attempt': '1',
      });
      expect(done.status).toBe(200);

      const requests = logs.lines.filter((line) => line.msg === 'request completed');
      expect(requests).toHaveLength(4);
      expect(requests.every((line) => line.level === DEBUG)).toBe(true);
      expect(logs.lines.filter((line) => line.msg === 'incoming request')).toEqual([]);
      expect(requests[2]).toMatchObject({
        method: 'GET',
        url: '/api/runners/tasks/pending',
        statusCode: 200,
        reqId: expect.any(String),
        responseTime: expect.any(Number),
      });
      // At info and above: the domain events, nothing else.
      expect(logs.lines.filter((line) => line.level >= INFO).map((line) => line.event)).toEqual([
        'runner.registered',
        'item.claimed',
        'item.finished',
      ]);
      const ids = { orgId: expect.any(String), itemId: task.id, reviewId: review.id, profileId: 'ai-review' };
      expect(logs.events('runner.registered')[0]).toMatchObject({
        level: INFO,
        orgId: expect.any(String),
        runnerId: 'r1',
        instanceId: registered.instanceId,
        releasedTaskIds: [],
      });
      expect(logs.events('item.claimed')[0]).toMatchObject({ level: INFO, ...ids, runnerId: 'r1', attempt: 1 });
      expect(logs.events('item.finished')[0]).toMatchObject({
        level: INFO,
        ...ids,
        runnerId: 'r1',
        attempt: 1,
        state: 'succeeded',
        by: 'runner',
      });
    });

    it('a register that supersedes a live instance logs runner.replaced; a deregister logs runner.offline', async () => {
      const first = await register(api, 'r1');
      await createReview(api);
      const [task] = await claim(api, 'r1');
      const second = await register(api, 'r1');
      await api.delete('/api/runners/r1', { 'x-runner-instance': second.instanceId });

      expect(logs.events('runner.replaced')).toEqual([
        expect.objectContaining({
          level: INFO,
          runnerId: 'r1',
          instanceId: second.instanceId,
          previousInstanceId: first.instanceId,
          releasedTaskIds: [task.id],
        }),
      ]);
      expect(logs.events('runner.offline')).toEqual([
        expect.objectContaining({
          level: INFO,
          runnerId: 'r1',
          instanceId: second.instanceId,
          reason: 'deregistered',
        }),
      ]);
      // A deregistered runner registering again replaced nothing.
      await register(api, 'r1');
      expect(logs.events('runner.replaced')).toHaveLength(1);
    });

    it('a cancel logs who asked and what it did, once', async () => {
      await register(api, 'r1');
      const held = await createReview(api);
      await claim(api, 'r1');
      const pending = await createReview(api);
      for (const review of [held, pending, held]) {
        expect((await api.post(`/api/reviews/${review.id}/cancel`)).status).toBe(200);
      }
      const cancels = logs.events('item.cancel_requested');
      expect(cancels).toEqual([
        expect.objectContaining({
          reviewId: held.id,
          state: 'cancel_requested',
          runnerId: 'r1',
          by: expect.any(String),
        }),
        expect.objectContaining({ reviewId: pending.id, state: 'cancelled', by: expect.any(String) }),
      ]);
      expect(cancels[0]!.by).toMatch(/^key_/);
    });

    it('an expired lease logs item.lease_expired with the runner and attempt: requeued, then failed', async () => {
      const profile = await api.post('/v1/runners/profiles', { name: 'logged', execution_target: 'runner' });
      const session = await api.post('/v1/runners/sessions', {
        profile_id: profile.body.id,
        task_id: 'nightly-7',
        input: {},
        lease_ttl_seconds: 0.3,
        max_attempts: 2,
      });
      expect(session.status).toBe(201);
      const claimOnce = async () => {
        const claimed = await api.post(`/v1/runners/sessions/${session.body.id}/claim`, { runner_id: 'gw-1' });
        expect(claimed.status).toBe(200);
      };
      await claimOnce();
      await until(
        async () => logs.events('item.lease_expired'),
        (lines) => lines.length === 1,
        5000,
      );
      await claimOnce();
      const expired = await until(
        async () => logs.events('item.lease_expired'),
        (lines) => lines.length === 2,
        5000,
      );
      const ids = { level: INFO, itemId: session.body.id, taskId: 'nightly-7', profileId: profile.body.id };
      expect(expired).toEqual([
        expect.objectContaining({ ...ids, runnerId: 'gw-1', attempt: 1, outcome: 'requeued' }),
        expect.objectContaining({ ...ids, runnerId: 'gw-1', attempt: 2, outcome: 'failed' }),
      ]);
      expect(logs.events('item.claimed').map((line) => line.attempt)).toEqual([1, 2]);
    });
  });

  describe('with RUNPLANE_REQUEST_LOG_LEVEL=info', () => {
    const logs = capturedLog();
    const t = useTestServer(kind, { log: logs.log, config: { requestLogLevel: 'info' } });

    it('each request logs one line at info, with its path but never its query string', async () => {
      const api = await t.client([...SCOPES]);
      logs.lines.length = 0;
      const answer = await api.get('/api/runners?secret=hunter2', { 'x-request-id': 'req-42' });
      expect(answer.status).toBe(200);
      expect(logs.lines.filter((line) => line.msg === 'request completed')).toEqual([
        expect.objectContaining({
          level: INFO,
          method: 'GET',
          url: '/api/runners',
          statusCode: 200,
          reqId: 'req-42',
        }),
      ]);
      expect(JSON.stringify(logs.lines)).not.toContain('hunter2');
    });
  });
});
