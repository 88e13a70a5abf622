// Claim throughput, printed, never asserted. Against a PostgreSQL this script starts itself (initdb + pg_ctl):
//   1. raw SQL: the engine's claim call (runplane_claim_items: runner row lock + one SKIP LOCKED statement), 8 connections;
//   2. HTTP: GET /api/runners/tasks/pending?limit=1 against a `runplane serve` process, 32 concurrent runners;
// then their ratio (goal ≥ 0.6), and the same HTTP figure on the embedded store.
// Raw and HTTP alternate for three rounds; medians are printed. Usage: npm run bench [-- --seconds 5]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createApiKey } from '../src/core/auth.ts';
import type { Db } from '../src/store/db.ts';
import { openEmbedded } from '../src/store/embedded.ts';
import { migrate } from '../src/store/migrate.ts';
import { openPostgres } from '../src/store/postgres.ts';
import { claimItems } from '../src/store/sql/items.ts';
import { findPgBin, startPgCluster } from '../test/support/postgres-cluster.ts';
import { startServeProcess } from '../test/support/processes.ts';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 5;
const RAW_CONNECTIONS = 8;
const HTTP_RUNNERS = 32;
const ROUNDS = 3;

// A real runner holds at most a few tasks (it finishes them); these only claim. So that the runner's held-task count
// stays realistic without timing any completion work, each worker moves on to a fresh runner id every
// CLAIMS_PER_RUNNER claims.
const CLAIMS_PER_RUNNER = 20;
const RUNNER_GENERATIONS = 2000;
const runnerId = (worker: number, claimsSoFar: number) =>
  `bench-${worker}-${Math.floor(claimsSoFar / CLAIMS_PER_RUNNER) % RUNNER_GENERATIONS}`;

const log = (message: string) => process.stderr.write(`${message}\n`);

/** Seeds `count` pending review items and `runners` runners for a fresh org; returns the org id and an API key. */
async function seed(db: Db, org: string, count: number, runners: number): Promise<{ orgId: string; key: string }> {
  const { key, record } = await createApiKey(db, { orgSlug: org, scopes: ['runners:write'] });
  await db.query(
    `insert into items (id, org_id, profile_id, task_id, state, required_tags, input, max_attempts, lease_ttl_ms, created_at)
     select gen_random_uuid()::text, $1, 'ai-review', null, 'pending', '{}', '{"files":[]}'::jsonb, 3, 600000,
            now() - (($2::int - g) * interval '1 millisecond')
     from generate_series(1, $2::int) g`,
    [record.orgId, count],
  );
  await db.query(
    `insert into runners (org_id, id, name, version, max_concurrency, tags, status)
     select $1, 'bench-' || w || '-' || k, 'bench', 'bench', 1000000, '{}', 'online'
     from generate_series(0, $2::int - 1) w, generate_series(0, $3::int - 1) k`,
    [record.orgId, runners, RUNNER_GENERATIONS],
  );
  await db.query('analyze items');
  return { orgId: record.orgId, key };
}

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat), or null elsewhere. */
function machineBusySeconds(): number | null {
  try {
    const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    const idle = ticks[3]! + ticks[4]!;
    return (ticks.reduce((sum, t) => sum + t, 0) - idle) / 100;
  } catch {
    return null;
  }
}

