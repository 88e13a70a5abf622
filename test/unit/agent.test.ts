import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { getEventListeners } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, resolveUser, runProgram } from '../../src/agent/executor.ts';
import { LogShipper } from '../../src/agent/log-shipper.ts';
import { commentableLines, numberedPatch, parseGitDiff } from '../../src/agent/review/diff.ts';
import { chunkDiff } from '../../src/agent/review/llm-reviewer.ts';
import { Runner, type RunnerOptions } from '../../src/agent/runner.ts';
import {
  FatalServerError,
  type RequestInit,
  RunnerReplaced,
  ServerAnswer,
  ServerApi,
  StaleAttempt,
} from '../../src/agent/server-api.ts';
import { openInside } from '../../src/agent/session.ts';
import { chooseQueues } from '../../src/cli/runner.ts';
import type { RunplaneClient } from '../../src/client/index.ts';
import { backoffMs } from '../../src/delivery/worker.ts';
import { verifyGitHubSignature } from '../../src/intake/github.ts';
import { createReviewRepo } from '../support/git-repo.ts';
import { ENDED_STATES, processState } from '../support/wait.ts';

const DIFF = `diff --git a/src/app.ts b/src/app.ts
index 1..2 100644
--- a/src/app.ts
+++ b/src/app.ts
@@ -1,2 +1,3 @@
 export const a = 1;
-export const b = 3;
+export const b = 2;
+export const c = a + b;
diff --git a/src/new.ts b/src/new.ts
new file mode 100644
--- /dev/null
+++ b/src/new.ts
@@ -0,0 +1,2 @@
+line one
+line two
`;

describe('diff reading', () => {
  it('splits git diff output into files with status and hunks', () => {
    const files = parseGitDiff(DIFF);
    expect(files.map((f) => [f.path, f.status])).toEqual([
      ['src/app.ts', 'modified'],
      ['src/new.ts', 'added'],
    ]);
    expect(files[0]!.patch.startsWith('@@ -1,2 +1,3 @@')).toBe(true);
  });

  it('knows which new-side lines a comment may point at, and numbers them for the model', () => {
    const [app] = parseGitDiff(DIFF);
    expect([...commentableLines(app!.patch)]).toEqual([1, 2, 3]);
    const numbered = numberedPatch(app!.patch).split('\n');
    expect(numbered).toContain('   3 +export const c = a + b;');
    expect(numbered).toContain('     -export const b = 3;');
  });

  it('chunks a diff within the token budget, splitting a large file by hunks', () => {
    const big = {
      path: 'big.ts',
      status: 'modified',
      patch: Array.from({ length: 40 }, (_v, i) => `@@ -${i * 10 + 1},1 +${i * 10 + 1},1 @@\n+${'x'.repeat(200)}`).join(
        '\n',
      ),
    };
    const small = { path: 'small.ts', status: 'added', patch: '@@ -0,0 +1 @@\n+hi' };
    const chunks = chunkDiff([small, big], 1000);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(1000 * 4 + 300);
    expect(chunks.join('\n')).toContain('### small.ts');
    expect(chunks.filter((c) => c.includes('### big.ts')).length).toBeGreaterThan(1);
  });
});

