// Claim and heartbeat throughput, printed, never asserted. Against a PostgreSQL it starts itself (initdb + pg_ctl):
//   1. raw SQL: the engine's claim call (runplane_claim_items: runner row lock + one SKIP LOCKED statement), 8 connections;
//   2. HTTP: GET /api/runners/tasks/pending?limit=1 against a `runplane serve` process, 32 concurrent runners;
//   3. heartbeats: POST /api/runners/<id>/heartbeat against the same process, 32 runners each holding 2 leased items;
// then the claim ratio (goal ≥ 0.6), and the same HTTP figures on the embedded store.
// The three alternate for three rounds; medians are printed. Usage: npm run bench [-- --seconds 5]
// BENCH_HEARTBEAT_TASK_IDS=1 adds the held item ids (`taskIds`) to each heartbeat body; servers without the field
// may reject it, so it is off by default.
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
import { findPgBin } from '../test/support/postgres-cluster.ts';
import { startServeProcess } from '../test/support/processes.ts';
import { startBenchPostgres } from './bench-postgres.ts';
import { cpuSeconds, machineBusySeconds } from './proc.ts';
import { median } from './stats.ts';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 5;
const RAW_CONNECTIONS = 8;
const HTTP_RUNNERS = 32;
const ROUNDS = 3;
const LEASES_PER_RUNNER = 2;
const HEARTBEAT_TASK_IDS = process.env.BENCH_HEARTBEAT_TASK_IDS === '1';

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

/**
 * Seeds `runners` runners for a fresh org (apart from the claim queues, so their figures are unaffected), each
 * holding LEASES_PER_RUNNER items as a claim leaves them: dispatched, attempt 1, with an attempts row. Leases last
 * 10 minutes, longer than any run, so the server's lease reaper never requeues them mid-measurement (and each
 * heartbeat extends them by lease_ttl_ms). Returns an API key and the item ids each runner holds.
 */
