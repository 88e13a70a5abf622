// A dispatcher controls the task a runner executes, and the server it claims from may hold anything: real
// `runplane runner` processes against a real server, one row per attack. Each row asserts the safe outcome and that
// the task ended — failed with a reason naming the problem, or released — never stuck dispatched or running. Hostile
// fields the server refuses at creation are written into the item's stored input directly: the agent trusts no one.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/core/types.ts';
import type { Db } from '../../src/store/db.ts';
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-services.ts';
import { commandReviewOf, createReviewRepo, type ReviewRepo } from '../support/git-repo.ts';
import { type RunnerProcess, startRunnerProcess } from '../support/processes.ts';
import { type Client, client, newKey, startServer, type TestServer } from '../support/server.ts';
import { openTestStore } from '../support/stores.ts';
import { ENDED_STATES, processState, until } from '../support/wait.ts';

const FINISHED = ['succeeded', 'failed', 'cancelled'];
const DISPATCH: Scope[] = ['runners:read', 'runners:write', 'runners:dispatch'];
const LLM_KEY = 'sk-hostile-test-llm-key';

/** What a row gets to work with: its own org (no other row's runner sees its work), dirs, and the shared fakes. */
interface Row {
  /** A scratch dir of this row (markers, pid files, programs). */
  dir: string;
  api: Client;
  runnerKey: string;
  repo: ReviewRepo;
  llm: FakeOpenAi;
  recorder: Recorder;
  /** Starts `runplane runner` for this row's org with the common flags plus `args`. */
  runner(args: string[], env?: Record<string, string>): Promise<RunnerProcess>;
  /** A review of the test repository (valid: hostile fields are injected afterwards). */
  review(overrides?: Record<string, unknown>): Promise<{ id: string; taskId: string }>;
  /** Writes `fields` into the stored input of an item, past the server's own checks. */
  inject(itemId: string, fields: Record<string, unknown>, replace?: boolean): Promise<void>;
  /** Waits for a review to finish and returns it. */
  finished(reviewId: string): Promise<any>;
  /** A /v1 profile and a session of it with `input`. */
  session(input: unknown): Promise<{ id: string; profileId: string }>;
  /** Waits for a session to finish and returns it. */
  sessionFinished(sessionId: string): Promise<any>;
}

