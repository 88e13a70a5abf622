// Watches items for new events on behalf of live event streams. Events may be written by any server instance, so
// the store is asked — but once per interval per watched item, however many streams wait on it: a console with many
// tabs on one session costs what one tab costs, and a stream reads events only when its item has new ones.
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
}

export class ItemWatch {
  private readonly watched = new Map<string, Watched>();
  /** Store reads made so far (for tests and metrics). */
  reads = 0;

  constructor(
    private readonly db: Queryable,
    private readonly intervalMs = 250,
  ) {}

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
      entry = { orgId, itemId, waiters: new Set(), polling: false };
      this.watched.set(key, entry);
    }
    const watched = entry;
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        watched.waiters.delete(waiter);
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
      if (!watched.polling) void this.poll(key, watched);
    });
  }

  /** Items watched right now (each costs one read per interval). */
  get size(): number {
    return this.watched.size;
  }

  private async poll(key: string, entry: Watched): Promise<void> {
    entry.polling = true;
    try {
      while (entry.waiters.size > 0) {
        let head: ItemHead | null;
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
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    } finally {
      entry.polling = false;
      if (this.watched.get(key) === entry && entry.waiters.size === 0) this.watched.delete(key);
    }
  }
}
