// What idle instances cost the database: transactions per second on one PostgreSQL with 1 and with 3 `runplane
// serve` processes and nothing to do (the background loops: lease reaper, delivery worker, maintenance).
// Printed, never asserted. Usage: node --import tsx bench/instances.ts [--seconds 10]
import { openPostgres } from '../src/store/postgres.ts';
import { findPgBin } from '../test/support/postgres-cluster.ts';
import { type ServerProcess, startServeProcess } from '../test/support/processes.ts';
import { startBenchPostgres } from './bench-postgres.ts';

const at = process.argv.indexOf('--seconds');
const SECONDS = at > 0 ? Number(process.argv[at + 1]) : 10;

const bin = findPgBin();
if (!bin) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql; install postgresql');
const cluster = await startBenchPostgres(bin);
try {
  const url = cluster.url;
  const db = await openPostgres(url, { max: 1 });
  // Transactions committed in the bench database (statistics arrive up to ~10 s late: wait before each reading).
  const commits = async () => {
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const [row] = await db.query<{ n: number }>(
      `select xact_commit::int as n from pg_stat_database where datname = 'bench'`,
    );
    return row!.n;
  };
  for (const count of [1, 3]) {
    const servers: ServerProcess[] = [];
    for (let i = 0; i < count; i++) servers.push(await startServeProcess({ DATABASE_URL: url }));
    const before = await commits();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const after = await commits();
    // The readings themselves are two transactions.
    console.log(`${count} idle instance(s): ${((after - before - 2) / (SECONDS + 11)).toFixed(1)} transactions/s`);
    await Promise.all(servers.map((server) => server.stop()));
  }
  await db.close();
} finally {
  cluster.stop();
}
