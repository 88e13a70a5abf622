// The one interface both drivers implement. Everything above the store speaks PostgreSQL SQL through it;
// the drivers differ only in how they connect and how they serialise transactions.

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a multi-statement script (migrations) outside the extended protocol. */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'embedded';
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
