// Embedded store: PGlite (PostgreSQL in WASM) on a data directory, so `npm start` needs no database server.
// PGlite has one session (PgliteSession): statements queue for it, a transaction holds it until it ends, so callers
// must use the `tx` handle inside a transaction (a plain query would wait for the transaction to end).
import path from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.ts';
import type { Db, NotificationHandlers, Queryable } from './db.ts';
import { PgliteSession } from './pglite-session.ts';

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

  const session = new PgliteSession(pglite);
  const channels = new Map<string, NotificationHandlers>();
  session.onNotification((channel, payload) => channels.get(channel)?.notification(channel, payload));
  const statement = <Row>(sql: string, params?: readonly unknown[]) => session.run<Row>(sql, params);

  const db: Db & { dump(): Promise<Blob> } = {
    kind: 'embedded',
    query: (sql, params) => session.exclusive(() => statement(sql, params)),
    tx(fn) {
      return session.exclusive(async () => {
        const scoped: Queryable = { query: statement, exec: (sql) => session.script(sql) };
        await session.run('begin');
        try {
          const result = await fn(scoped);
          await session.run('commit');
          return result;
        } catch (error) {
          await session.run('rollback').catch(() => {});
          throw error;
        }
      });
    },
    exec: (sql) => session.exclusive(() => session.script(sql)),
    // The data directory is locked to this process: it leads whatever there is to lead.
    async lead() {
      return { leading: true, async close() {} };
    },
    // One in-process connection: it cannot drop, so `connected` runs once. Notifications arrive with the answers
    // of the session's statements (PgliteSession) and go to the channel's handlers.
    async listen(names, handlers) {
      for (const name of names) {
        channels.set(name, handlers);
        await db.query(`listen ${pg.escapeIdentifier(name)}`);
      }
      handlers.connected();
      return {
        async close() {
          if (pglite.closed) return;
          for (const name of names) {
            channels.delete(name);
            await db.query(`unlisten ${pg.escapeIdentifier(name)}`);
          }
        },
      };
    },
    async close() {
      try {
        if (!pglite.closed) await session.exclusive(() => pglite.close());
      } finally {
        release();
      }
    },
    dump: () => session.exclusive(() => pglite.dumpDataDir('none')),
  };
  return db;
}
