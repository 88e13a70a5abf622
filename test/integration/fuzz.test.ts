// OpenAPI-driven fuzzing: every operation of /openapi.json gets valid and mutated requests generated from its schemas,
// with live ids seeded first so valid requests reach deep code. Whatever is sent, no answer is a 5xx, every 4xx is in
// the error shape and every request finishes. The seed is printed with every run.
import { describe, expect, it } from 'vitest';
import { createUser, login } from '../../src/core/users.ts';
import {
  type Credential,
  type FuzzRequest,
  type Operation,
  operationsOf,
  planRequests,
  type RefRules,
  resolveRefs,
} from '../support/fuzz-requests.ts';
import { reviewBody } from '../support/review-fixtures.ts';
import { type Client, type TestServerFixture, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

// A fixed seed keeps `npm test` repeatable; FUZZ_SEED=random explores, FUZZ_SEED=<n> replays.
const SEED =
  process.env.FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : process.env.FUZZ_SEED
      ? Number(process.env.FUZZ_SEED)
      : 57_791_746;
const MIN_REQUESTS = 3_000;
const CONCURRENCY = 8;
/** Live ids are seeded again this often: fuzzed requests cancel, finish and delete what they name. */
const RESEED_EVERY = 250;
const HANG_MS = 5_000;
/** An event stream that answers 200 is read this long, then dropped. */
const STREAM_READ_MS = 1_000;
/** Failed authentications stay under the per-address limit (30 a minute), or every later request gets 429. */
const BAD_CREDENTIAL_BUDGET = 24;

const SKIPPED = [
  '/api/webhooks/github', // signature-authenticated, needs its own secret: tested in github-webhook.test.ts
  '/console/api/login', // its own rate limit would turn the rest into 429s
  // The kill switches turn the org or the live profile off for every later request: kill-switch.test.ts.
  '/v1/runners/suspend',
  '/v1/runners/profiles/{id}/suspend',
];
const isStream = (path: string) => path.endsWith('/events/stream');
const UPLOAD = 'POST /v1/runners/sessions/{id}/artifacts';
const CONSOLE_USER = { orgSlug: 'acme', email: 'fuzz@acme.test', role: 'admin', password: 'fuzz-password-1' };

/** Where a list operation's cursor (from a first page of one item) is kept among the live ids. */
const CURSORS: Record<string, string> = {
  '/v1/runners/sessions': 'sessionsCursor',
  '/v1/runners/profiles': 'profilesCursor',
  '/v1/audit': 'auditCursor',
  '/api/reviews': 'reviewsCursor',
};

/** Which live ids each path parameter and field may name. */
const REF_RULES: RefRules = {
  pathParam(path, name) {
    if (name === 'artifact_id') return ['artifact'];
    if (name === 'grant_id') return ['grant'];
    if (path.startsWith('/api/runners/tasks/')) return ['task', 'task', 'reviewTask'];
    if (path.startsWith('/api/runners/')) return ['runner', 'runner', 'spareRunner'];
    if (path.startsWith('/api/reviews/')) return ['review', 'claimedReview'];
    if (path.startsWith('/v1/runners/profiles/')) return ['profile'];
    if (path.startsWith('/v1/runners/sessions/') || path.startsWith('/console/api/sessions/')) {
      return ['claimedSession', 'claimedSession', 'session'];
    }
    return [];
  },
  field(name, path) {
    // Registering the seeded runner again would replace its instance and fence off every later valid write.
    if (path === '/api/runners/register' && name === 'x-runner-id') return 'spareRunner';
    if (['runnerId', 'runner_id', 'x-runner-id'].includes(name)) return 'runner';
    if (name === 'x-runner-instance') return 'instance';
    if (['profile_id', 'profile_ids'].includes(name)) return 'profile';
    if (['attempt', 'x-runplane-attempt'].includes(name)) return 'attempt';
    if (name === 'cursor') return CURSORS[path] ?? null;
    return null;
  },
};

/** A review result's totalComments must count its comments (a rule the schema cannot state). */
function adjustBody(operation: Operation, body: any): unknown {
  if (operation.key === 'POST /api/runners/tasks/{id}/result' && Array.isArray(body?.files)) {
    body.totalComments = body.files.reduce((n: number, file: any) => n + (file.comments?.length ?? 0), 0);
    if (body.status === 'failed') body.error ??= 'the reviewer failed';
  }
  return body;
}

interface LiveIds {
  refs: Record<string, string>;
  attempts: Record<string, number>;
}

interface Failure {
  request: string;
  problem: string;
}

interface Outcome {
  status: number | null;
  ms: number;
  failure?: string;
}

describe.each(STORE_KINDS)('OpenAPI fuzzing on the %s store', (kind) => {
  const t = useTestServer(kind, { config: { rateLimitPerMinute: 0, authCacheMs: 5_000 } });

  it(`${MIN_REQUESTS}+ generated requests: no 5xx, every 4xx in the error shape, none hangs`, async () => {
    const started = performance.now();
    const admin = await t.client(['admin']);
    const credentials = {
      admin: admin.authorization,
      readOnly: (await t.client(['runners:read'])).authorization,
      runner: (await t.client(['runners:read', 'runners:write'], { kind: 'runner' })).authorization,
    };
    await createUser(t.db, CONSOLE_USER);
    const document = (await admin.get('/openapi.json')).body;
    const operations = operationsOf(
      document,
      (_method, path) => !SKIPPED.includes(path),
      (method, path) => `${method} ${path}` === UPLOAD,
    );
    expect(operations.length).toBeGreaterThan(40);

    // Requests per operation: event streams are read for a second each, so they get fewer.
    const streams = operations.filter((op) => isStream(op.path)).length;
    const perStream = 15;
    const perOperation = Math.ceil((MIN_REQUESTS * 1.05 - streams * perStream) / (operations.length - streams));
    const planned = operations.map((op, i) =>
      planRequests(op, isStream(op.path) ? perStream : perOperation, (SEED + i * 7_919) % 2 ** 31, {
        refs: REF_RULES,
        waitFields: ['wait', 'wait_seconds'],
        adjustBody,
      }),
    );
    // Interleaved, so the operations that change state (cancel, delete, claim) are spread over the run.
    const requests: FuzzRequest[] = [];
    for (let i = 0; i < perOperation; i++) for (const list of planned) if (list[i]) requests.push(list[i]!);
    const planMs = performance.now() - started;

    const statuses = new Map<number | string, number>();
    /** Operations that answered 2xx at least once: valid requests that reached the handler's work. */
    const accepted = new Set<string>();
    const failures: Failure[] = [];
    let slowest = { ms: 0, request: '' };
    let badCredentials = 0;
    let live: LiveIds = { refs: {}, attempts: {} };

    for (let offset = 0; offset < requests.length; offset += RESEED_EVERY) {
      live = await seedLiveIds(t, admin, offset / RESEED_EVERY);
      const batch = requests.slice(offset, offset + RESEED_EVERY);
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const request = batch[next++]!;
          let credential = request.credential;
          // A garbage key, and a grant token once a fuzzed request revoked its grant, count as failed
          // authentications: keep under the limiter's budget. (So does a console session a fuzzed logout ended,
          // until the next round opens a fresh one.)
          if ((credential === 'garbage' || credential === 'grant') && ++badCredentials > BAD_CREDENTIAL_BUDGET) {
            credential = 'admin';
          }
          const authorization = authorizationFor(credential, credentials, live);
          const outcome = await send(t.server.url, request, live, credential, authorization);
          statuses.set(outcome.status ?? 'none', (statuses.get(outcome.status ?? 'none') ?? 0) + 1);
          if (outcome.ms > slowest.ms) {
            slowest = { ms: outcome.ms, request: describeRequest(request, live, credential).split('\n')[0]! };
          }
          if (outcome.status !== null && outcome.status < 300) accepted.add(request.operation);
          if (outcome.failure) {
            failures.push({ request: describeRequest(request, live, credential), problem: outcome.failure });
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    }

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const histogram = [...statuses.entries()]
      .sort(([a], [b]) => String(a).localeCompare(String(b)))
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    console.log(
      `fuzz ${kind}: ${requests.length} requests over ${operations.length} operations in ${seconds} s ` +
        `(planning ${(planMs / 1000).toFixed(1)} s), seed ${SEED}\n  statuses: ${histogram}\n` +
        `  slowest: ${slowest.ms.toFixed(0)} ms ${slowest.request}\n` +
        `  never answered 2xx: ${
          operations
            .filter((op) => !accepted.has(op.key))
            .map((op) => op.key)
            .join(', ') || 'none'
        }`,
    );
    expect(requests.length).toBeGreaterThanOrEqual(MIN_REQUESTS);
    const report = failures
      .slice(0, 10)
      .map((f, i) => `#${i + 1} ${f.problem}\n${f.request}`)
      .join('\n\n');
    expect(
      failures.length,
      `${failures.length} of ${requests.length} requests failed on the ${kind} store; replay with FUZZ_SEED=${SEED}\n\n${report}`,
    ).toBe(0);
  }, 180_000);
});

/** Fresh live ids: a runner, a profile, a pending and a claimed session, an artifact, a grant, a review, a task. */
async function seedLiveIds(t: TestServerFixture, api: Client, round: number): Promise<LiveIds> {
  const ok = <T>(what: string, reply: { status: number; body: T }, status = 200): T => {
    if (reply.status !== status) throw new Error(`seeding ${what}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const runner = `fuzz-runner-${round}`;
  const registered = ok('runner', await api.post('/api/runners/register', undefined, { 'x-runner-id': runner }));
  const instance = (registered as any).data.instanceId as string;
  const profile = ok('profile', await api.post('/v1/runners/profiles', { name: `fuzz-${round}` }), 201) as any;
  const dispatch = async () =>
    ok(
      'session',
      await api.post('/v1/runners/sessions', { profile_id: profile.id, task_id: `t${round}`, input: {} }),
      201,
    ) as any;
  const session = await dispatch();
  const toClaim = await dispatch();
  const claimed = ok(
    'claim',
    await api.post(
      `/v1/runners/sessions/${toClaim.id}/claim`,
      { runner_id: runner },
      { 'x-runner-instance': instance },
    ),
  ) as any;
  const writer = {
    'x-runner-id': runner,
    'x-runplane-attempt': String(claimed.attempt),
    'x-runner-instance': instance,
  };
  const upload = await fetch(
    `${t.server.url}/v1/runners/sessions/${claimed.id}/artifacts?name=${encodeURIComponent('résumé-😀.txt')}`,
    {
      method: 'POST',
      headers: { authorization: api.authorization, 'content-type': 'text/plain', ...writer },
      body: 'hi',
    },
  );
  const artifact = ok('artifact', { status: upload.status, body: (await upload.json()) as any }, 201);
  const grant = ok(
    'grant',
    await api.post(`/v1/runners/sessions/${claimed.id}/permissions`, {
      scope: 'runners:read',
      reason: 'fuzz',
      ttl_seconds: 600,
    }),
    201,
  ) as any;
  const review = ok('review', await api.post('/api/reviews', reviewBody()), 201) as any;
  ok('review', await api.post('/api/reviews', reviewBody()), 201);
  const tasks = ok(
    'task claim',
    await api.get(`/api/runners/tasks/pending?runnerId=${runner}`, { 'x-runner-instance': instance }),
  ) as any;
  const task = tasks.data[0];
  const refs: Record<string, string> = {
    runner,
    spareRunner: `fuzz-spare-${round}`,
    instance,
    profile: profile.id,
    session: session.id,
    claimedSession: claimed.id,
    artifact: artifact.id,
    grant: grant.id,
    grantToken: grant.token,
    review: review.data.id,
    reviewTask: review.data.taskId,
    task: task?.id ?? review.data.taskId,
    claimedReview: task?.reviewId ?? review.data.id,
  };
  // A console session (opened in-process: the login route's own limit allows 10 a minute).
  const consoleSession = await login(t.db, CONSOLE_USER.email, CONSOLE_USER.password);
  refs.consoleToken = consoleSession.token;
  refs.csrfToken = consoleSession.csrfToken;
  for (const [path, name] of Object.entries(CURSORS)) {
    const page = (await api.get(`${path}?limit=1`)).body;
    const cursor = page?.next_cursor ?? page?.nextCursor;
    if (typeof cursor === 'string') refs[name] = cursor;
  }
  return { refs, attempts: { claimedSession: claimed.attempt, session: 1, task: task?.attempt ?? 1, reviewTask: 1 } };
}

function authorizationFor(
  credential: Credential,
  keys: { admin: string; readOnly: string; runner: string },
  live: LiveIds,
): Record<string, string> {
  switch (credential) {
    case 'admin':
      return { authorization: keys.admin };
    case 'admin-x-api-key':
      return { 'x-api-key': keys.admin.replace(/^Bearer /, '') };
    case 'none':
      return {};
    case 'garbage':
      return { authorization: 'Bearer rp_notarealkey0000000000000000' };
    case 'read-only':
      return { authorization: keys.readOnly };
    case 'runner-key':
      return { authorization: keys.runner };
    case 'grant':
      return { authorization: `Bearer ${live.refs.grantToken}` };
    case 'console':
      return { cookie: `runplane_session=${live.refs.consoleToken}`, 'x-csrf-token': live.refs.csrfToken! };
  }
}

/** Sends one request and judges its answer. */
/** Half the console requests go through the console's BFF (/console/api/…), which forwards them in-process. */
function urlFor(request: FuzzRequest, credential: Credential): string {
  const url = request.url;
  if (credential !== 'console' || request.index % 2 === 1) return url;
  if (/^\/v1\/(runners|audit)/.test(url)) return `/console/api${url}`;
  if (/^\/api\/(runners|reviews)/.test(url)) return `/console/api${url.slice('/api'.length)}`;
  return url;
}

async function send(
  baseUrl: string,
  request: FuzzRequest,
  live: LiveIds,
  credential: Credential,
  authorization: Record<string, string>,
): Promise<Outcome> {
  const fill = (text: string) => resolveRefs(text, live.refs, live.attempts, request.subject);
  const headers: Record<string, string> = { ...authorization };
  for (const [name, value] of Object.entries(request.headers)) headers[name] = fill(value);
  const started = performance.now();
  const stream = isStream(request.operation.split(' ')[1]!);
  const controller = new AbortController();
  const hang = setTimeout(() => controller.abort(new Error('hang')), HANG_MS);
  let readTimer: NodeJS.Timeout | undefined;
  try {
    const response = await fetch(baseUrl + fill(urlFor(request, credential)), {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : fill(request.body),
      signal: controller.signal,
      redirect: 'manual',
    });
    let text = '';
    let ms = performance.now() - started;
    if (stream && response.status === 200) {
      // A live stream does not end by itself: read it for a while, then hang up.
      readTimer = setTimeout(() => controller.abort(new Error('stream read done')), STREAM_READ_MS);
      try {
        text = await response.text();
      } catch (error) {
        if (
          (error as Error).message !== 'stream read done' &&
          controller.signal.reason?.message !== 'stream read done'
        ) {
          throw error;
        }
      }
    } else {
      text = await response.text();
      ms = performance.now() - started;
    }
    return { status: response.status, ms, failure: judge(response.status, text) };
  } catch (error) {
    const ms = performance.now() - started;
    const reason = controller.signal.aborted ? `no answer within ${HANG_MS} ms` : `request failed: ${causeOf(error)}`;
    return { status: null, ms, failure: reason };
  } finally {
    clearTimeout(hang);
    clearTimeout(readTimer);
  }
}

const causeOf = (error: unknown): string => {
  const e = error as Error & { cause?: Error & { code?: string } };
  return e.cause ? `${e.message}: ${e.cause.code ?? ''} ${e.cause.message}` : String(e.message ?? e);
};

function judge(status: number, text: string): string | undefined {
  const answer = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  if (status >= 500) return `answered ${status}: ${answer}`;
  if (status < 400) return undefined;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `answered ${status} with a body that is not JSON: ${JSON.stringify(answer)}`;
  }
  const error = body?.error;
  if (typeof error?.code !== 'string' || typeof error?.message !== 'string') {
    return `answered ${status} outside the error shape: ${answer}`;
  }
  return undefined;
}

/** The request as a failure report shows it: what was sent (ids filled in), and what was changed. */
function describeRequest(request: FuzzRequest, live: LiveIds, credential: Credential): string {
  const fill = (text: string) => resolveRefs(text, live.refs, live.attempts, request.subject);
  const url = fill(urlFor(request, credential));
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${snippet(fill(value), 80)}`)
    .join('; ');
  const lines = [
    `${request.method} ${snippet(url, 300)}`,
    `  operation ${request.operation} #${request.index}, credential ${credential}`,
    `  mutations: ${request.mutations.join('; ') || 'none (valid)'}`,
  ];
  if (headers) lines.push(`  headers: ${headers}`);
  if (request.body !== undefined) lines.push(`  body: ${snippet(fill(request.body), 300)}`);
  return lines.join('\n');
}

const snippet = (text: string, max: number) =>
  JSON.stringify(text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);
