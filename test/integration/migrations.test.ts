// Migrations carry checksums: a released migration edited afterwards stops start-up with a message saying what to do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { MigrationChangedError, migrate } from '../../src/store/migrate.ts';
import { openTestStore, STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('migration checksums on the %s store', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestStore(kind);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('records checksums for a database migrated before they existed, then refuses an edited migration', async () => {
    await db.query('update schema_migrations set checksum = null');
    expect(await migrate(db)).toEqual([]);
    const recorded = await db.query<{ n: number }>(
      'select count(*)::int as n from schema_migrations where checksum is null',
    );
    expect(recorded[0]!.n).toBe(0);

    await db.query(`update schema_migrations set checksum = 'edited' where version = 1`);
    const refused = await migrate(db).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MigrationChangedError);
    expect((refused as Error).message).toContain('0001_init was changed after this database applied it');
  });
});
