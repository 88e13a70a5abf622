// A runner that holds an item finishes or checkpoints it with one statement (issue 13); the engine's transaction
// path (lock, check, transition, outbox rows) stays for replays, refusals and operators. The two must write the same
// rows: twin items are written one each way — finishes for every leased state, both outcomes and every kind of
// review; checkpoints with and without data, pausing or not — and their rows, events, attempts, checkpoints and
// outbox rows are compared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/context.ts';
import { type Completion, finishItem, finishItemLocked } from '../../src/core/items.ts';
import { createReview } from '../../src/core/reviews.ts';
import { checkpointSession, checkpointSessionLocked } from '../../src/core/sessions.ts';
import { LEASED_STATES } from '../../src/core/states.ts';
import type { Db } from '../../src/store/db.ts';
import { ensureOrg } from '../../src/store/sql/keys.ts';
import { getReview } from '../../src/store/sql/reviews.ts';
import { testConfig } from '../support/server.ts';
import { openTestStore, STORE_KINDS } from '../support/stores.ts';

/**
 * `db` with its statements and transactions counted. Notifications are not counted: they are published after the
 * write, batched by the notifier on its own schedule (core/notifications.ts).
 */
function counted(db: Db) {
  const counts = { queries: 0, txs: 0 };
  const wrapped = new Proxy(db, {
    get(target, property) {
      if (property === 'query') {
        return (...args: Parameters<Db['query']>) => {
          if (!args[0].startsWith('select pg_notify')) counts.queries++;
          return target.query(...args);
        };
      }
      if (property === 'tx') {
        return (fn: Parameters<Db['tx']>[0]) => {
          counts.txs++;
          return target.tx(fn);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: wrapped, counts };
}

type ReviewKind = 'none' | 'github' | 'gitlab' | 'no pull request';
const REVIEWS: ReviewKind[] = ['none', 'github', 'gitlab', 'no pull request'];
const OUTCOMES = ['succeeded', 'failed'] as const;

describe.each(STORE_KINDS)('a runner’s one-statement finish and checkpoint on the %s store', (kind) => {
  let raw: Db;
  let orgId: string;
  beforeAll(async () => {
    raw = await openTestStore(kind, 4);
    orgId = (await ensureOrg(raw, `finish-${kind}`, `org_finish_${kind}`)).id;
  });
  afterAll(() => raw.close());

  let serial = 0;
  /** A review item held by runner r1 (attempt 1, live lease) in `state`, with its attempt row and review. */
  async function heldItem(state: string, review: ReviewKind): Promise<string> {
    const id = `finish-${kind}-${++serial}`;
    await raw.query(
      `insert into items (id, org_id, profile_id, state, required_tags, input, runner_id, attempt, max_attempts,
                          lease_ttl_ms, lease_expires_at, phase)
       values ($1, $2, 'ai-review', $3, '{}', '{}'::jsonb, 'r1', 1, 3, 600000, now() + interval '10 minutes', 'reviewing')`,
      [id, orgId, state],
    );
    await raw.query(`insert into attempts (item_id, attempt, runner_id) values ($1, 1, 'r1')`, [id]);
    if (review !== 'none') {
      const pullRequest =
        review === 'no pull request' ? null : { provider: review, repository: 'acme/app', number: serial };
      await raw.query(`insert into reviews (id, org_id, item_id, pull_request) values ($1, $2, $1, $3::jsonb)`, [
        id,
        orgId,
        pullRequest === null ? null : JSON.stringify(pullRequest),
      ]);
    }
    return id;
  }

  /** Everything a finish wrote for `id`, with its own ids and times left out. */
  async function written(id: string) {
    const [item] = await raw.query<Record<string, unknown>>(
      `select state, phase, failure_reason, error, result, result_hash, runner_id, attempt, last_event_seq,
              lease_expires_at is null as lease_cleared, finished_at is not null as finished,
              started_at is not null as started, last_checkpoint_seq
       from items where id = $1`,
      [id],
    );
    const events = await raw.query(
      'select seq, type, level, message, data from item_events where item_id = $1 order by seq',
      [id],
    );
    const attempts = await raw.query(
      'select attempt, outcome, ended_at is not null as ended from attempts where item_id = $1',
      [id],
    );
    const checkpoints = await raw.query('select seq, data from checkpoints where item_id = $1 order by seq', [id]);
    const outbox = await raw.query<{ review_id: string; payload: Record<string, unknown> }>(
      'select review_id, topic, destination, status, payload from outbox where payload->>$2 = $1 order by destination',
      [id, 'taskId'],
    );
    for (const row of outbox) {
      expect(row.review_id).toBe(id);
      expect(row.payload).toMatchObject({ reviewId: id, taskId: id });
      row.review_id = 'the review';
      row.payload = { ...row.payload, reviewId: 'the review', taskId: 'the task' };
    }
    return { item, events, attempts, checkpoints, outbox };
  }

  const cases = LEASED_STATES.flatMap((state) =>
    OUTCOMES.flatMap((outcome) => REVIEWS.map((review) => ({ state, outcome, review }))),
  );

  it(`writes what the engine's transaction writes, for all ${cases.length} cases, in one statement`, async () => {
    const { db, counts } = counted(raw);
    const core = createCore(
      db,
      testConfig({
        delivery: {
          ...testConfig().delivery,
          githubToken: 'gh-token',
          gitlabToken: 'gl-token',
          webhookUrl: 'http://127.0.0.1:9/hook',
          webhookSecret: 'secret',
        },
      }),
    );
    const destinationsSeen = new Set<string>();
    for (const { state, outcome, review } of cases) {
      const completion: Completion = {
        outcome,
        result: { status: outcome === 'succeeded' ? 'success' : 'failure', totalComments: 0 },
        error: outcome === 'failed' ? 'the model answered nonsense' : null,
        events: [
          { type: 'log', level: 'info', message: 'last line 1' },
          { type: 'log', level: 'info', message: 'last line 2' },
        ],
        writer: { runnerId: 'r1', attempt: 1, instance: null, runnerKey: false, actor: 'key_runner' },
        fingerprintOf: { outcome, lines: 2 },
      };
      const oneStatement = await heldItem(state, review);
      const engine = await heldItem(state, review);

      counts.queries = 0;
      counts.txs = 0;
      const fast = await finishItem(core, orgId, oneStatement, completion);
      expect({ queries: counts.queries, txs: counts.txs }).toEqual({ queries: 1, txs: 0 });

      counts.txs = 0;
      const slow = await finishItemLocked(core, orgId, engine, completion);
      expect(counts.txs).toBe(1);

      const label = `${state} → ${outcome}, review: ${review}`;
      expect({ ...fast.item, id: 'x', createdAt: 0, updatedAt: 0, finishedAt: 0 }, label).toEqual({
        ...slow.item,
        id: 'x',
        createdAt: 0,
        updatedAt: 0,
        finishedAt: 0,
      });
      const fastRows = await written(oneStatement);
      expect(fastRows, label).toEqual(await written(engine));
      for (const row of fastRows.outbox) destinationsSeen.add((row as unknown as { destination: string }).destination);
      // The comparison is not vacuous: the finish happened, with its state event.
      expect(fastRows.item!['state']).toBe(state === 'cancel_requested' ? 'cancelled' : outcome);
      expect(fastRows.events.at(-1)).toMatchObject({ type: 'state', data: { from: state, reason: 'result' } });
    }
    expect([...destinationsSeen].sort()).toEqual(['github', 'gitlab', 'webhook']);
  });

  it('a checkpoint, pausing or not, writes what the engine’s transaction writes, in one statement', async () => {
    const { db, counts } = counted(raw);
    const core = createCore(db, testConfig());
    const writer = { runnerId: 'r1', attempt: 1, instance: null, runnerKey: false, actor: 'key_runner' };
    let paused = 0;
    for (const state of LEASED_STATES)
      for (const pause of [false, true])
        for (const data of [undefined, { step: 3, notes: ['a', 'b'] }]) {
          const label = `${state}, pause: ${pause}, data: ${data !== undefined}`;
          const request = { pause, ...(data === undefined ? {} : { data }) };
          const oneStatement = await heldItem(state, 'none');
          const engine = await heldItem(state, 'none');
          if (state === 'cancel_requested' && pause) {
            // The state table has no move from cancel_requested to paused: both refuse, neither writes.
            await expect(checkpointSession(core, orgId, oneStatement, request, writer), label).rejects.toMatchObject({
              code: 'illegal_transition',
            });
            await expect(checkpointSessionLocked(core, orgId, engine, request, writer)).rejects.toMatchObject({
              code: 'illegal_transition',
            });
          } else {
            counts.queries = 0;
            counts.txs = 0;
            const fast = await checkpointSession(core, orgId, oneStatement, request, writer);
            expect({ queries: counts.queries, txs: counts.txs }, label).toEqual({ queries: 1, txs: 0 });
            const slow = await checkpointSessionLocked(core, orgId, engine, request, writer);
            expect({ ...fast.checkpoint, createdAt: 0 }, label).toEqual({ ...slow.checkpoint, createdAt: 0 });
            expect(fast.item.state, label).toBe(slow.item.state);
            if (fast.item.state === 'paused') paused++;
          }
          const fastRows = await written(oneStatement);
          expect(fastRows, label).toEqual(await written(engine));
        }
    expect(paused).toBe(4);
  });

  it('a review dispatch is one statement: item, first event, review row', async () => {
    const { db, counts } = counted(raw);
    const core = createCore(db, testConfig());
    counts.queries = 0;
    const review = await createReview(core, {
      orgId,
      repositoryUrl: 'https://git.example.com/acme/app.git',
      branch: 'main',
      commitSha: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
      files: [{ path: 'a.ts', status: 'modified', patch: '@@ -1 +1 @@\n-a\n+b' }],
      aiConfig: { provider: 'openai', model: 'gpt-test' },
    });
    expect(counts.queries).toBe(1);
    expect(review).toMatchObject({ delivery: null, pullRequest: null, item: { state: 'pending', lastEventSeq: 1 } });
    expect(await getReview(raw, orgId, review.id)).toEqual(review);
    const events = await raw.query('select seq, type, message from item_events where item_id = $1', [review.item.id]);
    expect(events).toEqual([{ seq: 1, type: 'state', message: 'created → pending' }]);
  });

  it('a replay, a stale attempt and a finished item take the engine’s path and answer as before', async () => {
    const { db, counts } = counted(raw);
    const core = createCore(db, testConfig());
    const id = await heldItem('running', 'none');
    const completion: Completion = {
      outcome: 'succeeded',
      result: { ok: true },
      writer: { runnerId: 'r1', attempt: 1, instance: null, runnerKey: false, actor: 'key_runner' },
      fingerprintOf: { ok: true },
    };
    expect((await finishItem(core, orgId, id, completion)).replayed).toBe(false);
    counts.txs = 0;
    const replay = await finishItem(core, orgId, id, completion);
    expect(replay.replayed).toBe(true);
    expect(counts.txs).toBe(1);
    await expect(
      finishItem(core, orgId, id, { ...completion, fingerprintOf: { ok: false }, result: { ok: false } }),
    ).rejects.toMatchObject({ code: 'task_finished' });
    const stale = await heldItem('running', 'none');
    await expect(
      finishItem(core, orgId, stale, { ...completion, writer: { ...completion.writer, attempt: 2 } }),
    ).rejects.toMatchObject({ code: 'stale_attempt' });
    expect((await written(stale)).item).toMatchObject({ state: 'running', last_event_seq: 0 });
  });
});
