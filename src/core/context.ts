// The resource bag every core function receives: the store, blob storage, the config, the in-process wake-up
// channel and the audit writer.
import type { Config } from '../config.ts';
import { type BlobStore, FileBlobStore, PostgresBlobStore } from '../store/blobs.ts';
import type { Db } from '../store/db.ts';
import { AuditWriter } from './audit.ts';
import { Wakeups } from './wakeups.ts';

export interface Core {
  db: Db;
  blobs: BlobStore;
  config: Config;
  wakeups: Wakeups;
  audit: AuditWriter;
}

export function createCore(db: Db, config: Config): Core {
  const blobs =
    db.kind === 'postgres' ? new PostgresBlobStore(db) : new FileBlobStore(db, `${config.dataDir}/artifacts`);
  return { db, blobs, config, wakeups: new Wakeups(), audit: new AuditWriter(db) };
}
