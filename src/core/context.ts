// The resource bag every core function receives: the store, blob storage, the config, the in-process wake-up
// channel, the watcher live event streams share, and the audit writer.
import type { Config } from '../config.ts';
import { type BlobStore, FileBlobStore, PostgresBlobStore } from '../store/blobs.ts';
import type { Db } from '../store/db.ts';
import { AuditWriter } from './audit.ts';
import { ItemWatch } from './item-watch.ts';
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
}

export function createCore(db: Db, config: Config): Core {
  const blobs =
    db.kind === 'postgres' ? new PostgresBlobStore(db) : new FileBlobStore(db, `${config.dataDir}/artifacts`);
  return {
    db,
    blobs,
    config,
    wakeups: new Wakeups(),
    itemWatch: new ItemWatch(db),
    signals: new Signals(db),
    audit: new AuditWriter(db),
  };
}
