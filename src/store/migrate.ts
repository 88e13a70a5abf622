// Numbered, forward-only migrations. Each runs in its own transaction under an advisory lock and records itself
// first, so several instances starting at once apply each file exactly once; a database newer than this code is refused.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
// Arbitrary constant shared by every Runplane instance: "the migration lock".
const MIGRATION_LOCK = 7_230_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** SHA-256 of the file: an applied migration edited afterwards is noticed at start-up. */
  checksum: string;
}

export function listMigrations(): Migration[] {
  const migrations = fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number.parseInt(file.slice(0, 4), 10),
      name: file.slice(5, -4),
      sql: fs.readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8'),
    }))
    .map((m) => ({ ...m, checksum: createHash('sha256').update(m.sql).digest('hex') }));
  // Two files with one number would leave the second unapplied for ever (the version is recorded once).
  const versions = migrations.map((m) => m.version);
  const duplicate = versions.find((version, index) => versions.indexOf(version) !== index);
  if (duplicate !== undefined) throw new Error(`two migrations are numbered ${duplicate}; renumber the newer one`);
  return migrations;
}

export class SchemaTooNewError extends Error {}
export class MigrationChangedError extends Error {}

interface AppliedMigration {
  version: number;
  checksum: string | null;
}

async function appliedMigrations(db: Db): Promise<AppliedMigration[]> {
  await db.exec(`create table if not exists schema_migrations (
    version integer primary key, name text not null, applied_at timestamptz not null default now());
    alter table schema_migrations add column if not exists checksum text`);
  return db.query<AppliedMigration>('select version, checksum from schema_migrations order by version');
}

/**
 * Compares applied migrations with the files. A database migrated before checksums existed gets them recorded now
 * (trust on first sight); a file whose checksum differs from the one recorded was edited after release.
 */
async function checkApplied(db: Db, migrations: Migration[], applied: AppliedMigration[]): Promise<void> {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (!file) continue;
    if (row.checksum === null) {
      await db.query('update schema_migrations set checksum = $2 where version = $1 and checksum is null', [
        row.version,
        file.checksum,
      ]);
    } else if (row.checksum !== file.checksum) {
      throw new MigrationChangedError(
        `migration ${String(row.version).padStart(4, '0')}_${file.name} was changed after this database applied it; ` +
          'restore the released file and ship the change as a new migration',
      );
    }
  }
}

/** Applies pending migrations; returns the names applied by this call. */
export async function migrate(db: Db, onApply: (m: Migration) => void = () => {}): Promise<string[]> {
  const migrations = listMigrations();
  const known = new Set(migrations.map((m) => m.version));
  const applied = await appliedMigrations(db).catch(() => appliedMigrations(db));
  const unknown = applied.map((row) => row.version).filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database has migration ${unknown.join(', ')} that this Runplane does not know; upgrade Runplane instead of downgrading it`,
    );
  }
  await checkApplied(db, migrations, applied);
  const ran: string[] = [];
  for (const migration of migrations) {
    const appliedNow = await db.tx(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const done = await tx.query('select 1 from schema_migrations where version = $1', [migration.version]);
      if (done.length > 0) return false;
      await tx.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      await tx.exec(migration.sql);
      return true;
    });
    if (appliedNow) {
      ran.push(`${String(migration.version).padStart(4, '0')}_${migration.name}`);
      onApply(migration);
    }
  }
  return ran;
}

/** True when every migration this code knows is applied (readiness). */
export async function isMigrated(db: Db): Promise<boolean> {
  const latest = listMigrations().at(-1)?.version ?? 0;
  const rows = await db.query<{ max: number | null }>('select max(version) as max from schema_migrations');
  return (rows[0]?.max ?? 0) >= latest;
}
