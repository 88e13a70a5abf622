// The one-statement runner writes check the fence in SQL (runnerHolds); the engine's path checks it in JavaScript
// (checkRunnerWriter). A write the statement lets through must be one the engine would accept, and one it refuses
// must be one the engine refuses (else a refused write would be retried through the engine and pass): the two are
// compared on every combination of item row and writer identity, on each store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRunnerWriter } from '../../src/core/fencing.ts';
import { ITEM_STATES, type ItemState } from '../../src/core/states.ts';
import type { WriterIdentity } from '../../src/core/types.ts';
import type { Db } from '../../src/store/db.ts';
import { type LockedItem, runnerHolds } from '../../src/store/sql/items.ts';
import { openTestStore, STORE_KINDS } from '../support/stores.ts';

interface Row {
  state: ItemState;
  runnerId: string | null;
  attempt: number;
  runnerInstance: string | null;
  lease: 'none' | 'lapsed' | 'live';
}

const rows: Row[] = [];
for (const state of ITEM_STATES)
  for (const runnerId of ['r1', 'r2', null])
    for (const attempt of [1, 2])
      for (const runnerInstance of ['i1', 'i2', null])
        for (const lease of ['none', 'lapsed', 'live'] as const)
          rows.push({ state, runnerId, attempt, runnerInstance, lease });

// Runner writes name at least one of the three (an identity naming none is an operator's and never fenced).
const writers: WriterIdentity[] = [];
for (const runnerId of ['r1', 'r2', null])
  for (const attempt of [1, 2, null])
    for (const instance of ['i1', 'i2', null])
      if (runnerId !== null || attempt !== null || instance !== null) writers.push({ runnerId, attempt, instance });

const engineAccepts = (row: Row, writer: WriterIdentity): boolean => {
  const item = { ...row, leaseLapsed: row.lease === 'lapsed' } as unknown as LockedItem;
  try {
    checkRunnerWriter(item, writer, 'write');
    return true;
  } catch {
    return false;
  }
};

describe.each(STORE_KINDS)('the SQL fence on the %s store', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestStore(kind, 2);
  });
  afterAll(() => db.close());

  it(`agrees with checkRunnerWriter on all ${rows.length * writers.length} combinations of row and writer`, async () => {
    const pairs = rows.flatMap((row) => writers.map((writer) => ({ row, writer })));
    const verdicts = await db.query<{ holds: boolean }>(
      `select ${runnerHolds('w_runner', 'w_attempt', 'w_instance')} as holds
       from unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[])
         with ordinality as items(state, runner_id, attempt, runner_instance, lease, w_runner, w_attempt, w_instance, n),
       lateral (select case lease when 'none' then null when 'lapsed' then now() - interval '1 second'
                                  else now() + interval '1 minute' end as lease_expires_at) l
       order by n`,
      [
        pairs.map((p) => p.row.state),
        pairs.map((p) => p.row.runnerId),
        pairs.map((p) => p.row.attempt),
        pairs.map((p) => p.row.runnerInstance),
        pairs.map((p) => p.row.lease),
        pairs.map((p) => p.writer.runnerId),
        pairs.map((p) => p.writer.attempt),
        pairs.map((p) => p.writer.instance),
      ],
    );
    const disagreements = pairs
      .map((pair, index) => ({ ...pair, sql: verdicts[index]!.holds, engine: engineAccepts(pair.row, pair.writer) }))
      .filter((pair) => pair.sql !== pair.engine);
    expect(disagreements).toEqual([]);
    // Both verdicts occur, so the comparison is not vacuous.
    expect(verdicts.filter((v) => v.holds).length).toBeGreaterThan(100);
  });
});
