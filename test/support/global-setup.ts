// Once per `npm test`: start a PostgreSQL cluster with a migrated template database, and build a migrated snapshot
// of the embedded store. Each test file then clones the template / loads the snapshot in well under a second.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { openEmbedded } from '../../src/store/embedded.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { findPgBin, type PgCluster, startPgCluster } from './postgres-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the migrated template database, or null when PostgreSQL is not installed. */
    pgTemplateUrl: string | null;
    embeddedSnapshotPath: string;
    /** A migrated, empty embedded data directory (RUNPLANE_DATA_DIR layout) that tests copy instead of creating. */
    embeddedDataDirTemplate: string;
  }
}

export const TEMPLATE_DB = 'runplane_template';

export default async function setup(project: TestProject) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-test-'));
  // The data dir template is made by `runplane migrate` in a child process, beside PostgreSQL's start.
  const dataDirTemplate = path.join(tmp, 'data-dir-template');
  const templateMade = promisify(execFile)(
    process.execPath,
    [path.resolve(import.meta.dirname, '../../bin/runplane.js'), 'migrate'],
    { env: { ...process.env, RUNPLANE_DATA_DIR: dataDirTemplate } },
  );
  let cluster: PgCluster | null = null;
  // RUNPLANE_TEST_STORES=embedded: the second, shorter CI run (another Node) leaves PostgreSQL to the first.
  const postgresWanted = (process.env.RUNPLANE_TEST_STORES ?? 'embedded,postgres').split(',').includes('postgres');
  const bin = postgresWanted ? findPgBin() : null;
  if (!postgresWanted) {
    console.warn('\nRUNPLANE_TEST_STORES leaves out postgres: the PostgreSQL half of the suite is skipped.\n');
    project.provide('pgTemplateUrl', null);
  } else if (bin) {
    cluster = await startPgCluster(bin);
    const admin = await openPostgres(cluster.url('postgres'), { max: 1 });
    await admin.query(`create database ${TEMPLATE_DB}`);
    await admin.close();
    const template = await openPostgres(cluster.url(TEMPLATE_DB), { max: 1 });
    await migrate(template);
    await template.close();
    project.provide('pgTemplateUrl', cluster.url(TEMPLATE_DB));
  } else {
    if (process.env.CI) throw new Error('PostgreSQL binaries are required in CI (/usr/lib/postgresql/*/bin)');
    console.warn(
      '\n!!! No PostgreSQL binaries under /usr/lib/postgresql/*/bin: the PostgreSQL half of the suite is SKIPPED.\n' +
        '!!! Install them (apt-get install postgresql) to run it.\n',
    );
    project.provide('pgTemplateUrl', null);
  }

  await templateMade;
  project.provide('embeddedDataDirTemplate', dataDirTemplate);

  const embedded = await openEmbedded({ memory: true });
  await migrate(embedded);
  const snapshot = await (embedded as unknown as { dump(): Promise<Blob> }).dump();
  await embedded.close();
  const snapshotPath = path.join(tmp, 'embedded.tar');
  fs.writeFileSync(snapshotPath, Buffer.from(await snapshot.arrayBuffer()));
  project.provide('embeddedSnapshotPath', snapshotPath);

  return () => {
    cluster?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
}