async function seedHeartbeats(db: Db, org: string, runners: number) {
  const { key, record } = await createApiKey(db, { orgSlug: org, scopes: ['runners:write'] });
  await db.query(
    `insert into runners (org_id, id, name, version, max_concurrency, tags, status, current_jobs)
     select $1, 'hb-' || w, 'bench', 'bench', 5, '{}', 'online', $3 from generate_series(0, $2::int - 1) w`,
    [record.orgId, runners, LEASES_PER_RUNNER],
  );
  const leased = await db.query<{ id: string; runner_id: string }>(
    `with leased as (
       insert into items (id, org_id, profile_id, state, required_tags, input, runner_id, attempt, max_attempts,
                          lease_ttl_ms, lease_expires_at)
       select gen_random_uuid()::text, $1, 'ai-review', 'dispatched', '{}', '{"files":[]}'::jsonb, 'hb-' || w, 1, 3,
              600000, now() + interval '10 minutes'
       from generate_series(0, $2::int - 1) w, generate_series(1, $3::int) k
       returning id, runner_id
     ), attempt_rows as (
       insert into attempts (item_id, attempt, runner_id) select id, 1, runner_id from leased
     )
     select id, runner_id from leased order by runner_id, id`,
    [record.orgId, runners, LEASES_PER_RUNNER],
  );
  await db.query('analyze items');
  const held = Array.from({ length: runners }, (_v, w) => ({
    id: `hb-${w}`,
    taskIds: leased.filter((row) => row.runner_id === `hb-${w}`).map((row) => row.id),
  }));
  return { orgId: record.orgId, key, held };
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

/** One kind of request an HTTP measurement sends: the n-th request, and whether its answer counts. */
interface HttpLoad {
  unit: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  request: (n: number) => { path: string; body?: string };
  counts: (status: number, body: string) => boolean;
}

// Requests go round-robin over the runners (autocannon has no stable per-connection state).
const claimLoad: HttpLoad = {
  unit: 'claim',
  method: 'GET',
  request: (n) => ({
    path: `/api/runners/tasks/pending?runnerId=${runnerId(n % HTTP_RUNNERS, Math.floor(n / HTTP_RUNNERS))}&limit=1`,
  }),
  // A claim counts when the answer holds a task.
  counts: (status, body) => status === 200 && body.startsWith('{"data":[{'),
};

function heartbeatLoad(held: { id: string; taskIds: string[] }[]): HttpLoad {
  // Built once: the load generator shares the cores with the server, so it should not spend them on JSON.
  const requests = held.map((runner) => ({
    path: `/api/runners/${runner.id}/heartbeat`,
    body: JSON.stringify({
      status: 'online',
      currentJobs: LEASES_PER_RUNNER,
      ...(HEARTBEAT_TASK_IDS ? { taskIds: runner.taskIds } : {}),
    }),
  }));
  return {
    unit: 'heartbeat',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    request: (n) => requests[n % requests.length]!,
    counts: (status) => status === 200,
  };
}

interface HttpFigures {
  rate: number;
  p50: number;
  p99: number;
}

/**
 * HTTP requests against a server process, driven by autocannon (its per-request cost is low, which matters: the load
 * generator shares the two cores with the server and the database).
 */
async function measureHttp(
  server: { url: string; child: { pid?: number } },
  key: string,
  label: string,
  load: HttpLoad,
): Promise<HttpFigures> {
  const serverBefore = cpuSeconds(server.child.pid!);
  const clientBefore = process.cpuUsage();
  const busyBefore = machineBusySeconds();
  let counted = 0;
  let sent = 0;
  const result = await autocannon({
    url: server.url,
    connections: HTTP_RUNNERS,
    duration: SECONDS,
    headers: { authorization: `Bearer ${key}` },
    requests: [
      {
        method: load.method,
        headers: load.headers ?? {},
        setupRequest: (request) => ({ ...request, ...load.request(sent++) }),
        onResponse: (status, body) => {
          if (load.counts(status, body)) counted++;
        },
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${label}: ${result.non2xx} non-2xx answers and ${result.errors} errors: seed more items or check the server`,
    );
  }
  const elapsed = result.duration;
  const rate = counted / elapsed;
  const serverAfter = cpuSeconds(server.child.pid!);
  const client = process.cpuUsage(clientBefore);
  const busyAfter = machineBusySeconds();
  const perRequest = (seconds: number) => `${((seconds * 1e6) / counted).toFixed(0)} µs`;
  log(
    `  ${label}: ${fmt(rate, load.unit)} (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms); ` +
      `CPU per ${load.unit}: server ${serverBefore === null ? '?' : perRequest(serverAfter! - serverBefore)}, ` +
      `load generator ${perRequest((client.user + client.system) / 1e6)}` +
      (busyBefore === null ? '' : `, whole machine ${perRequest(busyAfter! - busyBefore)}`),
  );
  return { rate, p50: result.latency.p50, p99: result.latency.p99 };
}

/** The round with the median rate, so its latencies are reported with it. */
const medianRound = (rounds: HttpFigures[]) =>
  [...rounds].sort((a, b) => a.rate - b.rate)[Math.floor(rounds.length / 2)]!;
const fmt = (n: number, unit = 'claim') => `${Math.round(n).toLocaleString('en-US')} ${unit}s/s`;
const fmtHeartbeats = (f: HttpFigures, note = '') =>
  `${fmt(f.rate, 'heartbeat')} (p50 ${f.p50} ms, p99 ${f.p99} ms${note})`;
const HEARTBEATS = `heartbeats${HEARTBEAT_TASK_IDS ? ' with taskIds' : ''}`;

async function benchPostgres(): Promise<{ raw: number; http: number; heartbeats: HttpFigures } | null> {
  const bin = findPgBin();
  if (!bin) {
    log('no PostgreSQL binaries under /usr/lib/postgresql/*/bin: skipping the PostgreSQL figures');
    return null;
  }
  log(`starting PostgreSQL from ${bin}…`);
  const cluster = await startBenchPostgres(bin);
  try {
    const url = cluster.url;
    const db = await openPostgres(url, { max: RAW_CONNECTIONS });
    const perOrg = Math.ceil(SECONDS * ROUNDS * 8_000);
    log(`seeding ${perOrg} items for each of the raw and HTTP queues…`);
    const raw = await seed(db, 'raw', perOrg, RAW_CONNECTIONS);
    const http = await seed(db, 'http', perOrg, HTTP_RUNNERS);
    const hb = await seedHeartbeats(db, 'heartbeat', HTTP_RUNNERS);
    const server = await startServeProcess({ DATABASE_URL: url, RUNPLANE_LOG_LEVEL: 'warn' });
    // Raw, HTTP and heartbeat rounds alternate, so a noisy neighbour on the VM weighs on all; medians are reported.
    const rawRates: number[] = [];
    const httpRates: number[] = [];
    const heartbeatRounds: HttpFigures[] = [];
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
        httpRates.push((await measureHttp(server, http.key, 'HTTP', claimLoad)).rate);
        log(`round ${round}/${ROUNDS}: ${HEARTBEATS}, ${HTTP_RUNNERS} runners against runplane serve, ${SECONDS} s…`);
        heartbeatRounds.push(await measureHttp(server, hb.key, 'heartbeats', heartbeatLoad(hb.held)));
      }
      // A heartbeat answers 200 whether or not its runner still holds leases: check they all survived the run.
      const [live] = await db.query<{ n: number }>(
        `select count(*)::int as n from items where org_id = $1 and state = 'dispatched' and lease_expires_at > now()`,
        [hb.orgId],
      );
      if (live!.n !== HTTP_RUNNERS * LEASES_PER_RUNNER) throw new Error(`only ${live!.n} seeded leases left`);
      return { raw: median(rawRates), http: median(httpRates), heartbeats: medianRound(heartbeatRounds) };
    } finally {
      await server.stop();
      await db.close();
    }
  } finally {
    cluster.stop();
  }
}

async function benchEmbedded(): Promise<{ http: number; heartbeats: HttpFigures }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-bench-'));
  try {
    log('embedded: seeding a fresh data directory…');
    const db = await openEmbedded({ dataDir });
    await migrate(db);
    const { key } = await seed(db, 'embedded', Math.ceil(SECONDS * 5_000), HTTP_RUNNERS);
    const hb = await seedHeartbeats(db, 'heartbeat', HTTP_RUNNERS);
    await db.close();
    log(
      `embedded HTTP: starting runplane serve on the embedded store, ${HTTP_RUNNERS} runners claim for ${SECONDS} s…`,
    );
    const server = await startServeProcess({ RUNPLANE_DATA_DIR: dataDir, RUNPLANE_LOG_LEVEL: 'warn' });
    try {
      const http = (await measureHttp(server, key, 'embedded HTTP', claimLoad)).rate;
      log(`embedded ${HEARTBEATS}: ${HTTP_RUNNERS} runners for ${SECONDS} s…`);
      return { http, heartbeats: await measureHttp(server, hb.key, 'embedded heartbeats', heartbeatLoad(hb.held)) };
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
console.log(`  embedded store HTTP, ${HTTP_RUNNERS} runners:       ${fmt(embedded.http)}`);
console.log(`Runplane ${HEARTBEATS} (runners holding ${LEASES_PER_RUNNER} leases each)`);
if (pg) {
  console.log(
    `  PostgreSQL, ${HTTP_RUNNERS} runners:                ${fmtHeartbeats(pg.heartbeats, `; median of ${ROUNDS}`)}`,
  );
}
console.log(`  embedded store, ${HTTP_RUNNERS} runners:            ${fmtHeartbeats(embedded.heartbeats)}`);
