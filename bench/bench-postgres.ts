// The PostgreSQL every bench starts for itself (initdb + pg_ctl on a free port, as the tests do): a migrated,
// empty `bench` database, with any server settings applied first.

import { migrate } from '../src/store/migrate.ts';
import { openPostgres } from '../src/store/postgres.ts';
import { startPgCluster } from '../test/support/postgres-cluster.ts';
import { processTreeCpuSeconds } from './proc.ts';

export interface BenchPostgres {
  /** The `bench` database. */
  url: string;
  /** CPU seconds used so far by the cluster's processes that are alive now (postmaster and backends). */
  cpuSeconds(): number;
  stop(): void;
}

/** `settings`: `name = value` pairs set with ALTER SYSTEM (and reloaded) before the database is made. */
export async function startBenchPostgres(bin: string, settings: string[] = []): Promise<BenchPostgres> {
  const cluster = await startPgCluster(bin);
  try {
    const admin = await openPostgres(cluster.url('postgres'), { max: 1 });
    try {
      for (const setting of settings) await admin.query(`alter system set ${setting}`);
      if (settings.length > 0) await admin.query('select pg_reload_conf()');
      await admin.query('create database bench');
    } finally {
      await admin.close();
    }
    const url = cluster.url('bench');
    const db = await openPostgres(url, { max: 1 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    return { url, cpuSeconds: () => processTreeCpuSeconds(cluster.postmasterPid()), stop: () => cluster.stop() };
  } catch (error) {
    cluster.stop();
    throw error;
  }
}
