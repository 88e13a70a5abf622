// The store a CLI command opens itself (no --server): opened, migrated, closed whatever `fn` does.
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { openStore } from '../store/open.ts';

export async function withStore<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openStore(config);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}
