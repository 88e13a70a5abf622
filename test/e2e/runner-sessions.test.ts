// `runplane runner` executing governed sessions: the program gets its input on stdin, its output becomes events,
// `::runplane::` lines store checkpoints, artifacts and the result; a cancel ends its process group.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('runner executing sessions', () => {
  let root: string;
  let server: ServerProcess;
  let runner: RunnerProcess;
  let api: Client;
  let profileId: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-sessions-'));
    const env = { RUNPLANE_DATA_DIR: freshDataDir(path.join(root, 'data')) };
    const created = await runCli(
      ['keys', 'create', '--org', 'acme', '--scopes', 'runners:read,runners:write,runners:dispatch'],
      env,
    );
    const key = created.stdout.trim().split('\n').at(-1)!;
    server = await startServeProcess(env);
    api = client(server.url, key);
    profileId = (await api.post('/v1/runners/profiles', { name: 'jobs' })).body.id;
    const program = path.join(root, 'job.sh');
    fs.writeFileSync(
      program,
      `#!/bin/sh
input=$(cat)
echo "got $input"
echo "warming up" >&2
case "$input" in
  *hang*) echo "$$" > "${root}/hang.pid"; trap '' TERM; (trap '' TERM; sleep 120) & echo $! > "${root}/hang-child.pid"; wait ;;
esac
echo '::runplane::{"event":{"type":"step","level":"info","message":"half way","data":{"pct":50}}}'
echo '::runplane::{"progress":0.5}'
echo '::runplane::{"checkpoint":{"done":1}}'
printf 'report body' > report.txt
echo '::runplane::{"artifact":{"path":"report.txt","content_type":"text/plain"}}'
echo '::runplane::{"result":{"ok":true}}'
`,
      { mode: 0o755 },
    );
    runner = startRunnerProcess(
      [
        '--server',
        server.url,
        '--id',
        'sessions-1',
        '--profiles',
        profileId,
        '--session-command',
        program,
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
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('runs the program: input on stdin, lines as events, checkpoint, artifact, progress and result', async () => {
    const session = (
      await api.post('/v1/runners/sessions', { profile_id: profileId, task_id: 'job-1', input: { job: 'collect' } })
    ).body;
    const done = await until(
      async () => (await api.get(`/v1/runners/sessions/${session.id}`)).body,
      (s) => ['succeeded', 'failed', 'cancelled'].includes(s.state),
      30_000,
    );
    expect(done).toMatchObject({
      state: 'succeeded',
      result: { ok: true },
      progress: 0.5,
      latest_checkpoint: { seq: 1, data: { done: 1 } },
    });
    const events = (await api.get(`/v1/runners/sessions/${session.id}/events?limit=500`)).body.items;
    const summary = events.map(
      (e: { type: string; level: string; message: string }) => `${e.type}/${e.level}:${e.message}`,
    );
    expect(summary).toEqual(
      expect.arrayContaining([
        'log/info:got {"job":"collect"}',
        'log/warn:warming up',
        'step/info:half way',
        'checkpoint/info:checkpoint 1',
      ]),
    );
    const artifacts = (await api.get(`/v1/runners/sessions/${session.id}/artifacts`)).body.items;
    expect(artifacts).toMatchObject([
      {
        name: 'report.txt',
        content_type: 'text/plain',
        size: 11,
        sha256: createHash('sha256').update('report body').digest('hex'),
      },
    ]);
  }, 60_000);

  it('cancel of a running session kills its process group within the grace period', async () => {
    const session = (
      await api.post('/v1/runners/sessions', { profile_id: profileId, task_id: 'job-2', input: { mode: 'hang' } })
    ).body;
    const pidFile = path.join(root, 'hang-child.pid');
    await until(async () => fs.existsSync(pidFile), Boolean, 30_000);
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    const state = () => processState(child);
    // Alive and asleep in its wait; just after writing its pid file it may still be on a CPU ('R') for a moment.
    expect(
      await until(
        async () => state(),
        (s) => s === 'S',
        10_000,
      ),
    ).toBe('S');
    expect((await api.post(`/v1/runners/sessions/${session.id}/cancel`)).body.state).toBe('cancel_requested');
    const done = await until(
      async () => (await api.get(`/v1/runners/sessions/${session.id}`)).body,
      (s) => s.state === 'cancelled',
      15_000,
    );
    expect(done.state).toBe('cancelled');
    expect(ENDED_STATES).toContain(state());
  }, 60_000);
});
