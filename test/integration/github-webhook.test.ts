// A signed GitHub webhook payload is input like any body: every value used later is checked, and a bad one answers
// 400 naming it — no review is stored and no request goes to the GitHub API.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-services.ts';
import { testConfig, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

const SECRET = 'webhook-secret';
const SHA = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';

const payload = (overrides: { pr?: Record<string, unknown>; repository?: Record<string, unknown> } = {}) => ({
  action: 'opened',
  number: 7,
  pull_request: {
    number: 7,
    head: { sha: SHA, ref: 'feature/x', repo: { clone_url: 'https://github.com/acme/app.git' } },
    base: { sha: SHA, ref: 'main' },
    ...overrides.pr,
  },
  repository: { full_name: 'acme/app', clone_url: 'https://github.com/acme/app.git', ...overrides.repository },
});

describe.each(STORE_KINDS)('GitHub webhook payloads on the %s store', (kind) => {
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await startFakeGitHub('ghp_test');
  });
  afterAll(async () => {
    await github?.close();
  });
  const t = useTestServer(kind, {
    config: () => ({
      githubWebhook: { secret: SECRET, org: 'acme', aiProvider: 'openai', aiModel: 'gpt-test' },
      delivery: { ...testConfig().delivery, githubApiUrl: github.url, githubToken: 'ghp_test' },
    }),
  });

  let delivery = 0;
  const send = (body: unknown) => {
    const raw = JSON.stringify(body);
    return fetch(`${t.server.url}/api/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': `d-${kind}-${++delivery}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`,
      },
      body: raw,
    });
  };

  it.each([
    ['pull_request.number', payload({ pr: { number: 'abc' } })],
    ['pull_request.head.sha', payload({ pr: { head: { sha: 12345, ref: 'feature/x' } } })],
    ['pull_request.head.ref', payload({ pr: { head: { sha: SHA, ref: '--upload-pack=touch /tmp/x' } } })],
    ['repository.full_name', payload({ repository: { full_name: '../../../admin?x=' } })],
    ['repository.clone_url', payload({ repository: { clone_url: 'ext::sh -c touch% /tmp/x' } })],
  ])('refuses a payload whose %s is hostile, stores nothing and calls no GitHub API', async (field, body) => {
    const before = github.requests.length;
    const reply = await send(body);
    expect(reply.status).toBe(400);
    expect((await reply.json()).error).toMatchObject({ code: 'invalid_request', field });
    expect(github.requests.length).toBe(before);
    const api = await t.client(['runners:read']);
    const reviews = await api.get('/api/reviews');
    expect(reviews.status).toBe(200);
    expect(reviews.body.data).toEqual([]);
  });

  it('a valid payload still becomes a review, with the files read from an encoded API path', async () => {
    github.files.set('acme/app#7', [{ filename: 'a.ts', status: 'modified', patch: '@@ -1 +1 @@\n-a\n+b' }]);
    const reply = await send(payload());
    expect(reply.status).toBe(201);
    expect(github.requests.at(-1)).toBe('GET /repos/acme/app/pulls/7/files?per_page=100');
  });
});
