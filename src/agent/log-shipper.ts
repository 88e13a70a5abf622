// Ships a task's output lines to the server in batches (at most 200 lines, at least every 500 ms). Lines are kept
// until the server has them: while it is unreachable they wait here (and on disk, see spool), then go in order.
import fs from 'node:fs';

const MAX_LINES = 200;
const FLUSH_MS = 500;
const MAX_LINE_BYTES = 16 * 1024;

/** A line over the server's limit is cut, not dropped. */
export const fitLine = (line: string) =>
  Buffer.byteLength(line) > MAX_LINE_BYTES ? `${line.slice(0, MAX_LINE_BYTES / 4)}…` : line;

export class LogShipper<T = string> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> = Promise.resolve();
  private failed: unknown = null;

  constructor(
    private readonly send: (lines: T[]) => Promise<void>,
    /** Lines not yet acknowledged are mirrored here, so a crash of the agent does not lose what it saw. */
    private readonly spoolFile: string,
  ) {}

  push(entry: T): void {
    this.pending.push(entry);
    fs.appendFileSync(this.spoolFile, `${JSON.stringify(entry)}\n`);
    if (this.pending.length >= MAX_LINES) this.flushInBackground();
    else this.timer ??= setTimeout(() => this.flushInBackground(), FLUSH_MS);
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
      while (this.pending.length > 0 && !this.failed) {
        const batch = this.pending.slice(0, MAX_LINES);
        try {
          await this.send(batch);
        } catch (error) {
          this.failed = error;
          break;
        }
        this.pending.splice(0, batch.length);
      }
      if (this.pending.length === 0) fs.rmSync(this.spoolFile, { force: true });
      if (this.failed) throw this.failed;
    });
    return this.sending;
  }
}
