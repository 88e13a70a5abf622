// PostgreSQL driver: a `pg` pool. Several server instances share one database, so nothing here caches state.
import pg from 'pg';
import {
  classifyStoreError,
  type Db,
  isUnavailable,
  type Leadership,
  type Listener,
  type NotificationHandlers,
  type Queryable,
} from './db.ts';

const INT8 = 20;

// bigint columns (count(*), sums) are small here; numbers keep both drivers' rows identical (the embedded session
// parses its rows with these too).
export const types = {
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
  /** Named prepared statements (default); off for a pooler in transaction mode that cannot keep them. */
  prepare?: boolean;
}

// Every parameterised statement is sent as a named (prepared) statement: each connection parses and plans it once and
// then only binds and executes it (issue 13: planning was a quarter of PostgreSQL's CPU on the write path). Names are
// per process, one per distinct text; the engine's texts are fixed, the cap only guards against a caller that builds
// texts from data.
export const PREPARED_CAP = 2000;
const preparedNames = new Map<string, string>();

function statement(sql: string, params: readonly unknown[] | undefined, prepare: boolean): pg.QueryConfig {
  if (params === undefined) return { text: sql };
  if (!prepare) return { text: sql, values: params as unknown[] };
  let name = preparedNames.get(sql);
  if (name === undefined && preparedNames.size < PREPARED_CAP) {
    name = `rp${preparedNames.size}`;
    preparedNames.set(sql, name);
  }
  return { name, text: sql, values: params as unknown[] };
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Db> {
  const settings = [
    options.statementTimeoutMs ? `-c statement_timeout=${options.statementTimeoutMs}` : '',
    options.idleInTransactionTimeoutMs
      ? `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs}`
      : '',
  ].filter(Boolean);
  const prepare = options.prepare ?? true;
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
    (await pool.query(statement(sql, params, prepare)).catch(classifyStoreError)).rows as Row[];

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
          (await conn.query(statement(sql, params, prepare)).catch(classifyStoreError)).rows as Row[],
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
    lead: (name) => leadPostgres(url, name),
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
      if (current === client) {
        current = null;
        handlers.disconnected();
      }
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

/** How often a follower tries to take the leadership (and a lost connection is replaced). */
const LEAD_RETRY_MS = 2000;

/**
 * Leadership as a session advisory lock held by a connection of its own: PostgreSQL releases it the moment that
 * connection ends (the process died, the server restarted), and a follower's next try takes it.
 */
async function leadPostgres(url: string, name: string): Promise<Leadership> {
  let closed = false;
  let leading = false;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;

  const drop = (lost: pg.Client) => {
    if (client !== lost) return;
    client = null;
    leading = false;
    void lost.end().catch(() => {});
  };
  const attempt = async () => {
    timer = null;
    if (closed) return;
    try {
      if (!client) {
        const fresh = new pg.Client({
          connectionString: url,
          types,
          connectionTimeoutMillis: 5000,
          keepAlive: true,
          application_name: 'runplane-leader',
        });
        fresh.on('error', () => drop(fresh));
        fresh.on('end', () => drop(fresh));
        client = fresh;
        await fresh.connect();
      }
      if (!leading) {
        const rows = await client.query<{ got: boolean }>('select pg_try_advisory_lock(hashtext($1)) as got', [
          `runplane:${name}`,
        ]);
        leading = rows.rows[0]?.got === true;
      }
    } catch {
      if (client) drop(client);
    }
    // The leader keeps its connection and lock; a follower (or a dropped leader) tries again.
    if (!closed && !leading) {
      timer = setTimeout(() => void attempt(), LEAD_RETRY_MS);
      timer.unref();
    } else if (!closed) {
      timer = setTimeout(() => void watch(), LEAD_RETRY_MS);
      timer.unref();
    }
  };
  // A leader checks its connection now and then, so a silently dead one is noticed and replaced.
  const watch = async () => {
    timer = null;
    if (closed || !client) return void attempt();
    try {
      await client.query('select 1');
    } catch {
      if (client) drop(client);
    }
    void attempt();
  };
  await attempt();
  return {
    get leading() {
      return leading;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      leading = false;
      await client?.end().catch(() => {});
      client = null;
    },
  };
}
