// Instances hear each other through PostgreSQL notifications (LISTEN/NOTIFY; PGlite has the same, so one path).
// What one instance does that another must react to at once — work became claimable, a credential was revoked —
// is published on one channel; each instance reacts locally (wakes one matching long poll, drops its credential
// cache). Anything lost (a listener reconnecting, an instance dying between its commit and its publish) is covered
// by the slow re-poll of waiting claims, and every reconnect counts as "wake everything".
//
// Publishing happens right after the commit, coalesced into one statement per tick, not inside the transaction:
// NOTIFY takes a database-wide lock at commit, which serialises every notifying transaction (measured in
// ../shared/NOTES.md: 3–6× less enqueue throughput). The instance's own waiters are woken directly, so the
// publishing instance ignores its own notifications.
import type { Db, Listener } from '../store/db.ts';
import { newUuid } from './ids.ts';

export const CHANNEL = 'runplane';

/** What work became claimable: enough for a waiter to know whether it could take it. */
export interface WorkSignal {
  orgId: string;
  profileId: string | null;
  requiredTags: string[];
}

/**
 * `work`: `count` items of one org, profile and tag set became claimable (coalesced). `items`: items got new events
 * or a new state (live event streams read on). `credentials`: a key was revoked.
 */
export type Signal =
  | { kind: 'work'; work: WorkSignal; count: number }
  | { kind: 'items'; orgId: string; itemIds: string[] }
  | { kind: 'credentials' };

export interface SignalHandlers {
  signal(signal: Signal): void;
  /** After every (re)connect of the listener, or when a notification could not be read: re-check everything. */
  resync(): void;
  /** The listener lost its connection: until the next resync, notifications are missed. */
  disconnected(): void;
}

/** NOTIFY payloads must stay under 8000 bytes; item ids are split into payloads of at most this many. */
const ITEM_IDS_PER_PAYLOAD = 40;
/** Item changes are coalesced this long: a busy instance sends a few notifications a second, not one per write. */
const ITEMS_FLUSH_MS = 25;

function encode(instance: string, signal: Signal): string[] {
  if (signal.kind === 'credentials') return [JSON.stringify({ i: instance, k: 'c' })];
  if (signal.kind === 'work') {
    const { orgId, profileId, requiredTags } = signal.work;
    return [JSON.stringify({ i: instance, k: 'w', o: orgId, p: profileId, t: requiredTags, n: signal.count })];
  }
  const payloads: string[] = [];
  for (let at = 0; at < signal.itemIds.length; at += ITEM_IDS_PER_PAYLOAD) {
    const ids = signal.itemIds.slice(at, at + ITEM_IDS_PER_PAYLOAD);
    payloads.push(JSON.stringify({ i: instance, k: 'e', o: signal.orgId, ids }));
  }
  return payloads;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];

function decode(payload: string): { instance: string; signal: Signal } | null {
  try {
    const raw = JSON.parse(payload) as Record<string, unknown>;
    if (typeof raw.i !== 'string') return null;
    if (raw.k === 'c') return { instance: raw.i, signal: { kind: 'credentials' } };
    if (typeof raw.o !== 'string') return null;
    if (raw.k === 'e') return { instance: raw.i, signal: { kind: 'items', orgId: raw.o, itemIds: strings(raw.ids) } };
    if (raw.k !== 'w') return null;
    const profileId = typeof raw.p === 'string' ? raw.p : null;
    const count = Number.isSafeInteger(raw.n) && (raw.n as number) > 0 ? Math.min(raw.n as number, 10_000) : 1;
    return {
      instance: raw.i,
      signal: { kind: 'work', work: { orgId: raw.o, profileId, requiredTags: strings(raw.t) }, count },
    };
  } catch {
    return null;
  }
}

export class Signals {
  readonly instance = newUuid();
  private listener: Listener | null = null;
  /** Pending signals, coalesced: work of one org, profile and tag set adds up its count. */
  private queue = new Map<string, Signal>();
  private flushing: Promise<void> | null = null;
  /** Items with news, per org, gathered for ITEMS_FLUSH_MS. */
  private readonly changedItems = new Map<string, Set<string>>();
  private itemsTimer: NodeJS.Timeout | null = null;
  /** Notifications received from other instances (for metrics and tests). */
  received = 0;

  private log: { warn(object: object, message: string): void } = { warn() {} };

  constructor(private readonly db: Db) {}

  /** Listens (with `log` for publish failures) until close. */
  async start(handlers: SignalHandlers, log?: { warn(object: object, message: string): void }): Promise<void> {
    if (log) this.log = log;
    this.listener = await this.db.listen([CHANNEL], {
      notification: (_channel, payload) => {
        const message = decode(payload);
        if (!message) return handlers.resync();
        if (message.instance === this.instance) return;
        this.received++;
        handlers.signal(message.signal);
      },
      connected: () => handlers.resync(),
      disconnected: () => handlers.disconnected(),
    });
  }

  /**
   * Tells the other instances (after the change committed). Never throws: a lost work signal is covered by their
   * queue sweeps, a lost item signal by their watchers' fallback reads. The embedded store is held by one process
   * (its data directory is locked), so there is no one to tell.
   */
  publish(signal: Signal): void {
    if (this.db.kind === 'embedded') return;
    if (signal.kind === 'items') {
      const ids = this.changedItems.get(signal.orgId) ?? new Set<string>();
      this.changedItems.set(signal.orgId, ids);
      for (const id of signal.itemIds) ids.add(id);
      this.itemsTimer ??= setTimeout(() => {
        this.itemsTimer = null;
        for (const [orgId, itemIds] of this.changedItems)
          this.queue.set(`items:${orgId}`, { kind: 'items', orgId, itemIds: [...itemIds] });
        this.changedItems.clear();
        this.scheduleFlush();
      }, ITEMS_FLUSH_MS);
      return;
    }
    const key =
      signal.kind === 'work'
        ? JSON.stringify([signal.work.orgId, signal.work.profileId, [...signal.work.requiredTags].sort()])
        : 'credentials';
    const queued = this.queue.get(key);
    if (queued?.kind === 'work' && signal.kind === 'work') queued.count += signal.count;
    else this.queue.set(key, signal.kind === 'work' ? { ...signal } : signal);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    const payloads = [...this.queue.values()].flatMap((signal) => encode(this.instance, signal));
    this.queue = new Map();
    try {
      await this.db.query('select pg_notify($1, payload) from unnest($2::text[]) as payload', [CHANNEL, payloads]);
    } catch (error) {
      this.log.warn({ err: error, count: payloads.length }, 'could not publish to other instances');
    } finally {
      this.flushing = null;
      if (this.queue.size > 0) this.flushing = this.flush();
    }
  }

  async close(): Promise<void> {
    if (this.itemsTimer) clearTimeout(this.itemsTimer);
    this.itemsTimer = null;
    await this.flushing;
    await this.listener?.close();
    this.listener = null;
  }
}
