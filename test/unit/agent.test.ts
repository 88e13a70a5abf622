import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runProgram } from '../../src/agent/executor.ts';
import { LogShipper } from '../../src/agent/log-shipper.ts';
import { commentableLines, numberedPatch, parseGitDiff } from '../../src/agent/review/diff.ts';
import { chunkDiff } from '../../src/agent/review/llm-reviewer.ts';
import { Runner } from '../../src/agent/runner.ts';
import { FatalServerError, RunnerReplaced, ServerAnswer, ServerApi, StaleAttempt } from '../../src/agent/server-api.ts';
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
    const env = cleanEnv({ X: '1' });
    expect(env.X).toBe('1');
    expect(env.PATH).toBeTruthy();
    expect(env.RUNPLANE_LLM_API_KEY_TEST).toBeUndefined();
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
  it('a failed background batch does not crash the agent; the next flush reports it and keeps the line', async () => {
    const spool = path.join(os.tmpdir(), `runplane-spool-${process.pid}.jsonl`);
    const refused = new Error('stale attempt');
    const sent: string[][] = [];
    const shipper = new LogShipper<string>(async (lines) => {
      sent.push(lines);
      throw refused;
    }, spool);
    shipper.push('one');
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(sent).toEqual([['one']]);
    await expect(shipper.flush()).rejects.toBe(refused);
    expect(fs.readFileSync(spool, 'utf8')).toBe('"one"\n');
    fs.rmSync(spool, { force: true });
  });

  it('batches at most 200 lines and removes the spool once everything is sent', async () => {
    const spool = path.join(os.tmpdir(), `runplane-spool-ok-${process.pid}.jsonl`);
    const sent: number[] = [];
    const shipper = new LogShipper<string>(async (lines) => {
      sent.push(lines.length);
    }, spool);
    for (let i = 0; i < 450; i++) shipper.push(`line ${i}`);
    await shipper.flush();
    expect(sent.reduce((a, b) => a + b, 0)).toBe(450);
    expect(Math.max(...sent)).toBeLessThanOrEqual(200);
    expect(fs.existsSync(spool)).toBe(false);
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
    await api.call('POST', '/api/runners/register');
    api.setInstance('r1', 'inst-1');
    await api.call('POST', '/api/runners/r1/heartbeat', { body: { taskIds: [] } });
    await api.call('DELETE', '/api/runners/r1');
    await server.close();
    expect(server.seen.map((r) => r.headers['x-runner-instance'])).toEqual([undefined, 'inst-1', 'inst-1']);
    expect(server.seen.every((r) => r.headers.authorization === 'Bearer rp_key')).toBe(true);
    expect(api.identityHeaders()).toEqual({ authorization: 'Bearer rp_key', 'x-runner-instance': 'inst-1' });
  });

  it('409 runner_replaced is fatal, even on a task write; 409 stale_attempt concerns the task', async () => {
    const server = await fakeServer((r) => conflict(r.path.endsWith('/result') ? 'stale_attempt' : 'runner_replaced'));
    const api = new ServerApi(server.url, 'rp_key', () => {});
    api.setInstance('r1', 'inst-1');
    const replaced = (await api.call('POST', '/api/runners/tasks/t1/logs', { taskId: 't1' }).catch((e) => e)) as Error;
    expect(replaced).toBeInstanceOf(RunnerReplaced);
    expect(replaced).toBeInstanceOf(FatalServerError);
    expect(replaced.message).toMatch(/^runner r1 was replaced: another process registered the same runner id/);
    expect(replaced.message).toContain('give this one a different --id');
    const stale = await api.call('POST', '/api/runners/tasks/t1/result', { taskId: 't1' }).catch((e) => e);
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
    await expect(api.call('POST', '/api/runners/r1/heartbeat', { retry: false, timeoutMs: 200 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
    await server.close();
  });

  it('a call whose signal already aborted sends nothing and throws the abort reason', async () => {
    const server = await fakeServer(() => ({ status: 200, body: {} }));
    const api = new ServerApi(server.url, 'rp_key', () => {});
    const released = new AbortController();
    released.abort(new StaleAttempt('t1', 'the server released it'));
    await expect(api.call('POST', '/v1/runners/sessions/t1/events', { signal: released.signal })).rejects.toBe(
      released.signal.reason,
    );
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
  async function runnerAgainst(heartbeat: (taskIds: string[]) => Answer) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-agent-'));
    let handedOut = false;
    const idle = async <T>(body: T): Promise<Answer> => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { status: 200, body };
    };
    const server = await fakeServer((r) => {
      if (r.path === '/api/runners/register') return { status: 200, body: { data: { instanceId: 'inst-1' } } };
      if (r.path.endsWith('/heartbeat')) return heartbeat(r.body.taskIds);
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
      {
        server: server.url,
        apiKey: 'rp_key',
        id: 'r1',
        name: 'r1',
        version: 'test',
        tags: [],
        maxConcurrency: 2,
        workDir: root,
        executor: 'process',
        reviewerCommand: null,
        llmBaseUrl: 'http://127.0.0.1:1',
        llmModel: 'none',
        llmApiKey: null,
        profiles: ['p1'],
        sessionCommand: `echo $$ > ${root}/pid; exec sleep 30`,
        heartbeatMs: 100,
        timeoutMs: 60_000,
        graceMs: 300,
        drainMs: 2000,
      },
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
    const agent = await runnerAgainst((taskIds) => {
      stale ||= taskIds.includes(SESSION.id);
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
    expect(fs.existsSync(path.join(agent.root, 'spool', `${SESSION.id}-3.events.jsonl`))).toBe(false);
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
    const agent = await runnerAgainst((taskIds) =>
      taskIds.includes(SESSION.id)
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
      {
        server: server.url,
        apiKey: 'rp_key',
        id: 'r7',
        name: 'r7',
        version: 'test',
        tags: [],
        maxConcurrency: 1,
        workDir: root,
        executor: 'process',
        reviewerCommand: `cat > /dev/null; echo progress >&2; echo '{"files":[],"rating":"A"}'`,
        llmBaseUrl: 'http://127.0.0.1:1',
        llmModel: 'none',
        llmApiKey: null,
        profiles: [],
        sessionCommand: null,
        heartbeatMs: 1000,
        timeoutMs: 60_000,
        graceMs: 300,
        drainMs: 2000,
      },
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
