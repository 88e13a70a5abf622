// The /api/runners contract over real HTTP, on each store.
import { beforeEach, describe, expect, it } from 'vitest';
import { claim, createReview, register, resultBody } from '../support/review-fixtures.ts';
import { type Client, client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('/api/runners on the %s store', (kind) => {
  const t = useTestServer(kind);
  let api: Client;
  let reader: Client;

  beforeEach(async () => {
    api = await t.client(['runners:write', 'runners:dispatch', 'runners:read']);
    reader = await t.client(['runners:read']);
  });

  describe('POST /api/runners/register', () => {
    it('creates a runner from headers with the documented defaults', async () => {
      const reply = await api.post('/api/runners/register', undefined, { 'x-runner-id': 'runner-001' });
      expect(reply.status).toBe(200);
      expect(reply.body.data).toMatchObject({
        id: 'runner-001',
        name: 'runner-001',
        version: 'unknown',
        maxConcurrency: 5,
        tags: [],
        status: 'online',
      });
    });

    it('upserts: a second registration updates the same runner', async () => {
      await register(api, 'runner-001', { 'x-runner-name': 'Old', 'x-runner-tags': 'gpu' });
      const runner = await register(api, 'runner-001', {
        'x-runner-name': 'My Runner',
        'x-runner-version': '1.2.0',
        'x-runner-max-concurrency': '3',
        'x-runner-tags': 'gpu, fast',
      });
      expect(runner).toMatchObject({ name: 'My Runner', version: '1.2.0', maxConcurrency: 3, tags: ['fast', 'gpu'] });
      const list = await reader.get('/api/runners');
      expect(list.body.data).toHaveLength(1);
    });

    it('accepts an empty JSON body with a JSON content type', async () => {
      const reply = await api.call('POST', '/api/runners/register', '', {
        'x-runner-id': 'r-empty',
        'content-type': 'application/json',
      });
      expect(reply.status).toBe(200);
    });

    it.each([
      [{}, 'x-runner-id'],
      [{ 'x-runner-id': 'r1', 'x-runner-max-concurrency': 'many' }, 'x-runner-max-concurrency'],
      [{ 'x-runner-id': 'r1', 'x-runner-max-concurrency': '0' }, 'x-runner-max-concurrency'],
      [{ 'x-runner-id': 'bad id!' }, 'x-runner-id'],
    ])('refuses bad headers %j naming %s', async (headers, field) => {
      const reply = await api.post('/api/runners/register', undefined, headers as Record<string, string>);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('invalid_request');
      expect(reply.body.error.field).toBe(field);
      expect(reply.body.error.message).toContain(field);
      expect((await reader.get('/api/runners')).body.data).toHaveLength(0);
    });
  });

  describe('GET /api/runners and /api/runners/:id', () => {
    it('lists runners by most recent heartbeat', async () => {
      await register(api, 'a');
      await register(api, 'b');
      await api.post('/api/runners/a/heartbeat', { status: 'online', currentJobs: 0 });
      const list = await reader.get('/api/runners');
      expect(list.status).toBe(200);
      expect(list.body.data.map((r: { id: string }) => r.id)).toEqual(['a', 'b']);
    });

    it('gets one runner, and 404 for an unknown one', async () => {
      await register(api, 'a');
      expect((await reader.get('/api/runners/a')).body.data.id).toBe('a');
      const missing = await reader.get('/api/runners/nope');
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('not_found');
    });
  });

  describe('POST /api/runners/:id/heartbeat', () => {
    it('records status and currentJobs and answers cancelTaskIds', async () => {
      await register(api, 'r1');
      const reply = await api.post('/api/runners/r1/heartbeat', { status: 'busy', currentJobs: 2 });
      expect(reply.status).toBe(200);
      expect(reply.body.data).toMatchObject({ id: 'r1', status: 'busy', currentJobs: 2, cancelTaskIds: [] });
    });

    it('refuses a bad body naming the field', async () => {
      await register(api, 'r1');
      const bad = await api.post('/api/runners/r1/heartbeat', { status: 'sleeping', currentJobs: 0 });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('status');
      const missing = await api.post('/api/runners/r1/heartbeat', { status: 'online' });
      expect(missing.body.error.field).toBe('currentJobs');
    });

    it('answers 404 for an unregistered runner', async () => {
      const reply = await api.post('/api/runners/ghost/heartbeat', { status: 'online', currentJobs: 0 });
      expect(reply.status).toBe(404);
    });
  });

  describe('GET /api/runners/tasks/pending', () => {
    it('claims the oldest pending task with everything a runner needs', async () => {
      await register(api, 'r1');
      const review = await createReview(api);
      await createReview(api);
      const tasks = await claim(api, 'r1');
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({
        id: review.taskId,
        reviewId: review.id,
        repositoryUrl: 'https://git.example.com/acme/app.git',
        branch: 'feature/x',
        commitSha: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
        baseSha: '0123456789abcdef0123456789abcdef01234567',
        files: [{ path: 'src/app.ts', status: 'modified' }],
        aiConfig: { provider: 'openai', model: 'gpt-test' },
        attempt: 1,
        status: 'dispatched',
      });
      expect(Date.parse(tasks[0].leaseExpiresAt)).toBeGreaterThan(Date.now());
      expect(Date.parse(tasks[0].createdAt)).toBeLessThanOrEqual(Date.now());
    });

    it('honours limit and answers an empty list when nothing is pending', async () => {
      await register(api, 'r1');
      for (let i = 0; i < 3; i++) await createReview(api);
      expect(await claim(api, 'r1', '&limit=2')).toHaveLength(2);
      expect(await claim(api, 'r1', '&limit=2')).toHaveLength(1);
      expect(await claim(api, 'r1')).toHaveLength(0);
    });

    it('routes by tags: a task goes only to a runner holding all its required tags', async () => {
      await register(api, 'plain');
      await register(api, 'gpu', { 'x-runner-tags': 'gpu,fast' });
      const review = await createReview(api, { requiredTags: ['gpu'] });
      expect(await claim(api, 'plain')).toHaveLength(0);
      expect((await claim(api, 'gpu')).map((t) => t.id)).toEqual([review.taskId]);
    });

    it('never gives a runner more tasks than its max concurrency', async () => {
      await register(api, 'r1', { 'x-runner-max-concurrency': '2' });
      for (let i = 0; i < 4; i++) await createReview(api);
      expect(await claim(api, 'r1', '&limit=5')).toHaveLength(2);
      expect(await claim(api, 'r1', '&limit=5')).toHaveLength(0);
    });

    it('long-polls with wait and returns as soon as a task is dispatched', async () => {
      await register(api, 'r1');
      const pending = claim(api, 'r1', '&wait=20');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const review = await createReview(api);
      const tasks = await pending;
      expect(tasks.map((t) => t.id)).toEqual([review.taskId]);
    });

    it('answers 404 for a runner that is not registered', async () => {
      const reply = await api.get('/api/runners/tasks/pending?runnerId=ghost');
      expect(reply.status).toBe(404);
      expect(reply.body.error.message).toContain('ghost');
    });

    it.each([
      ['', 'runnerId'],
      ['runnerId=r1&limit=0', 'limit'],
      ['runnerId=r1&limit=abc', 'limit'],
      ['runnerId=r1&wait=61', 'wait'],
    ])('refuses query %s naming %s', async (query, field) => {
      await register(api, 'r1');
      const reply = await api.get(`/api/runners/tasks/pending?${query}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error.field).toBe(field);
    });
  });

  describe('task writes: status, logs, result', () => {
    async function claimed(runnerId = 'r1') {
      await register(api, runnerId);
      const review = await createReview(api);
      const [task] = await claim(api, runnerId);
      return { review, task };
    }

    it('a phase report moves the task to running and is recorded', async () => {
      const { task } = await claimed();
      const reply = await api.post(`/api/runners/tasks/${task.id}/status`, { status: 'cloning' });
      expect(reply.status).toBe(200);
      expect(reply.body.data).toMatchObject({ status: 'running', phase: 'cloning' });
      const bad = await api.post(`/api/runners/tasks/${task.id}/status`, { status: 'dancing' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('status');
    });

    it('appends logs and reads them back in order with sequence numbers', async () => {
      const { task } = await claimed();
      const first = await api.post(`/api/runners/tasks/${task.id}/logs`, { logs: ['one', 'two'] });
      expect(first.status).toBe(200);
      expect(first.body.data).toMatchObject({ appended: 2, cancelRequested: false });
      await api.post(`/api/runners/tasks/${task.id}/logs`, { logs: ['three'] });
      const all = await reader.get(`/api/runners/tasks/${task.id}/logs`);
      expect(all.body.data.map((l: { line: string }) => l.line)).toEqual(['one', 'two', 'three']);
      const seqs = all.body.data.map((l: { seq: number }) => l.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const rest = await reader.get(`/api/runners/tasks/${task.id}/logs?after=${seqs[0]}&limit=1`);
      expect(rest.body.data.map((l: { line: string }) => l.line)).toEqual(['two']);
      expect(rest.body.nextAfter).toBe(seqs[1]);
    });

    it.each([
      [{ logs: [] }, 'logs'],
      [{ logs: Array.from({ length: 201 }, () => 'x') }, 'logs'],
      [{ logs: ['ok', 'x'.repeat(16 * 1024 + 1)] }, 'logs[1]'],
      [{ logs: ['ok', 'é'.repeat(9000)] }, 'logs[1]'],
      [{ logs: ['ok', 5] }, 'logs[1]'],
      [{}, 'logs'],
    ])('refuses a bad log batch (case %#), writing nothing', async (body, field) => {
      const { task } = await claimed();
      const reply = await api.post(`/api/runners/tasks/${task.id}/logs`, body);
      expect(reply.status).toBe(400);
      expect(reply.body.error.field).toBe(field);
      expect((await reader.get(`/api/runners/tasks/${task.id}/logs`)).body.data).toEqual([]);
    });

    it('a result finishes the task and updates the review; the same body again answers the same record', async () => {
      const { review, task } = await claimed();
      const body = resultBody('r1', { logs: ['done'] });
      const first = await api.post(`/api/runners/tasks/${task.id}/result`, body);
      expect(first.status).toBe(200);
      expect(first.body.data).toMatchObject({ id: task.id, status: 'succeeded', leaseExpiresAt: null });
      const again = await api.post(`/api/runners/tasks/${task.id}/result`, body);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      const other = await api.post(`/api/runners/tasks/${task.id}/result`, resultBody('r1', { rating: 'A' }));
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('task_finished');
      const stored = await reader.get(`/api/reviews/${review.id}`);
      // No pull request and no webhook configured: nothing to post.
      expect(stored.body.data).toMatchObject({ status: 'succeeded', rating: 'B', totalComments: 1, delivery: null });
      const logs = await reader.get(`/api/runners/tasks/${task.id}/logs`);
      expect(logs.body.data.map((l: { line: string }) => l.line)).toEqual(['done']);
    });

    it('a failed result needs an error and records it', async () => {
      const { review, task } = await claimed();
      const missing = await api.post(
        `/api/runners/tasks/${task.id}/result`,
        resultBody('r1', { status: 'failed', files: [], totalComments: 0 }),
      );
      expect(missing.status).toBe(400);
      expect(missing.body.error.field).toBe('error');
      const failed = await api.post(
        `/api/runners/tasks/${task.id}/result`,
        resultBody('r1', { status: 'failed', files: [], totalComments: 0, error: 'clone failed: no such ref' }),
      );
      expect(failed.status).toBe(200);
      const stored = await reader.get(`/api/reviews/${review.id}`);
      expect(stored.body.data).toMatchObject({ status: 'failed', error: 'clone failed: no such ref' });
    });

    it.each([
      [{ totalComments: 3 }, 'totalComments'],
      [{ rating: 'E' }, 'rating'],
      [{ status: 'done' }, 'status'],
      [{ metrics: {} }, 'metrics.durationMs'],
      [
        { files: [{ path: 'a', comments: [{ line: 1, severity: 'huge', body: 'x' }] }] },
        'files[0].comments[0].severity',
      ],
      [{ runnerId: undefined }, 'runnerId'],
    ])('refuses an invalid result naming %1$s and leaves the task running (case %#)', async (overrides, field) => {
      const { task } = await claimed();
      const reply = await api.post(`/api/runners/tasks/${task.id}/result`, resultBody('r1', overrides));
      expect(reply.status).toBe(400);
      expect(reply.body.error.field).toBe(field);
      expect((await reader.get(`/api/runners/tasks/${task.id}`)).body.data.status).toBe('dispatched');
    });

    it('any write to a finished task is refused with 409', async () => {
      const { task } = await claimed();
      await api.post(`/api/runners/tasks/${task.id}/result`, resultBody('r1'));
      const status = await api.post(`/api/runners/tasks/${task.id}/status`, { status: 'reviewing' });
      expect(status.status).toBe(409);
      const logs = await api.post(`/api/runners/tasks/${task.id}/logs`, { logs: ['late'] });
      expect(logs.status).toBe(409);
      expect(logs.body.error.code).toBe('task_finished');
    });

    it('writes to an unknown task answer 404', async () => {
      await register(api, 'r1');
      const id = '00000000-0000-4000-8000-000000000000';
      expect((await api.post(`/api/runners/tasks/${id}/status`, { status: 'cloning' })).status).toBe(404);
      expect((await api.post(`/api/runners/tasks/${id}/logs`, { logs: ['x'] })).status).toBe(404);
      expect((await api.post(`/api/runners/tasks/${id}/result`, resultBody('r1'))).status).toBe(404);
    });
  });

  describe('DELETE /api/runners/:id', () => {
    it('marks the runner offline and releases its unfinished tasks at once', async () => {
      await register(api, 'r1');
      const review = await createReview(api);
      await claim(api, 'r1');
      const reply = await api.delete('/api/runners/r1');
      expect(reply.status).toBe(200);
      expect(reply.body.data).toMatchObject({ id: 'r1', status: 'offline', releasedTaskIds: [review.taskId] });
      await register(api, 'r2');
      const [again] = await claim(api, 'r2');
      expect(again).toMatchObject({ id: review.taskId, attempt: 2 });
    });

    it('answers 404 for an unknown runner', async () => {
      expect((await api.delete('/api/runners/ghost')).status).toBe(404);
    });
  });

  describe('errors and limits', () => {
    it('malformed JSON answers 400 invalid_json', async () => {
      await register(api, 'r1');
      const reply = await api.call('POST', '/api/runners/r1/heartbeat', '{"status":', {
        'content-type': 'application/json',
      });
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('invalid_json');
    });

    it('a body over 1 MiB answers 413', async () => {
      const reply = await api.post('/api/reviews', { pad: 'x'.repeat(1024 * 1024 + 10) });
      expect(reply.status).toBe(413);
      expect(reply.body.error.code).toBe('payload_too_large');
    });

    it('a non-JSON body answers 415', async () => {
      const reply = await api.call('POST', '/api/reviews', 'hello', { 'content-type': 'text/plain' });
      expect(reply.status).toBe(415);
    });

    it('an unknown route answers 404 JSON', async () => {
      const reply = await api.get('/api/nothing-here');
      expect(reply.status).toBe(404);
      expect(reply.body.error.code).toBe('route_not_found');
    });

    it('another org cannot see or touch this org’s runners and tasks (404)', async () => {
      await register(api, 'r1');
      const review = await createReview(api);
      const [task] = await claim(api, 'r1');
      const other = await t.client(['runners:read', 'runners:write'], { org: 'globex' });
      expect((await other.get('/api/runners/r1')).status).toBe(404);
      expect((await other.get(`/api/runners/tasks/${task.id}`)).status).toBe(404);
      expect((await other.get(`/api/reviews/${review.id}`)).status).toBe(404);
      expect((await other.post(`/api/runners/tasks/${task.id}/logs`, { logs: ['x'] })).status).toBe(404);
      expect((await other.post(`/api/runners/tasks/${task.id}/result`, resultBody('r1'))).status).toBe(404);
      expect((await other.delete('/api/runners/r1')).status).toBe(404);
      expect((await other.get('/api/runners')).body.data).toEqual([]);
    });
  });

  it('serves health, readiness and the OpenAPI document', async () => {
    expect((await client(t.server.url, null).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await client(t.server.url, null).get('/readyz')).body).toEqual({ status: 'ready' });
    const doc = (await client(t.server.url, null).get('/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/runners',
        '/api/runners/register',
        '/api/runners/{id}/heartbeat',
        '/api/runners/tasks/pending',
        '/api/runners/tasks/{id}/result',
        '/api/reviews',
      ]),
    );
  });
});

describe('the OpenAPI document and the rate limit', () => {
  const t = useTestServer('embedded', { config: { rateLimitPerMinute: 3 } });

  it('documents parameters with defaults as optional and marks extensions', async () => {
    const doc = (await client(t.server.url, null).get('/openapi.json')).body;
    const claim = doc.paths['/api/runners/tasks/pending'].get;
    const required = Object.fromEntries(
      claim.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required]),
    );
    expect(required).toEqual({ runnerId: true, limit: false, wait: false, 'x-runner-instance': false });
    expect(doc.paths['/api/runners/tasks/{id}/logs'].get['x-runplane-extension']).toBe(true);
    expect(doc.paths['/api/reviews/{id}/cancel'].post['x-runplane-extension']).toBe(true);
  });

  it('answers 429 rate_limited as JSON once a credential exceeds its limit', async () => {
    const api = await t.client(['runners:read']);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await api.get('/api/runners')).status);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    const limited = await api.get('/api/runners');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
  });
});