describe('executors', () => {
  it('a cleaned environment keeps PATH and drops secrets', () => {
    process.env.RUNPLANE_LLM_API_KEY_TEST = 'secret';
    try {
      const env = cleanEnv({ X: '1' });
      expect(env.X).toBe('1');
      expect(env.PATH).toBeTruthy();
      expect(env.RUNPLANE_LLM_API_KEY_TEST).toBeUndefined();
    } finally {
      delete process.env.RUNPLANE_LLM_API_KEY_TEST;
    }
  });

  it('cancel stops the whole process group: SIGTERM, then SIGKILL after the grace period', async () => {
    const abort = new AbortController();
    const lines: string[] = [];
    const running = runProgram('process', {
      // Both the shell and its background child ignore SIGTERM: only the group SIGKILL ends them.
      command: `trap '' TERM; (trap '' TERM; sleep 60) & echo "child $!"; wait`,
      cwd: process.cwd(),
      stdin: '',
      env: cleanEnv({}),
      timeoutMs: 60_000,
      graceMs: 300,
      signal: abort.signal,
      onLine: (line) => lines.push(line),
    });
    while (!lines.some((l) => l.startsWith('child '))) await new Promise((resolve) => setTimeout(resolve, 20));
    const grandchild = Number(lines.find((l) => l.startsWith('child '))!.split(' ')[1]);
    abort.abort();
    const outcome = await running;
    expect(outcome.reason).toBe('cancelled');
    expect(outcome.signal).toBe('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ENDED_STATES).toContain(processState(grandchild));
  });

  it('a program over its wall-clock limit is stopped with reason timeout', async () => {
    const outcome = await runProgram('process', {
      command: 'sleep 30',
      cwd: process.cwd(),
      stdin: '',
      env: cleanEnv({}),
      timeoutMs: 200,
      graceMs: 200,
      signal: new AbortController().signal,
      onLine: () => {},
    });
    expect(outcome.reason).toBe('timeout');
  });
});

describe('log shipping', () => {
  const marker = (count: number) => `${count} dropped`;

  it('a failed background batch does not crash the agent; the next flush reports it and keeps the line', async () => {
    const refused = new Error('stale attempt');
    const sent: string[][] = [];
    const shipper = new LogShipper<string>(async (lines) => {
      sent.push(lines);
      throw refused;
    }, marker);
    shipper.push('one');
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(sent).toEqual([['one']]);
    await expect(shipper.flush()).rejects.toBe(refused);
    expect(sent).toEqual([['one']]);
  });

  it('batches at most 200 lines, in order', async () => {
    const sent: string[][] = [];
    const shipper = new LogShipper<string>(async (lines) => {
      sent.push(lines);
    }, marker);
    for (let i = 0; i < 450; i++) shipper.push(`line ${i}`);
    await shipper.flush();
    expect(sent.flat()).toEqual(Array.from({ length: 450 }, (_v, i) => `line ${i}`));
    expect(Math.max(...sent.map((batch) => batch.length))).toBeLessThanOrEqual(200);
  });

  it('holds at most its memory bound while the server is slow; what it dropped is announced in its place', async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const sent: string[] = [];
    const shipper = new LogShipper<string>(
      async (lines) => {
        await gate;
        sent.push(...lines);
      },
      marker,
      100,
    );
    // 14 lines of 7 characters fit in 100; the other 16 and the one pushed while the send waits are dropped.
    for (let i = 0; i < 30; i++) shipper.push(`line ${String(i).padStart(2, '0')}`);
    const flushed = shipper.flush();
    shipper.push('late');
    open();
    await flushed;
    shipper.push('after');
    await shipper.flush();
    expect(sent).toEqual([
      ...Array.from({ length: 14 }, (_v, i) => `line ${String(i).padStart(2, '0')}`),
      '17 dropped',
      'after',
    ]);
  });
});

describe('webhooks and retries', () => {
  it('verifies X-Hub-Signature-256 over the exact bytes', () => {
    const body = Buffer.from('{"a":1}');
    const good = `sha256=${createHmac('sha256', 's').update(body).digest('hex')}`;
    expect(verifyGitHubSignature('s', body, good)).toBe(true);
    expect(verifyGitHubSignature('s', Buffer.from('{"a":2}'), good)).toBe(false);
    expect(verifyGitHubSignature('other', body, good)).toBe(false);
    expect(verifyGitHubSignature('s', body, undefined)).toBe(false);
    expect(verifyGitHubSignature('s', body, 'sha256=short')).toBe(false);
  });

  it('backs off exponentially with full jitter, capped', () => {
    for (let attempt = 1; attempt < 30; attempt++) {
      const delay = backoffMs(attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(600_000, 1000 * 2 ** (attempt - 1)));
    }
  });
});

interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

type Answer = { status: number; body?: unknown } | 'hang';

/** A stand-in for the server on 127.0.0.1: records every request and answers what `answer` says. */
/** Options of a Runner under test: a quiet runner of `r1` against `server`; each test says what it changes. */
const runnerOptions = (server: string, workDir: string, overrides: Partial<RunnerOptions>): RunnerOptions => ({
  server,
  apiKey: 'rp_key',
  id: 'r1',
  name: 'r1',
  version: 'test',
  tags: [],
  maxConcurrency: 2,
  workDir,
  executor: 'process',
  reviewerCommand: null,
  llmBaseUrl: 'http://127.0.0.1:1',
  llmModels: ['none'],
  llmApiKey: null,
  queues: ['reviews'],
  allowFileRepos: true,
  maxOutputBytes: 1024 * 1024,
  runAs: null,
  profiles: [],
  sessionCommand: null,
  heartbeatMs: 1000,
  timeoutMs: 60_000,
  graceMs: 300,
  drainMs: 2000,
  ...overrides,
});

