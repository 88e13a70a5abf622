// Concurrency proofs on each store over real HTTP: many runners racing for the same queue.
import { beforeEach, describe, expect, it } from 'vitest';
import { createReview as coreCreateReview } from '../../src/core/reviews.ts';
import { register, resultBody, reviewBody } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('concurrent claims on the %s store', (kind) => {
  const t = useTestServer(kind);
  let api: Client;
  let orgId: string;

  beforeEach(async () => {
    api = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    orgId = (await t.db.query<{ id: string }>("select id from orgs where slug = 'acme'"))[0]!.id;
  });

  async function seed(count: number): Promise<Set<string>> {
    const ids = new Set<string>();
    for (let i = 0; i < count; i++) {
      const { files, aiConfig, ...rest } = reviewBody();
      ids.add((await coreCreateReview(t.server.core, { orgId, files, aiConfig, ...rest })).item.id);
    }
    return ids;
  }

  it('20 concurrent claimers over 500 tasks: each task is claimed exactly once', async () => {
    const taskIds = await seed(500);
    const runners = Array.from({ length: 20 }, (_v, i) => `runner-${i}`);
    for (const id of runners) await register(api, id, { 'x-runner-max-concurrency': '1000' });
    const claimedBy = new Map<string, string[]>();
    await Promise.all(
      runners.map(async (runnerId) => {
        for (;;) {
          const reply = await api.get(`/api/runners/tasks/pending?runnerId=${runnerId}&limit=1`);
          expect(reply.status).toBe(200);
          if (reply.body.data.length === 0) return;
          for (const task of reply.body.data) claimedBy.set(task.id, [...(claimedBy.get(task.id) ?? []), runnerId]);
        }
      }),
    );
    expect(claimedBy.size).toBe(500);
    expect([...claimedBy.keys()].every((id) => taskIds.has(id))).toBe(true);
    expect([...claimedBy.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    const attempts = await t.db.query<{ n: number }>('select count(*)::int as n from attempts');
    expect(attempts[0]!.n).toBe(500);
    const owners = await t.db.query<{ id: string; runner_id: string }>('select id, runner_id from items');
    for (const row of owners) expect(claimedBy.get(row.id)).toEqual([row.runner_id]);
  });

  it('a runner with max concurrency 3 never holds more than 3, however many claims race', async () => {
    await seed(30);
    await register(api, 'r3', { 'x-runner-max-concurrency': '3' });
    const held = async () =>
      (
        await t.db.query<{ n: number }>(
          "select count(*)::int as n from items where runner_id = 'r3' and lease_expires_at is not null",
        )
      )[0]!.n;
    let finished = 0;
    for (let round = 0; round < 5; round++) {
      const replies = await Promise.all(
        Array.from({ length: 8 }, () => api.get('/api/runners/tasks/pending?runnerId=r3&limit=5')),
      );
      const claimed = replies.flatMap((reply) => reply.body.data);
      expect(claimed).toHaveLength(3);
      expect(await held()).toBe(3);
      // Finish the three concurrently, then the next round races for three fresh slots.
      await Promise.all(claimed.map((task) => api.post(`/api/runners/tasks/${task.id}/result`, resultBody('r3'))));
      finished += claimed.length;
      expect(await held()).toBe(0);
    }
    expect(finished).toBe(15);
  });
});
