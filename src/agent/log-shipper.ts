// Ships a task's output lines to the server in batches (at most 200 lines, at least every 500 ms). Lines wait in
// memory until the server has them (an outage delays them, in order), up to a bound: past it new lines are counted,
// not kept, and a marker saying how many were dropped takes their place. Nothing is written to disk: a crashed
// agent's task is requeued and runs again, so its partial log has no one to deliver it to.
const MAX_LINES = 200;
const FLUSH_MS = 500;
const MAX_LINE_BYTES = 16 * 1024;
/** What one task may hold in memory while the server does not take its lines (≈ 8 MiB of text). */
export const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** A line over the server's limit is cut, not dropped. */
export const fitLine = (line: string) =>
  Buffer.byteLength(line) > MAX_LINE_BYTES ? `${line.slice(0, MAX_LINE_BYTES / 4)}…` : line;

export class LogShipper<T = string> {
  private pending: T[] = [];
  private pendingBytes = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> = Promise.resolve();
  private failed: unknown = null;

  constructor(
    private readonly send: (lines: T[]) => Promise<void>,
    /** The entry that stands for `count` lines dropped over the memory bound. */
    private readonly droppedMarker: (count: number) => T,
    private readonly maxPendingBytes = MAX_PENDING_BYTES,
  ) {}

  push(entry: T): void {
    const bytes = sizeOf(entry);
    if (this.pendingBytes + bytes > this.maxPendingBytes) {
      this.dropped += 1;
    } else {
      this.addMarker();
      this.pending.push(entry);
      this.pendingBytes += bytes;
    }
    if (this.pending.length >= MAX_LINES) this.flushInBackground();
    else this.timer ??= setTimeout(() => this.flushInBackground(), FLUSH_MS);
  }

  /** Once there is room again, the lines dropped meanwhile are announced in their place. */
  private addMarker() {
    if (this.dropped === 0) return;
    const marker = this.droppedMarker(this.dropped);
    this.dropped = 0;
    this.pending.push(marker);
    this.pendingBytes += sizeOf(marker);
  }

  /** A failure here (e.g. a stale attempt) is kept and surfaces on the caller's next `flush()`. */
  private flushInBackground(): void {
    this.flush().catch(() => {});
  }

  /** Sends everything pushed so far; rejects with the first send error (e.g. a stale attempt). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sending = this.sending.then(async () => {
      if (this.pendingBytes < this.maxPendingBytes) this.addMarker();
      while (this.pending.length > 0 && !this.failed) {
        const batch = this.pending.slice(0, MAX_LINES);
        try {
          await this.send(batch);
        } catch (error) {
          this.failed = error;
          break;
        }
        this.pending.splice(0, batch.length);
        this.pendingBytes = Math.max(0, this.pendingBytes - batch.reduce((sum, entry) => sum + sizeOf(entry), 0));
        if (this.pending.length === 0) this.addMarker();
      }
      if (this.failed) throw this.failed;
    });
    return this.sending;
  }

  /** Lines not delivered (after a refused batch): forgotten, so a later flush can go on with what follows. */
  discardFailed(): void {
    this.failed = null;
    this.pending = [];
    this.pendingBytes = 0;
  }
}

const sizeOf = (entry: unknown) =>
  typeof entry === 'string' ? entry.length : typeof entry === 'object' && entry ? JSON.stringify(entry).length : 8;
