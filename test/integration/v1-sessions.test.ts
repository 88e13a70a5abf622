// /v1/runners: profiles, harness revisions and the session lifecycle over real HTTP, on each store.
import { beforeEach, describe, expect, it } from 'vitest';
import { claim, createReview, register, resultBody } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('/v1/runners on the %s store', (kind) => {
  const t = useTestServer(kind, { reaper: true });
  let api: Client;

  beforeEach(async () => {
    api = await t.client(['admin']);
  });

  let profiles = 0;
  async function profile(name = `network-sandbox-${++profiles}`) {
    const reply = await api.post('/v1/runners/profiles', {
      name,
      description: 'outbound tasks',
      execution_target: 'runner',
    });
    expect(reply.status).toBe(201);
    return reply.body;
  }

  async function dispatch(profileId: string, overrides: Record<string, unknown> = {}, headers = {}) {
    const reply = await api.post(
      '/v1/runners/sessions',
      { profile_id: profileId, task_id: 'task_456', input: { job: 'collect-artifacts' }, ...overrides },
      headers,
    );
    if (reply.status !== 201 && reply.status !== 200) throw new Error(`dispatch: ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  describe('profiles', () => {
    it('creates, lists, reads and replaces profiles; names are unique per org', async () => {
      const created = await profile();
      expect(created).toMatchObject({ execution_target: 'runner', status: 'active' });
      const list = await api.get('/v1/runners/profiles');
      expect(list.body.items.map((p: { name: string }) => p.name)).toEqual(['ai-review', created.name]);
      expect(list.body.next_cursor).toBeNull();
      expect((await api.get(`/v1/runners/profiles/${created.id}`)).body.name).toBe(created.name);
      const again = await api.post('/v1/runners/profiles', { name: created.name });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('name_taken');
      const replaced = await api.call('PUT', `/v1/runners/profiles/${created.id}`, { name: 'renamed' });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ name: 'renamed', description: '' });
    });

    it('paginates with an opaque cursor', async () => {
      for (const name of ['a', 'b', 'c']) await profile(name);
      const first = await api.get('/v1/runners/profiles?limit=2');
      expect(first.body.items).toHaveLength(2);
      const second = await api.get(`/v1/runners/profiles?limit=2&cursor=${first.body.next_cursor}`);
      expect(second.body.items.map((p: { name: string }) => p.name)).toEqual(['b', 'c']);
      expect((await api.get('/v1/runners/profiles?cursor=garbage')).body.error.field).toBe('cursor');
    });

    it('DELETE deletes an unused profile and archives a used one; dispatch to an archived profile → 409', async () => {
      const unused = await profile('unused');
      expect((await api.delete(`/v1/runners/profiles/${unused.id}`)).body.outcome).toBe('deleted');
      expect((await api.get(`/v1/runners/profiles/${unused.id}`)).status).toBe(404);
      const used = await profile('used');
      await dispatch(used.id);
      const archived = await api.delete(`/v1/runners/profiles/${used.id}`);
      expect(archived.body).toMatchObject({ outcome: 'archived', profile: { status: 'archived' } });
      const refused = await api.post('/v1/runners/sessions', { profile_id: used.id, task_id: 't', input: {} });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('profile_archived');
    });

    it('the built-in ai-review profile cannot be changed or deleted', async () => {
      expect((await api.delete('/v1/runners/profiles/ai-review')).status).toBe(409);
      expect((await api.call('PUT', '/v1/runners/profiles/ai-review', { name: 'x' })).status).toBe(409);
    });
  });

  describe('harness revisions', () => {
    it('publishes versions (unique per profile), lists newest first, and answers the latest', async () => {
      const p = await profile();
      expect((await api.get(`/v1/runners/profiles/${p.id}/harnesses/latest`)).status).toBe(404);
      const first = await api.post(`/v1/runners/profiles/${p.id}/harnesses`, {
        version: '2026.05.01',
        image_ref: 'ghcr.io/keeptrusts/runner-harness:2026.05.01',
      });
      expect(first.status).toBe(201);
      await api.post(`/v1/runners/profiles/${p.id}/harnesses`, { version: '2026.06.01', image_ref: 'img:2' });
      const repeat = await api.post(`/v1/runners/profiles/${p.id}/harnesses`, {
        version: '2026.05.01',
        image_ref: 'x',
      });
      expect(repeat.status).toBe(409);
      const list = await api.get(`/v1/runners/profiles/${p.id}/harnesses`);
      expect(list.body.items.map((h: { version: string }) => h.version)).toEqual(['2026.06.01', '2026.05.01']);
      expect((await api.get(`/v1/runners/profiles/${p.id}/harnesses/latest`)).body.version).toBe('2026.06.01');
      expect((await api.post('/v1/runners/profiles/nope/harnesses', { version: '1', image_ref: 'x' })).status).toBe(
        404,
      );
    });

    it('a session records the revision that was latest at dispatch, and a claim returns it', async () => {
      const p = await profile();
      await api.post(`/v1/runners/profiles/${p.id}/harnesses`, { version: 'v1', image_ref: 'img:1' });
      const session = await dispatch(p.id);
      await api.post(`/v1/runners/profiles/${p.id}/harnesses`, { version: 'v2', image_ref: 'img:2' });
      expect(session.harness_revision).toMatchObject({ version: 'v1', image_ref: 'img:1' });
      const claimed = await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'gw-1' });
      expect(claimed.body.harness_revision.version).toBe('v1');
    });
  });

  describe('dispatch and read', () => {
    it('dispatches a pending session with the spec’s fields', async () => {
      const p = await profile();
      const session = await dispatch(p.id, {
        required_tags: ['gpu'],
        max_attempts: 5,
        lease_ttl_seconds: 30,
        metadata: { a: 1 },
      });
      expect(session).toMatchObject({
        profile_id: p.id,
        task_id: 'task_456',
        state: 'pending',
        input: { job: 'collect-artifacts' },
        required_tags: ['gpu'],
        max_attempts: 5,
        lease_ttl_seconds: 30,
        metadata: { a: 1 },
        attempt: 0,
        cancel_requested: false,
      });
      expect((await api.get(`/v1/runners/sessions/${session.id}`)).body.id).toBe(session.id);
    });

    it('an Idempotency-Key returns the same session for the same body and 409 for another body', async () => {
      const p = await profile();
      const first = await api.post(
        '/v1/runners/sessions',
        { profile_id: p.id, task_id: 't', input: { n: 1 } },
        { 'idempotency-key': 'k1' },
      );
      expect(first.status).toBe(201);
      const again = await api.post(
        '/v1/runners/sessions',
        { profile_id: p.id, task_id: 't', input: { n: 1 } },
        { 'idempotency-key': 'k1' },
      );
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      const other = await api.post(
        '/v1/runners/sessions',
        { profile_id: p.id, task_id: 't', input: { n: 2 } },
        { 'idempotency-key': 'k1' },
      );
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('idempotency_key_reused');
      expect((await api.get('/v1/runners/sessions')).body.items).toHaveLength(1);
    });

    it('concurrent dispatches with one Idempotency-Key create one session', async () => {
      const p = await profile();
      const replies = await Promise.all(
        Array.from({ length: 8 }, () =>
          api.post(
            '/v1/runners/sessions',
            { profile_id: p.id, task_id: 't', input: {} },
            { 'idempotency-key': 'race' },
          ),
        ),
      );
      expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
      expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    });

    it.each([
      [{ profile_id: undefined }, 'profile_id'],
      [{ task_id: '' }, 'task_id'],
      [{ input: { blob: 'x'.repeat(300 * 1024) } }, 'input'],
      [{ max_attempts: 0 }, 'max_attempts'],
      [{ lease_ttl_seconds: 'soon' }, 'lease_ttl_seconds'],
      [{ required_tags: 'gpu' }, 'required_tags'],
    ])('refuses an invalid dispatch naming %s (case %#) and creates nothing', async (overrides, field) => {
      const p = await profile();
      const reply = await api.post('/v1/runners/sessions', { profile_id: p.id, task_id: 't', input: {}, ...overrides });
      expect(reply.status).toBe(400);
      expect(reply.body.error.field).toBe(field);
      expect((await api.get('/v1/runners/sessions')).body.items).toEqual([]);
    });

    it('dispatch to an unknown profile answers 404', async () => {
      const reply = await api.post('/v1/runners/sessions', { profile_id: 'prof_missing', task_id: 't', input: {} });
      expect(reply.status).toBe(404);
    });

    it('lists with filters and a cursor', async () => {
      const a = await profile('a');
      const b = await profile('b');
      const s1 = await dispatch(a.id, { task_id: 'one' });
      const s2 = await dispatch(b.id, { task_id: 'two' });
      const s3 = await dispatch(a.id, { task_id: 'three' });
      await api.post(`/v1/runners/sessions/${s1.id}/cancel`);
      const ids = async (query: string) =>
        (await api.get(`/v1/runners/sessions?${query}`)).body.items.map((s: { id: string }) => s.id);
      expect(await ids('')).toEqual([s3.id, s2.id, s1.id]);
      expect(await ids(`profile_id=${a.id}`)).toEqual([s3.id, s1.id]);
      expect(await ids('state=cancelled')).toEqual([s1.id]);
      expect(await ids('task_id=two')).toEqual([s2.id]);
      expect(await ids(`created_after=${encodeURIComponent(s2.created_at)}`)).toEqual([s3.id]);
      expect(await ids(`created_before=${encodeURIComponent(s2.created_at)}`)).toEqual([s1.id]);
      const page1 = await api.get('/v1/runners/sessions?limit=2');
      const page2 = await api.get(`/v1/runners/sessions?limit=2&cursor=${page1.body.next_cursor}`);
      expect(page2.body.items.map((s: { id: string }) => s.id)).toEqual([s1.id]);
      expect((await api.get('/v1/runners/sessions?state=sleeping')).body.error.field).toBe('state');
    });
  });

  describe('claims', () => {
    it('claim by id moves pending → dispatched once; a second claim → 409 naming the state', async () => {
      const p = await profile();
      const session = await dispatch(p.id);
      const first = await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'gw-1' });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ state: 'dispatched', attempt: 1, runner_id: 'gw-1', latest_checkpoint: null });
      expect(Date.parse(first.body.lease_expires_at)).toBeGreaterThan(Date.now());
      const second = await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'gw-2' });
      expect(second.status).toBe(409);
      expect(second.body.error).toMatchObject({ code: 'illegal_transition', details: { state: 'dispatched' } });
      expect((await api.post('/v1/runners/sessions/nope/claim', { runner_id: 'gw' })).status).toBe(404);
    });

    it('claim-next takes the oldest matching sessions by profile and tags, and long-polls', async () => {
      const a = await profile('a');
      const b = await profile('b');
      const gpu = await dispatch(a.id, { required_tags: ['gpu'] });
      const plain = await dispatch(a.id);
      await dispatch(b.id);
      const none = await api.post('/v1/runners/sessions/claim', { runner_id: 'r1', profile_ids: [a.id], limit: 5 });
      expect(none.body.items.map((s: { id: string }) => s.id)).toEqual([plain.id]);
      const tagged = await api.post('/v1/runners/sessions/claim', {
        runner_id: 'r2',
        profile_ids: [a.id],
        tags: ['gpu'],
      });
      expect(tagged.body.items.map((s: { id: string }) => s.id)).toEqual([gpu.id]);
      const empty = await api.post('/v1/runners/sessions/claim', { runner_id: 'r1', profile_ids: [a.id] });
      expect(empty.body).toEqual({ items: [] });
      const waiting = api.post('/v1/runners/sessions/claim', {
        runner_id: 'r3',
        profile_ids: [a.id],
        wait_seconds: 20,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const late = await dispatch(a.id);
      expect((await waiting).body.items.map((s: { id: string }) => s.id)).toEqual([late.id]);
      expect((await api.post('/v1/runners/sessions/claim', { runner_id: 'r1', limit: 51 })).body.error.field).toBe(
        'limit',
      );
    });
  });

  describe('runner writes', () => {
    async function claimed() {
      const p = await profile();
      const session = await dispatch(p.id);
      const reply = await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'r1' });
      return reply.body;
    }
    const asRunner = (attempt: number) => ({ 'x-runplane-attempt': String(attempt) });

    it('PATCH moves the session to running, merges metadata, records progress, and finishes it with a result', async () => {
      const s = await claimed();
      const running = await api.call(
        'PATCH',
        `/v1/runners/sessions/${s.id}`,
        { state: 'running', progress: 0.25, metadata: { step: 1 } },
        asRunner(1),
      );
      expect(running.body).toMatchObject({ state: 'running', progress: 0.25, metadata: { step: 1 } });
      const merged = await api.call(
        'PATCH',
        `/v1/runners/sessions/${s.id}`,
        { metadata: { other: true } },
        asRunner(1),
      );
      expect(merged.body.metadata).toEqual({ step: 1, other: true });
      const done = await api.call(
        'PATCH',
        `/v1/runners/sessions/${s.id}`,
        { state: 'succeeded', result: { ok: 1 }, progress: 1 },
        asRunner(1),
      );
      expect(done.body).toMatchObject({ state: 'succeeded', result: { ok: 1 }, progress: 1, lease_expires_at: null });
      const again = await api.call('PATCH', `/v1/runners/sessions/${s.id}`, { state: 'running' }, asRunner(1));
      expect(again.status).toBe(409);
    });

    it('failed needs an error; illegal transitions name the current state', async () => {
      const s = await claimed();
      const noError = await api.call('PATCH', `/v1/runners/sessions/${s.id}`, { state: 'failed' }, asRunner(1));
      expect(noError.body.error.field).toBe('error');
      const p = await profile('other');
      const pending = await dispatch(p.id);
      const illegal = await api.call('PATCH', `/v1/runners/sessions/${pending.id}`, { state: 'running' });
      expect(illegal.status).toBe(409);
      expect(illegal.body.error.message).toContain('pending');
      expect((await api.call('PATCH', `/v1/runners/sessions/${s.id}`, {})).status).toBe(400);
      expect((await api.call('PATCH', `/v1/runners/sessions/${s.id}`, { progress: 2 })).body.error.field).toBe(
        'progress',
      );
    });

    it('a stale attempt is refused with stale_attempt on every runner write, and nothing is written', async () => {
      const s = await claimed();
      const stale = asRunner(7);
      const replies = await Promise.all([
        api.call('PATCH', `/v1/runners/sessions/${s.id}`, { progress: 0.5 }, stale),
        api.post(`/v1/runners/sessions/${s.id}/heartbeat`, undefined, stale),
        api.post(`/v1/runners/sessions/${s.id}/events`, [{ type: 'step', level: 'info', message: 'x' }], stale),
        api.post(`/v1/runners/sessions/${s.id}/checkpoint`, { data: { n: 1 } }, stale),
      ]);
      for (const reply of replies) expect(reply.body.error?.code).toBe('stale_attempt');
      const session = (await api.get(`/v1/runners/sessions/${s.id}`)).body;
      expect(session).toMatchObject({ progress: null, latest_checkpoint: null });
      const events = (await api.get(`/v1/runners/sessions/${s.id}/events?type=step`)).body.items;
      expect(events).toEqual([]);
    });

    it('heartbeat extends the lease and reports cancel_requested; cancel reaches the runner and its report ends it', async () => {
      const s = await claimed();
      const beat = await api.post(`/v1/runners/sessions/${s.id}/heartbeat`, undefined, asRunner(1));
      expect(beat.body).toMatchObject({ cancel_requested: false, state: 'dispatched' });
      expect(Date.parse(beat.body.lease_expires_at)).toBeGreaterThanOrEqual(Date.parse(s.lease_expires_at));
      const cancelled = await api.post(`/v1/runners/sessions/${s.id}/cancel`);
      expect(cancelled.body).toMatchObject({ state: 'cancel_requested', cancel_requested: true });
      const told = await api.post(`/v1/runners/sessions/${s.id}/heartbeat`, undefined, asRunner(1));
      expect(told.body.cancel_requested).toBe(true);
      const events = await api.post(
        `/v1/runners/sessions/${s.id}/events`,
        [{ type: 'step', level: 'info', message: 'x' }],
        asRunner(1),
      );
      expect(events.body.cancel_requested).toBe(true);
      const report = await api.call(
        'PATCH',
        `/v1/runners/sessions/${s.id}`,
        { state: 'failed', error: 'stopped on request' },
        asRunner(1),
      );
      expect(report.body.state).toBe('cancelled');
    });

    it('cancel of a pending or paused session is immediate; of a finished one, 409', async () => {
      const p = await profile();
      const pending = await dispatch(p.id);
      expect((await api.post(`/v1/runners/sessions/${pending.id}/cancel`)).body.state).toBe('cancelled');
      expect((await api.post(`/v1/runners/sessions/${pending.id}/cancel`)).body.state).toBe('cancelled');
      const s = await claimed();
      await api.call('PATCH', `/v1/runners/sessions/${s.id}`, { state: 'succeeded' }, asRunner(1));
      expect((await api.post(`/v1/runners/sessions/${s.id}/cancel`)).status).toBe(409);
    });

    it('checkpoint → pause → resume → the next claimer gets the latest checkpoint', async () => {
      const s = await claimed();
      const first = await api.post(`/v1/runners/sessions/${s.id}/checkpoint`, { data: { step: 1 } }, asRunner(1));
      expect(first.body.seq).toBe(1);
      const paused = await api.post(
        `/v1/runners/sessions/${s.id}/checkpoint`,
        { data: { step: 2 }, pause: true },
        asRunner(1),
      );
      expect(paused.body).toMatchObject({
        seq: 2,
        session: { state: 'paused', runner_id: null, lease_expires_at: null },
      });
      // The runner's slot is free and its attempt is over: a late write is stale.
      expect((await api.post(`/v1/runners/sessions/${s.id}/heartbeat`, undefined, asRunner(1))).status).toBe(409);
      expect((await api.post('/v1/runners/sessions/claim', { runner_id: 'r9' })).body.items).toEqual([]);
      const resumed = await api.post(`/v1/runners/sessions/${s.id}/resume`);
      expect(resumed.body.state).toBe('pending');
      const next = await api.post('/v1/runners/sessions/claim', { runner_id: 'r9' });
      expect(next.body.items[0]).toMatchObject({
        id: s.id,
        attempt: 2,
        latest_checkpoint: { seq: 2, data: { step: 2 } },
      });
      expect((await api.post(`/v1/runners/sessions/${s.id}/resume`)).status).toBe(409);
    });

    it('a failed session with a checkpoint can be resumed; without one it cannot', async () => {
      const s = await claimed();
      await api.post(`/v1/runners/sessions/${s.id}/checkpoint`, { data: { step: 1 } }, asRunner(1));
      await api.call('PATCH', `/v1/runners/sessions/${s.id}`, { state: 'failed', error: 'boom' }, asRunner(1));
      expect((await api.post(`/v1/runners/sessions/${s.id}/resume`)).body.state).toBe('pending');
      const p = await profile('plain');
      const other = await dispatch(p.id);
      await api.post(`/v1/runners/sessions/${other.id}/claim`, { runner_id: 'r2' });
      await api.call('PATCH', `/v1/runners/sessions/${other.id}`, { state: 'failed', error: 'boom' }, asRunner(1));
      const refused = await api.post(`/v1/runners/sessions/${other.id}/resume`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toContain('failed');
    });
  });

  describe('events', () => {
    it('appends batches with server-assigned seq and reads them back with after/limit/type', async () => {
      const p = await profile();
      const s = await dispatch(p.id);
      const reply = await api.post(`/v1/runners/sessions/${s.id}/events`, [
        { type: 'step', level: 'info', message: 'one', data: { n: 1 } },
        { type: 'approval', level: 'warn', message: 'two', ts: '2026-01-01T00:00:00.000Z' },
      ]);
      expect(reply.status).toBe(200);
      const [one, two] = reply.body.items;
      expect(two.seq).toBe(one.seq + 1);
      expect(two.ts).toBe('2026-01-01T00:00:00.000Z');
      expect(one.received_at).toBeTruthy();
      const steps = await api.get(`/v1/runners/sessions/${s.id}/events?type=step`);
      expect(steps.body.items.map((e: { message: string }) => e.message)).toEqual(['one']);
      const after = await api.get(`/v1/runners/sessions/${s.id}/events?after=${one.seq}`);
      expect(after.body.items.map((e: { message: string }) => e.message)).toEqual(['two']);
    });

    it.each([
      [[], ''],
      [Array.from({ length: 501 }, () => ({ type: 't', level: 'info', message: 'm' })), ''],
      [[{ type: 't', level: 'loud', message: 'm' }], '[0].level'],
      [[{ level: 'info', message: 'm' }], '[0].type'],
    ])('refuses a bad batch (case %#)', async (body, field) => {
      const p = await profile();
      const s = await dispatch(p.id);
      const reply = await api.post(`/v1/runners/sessions/${s.id}/events`, body);
      expect(reply.status).toBe(400);
      expect(reply.body.error.field).toBe(field || 'body');
    });

    it('review tasks are sessions of the ai-review profile, their phases and logs visible as events', async () => {
      await register(api, 'r1');
      const review = await createReview(api);
      const [task] = await claim(api, 'r1');
      await api.post(`/api/runners/tasks/${task.id}/status`, { status: 'cloning' });
      await api.post(`/api/runners/tasks/${task.id}/logs`, { logs: ['hello'] });
      await api.post(`/api/runners/tasks/${task.id}/result`, resultBody('r1'));
      const session = (await api.get(`/v1/runners/sessions/${review.taskId}`)).body;
      expect(session).toMatchObject({ profile_id: 'ai-review', state: 'succeeded', task_id: review.id });
      const events = (await api.get(`/v1/runners/sessions/${task.id}/events`)).body.items;
      expect(events.map((e: { type: string; message: string }) => `${e.type}:${e.message}`)).toEqual([
        'state:created → pending',
        'state:pending → dispatched',
        'state:dispatched → running',
        'phase:cloning',
        'log:hello',
        'state:running → succeeded',
      ]);
    });
  });
});
