// Real server processes racing on one real PostgreSQL: concurrent start-up migrations, claims spread over two
// instances by claimer processes, and the death of an instance and of a runner.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listMigrations } from '../../src/store/migrate.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { REPO_ROOT, runCli, runScript, type ServerProcess, startServeProcess } from '../support/processes.ts';
import { reviewBody } from '../support/review-fixtures.ts';
import { type Client, client } from '../support/server.ts';

const templateUrl = inject('pgTemplateUrl');

describe.skipIf(!templateUrl)('two server processes on one PostgreSQL', () => {
  let databaseUrl: string;
  let servers: ServerProcess[] = [];
  let key: string;
  let apis: Client[];

  beforeAll(async () => {
    // An empty database, not the migrated template: the two servers race to migrate it.
    const name = `e2e_${process.pid}`;
    const admin = await openPostgres(templateUrl!.replace(/\/[^/]+$/, '/postgres'), { max: 1 });
    await admin.query(`create database ${name}`);
    await admin.close();
    databaseUrl = templateUrl!.replace(/\/[^/]+$/, `/${name}`);
    const env = { DATABASE_URL: databaseUrl, RUNPLANE_LEASE_TTL_SECONDS: '1', RUNPLANE_MAX_ATTEMPTS: '5' };
    servers = await Promise.all([startServeProcess(env), startServeProcess(env)]);
    const created = await runCli(
      ['keys', 'create', '--org', 'acme', '--scopes', 'runners:read,runners:write,runners:dispatch'],
      { DATABASE_URL: databaseUrl },
    );
    expect(created.code).toBe(0);
    key = created.stdout.trim().split('\n').at(-1)!;
    apis = servers.map((server) => client(server.url, key));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('both instances migrated the same empty database at once and are ready', async () => {
    for (const api of apis) expect((await api.get('/readyz')).body).toEqual({ status: 'ready' });
    const db = await openPostgres(databaseUrl, { max: 1 });
    const versions = await db.query<{ version: number }>('select version from schema_migrations order by version');
    await db.close();
    expect(versions.map((v) => v.version)).toEqual(listMigrations().map((m) => m.version));
  });

  it('claimer processes racing through both instances claim each of 300 tasks exactly once', async () => {
    const created = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const reply = await apis[i % 2]!.post('/api/reviews', reviewBody());
      created.add(reply.body.data.taskId);
    }
    const script = path.join(REPO_ROOT, 'test/support/claimer.ts');
    const urls = servers.map((server) => server.url);
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((prefix) =>
        runScript<{ claims: [string, number, string][] }>(script, [key, '5', prefix, ...urls]),
      ),
    );
    // The claimers never heartbeat, so with a 1 s lease a task may expire and be claimed again as attempt 2:
    // that is a new attempt, not a double hand-out. Each (task, attempt) goes to exactly one runner.
    const owners = new Map<string, string[]>();
    for (const [taskId, attempt, runnerId] of results.flatMap((result) => result.claims)) {
      const slot = `${taskId}#${attempt}`;
      owners.set(slot, [...(owners.get(slot) ?? []), runnerId]);
    }
    const firstAttempts = [...owners.keys()].filter((slot) => slot.endsWith('#1')).map((slot) => slot.split('#')[0]);
    expect(firstAttempts).toHaveLength(300);
    expect(new Set(firstAttempts)).toEqual(created);
    expect([...owners.entries()].filter(([, list]) => list.length > 1)).toEqual([]);
  }, 120_000);

  it('a task survives the kill -9 of the instance that handed it out and of its runner; the stale runner is fenced', async () => {
    // A separate org, so the requeued tasks of the test above do not stand in the queue.
    const created = await runCli(
      ['keys', 'create', '--org', 'solo', '--scopes', 'runners:read,runners:write,runners:dispatch'],
      {
        DATABASE_URL: databaseUrl,
      },
    );
    const soloKey = created.stdout.trim().split('\n').at(-1)!;
    const [a, b] = servers.map((server) => client(server.url, soloKey)) as [Client, Client];
    const doomed = servers[0]!;
    await a.post('/api/runners/register', undefined, { 'x-runner-id': 'dies' });
    await b.post('/api/runners/register', undefined, { 'x-runner-id': 'lives' });
    const review = (await a.post('/api/reviews', reviewBody())).body.data;
    const claimed = await a.get('/api/runners/tasks/pending?runnerId=dies');
    const task = claimed.body.data[0];
    expect(task).toMatchObject({ id: review.taskId, attempt: 1 });
    await a.post(`/api/runners/tasks/${task.id}/status`, { status: 'cloning' });

    await doomed.kill9();
    // The runner "dies" too: no more heartbeats. The surviving instance's reaper requeues the task.
    const reply = await b.get('/api/runners/tasks/pending?runnerId=lives&wait=5');
    expect(reply.body.data).toMatchObject([{ id: review.taskId, attempt: 2 }]);

    const late = await b.post(
      `/api/runners/tasks/${task.id}/result`,
      {
        runnerId: 'dies',
        status: 'success',
        files: [],
        totalComments: 0,
        metrics: { durationMs: 1 },
      },
      { 'x-runplane-attempt': '1' },
    );
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('stale_attempt');
    const done = await b.post(`/api/runners/tasks/${task.id}/result`, {
      runnerId: 'lives',
      status: 'success',
      files: [],
      totalComments: 0,
      rating: 'A',
      metrics: { durationMs: 1 },
    });
    expect(done.status).toBe(200);
    expect((await b.get(`/api/reviews/${review.id}`)).body.data).toMatchObject({ status: 'succeeded', rating: 'A' });
  }, 60_000);
});
