// Governed execution (issue 16), the parts built so far: versioned profile policies a session pins at dispatch (its
// cancel grace bounds a cancel), and replays linked both ways. Both stores, over HTTP.
import { beforeEach, describe, expect, it } from 'vitest';
import { register } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

describe.each(STORE_KINDS)('governance on the %s store', (kind) => {
  // The server's default grace is long: only a policy's grace can end a cancel within the test.
  const t = useTestServer(kind, { reaper: true, config: { leaseTtlMs: 120_000, cancelGraceMs: 120_000 } });
  let admin: Client;

  beforeEach(async () => {
    admin = await t.client(['admin']);
  });

  let profiles = 0;
  const newProfile = async () => (await admin.post('/v1/runners/profiles', { name: `gov-${++profiles}` })).body;
  const dispatch = async (profileId: string, headers: Record<string, string> = {}) =>
    (await admin.post('/v1/runners/sessions', { profile_id: profileId, task_id: 'job', input: { n: 1 } }, headers))
      .body;

  describe('policy', () => {
    it('is versioned: defaults at version 0, each PUT a new version, the history newest first, who wrote it', async () => {
      const profile = await newProfile();
      const none = await admin.get(`/v1/runners/profiles/${profile.id}/policy`);
      expect(none.status).toBe(200);
      expect(none.body).toEqual({
        current: {
          profile_id: profile.id,
          version: 0,
          permissions: [],
          budgets: {},
          cancel_grace_seconds: 30,
          created_by: null,
          created_at: null,
        },
        versions: [],
      });
      const first = await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, {
        permissions: [
          { scope: 'repo:write', resource: 'github.com/acme/*', action: 'ask', max_ttl_seconds: 900 },
          { scope: 'repo:read', resource: '**', action: 'allow' },
        ],
        budgets: { max_tokens: 1000, max_wall_seconds: 600 },
        cancel_grace_seconds: 5,
      });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        profile_id: profile.id,
        version: 1,
        permissions: [
          { scope: 'repo:write', resource: 'github.com/acme/*', action: 'ask', max_ttl_seconds: 900 },
          { scope: 'repo:read', resource: '**', action: 'allow' },
        ],
        budgets: { max_tokens: 1000, max_wall_seconds: 600 },
        cancel_grace_seconds: 5,
      });
      expect(first.body.created_by).toEqual(expect.any(String));
      const second = await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, {});
      expect(second.body).toMatchObject({ version: 2, permissions: [], budgets: {}, cancel_grace_seconds: 30 });
      const history = (await admin.get(`/v1/runners/profiles/${profile.id}/policy`)).body;
      expect(history.current.version).toBe(2);
      expect(history.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
      const audit = (await admin.get(`/v1/audit?target=${profile.id}`)).body.items;
      expect(audit.filter((r: { action: string }) => r.action.startsWith('PUT')).length).toBe(2);
    });

    it('refuses bad rules naming the field, needs admin to write, and answers 404 for another org', async () => {
      const profile = await newProfile();
      const url = `/v1/runners/profiles/${profile.id}/policy`;
      const bad = await admin.call('PUT', url, {
        permissions: [{ scope: 'repo:write', resource: '*', action: 'maybe' }],
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toContain('action');
      const unknown = await admin.call('PUT', url, { budgets: { max_dollars: 3 } });
      expect(unknown.status).toBe(400);
      expect((await admin.call('PUT', url, { cancel_grace_seconds: 0 })).body.error.field).toContain(
        'cancel_grace_seconds',
      );
      const writer = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
      expect((await writer.call('PUT', url, {})).status).toBe(403);
      expect((await writer.get(url)).status).toBe(200);
      const other = await t.client(['admin'], { org: 'globex' });
      expect((await other.get(url)).status).toBe(404);
      expect((await other.call('PUT', url, {})).status).toBe(404);
      expect((await admin.get(url)).body.versions).toEqual([]);
    });

    it('a session pins the version in force at dispatch, with or without an Idempotency-Key', async () => {
      const profile = await newProfile();
      const before = await dispatch(profile.id);
      expect(before.policy_version).toBeNull();
      await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, { cancel_grace_seconds: 10 });
      const pinned = await dispatch(profile.id);
      const keyed = await dispatch(profile.id, { 'idempotency-key': `k-${kind}-pin` });
      expect([pinned.policy_version, keyed.policy_version]).toEqual([1, 1]);
      await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, { cancel_grace_seconds: 20 });
      expect((await admin.get(`/v1/runners/sessions/${pinned.id}`)).body.policy_version).toBe(1);
      expect((await dispatch(profile.id)).policy_version).toBe(2);
    });

    it("a cancel is bounded by the pinned policy's cancel_grace_seconds", async () => {
      const profile = await newProfile();
      await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, { cancel_grace_seconds: 1 });
      const session = await dispatch(profile.id);
      await register(admin, 'gov-runner');
      await admin.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'gov-runner' });
      const asked = (await admin.post(`/v1/runners/sessions/${session.id}/cancel`)).body;
      expect(Date.parse(asked.lease_expires_at) - Date.now()).toBeLessThan(5_000);
      const done = await until(
        async () => (await admin.get(`/v1/runners/sessions/${session.id}`)).body,
        (s) => s.state === 'cancelled',
        10_000,
      );
      expect(done.failure_reason).toBe('cancel_forced');
    });
  });

  describe('replay', () => {
    it('makes a linked session with the same input, harness revision and policy version', async () => {
      const profile = await newProfile();
      await admin.post(`/v1/runners/profiles/${profile.id}/harnesses`, { version: 'v1', image_ref: 'img:1' });
      await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, { cancel_grace_seconds: 7 });
      const source = await dispatch(profile.id);
      await admin.post(`/v1/runners/sessions/${source.id}/cancel`);
      // Newer revisions after the source: the replay keeps the source's.
      await admin.post(`/v1/runners/profiles/${profile.id}/harnesses`, { version: 'v2', image_ref: 'img:2' });
      await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, { cancel_grace_seconds: 8 });

      const replay = await admin.post(`/v1/runners/sessions/${source.id}/replay`);
      expect(replay.status).toBe(201);
      expect(replay.body).toMatchObject({
        state: 'pending',
        profile_id: profile.id,
        task_id: 'job',
        input: { n: 1 },
        policy_version: 1,
        replay_of: source.id,
        replays: [],
      });
      expect(replay.body.id).not.toBe(source.id);
      expect(replay.body.harness_revision).toMatchObject({ version: 'v1', image_ref: 'img:1' });
      const linked = (await admin.get(`/v1/runners/sessions/${source.id}`)).body;
      expect(linked).toMatchObject({ state: 'cancelled', replays: [replay.body.id] });
      // A replay of the replay links to it, not to the first.
      const again = (await admin.post(`/v1/runners/sessions/${replay.body.id}/replay`)).body;
      expect(again.replay_of).toBe(replay.body.id);
    });

    it('is idempotent with an Idempotency-Key; another key makes another; a key used otherwise is 409', async () => {
      const profile = await newProfile();
      const source = await dispatch(profile.id);
      const key = { 'idempotency-key': `replay-${kind}-1` };
      const first = await admin.post(`/v1/runners/sessions/${source.id}/replay`, undefined, key);
      const repeat = await admin.post(`/v1/runners/sessions/${source.id}/replay`, undefined, key);
      expect([first.status, repeat.status]).toEqual([201, 200]);
      expect(repeat.body.id).toBe(first.body.id);
      const other = await admin.post(`/v1/runners/sessions/${source.id}/replay`, undefined, {
        'idempotency-key': `replay-${kind}-2`,
      });
      expect(other.status).toBe(201);
      expect((await admin.get(`/v1/runners/sessions/${source.id}`)).body.replays).toEqual([
        first.body.id,
        other.body.id,
      ]);
      const used = await dispatch(profile.id, { 'idempotency-key': `dispatch-${kind}` });
      const reused = await admin.post(`/v1/runners/sessions/${source.id}/replay`, undefined, {
        'idempotency-key': `dispatch-${kind}`,
      });
      expect(reused.status).toBe(409);
      expect(reused.body.error.code).toBe('idempotency_key_reused');
      expect(used.replays).toEqual([]);
    });

    it('needs runners:dispatch and answers 404 for another org’s session or none', async () => {
      const profile = await newProfile();
      const source = await dispatch(profile.id);
      const reader = await t.client(['runners:read', 'runners:write']);
      expect((await reader.post(`/v1/runners/sessions/${source.id}/replay`)).status).toBe(403);
      const other = await t.client(['admin'], { org: 'globex' });
      expect((await other.post(`/v1/runners/sessions/${source.id}/replay`)).status).toBe(404);
      expect((await admin.post('/v1/runners/sessions/nope/replay')).status).toBe(404);
      expect((await admin.get(`/v1/runners/sessions/${source.id}`)).body.replays).toEqual([]);
    });
  });
});
