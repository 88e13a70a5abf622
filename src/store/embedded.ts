// Embedded store: PGlite (PostgreSQL in WASM) on a data directory, so `npm start` needs no database server.
// PGlite runs in a worker thread (pglite-worker.ts), off the HTTP thread. It has one session: statements queue for
// it, a transaction holds it until it ends, so callers must use the `tx` handle inside a transaction (a plain query
// would wait for the transaction to end).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.ts';
import { type Db, type NotificationHandlers, type Queryable, StoreUnavailable } from './db.ts';
import type { SerializedError, WorkerCall, WorkerMessage, WorkerOptions } from './pglite-worker.ts';

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

/** The main thread's end of the store's worker: one call at a time, answered in order. */
class WorkerConnection {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #nextId = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #gone: Error | null = null;
  onNotification: (channel: string, payload: string) => void = () => {};
  readonly #ready: Promise<void>;
  #started!: { resolve(): void; reject(error: Error): void };

  constructor(options: WorkerOptions) {
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#started = { resolve, reject };
    });
    // Nobody may wait for readiness (a failed open rejects later calls instead): never an unhandled rejection.
    this.#ready.catch(() => {});
    this.#worker = new Worker(new URL('./pglite-worker-boot.js', import.meta.url), {
      workerData: options,
      transferList: options.snapshot ? [options.snapshot] : [],
    });
    this.#worker.on('message', (message: WorkerMessage) => this.#receive(message));
    // A worker that died takes the session with it: every call answers "store unavailable" (503 with Retry-After,
    // never a 500) and /readyz reports it; restart the server to reopen the store.
    this.#worker.on('error', (error) => this.#fail(new StoreUnavailable(error)));
    this.#worker.on('exit', (code) =>
      this.#fail(new StoreUnavailable(new Error(`the embedded store's worker thread exited (code ${code})`))),
    );
  }

  /** Resolves once PGlite is open in the worker. */
  ready(): Promise<void> {
    return this.#ready;
  }

  #receive(message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        this.#started.resolve();
        return;
      case 'failed':
        this.#started.reject(deserializeError(message.error));
        return;
      case 'notification':
        this.onNotification(message.channel, message.payload);
        return;
      case 'result':
      case 'error': {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.type === 'result') pending?.resolve(message.value);
        else pending?.reject(deserializeError(message.error));
      }
    }
  }

  #fail(error: Error): void {
    this.#gone ??= error;
    this.#started.reject(error);
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  /** Sends one call; call inside `exclusive`. */
  call<T>(call: DistributiveOmit<WorkerCall, 'id'>): Promise<T> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ ...call, id });
    });
  }

  /** Runs `fn` with the session to itself (a statement, a transaction, a script); other callers wait their turn. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** The worker's error as the drivers throw it: message, SQLSTATE `code` and the other fields of the original. */
function deserializeError(serialized: SerializedError): Error {
  return Object.assign(new Error(serialized.message), serialized.fields);
}

/** Opens PGlite on `dataDir` (on disk, locked against a second process) or, with `memory`, from an optional snapshot. */
export async function openEmbedded(
  options: { dataDir: string } | { memory: true; snapshot?: Blob | File },
): Promise<Db> {
  let release = () => {};
  let connection: WorkerConnection;
  if ('dataDir' in options) {
    release = lockDataDir(options.dataDir);
    const pgdata = path.join(options.dataDir, 'pgdata');
    try {
      if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) await initDataDir(pgdata);
      connection = new WorkerConnection({ pgdata });
      await connection.ready();
    } catch (error) {
      release();
      throw error;
    }
  } else {
    connection = new WorkerConnection({
      snapshot: options.snapshot ? await options.snapshot.arrayBuffer() : undefined,
    });
    await connection.ready();
  }

  const channels = new Map<string, NotificationHandlers>();
  connection.onNotification = (channel, payload) => channels.get(channel)?.notification(channel, payload);
  const statement = <Row>(sql: string, params: readonly unknown[] = []) =>
    connection.call<Row[]>({ op: 'run', sql, params });
  const script = (sql: string) => connection.call<void>({ op: 'script', sql });
  let closed = false;

  const db: Db & { dump(): Promise<Blob> } = {
    kind: 'embedded',
    query: (sql, params) => connection.exclusive(() => statement(sql, params)),
    tx(fn) {
      return connection.exclusive(async () => {
        const scoped: Queryable = { query: statement, exec: script };
        await statement('begin');
        try {
          const result = await fn(scoped);
          await statement('commit');
          return result;
        } catch (error) {
          await statement('rollback').catch(() => {});
          throw error;
        }
      });
    },
    exec: (sql) => connection.exclusive(() => script(sql)),
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
          if (closed) return;
          for (const name of names) {
            channels.delete(name);
            await db.query(`unlisten ${pg.escapeIdentifier(name)}`);
          }
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await connection.exclusive(() => connection.call({ op: 'close' })).catch(() => {});
        await connection.terminate();
      } finally {
        release();
      }
    },
    dump: () => connection.exclusive(async () => new Blob([await connection.call<ArrayBuffer>({ op: 'dump' })])),
  };
  return db;
}
