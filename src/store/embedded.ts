// Embedded store: PGlite (PostgreSQL in WASM) on a data directory, so `npm start` needs no database server.
// PGlite runs one query at a time and serialises transactions itself; callers must use the `tx` handle inside
// a transaction (a plain query would wait for the transaction to end).
import path from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.ts';
import type { Db, Queryable } from './db.ts';

const parsers = { [types.INT8]: (value: string) => Number(value) };

/** Opens PGlite on `dataDir` (on disk, locked against a second process) or, with `memory`, from an optional snapshot. */
export async function openEmbedded(
  options: { dataDir: string } | { memory: true; snapshot?: Blob | File },
): Promise<Db> {
  let release = () => {};
  let pglite: PGlite;
  if ('dataDir' in options) {
    release = lockDataDir(options.dataDir);
    try {
      pglite = new PGlite({ dataDir: path.join(options.dataDir, 'pgdata'), parsers });
      await pglite.waitReady;
    } catch (error) {
      release();
      throw error;
    }
  } else {
    pglite = new PGlite({ parsers, ...(options.snapshot ? { loadDataDir: options.snapshot } : {}) });
    await pglite.waitReady;
  }

  const db: Db & { dump(): Promise<Blob> } = {
    kind: 'embedded',
    async query<Row>(sql: string, params?: readonly unknown[]) {
      return (await pglite.query<Row>(sql, params as unknown[])).rows;
    },
    async tx(fn) {
      return pglite.transaction(async (tx) => {
        const scoped: Queryable = {
          query: async <Row>(sql: string, params?: readonly unknown[]) =>
            (await tx.query<Row>(sql, params as unknown[])).rows,
          exec: async (sql: string) => {
            await tx.exec(sql);
          },
        };
        return fn(scoped);
      });
    },
    async exec(sql) {
      await pglite.exec(sql);
    },
    // The data directory is locked to this process: it leads whatever there is to lead.
    async lead() {
      return { leading: true, async close() {} };
    },
    // One in-process connection: it cannot drop, so `connected` runs once.
    async listen(channels, handlers) {
      const stops = await Promise.all(
        channels.map((channel) => pglite.listen(channel, (payload) => handlers.notification(channel, payload))),
      );
      handlers.connected();
      return {
        async close() {
          if (pglite.closed) return;
          await Promise.all(stops.map((stop) => stop()));
        },
      };
    },
    async close() {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        release();
      }
    },
    async dump() {
      return pglite.dumpDataDir('none');
    },
  };
  return db;
}
