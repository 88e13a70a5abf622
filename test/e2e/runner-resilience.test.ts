// The runner agent under trouble, with real processes: a cancel stops the reviewer's whole process group, and a
// server outage in the middle of a task delays its logs and result without losing them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandReviewOf, createReviewRepo, type ReviewRepo } from '../support/git-repo.ts';
import { freePort } from '../support/postgres-cluster.ts';
import {
  freshDataDir,
  type RunnerProcess,
  runCli,
  type ServerProcess,
  startRunnerProcess,
  startServeProcess,
} from '../support/processes.ts';
import { type Client, client } from '../support/server.ts';
import { ENDED_STATES, processState, until } from '../support/wait.ts';

describe('runner resilience', () => {
  let repo: ReviewRepo;
  let root: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  let runner: RunnerProcess;
  let api: Client;
  let key: string;

  beforeAll(async () => {
    repo = createReviewRepo();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-resilience-'));
    const port = await freePort();
    env = {
      RUNPLANE_DATA_DIR: freshDataDir(path.join(root, 'data')),
      PORT: String(port),
      RUNPLANE_LEASE_TTL_SECONDS: '30',
    };
    const created = await runCli(
      ['keys', 'create', '--org', 'acme', '--scopes', 'runners:read,runners:write,runners:dispatch'],
      env,
    );
    key = created.stdout.trim().split('\n').at(-1)!;
    server = await startServeProcess(env);
    api = client(server.url, key);
    // The reviewer: logs a line per second to stderr while "thinking", then answers one comment. A review whose
    // branch is "hang" records its pid and ignores SIGTERM, so only the group SIGKILL can end it.
    const reviewer = path.join(root, 'reviewer.sh');
    fs.writeFileSync(
      reviewer,
      `#!/bin/sh
task=$(cat)
case "$task" in
  *'"branch":"hang"'*) echo $$ > "${root}/hang.pid"; trap '' TERM; (trap '' TERM; sleep 120) & echo $! > "${root}/hang-child.pid"; wait ;;
esac
for i in 1 2 3 4 5 6 7 8; do echo "thinking $i" >&2; sleep 1; done
echo '{"files":[{"path":"src/app.ts","comments":[{"line":3,"severity":"info","body":"ok"}]}],"rating":"A"}'
`,
      { mode: 0o755 },
    );
    runner = startRunnerProcess(
      [
        '--server',
        server.url,
        '--id',
        'runner-r',
        '--allow-file-repos',
        '--reviewer-command',
        reviewer,
        '--heartbeat',
        '0.5',
        '--grace',
        '1',
        '--work-dir',
        path.join(root, 'work'),
      ],
      { RUNPLANE_API_KEY: key },
    );
    await runner.waitFor('registered');
  }, 120_000);

  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
    repo?.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const review = (overrides: Record<string, unknown> = {}) =>
    api.post('/api/reviews', commandReviewOf(repo, overrides));

  it('cancel of a running review stops the reviewer’s process group within the grace period and reports cancelled', async () => {
    const created = (await review({ branch: 'hang' })).body.data;
    const pidFile = path.join(root, 'hang-child.pid');
    await until(async () => fs.existsSync(pidFile), Boolean, 30_000);
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    // Alive (running or sleeping: it may not have reached its sleep yet when the pid file appears).
    expect(ENDED_STATES).not.toContain(processState(child));
    expect((await api.post(`/api/reviews/${created.id}/cancel`)).body.data.status).toBe('cancel_requested');
    const done = await until(
      async () => (await api.get(`/api/reviews/${created.id}`)).body.data,
      (r) => r.status === 'cancelled',
      20_000,
    );
    expect(done.status).toBe('cancelled');
    expect(ENDED_STATES).toContain(processState(child));
    await runner.waitFor('reported cancelled');
  }, 60_000);

  it('a server stopped for 5 s mid-task: the runner delivers its spooled logs and result when it returns', async () => {
    const created = (await review()).body.data;
    await until(
      async () => (await api.get(`/api/reviews/${created.id}`)).body.data,
      (r) => r.phase === 'reviewing',
      30_000,
    );
    expect(await server.stop()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    server = await startServeProcess(env);
    const done = await until(
      async () => (await api.get(`/api/reviews/${created.id}`)).body.data,
      (r) => r.status === 'succeeded',
      60_000,
    );
    expect(done).toMatchObject({ status: 'succeeded', rating: 'A', totalComments: 1, attempt: 1 });
    const logs = (await api.get(`/api/runners/tasks/${created.taskId}/logs?limit=1000`)).body.data.map(
      (l: { line: string }) => l.line,
    );
    // Every line the reviewer printed arrived, including those printed while the server was down, in order.
    expect(logs.filter((line: string) => line.startsWith('thinking'))).toEqual(
      Array.from({ length: 8 }, (_v, i) => `thinking ${i + 1}`),
    );
    expect(runner.output()).toContain('unreachable');
    expect(runner.output()).toContain('reachable again');
  }, 120_000);

  it('a bad API key stops the runner with a message that says what to do', async () => {
    const bad = startRunnerProcess(
      ['--server', server.url, '--id', 'bad-key', '--reviewer-command', 'true', '--work-dir', path.join(root, 'bad')],
      {
        RUNPLANE_API_KEY: 'rp_not-a-real-key',
      },
    );
    expect(await new Promise((resolve) => bad.child.on('exit', resolve))).toBe(1);
    expect(bad.output()).toContain('refused the API key (401)');
    expect(bad.output()).toContain('runplane keys create');
  }, 60_000);

  it('SIGTERM drains, deregisters and exits 0', async () => {
    expect(await runner.stop()).toBe(0);
    expect(runner.output()).toContain('deregistered');
    expect((await api.get('/api/runners/runner-r')).body.data.status).toBe('offline');
  }, 60_000);
});
