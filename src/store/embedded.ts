// Embedded store: PGlite (PostgreSQL in WASM) on a data directory, so `npm start` needs no database server.
// PGlite has one session (PgliteSession): statements queue for it, a transaction holds it until it ends, so callers
// must use the `tx` handle inside a transaction (a plain query would wait for the transaction to end).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite, types } from '@electric-sql/pglite';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.ts';
import type { Db, NotificationHandlers, Queryable } from './db.ts';
import { PgliteSession } from './pglite-session.ts';

const parsers = { [types.INT8]: (value: string) => Number(value) };

// PostgreSQL's default 128 MB of shared buffers live in PGlite's WebAssembly memory, which never shrinks: a busy
// embedded store kept ~130 MB more resident than its data needs. The embedded store serves one process; 16 MB
// holds its hot rows (measured: idle RSS of a reopened store 324 → 211 MB).
const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * Creates the PostgreSQL cluster of a new data directory in a child process. initdb inside PGlite grows its
 * WebAssembly memory to ~700 MB, and that memory is never returned: done in the server's own process, a fresh
 * install stayed at ~800 MB resident for its whole life; reopened, the same store is ~340 MB.
 */
async function initDataDir(pgdata: string): Promise<void> {
  const code = `
    const { PGlite } = await import(${JSON.stringify(import.meta.resolve('@electric-sql/pglite'))});
    const pglite = new PGlite({ dataDir: ${JSON.stringify(pgdata)} });
    await pglite.waitReady;
    await pglite.close();`;
  const { stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], {
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`could not create the embedded store in ${pgdata}: ${error.stderr || error.message}`);
  });
  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    throw new Error(`could not create the embedded store in ${pgdata}: ${stderr || 'initdb wrote nothing'}`);
  }
}

/** Opens PGlite on `dataDir` (on disk, locked against a second process) or, with `memory`, from an optional snapshot. */
export async function openEmbedded(
  options: { dataDir: string } | { memory: true; snapshot?: Blob | File },
): Promise<Db> {
  let release = () => {};
  let pglite: PGlite;
  if ('dataDir' in options) {
    release = lockDataDir(options.dataDir);
    const pgdata = path.join(options.dataDir, 'pgdata');
    try {
      if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) await initDataDir(pgdata);
      pglite = new PGlite({ dataDir: pgdata, parsers, startParams });
      await pglite.waitReady;
    } catch (error) {
      release();
      throw error;
    }
  } else {
    pglite = new PGlite({ parsers, startParams, ...(options.snapshot ? { loadDataDir: options.snapshot } : {}) });
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
