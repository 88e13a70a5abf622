// The one interface both drivers implement. Everything above the store speaks PostgreSQL SQL through it;
// the drivers differ only in how they connect and how they serialise transactions.

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a multi-statement script (migrations) outside the extended protocol. */
  exec(sql: string): Promise<void>;
}

/** Receives notifications of the channels it listens on; see Db.listen. */
export interface NotificationHandlers {
  notification(channel: string, payload: string): void;
  /** After every (re)connect: notifications sent while disconnected are lost, so treat this as "wake everything". */
  connected(): void;
  /** The connection was lost: notifications are missed until `connected` runs again. */
  disconnected(): void;
}

export interface Listener {
  close(): Promise<void>;
}

/** Whether this instance holds a named leadership (a PostgreSQL advisory lock on a connection of its own). */
export interface Leadership {
  readonly leading: boolean;
  close(): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'embedded';
  /**
   * LISTENs on `channels` with a connection of its own (never one of the pool's), reconnecting with backoff when it
   * drops. Publish with `select pg_notify(channel, payload)` through any connection.
   */
  listen(channels: readonly string[], handlers: NotificationHandlers): Promise<Listener>;
  /**
   * Competes for the leadership `name` among every instance on this store: at most one leads at a time; when the
   * leader's process or connection dies, another takes over within a few seconds.
   */
  lead(name: string): Promise<Leadership>;
  /** Connections of the pool (PostgreSQL; the embedded store has one and none to report). */
  poolStats?(): { total: number; idle: number; waiting: number };
  /** Runs `fn` in one transaction (READ COMMITTED); commits on return, rolls back on throw. */
  tx<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** JSON parameters are always passed as text so both drivers send the same thing (pg would turn arrays into SQL arrays). */
export function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** PostgreSQL's unique_violation (both drivers report the SQLSTATE as `code`). */
export const isUniqueViolation = (error: unknown): boolean => (error as { code?: string }).code === '23505';

/**
 * The store cannot be reached (connection refused or lost, server restarting, pool wait timed out). Requests answer
 * 503 store_unavailable with Retry-After; background loops back off and try again.
 */
export class StoreUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the store is unreachable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

// SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, restart), and 53300 (too many
// connections): the database is not there for us right now, the request itself is fine.
const UNAVAILABLE_SQLSTATE = /^(08|57P|53300)/;
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|Connection refused/i;

/** True when `error` says the database is unreachable rather than that the statement is wrong. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailable) return true;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && UNAVAILABLE_SQLSTATE.test(code)) return true;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && UNAVAILABLE_MESSAGE.test(code)) return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}

/** Rethrows an unreachable-store error as StoreUnavailable; anything else unchanged. */
export function classifyStoreError(error: unknown): never {
  throw isUnavailable(error) ? new StoreUnavailable(error) : error;
}
