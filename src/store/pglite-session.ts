// The embedded store's one session with PGlite, spoken in the PostgreSQL wire protocol (issue 13). PGlite's own
// `query` parses and plans every statement again and crosses into WebAssembly five times per query; here each
// statement text is parsed once per session as a named prepared statement, and a query is one crossing (Bind,
// Describe, Execute, Sync in one buffer). Messages are built and read by `pg-protocol`, parameters serialised and
// results parsed by `pg`'s own functions, so rows look exactly as they do from the PostgreSQL driver.
//
// It runs in the store's worker thread (pglite-worker.ts); the main thread queues every call for it (embedded.ts),
// so statements never interleave.
import type { PGlite } from '@electric-sql/pglite';
import pgUtils from 'pg/lib/utils.js';
import { serialize } from 'pg-protocol';
import type { BackendMessage, DatabaseError } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';
import { PREPARED_CAP, types } from './postgres.ts';

type Notify = (channel: string, payload: string) => void;

export class PgliteSession {
  readonly #pglite: PGlite;
  readonly #prepared = new Map<string, string>();
  #onNotification: Notify = () => {};

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  /** Receives NOTIFY messages for the channels this session LISTENs on. */
  onNotification(handler: Notify): void {
    this.#onNotification = handler;
  }

  /** One statement, prepared on first use. */
  run<Row>(sql: string, params: readonly unknown[] = []): Row[] {
    let name = this.#prepared.get(sql);
    const parse = name === undefined;
    // Past the cap (a caller building texts from data), the unnamed statement: parsed every time, never kept.
    if (name === undefined) name = this.#prepared.size < PREPARED_CAP ? `rp${this.#prepared.size}` : '';
    const message = Buffer.concat([
      ...(parse ? [serialize.parse({ name, text: sql, types: [] })] : []),
      serialize.bind({ statement: name, values: params.map((value) => pgUtils.prepareValue(value)) }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    ]);
    const response = this.#pglite.execProtocolRawSync(message);
    const rows: Row[] = [];
    let error: DatabaseError | null = null;
    let parsed = false;
    let parsers: ((text: string) => unknown)[] = [];
    let names: string[] = [];
    new Parser().parse(
      Buffer.from(response.buffer, response.byteOffset, response.byteLength),
      (msg: BackendMessage) => {
        switch (msg.name) {
          case 'rowDescription': {
            const { fields } = msg as unknown as { fields: { name: string; dataTypeID: number }[] };
            names = fields.map((field) => field.name);
            parsers = fields.map((field) => types.getTypeParser(field.dataTypeID, 'text') as (text: string) => unknown);
            break;
          }
          case 'dataRow': {
            const { fields } = msg as unknown as { fields: (string | null)[] };
            const row: Record<string, unknown> = {};
            for (let i = 0; i < fields.length; i++) {
              const text = fields[i];
              row[names[i]!] = text === null || text === undefined ? null : parsers[i]!(text);
            }
            rows.push(row as Row);
            break;
          }
          case 'parseComplete':
            parsed = true;
            break;
          case 'error':
            error ??= msg as DatabaseError;
            break;
          case 'notification': {
            const { channel, payload } = msg as unknown as { channel: string; payload: string };
            queueMicrotask(() => this.#onNotification(channel, payload));
            break;
          }
        }
      },
    );
    // Only a statement that parsed is known to the session; a failed Parse is sent again next time.
    if (parsed && name !== '') this.#prepared.set(sql, name);
    if (error) throw error;
    return rows;
  }

  /** A script of several statements (migrations), through PGlite's simple-query path. */
  async script(sql: string): Promise<void> {
    await this.#pglite.exec(sql);
  }
}
