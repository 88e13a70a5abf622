// Watches items for new events on behalf of live event streams. A watched item's head (newest event, state) is read
// when the item has news — a write here, or a notification from the instance that wrote (notifications.ts) — and
// otherwise only on a slow fallback timer, once per watched item however many streams wait on it: a console with
// many tabs on one session costs what one tab costs, and a stream reads events only when its item has new ones.
import type { Queryable } from '../store/db.ts';
import { getItemHead, type ItemHead } from '../store/sql/items.ts';
import { notFound } from './errors.ts';
import { isTerminal } from './states.ts';

export type { ItemHead };

interface Waiter {
  after: number;
  settle(head: ItemHead | null): void;
  fail(error: unknown): void;
}

interface Watched {
  orgId: string;
  itemId: string;
  waiters: Set<Waiter>;
  polling: boolean;
  /** Ends the poller's pause early (the item has news). */
  wake: (() => void) | null;
  /** News arrived while a read was in flight: read again at once. */
  news: boolean;
}

export class ItemWatch {
  private readonly watched = new Map<string, Watched>();
  /** Store reads made so far (for tests and metrics). */
  reads = 0;

  /** `fallbackMs`: how often a watched item is read without news (covers a lost notification). */
  constructor(
    private readonly db: Queryable,
    private readonly fallbackMs = 5000,
  ) {}

  /** Items of an org have news: their watchers read now. */
  wake(orgId: string, itemIds: readonly string[]): void {
    for (const itemId of itemIds) {
      const entry = this.watched.get(`${orgId}\u0000${itemId}`);
      if (!entry) continue;
      entry.news = true;
      entry.wake?.();
    }
  }

  /** Every watcher reads now (a listener reconnected: notifications may have been missed). */
  wakeAll(): void {
    for (const entry of this.watched.values()) {
      entry.news = true;
      entry.wake?.();
    }
  }

  /**
   * Resolves with the item's head once it has an event after `after` or is finished; with null when `timeoutMs`
   * passes or `signal` aborts first. Rejects when the store cannot be read.
   */
  wait(
    orgId: string,
    itemId: string,
    after: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ItemHead | null> {
    const key = `${orgId}\u0000${itemId}`;
    let entry = this.watched.get(key);
    if (!entry) {
      entry = { orgId, itemId, waiters: new Set(), polling: false, wake: null, news: false };
      this.watched.set(key, entry);
    }
    const watched = entry;
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        watched.waiters.delete(waiter);
        // The last waiter gone: let the poller end now rather than at its next fallback read.
        if (watched.waiters.size === 0) watched.wake?.();
      };
      const waiter: Waiter = {
        after,
        settle: (head) => {
          done();
          resolve(head);
        },
        fail: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = () => waiter.settle(null);
      const timer = setTimeout(onAbort, timeoutMs);
      if (signal?.aborted) return waiter.settle(null);
      signal?.addEventListener('abort', onAbort, { once: true });
      watched.waiters.add(waiter);
      // Read at once: news may have come between the caller's last read and this wait.
      if (!watched.polling) void this.poll(key, watched);
      else {
        watched.news = true;
        watched.wake?.();
      }
    });
  }

  /** Streams waiting right now, over every watched item. */
  get waiting(): number {
    let count = 0;
    for (const entry of this.watched.values()) count += entry.waiters.size;
    return count;
  }

  /** Items watched right now (each costs one read per fallback interval, and one per piece of news). */
  get size(): number {
    return this.watched.size;
  }

  private async poll(key: string, entry: Watched): Promise<void> {
    entry.polling = true;
    try {
      while (entry.waiters.size > 0) {
        let head: ItemHead | null;
        entry.news = false;
        try {
          this.reads++;
          head = await getItemHead(this.db, entry.orgId, entry.itemId);
          if (!head) throw notFound('session', entry.itemId);
        } catch (error) {
          for (const waiter of [...entry.waiters]) waiter.fail(error);
          break;
        }
        for (const waiter of [...entry.waiters]) {
          if (head.lastEventSeq > waiter.after || isTerminal(head.state)) waiter.settle(head);
        }
        if (entry.waiters.size === 0) break;
        if (entry.news) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => entry.wake?.(), this.fallbackMs);
          entry.wake = () => {
            clearTimeout(timer);
            entry.wake = null;
            resolve();
          };
        });
      }
    } finally {
      entry.polling = false;
      if (this.watched.get(key) === entry && entry.waiters.size === 0) this.watched.delete(key);
    }
  }
}
