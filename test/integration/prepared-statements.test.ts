// PostgreSQL statements are named prepared statements (planned once per connection), unless RUNPLANE_DB_PREPARE=off
// for a pooler in transaction mode that cannot keep them. pg_prepared_statements lists the session's own.
import { describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/store/postgres.ts';
import { clonePgDatabase, STORE_KINDS } from '../support/stores.ts';

describe.runIf(STORE_KINDS.includes('postgres'))('prepared statements on PostgreSQL', () => {
  const preparedCount = async (prepare: boolean) => {
    const db = await openPostgres(await clonePgDatabase(), { max: 1, prepare });
    try {
      for (let n = 0; n < 3; n++) expect(await db.query('select $1::int + 1 as n', [n])).toEqual([{ n: n + 1 }]);
      // Also inside a transaction (the pool's one connection).
      await db.tx(async (tx) => expect(await tx.query('select $1::text as s', ['x'])).toEqual([{ s: 'x' }]));
      const [row] = await db.query<{ n: number }>(
        "select count(*)::int as n from pg_prepared_statements where statement like 'select $1::%'",
        [],
      );
      return row!.n;
    } finally {
      await db.close();
    }
  };

  it('prepares each parameterised statement once per connection by default', async () => {
    expect(await preparedCount(true)).toBe(2);
  });

  it('prepares nothing with prepare off', async () => {
    expect(await preparedCount(false)).toBe(0);
  });
});
