// Picks the driver from the config: PostgreSQL when DATABASE_URL is set, the embedded store otherwise.
import type { Config } from '../config.ts';
import type { Db } from './db.ts';
import { openEmbedded } from './embedded.ts';
import { openPostgres } from './postgres.ts';

export function openStore(config: Config): Promise<Db> {
  return config.databaseUrl
    ? openPostgres(config.databaseUrl, {
        connectTimeoutMs: config.dbConnectTimeoutMs,
        prepare: config.dbPrepare,
        statementTimeoutMs: config.dbStatementTimeoutMs,
        idleInTransactionTimeoutMs: config.dbIdleInTransactionTimeoutMs,
      })
    : openEmbedded({ dataDir: config.dataDir });
}

export const describeStore = (config: Config): string =>
  config.databaseUrl ? 'PostgreSQL' : `embedded store in ${config.dataDir}`;
