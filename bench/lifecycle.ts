// Throughput of the runner write path, printed, never asserted (issue 13). Against a PostgreSQL it starts itself and
// a `runplane serve` process, each figure next to its comparator in the same run:
//   P2  review lifecycles/s (claim, four phases, one 50-line log batch, a result) over HTTP vs the same engine calls
//       made in-process through `pg` (the same statements without HTTP), and over HTTP on the embedded store;
//   P5  log lines/s over HTTP (200-line batches) vs a raw `unnest` insert of the same rows;
//   P4  server and PostgreSQL CPU (% of one core) for 5,000 runners heartbeating every 10 s (500/s) in an org with
//       100k finished items; every answer is counted;
//   claim cost with 100k ineligible items (tags the runner lacks) ahead of the first eligible one;
//   embedded idle RSS of `runplane serve` on a fresh data directory.
// Usage: npm run bench:lifecycle [-- --seconds 5]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config.ts';
import { createApiKey } from '../src/core/auth.ts';
import { createCore } from '../src/core/context.ts';
import { appendItemEvents, claimForRunner, recordPhase } from '../src/core/items.ts';
import { logEvents, submitReviewResult } from '../src/core/reviews.ts';
import type { Db } from '../src/store/db.ts';
import { openEmbedded } from '../src/store/embedded.ts';
import { migrate } from '../src/store/migrate.ts';
import { openPostgres } from '../src/store/postgres.ts';
import { claimItems } from '../src/store/sql/items.ts';
import { findPgBin } from '../test/support/postgres-cluster.ts';
import { startServeProcess } from '../test/support/processes.ts';
import { type BenchPostgres, startBenchPostgres } from './bench-postgres.ts';
import { cpuSeconds, processTreeRssMiB } from './proc.ts';
import { median } from './stats.ts';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 5;
const WORKERS = 32;
const PHASES = ['preparing', 'cloning', 'reviewing', 'submitting'] as const;
const LIFECYCLE_LOG_LINES = 50;
const LOG_BATCH = 200;
const HEARTBEAT_RUNNERS = 5_000;
const HEARTBEATS_PER_SECOND = 500;
const FINISHED_ITEMS = 100_000;
const INELIGIBLE_ITEMS = 100_000;

const log = (message: string) => process.stderr.write(`${message}\n`);
const line = (n: number) => `2026-12-04T12:00:00.000Z reviewing src/module-${n}.ts: looking at the change in hunk ${n}`;
const LIFECYCLE_LOGS = Array.from({ length: LIFECYCLE_LOG_LINES }, (_v, n) => line(n));
const BATCH_LOGS = Array.from({ length: LOG_BATCH }, (_v, n) => line(n));
const RESULT = { status: 'success', files: [], totalComments: 0, rating: 'A', metrics: { durationMs: 1000 } };

/** A fresh org with `items` pending review items and WORKERS runners; returns its id and a key. */
async function seedQueue(db: Db, org: string, items: number): Promise<{ orgId: string; key: string }> {
  const { key, record } = await createApiKey(db, { orgSlug: org, scopes: ['runners:read', 'runners:write'] });
  await db.query(
    `insert into items (id, org_id, profile_id, state, required_tags, input, max_attempts, lease_ttl_ms, created_at)
     select gen_random_uuid()::text, $1, 'ai-review', 'pending', '{}', '{"files":[]}'::jsonb, 3, 600000,
            now() - (($2::int - g) * interval '1 millisecond')
     from generate_series(1, $2::int) g`,
    [record.orgId, items],
  );
  await db.query(
    `insert into runners (org_id, id, name, version, max_concurrency, tags, status)
     select $1, 'w-' || w, 'bench', 'bench', 1000000, '{}', 'online' from generate_series(0, $2::int - 1) w`,
    [record.orgId, WORKERS],
  );
  await db.query('analyze');
  return { orgId: record.orgId, key };
}

