// Statements are named prepared statements (planned once per connection): on PostgreSQL unless RUNPLANE_DB_PREPARE=off
// (a pooler in transaction mode cannot keep them), on the embedded store always. pg_prepared_statements lists the
// session's own.
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { PgliteSession } from '../../src/store/pglite-session.ts';
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

describe('prepared statements on the embedded store (PgliteSession)', () => {
  it('prepares each text once, keeps a statement whose Bind failed, and past 2,000 texts runs the rest unnamed', async () => {
    const pglite = new PGlite();
    await pglite.waitReady;
    try {
      const session = new PgliteSession(pglite);
      // Parsed, then refused at Bind: the statement exists in the session, and the next call reuses it.
      expect(() => session.run('select $1::int as n', ['not a number'])).toThrow(/invalid input syntax/);
      expect(session.run('select $1::int as n', ['7'])).toEqual([{ n: 7 }]);
      // Refused at Parse: nothing is kept, and the SQLSTATE travels with the error.
      expect(() => session.run('select no_such_column', [])).toThrow(expect.objectContaining({ code: '42703' }));
      for (let n = 0; n < 2005; n++) expect(session.run(`select $1::int + ${n} as n`, [1])).toEqual([{ n: n + 1 }]);
      const [row] = session.run<{ n: number }>('select count(*)::int as n from pg_prepared_statements');
      expect(row!.n).toBe(2000);
    } finally {
      await pglite.close();
    }
  });
});
