// The safety net under notifications: a pending item nobody announced (a lost notification) is found by the
// instance's queue sweep and claimed by a parked long poll; an org the sweep found empty lets new long polls park
// without running a claim statement, and work arriving later still wakes them.
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

describe.each(STORE_KINDS)('the queue sweep on the %s store', (kind) => {
  const t = useTestServer(kind, { config: { claimRepollMs: 200 } });

  const attempts = async () => {
    const text = await (await fetch(`${t.server.url}/metrics`)).text();
    return Number(/^runplane_claim_attempts_total (\d+)$/m.exec(text)?.[1] ?? NaN);
  };

  it('a pending item whose announcement was lost is claimed by a parked poll within a sweep', async () => {
    const api = await t.client(['admin']);
    const profile = (await api.post('/v1/runners/profiles', { name: 'p' })).body.id;
    // Made pending behind the engine's back below: like a resume whose notification was never sent.
    const session = (await api.post('/v1/runners/sessions', { profile_id: profile, task_id: 't', input: {} })).body;
    await api.post(`/v1/runners/sessions/${session.id}/cancel`);
    const parked = api.post('/v1/runners/sessions/claim', { runner_id: 'r2', wait_seconds: 20 });
    await until(
      async () => t.server.core.wakeups.size,
      (size) => size === 1,
      10_000,
    );
    await t.db.query(`update items set state = 'pending', finished_at = null where id = $1`, [session.id]);
    expect((await parked).body.items.map((item: { id: string }) => item.id)).toEqual([session.id]);
  });

  it('new long polls in an org the sweep found empty park without claiming, and work still wakes them', async () => {
    const api = await t.client(['admin']);
    const profile = (await api.post('/v1/runners/profiles', { name: 'q' })).body.id;
    const first = api.post('/v1/runners/sessions/claim', { runner_id: 'w0', wait_seconds: 5 });
    const orgId = (await t.db.query<{ id: string }>(`select id from orgs where slug = 'acme'`))[0]!.id;
    await until(async () => t.server.core.wakeups.knownEmpty(orgId), Boolean, 10_000);
    const before = await attempts();
    const polls = Array.from({ length: 5 }, (_v, i) =>
      api.post('/v1/runners/sessions/claim', { runner_id: `w${i + 1}`, wait_seconds: 5 }),
    );
    await until(
      async () => t.server.core.wakeups.size,
      (size) => size === 6,
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await attempts()).toBe(before);
    const session = (await api.post('/v1/runners/sessions', { profile_id: profile, task_id: 't', input: {} })).body;
    const answers = await Promise.all([first, ...polls]);
    const claimed = answers.flatMap((answer) => answer.body.items.map((item: { id: string }) => item.id));
    expect(claimed).toEqual([session.id]);
  }, 60_000);
});
