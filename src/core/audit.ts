// The audit log: who changed what, when, under which request. A domain mutation writes its audit row in the
// transaction that makes the change (recordAudit), so a change never commits without its record and a crash right
// after the answer loses nothing. Who is acting comes from the audit scope the caller opened (an API request, a
// CLI command); code without a scope (background loops) records nothing.
//
// Requests that succeed without reaching a mutation (a replayed result, a cancel of an already cancelled session)
// are recorded after the response by the batched AuditWriter: they changed nothing, so losing one in a crash
// loses no history.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db, Queryable } from '../store/db.ts';
import { insertAuditRecords, type NewAuditRecord } from '../store/sql/audit.ts';

export interface AuditActor {
  orgId: string;
  actor: string;
  action: string;
  /** The default target (a route's `:id`); a mutation may name its own. */
  target: string | null;
  requestId: string | null;
}

export interface AuditScope extends AuditActor {
  /** Set once a row was written inside a mutation's transaction. */
  recorded: boolean;
}

const scopes = new AsyncLocalStorage<AuditScope>();

/** Runs `fn` with `actor` as the author of every mutation it makes; returns the scope to read `recorded` after. */
export function openAuditScope(actor: AuditActor): AuditScope {
  return { ...actor, recorded: false };
}

export function withAuditScope<T>(scope: AuditScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/**
 * The audit row for a mutation being made now, or null outside an audit scope. Marks the scope recorded: the
 * caller writes the row in the mutation's own statement or transaction.
 */
export function auditRowFor(target?: string | null): NewAuditRecord | null {
  const scope = scopes.getStore();
  if (!scope) return null;
  scope.recorded = true;
  return {
    orgId: scope.orgId,
    actor: scope.actor,
    action: scope.action,
    target: target === undefined ? scope.target : target,
    requestId: scope.requestId,
    at: new Date(),
  };
}

/** Writes the current actor's audit row in `tx`, the transaction that makes the change. */
export async function recordAudit(tx: Queryable, target?: string | null): Promise<void> {
  const row = auditRowFor(target);
  if (row) await insertAuditRecords(tx, [row]);
}

const FLUSH_MS = 200;
const MAX_BATCH = 500;

export interface AuditLog {
  warn(object: object, message: string): void;
}

/**
 * Records of requests that changed nothing (see above), batched: one multi-row insert every 200 ms, so they cost
 * the request path nothing measurable. Bounded: during a store outage the oldest are dropped (and counted in the
 * warning) rather than growing without limit.
 */
export class AuditWriter {
  private queue: NewAuditRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private static readonly MAX_QUEUED = 10_000;

  constructor(
    private readonly db: Db,
    private readonly log: AuditLog = { warn() {} },
  ) {}

  record(entry: Omit<NewAuditRecord, 'at'>): void {
    this.queue.push({ ...entry, at: new Date() });
    const over = this.queue.length - AuditWriter.MAX_QUEUED;
    if (over > 0) {
      this.queue.splice(0, over);
      this.log.warn({ dropped: over }, 'audit queue full while the store is unavailable; dropped the oldest records');
    }
    if (this.queue.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes everything recorded so far (also before the audit log is read, so a reader sees its own writes). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await insertAuditRecords(this.db, batch);
      } catch (error) {
        this.log.warn({ err: error, count: batch.length }, 'audit batch failed; retrying with the next flush');
        this.queue.unshift(...batch);
        this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS * 10);
      }
    });
    return this.flushing;
  }
}
