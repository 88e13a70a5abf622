// /api/reviews over real HTTP on each store: creation, reading, listing, and the outbox written with a result.
import { beforeEach, describe, expect, it } from 'vitest';
import { bindRepositories, claim, createReview, register, resultBody, reviewBody } from '../support/review-fixtures.ts';
import { type Client, testConfig, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('/api/reviews on the %s store', (kind) => {
  // Destinations configured, no delivery worker running: rows stay pending for the assertions.
  const t = useTestServer(kind, {
    config: {
      delivery: {
        ...testConfig().delivery,
        githubToken: 'ghp_test',
        webhookUrl: 'http://127.0.0.1:9/hook',
        webhookSecret: 's',
      },
    },
  });
  let api: Client;

  beforeEach(async () => {
    api = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    await bindRepositories(await t.client(['admin']), 'github', ['acme/*']);
  });

  describe('the repositories an org may post to', () => {
    const pr = (repository: string, provider = 'github') => ({ pullRequest: { provider, repository, number: 1 } });

    it('a review naming a repository outside the org’s binding is refused with 400 and creates nothing', async () => {
      for (const [overrides, why] of [
        [pr('evil/app'), 'another owner'],
        [pr('acme/app', 'gitlab'), 'bound for github only'],
        [pr('acme'), 'not a path'],
        [pr('../../admin?x='), 'not a path'],
        [pr('acme/../other/app'), 'dot segments'],
      ] as const) {
        const reply = await api.post('/api/reviews', reviewBody(overrides));
        expect(reply.status, why).toBe(400);
        expect(reply.body.error.field, why).toBe('pullRequest.repository');
      }
      expect((await api.get('/api/reviews')).body.data).toEqual([]);
      const refused = await api.post('/api/reviews', reviewBody(pr('evil/app')));
      expect(refused.body.error.message).toContain('PUT /v1/integrations/github');
    });

    it('matches exact paths and prefixes case-insensitively; another org’s binding does not count', async () => {
      const admin = await t.client(['admin']);
      await bindRepositories(admin, 'gitlab', ['Group/Sub/*', 'other/exact']);
      expect((await admin.get('/v1/integrations')).body).toEqual({
        github: { repositories: ['acme/*'] },
        gitlab: { repositories: ['Group/Sub/*', 'other/exact'] },
      });
      for (const repository of ['group/sub/app', 'GROUP/SUB/deeper/app', 'other/EXACT', 'ACME/App']) {
        const provider = repository.toLowerCase().startsWith('acme') ? 'github' : 'gitlab';
        expect((await api.post('/api/reviews', reviewBody(pr(repository, provider)))).status, repository).toBe(201);
      }
      for (const repository of ['group/subx/app', 'other/exact2', 'group/sub']) {
        expect((await api.post('/api/reviews', reviewBody(pr(repository, 'gitlab')))).status, repository).toBe(400);
      }
      const stranger = await t.client(['runners:dispatch'], { org: 'globex' });
      expect((await stranger.post('/api/reviews', reviewBody(pr('acme/app')))).status).toBe(400);
    });

    it('only an admin sets the binding, and every entry must be a path or a prefix', async () => {
      const reply = await api.call('PUT', '/v1/integrations/github', { repositories: ['acme/*'] });
      expect(reply.status).toBe(403);
      const admin = await t.client(['admin']);
      for (const bad of [['acme'], ['*'], ['acme/**'], ['../x/y'], ['acme/a b']]) {
        const refused = await admin.call('PUT', '/v1/integrations/github', { repositories: bad });
        expect(refused.status, bad[0]).toBe(400);
        expect(refused.body.error.field, bad[0]).toMatch(/^repositories/);
      }
      expect((await admin.call('PUT', '/v1/integrations/bitbucket', { repositories: [] })).status).toBe(400);
      expect((await admin.call('PUT', '/v1/integrations/github', { repositories: [] })).body.github).toEqual({
        repositories: [],
      });
      expect((await api.post('/api/reviews', reviewBody(pr('acme/app')))).status).toBe(400);
    });
  });

  describe('POST /api/reviews', () => {
    it('creates a review with its task, queued for runners', async () => {
      const reply = await api.post(
        '/api/reviews',
        reviewBody({ requiredTags: ['gpu'], pullRequest: { provider: 'github', repository: 'acme/app', number: 42 } }),
      );
      expect(reply.status).toBe(201);
      expect(reply.body.data).toMatchObject({
        status: 'pending',
        repositoryUrl: 'https://git.example.com/acme/app.git',
        changedFiles: 1,
        requiredTags: ['gpu'],
        pullRequest: { provider: 'github', repository: 'acme/app', number: 42 },
        rating: null,
        totalComments: null,
        delivery: null,
      });
      expect(reply.body.data.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(reply.body.data.taskId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it.each([
      [{ repositoryUrl: undefined }, 'repositoryUrl'],
      [{ commitSha: 'not-a-sha' }, 'commitSha'],
      [{ files: 'a.ts' }, 'files'],
      [{ files: [{ status: 'added' }] }, 'files[0].path'],
      [{ aiConfig: { provider: 'openai' } }, 'aiConfig.model'],
      [{ pullRequest: { provider: 'bitbucket', repository: 'a/b', number: 1 } }, 'pullRequest.provider'],
      [{ pullRequest: { provider: 'github', repository: 'a/b', number: '7' } }, 'pullRequest.number'],
    ])('refuses an invalid body naming %s (case %#), creating nothing', async (overrides, field) => {
      const reply = await api.post('/api/reviews', reviewBody(overrides));
      expect(reply.status).toBe(400);
      expect(reply.body.error).toMatchObject({ code: 'invalid_request', field });
      expect((await api.get('/api/reviews')).body.data).toEqual([]);
      expect(await t.db.query('select 1 from items')).toEqual([]);
    });
  });

  describe('GET /api/reviews/:id and GET /api/reviews', () => {
    it('reads one review; unknown ids answer 404', async () => {
      const review = await createReview(api);
      expect((await api.get(`/api/reviews/${review.id}`)).body.data).toEqual(review);
      expect((await api.get('/api/reviews/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    });

    it('lists newest first with a cursor, and filters by status', async () => {
      const created = [];
      for (let i = 0; i < 5; i++) created.push(await createReview(api));
      await register(api, 'r1');
      await claim(api, 'r1');
      const page1 = await api.get('/api/reviews?limit=2');
      expect(page1.body.data.map((r: { id: string }) => r.id)).toEqual([created[4].id, created[3].id]);
      const page2 = await api.get(`/api/reviews?limit=2&cursor=${page1.body.nextCursor}`);
      expect(page2.body.data.map((r: { id: string }) => r.id)).toEqual([created[2].id, created[1].id]);
      const page3 = await api.get(`/api/reviews?limit=2&cursor=${page2.body.nextCursor}`);
      expect(page3.body.data.map((r: { id: string }) => r.id)).toEqual([created[0].id]);
      expect(page3.body.nextCursor).toBeNull();
      const dispatched = await api.get('/api/reviews?status=dispatched,running');
      expect(dispatched.body.data.map((r: { id: string }) => r.id)).toEqual([created[0].id]);
    });

    it.each([
      ['status=bogus', 'status'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['cursor=%21%21', 'cursor'],
    ])('refuses ?%s naming %s', async (query, field) => {
      const reply = await api.get(`/api/reviews?${query}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error.field).toBe(field);
    });
  });

  describe('a submitted result', () => {
    it('updates the review and writes one outbox row per destination in the same transaction', async () => {
      const review = await createReview(api, {
        pullRequest: { provider: 'github', repository: 'acme/app', number: 7 },
      });
      await register(api, 'r1');
      const [task] = await claim(api, 'r1');
      const body = resultBody('r1', {
        files: [
          { path: 'src/app.ts', comments: [{ line: 2, endLine: 3, severity: 'major', body: 'b is unused' }] },
          { path: 'src/b.ts', comments: [{ line: 9, severity: 'info', body: 'ok', suggestion: 'const x = 1;' }] },
        ],
        totalComments: 2,
        rating: 'C',
        metrics: { durationMs: 900, cloneMs: 100, reviewMs: 700 },
      });
      expect((await api.post(`/api/runners/tasks/${task.id}/result`, body)).status).toBe(200);
      expect((await api.post(`/api/runners/tasks/${task.id}/result`, body)).status).toBe(200);
      const stored = (await api.get(`/api/reviews/${review.id}`)).body.data;
      expect(stored).toMatchObject({
        status: 'succeeded',
        rating: 'C',
        totalComments: 2,
        files: body.files,
        metrics: { durationMs: 900, cloneMs: 100, reviewMs: 700 },
        delivery: 'pending',
      });
      const outbox = await t.db.query<{ topic: string; destination: string; payload: unknown }>(
        'select topic, destination, payload from outbox order by destination',
      );
      const payload = { reviewId: review.id, taskId: task.id, status: 'succeeded' };
      expect(outbox).toEqual([
        { topic: 'review.completed', destination: 'github', payload },
        { topic: 'review.completed', destination: 'webhook', payload },
      ]);
    });

    it('a refused result writes neither the review nor the outbox', async () => {
      await createReview(api);
      await register(api, 'r1');
      const [task] = await claim(api, 'r1');
      const reply = await api.post(`/api/runners/tasks/${task.id}/result`, resultBody('r1', { totalComments: 5 }));
      expect(reply.status).toBe(400);
      expect(await t.db.query('select 1 from outbox')).toEqual([]);
      expect((await api.get(`/api/runners/tasks/${task.id}`)).body.data.status).toBe('dispatched');
    });
  });
});