interface Recorder {
  url: string;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** A server that records every request it gets (and answers 404): a place the runner's key must never go. */
async function startRecorder(): Promise<Recorder> {
  const requests: Recorder['requests'] = [];
  const server = http.createServer((request, response) => {
    requests.push({ method: request.method!, url: request.url!, headers: request.headers });
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Peak resident memory of a process in MiB, from /proc. */
const peakRssMiB = (pid: number) => {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
};

const program = (dir: string, name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${text}\n`, { mode: 0o755 });
  return file;
};

interface Attack {
  name: string;
  run(row: Row): Promise<void>;
}

const ATTACKS: Attack[] = [
  {
    name: 'a branch that is a git option (--upload-pack=…) is refused before git runs',
    async run(row) {
      const marker = path.join(row.dir, 'x');
      const review = await row.review();
      await row.inject(review.taskId, { branch: `--upload-pack=touch ${marker};` });
      await row.runner(['--reviewer-command', 'cat > /dev/null; echo \'{"files":[]}\'', '--allow-file-repos']);
      const done = await row.finished(review.id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/^invalid_task_input: branch "--upload-pack=touch .*" is not a branch name/);
      expect(fs.existsSync(marker)).toBe(false);
    },
  },
  {
    name: 'a repository URL of the ext:: transport is refused before git runs',
    async run(row) {
      const marker = path.join(row.dir, 'x');
      const review = await row.review();
      await row.inject(review.taskId, { repositoryUrl: `ext::sh -c touch% ${marker}` });
      await row.runner(['--reviewer-command', 'cat > /dev/null; echo \'{"files":[]}\'', '--allow-file-repos']);
      const done = await row.finished(review.id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/^invalid_task_input: repositoryUrl "ext::sh -c touch% .*"/);
      expect(fs.existsSync(marker)).toBe(false);
    },
  },
  {
    name: 'a file:// repository URL is refused by a runner started without --allow-file-repos',
    async run(row) {
      const review = await row.review();
      await row.runner(['--reviewer-command', 'cat > /dev/null; echo \'{"files":[]}\'']);
      const done = await row.finished(review.id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/^invalid_task_input: repositoryUrl "file:\/\/.*--allow-file-repos/);
    },
  },
  {
    name: 'a commit SHA with spaces is refused',
    async run(row) {
      const review = await row.review();
      await row.inject(review.taskId, { commitSha: 'abc123 --output=/tmp/x' });
      await row.runner(['--reviewer-command', 'cat > /dev/null; echo \'{"files":[]}\'', '--allow-file-repos']);
      const done = await row.finished(review.id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/^invalid_task_input: commitSha "abc123 --output=\/tmp\/x" is not a full commit SHA/);
    },
  },
  {
    name: 'aiConfig.baseUrl cannot send the runner’s LLM key elsewhere: only --llm-base-url is called',
    async run(row) {
      const review = await row.review({ aiConfig: { provider: 'openai', model: 'gpt-hostile' } });
      await row.inject(review.taskId, {
        aiConfig: { provider: 'openai', model: 'gpt-hostile', baseUrl: row.recorder.url, apiKey: 'sk-task' },
      });
      const before = row.llm.requests.length;
      await row.runner(['--llm-base-url', `${row.llm.url}/v1`, '--llm-models', 'gpt-hostile', '--allow-file-repos'], {
        RUNPLANE_LLM_API_KEY: LLM_KEY,
      });
      const done = await row.finished(review.id);
      expect(row.recorder.requests).toEqual([]);
      expect(done.status).toBe('succeeded');
      const calls = row.llm.requests.slice(before);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.every((c) => c.authorization === `Bearer ${LLM_KEY}` && c.model === 'gpt-hostile')).toBe(true);
    },
  },
  {
    name: 'a reviewer sees none of the runner’s secrets in its environment',
    async run(row) {
      const envFile = path.join(row.dir, 'env.txt');
      const reviewer = program(row.dir, 'reviewer.sh', `env > "${envFile}"; cat > /dev/null; echo '{"files":[]}'`);
      const review = await row.review();
      await row.runner(['--reviewer-command', reviewer, '--allow-file-repos'], { RUNPLANE_LLM_API_KEY: LLM_KEY });
      const done = await row.finished(review.id);
      expect(done.status).toBe('succeeded');
      const env = fs.readFileSync(envFile, 'utf8');
      expect(env).toContain(`RUNPLANE_TASK_ID=${review.taskId}`);
      expect(env).not.toContain(row.runnerKey);
      expect(env).not.toContain(LLM_KEY);
      expect(env.split('\n').filter((l) => l.startsWith('RUNPLANE_') && !l.startsWith('RUNPLANE_TASK_ID='))).toEqual(
        [],
      );
    },
  },
  {
    name: 'reviewer output with an unknown severity fails the review quoting it',
    async run(row) {
      const reviewer = program(
        row.dir,
        'reviewer.sh',
        `cat > /dev/null; echo '{"files":[{"path":"src/app.ts","comments":[{"line":3,"severity":"warning","body":"hm"}]}]}'`,
      );
      const review = await row.review();
      await row.runner(['--reviewer-command', reviewer, '--allow-file-repos']);
      const done = await row.finished(review.id);
      expect(done.status).toBe('failed');
      expect(done.error).toContain('severity "warning" is not one of info, minor, major, critical');
    },
  },
  {
    name: 'an ai-review task without its fields (/v1 input {}) fails as invalid_task_input; the rest of the batch runs',
    async run(row) {
      // The server refuses such a dispatch now …
      const dispatched = await row.api.post('/v1/runners/sessions', {
        profile_id: 'ai-review',
        task_id: 'empty-input',
        input: {},
      });
      expect(dispatched.status).toBe(400);
      // … but the agent must not rely on it: one item of a batch of three carries `{}`.
      const reviews = [await row.review(), await row.review(), await row.review()];
      await row.inject(reviews[1]!.taskId, {}, true);
      const runner = await row.runner([
        '--reviewer-command',
        'cat > /dev/null; echo \'{"files":[]}\'',
        '--allow-file-repos',
        '--max-concurrency',
        '3',
      ]);
      const good = await Promise.all([reviews[0]!, reviews[2]!].map((r) => row.finished(r.id)));
      expect(good.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
      // The review itself cannot be shown without its fields; its task can.
      const bad = await until(
        async () => (await row.api.get(`/api/runners/tasks/${reviews[1]!.taskId}`)).body.data,
        (task) => FINISHED.includes(task.status),
        30_000,
      );
      expect(bad.status).toBe('failed');
      expect(bad.error).toMatch(/^invalid_task_input: repositoryUrl must be a string/);
      expect(runner.output()).toContain('claimed (attempt 1)');
      // And the claim loop lives on.
      const later = await row.review();
      expect((await row.finished(later.id)).status).toBe('succeeded');
    },
  },
  {
    name: 'an artifact linking to a file outside the work dir is not uploaded',
    async run(row) {
      const session = await row.session({});
      await row.runner([
        '--profiles',
        session.profileId,
        '--session-command',
        `ln -s /etc/hostname out; echo '::runplane::{"artifact":{"path":"out"}}'`,
      ]);
      const done = await row.sessionFinished(session.id);
      expect(done.state).toBe('succeeded');
      expect((await row.api.get(`/v1/runners/sessions/${session.id}/artifacts`)).body.items).toEqual([]);
      const events = (await row.api.get(`/v1/runners/sessions/${session.id}/events?limit=500`)).body.items;
      expect(events).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: 'artifact "out" resolves to a file outside the work dir; not uploaded',
        }),
      );
    },
  },
  {
    name: '200 MiB of output stops the program at --max-output-bytes and fails the task saying so',
    async run(row) {
      const session = await row.session({});
      const runner = await row.runner([
        '--profiles',
        session.profileId,
        '--session-command',
        "head -c 209715200 /dev/zero | tr '\\0' a",
        // Bounds the row should the limit not hold: the task then fails on time instead, and the row says so.
        '--timeout',
        '20',
      ]);
      const done = await row.sessionFinished(session.id);
      expect(done.state).toBe('failed');
      expect(done.error).toBe(`stopped: its output passed the limit of ${64 * 1024 * 1024} bytes (--max-output-bytes)`);
      expect(peakRssMiB(runner.child.pid!)).toBeLessThan(512);
    },
  },
  {
    name: 'a grandchild holding the pipes after the program exits does not keep the task open',
    async run(row) {
      const pidFile = path.join(row.dir, 'grandchild.pid');
      const session = await row.session({});
      await row.runner([
        '--profiles',
        session.profileId,
        '--session-command',
        `sleep 1000 & echo $! > "${pidFile}"; echo started`,
      ]);
      const done = await row.sessionFinished(session.id);
      expect(done.state).toBe('succeeded');
      expect(ENDED_STATES).toContain(processState(Number(fs.readFileSync(pidFile, 'utf8'))));
    },
  },
  {
    name: 'characters split across reads stay whole, and a last line without a newline is read',
    async run(row) {
      const session = await row.session({});
      const script = program(
        row.dir,
        'split.sh',
        `printf 'caf\\303'; sleep 0.3; printf '\\251\\n'; printf '::runplane::{"result":{"s":"\\303\\251"}}'`,
      );
      await row.runner(['--profiles', session.profileId, '--session-command', script]);
      const done = await row.sessionFinished(session.id);
      expect(done).toMatchObject({ state: 'succeeded', result: { s: 'é' } });
      const events = (await row.api.get(`/v1/runners/sessions/${session.id}/events?limit=500`)).body.items;
      expect(events.map((e: { message: string }) => e.message)).toContain('café');
    },
  },
  {
    name: 'an agent stopped during the drain leaves no process of its task behind; the task goes back to the queue',
    async run(row) {
      const pids = path.join(row.dir, 'pids');
      const session = await row.session({});
      const runner = await row.runner([
        '--profiles',
        session.profileId,
        '--session-command',
        `trap '' TERM; (trap '' TERM; sleep 1000) & echo "$$ $!" > "${pids}"; wait`,
        '--drain',
        '1',
        '--grace',
        '30',
      ]);
      await until(async () => fs.existsSync(pids) && fs.readFileSync(pids, 'utf8').includes(' '), Boolean, 30_000);
      expect(await runner.stop()).toBe(0);
      for (const pid of fs.readFileSync(pids, 'utf8').trim().split(' ').map(Number)) {
        expect(ENDED_STATES).toContain(processState(pid));
      }
      // Released by the deregistration: claimable again, not stuck running.
      const after = (await row.api.get(`/v1/runners/sessions/${session.id}`)).body;
      expect(after.state).toBe('pending');
    },
  },
];

describe('hostile tasks against real runner processes', () => {
  let root: string;
  let db: Db;
  let server: TestServer;
  let repo: ReviewRepo;
  let llm: FakeOpenAi;
  let recorder: Recorder;
  const runners: RunnerProcess[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-hostile-'));
    db = await openTestStore('embedded');
    server = await startServer(db);
    repo = createReviewRepo();
    llm = await startFakeOpenAi();
    recorder = await startRecorder();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.kill9()));
    await server?.close();
    await db?.close();
    await llm?.close();
    await recorder?.close();
    repo?.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const row = async (index: number): Promise<Row & { stop(): Promise<void> }> => {
    const org = `hostile-${index}`;
    const dir = fs.mkdtempSync(path.join(root, `row-${index}-`));
    const api = client(server.url, await newKey(db, org, DISPATCH));
    const runnerKey = await newKey(db, org, ['runners:read', 'runners:write'], 'runner');
    const mine: RunnerProcess[] = [];
    return {
      dir,
      api,
      runnerKey,
      repo,
      llm,
      recorder,
      async runner(args, env = {}) {
        const runner = startRunnerProcess(
          [
            '--server',
            server.url,
            '--id',
            `runner-${index}`,
            '--heartbeat',
            '0.5',
            '--grace',
            '1',
            '--drain',
            '2',
            '--work-dir',
            path.join(dir, 'work'),
            ...args,
          ],
          { RUNPLANE_API_KEY: runnerKey, ...env },
        );
        runners.push(runner);
        mine.push(runner);
        await runner.waitFor('registered');
        return runner;
      },
      async review(overrides = {}) {
        const reply = await api.post('/api/reviews', commandReviewOf(repo, overrides));
        expect(reply.status).toBe(201);
        return reply.body.data;
      },
      async inject(itemId, fields, replace = false) {
        await db.query(
          replace
            ? 'update items set input = $2::jsonb where id = $1'
            : 'update items set input = input || $2::jsonb where id = $1',
          [itemId, JSON.stringify(fields)],
        );
      },
      finished: (reviewId) =>
        until(
          async () => (await api.get(`/api/reviews/${reviewId}`)).body.data,
          (r) => FINISHED.includes(r.status),
          30_000,
        ),
      async session(input) {
        const profileId = (await api.post('/v1/runners/profiles', { name: `jobs-${index}` })).body.id;
        const reply = await api.post('/v1/runners/sessions', { profile_id: profileId, task_id: `t-${index}`, input });
        expect(reply.status).toBe(201);
        return { id: reply.body.id, profileId };
      },
      sessionFinished: (sessionId) =>
        until(
          async () => (await api.get(`/v1/runners/sessions/${sessionId}`)).body,
          (s) => FINISHED.includes(s.state),
          60_000,
        ),
      async stop() {
        await Promise.all(mine.map((runner) => runner.stop()));
      },
    };
  };

  it.each(ATTACKS.map((attack, index) => [attack.name, attack, index] as const))(
    '%s',
    async (_name, attack, index) => {
      const current = await row(index);
      try {
        await attack.run(current);
      } finally {
        await current.stop();
      }
    },
    90_000,
  );
});