async function fakeServer(answer: (request: SeenRequest) => Answer | Promise<Answer>) {
  const seen: SeenRequest[] = [];
  const server = http.createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const request = {
      method: req.method!,
      path: req.url!,
      headers: req.headers,
      body: text && req.headers['content-type'] === 'application/json' ? JSON.parse(text) : null,
    };
    seen.push(request);
    const reply = await answer(request);
    if (reply === 'hang') return;
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const conflict = (code: string) => ({ status: 409, body: { error: { code, message: `${code} says the server` } } });

describe('server api', () => {
  it('names the runner instance on every call once registered, and in the headers of streamed uploads', async () => {
    const server = await fakeServer(() => ({ status: 200, body: { data: {} } }));
    const api = new ServerApi(server.url, 'rp_key', () => {});
    const header = { 'x-runner-id': 'r1' };
    await api.call((client, init) => client.POST('/api/runners/register', { ...init, params: { header } }));
    api.setInstance('r1', 'inst-1');
    const path = { id: 'r1' };
    await api.call((client, init) =>
      client.POST('/api/runners/{id}/heartbeat', {
        ...init,
        params: { path },
        body: { status: 'online', currentJobs: 0, taskIds: [] },
      }),
    );
    await api.call((client, init) => client.DELETE('/api/runners/{id}', { ...init, params: { path } }));
    await server.close();
    expect(server.seen.map((r) => r.headers['x-runner-instance'])).toEqual([undefined, 'inst-1', 'inst-1']);
    expect(server.seen.every((r) => r.headers.authorization === 'Bearer rp_key')).toBe(true);
    expect(api.identityHeaders()).toEqual({ authorization: 'Bearer rp_key', 'x-runner-instance': 'inst-1' });
  });

  it('409 runner_replaced is fatal, even on a task write; 409 stale_attempt concerns the task', async () => {
    const server = await fakeServer((r) => conflict(r.path.endsWith('/result') ? 'stale_attempt' : 'runner_replaced'));
    const api = new ServerApi(server.url, 'rp_key', () => {});
    api.setInstance('r1', 'inst-1');
    const params = { path: { id: 't1' } };
    const replaced = (await api
      .call((client, init) => client.POST('/api/runners/tasks/{id}/logs', { ...init, params, body: { logs: ['x'] } }), {
        taskId: 't1',
      })
      .catch((e) => e)) as Error;
    expect(replaced).toBeInstanceOf(RunnerReplaced);
    expect(replaced).toBeInstanceOf(FatalServerError);
    expect(replaced.message).toMatch(/^runner r1 was replaced: another process registered the same runner id/);
    expect(replaced.message).toContain('give this one a different --id');
    const stale = await api
      .call(
        (client, init) =>
          client.POST('/api/runners/tasks/{id}/result', {
            ...init,
            params,
            body: {} as never, // the fake server answers before reading it
          }),
        { taskId: 't1' },
      )
      .catch((e) => e);
    expect(stale).toBeInstanceOf(StaleAttempt);
    expect((stale as StaleAttempt).taskId).toBe('t1');
    await server.close();
  });

  it('an answer that is not JSON is still reported with its status', () => {
    const api = new ServerApi('http://127.0.0.1:1', 'rp_key', () => {});
    const refused = api.refusal(502, '<html>bad gateway</html>');
    expect(refused).toBeInstanceOf(ServerAnswer);
    expect(refused.message).toBe('server answered 502: <html>bad gateway</html>');
  });

  it('a hung request is given up after its timeout', async () => {
    const server = await fakeServer(() => 'hang');
    const api = new ServerApi(server.url, 'rp_key', () => {});
    const started = Date.now();
    const beat = (client: RunplaneClient, init: RequestInit) =>
      client.POST('/api/runners/{id}/heartbeat', {
        ...init,
        params: { path: { id: 'r1' } },
        body: { status: 'online', currentJobs: 0, taskIds: [] },
      });
    await expect(api.call(beat, { retry: false, timeoutMs: 200 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
    await server.close();
  });

  it('a call whose signal already aborted sends nothing and throws the abort reason', async () => {
    const server = await fakeServer(() => ({ status: 200, body: {} }));
    const api = new ServerApi(server.url, 'rp_key', () => {});
    const released = new AbortController();
    released.abort(new StaleAttempt('t1', 'the server released it'));
    const events = (client: RunplaneClient, init: RequestInit) =>
      client.POST('/v1/runners/sessions/{id}/events', { ...init, params: { path: { id: 't1' } }, body: [] });
    await expect(api.call(events, { signal: released.signal })).rejects.toBe(released.signal.reason);
    expect(server.seen).toEqual([]);
    await server.close();
  });
});

describe('runner instances', () => {
  const SESSION = { id: 'sess-0001-abcdef', attempt: 3, input: {}, harness_revision: null, latest_checkpoint: null };

  /**
   * A runner serving one profile against a fake server that hands out SESSION once; `heartbeat` answers beats.
   * The session's program records its pid and sleeps.
   */
  async function runnerAgainst(heartbeat: (taskIds: string[], started: boolean) => Answer) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-agent-'));
    let handedOut = false;
    const idle = async <T>(body: T): Promise<Answer> => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { status: 200, body };
    };
    const server = await fakeServer((r) => {
      if (r.path === '/api/runners/register') return { status: 200, body: { data: { instanceId: 'inst-1' } } };
      // `started`: the program wrote its pid (a beat before that would stop it before the test can see it run).
      if (r.path.endsWith('/heartbeat')) {
        const started = fs.existsSync(`${root}/pid`) && fs.readFileSync(`${root}/pid`, 'utf8').trim() !== '';
        return heartbeat(r.body.taskIds, started);
      }
      if (r.path.startsWith('/api/runners/tasks/pending')) return idle({ data: [] });
      if (r.path === '/v1/runners/sessions/claim') {
        if (handedOut) return idle({ items: [] });
        handedOut = true;
        return { status: 200, body: { items: [{ ...SESSION, profile_id: 'p1' }] } };
      }
      return { status: 200, body: { data: {}, items: [] } };
    });
    const lines: string[] = [];
    const runner = new Runner(
      runnerOptions(server.url, root, {
        queues: ['sessions'],
        allowFileRepos: false,
        profiles: ['p1'],
        sessionCommand: `echo $$ > ${root}/pid; exec sleep 30`,
        heartbeatMs: 100,
      }),
      (line) => lines.push(line),
    );
    const pid = async () => {
      while (!fs.existsSync(`${root}/pid`) || !fs.readFileSync(`${root}/pid`, 'utf8').trim()) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return Number(fs.readFileSync(`${root}/pid`, 'utf8'));
    };
    const sessionWrites = () => server.seen.filter((r) => r.path.startsWith(`/v1/runners/sessions/${SESSION.id}`));
    const cleanup = async () => {
      await server.close();
      fs.rmSync(root, { recursive: true, force: true });
    };
    return { runner, server, lines, pid, sessionWrites, root, cleanup };
  }

  const waitFor = async (done: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  it('a heartbeat names every task held; a task it calls stale is stopped and dropped without a report', async () => {
    let stale = false;
    const agent = await runnerAgainst((taskIds, started) => {
      stale ||= started && taskIds.includes(SESSION.id);
      return { status: 200, body: { data: { cancelTaskIds: [], staleTaskIds: stale ? [SESSION.id] : [] } } };
    });
    const running = agent.runner.run();
    const pid = await agent.pid();
    await waitFor(() => agent.lines.some((l) => l.includes('dropped')));
    expect(agent.lines).toContain(
      'task sess-000: dropped, the server released it (this runner instance no longer holds it)',
    );
    expect(ENDED_STATES).toContain(processState(pid));
    // The only write for the session is the one that started it: no failed/succeeded report after the release.
    expect(agent.sessionWrites().map((r) => [r.method, r.body])).toEqual([['PATCH', { state: 'running' }]]);
    await agent.runner.shutdown('SIGTERM');
    await running;
    const beats = agent.server.seen.filter((r) => r.path.endsWith('/heartbeat'));
    expect(beats.every((r) => Array.isArray(r.body.taskIds))).toBe(true);
    expect(beats.some((r) => r.body.taskIds.includes(SESSION.id))).toBe(true);
    // Every call after the register names the instance; every session write names the attempt.
    expect(agent.server.seen.slice(1).every((r) => r.headers['x-runner-instance'] === 'inst-1')).toBe(true);
    expect(agent.sessionWrites().every((r) => r.headers['x-runplane-attempt'] === '3')).toBe(true);
    expect(agent.server.seen.at(-1)!.method).toBe('DELETE');
    await agent.cleanup();
  }, 20_000);

  it('runner_replaced stops the runner: its programs are killed, nothing is reported, it does not deregister', async () => {
    const agent = await runnerAgainst((taskIds, started) =>
      started && taskIds.includes(SESSION.id)
        ? conflict('runner_replaced')
        : { status: 200, body: { data: { cancelTaskIds: [] } } },
    );
    const running = agent.runner.run();
    const pid = await agent.pid();
    const failure = (await running.catch((error) => error)) as Error;
    expect(failure).toBeInstanceOf(RunnerReplaced);
    expect(failure.message).toContain('runner r1 was replaced');
    // run() ends only once the released program is gone.
    expect(ENDED_STATES).toContain(processState(pid));
    expect(agent.lines.some((l) => l.includes('dropped, the server released it'))).toBe(true);
    expect(agent.sessionWrites().map((r) => r.body)).toEqual([{ state: 'running' }]);
    // A signal after the fact neither deregisters nor exits as if all went well.
    await expect(agent.runner.shutdown('SIGTERM')).rejects.toBe(failure);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(agent.server.seen.some((r) => r.method === 'DELETE')).toBe(false);
    await agent.cleanup();
  }, 20_000);
});

describe('review writes', () => {
  it('every review write names the instance and the attempt; the result body carries the attempt too', async () => {
    const repo = createReviewRepo();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-agent-review-'));
    let handedOut = false;
    const server = await fakeServer(async (r) => {
      if (r.path === '/api/runners/register') return { status: 200, body: { data: { instanceId: 'inst-7' } } };
      if (r.path.startsWith('/api/runners/tasks/pending') && !handedOut) {
        handedOut = true;
        const task = {
          id: 'task-0001-abcdef',
          reviewId: 'rev-1',
          repositoryUrl: repo.url,
          branch: 'feature/x',
          commitSha: repo.headSha,
          baseSha: repo.baseSha,
          files: [],
          aiConfig: {},
          attempt: 2,
        };
        return { status: 200, body: { data: [task] } };
      }
      if (r.path.startsWith('/api/runners/tasks/pending')) await new Promise((resolve) => setTimeout(resolve, 50));
      return { status: 200, body: { data: r.path.startsWith('/api/runners/tasks/pending') ? [] : {} } };
    });
    const lines: string[] = [];
    const runner = new Runner(
      runnerOptions(server.url, root, {
        id: 'r7',
        name: 'r7',
        maxConcurrency: 1,
        reviewerCommand: `cat > /dev/null; echo progress >&2; echo '{"files":[],"rating":"A"}'`,
      }),
      (line) => lines.push(line),
    );
    const running = runner.run();
    const deadline = Date.now() + 15_000;
    while (!lines.some((l) => l.includes('submitted')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await runner.shutdown('SIGTERM');
    await running;
    await server.close();
    repo.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
    const writes = server.seen.filter((r) => r.path.startsWith('/api/runners/tasks/task-0001'));
    expect(writes.map((r) => r.path.split('/').at(-1))).toEqual(expect.arrayContaining(['status', 'logs', 'result']));
    for (const write of writes) {
      expect(write.headers).toMatchObject({
        'x-runner-instance': 'inst-7',
        'x-runplane-attempt': '2',
        'x-runner-id': 'r7',
      });
    }
    expect(writes.at(-1)!.body).toMatchObject({ runnerId: 'r7', attempt: 2, status: 'success', rating: 'A' });
  }, 30_000);
});

/**
 * A Runner against a fake server: register answers an instance, heartbeats answer `{cancelTaskIds: []}` unless
 * `answer` says otherwise, claims hand out `reviews` and `sessions` once (then long-poll empty), and every other
 * request gets what `answer` returns (200 by default).
 */
async function agentAgainst(
  setup: {
    options?: Partial<RunnerOptions>;
    reviews?: unknown[];
    sessions?: unknown[];
    answer?: (request: SeenRequest) => Answer | Promise<Answer> | undefined;
  } = {},
) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-agent-'));
  const handedOut = { reviews: false, sessions: false };
  const idle = async (body: unknown): Promise<Answer> => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { status: 200, body };
  };
  const server = await fakeServer(async (r) => {
    const answered = await setup.answer?.(r);
    if (answered) return answered;
    if (r.path === '/api/runners/register') return { status: 200, body: { data: { instanceId: 'inst-1' } } };
    if (r.path.endsWith('/heartbeat')) return { status: 200, body: { data: { cancelTaskIds: [] } } };
    if (r.path.startsWith('/api/runners/tasks/pending')) {
      if (handedOut.reviews || !setup.reviews) return idle({ data: [] });
      handedOut.reviews = true;
      return { status: 200, body: { data: setup.reviews } };
    }
    if (r.path === '/v1/runners/sessions/claim') {
      if (handedOut.sessions || !setup.sessions) return idle({ items: [] });
      handedOut.sessions = true;
      return { status: 200, body: { items: setup.sessions } };
    }
    return { status: 200, body: { data: {} } };
  });
  const lines: string[] = [];
  const runner = new Runner(
    runnerOptions(server.url, root, {
      maxConcurrency: 3,
      queues: setup.sessions ? ['sessions'] : ['reviews'],
      reviewerCommand: `cat > /dev/null; echo '{"files":[],"rating":"A"}'`,
      profiles: setup.sessions ? ['p1'] : [],
      sessionCommand: setup.sessions ? 'true' : null,
      heartbeatMs: 200,
      ...setup.options,
    }),
    (line) => lines.push(line),
  );
  const running = runner.run();
  const until = async (done: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const writes = (prefix: string) => server.seen.filter((r) => r.path.startsWith(prefix) && !r.path.includes('?'));
  const stop = async () => {
    await runner.shutdown('SIGTERM').catch(() => {});
    await running.catch(() => {});
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  };
  /** The pid a session program wrote to `../pid` (next to its work dir, in the session's directory). */
  const programPid = async () => {
    let pid = 0;
    await until(() => {
      const dir = fs.readdirSync(root).find((d) => d.startsWith('session-'));
      const file = dir && path.join(root, dir, 'pid');
      pid = file && fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0;
      return pid > 0;
    });
    return pid;
  };
  return { runner, running, server, lines, root, until, writes, programPid, stop };
}

const reviewTask = (repo: { url: string; headSha: string; baseSha: string }, id: string) => ({
  id,
  reviewId: null,
  repositoryUrl: repo.url,
  branch: 'feature/x',
  commitSha: repo.headSha,
  baseSha: repo.baseSha,
  files: [],
  aiConfig: {},
  attempt: 1,
  leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
});

const sessionTask = (id: string, leaseMs = 60_000) => ({
  id,
  attempt: 1,
  input: {},
  harness_revision: null,
  latest_checkpoint: null,
  profile_id: 'p1',
  lease_expires_at: new Date(Date.now() + leaseMs).toISOString(),
});

describe('every claimed task ends in an outcome', () => {
  it('a batch with a task the agent cannot use: that one is reported failed with invalid_task_input, the rest run', async () => {
    const repo = createReviewRepo();
    const agent = await agentAgainst({
      reviews: [
        // A /v1 session of ai-review dispatched with `input: {}`: every review field is missing.
        { id: 'task-empty-0001', attempt: 1, reviewId: null, files: [], aiConfig: {}, leaseExpiresAt: null },
        { id: 'task-noattempt' },
        null,
        { id: '../../api/runners/r1', attempt: 1 },
        reviewTask(repo, 'task-good-0001'),
      ],
    });
    await agent.until(() => agent.writes('/api/runners/tasks/').filter((r) => r.path.endsWith('/result')).length >= 2);
    await agent.until(
      () => agent.server.seen.filter((r) => r.path.startsWith('/api/runners/tasks/pending')).length > 1,
    );
    const results = agent.writes('/api/runners/tasks/').filter((r) => r.path.endsWith('/result'));
    const empty = results.find((r) => r.path.includes('task-empty-0001'))!;
    expect(empty.body).toMatchObject({
      runnerId: 'r1',
      attempt: 1,
      status: 'failed',
      files: [],
      totalComments: 0,
      metrics: { durationMs: expect.any(Number) },
    });
    expect(empty.body.error).toMatch(/^invalid_task_input: repositoryUrl /);
    // Nothing of the bad task reached git or a phase.
    expect(agent.writes('/api/runners/tasks/task-empty-0001/status')).toEqual([]);
    expect(results.find((r) => r.path.includes('task-good-0001'))!.body).toMatchObject({ status: 'success' });
    expect(agent.lines.some((l) => l.includes('not started: the claim answer carried a task without'))).toBe(true);
    // The claim loop lives on.
    expect(agent.server.seen.filter((r) => r.path.startsWith('/api/runners/tasks/pending')).length).toBeGreaterThan(1);
    await agent.stop();
    repo.cleanup();
  }, 30_000);

  it('a result the server refuses (400) is reported failed with the server’s message instead', async () => {
    const repo = createReviewRepo();
    let results = 0;
    const agent = await agentAgainst({
      reviews: [reviewTask(repo, 'task-refused-01')],
      answer: (r) => {
        if (!r.path.endsWith('/result') || results++ > 0) return undefined;
        return { status: 400, body: { error: { code: 'invalid_request', message: 'severity must be one of …' } } };
      },
    });
    await agent.until(() => results >= 2);
    const sent = agent.writes('/api/runners/tasks/task-refused-01/result').map((r) => r.body);
    expect(sent.map((b) => b.status)).toEqual(['success', 'failed']);
    expect(sent[1]).toMatchObject({ files: [], totalComments: 0, attempt: 1, runnerId: 'r1' });
    expect(sent[1].error).toBe('the server refused the result (invalid_request: severity must be one of …)');
    await agent.stop();
    repo.cleanup();
  }, 30_000);

  it('refused again, the task is forgotten: the next heartbeat no longer lists it, so the server releases it', async () => {
    const repo = createReviewRepo();
    const agent = await agentAgainst({
      reviews: [reviewTask(repo, 'task-refused-02')],
      answer: (r) =>
        r.path.endsWith('/result')
          ? { status: 400, body: { error: { code: 'invalid_request', message: 'no' } } }
          : undefined,
    });
    await agent.until(() => agent.lines.some((l) => l.includes('released to the server')));
    expect(agent.writes('/api/runners/tasks/task-refused-02/result')).toHaveLength(2);
    const beats = () => agent.server.seen.filter((r) => r.path.endsWith('/heartbeat'));
    const seenBefore = beats().length;
    await agent.until(() => beats().length > seenBefore + 1);
    expect(beats().at(-1)!.body.taskIds).toEqual([]);
    await agent.stop();
    repo.cleanup();
  }, 30_000);

  it('a write the server refuses during a session fails the session with the server’s message', async () => {
    const agent = await agentAgainst({
      sessions: [sessionTask('sess-refused-01')],
      options: { sessionCommand: `echo '::runplane::{"checkpoint":{"n":1}}'; echo $$ > pid; sleep 30` },
      answer: (r) =>
        r.path.endsWith('/checkpoint')
          ? { status: 400, body: { error: { code: 'invalid_request', message: 'checkpoint too large' } } }
          : undefined,
    });
    await agent.until(() =>
      agent.writes('/v1/runners/sessions/sess-refused-01').some((r) => r.body?.state === 'failed'),
    );
    const failed = agent.writes('/v1/runners/sessions/sess-refused-01').find((r) => r.body?.state === 'failed')!;
    expect(failed.method).toBe('PATCH');
    expect(failed.body.error).toBe('the server refused a write for it: invalid_request: checkpoint too large');
    await agent.stop();
  }, 20_000);

  it('a session past --max-output-bytes is stopped and fails saying so', async () => {
    const agent = await agentAgainst({
      sessions: [sessionTask('sess-output-01')],
      options: { sessionCommand: 'yes output-line', maxOutputBytes: 100_000 },
    });
    await agent.until(() =>
      agent.writes('/v1/runners/sessions/sess-output-01').some((r) => r.body?.state === 'failed'),
    );
    const failed = agent.writes('/v1/runners/sessions/sess-output-01').find((r) => r.body?.state === 'failed')!;
    expect(failed.body.error).toBe('stopped: its output passed the limit of 100000 bytes (--max-output-bytes)');
    await agent.stop();
  }, 20_000);
});

describe('artifacts', () => {
  it('only a regular file really inside the work dir is opened', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-artifacts-'));
    const work = path.join(root, 'work');
    fs.mkdirSync(path.join(work, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(work, 'report.txt'), 'ok');
    fs.writeFileSync(path.join(root, 'secret'), 'secret');
    fs.symlinkSync(path.join(root, 'secret'), path.join(work, 'link'));
    fs.symlinkSync(root, path.join(work, 'dirlink'));
    fs.symlinkSync('report.txt', path.join(work, 'inner-link'));
    fs.linkSync(path.join(root, 'secret'), path.join(work, 'hard'));
    execFileSync('mkfifo', [path.join(work, 'fifo')]);
    const opened = openInside(work, 'report.txt');
    expect(opened).toMatchObject({ size: 2 });
    if (typeof opened !== 'string') fs.closeSync(opened.fd);
    expect(openInside(work, 'link')).toBe('resolves to a file outside the work dir');
    expect(openInside(work, 'dirlink/secret')).toBe('resolves to a file outside the work dir');
    expect(openInside(work, '../secret')).toBe('resolves to a file outside the work dir');
    expect(openInside(work, '/etc/hostname')).toBe('resolves to a file outside the work dir');
    expect(openInside(work, 'hard')).toBe('has other names (a hard link may name a file outside the work dir)');
    expect(openInside(work, 'fifo')).toBe('is not a regular file');
    expect(openInside(work, 'sub')).toBe('is not a regular file');
    expect(openInside(work, 'missing')).toBe('does not exist');
    // A link that stays inside resolves to its target, which is uploaded.
    const inner = openInside(work, 'inner-link');
    expect(inner).toMatchObject({ size: 2, path: fs.realpathSync(path.join(work, 'report.txt')) });
    if (typeof inner !== 'string') fs.closeSync(inner.fd);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a session’s artifact that links outside the work dir is refused with a warning and never uploaded', async () => {
    const agent = await agentAgainst({
      sessions: [sessionTask('sess-artifact-1')],
      options: {
        sessionCommand: `ln -s /etc/hostname out; echo '::runplane::{"artifact":{"path":"out"}}'`,
      },
    });
    await agent.until(() =>
      agent.writes('/v1/runners/sessions/sess-artifact-1').some((r) => r.body?.state === 'succeeded'),
    );
    const writes = agent.writes('/v1/runners/sessions/sess-artifact-1');
    expect(writes.some((r) => r.path.includes('/artifacts'))).toBe(false);
    const events = writes.filter((r) => r.path.endsWith('/events')).flatMap((r) => r.body);
    expect(events).toContainEqual({
      type: 'log',
      level: 'warn',
      message: 'artifact "out" resolves to a file outside the work dir; not uploaded',
    });
    await agent.stop();
  }, 20_000);
});

describe('leases and listeners', () => {
  it('a heartbeat waits at most a third of the lease; past the lease without an answer the task is dropped', async () => {
    const agent = await agentAgainst({
      sessions: [sessionTask('sess-lease-0001', 1500)],
      options: { sessionCommand: 'echo $$ > ../pid; exec sleep 30', heartbeatMs: 2000 },
      answer: (r) => (r.path.endsWith('/heartbeat') ? 'hang' : undefined),
    });
    const pid = await agent.programPid();
    const timeout = agent.runner.heartbeatTimeoutMs();
    expect(timeout).toBeGreaterThan(300);
    expect(timeout).toBeLessThanOrEqual(500);
    await agent.until(() => agent.lines.some((l) => l.includes('dropped')));
    expect(agent.lines.some((l) => l.includes('dropped, its lease expired while the server did not answer'))).toBe(
      true,
    );
    expect(ENDED_STATES).toContain(processState(pid));
    // Nothing was reported for it: the server has given it to someone else.
    expect(agent.writes('/v1/runners/sessions/sess-lease-0001').map((r) => r.body)).toEqual([{ state: 'running' }]);
    await agent.stop();
  }, 20_000);

  it('retries through an outage leave no listener on the caller’s signal', async () => {
    const server = await fakeServer(() => ({ status: 503, body: { error: { message: 'down' } } }));
    const api = new ServerApi(server.url, 'rp_key', () => {});
    const task = new AbortController();
    const call = api
      .call(
        (client, init) =>
          client.POST('/api/runners/tasks/{id}/logs', {
            ...init,
            params: { path: { id: 't1' } },
            body: { logs: ['x'] },
          }),
        { signal: task.signal },
      )
      .catch((e) => e);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(server.seen.length).toBeGreaterThan(1);
    expect(getEventListeners(task.signal, 'abort').length).toBeLessThanOrEqual(1);
    task.abort(new StaleAttempt('t1', 'released'));
    expect(await call).toBeInstanceOf(StaleAttempt);
    expect(getEventListeners(task.signal, 'abort')).toEqual([]);
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    await server.close();
  }, 10_000);

  it('a drain timeout kills every program at once and waits for it before the agent goes', async () => {
    const agent = await agentAgainst({
      sessions: [sessionTask('sess-drain-0001')],
      // The program ignores SIGTERM: only the kill at the drain timeout ends it, not the (long) grace.
      options: { sessionCommand: `echo $$ > ../pid; trap '' TERM; sleep 30 & wait`, drainMs: 300, graceMs: 20_000 },
    });
    const pid = await agent.programPid();
    const started = Date.now();
    await agent.runner.shutdown('SIGTERM');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(ENDED_STATES).toContain(processState(pid));
    expect(agent.lines.some((l) => l.startsWith('drain timeout: killed 1 program(s)'))).toBe(true);
    // Left to the deregistration: no failed report.
    expect(agent.writes('/v1/runners/sessions/sess-drain-0001').map((r) => r.body)).toEqual([{ state: 'running' }]);
    expect(agent.server.seen.at(-1)!.method).toBe('DELETE');
    await agent.stop();
  }, 20_000);
});

describe('run as another user', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'with --run-as a session program runs as that user, in its own dirs, unable to read the agent’s environment',
    async () => {
      const nobody = resolveUser('nobody');
      const agent = await agentAgainst({
        sessions: [sessionTask('sess-runas-0001')],
        options: {
          runAs: nobody,
          sessionCommand:
            'id -u; touch "$HOME/h" && touch made-here && echo writable; ' +
            'cat /proc/$PPID/environ > /dev/null 2>&1 && echo environ-readable || echo environ-denied',
        },
      });
      await agent.until(() =>
        agent
          .writes('/v1/runners/sessions/sess-runas-0001')
          .some((r) => ['succeeded', 'failed'].includes(r.body?.state)),
      );
      const writes = agent.writes('/v1/runners/sessions/sess-runas-0001');
      expect(writes.at(-1)!.body).toMatchObject({ state: 'succeeded' });
      const messages = writes
        .filter((r) => r.path.endsWith('/events'))
        .flatMap((r) => r.body.map((e: any) => e.message));
      expect(messages).toEqual([String(nobody.uid), 'writable', 'environ-denied']);
      await agent.stop();
    },
    20_000,
  );
});

describe('queues', () => {
  it('defaults to the queues the configuration can serve', () => {
    expect(chooseQueues({ reviewer: true, sessions: false })).toEqual(['reviews']);
    expect(chooseQueues({ reviewer: false, sessions: true })).toEqual(['sessions']);
    expect(chooseQueues({ reviewer: true, sessions: true })).toEqual(['reviews', 'sessions']);
  });

  it('refuses to start with nothing to do, or with reviews and no reviewer, saying what to pass', () => {
    expect(() => chooseQueues({ reviewer: false, sessions: false })).toThrow(
      /nothing to do: no reviewer is configured: pass --reviewer-command CMD, or set RUNPLANE_LLM_API_KEY.*; and sessions need --profiles IDS and --session-command CMD$/,
    );
    expect(() => chooseQueues({ queues: 'reviews,sessions', reviewer: false, sessions: true })).toThrow(
      /--queues includes reviews but no reviewer is configured.*--queues sessions/,
    );
    expect(() => chooseQueues({ queues: 'sessions', reviewer: true, sessions: false })).toThrow(
      '--queues includes sessions but sessions need --profiles IDS and --session-command CMD',
    );
    expect(() => chooseQueues({ queues: 'jobs', reviewer: true, sessions: true })).toThrow('unknown queue "jobs"');
    expect(chooseQueues({ queues: 'sessions', reviewer: true, sessions: true })).toEqual(['sessions']);
  });
});
