// The kill switch with real runner processes (issue 16): 20 running sessions on three runners — two real
// `runplane runner` processes and a third that claims over HTTP and ignores cancels — are all cancelled within the
// pinned cancel grace + 1 s of the suspension (by the server's clock): the real runners confirm theirs, the
// ignoring runner's are finalised by the server (cancel_forced) and its later writes get 409; new dispatches get 409.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunnerProcess, startRunnerProcess } from '../support/processes.ts';
import { register } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const GRACE_SECONDS = 2;
const kind = STORE_KINDS.at(-1)!;

describe(`the kill switch with real runners (${kind} store)`, { timeout: 60_000 }, () => {
  const t = useTestServer(kind, { reaper: true, resetEachTest: false, config: { leaseTtlMs: 60_000 } });
  let root: string;
  const runners: RunnerProcess[] = [];
  let admin: Client;
  let profileId: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-kill-switch-'));
    admin = await t.client(['admin']);
    profileId = (await admin.post('/v1/runners/profiles', { name: 'killable' })).body.id;
    await admin.call('PUT', `/v1/runners/profiles/${profileId}/policy`, { cancel_grace_seconds: GRACE_SECONDS });
    const key = (await t.client(['runners:read', 'runners:write'], { kind: 'runner' })).authorization.slice(7);
    for (const id of ['ks-real-1', 'ks-real-2']) {
      runners.push(
        startRunnerProcess(
          [
            '--server',
            t.server.url,
            '--id',
            id,
            '--profiles',
            profileId,
            '--session-command',
            'exec sleep 120',
            '--max-concurrency',
            '8',
            '--heartbeat',
            '0.5',
            '--grace',
            '1',
            '--work-dir',
            path.join(root, id),
          ],
          { RUNPLANE_API_KEY: key },
        ),
      );
    }
    await Promise.all(runners.map((runner) => runner.waitFor('registered')));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('cancels all 20 within the grace + 1 s, refuses dispatches, and fences the runner that ignored it', async () => {
    const ignorer = await t.client(['runners:read', 'runners:write'], { kind: 'runner' });
    await register(ignorer, 'ks-ignorer', { 'x-runner-max-concurrency': '4', 'x-runner-tags': 'ignorer' });
    const dispatch = (tags: string[] = []) =>
      admin.post('/v1/runners/sessions', {
        profile_id: profileId,
        task_id: 'long',
        input: {},
        max_attempts: 1,
        required_tags: tags,
      });
    // The ignoring runner takes four by id (tagged so the real runners, without tags, leave them); the real runners
    // take the other sixteen.
    const ignored: { id: string; attempt: number }[] = [];
    for (let i = 0; i < 4; i++) {
      const { id } = (await dispatch(['ignorer'])).body;
      const claimed = await ignorer.post(`/v1/runners/sessions/${id}/claim`, { runner_id: 'ks-ignorer' });
      expect(claimed.status, JSON.stringify(claimed.body)).toBe(200);
      ignored.push({ id, attempt: claimed.body.attempt });
    }
    const others = await Promise.all(Array.from({ length: 16 }, async () => (await dispatch()).body.id as string));
    const ids = [...ignored.map((s) => s.id), ...others];
    const read = () => Promise.all(ids.map(async (id) => (await admin.get(`/v1/runners/sessions/${id}`)).body));
    const running = await until(
      read,
      (all) => all.every((s) => s.state === 'running' || s.runner_id === 'ks-ignorer'),
      30_000,
    );
    expect(running.filter((s) => s.runner_id?.startsWith('ks-real-')).length).toBe(16);

    const suspended = await admin.post(`/v1/runners/profiles/${profileId}/suspend`, { reason: 'incident' });
    expect(suspended.status).toBe(200);
    expect(suspended.body.cancelled + suspended.body.cancel_requested).toBe(20);
    const refused = await dispatch();
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('profile_suspended');

    const ended = await until(read, (all) => all.every((s) => s.state === 'cancelled'), 20_000);
    const suspendedAt = Date.parse(suspended.body.profile.suspended_at);
    for (const session of ended) {
      // By the server's clock: the reaper runs every 250 ms, so the forced ones end soon after the grace.
      expect(Date.parse(session.finished_at) - suspendedAt).toBeLessThanOrEqual((GRACE_SECONDS + 1) * 1000);
    }
    const byIgnorer = new Set(ignored.map((s) => s.id));
    for (const session of ended) {
      expect(session.failure_reason).toBe(byIgnorer.has(session.id) ? 'cancel_forced' : 'cancelled');
    }
    for (const { id, attempt } of ignored) {
      const late = await ignorer.post(
        `/v1/runners/sessions/${id}/events`,
        [{ type: 'log', level: 'info', message: 'still here' }],
        { 'x-runner-id': 'ks-ignorer', 'x-runplane-attempt': String(attempt) },
      );
      expect(late.status).toBe(409);
    }
    // The real runners stopped their programs and took nothing more.
    for (const runner of runners) expect(runner.output()).toContain('cancel requested');
  });
});
