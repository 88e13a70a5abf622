// Once per `npm test`: start a PostgreSQL cluster with a migrated template database, build a migrated snapshot of the
// embedded store (and a data directory made of it), and compile the build e2e tests start processes from. Each test
// file then clones the template / loads the snapshot in well under a second.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { openEmbedded } from '../../src/store/embedded.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { buildForTests } from './build.ts';
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
  // Three things at once: the build (tsc in a child process), PostgreSQL's start, and the embedded store's snapshot.
  const built = buildForTests();
  const postgresStarted = startPostgres(project);
  const snapshotMade = makeEmbeddedSnapshot(path.join(tmp, 'embedded.tar'));
  const cluster = await postgresStarted;
  try {
    const snapshotPath = await snapshotMade;
    project.provide('embeddedSnapshotPath', snapshotPath);
    // The data dir template is the snapshot unpacked as a data directory's cluster (what `runplane migrate` makes on
    // an empty dir, without running initdb in WebAssembly a second time).
    const dataDirTemplate = path.join(tmp, 'data-dir-template');
    fs.mkdirSync(path.join(dataDirTemplate, 'pgdata'), { recursive: true });
    await promisify(execFile)('tar', ['-xf', snapshotPath, '-C', path.join(dataDirTemplate, 'pgdata')]);
    fs.rmSync(path.join(dataDirTemplate, 'pgdata', 'postmaster.pid'), { force: true });
    project.provide('embeddedDataDirTemplate', dataDirTemplate);
    await built;
  } catch (error) {
    cluster?.stop();
    throw error;
  }

  return () => {
    cluster?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
}

/** Starts the PostgreSQL cluster with the migrated template database, or says why the PostgreSQL half is skipped. */
async function startPostgres(project: TestProject): Promise<PgCluster | null> {
  // RUNPLANE_TEST_STORES=embedded leaves PostgreSQL out (a run on a machine without it, on purpose).
  const postgresWanted = (process.env.RUNPLANE_TEST_STORES ?? 'embedded,postgres').split(',').includes('postgres');
  const bin = postgresWanted ? findPgBin() : null;
  if (!postgresWanted) {
    console.warn('\nRUNPLANE_TEST_STORES leaves out postgres: the PostgreSQL half of the suite is skipped.\n');
    project.provide('pgTemplateUrl', null);
    return null;
  }
  if (!bin) {
    if (process.env.CI) throw new Error('PostgreSQL binaries are required in CI (/usr/lib/postgresql/*/bin)');
    console.warn(
      '\n!!! No PostgreSQL binaries under /usr/lib/postgresql/*/bin: the PostgreSQL half of the suite is SKIPPED.\n' +
        '!!! Install them (apt-get install postgresql) to run it.\n',
    );
    project.provide('pgTemplateUrl', null);
    return null;
  }
  const cluster = await startPgCluster(bin);
  const admin = await openPostgres(cluster.url('postgres'), { max: 1 });
  await admin.query(`create database ${TEMPLATE_DB}`);
  await admin.close();
  const template = await openPostgres(cluster.url(TEMPLATE_DB), { max: 1 });
  await migrate(template);
  await template.close();
  project.provide('pgTemplateUrl', cluster.url(TEMPLATE_DB));
  return cluster;
}

/** A migrated, empty embedded store dumped to `file` (a tar of its cluster directory). */
async function makeEmbeddedSnapshot(file: string): Promise<string> {
  const embedded = await openEmbedded({ memory: true });
  await migrate(embedded);
  const snapshot = await (embedded as unknown as { dump(): Promise<Blob> }).dump();
  await embedded.close();
  fs.writeFileSync(file, Buffer.from(await snapshot.arrayBuffer()));
  return file;
}