/** A keep-alive HTTP client for one server: JSON in, status and JSON out. */
function client(baseUrl: string, key: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS * 2 });
  const { hostname, port } = new URL(baseUrl);
  return (method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = http.request(
        {
          agent,
          hostname,
          port,
          method,
          path: urlPath,
          headers: {
            authorization: `Bearer ${key}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...headers,
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode!, body: text ? JSON.parse(text) : null }));
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
}

type Lifecycle = (worker: number) => Promise<void>;

function httpLifecycle(baseUrl: string, key: string): Lifecycle {
  const call = client(baseUrl, key);
  const ok = (label: string, answer: { status: number; body: any }) => {
    if (answer.status !== 200) throw new Error(`${label}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  return async (worker) => {
    const runnerId = `w-${worker}`;
    const claimed = ok('claim', await call('GET', `/api/runners/tasks/pending?runnerId=${runnerId}&limit=1`));
    const task = claimed.data[0];
    if (!task) throw new Error('the queue ran dry: seed more items');
    const fence = { 'x-runner-id': runnerId, 'x-runplane-attempt': String(task.attempt) };
    for (const status of PHASES)
      ok('phase', await call('POST', `/api/runners/tasks/${task.id}/status`, { status }, fence));
    ok('logs', await call('POST', `/api/runners/tasks/${task.id}/logs`, { logs: LIFECYCLE_LOGS }, fence));
    ok(
      'result',
      await call('POST', `/api/runners/tasks/${task.id}/result`, { ...RESULT, runnerId, attempt: task.attempt }),
    );
  };
}

/** The same engine calls as the HTTP handlers make, in-process over `db` (no HTTP, no JSON, no auth). */
function engineLifecycle(db: Db, orgId: string): Lifecycle {
  const core = createCore(db, loadConfig({ RUNPLANE_LOG_LEVEL: 'warn' }));
  return async (worker) => {
    const runnerId = `w-${worker}`;
    const [item] = await claimForRunner(core, { orgId, runnerId, profileIds: ['ai-review'], limit: 1, waitMs: 0 });
    if (!item) throw new Error('the queue ran dry: seed more items');
    const writer = { runnerId, attempt: item.attempt, instance: null, runnerKey: false, actor: 'bench' };
    for (const phase of PHASES) await recordPhase(core, orgId, item.id, phase, writer);
    await appendItemEvents(core, orgId, item.id, logEvents(LIFECYCLE_LOGS), writer);
    await submitReviewResult(core, orgId, item.id, { result: RESULT as never, logs: [], writer });
  };
}

/** Runs WORKERS loops of `once` for SECONDS; returns completions per second. */
async function rate(once: Lifecycle, workers = WORKERS): Promise<number> {
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_v, worker) => {
      while (Date.now() < deadline) {
        await once(worker);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Where a run's CPU went, per completed unit: server, PostgreSQL and this (load-generating) process, in ms. */
async function withCpu(
  server: { child: { pid?: number } } | null,
  cluster: BenchPostgres,
  run: () => Promise<number>,
): Promise<{ rate: number; cpu: string }> {
  const serverBefore = server ? (cpuSeconds(server.child.pid!) ?? 0) : 0;
  const pgBefore = cluster.cpuSeconds();
  const selfBefore = process.cpuUsage();
  const started = performance.now();
  const perSecond = await run();
  const units = perSecond * ((performance.now() - started) / 1000);
  const ms = (seconds: number) => ((seconds * 1000) / units).toFixed(2);
  const self = process.cpuUsage(selfBefore);
  const parts = [
    server ? `server ${ms((cpuSeconds(server.child.pid!) ?? 0) - serverBefore)}` : null,
    `PostgreSQL ${ms(cluster.cpuSeconds() - pgBefore)}`,
    `${server ? 'load generator' : 'engine + load'} ${ms((self.user + self.system) / 1e6)}`,
  ].filter(Boolean);
  return { rate: perSecond, cpu: `CPU ms per unit: ${parts.join(', ')}` };
}

/** P2 alternates HTTP and in-process rounds, so a noisy neighbour on the VM weighs on both; medians are reported. */
const P2_ROUNDS = 3;

async function p2(pgUrl: string, server: { url: string; child: { pid?: number } }, db: Db, cluster: BenchPostgres) {
  const perRun = Math.ceil(SECONDS * 1500 * P2_ROUNDS);
  const viaHttp = await seedQueue(db, 'p2-http', perRun);
  const viaEngine = await seedQueue(db, 'p2-engine', perRun);
  const engineDb = await openPostgres(pgUrl);
  const httpRates: number[] = [];
  const engineRates: number[] = [];
  try {
    for (let round = 1; round <= P2_ROUNDS; round++) {
      log(`P2 round ${round}/${P2_ROUNDS}: ${WORKERS} concurrent review lifecycles for ${SECONDS} s over HTTP…`);
      const overHttp = await withCpu(server, cluster, () => rate(httpLifecycle(server.url, viaHttp.key)));
      log(`  ${fmt(overHttp.rate)} lifecycles/s; ${overHttp.cpu}`);
      log(`P2 round ${round}/${P2_ROUNDS}: the same in-process through pg…`);
      const inProcess = await withCpu(null, cluster, () => rate(engineLifecycle(engineDb, viaEngine.orgId)));
      log(`  ${fmt(inProcess.rate)} lifecycles/s; ${inProcess.cpu}`);
      httpRates.push(overHttp.rate);
      engineRates.push(inProcess.rate);
    }
    return { httpRate: median(httpRates), engineRate: median(engineRates) };
  } finally {
    await engineDb.close();
  }
}

/** P5: WORKERS runners each append 200-line batches to a task they hold, against raw unnest inserts. */
async function p5(server: { url: string }, db: Db) {
  const { orgId, key } = await seedQueue(db, 'p5', WORKERS);
  const call = client(server.url, key);
  const held = await Promise.all(
    Array.from({ length: WORKERS }, async (_v, worker) => {
      const answer = await call('GET', `/api/runners/tasks/pending?runnerId=w-${worker}&limit=1`);
      const task = answer.body.data[0];
      return {
        id: task.id as string,
        fence: { 'x-runner-id': `w-${worker}`, 'x-runplane-attempt': String(task.attempt) },
      };
    }),
  );
  log(`P5: ${WORKERS} runners append ${LOG_BATCH}-line batches for ${SECONDS} s over HTTP…`);
  const httpBatches = await rate(async (worker) => {
    const { id, fence } = held[worker]!;
    const answer = await call('POST', `/api/runners/tasks/${id}/logs`, { logs: BATCH_LOGS }, fence);
    if (answer.status !== 200) throw new Error(`logs: ${answer.status} ${JSON.stringify(answer.body)}`);
  });
  log(`P5: raw unnest inserts of the same rows, 8 connections…`);
  const seqs = new Map<string, number>();
  const rawBatches = await rate(async (worker) => {
    const { id } = held[worker % WORKERS]!;
    const from = seqs.get(id) ?? 1_000_000;
    seqs.set(id, from + LOG_BATCH);
    await db.query(
      `insert into item_events (item_id, seq, type, level, message, data, ts)
       select $1, $2::int + t.n, 'log', 'info', t.message, null, now()
       from unnest($3::text[]) with ordinality as t(message, n)`,
      [id, from, BATCH_LOGS],
    );
  }, 8);
  return { httpLines: httpBatches * LOG_BATCH, rawLines: rawBatches * LOG_BATCH, orgId };
}

/** Claim cost when the queue head is 100k items that need a tag the runner lacks. */
async function ineligibleClaims(db: Db) {
  const { orgId } = await seedQueue(db, 'tags', 0);
  await db.query(
    `insert into items (id, org_id, profile_id, state, required_tags, input, max_attempts, lease_ttl_ms)
     select gen_random_uuid()::text, $1, 'ai-review', 'pending', '{gpu}', '{}'::jsonb, 3, 600000
     from generate_series(1, $2::int)`,
    [orgId, INELIGIBLE_ITEMS],
  );
  await db.query(
    `insert into items (id, org_id, profile_id, state, required_tags, input, max_attempts, lease_ttl_ms)
     select gen_random_uuid()::text, $1, 'ai-review', 'pending', '{}', '{}'::jsonb, 3, 600000
     from generate_series(1, 1000)`,
    [orgId],
  );
  await db.query('analyze items');
  const claims = 300;
  const claimOne = async () => {
    const got = await claimItems(db, { orgId, runnerId: 'w-0', profileIds: ['ai-review'], limit: 1 });
    if (got.length !== 1) throw new Error('the eligible items ran out');
  };
  for (let n = 0; n < 20; n++) await claimOne();
  const started = performance.now();
  for (let n = 0; n < claims; n++) await claimOne();
  const wallMs = (performance.now() - started) / claims;
  // Database time: the executor's own figure for the same call (EXPLAIN ANALYZE runs it, so it claims too).
  let dbMs = 0;
  for (let n = 0; n < 50; n++) {
    const [plan] = await db.query<{ 'QUERY PLAN': [{ 'Execution Time': number }] }>(
      `explain (analyze, format json)
       select * from runplane_claim_items($1, 'w-0', '{ai-review}', 1, null, null, true, null)`,
      [orgId],
    );
    dbMs += plan!['QUERY PLAN'][0]['Execution Time'] / 50;
  }
  return { wallMs, dbMs };
}

/** P4: 5,000 idle runners heartbeating every 10 s in an org with 100k finished items. */
async function p4(server: { url: string; child: { pid?: number } }, db: Db, cluster: BenchPostgres) {
  const { key, record } = await createApiKey(db, { orgSlug: 'fleet', scopes: ['runners:write'] });
  await db.query(
    `insert into runners (org_id, id, name, version, max_concurrency, tags, status)
     select $1, 'r-' || w, 'bench', 'bench', 2, '{}', 'online' from generate_series(0, $2::int - 1) w`,
    [record.orgId, HEARTBEAT_RUNNERS],
  );
  await db.query(
    `insert into items (id, org_id, profile_id, state, required_tags, input, runner_id, attempt, max_attempts,
                        lease_ttl_ms, finished_at)
     select gen_random_uuid()::text, $1, 'ai-review', 'succeeded', '{}', '{}'::jsonb, 'r-' || (g % $3::int), 1, 3,
            600000, now()
     from generate_series(1, $2::int) g`,
    [record.orgId, FINISHED_ITEMS, HEARTBEAT_RUNNERS],
  );
  await db.query('analyze');
  const bodies = Array.from({ length: HEARTBEAT_RUNNERS }, (_v, n) => ({
    path: `/api/runners/r-${n}/heartbeat`,
    body: JSON.stringify({ status: 'online', currentJobs: 0 }),
  }));
  let sent = 0;
  let answered = 0;
  const serverBefore = cpuSeconds(server.child.pid!) ?? 0;
  const pgBefore = cluster.cpuSeconds();
  const seconds = Math.max(SECONDS * 2, 10);
  log(`P4: ${HEARTBEAT_RUNNERS} runners, ${HEARTBEATS_PER_SECOND} heartbeats/s for ${seconds} s…`);
  const result = await autocannon({
    url: server.url,
    connections: 50,
    overallRate: HEARTBEATS_PER_SECOND,
    duration: seconds,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => ({ ...request, ...bodies[sent++ % bodies.length]! }),
        onResponse: (status) => {
          if (status === 200) answered++;
        },
      },
    ],
  });
  const serverCpu = ((cpuSeconds(server.child.pid!) ?? 0) - serverBefore) / result.duration;
  const pgCpu = (cluster.cpuSeconds() - pgBefore) / result.duration;
  return {
    sent: result.requests.sent,
    answered,
    perSecond: answered / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpu,
    pgCpu,
  };
}

async function embedded() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-bench-'));
  try {
    log('embedded: idle RSS of a fresh `runplane serve`…');
    const idle = await startServeProcess({ RUNPLANE_DATA_DIR: dataDir, RUNPLANE_LOG_LEVEL: 'warn' });
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const idleRss = processTreeRssMiB(idle.child.pid!);
    await idle.stop();
    const db = await openEmbedded({ dataDir });
    await migrate(db);
    const { key } = await seedQueue(db, 'embedded', Math.ceil(SECONDS * 600));
    await db.close();
    const server = await startServeProcess({ RUNPLANE_DATA_DIR: dataDir, RUNPLANE_LOG_LEVEL: 'warn' });
    try {
      log(`P2 embedded: ${WORKERS} concurrent review lifecycles for ${SECONDS} s over HTTP…`);
      return { idleRss, lifecycles: await rate(httpLifecycle(server.url, key)) };
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const results: string[] = [];
const bin = findPgBin();
if (bin) {
  log(`starting PostgreSQL from ${bin}…`);
  const cluster = await startBenchPostgres(bin);
  try {
    const db = await openPostgres(cluster.url, { max: 8 });
    const server = await startServeProcess({ DATABASE_URL: cluster.url, RUNPLANE_LOG_LEVEL: 'warn' });
    try {
      const lifecycles = await p2(cluster.url, server, db, cluster);
      results.push(
        `P2 lifecycles/s, PostgreSQL (median of ${P2_ROUNDS}): HTTP ${fmt(lifecycles.httpRate)}, ` +
          `in-process engine ${fmt(lifecycles.engineRate)}, ` +
          `ratio ${(lifecycles.httpRate / lifecycles.engineRate).toFixed(2)} (goal ≥ 500 and ≥ 0.8)`,
      );
      const logs = await p5(server, db);
      results.push(
        `P5 log lines/s, PostgreSQL: HTTP ${fmt(logs.httpLines)}, raw unnest insert ${fmt(logs.rawLines)}, ` +
          `ratio ${(logs.httpLines / logs.rawLines).toFixed(2)} (goal ≥ 100,000 and ≥ 0.6)`,
      );
      const claim = await ineligibleClaims(db);
      results.push(
        `Claim with ${fmt(INELIGIBLE_ITEMS)} ineligible items ahead: ${claim.wallMs.toFixed(2)} ms per call` +
          `, ${claim.dbMs.toFixed(2)} ms database time` +
          ' (goal ≤ 1 ms database time)',
      );
      const fleet = await p4(server, db, cluster);
      results.push(
        `P4 ${fmt(HEARTBEAT_RUNNERS)} runners, ${fmt(FINISHED_ITEMS)} finished items: ${fmt(fleet.perSecond)} of ` +
          `${HEARTBEATS_PER_SECOND} heartbeats/s answered (${fmt(fleet.answered)} of ${fmt(fleet.sent)}, p50 ${fleet.p50} ms, ` +
          `p99 ${fleet.p99} ms); server ${(fleet.serverCpu * 100).toFixed(1)} %, PostgreSQL ` +
          `${(fleet.pgCpu * 100).toFixed(1)} % of a core (goal all answered, ≤ 10 % and ≤ 15 %)`,
      );
    } finally {
      await server.stop();
      await db.close();
    }
  } finally {
    cluster.stop();
  }
} else {
  log('no PostgreSQL binaries under /usr/lib/postgresql/*/bin: skipping the PostgreSQL figures');
}
const local = await embedded();
results.push(`P2 lifecycles/s, embedded store over HTTP: ${fmt(local.lifecycles)} (goal ≥ 200)`);
results.push(`Embedded idle RSS: ${local.idleRss.toFixed(0)} MiB (goal ≤ 250 MiB)`);
console.log('\nRunplane write path (this machine)');
for (const result of results) console.log(`  ${result}`);
