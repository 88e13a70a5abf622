// Leases belong to a runner process (an instance), with real `runplane runner` processes on each store: a runner
// killed with -9 and restarted with the same id gets its tasks back at once instead of when their leases expire, and
// a second live process with the same id makes the first one stop without reporting or deregistering.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandReviewOf, createReviewRepo, type ReviewRepo } from '../support/git-repo.ts';
import {
  freshDataDir,
  type RunnerProcess,
  runCli,
  type ServerProcess,
  startRunnerProcess,
  startServeProcess,
} from '../support/processes.ts';
import { type Client, client } from '../support/server.ts';
import { clonePgDatabase, STORE_KINDS } from '../support/stores.ts';
import { ENDED_STATES, processState, until } from '../support/wait.ts';

interface StoredEvent {
  seq: number;
  type: string;
  message: string;
  ts: string;
  data: { from?: string; to?: string; attempt?: number; runnerId?: string; reason?: string } | null;
}

describe.each(STORE_KINDS)('runner instances on the %s store', (kind) => {
  let root: string;
  let repo: ReviewRepo;
  let server: ServerProcess;
  let api: Client;
  let runnerKey: string;
  let profileId: string;
  let program: string;
  const runners: RunnerProcess[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-instances-'));
    repo = createReviewRepo();
    const store: Record<string, string> =
      kind === 'postgres'
        ? { DATABASE_URL: await clonePgDatabase() }
        : { RUNPLANE_DATA_DIR: freshDataDir(path.join(root, 'data')) };
    // Leases far longer than any test: a task that comes back early came back because of the instance protocol.
    // A 5 s cancel grace: cancelAndWait (cleanup between tests) ends within it even when a cancel lands between a
    // takeover's claim and its program's start, a race in which the agent was once seen not to confirm (CI, postgres).
    const env = { ...store, RUNPLANE_LEASE_TTL_SECONDS: '120', RUNPLANE_CANCEL_GRACE_SECONDS: '5' };
    const dispatcher = await runCli(
      ['keys', 'create', '--org', 'acme', '--scopes', 'runners:read,runners:write,runners:dispatch'],
      env,
    );
    expect(dispatcher.code).toBe(0);
    const runner = await runCli(['keys', 'create', '--runner', '--org', 'acme'], env);
    expect(runner.code).toBe(0);
    runnerKey = runner.stdout.trim().split('\n').at(-1)!;
    server = await startServeProcess(env);
    api = client(server.url, dispatcher.stdout.trim().split('\n').at(-1)!);
    profileId = (await api.post('/v1/runners/profiles', { name: 'jobs' })).body.id;
    // Reviewer and session program alike: record the pid per task and attempt (a session has it in its environment,
    // a reviewer in the task on stdin), then sleep.
    program = path.join(root, 'sleeper.sh');
    fs.writeFileSync(
      program,
      `#!/bin/sh
input=$(cat)
attempt=\${RUNPLANE_ATTEMPT:-$(printf '%s' "$input" | sed -n 's/.*"attempt":\\([0-9]*\\).*/\\1/p')}
echo $$ > "${root}/pid-\${RUNPLANE_SESSION_ID:-$RUNPLANE_TASK_ID}-$attempt"
exec sleep 60
`,
      { mode: 0o755 },
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    // A runner killed with -9 leaves its programs behind, as it would on a real machine.
    for (const file of fs.existsSync(root) ? fs.readdirSync(root) : []) {
      if (!file.startsWith('pid-')) continue;
      // The pid may lead its group (sh exec'd the program) or not: kill both ways.
      const pid = Number(fs.readFileSync(path.join(root, file), 'utf8'));
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {}
      }
    }
    await server?.stop();
    repo?.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  }, 60_000);

  const startRunner = (id: string, workDir: string) => {
    const runner = startRunnerProcess(
      [
        '--server',
        server.url,
        '--id',
        id,
        '--profiles',
        profileId,
        '--session-command',
        program,
        '--allow-file-repos',
        '--reviewer-command',
        program,
        '--max-concurrency',
        '2',
        '--heartbeat',
        '0.5',
        '--grace',
        '1',
        '--drain',
        '1',
        '--work-dir',
        path.join(root, workDir),
      ],
      { RUNPLANE_API_KEY: runnerKey },
    );
    runners.push(runner);
    return runner;
  };

  const events = async (taskId: string): Promise<StoredEvent[]> =>
    (await api.get(`/v1/runners/sessions/${taskId}/events?after=0&limit=1000`)).body.items;

  /** The pid of the program a task's attempt runs on `runner`, once it started. */
  const programPid = async (runner: RunnerProcess, taskId: string, attempt: number) => {
    const file = path.join(root, `pid-${taskId}-${attempt}`);
    const started = async () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() !== '';
    if (!(await until(started, Boolean, 30_000))) {
      const states = (await events(taskId)).filter((e) => e.type === 'state').map((e) => JSON.stringify(e.data));
      throw new Error(
        `the program of ${taskId} attempt ${attempt} never started; its states:\n${states.join('\n')}\n` +
          `runner output:\n${runner.output()}`,
      );
    }
    return Number(fs.readFileSync(file, 'utf8'));
  };

  /** Cancels a session (or review task) and waits until its runner stopped it: the next test starts on an empty queue. */
  const cancelAndWait = async (sessionId: string) => {
    await api.post(`/v1/runners/sessions/${sessionId}/cancel`);
    const done = await until(
      async () => (await api.get(`/v1/runners/sessions/${sessionId}`)).body,
      (s) => s.state === 'cancelled',
      20_000,
    );
    expect(done.state).toBe('cancelled');
  };

  /** When the runner printed its "registered" line (the agent stamps every line it prints). */
  const registeredAt = (runner: RunnerProcess) =>
    Date.parse(
      runner
        .output()
        .split('\n')
        .find((line) => line.includes(' registered with '))!
        .split(' ')[0]!,
    );

  it('a runner killed with -9 and restarted with the same id gets its tasks back at register, on attempt 2', async () => {
    const first = startRunner('restarted', 'work-restarted');
    await first.waitFor('registered');
    const review = (await api.post('/api/reviews', commandReviewOf(repo))).body.data;
    const session = (
      await api.post('/v1/runners/sessions', { profile_id: profileId, task_id: 'job-restarted', input: {} })
    ).body;
    // Both run on the first process: its programs started.
    await programPid(first, review.taskId, 1);
    await programPid(first, session.id, 1);

    await first.kill9();
    const second = startRunner('restarted', 'work-restarted');
    await second.waitFor('registered');
    const registered = registeredAt(second);
    for (const taskId of [review.taskId, session.id]) {
      await second.waitFor(`task ${taskId.slice(0, 8)}: claimed (attempt 2)`);
      const log = await events(taskId);
      const claims = log.filter((e) => e.type === 'state' && e.data?.reason === 'claimed');
      const requeued = log.find((e) => e.type === 'state' && e.data?.reason === 'runner_restarted');
      expect(claims.map((e) => [e.data?.attempt, e.data?.runnerId])).toEqual([
        [1, 'restarted'],
        [2, 'restarted'],
      ]);
      expect(requeued).toMatchObject({ data: { to: 'pending', attempt: 1 } });
      // Requeued between the two claims, by the new process's register: not by a lease expiry long after.
      expect(requeued!.seq).toBeGreaterThan(claims[0]!.seq);
      expect(requeued!.seq).toBeLessThan(claims[1]!.seq);
      expect(Date.parse(requeued!.ts) - registered).toBeLessThan(1000);
    }
    expect((await api.get(`/api/runners/tasks/${review.taskId}`)).body.data).toMatchObject({
      attempt: 2,
      runnerId: 'restarted',
    });
    expect((await api.get(`/v1/runners/sessions/${session.id}`)).body).toMatchObject({ attempt: 2 });
    await programPid(second, review.taskId, 2);
    await programPid(second, session.id, 2);
    await cancelAndWait(session.id);
    await cancelAndWait(review.taskId);
    expect(await second.stop()).toBe(0);
  }, 120_000);

  it('a second process with the same id makes the first stop at once, non-zero, without reporting its task', async () => {
    const first = startRunner('twin', 'work-twin-1');
    await first.waitFor('registered');
    const firstExit = new Promise<number | null>((resolve) => first.child.on('exit', resolve));
    const session = (await api.post('/v1/runners/sessions', { profile_id: profileId, task_id: 'job-twin', input: {} }))
      .body;
    const firstProgram = await programPid(first, session.id, 1);

    const second = startRunner('twin', 'work-twin-2');
    await second.waitFor('registered');
    const code = await Promise.race([
      firstExit,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    expect(code).not.toBe('still running');
    expect(code).not.toBe(0);
    expect(first.output()).toMatch(/runner_replaced|was replaced/);
    // It did not deregister (that would have released the second process's tasks) and its program is gone.
    expect(first.output()).not.toContain('deregistered');
    expect(ENDED_STATES).toContain(processState(firstProgram));

    // The session went back to the queue and on to the second process; the first reported nothing for it.
    await second.waitFor(`task ${session.id.slice(0, 8)}: claimed (attempt 2)`);
    const states = (await events(session.id)).filter((e) => e.type === 'state').map((e) => e.data?.to);
    expect(states.filter((state) => !['pending', 'dispatched', 'running'].includes(state!))).toEqual([]);
    expect((await api.get('/api/runners/twin')).body.data.status).not.toBe('offline');
    await cancelAndWait(session.id);
    expect(await second.stop()).toBe(0);
  }, 120_000);
});
