// The kill switch (issue 16): suspending a profile or an org refuses new work and cancels what it has — running
// sessions within the pinned cancel grace even when a runner ignores the cancel. Both stores, over HTTP.
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { setProfileSuspension } from '../../src/store/sql/profiles.ts';
import { createReview, reviewBody } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const GRACE_SECONDS = 1;

describe.each(STORE_KINDS)('the kill switch on the %s store', (kind) => {
  const t = useTestServer(kind, { reaper: true, config: { leaseTtlMs: 120_000, cancelGraceMs: 120_000 } });
  let admin: Client;

  beforeEach(async () => {
    admin = await t.client(['admin']);
  });

  let profiles = 0;
  async function governedProfile() {
    const profile = (await admin.post('/v1/runners/profiles', { name: `ks-${++profiles}` })).body;
    await admin.call('PUT', `/v1/runners/profiles/${profile.id}/policy`, { cancel_grace_seconds: GRACE_SECONDS });
    return profile;
  }
  const dispatch = (profileId: string) =>
    admin.post('/v1/runners/sessions', { profile_id: profileId, task_id: 'job', input: {} });
  const writer = (runner: string, attempt: number) => ({
    'x-runner-id': runner,
    'x-runplane-attempt': String(attempt),
  });

  it('suspending a profile with 20 running sessions on 3 runners, one ignoring cancels: all cancelled within the grace + 1 s, new dispatches refused, the ignoring runner’s writes 409', async () => {
    const profile = await governedProfile();
    const pending = (await dispatch(profile.id)).body; // stays pending: cancelled at once
    const sessions: { id: string }[] = [];
    for (let i = 0; i < 20; i++) sessions.push((await dispatch(profile.id)).body);
    const runners = ['ks-a', 'ks-b', 'ks-ignorer'];
    const held = new Map<string, { runner: string; attempt: number }>();
    for (const [i, session] of sessions.entries()) {
      const runner = runners[i % 3]!;
      const claimed = (await admin.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: runner })).body;
      expect(claimed.state).toBe('dispatched');
      await admin.call('PATCH', `/v1/runners/sessions/${session.id}`, { state: 'running' }, writer(runner, 1));
      held.set(session.id, { runner, attempt: claimed.attempt });
    }

    // Two runners confirm a cancel as soon as their session heartbeat tells them; the third keeps heartbeating and
    // writing events as if nothing happened.
    let stop = false;
    const beat = async (runner: string) => {
      while (!stop) {
        for (const [id, h] of held) {
          if (h.runner !== runner) continue;
          const reply = await admin.post(`/v1/runners/sessions/${id}/heartbeat`, undefined, writer(runner, h.attempt));
          if (reply.body.cancel_requested !== true) continue;
          if (runner === 'ks-ignorer') {
            await admin.post(`/v1/runners/sessions/${id}/events`, [{ type: 'log', level: 'info', message: 'busy' }], {
              ...writer(runner, h.attempt),
            });
          } else {
            await admin.call(
              'PATCH',
              `/v1/runners/sessions/${id}`,
              { state: 'failed', error: 'cancelled' },
              {
                ...writer(runner, h.attempt),
              },
            );
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const beating = runners.map(beat);
    onTestFinished(async () => {
      stop = true;
      await Promise.allSettled(beating);
    });

    const before = (await admin.get(`/v1/runners/sessions?profile_id=${profile.id}&state=running`)).body.items;
    expect(before.length).toBe(20);
    const suspendedAt = Date.now();
    const suspended = await admin.post(`/v1/runners/profiles/${profile.id}/suspend`, { reason: 'incident 42' });
    expect(suspended.status).toBe(200);
    // The pending one at once; the held ones asked (a runner may confirm before the count is taken).
    expect(suspended.body.cancelled + suspended.body.cancel_requested).toBe(21);
    expect(suspended.body.cancelled).toBeGreaterThanOrEqual(1);
    expect(suspended.body.profile).toMatchObject({ suspended_reason: 'incident 42' });
    expect(suspended.body.profile.suspended_at).toEqual(expect.any(String));

    const refused = await dispatch(profile.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('profile_suspended');
    expect((await admin.post(`/v1/runners/sessions/${pending.id}/replay`)).body.error.code).toBe('profile_suspended');

    const states = async () =>
      Promise.all([pending, ...sessions].map(async (s) => (await admin.get(`/v1/runners/sessions/${s.id}`)).body));
    const all = await until(states, (list) => list.every((s) => s.state === 'cancelled'), 10_000);
    const endedWithin = Date.now() - suspendedAt;
    stop = true;
    await Promise.all(beating);
    expect(all.every((s) => s.state === 'cancelled')).toBe(true);
    // Polled every 100 ms: the last one ended within the grace plus a second.
    expect(endedWithin).toBeLessThan((GRACE_SECONDS + 1) * 1000 + 1500);
    const ignored = all.filter((s) => held.get(s.id)?.runner === 'ks-ignorer');
    expect(ignored.length).toBe(6);
    for (const s of ignored) expect(s.failure_reason).toBe('cancel_forced');

    for (const s of ignored) {
      const late = await admin.call(
        'PATCH',
        `/v1/runners/sessions/${s.id}`,
        { state: 'succeeded', result: {} },
        writer('ks-ignorer', 1),
      );
      expect(late.status).toBe(409);
    }

    const back = await admin.post(`/v1/runners/profiles/${profile.id}/unsuspend`);
    expect(back.body.profile).toMatchObject({ suspended_at: null, suspended_reason: null });
    expect((await dispatch(profile.id)).status).toBe(201);
  }, 60_000);

  it('a suspension that committed but died before its cancels is finished by the reaper', async () => {
    const profile = await governedProfile();
    const pending = (await dispatch(profile.id)).body;
    const held = (await dispatch(profile.id)).body;
    await admin.post('/api/runners/register', undefined, { 'x-runner-id': 'ks-crash' });
    expect((await admin.post(`/v1/runners/sessions/${held.id}/claim`, { runner_id: 'ks-crash' })).status).toBe(200);
    // What an instance killed right after the suspension's commit leaves: the switch set, nothing cancelled.
    const orgId = (await t.db.query<{ id: string }>("select id from orgs where slug = 'acme'"))[0]!.id;
    await setProfileSuspension(t.db, orgId, profile.id, 'crashed mid-way');
    const ended = await until(
      async () => [
        (await admin.get(`/v1/runners/sessions/${pending.id}`)).body.state,
        (await admin.get(`/v1/runners/sessions/${held.id}`)).body.state,
      ],
      (states) => states[0] === 'cancelled' && states[1] === 'cancelled',
      15_000,
    );
    expect(ended).toEqual(['cancelled', 'cancelled']);
  });

  it('dispatches racing a suspension leave no unfinished session behind it', async () => {
    for (let round = 0; round < 10; round++) {
      const profile = await governedProfile();
      const racing = Array.from({ length: 10 }, () => dispatch(profile.id));
      const suspend = admin.post(`/v1/runners/profiles/${profile.id}/suspend`, { reason: `round ${round}` });
      const [replies, suspended] = await Promise.all([Promise.all(racing), suspend]);
      expect(suspended.status).toBe(200);
      for (const reply of replies) expect([201, 409]).toContain(reply.status);
      const open = (await admin.get(`/v1/runners/sessions?profile_id=${profile.id}&state=pending,dispatched,running`))
        .body.items;
      expect(open).toEqual([]);
    }
  });

  it('an org suspension refuses sessions and reviews, cancels everything open, and lifts', async () => {
    const org = await t.client(['admin'], { org: `ks-org-${kind}` });
    const profile = (await org.post('/v1/runners/profiles', { name: 'p' })).body;
    const open = (await org.post('/v1/runners/sessions', { profile_id: profile.id, task_id: 't', input: {} })).body;
    const suspended = await org.post('/v1/runners/suspend', { reason: 'breach' });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ org: { suspended_reason: 'breach' }, cancelled: 1, cancel_requested: 0 });
    expect((await org.get(`/v1/runners/sessions/${open.id}`)).body.state).toBe('cancelled');
    const refused = await org.post('/v1/runners/sessions', { profile_id: profile.id, task_id: 't', input: {} });
    expect(refused.body.error.code).toBe('org_suspended');
    const review = await org.post('/api/reviews', reviewBody());
    expect(review.status).toBe(409);
    expect(review.body.error.code).toBe('org_suspended');
    // Other orgs are untouched.
    expect((await createReview(admin)).id).toEqual(expect.any(String));
    const lifted = await org.post('/v1/runners/unsuspend');
    expect(lifted.body.org).toMatchObject({ suspended_at: null, suspended_reason: null });
    expect((await org.post('/v1/runners/sessions', { profile_id: profile.id, task_id: 't', input: {} })).status).toBe(
      201,
    );
  });

  it('needs admin, names the missing reason, and answers 404 for another org’s profile', async () => {
    const profile = await governedProfile();
    const operator = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    for (const [path, body] of [
      [`/v1/runners/profiles/${profile.id}/suspend`, { reason: 'x' }],
      [`/v1/runners/profiles/${profile.id}/unsuspend`, undefined],
      ['/v1/runners/suspend', { reason: 'x' }],
      ['/v1/runners/unsuspend', undefined],
    ] as const) {
      expect((await operator.post(path, body)).status).toBe(403);
    }
    const noReason = await admin.post(`/v1/runners/profiles/${profile.id}/suspend`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.field).toContain('reason');
    const other = await t.client(['admin'], { org: 'globex' });
    expect((await other.post(`/v1/runners/profiles/${profile.id}/suspend`, { reason: 'x' })).status).toBe(404);
    expect((await other.post(`/v1/runners/profiles/${profile.id}/unsuspend`)).status).toBe(404);
    expect((await admin.get(`/v1/runners/profiles/${profile.id}`)).body.suspended_at).toBeNull();
  });
});