/** Runs `workers` loops of `claimOne` for SECONDS (the raw SQL figure); returns claims per second. */
async function measure(workers: number, claimOne: (runnerId: string) => Promise<number>): Promise<number> {
  const deadline = Date.now() + SECONDS * 1000;
  let claims = 0;
  const busyBefore = machineBusySeconds();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_v, worker) => {
      let mine = 0;
      while (Date.now() < deadline) {
        const got = await claimOne(runnerId(worker, mine));
        if (got === 0) throw new Error('queue ran dry: seed more items');
        mine += got;
        claims += got;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const busyAfter = machineBusySeconds();
  if (busyBefore !== null && busyAfter !== null) {
    log(`    whole machine CPU per claim: ${(((busyAfter - busyBefore) * 1e6) / claims).toFixed(0)} µs`);
  }
  return claims / elapsed;
}

/** CPU seconds a process has used (Linux /proc), to show where an HTTP claim's time goes; null elsewhere. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * HTTP claims against a server process, driven by autocannon (its per-request cost is low, which matters: the load
 * generator shares the two cores with the server and the database). A claim counts when the answer holds a task.
 */
async function measureHttp(server: { url: string; child: { pid?: number } }, key: string, label: string) {
  const serverBefore = cpuSeconds(server.child.pid!);
  const clientBefore = process.cpuUsage();
  const busyBefore = machineBusySeconds();
  let claims = 0;
  let sent = 0;
  const result = await autocannon({
    url: server.url,
    connections: HTTP_RUNNERS,
    duration: SECONDS,
    headers: { authorization: `Bearer ${key}` },
    requests: [
      {
        method: 'GET',
        // Requests go round-robin over the runners (autocannon has no stable per-connection state).
        setupRequest: (request) => {
          const n = sent++;
          const runner = runnerId(n % HTTP_RUNNERS, Math.floor(n / HTTP_RUNNERS));
          return { ...request, path: `/api/runners/tasks/pending?runnerId=${runner}&limit=1` };
        },
        onResponse: (status, body) => {
          if (status === 200 && body.startsWith('{"data":[{')) claims++;
        },
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${result.non2xx} non-2xx answers and ${result.errors} errors: seed more items or check the server`,
    );
  }
  const elapsed = result.duration;
  const rate = claims / elapsed;
  const serverAfter = cpuSeconds(server.child.pid!);
  const client = process.cpuUsage(clientBefore);
  const busyAfter = machineBusySeconds();
  const perClaim = (seconds: number) => `${((seconds * 1e6) / claims).toFixed(0)} µs`;
  log(
    `  ${label}: ${fmt(rate)} (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms); CPU per claim: ` +
      `server ${serverBefore === null ? '?' : perClaim(serverAfter! - serverBefore)}, ` +
      `load generator ${perClaim((client.user + client.system) / 1e6)}` +
      (busyBefore === null ? '' : `, whole machine ${perClaim(busyAfter! - busyBefore)}`),
  );
  return rate;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')} claims/s`;

async function benchPostgres(): Promise<{ raw: number; http: number } | null> {
  const bin = findPgBin();
  if (!bin) {
    log('no PostgreSQL binaries under /usr/lib/postgresql/*/bin: skipping the PostgreSQL figures');
    return null;
  }
  log(`starting PostgreSQL from ${bin}…`);
  const cluster = await startPgCluster(bin);
  try {
    const admin = await openPostgres(cluster.url('postgres'), { max: 1 });
    await admin.query('create database bench');
    await admin.close();
    const url = cluster.url('bench');
    const db = await openPostgres(url, { max: RAW_CONNECTIONS });
    await migrate(db);
    const perOrg = Math.ceil(SECONDS * ROUNDS * 8_000);
    log(`seeding ${perOrg} items for each of the raw and HTTP queues…`);
    const raw = await seed(db, 'raw', perOrg, RAW_CONNECTIONS);
    const http = await seed(db, 'http', perOrg, HTTP_RUNNERS);
    const server = await startServeProcess({ DATABASE_URL: url, RUNPLANE_LOG_LEVEL: 'warn' });
    // Raw and HTTP rounds alternate, so a noisy neighbour on the VM weighs on both; medians are reported.
    const rawRates: number[] = [];
    const httpRates: number[] = [];
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        log(`round ${round}/${ROUNDS}: raw SQL, ${RAW_CONNECTIONS} connections, ${SECONDS} s…`);
        rawRates.push(
          await measure(
            RAW_CONNECTIONS,
            async (id) =>
              (await claimItems(db, { orgId: raw.orgId, runnerId: id, profileIds: ['ai-review'], limit: 1 })).length,
          ),
        );
        log(`  raw SQL: ${fmt(rawRates.at(-1)!)}`);
        log(`round ${round}/${ROUNDS}: HTTP, ${HTTP_RUNNERS} runners against runplane serve, ${SECONDS} s…`);
        httpRates.push(await measureHttp(server, http.key, 'HTTP'));
      }
      return { raw: median(rawRates), http: median(httpRates) };
    } finally {
      await server.stop();
      await db.close();
    }
  } finally {
    cluster.stop();
  }
}

async function benchEmbedded(): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-bench-'));
  try {
    log('embedded: seeding a fresh data directory…');
    const db = await openEmbedded({ dataDir });
    await migrate(db);
    const { key } = await seed(db, 'embedded', Math.ceil(SECONDS * 5_000), HTTP_RUNNERS);
    await db.close();
    log(
      `embedded HTTP: starting runplane serve on the embedded store, ${HTTP_RUNNERS} runners claim for ${SECONDS} s…`,
    );
    const server = await startServeProcess({ RUNPLANE_DATA_DIR: dataDir, RUNPLANE_LOG_LEVEL: 'warn' });
    try {
      return await measureHttp(server, key, 'embedded HTTP');
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const pg = await benchPostgres();
const embedded = await benchEmbedded();
console.log('\nRunplane claim throughput (single-task claims, this machine)');
if (pg) {
  console.log(`  PostgreSQL raw SQL, ${RAW_CONNECTIONS} connections:    ${fmt(pg.raw)} (median of ${ROUNDS})`);
  console.log(`  PostgreSQL HTTP, ${HTTP_RUNNERS} runners:           ${fmt(pg.http)} (median of ${ROUNDS})`);
  console.log(`  HTTP / raw ratio:                         ${(pg.http / pg.raw).toFixed(2)} (goal ≥ 0.60)`);
}
console.log(`  embedded store HTTP, ${HTTP_RUNNERS} runners:       ${fmt(embedded)}`);
