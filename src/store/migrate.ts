// Numbered, forward-only migrations. Each runs in its own transaction under an advisory lock and records itself
// first, so several instances starting at once apply each file exactly once; a database newer than this code is refused.
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
    }));
  // Two files with one number would leave the second unapplied for ever (the version is recorded once).
  const versions = migrations.map((m) => m.version);
  const duplicate = versions.find((version, index) => versions.indexOf(version) !== index);
  if (duplicate !== undefined) throw new Error(`two migrations are numbered ${duplicate}; renumber the newer one`);
  return migrations;
}

export class SchemaTooNewError extends Error {}

async function appliedVersions(db: Db): Promise<number[]> {
  await db.exec(`create table if not exists schema_migrations (
    version integer primary key, name text not null, applied_at timestamptz not null default now())`);
  const rows = await db.query<{ version: number }>('select version from schema_migrations order by version');
  return rows.map((row) => row.version);
}

/** Applies pending migrations; returns the names applied by this call. */
export async function migrate(db: Db, onApply: (m: Migration) => void = () => {}): Promise<string[]> {
  const migrations = listMigrations();
  const known = new Set(migrations.map((m) => m.version));
  const unknown = (await appliedVersions(db).catch(() => appliedVersions(db))).filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database has migration ${unknown.join(', ')} that this Runplane does not know; upgrade Runplane instead of downgrading it`,
    );
  }
  const applied: string[] = [];
  for (const migration of migrations) {
    const ran = await db.tx(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const done = await tx.query('select 1 from schema_migrations where version = $1', [migration.version]);
      if (done.length > 0) return false;
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      await tx.exec(migration.sql);
      return true;
    });
    if (ran) {
      applied.push(`${String(migration.version).padStart(4, '0')}_${migration.name}`);
      onApply(migration);
    }
  }
  return applied;
}

/** True when every migration this code knows is applied (readiness). */
export async function isMigrated(db: Db): Promise<boolean> {
  const latest = listMigrations().at(-1)?.version ?? 0;
  const rows = await db.query<{ max: number | null }>('select max(version) as max from schema_migrations');
  return (rows[0]?.max ?? 0) >= latest;
}
