// PostgreSQL driver: a `pg` pool. Several server instances share one database, so nothing here caches state.
import pg from 'pg';
import {
  classifyStoreError,
  type Db,
  isUnavailable,
  type Listener,
  type NotificationHandlers,
  type Queryable,
} from './db.ts';

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

export interface PostgresOptions {
  max?: number;
  /** How long to wait for a connection from the pool (or a new one). */
  connectTimeoutMs?: number;
  /** statement_timeout of every pooled connection. */
  statementTimeoutMs?: number;
  /** idle_in_transaction_session_timeout of every pooled connection. */
  idleInTransactionTimeoutMs?: number;
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Db> {
  const settings = [
    options.statementTimeoutMs ? `-c statement_timeout=${options.statementTimeoutMs}` : '',
    options.idleInTransactionTimeoutMs
      ? `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs}`
      : '',
  ].filter(Boolean);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? DEFAULT_POOL_SIZE,
    types,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 0,
    ...(settings.length ? { options: settings.join(' ') } : {}),
  });
  // A dropped idle connection (database restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const client = await pool.connect().catch(classifyStoreError);
  client.release();

  const query = async <Row>(sql: string, params?: readonly unknown[]) =>
    (await pool.query(sql, params as unknown[]).catch(classifyStoreError)).rows as Row[];

  return {
    kind: 'postgres',
    query,
    async tx(fn) {
      const conn = await pool.connect().catch(classifyStoreError);
      // A checked-out client whose connection drops emits 'error'; unheard, that would end the process.
      let broken: Error | null = null;
      const onError = (error: Error) => {
        broken = error;
      };
      conn.on('error', onError);
      const scoped: Queryable = {
        query: async <Row>(sql: string, params?: readonly unknown[]) =>
          (await conn.query(sql, params as unknown[]).catch(classifyStoreError)).rows as Row[],
        exec: async (sql: string) => {
          await conn.query(sql).catch(classifyStoreError);
        },
      };
      try {
        await conn.query('begin').catch(classifyStoreError);
        const result = await fn(scoped);
        await conn.query('commit').catch(classifyStoreError);
        return result;
      } catch (error) {
        if (error instanceof Error && isUnavailable(error)) broken ??= error;
        else await conn.query('rollback').catch(() => {});
        throw error;
      } finally {
        conn.off('error', onError);
        // A broken connection goes back destroyed, not to the next request.
        conn.release(broken ?? undefined);
      }
    },
    async exec(sql) {
      await pool.query(sql).catch(classifyStoreError);
    },
    listen: (channels, handlers) => listenPostgres(url, channels, handlers),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await pool.end();
    },
  };
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;

/** One dedicated client that LISTENs; replaced (with backoff) whenever it errors or ends. */
async function listenPostgres(
  url: string,
  channels: readonly string[],
  handlers: NotificationHandlers,
): Promise<Listener> {
  let closed = false;
  let current: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let delay = RECONNECT_MIN_MS;

  const connect = async (): Promise<void> => {
    if (closed) return;
    const client = new pg.Client({
      connectionString: url,
      types,
      connectionTimeoutMillis: 5000,
      application_name: 'runplane-listener',
    });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      void client.end().catch(() => {});
      if (current === client) current = null;
      scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (message) => handlers.notification(message.channel, message.payload ?? ''));
    try {
      await client.connect();
      for (const channel of channels) await client.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch {
      onLost();
      return;
    }
    if (closed) {
      await client.end().catch(() => {});
      return;
    }
    current = client;
    delay = RECONNECT_MIN_MS;
    handlers.connected();
  };

  const scheduleReconnect = () => {
    if (closed || retry) return;
    const wait = delay;
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, wait);
    retry.unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await current?.end().catch(() => {});
    },
  };
}
