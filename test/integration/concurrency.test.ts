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

  it('racing writes to one task (phases, log batches, a stale attempt, a cancel) leave gapless events, each with its item', async () => {
    const [taskId] = await seed(1);
    await register(api, 'writer', { 'x-runner-max-concurrency': '5' });
    const [task] = (await api.get('/api/runners/tasks/pending?runnerId=writer&limit=1')).body.data;
    const own = { 'x-runner-id': 'writer', 'x-runplane-attempt': String(task.attempt) };
    const stale = { 'x-runner-id': 'writer', 'x-runplane-attempt': String(task.attempt + 1) };
    const phases = ['preparing', 'cloning', 'reviewing', 'submitting'];
    const replies = await Promise.all([
      ...Array.from({ length: 40 }, (_v, n) =>
        api.post(`/api/runners/tasks/${taskId}/status`, { status: phases[n % 4] }, own),
      ),
      ...Array.from({ length: 40 }, (_v, n) =>
        api.post(`/api/runners/tasks/${taskId}/logs`, { logs: [`a${n}`, `b${n}`, `c${n}`] }, own),
      ),
      ...Array.from({ length: 20 }, () => api.post(`/api/runners/tasks/${taskId}/logs`, { logs: ['stale'] }, stale)),
      api.post(
        `/api/reviews/${(await t.db.query<{ id: string }>('select id from reviews where item_id = $1', [taskId]))[0]!.id}/cancel`,
        {},
      ),
    ]);
    // Every answer is a success or the stale attempt's refusal; nothing failed otherwise.
    expect(replies.filter((reply) => reply.status !== 200 && reply.body.error?.code !== 'stale_attempt')).toEqual([]);
    const [item] = await t.db.query<{ last_event_seq: number; state: string }>(
      'select last_event_seq, state from items where id = $1',
      [taskId],
    );
    const seqs = await t.db.query<{ seq: number; message: string }>(
      'select seq, message from item_events where item_id = $1 order by seq',
      [taskId],
    );
    expect(seqs.map((row) => row.seq)).toEqual(Array.from({ length: item!.last_event_seq }, (_v, n) => n + 1));
    expect(seqs.filter((row) => row.message === 'stale')).toEqual([]);
    expect(seqs.filter((row) => /^[abc]\d+$/.test(row.message))).toHaveLength(120);
    const [orphans] = await t.db.query<{ n: number }>(
      'select count(*)::int as n from item_events e where not exists (select 1 from items i where i.id = e.item_id)',
    );
    expect(orphans!.n).toBe(0);
  });

  it('runners with different tags race over three queue classes: each item once, only to a runner with its tags', async () => {
    const classes = [[], ['gpu'], ['gpu', 'linux']];
    const wanted = new Map<string, string[]>();
    for (let n = 0; n < 90; n++) {
      const { files, aiConfig, ...rest } = reviewBody();
      const requiredTags = classes[n % 3]!;
      const { item } = await coreCreateReview(t.server.core, { orgId, files, aiConfig, ...rest, requiredTags });
      wanted.set(item.id, requiredTags);
    }
    const runners = [
      { id: 'plain', tags: '' },
      { id: 'gpu', tags: 'gpu' },
      { id: 'gpu-linux', tags: 'gpu,linux' },
    ].flatMap((r) => [0, 1, 2].map((k) => ({ id: `${r.id}-${k}`, tags: r.tags })));
    for (const r of runners) {
      await register(api, r.id, { 'x-runner-max-concurrency': '1000', ...(r.tags ? { 'x-runner-tags': r.tags } : {}) });
    }
    const claimedBy = new Map<string, string[]>();
    await Promise.all(
      runners.map(async (runner) => {
        for (;;) {
          const reply = await api.get(`/api/runners/tasks/pending?runnerId=${runner.id}&limit=2`);
          expect(reply.status).toBe(200);
          if (reply.body.data.length === 0) return;
          for (const task of reply.body.data) {
            claimedBy.set(task.id, [...(claimedBy.get(task.id) ?? []), runner.id]);
            expect(wanted.get(task.id)!.every((tag) => runner.tags.split(',').includes(tag))).toBe(true);
          }
        }
      }),
    );
    expect(claimedBy.size).toBe(90);
    expect([...claimedBy.values()].filter((owners) => owners.length !== 1)).toEqual([]);
  });

  it('a replaced runner instance flooding writes never lands one after its task moved to the next runner (x20)', async () => {
    for (let round = 0; round < 20; round++) {
      const [taskId] = await seed(1);
      const first = await register(api, `flood-${round}`);
      await register(api, `next-${round}`);
      const [task] = (await api.get(`/api/runners/tasks/pending?runnerId=flood-${round}&limit=1`)).body.data;
      const stale = {
        'x-runner-id': `flood-${round}`,
        'x-runplane-attempt': String(task.attempt),
        'x-runner-instance': first.instanceId,
      };
      let stop = false;
      const flood = (async () => {
        const answers: number[] = [];
        for (let n = 0; !stop; n++) {
          const write =
            n % 2 === 0
              ? api.post(`/api/runners/tasks/${taskId}/logs`, { logs: [`flood-${n}`] }, stale)
              : api.post(`/api/runners/tasks/${taskId}/status`, { status: 'reviewing' }, stale);
          answers.push((await write).status);
        }
        return answers;
      })();
      // The runner restarts (its task is released), the next runner takes the task, and the flood goes on a while.
      await register(api, `flood-${round}`);
      // SKIP LOCKED passes over a row a refused write holds locked for a moment, so a claim may come back empty while
      // the flood goes on: the runner asks again, as a real one does.
      let taken: { id: string } | undefined;
      for (let tries = 0; !taken && tries < 200; tries++) {
        [taken] = (await api.get(`/api/runners/tasks/pending?runnerId=next-${round}&limit=1`)).body.data;
      }
      expect(taken?.id).toBe(taskId);
      await new Promise((resolve) => setTimeout(resolve, 50));
      stop = true;
      const answers = await flood;
      expect(answers.filter((status) => status !== 200 && status !== 409)).toEqual([]);
      const events = await t.db.query<{ seq: number; message: string; reason: string | null }>(
        "select seq, message, data->>'reason' as reason from item_events where item_id = $1 order by seq",
        [taskId],
      );
      const released = events.find((event) => event.reason === 'runner_restarted');
      expect(released, JSON.stringify(events)).toBeDefined();
      const late = events.filter((event) => event.seq > released!.seq && /^flood-|^reviewing$/.test(event.message));
      expect(late).toEqual([]);
    }
  });
});
