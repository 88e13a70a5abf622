// Inputs that once answered 500 (or hung): each is a named regression, on each store. Every answer is a 4xx in the
// error shape, and nothing is written.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createUser } from '../../src/core/users.ts';
import { ensureOrg } from '../../src/store/sql/keys.ts';
import { createReview, register, reviewBody } from '../support/review-fixtures.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

const ALL = ['runners:read', 'runners:write', 'runners:dispatch'] as const;

function expectErrorShape(reply: { status: number; body: unknown }, status: number) {
  expect(reply.status).toBe(status);
  const error = (reply.body as { error?: { code?: unknown; message?: unknown } }).error;
  expect(typeof error?.code).toBe('string');
  expect(typeof error?.message).toBe('string');
}

/** Sends raw bytes and returns the status line, headers and body of the answer. */
function rawRequest(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(request));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe.each(STORE_KINDS)('hostile input on the %s store', (kind) => {
  const t = useTestServer(kind);
  const session = async (api: Client) => {
    const profile = (await api.post('/v1/runners/profiles', { name: 'p' })).body.id;
    return (await api.post('/v1/runners/sessions', { profile_id: profile, task_id: 't', input: {} })).body;
  };

  it.each([
    '/v1/runners/sessions/%00',
    '/v1/runners/sessions/a%00b/events',
    '/v1/runners/profiles/%00',
    '/v1/runners/sessions/%00/permissions',
    '/api/runners/tasks/%00',
    '/api/runners/tasks/%00/logs',
    '/api/reviews/%00',
  ])('a NUL in a path id (GET %s) answers 4xx, not 500', async (path) => {
    const api = await t.client([...ALL]);
    const reply = await api.get(path);
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expectErrorShape(reply, reply.status);
  });

  it('a NUL in any JSON string answers 400 naming the field, and creates nothing', async () => {
    const api = await t.client([...ALL]);
    const profile = (await api.post('/v1/runners/profiles', { name: 'p' })).body.id;
    const reply = await api.post('/v1/runners/sessions', {
      profile_id: profile,
      task_id: 't',
      input: { notes: ['ok', 'bad\u0000'] },
    });
    expectErrorShape(reply, 400);
    expect(reply.body.error.field).toBe('input.notes[1]');
    expect((await api.get('/v1/runners/sessions')).body.items).toEqual([]);
  });

  it('JSON nested 5,000 levels deep answers 400 (input, metadata, checkpoint, event data)', async () => {
    const api = await t.client([...ALL]);
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const created = await session(api);
    const bodies: [string, string, string][] = [
      ['POST', '/v1/runners/sessions', `{"profile_id":"x","task_id":"t","input":${deep}}`],
      ['PATCH', `/v1/runners/sessions/${created.id}`, `{"metadata":{"a":${deep}}}`],
      ['POST', `/v1/runners/sessions/${created.id}/checkpoint`, `{"data":${deep}}`],
      [
        'POST',
        `/v1/runners/sessions/${created.id}/events`,
        `[{"type":"x","level":"info","message":"m","data":${deep}}]`,
      ],
    ];
    for (const [method, path, body] of bodies) {
      const reply = await api.call(method, path, body);
      expectErrorShape(reply, 400);
      expect(reply.body.error.message).toContain('nested deeper');
    }
  });

  it('after beyond 2^31 or in exponent form, and an event ts in year 0000, answer 400', async () => {
    const api = await t.client([...ALL]);
    const created = await session(api);
    for (const query of ['after=3000000000', 'after=1e400', 'after=-1']) {
      expectErrorShape(await api.get(`/v1/runners/sessions/${created.id}/events?${query}`), 400);
    }
    const claimed = (await api.post(`/v1/runners/sessions/${created.id}/claim`, { runner_id: 'g1' })).body;
    const ts = await api.post(
      `/v1/runners/sessions/${created.id}/events`,
      [{ type: 'x', level: 'info', message: 'm', ts: '0000-01-01T00:00:00Z' }],
      { 'x-runplane-attempt': String(claimed.attempt) },
    );
    expect(ts.status).toBe(400);
    expectErrorShape(ts, 400);
  });

  it('a number written 1e400 (Infinity) is refused with 400, stores nothing and leaves the listing readable', async () => {
    const api = await t.client([...ALL]);
    const reply = await api.call(
      'POST',
      '/api/reviews',
      JSON.stringify(reviewBody()).replace(
        /}$/,
        ',"pullRequest":{"provider":"github","repository":"acme/app","number":1e400}}',
      ),
    );
    expectErrorShape(reply, 400);
    const listed = await api.get('/api/reviews');
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([]);
  });

  it('an event stream with nothing new to send answers its headers at once (found by the fuzz suite)', async () => {
    const api = await t.client([...ALL]);
    const created = await session(api);
    // A stream that only sent headers with its first event or keep-alive (15 s) would trip this 5 s guard.
    const response = await fetch(`${t.server.url}/v1/runners/sessions/${created.id}/events/stream?after=99`, {
      headers: { authorization: api.authorization },
      signal: AbortSignal.timeout(5000),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    await response.body?.cancel();
  });

  it('an artifact whose name is not Latin-1 downloads with an RFC 5987 filename*', async () => {
    const api = await t.client([...ALL]);
    const created = await session(api);
    const name = 'résumé – 報告.txt';
    const uploaded = await api.call(
      'POST',
      `/v1/runners/sessions/${created.id}/artifacts?name=${encodeURIComponent(name)}`,
      'hello',
      { 'content-type': 'text/plain' },
    );
    expect(uploaded.status).toBe(201);
    const download = await fetch(
      `${t.server.url}/v1/runners/sessions/${created.id}/artifacts/${uploaded.body.id}/content`,
      {
        headers: { authorization: api.authorization },
      },
    );
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent(name)}`);
    expect(await download.text()).toBe('hello');
  });

  it('a runner id of 128 characters registers and heartbeats', async () => {
    const api = await t.client([...ALL]);
    const id = `r${'x'.repeat(127)}`;
    await register(api, id);
    expect((await api.post(`/api/runners/${id}/heartbeat`, { status: 'online', currentJobs: 0 })).status).toBe(200);
  });

  it('two first requests of a new org at once both get the org', async () => {
    const orgs = await Promise.all(Array.from({ length: 8 }, (_v, i) => ensureOrg(t.db, 'fresh', `org_${i}`)));
    expect(new Set(orgs.map((org) => org.id)).size).toBe(1);
  });

  it('framework errors answer in the error shape: bad percent-encoding, headers over 16 KiB, Expect', async () => {
    const badUrl = await rawRequest(
      t.server.url,
      'GET /v1/runners/sessions/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(badUrl).toMatch(/^HTTP\/1\.1 400/);
    expect(badUrl).toContain('"error":{"code":"invalid_request"');
    const big = await rawRequest(
      t.server.url,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(big).toMatch(/^HTTP\/1\.1 431/);
    expect(big.toLowerCase()).toContain('connection: close');
    expect(big).toContain('"code":"headers_too_large"');
    const expectation = await rawRequest(
      t.server.url,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n',
    );
    expect(expectation).toMatch(/^HTTP\/1\.1 417/);
    expect(expectation).toContain('"code":"expectation_failed"');
  });

  it('at most 20 event streams per credential: the 21st answers 429, and closing one frees a place', async () => {
    const api = await t.client([...ALL]);
    const created = await session(api);
    const url = `${t.server.url}/v1/runners/sessions/${created.id}/events/stream`;
    const streams = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const abort = new AbortController();
        const response = await fetch(url, { headers: { authorization: api.authorization }, signal: abort.signal });
        return { response, abort };
      }),
    );
    for (const { response } of streams) expect(response.status).toBe(200);
    const refused = await fetch(url, { headers: { authorization: api.authorization } });
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe('too_many_streams');
    streams[0]!.abort.abort();
    // The server notices the closed socket at its next write or poll.
    let again: Response | null = null;
    for (let i = 0; i < 20 && again?.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      again = await fetch(url, { headers: { authorization: api.authorization }, signal: AbortSignal.timeout(5000) });
      if (again.status === 200) await again.body?.cancel();
    }
    expect(again?.status).toBe(200);
    for (const { abort } of streams) abort.abort();
  });

  describe('console sessions', () => {
    const PASSWORD = 'correct horse battery staple';
    async function login() {
      await createUser(t.db, { orgSlug: 'acme', email: 'op@acme.test', role: 'admin', password: PASSWORD });
      const reply = await fetch(`${t.server.url}/console/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'op@acme.test', password: PASSWORD }),
      });
      const { csrf_token: csrf } = await reply.json();
      return { csrf: csrf as string, cookie: (reply.headers.get('set-cookie') ?? '').split(';')[0]! };
    }

    it('a non-ASCII x-csrf-token answers 403 csrf_required, not 500', async () => {
      const { cookie, csrf } = await login();
      const reply = await fetch(`${t.server.url}/console/api/v1/runners/profiles`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': `${'é'.repeat(csrf.length / 2)}` },
        body: JSON.stringify({ name: 'p' }),
      });
      expect(reply.status).toBe(403);
      expect((await reply.json()).error.code).toBe('csrf_required');
    });

    it('a GET that claims needs the CSRF token: a cross-site GET claims nothing', async () => {
      const api = await t.client([...ALL]);
      const { cookie, csrf } = await login();
      await register(api, 'r1');
      const review = await createReview(api);
      const forged = await fetch(`${t.server.url}/api/runners/tasks/pending?runnerId=r1`, { headers: { cookie } });
      expect(forged.status).toBe(403);
      expect((await forged.json()).error.code).toBe('csrf_required');
      expect((await api.get(`/api/runners/tasks/${review.taskId}`)).body.data.status).toBe('pending');
      const own = await fetch(`${t.server.url}/api/runners/tasks/pending?runnerId=r1`, {
        headers: { cookie, 'x-csrf-token': csrf },
      });
      expect(own.status).toBe(200);
    });
  });
});

describe('failed authentications', () => {
  // Its own server: the limiter it trips would refuse every later request of this address for a minute.
  const t = useTestServer('embedded');

  it('rotating made-up credentials from one address is refused with 429 after 30 failures', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      const reply = await fetch(`${t.server.url}/api/runners`, { headers: { authorization: `Bearer rp_guess${i}` } });
      statuses.push(reply.status);
      if (reply.status === 429) {
        expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
        expect((await reply.json()).error.code).toBe('rate_limited');
      }
    }
    expect(statuses.slice(0, 30).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
  });
});
