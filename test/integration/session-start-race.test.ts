// The agent's side of a cancel that lands between a claim and the program's start: the first write (`running`)
// answers 409 with the state cancel_requested, and the agent confirms the cancel instead of dropping the session
// (which would leave it to the server's forced cancel after the grace). Real server, real agent code, both stores.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServerApi } from '../../src/agent/server-api.ts';
import { runSession } from '../../src/agent/session.ts';
import { register } from '../support/review-fixtures.ts';
import { useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('a cancel before the program starts (%s store)', (kind) => {
  const t = useTestServer(kind, { config: { leaseTtlMs: 120_000, cancelGraceMs: 120_000 } });

  it('is confirmed by the agent: the session ends cancelled and the program never runs', async () => {
    const admin = await t.client(['admin']);
    const runner = await t.client(['runners:read', 'runners:write'], { kind: 'runner' });
    const profile = (await admin.post('/v1/runners/profiles', { name: 'race' })).body;
    const session = (await admin.post('/v1/runners/sessions', { profile_id: profile.id, task_id: 'r', input: {} }))
      .body;
    await register(runner, 'race-runner');
    const claimed = (await runner.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'race-runner' })).body;
    expect((await admin.post(`/v1/runners/sessions/${session.id}/cancel`)).body.state).toBe('cancel_requested');

    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-race-'));
    const marker = path.join(root, 'ran');
    try {
      for (const dir of ['work', 'home', 'answers']) fs.mkdirSync(path.join(root, dir));
      const outcome = await runSession(
        { id: session.id, attempt: claimed.attempt, input: {}, harness_revision: null, latest_checkpoint: null },
        {
          api: new ServerApi(t.server.url, runner.authorization.replace('Bearer ', ''), () => {}),
          runnerId: 'race-runner',
          command: `touch ${marker}`,
          executor: 'process',
          workDir: path.join(root, 'work'),
          home: path.join(root, 'home'),
          answersDir: path.join(root, 'answers'),
          signal: new AbortController().signal,
          cancelled: () => false,
          released: new AbortController().signal,
          timeoutMs: 10_000,
          graceMs: 1_000,
          maxOutputBytes: 1_000_000,
          runAs: null,
        },
      );
      expect(outcome).toBe('cancelled before it started');
      expect(fs.existsSync(marker)).toBe(false);
      const ended = (await admin.get(`/v1/runners/sessions/${session.id}`)).body;
      expect(ended).toMatchObject({ state: 'cancelled', failure_reason: 'cancelled' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
