// PostgreSQL driver: a `pg` pool. Several server instances share one database, so nothing here caches state.
import pg from 'pg';
import type { Db, Queryable } from './db.ts';

const INT8 = 20;

// bigint columns (count(*), sums) are small here; numbers keep both drivers' rows identical.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

// Few connections per instance: claims are short, and more concurrent backends than cores only add contention
// (measured in bench/claims.ts: 8 beat 20 on a 2-core machine). Requests beyond this queue in the pool.
const DEFAULT_POOL_SIZE = 8;

export async function openPostgres(url: string, options: { max?: number } = {}): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? DEFAULT_POOL_SIZE, types });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const client = await pool.connect();
  client.release();

  const query = async <Row>(sql: string, params?: readonly unknown[]) =>
    (await pool.query(sql, params as unknown[])).rows as Row[];

  return {
    kind: 'postgres',
    query,
    async tx(fn) {
      const conn = await pool.connect();
      const scoped: Queryable = {
        query: async <Row>(sql: string, params?: readonly unknown[]) =>
          (await conn.query(sql, params as unknown[])).rows as Row[],
        exec: async (sql: string) => {
          await conn.query(sql);
        },
      };
      try {
        await conn.query('begin');
        const result = await fn(scoped);
        await conn.query('commit');
        return result;
      } catch (error) {
        await conn.query('rollback').catch(() => {});
        throw error;
      } finally {
        conn.release();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async close() {
      await pool.end();
    },
  };
}
