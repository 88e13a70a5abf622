// The delivery worker against HTTP servers on 127.0.0.1 speaking each destination's wire format: a signed generic
// webhook (with a failure and a retry), GitLab merge-request discussions, and giving up after the last attempt.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverDue } from '../../src/delivery/worker.ts';
import { bindRepositories, claim, createReview, register, resultBody } from '../support/review-fixtures.ts';
import { type Client, testConfig, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function recorder(answer: (request: Received, count: number) => number) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const entry = { method: request.method!, url: request.url!, headers: request.headers, body };
      received.push(entry);
      const status = answer(entry, received.length);
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(request.method === 'GET' ? '[]' : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => server.close() };
}

/** The worker's log lines, by level: `fields` is what it logged with the message. */
const logged: { level: string; fields: Record<string, unknown> }[] = [];
const log = {
  info: (fields: object) => void logged.push({ level: 'info', fields: fields as Record<string, unknown> }),
  warn: (fields: object) => void logged.push({ level: 'warn', fields: fields as Record<string, unknown> }),
  error: (fields: object) => void logged.push({ level: 'error', fields: fields as Record<string, unknown> }),
};
const deliveryEvents = () => logged.filter((line) => String(line.fields['event']).startsWith('delivery.'));

describe.each(STORE_KINDS)('delivery on the %s store', (kind) => {
  let webhook: Awaited<ReturnType<typeof recorder>>;
  let gitlab: Awaited<ReturnType<typeof recorder>>;
  let api: Client;
  let webhookAnswers: number[];

  // Registered before the fixture, so the destinations listen before the server's config names their URLs.
  beforeAll(async () => {
    webhook = await recorder((_r, n) => webhookAnswers[n - 1] ?? 200);
    gitlab = await recorder(() => 201);
  });
  afterAll(() => {
    webhook?.close();
    gitlab?.close();
  });
  const t = useTestServer(kind, {
    config: () => ({
      delivery: {
        ...testConfig().delivery,
        webhookUrl: `${webhook.url}/hook`,
        webhookSecret: 'hook-secret',
        gitlabApiUrl: `${gitlab.url}/api/v4`,
        gitlabToken: 'glpat-test',
        maxAttempts: 2,
      },
    }),
  });
  beforeEach(async () => {
    webhook.received.length = 0;
    gitlab.received.length = 0;
    webhookAnswers = [];
    logged.length = 0;
    api = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    const admin = await t.client(['admin']);
    await bindRepositories(admin, 'github', ['acme/app']);
    await bindRepositories(admin, 'gitlab', ['acme/app']);
  });

  async function finishedReview(overrides: Record<string, unknown> = {}) {
    const review = await createReview(api, overrides);
    await register(api, 'r1');
    const [task] = await claim(api, 'r1');
    await api.post(`/api/runners/tasks/${task.id}/result`, resultBody('r1'));
    return review;
  }

  /** Runs worker passes, letting retries fall due at once. */
  async function drain(passes = 4) {
    for (let i = 0; i < passes; i++) {
      await t.db.query(`update outbox set next_attempt_at = now() where status = 'pending'`);
      await deliverDue(t.server.core, log);
    }
  }

  it('posts a signed webhook; a failed attempt is retried and the review shows delivered', async () => {
    webhookAnswers = [503, 200];
    const review = await finishedReview();
    await deliverDue(t.server.core, log);
    const afterFailure = (await api.get(`/api/reviews/${review.id}`)).body.data;
    expect(afterFailure).toMatchObject({ delivery: 'pending' });
    expect(afterFailure.deliveryError).toContain('503');
    await drain(1);
    expect((await api.get(`/api/reviews/${review.id}`)).body.data).toMatchObject({ delivery: 'delivered' });
    expect(webhook.received).toHaveLength(2);
    const last = webhook.received[1]!;
    const expected = createHmac('sha256', 'hook-secret').update(last.body).digest('hex');
    expect(last.headers['x-runplane-signature-256']).toBe(`sha256=${expected}`);
    expect(JSON.parse(last.body)).toMatchObject({ event: 'review.completed', review: { id: review.id, rating: 'B' } });
    const ids = { orgId: expect.any(String), reviewId: review.id, destination: 'webhook' };
    expect(deliveryEvents()).toEqual([
      {
        level: 'warn',
        fields: { event: 'delivery.retrying', ...ids, attempt: 1, err: expect.stringContaining('503') },
      },
      { level: 'info', fields: { event: 'delivery.delivered', ...ids, attempt: 2 } },
    ]);
  });

  it('gives up after the last attempt and shows failed with the error', async () => {
    webhookAnswers = [500, 500, 500];
    const review = await finishedReview();
    await drain(3);
    const stored = (await api.get(`/api/reviews/${review.id}`)).body.data;
    expect(stored).toMatchObject({ delivery: 'failed' });
    expect(stored.deliveryError).toContain('500');
    expect(webhook.received).toHaveLength(2);
    expect(deliveryEvents().at(-1)).toEqual({
      level: 'error',
      fields: expect.objectContaining({
        event: 'delivery.failed',
        reviewId: review.id,
        destination: 'webhook',
        attempt: 2,
      }),
    });
  });

  it('posts GitLab merge-request discussions: one per comment, then the summary', async () => {
    const review = await finishedReview({ pullRequest: { provider: 'gitlab', repository: 'acme/app', number: 7 } });
    await drain(1);
    expect((await api.get(`/api/reviews/${review.id}`)).body.data.delivery).toBe('delivered');
    const posts = gitlab.received.filter((r) => r.method === 'POST');
    expect(posts.map((p) => p.url)).toEqual([
      '/api/v4/projects/acme%2Fapp/merge_requests/7/discussions',
      '/api/v4/projects/acme%2Fapp/merge_requests/7/discussions',
    ]);
    expect(posts[0]!.headers['private-token']).toBe('glpat-test');
    expect(JSON.parse(posts[0]!.body).position).toMatchObject({
      new_path: 'src/app.ts',
      new_line: 2,
      position_type: 'text',
    });
    expect(JSON.parse(posts[1]!.body).body).toContain(`runplane-review:${review.id}`);
  });
});
