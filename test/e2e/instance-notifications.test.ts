// Three `runplane serve` processes on one PostgreSQL hear each other through notifications: work dispatched through
// one wakes a long poll parked on another, a revoked key is refused everywhere at once, and a listener whose
// connection is killed reconnects without losing a wake-up. The fallback re-poll and the key cache are set far
// longer than the waits here, so only a notification can explain each outcome.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPostgres } from '../../src/store/postgres.ts';
import { runCli, type ServerProcess, startServeProcess } from '../support/processes.ts';
import { type Client, client } from '../support/server.ts';
import { clonePgDatabase } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const templateUrl = inject('pgTemplateUrl');

describe.skipIf(!templateUrl)('three server processes on one PostgreSQL hear each other', () => {
  let databaseUrl: string;
  let servers: ServerProcess[] = [];
  let key: string;
  let a: Client;
  let b: Client;
  let c: Client;
  let profileId: string;

  beforeAll(async () => {
    databaseUrl = await clonePgDatabase();
    const env = {
      DATABASE_URL: databaseUrl,
      RUNPLANE_CLAIM_REPOLL_SECONDS: '120',
      RUNPLANE_AUTH_CACHE_SECONDS: '120',
    };
    servers = [await startServeProcess(env)];
    servers.push(...(await Promise.all([startServeProcess(env), startServeProcess(env)])));
    const created = await runCli(['keys', 'create', '--org', 'acme', '--scopes', 'admin'], {
      DATABASE_URL: databaseUrl,
    });
    key = created.stdout.trim().split('\n').at(-1)!;
    [a, b, c] = servers.map((server) => client(server.url, key)) as [Client, Client, Client];
    profileId = (await a.post('/v1/runners/profiles', { name: 'p' })).body.id;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  const dispatch = async (api: Client) =>
    (await api.post('/v1/runners/sessions', { profile_id: profileId, task_id: 't', input: {} })).body;

  /** A long poll parked on `api` (20 s, far below the 120 s fallback re-poll); wrapped, so awaiting parks only. */
  async function parkedClaim(api: Client, runnerId: string) {
    const claim = api.post('/v1/runners/sessions/claim', { runner_id: runnerId, wait_seconds: 20 });
    // Parked once the server has subscribed it; nothing is pending, so give the request time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { answer: claim };
  }

  it('a dispatch through A is claimed by a long poll parked on B', async () => {
    const claim = await parkedClaim(b, 'runner-b');
    const session = await dispatch(a);
    const answer = await claim.answer;
    expect(answer.status).toBe(200);
    expect(answer.body.items.map((item: { id: string }) => item.id)).toEqual([session.id]);
  }, 60_000);

  it('an event stream on C sees an event written through A', async () => {
    const session = await dispatch(a);
    const controller = new AbortController();
    const response = await fetch(`${servers[2]!.url}/v1/runners/sessions/${session.id}/events/stream`, {
      headers: { authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    await a.post(`/v1/runners/sessions/${session.id}/events`, [
      { type: 'tool_call', level: 'info', message: 'from-a' },
    ]);
    while (!text.includes('from-a')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    expect(text).toContain('"type":"tool_call"');
    expect(text).not.toContain('event:');
    // Nothing left pending for the claims of the next test.
    await a.post(`/v1/runners/sessions/${session.id}/cancel`);
  }, 60_000);

  it('a listener whose connection is killed reconnects and loses no wake-up', async () => {
    const claim = await parkedClaim(b, 'runner-b2');
    const db = await openPostgres(databaseUrl, { max: 1 });
    try {
      const killed = await db.query<{ ok: boolean }>(
        `select pg_terminate_backend(pid) as ok from pg_stat_activity
         where application_name = 'runplane-listener' and datname = current_database()`,
      );
      expect(killed.length).toBe(3);
    } finally {
      await db.close();
    }
    // Dispatched while the listeners are (re)connecting: B's reconnect wakes its parked poll, which claims it.
    const session = await dispatch(a);
    const answer = await claim.answer;
    expect(answer.body.items.map((item: { id: string }) => item.id)).toEqual([session.id]);
    // And the reconnected listeners carry the next wake-up as before.
    const next = await parkedClaim(c, 'runner-c');
    const another = await dispatch(a);
    expect((await next.answer).body.items.map((item: { id: string }) => item.id)).toEqual([another.id]);
  }, 60_000);

  it('a key revoked with the CLI is refused by every instance at once, though they cached it for 120 s', async () => {
    const created = await runCli(['keys', 'create', '--org', 'acme', '--scopes', 'runners:read'], {
      DATABASE_URL: databaseUrl,
    });
    const doomed = created.stdout.trim().split('\n').at(-1)!;
    const clients = servers.map((server) => client(server.url, doomed));
    for (const api of clients) expect((await api.get('/v1/runners/profiles')).status).toBe(200);
    const keyId = /key_[A-Za-z0-9_-]+/.exec(created.stderr)![0];
    expect((await runCli(['keys', 'revoke', keyId], { DATABASE_URL: databaseUrl })).code).toBe(0);
    for (const api of clients) {
      const status = await until(
        async () => (await api.get('/v1/runners/profiles')).status,
        (s) => s === 401,
        10_000,
      );
      expect(status).toBe(401);
    }
  }, 60_000);

  it('when the leading instance dies (kill -9), another takes over the lease reaper', async () => {
    const leaders = async () => {
      const db = await openPostgres(databaseUrl, { max: 1 });
      try {
        return await db.query<{ port: number }>(
          `select a.client_port as port from pg_locks l join pg_stat_activity a on a.pid = l.pid
           where l.locktype = 'advisory' and l.granted and a.application_name = 'runplane-leader'
             and a.datname = current_database()`,
        );
      } finally {
        await db.close();
      }
    };
    expect(await leaders()).toHaveLength(1);
    // A started alone, so A leads. A session whose lease lapses at once must still be requeued.
    const session = (
      await b.post('/v1/runners/sessions', { profile_id: profileId, task_id: 't', input: {}, lease_ttl_seconds: 0.5 })
    ).body;
    expect((await b.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'doomed' })).status).toBe(200);
    await servers[0]!.kill9();
    const requeued = await until(
      async () => (await b.get(`/v1/runners/sessions/${session.id}`)).body,
      (s) => s.state === 'pending' && s.attempt === 1,
      20_000,
    );
    expect(requeued.state).toBe('pending');
    expect(await leaders()).toHaveLength(1);
  }, 60_000);
});
