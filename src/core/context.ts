// The resource bag every core function receives: the store, blob storage, the config, the in-process wake-up
// channel, the watcher live event streams share, the audit writer and the logger of domain events.
import type { Config } from '../config.ts';
import { type BlobStore, FileBlobStore, PostgresBlobStore } from '../store/blobs.ts';
import type { Db, Leadership } from '../store/db.ts';
import { AuditWriter } from './audit.ts';
import { ItemWatch } from './item-watch.ts';
import { type Log, silentLog } from './log.ts';
import { Metrics } from './metrics.ts';
import { Signals } from './notifications.ts';
import { Wakeups } from './wakeups.ts';

export interface Core {
  db: Db;
  blobs: BlobStore;
  config: Config;
  wakeups: Wakeups;
  itemWatch: ItemWatch;
  /** What other instances must hear at once (work, revoked credentials), over PostgreSQL notifications. */
  signals: Signals;
  audit: AuditWriter;
  metrics: Metrics;
  /** Where domain events are logged (see domain-log.ts); after the change committed, never inside it. */
  log: Log;
  /** The background leadership (reaper, delivery, maintenance); null: this instance runs them regardless. */
  leadership: Leadership | null;
}

export function createCore(db: Db, config: Config, log: Log = silentLog): Core {
  const blobs =
    db.kind === 'postgres' ? new PostgresBlobStore(db) : new FileBlobStore(db, `${config.dataDir}/artifacts`);
  const wakeups = new Wakeups();
  const signals = new Signals(db);
  const metrics = new Metrics(db, {
    notificationsReceived: () => signals.received,
    parkedPolls: () => wakeups.size,
  });
  return {
    db,
    blobs,
    config,
    wakeups,
    itemWatch: new ItemWatch(db),
    signals,
    audit: new AuditWriter(db, log),
    metrics,
    log,
    leadership: null,
  };
}
