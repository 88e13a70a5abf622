// The stores every integration test runs against: the embedded store and, when installed, a real PostgreSQL.
import fs from 'node:fs';
import { inject } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { openEmbedded } from '../../src/store/embedded.ts';
import { openPostgres } from '../../src/store/postgres.ts';

export type StoreKind = 'embedded' | 'postgres';

export const STORE_KINDS: StoreKind[] = inject('pgTemplateUrl') ? ['embedded', 'postgres'] : ['embedded'];

/** A new PostgreSQL database cloned from the migrated template; returns its URL. */
export async function clonePgDatabase(): Promise<string> {
  const templateUrl = inject('pgTemplateUrl');
  if (!templateUrl) throw new Error('PostgreSQL is not available');
  const name = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = await openPostgres(templateUrl.replace(/\/[^/]+$/, '/postgres'), { max: 1 });
  try {
    await admin.query(`create database ${name} template runplane_template`);
  } finally {
    await admin.close();
  }
  return templateUrl.replace(/\/[^/]+$/, `/${name}`);
}

/** A fresh, migrated store of the given kind (one per test file: PGlite instances are costly). */
export async function openTestStore(kind: StoreKind, poolSize = 40): Promise<Db> {
  if (kind === 'postgres') return openPostgres(await clonePgDatabase(), { max: poolSize });
  const snapshot = new Blob([fs.readFileSync(inject('embeddedSnapshotPath'))]);
  return openEmbedded({ memory: true, snapshot });
}

/**
 * Embedded stores a test file gave back, for the next file this worker runs (vitest runs files one after another in
 * each worker process, `isolate: false`): opening one from the snapshot costs ~3 s of CPU (WebAssembly, the 40 MB
 * cluster copied in), emptying its tables ~50 ms.
 */
const idleEmbedded: Db[] = [];

/** A migrated, empty store of `kind` for one test file: a kept embedded one emptied, else a new one. */
export async function borrowTestStore(kind: StoreKind, poolSize?: number): Promise<Db> {
  const kept = kind === 'embedded' ? idleEmbedded.pop() : undefined;
  if (kept) {
    await resetStore(kept);
    return kept;
  }
  return openTestStore(kind, poolSize);
}

/** Gives back what `borrowTestStore` lent: an embedded store is kept for the next file, a PostgreSQL one closed. */
export async function returnTestStore(db: Db): Promise<void> {
  if (db.kind === 'embedded') idleEmbedded.push(db);
  else await db.close();
}

const TABLES = [
  'audit_log',
  'permission_requests',
  'permission_grants',
  'artifact_chunks',
  'artifacts',
  'checkpoints',
  'outbox',
  'reviews',
  'item_events',
  'attempts',
  'items',
  'harness_revisions',
  'profiles',
  'runners',
  'api_keys',
  'orgs',
  'setup_tokens',
];

/**
 * Empties every table, so each test starts from a migrated, empty store. A server's background loop (the lease
 * reaper of a `reaper: true` fixture) may hold row locks in another order when TRUNCATE asks for its table locks;
 * PostgreSQL then breaks the deadlock by failing one side, so the reset tries again.
 */
export async function resetStore(db: Db): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.exec(`truncate ${TABLES.join(', ')} cascade`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
    }
  }
}
