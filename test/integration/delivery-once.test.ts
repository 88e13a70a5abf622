// Delivery exactly once: GitLab discussions carry one marker each and are checked over every page before posting,
// and a worker renews its row lock while it posts, so a second worker never posts the same review again.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDue } from '../../src/delivery/worker.ts';
import { bindRepositories, createReview, register, resultBody } from '../support/review-fixtures.ts';
import { type Client, testConfig, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

const silent = { info() {}, warn() {}, error() {} };

/** A merge request's discussions, kept like GitLab keeps them and listed in pages of per_page. */
async function fakeGitLab() {
  const discussions: { notes: { body: string }[] }[] = [];
  const posts: string[] = [];
  let failPost: (body: string) => boolean = () => false;
  let slowMs = 0;
  const server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk) => {
      raw += chunk;
    });
    request.on('end', async () => {
      const url = new URL(request.url!, 'http://x');
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.method === 'GET') {
        const perPage = Number(url.searchParams.get('per_page') ?? 20);
        const page = Number(url.searchParams.get('page') ?? 1);
        return reply(200, discussions.slice((page - 1) * perPage, page * perPage));
      }
      const body = (JSON.parse(raw) as { body: string }).body;
      if (failPost(body)) return reply(502, { message: 'bad gateway' });
      if (slowMs) await new Promise((resolve) => setTimeout(resolve, slowMs));
      posts.push(body);
      discussions.push({ notes: [{ body }] });
      reply(201, { id: discussions.length });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    discussions,
    posts,
    failWhen: (predicate: (body: string) => boolean) => {
      failPost = predicate;
    },
    slow: (ms: number) => {
      slowMs = ms;
    },
    close: () => server.close(),
  };
}

describe.each(STORE_KINDS)('delivery exactly once on the %s store', (kind) => {
  let gitlab: Awaited<ReturnType<typeof fakeGitLab>>;
  beforeAll(async () => {
    gitlab = await fakeGitLab();
  });
  afterAll(() => gitlab?.close());
  const t = useTestServer(kind, {
    config: () => ({
      delivery: {
        ...testConfig().delivery,
        gitlabApiUrl: `${gitlab.url}/api/v4`,
        gitlabToken: 'glpat',
        maxAttempts: 5,
      },
    }),
  });

  async function finishedReview(api: Client, comments: number) {
    await bindRepositories(await t.client(['admin']), 'gitlab', ['acme/*']);
    await register(api, 'r1');
    const review = await createReview(api, { pullRequest: { provider: 'gitlab', repository: 'acme/app', number: 7 } });
    await api.get('/api/runners/tasks/pending?runnerId=r1');
    const files = [
      {
        path: 'src/app.ts',
        comments: Array.from({ length: comments }, (_v, i) => ({ line: 2, severity: 'minor', body: `note ${i}` })),
      },
    ];
    await api.post(`/api/runners/tasks/${review.taskId}/result`, {
      ...resultBody('r1'),
      files,
      totalComments: comments,
    });
    return review;
  }
  const due = () => t.db.query(`update outbox set next_attempt_at = now()`);

  it('a partial failure then a retry posts every comment exactly once, checking earlier posts over every page', async () => {
    const api = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    gitlab.discussions.length = 0;
    gitlab.posts.length = 0;
    // Someone else's 150 discussions first: the markers of an earlier attempt sit on the second page.
    for (let i = 0; i < 150; i++) gitlab.discussions.push({ notes: [{ body: `human ${i}` }] });
    const review = await finishedReview(api, 3);
    gitlab.failWhen((body) => body.includes('note 1'));
    expect(await deliverDue(t.server.core, silent)).toBe(1);
    // The first attempt posted comment 0 and failed on comment 1.
    expect(gitlab.posts.map((body) => body.split('\n')[0])).toEqual([expect.stringContaining('note 0')]);
    expect((await api.get(`/api/reviews/${review.id}`)).body.data.delivery).toBe('pending');
    gitlab.failWhen(() => false);
    await due();
    expect(await deliverDue(t.server.core, silent)).toBe(1);
    await due();
    await deliverDue(t.server.core, silent);
    for (const note of ['note 0', 'note 1', 'note 2']) {
      expect(gitlab.posts.filter((body) => body.includes(note))).toHaveLength(1);
    }
    expect(gitlab.posts.filter((body) => body.includes(`runplane-review:${review.id} -->`))).toHaveLength(1);
    expect((await api.get(`/api/reviews/${review.id}`)).body.data.delivery).toBe('delivered');
  });

  it('a second worker racing a long post posts nothing: the lock is renewed while the first posts', async () => {
    const api = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    gitlab.discussions.length = 0;
    gitlab.posts.length = 0;
    await finishedReview(api, 0);
    gitlab.slow(1500);
    try {
      // Locks of 600 ms: without renewal the second worker would take the row at 800 ms and post again.
      const first = deliverDue(t.server.core, silent, 600);
      await new Promise((resolve) => setTimeout(resolve, 800));
      const second = await deliverDue(t.server.core, silent, 600);
      await first;
      expect(second).toBe(0);
    } finally {
      gitlab.slow(0);
    }
    expect(gitlab.posts).toHaveLength(1);
  });
});
