// The audit writer: mutations are recorded in batches (one multi-row insert every 200 ms) so auditing costs the
// request path nothing measurable. A record is durable once flushed; a crash can lose at most the last 200 ms.
import type { Db } from '../store/db.ts';
import { insertAuditRecords, type NewAuditRecord } from '../store/sql/audit.ts';

const FLUSH_MS = 200;
const MAX_BATCH = 500;

export interface AuditLog {
  warn(object: object, message: string): void;
}

export class AuditWriter {
  private queue: NewAuditRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: AuditLog = { warn() {} },
  ) {}

  record(entry: Omit<NewAuditRecord, 'at'>): void {
    this.queue.push({ ...entry, at: new Date() });
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
      }
    });
    return this.flushing;
  }
}
