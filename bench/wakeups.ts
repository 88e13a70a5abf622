// Dispatch→claim latency with many parked long polls, and what idle pollers cost the database. Printed, never
// asserted. Starts its own PostgreSQL and two `runplane serve` processes (A, B) on it, parks POLLERS long polls
// (POST /v1/runners/sessions/claim, wait_seconds 30, re-issued when answered), then dispatches one session at a time
// through A and times until a poller holds it: (a) pollers on A (same instance), (b) pollers on B (another
// instance). Then, with the pollers parked and nothing dispatched, counts claim calls per second (idle load).
// Usage: node --import tsx bench/wakeups.ts [--pollers 500] [--dispatches 1000] [--repoll 5] (RUNPLANE_CLAIM_REPOLL_SECONDS)
import { createApiKey } from '../src/core/auth.ts';
import { openPostgres } from '../src/store/postgres.ts';
import { findPgBin } from '../test/support/postgres-cluster.ts';
import { type ServerProcess, startServeProcess } from '../test/support/processes.ts';
import { startBenchPostgres } from './bench-postgres.ts';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const POLLERS = arg('pollers', 500);
const DISPATCHES = arg('dispatches', 1000);
/** Untimed first dispatches: each pooled connection prepares each statement on first use, and the JIT warms up. */
const WARMUP = 50;
const REPOLL_SECONDS = arg('repoll', 5);
/** One full long-poll cycle (wait_seconds 30), so every poller's re-issued claim is counted once. */
const IDLE_SECONDS = 30;
/** Backends report function calls to the statistics up to ~10 s late: let the dispatch phase's claims land first. */
const SETTLE_SECONDS = 12;
const log = (message: string) => process.stderr.write(`${message}\n`);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function measure(dispatcher: ServerProcess, pollersOn: ServerProcess, key: string, profileId: string) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const claimedAt = new Map<string, number>();
  // Who waits for which id to be claimed: an event, not a busy loop (which took a whole core of the two).
  const waiters = new Map<string, () => void>();
  let stopping = false;
  const controller = new AbortController();
  const poller = async (index: number) => {
    while (!stopping) {
      try {
        const response = await fetch(`${pollersOn.url}/v1/runners/sessions/claim`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ runner_id: `poller-${index}`, wait_seconds: 30 }),
          signal: controller.signal,
        });
        const body = (await response.json()) as { items?: { id: string }[] };
        for (const item of body.items ?? []) {
          claimedAt.set(item.id, performance.now());
          waiters.get(item.id)?.();
        }
      } catch {
        if (stopping) return;
      }
    }
  };
  const polling = Array.from({ length: POLLERS }, (_v, i) => poller(i));
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const latencies: number[] = [];
  const answered: number[] = [];
  for (let i = 0; i < WARMUP + DISPATCHES; i++) {
    const started = performance.now();
    const response = await fetch(`${dispatcher.url}/v1/runners/sessions`, {
      method: 'POST',
      headers,
      // Leases outlast the whole bench: an expired one would be requeued and claimed again inside the idle window,
      // which counts as idle load (6.5 claims/s with 1,000 dispatches and the default 60 s lease).
      body: JSON.stringify({ profile_id: profileId, task_id: `t${i}`, input: {}, lease_ttl_seconds: 3600 }),
    });
    const { id } = (await response.json()) as { id: string };
    if (i >= WARMUP) answered.push(performance.now() - started);
    if (!claimedAt.has(id)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        waiters.set(id, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      waiters.delete(id);
    }
    if (i < WARMUP) continue;
    latencies.push((claimedAt.get(id) ?? Number.POSITIVE_INFINITY) - started);
  }
  return {
    latencies: latencies.sort((x, y) => x - y),
    answered: answered.sort((x, y) => x - y),
    stop: async () => {
      stopping = true;
      controller.abort();
      await Promise.allSettled(polling);
    },
  };
}

const bin = findPgBin();
if (!bin) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql; install postgresql');
// track_functions: the idle load is read from the claim function's call count.
const cluster = await startBenchPostgres(bin, ["track_functions = 'pl'"]);
const servers: ServerProcess[] = [];
try {
  const url = cluster.url;
  const db = await openPostgres(url, { max: 2 });
  const { key } = await createApiKey(db, { orgSlug: 'bench', scopes: ['admin'] });
  const env = { DATABASE_URL: url, RUNPLANE_LOG_LEVEL: 'error', RUNPLANE_CLAIM_REPOLL_SECONDS: String(REPOLL_SECONDS) };
  log(`RUNPLANE_CLAIM_REPOLL_SECONDS=${REPOLL_SECONDS}`);
  servers.push(await startServeProcess(env), await startServeProcess(env));
  const [a, b] = servers as [ServerProcess, ServerProcess];
  const profile = await fetch(`${a.url}/v1/runners/profiles`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  const { id: profileId } = (await profile.json()) as { id: string };

  const commits = async () =>
    (await db.query<{ n: number }>(`select xact_commit::int as n from pg_stat_database where datname = 'bench'`))[0]!.n;
  const claimCalls = async () =>
    (
      await db.query<{ calls: number }>(
        `select coalesce(sum(calls), 0)::int as calls from pg_stat_user_functions where funcname = 'runplane_claim_items'`,
      )
    )[0]!.calls;

  for (const [label, pollersOn] of [
    ['same instance (dispatch A, pollers on A)', a],
    ['cross instance (dispatch A, pollers on B)', b],
  ] as const) {
    log(`${label}: parking ${POLLERS} long polls, then ${DISPATCHES} dispatches…`);
    const run = await measure(a, pollersOn, key, profileId);
    const lost = run.latencies.filter((ms) => !Number.isFinite(ms)).length;
    console.log(
      `${label}: dispatch→claim p50 ${percentile(run.latencies, 0.5).toFixed(1)} ms, p99 ${percentile(run.latencies, 0.99).toFixed(1)} ms` +
        (lost ? `, ${lost} not claimed within 30 s` : '') +
        ` (the dispatch request alone: p50 ${percentile(run.answered, 0.5).toFixed(1)} ms, p99 ${percentile(run.answered, 0.99).toFixed(1)} ms)`,
    );
    if (pollersOn === b) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_SECONDS * 1000));
      const before = await claimCalls();
      const commitsBefore = await commits();
      await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
      const perSecond = ((await claimCalls()) - before) / IDLE_SECONDS;
      const transactions = ((await commits()) - commitsBefore) / IDLE_SECONDS;
      console.log(
        `idle load with ${POLLERS} parked long polls: ${perSecond.toFixed(1)} claims/s ` +
          `(${((perSecond / POLLERS) * 100).toFixed(1)} % of one claim per poller per second, the 1 s re-poll before notifications); ` +
          `all statements: ${transactions.toFixed(1)} transactions/s (runner-tag lookups at poll start, sweeps, background loops)`,
      );
    }
    await run.stop();
  }
  await db.close();
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  cluster.stop();
}
