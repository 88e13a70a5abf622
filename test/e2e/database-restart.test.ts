// A PostgreSQL restart under three server instances and ten runners: no instance exits, no request answers 500
// (503 store_unavailable with Retry-After while the database is away), and every task finishes exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/auth.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { findPgBin, type PgCluster, startPgCluster } from '../support/postgres-cluster.ts';
import { type ServerProcess, startServeProcess } from '../support/processes.ts';
import { resultBody, reviewBody } from '../support/review-fixtures.ts';
import { type Client, client } from '../support/server.ts';

const bin = findPgBin();
const TASKS = 300;
const RUNNERS = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!bin)('a PostgreSQL restart under three instances', () => {
  let cluster: PgCluster;
  let servers: ServerProcess[] = [];
  let apis: Client[];

  beforeAll(async () => {
    // Its own cluster: restarting the suite's shared one would cut every other test file's connections.
    cluster = await startPgCluster(bin!);
    const admin = await openPostgres(cluster.url('postgres'), { max: 1 });
    await admin.query('create database restart');
    await admin.close();
    const env = { DATABASE_URL: cluster.url('restart'), RUNPLANE_LEASE_TTL_SECONDS: '10', RUNPLANE_MAX_ATTEMPTS: '10' };
    servers = [await startServeProcess(env)];
    servers.push(...(await Promise.all([startServeProcess(env), startServeProcess(env)])));
    const db = await openPostgres(cluster.url('restart'), { max: 1 });
    const { key } = await createApiKey(db, {
      orgSlug: 'acme',
      scopes: ['runners:read', 'runners:write', 'runners:dispatch'],
    });
    await db.close();
    apis = servers.map((server) => client(server.url, key));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.kill9()));
    cluster?.stop();
  });

  it('keeps every instance up, answers 503 (never 500) while the database restarts, and loses no task', async () => {
    const statuses = new Map<number, number>();
    const seen = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    /** Calls until the answer is not 503 (the contract's client retries); network errors are retried too. */
    const call = async (
      api: Client,
      method: string,
      path: string,
      body?: unknown,
      headers?: Record<string, string>,
    ) => {
      for (;;) {
        const reply = await api.call(method, path, body, headers).catch(() => null);
        if (!reply) {
          await sleep(200);
          continue;
        }
        seen(reply.status);
        if (reply.status === 503) {
          expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
          expect(reply.body.error.code).toBe('store_unavailable');
          await sleep(200);
          continue;
        }
        return reply;
      }
    };
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i++) {
      ids.push((await call(apis[i % 3]!, 'POST', '/api/reviews', reviewBody())).body.data.taskId);
    }
    const done = new Set<string>();
    let stop = false;
    const runner = async (n: number) => {
      const api = apis[n % 3]!;
      const id = `r${n}`;
      await call(api, 'POST', '/api/runners/register', undefined, { 'x-runner-id': id });
      while (!stop) {
        const claimed = await call(api, 'GET', `/api/runners/tasks/pending?runnerId=${id}&limit=1&wait=1`);
        for (const task of (claimed.body?.data ?? []) as { id: string; attempt: number }[]) {
          const who = { 'x-runner-id': id, 'x-runplane-attempt': String(task.attempt) };
          const phase = await call(api, 'POST', `/api/runners/tasks/${task.id}/status`, { status: 'reviewing' }, who);
          if (phase.status !== 200) continue;
          const result = await call(api, 'POST', `/api/runners/tasks/${task.id}/result`, {
            ...resultBody(id),
            attempt: task.attempt,
          });
          if (result.status === 200) done.add(task.id);
        }
      }
    };
    const runners = Array.from({ length: RUNNERS }, (_v, n) => runner(n));
    // Restart once the work is well under way: requests are in flight on every instance when the connections drop.
    for (let waited = 0; done.size < TASKS / 4 && waited < 60_000; waited += 20) await sleep(20);
    const doneBeforeRestart = done.size;
    await cluster.restart();
    for (let waited = 0; done.size < TASKS && waited < 90_000; waited += 250) await sleep(250);
    stop = true;
    await Promise.all(runners);

    console.log(
      `restart after ${doneBeforeRestart} of ${TASKS} tasks; answers: ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    for (const server of servers) expect(server.child.exitCode).toBeNull();
    const unexpected = [...statuses.keys()].filter((status) => ![200, 201, 409, 503].includes(status));
    expect(unexpected, JSON.stringify(Object.fromEntries(statuses))).toEqual([]);
    const db = await openPostgres(cluster.url('restart'), { max: 1 });
    try {
      const states = await db.query<{ state: string; n: number }>(
        `select state, count(*)::int as n from items where id = any($1::text[]) group by state`,
        [ids],
      );
      expect(states).toEqual([{ state: 'succeeded', n: TASKS }]);
      // Exactly once: one result per task (its final state event), whatever was retried.
      const finishes = await db.query<{ n: number }>(
        `select count(*)::int as n from item_events where item_id = any($1::text[]) and type = 'state'
           and data->>'to' = 'succeeded'`,
        [ids],
      );
      expect(finishes[0]!.n).toBe(TASKS);
    } finally {
      await db.close();
    }
  }, 180_000);
});
