// From a pull request to posted review comments, with real processes: a server, two `runplane runner` agents, a
// real git repository, an OpenAI-compatible model endpoint and GitHub's REST wire format on 127.0.0.1.
import { createHmac, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitHub, type FakeOpenAi, startFakeGitHub, startFakeOpenAi } from '../support/fake-services.ts';
import { createReviewRepo, type ReviewRepo } from '../support/git-repo.ts';
import {
  freshDataDir,
  type RunnerProcess,
  runCli,
  type ServerProcess,
  startRunnerProcess,
  startServeProcess,
} from '../support/processes.ts';
import { type Client, client } from '../support/server.ts';
import { until } from '../support/wait.ts';

const WEBHOOK_SECRET = 'webhook-secret-for-tests';
const GITHUB_TOKEN = 'ghp_testtoken';

describe('the AI review pipeline end to end', () => {
  let repo: ReviewRepo;
  let openai: FakeOpenAi;
  let github: FakeGitHub;
  let server: ServerProcess;
  let runners: Map<string, RunnerProcess>;
  let api: Client;
  let dataDir: string;
  let workDir: string;

  beforeAll(async () => {
    repo = createReviewRepo();
    openai = await startFakeOpenAi();
    github = await startFakeGitHub(GITHUB_TOKEN);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-pipeline-'));
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-work-'));
    const env = { RUNPLANE_DATA_DIR: freshDataDir(dataDir) };
    const created = await runCli(
      ['keys', 'create', '--org', 'acme', '--scopes', 'runners:read,runners:write,runners:dispatch'],
      env,
    );
    const key = created.stdout.trim().split('\n').at(-1)!;
    server = await startServeProcess({
      ...env,
      RUNPLANE_LEASE_TTL_SECONDS: '2',
      RUNPLANE_GITHUB_API_URL: github.url,
      RUNPLANE_GITHUB_TOKEN: GITHUB_TOKEN,
      RUNPLANE_GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      RUNPLANE_GITHUB_WEBHOOK_ORG: 'acme',
      RUNPLANE_REVIEW_AI_MODEL: 'gpt-review-test',
    });
    api = client(server.url, key);
    runners = new Map(
      ['runner-a', 'runner-b'].map((id) => [
        id,
        startRunnerProcess(
          [
            '--server',
            server.url,
            '--id',
            id,
            '--allow-file-repos',
            '--llm-models',
            'gpt-review-test',
            '--llm-base-url',
            `${openai.url}/v1`,
            '--heartbeat',
            '0.5',
            '--work-dir',
            path.join(workDir, id),
          ],
          { RUNPLANE_API_KEY: key, RUNPLANE_LLM_API_KEY: 'sk-test' },
        ),
      ]),
    );
    for (const runner of runners.values()) await runner.waitFor('registered');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...(runners?.values() ?? [])].map((runner) => runner.stop()));
    await server?.stop();
    await openai?.close();
    await github?.close();
    repo?.cleanup();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  function pullRequestEvent(number: number) {
    github.files.set(
      `acme/app#${number}`,
      repo.files.map((file) => ({ filename: file.path, status: file.status, patch: file.patch })),
    );
    return JSON.stringify({
      action: 'opened',
      number,
      pull_request: {
        number,
        head: { sha: repo.headSha, ref: 'feature/x', repo: { clone_url: repo.url } },
        base: { sha: repo.baseSha, ref: 'main' },
      },
      repository: { full_name: 'acme/app', clone_url: repo.url },
    });
  }

  const sendWebhook = (body: string, deliveryId: string, secret = WEBHOOK_SECRET) =>
    fetch(`${server.url}/api/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': deliveryId,
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
      body,
    });

  const reviewsOf = (number: number) => github.reviews.filter((r) => r.number === number);

  it('a webhook with a bad signature answers 401 and creates nothing', async () => {
    const reply = await sendWebhook(pullRequestEvent(99), randomUUID(), 'wrong-secret');
    expect(reply.status).toBe(401);
    expect((await api.get('/api/reviews')).body.data).toEqual([]);
    const ignored = await fetch(`${server.url}/api/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update('{}').digest('hex')}`,
      },
      body: '{}',
    });
    expect(ignored.status).toBe(202);
  });

  it('a signed pull_request webhook leads to one GitHub review with comments on the changed lines', async () => {
    const deliveryId = randomUUID();
    const body = pullRequestEvent(1);
    const reply = await sendWebhook(body, deliveryId);
    expect(reply.status).toBe(201);
    const review = (await reply.json()).data.review;
    expect(review).toMatchObject({
      status: 'pending',
      changedFiles: 2,
      pullRequest: { provider: 'github', repository: 'acme/app', number: 1 },
    });

    const done = await until(
      async () => (await api.get(`/api/reviews/${review.id}`)).body.data,
      (r) => r.delivery === 'delivered' || r.delivery === 'failed',
      60_000,
    );
    expect(done).toMatchObject({ status: 'succeeded', rating: 'B', totalComments: 2, delivery: 'delivered' });
    expect(done.metrics).toMatchObject({ promptTokens: 100, completionTokens: 20 });
    expect(done.metrics.durationMs).toBeGreaterThan(0);
    expect(reviewsOf(1)).toHaveLength(1);
    const posted = reviewsOf(1)[0]!.body;
    expect(posted.commit_id).toBe(repo.headSha);
    expect(posted.body).toContain('Rating: **B**');
    expect(posted.comments.map((c) => `${c.path}:${c.line}`).sort()).toEqual(['src/app.ts:3', 'src/util.ts:1']);
    expect(openai.requests[0]).toMatchObject({ model: 'gpt-review-test', authorization: 'Bearer sk-test' });

    // Phases and logs reached the server's event log.
    const events = (await api.get(`/v1/runners/sessions/${review.taskId}/events?limit=500`)).body.items;
    const phases = events
      .filter((e: { type: string }) => e.type === 'phase')
      .map((e: { message: string }) => e.message);
    expect(phases).toEqual(['preparing', 'cloning', 'reviewing', 'submitting']);
    const logs = events.filter((e: { type: string }) => e.type === 'log').map((e: { message: string }) => e.message);
    expect(logs).toEqual(expect.arrayContaining([expect.stringContaining('2 changed file(s)')]));

    // The same delivery again: no second review, no second comment.
    const replay = await sendWebhook(body, deliveryId);
    expect(replay.status).toBe(200);
    expect((await replay.json()).data).toMatchObject({ duplicate: true, review: { id: review.id } });
    expect((await api.get('/api/reviews')).body.data).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(reviewsOf(1)).toHaveLength(1);
  }, 90_000);

  it('kill -9 of the runner mid-review: the other runner completes it after the lease expires; GitHub gets one review', async () => {
    // The model answers this PR slowly, so the review is in flight when its runner dies.
    openai.delays.set('src/util.ts', 4000);
    const reply = await sendWebhook(pullRequestEvent(2), randomUUID());
    const review = (await reply.json()).data.review;
    const inFlight = await until(
      async () => (await api.get(`/api/reviews/${review.id}`)).body.data,
      (r) => r.phase === 'reviewing',
      30_000,
    );
    expect(inFlight.phase).toBe('reviewing');
    const victim = runners.get(inFlight.runnerId)!;
    await victim.kill9();
    openai.delays.clear();
    const done = await until(
      async () => (await api.get(`/api/reviews/${review.id}`)).body.data,
      (r) => r.delivery === 'delivered' || r.delivery === 'failed',
      60_000,
    );
    expect(done).toMatchObject({ status: 'succeeded', delivery: 'delivered', attempt: 2 });
    expect(done.runnerId).not.toBe(inFlight.runnerId);
    expect(reviewsOf(2)).toHaveLength(1);
    const survivor = [...runners.entries()].find(([id]) => id !== inFlight.runnerId)![1];
    expect(survivor.output()).toContain('claimed (attempt 2)');
  }, 90_000);
});
