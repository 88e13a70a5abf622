// What the generated OpenAPI document says beyond the route schemas, so client generators get good names and
// types: an operationId, a summary and a tag for every operation, resources as named component schemas, the 4xx
// answers each operation can give, the non-JSON bodies, and optional query parameters and headers where the server
// has a default.

type RouteSchema = Record<string, unknown>;

/** Path segments that name an action on what precedes them (POST …/sessions/{id}/cancel → cancelSession). */
const ACTIONS = new Set([
  'approve',
  'cancel',
  'checkpoint',
  'claim',
  'deny',
  'heartbeat',
  'register',
  'replay',
  'resume',
  'suspend',
  'unsuspend',
]);

const pascal = (word: string) =>
  word
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');

const singular = (word: string) =>
  word.endsWith('ies')
    ? `${word.slice(0, -3)}y`
    : /(ss|sh|ch|x)es$/.test(word)
      ? word.slice(0, -2)
      : word.endsWith('s') && !word.endsWith('ss')
        ? word.slice(0, -1)
        : word;

/** Names the rule below would get wrong or make vague. */
const NAMED: Record<string, string> = {
  'GET /healthz': 'getHealth',
  'GET /readyz': 'getReadiness',
  'GET /metrics': 'getMetrics',
  'DELETE /api/runners/:id': 'deregisterRunner',
  'GET /api/runners/tasks/pending': 'claimPendingTasks',
  'GET /api/runners/tasks/:id': 'getTask',
  'POST /api/runners/tasks/:id/status': 'reportTaskStatus',
  'POST /api/runners/tasks/:id/logs': 'appendTaskLogs',
  'GET /api/runners/tasks/:id/logs': 'listTaskLogs',
  'POST /api/runners/tasks/:id/result': 'submitTaskResult',
  'POST /api/webhooks/github': 'receiveGithubWebhook',
  'GET /v1/runners/profiles/:id/harnesses/latest': 'getLatestHarness',
  'POST /v1/runners/sessions/claim': 'claimNextSession',
  'POST /v1/runners/sessions/:id/events': 'appendSessionEvents',
  'GET /v1/runners/sessions/:id/events/stream': 'streamSessionEvents',
  'POST /v1/runners/sessions/:id/artifacts': 'uploadSessionArtifact',
  'GET /v1/runners/sessions/:id/artifacts/:artifact_id/content': 'downloadSessionArtifact',
  'POST /v1/runners/sessions/:id/permissions': 'grantSessionPermission',
  'DELETE /v1/runners/sessions/:id/permissions/:grant_id': 'revokeSessionPermission',
  'GET /v1/audit': 'listAuditRecords',
  'POST /v1/runners/suspend': 'suspendOrg',
  'POST /v1/runners/unsuspend': 'unsuspendOrg',
  'DELETE /v1/admin/keys/:id': 'revokeAdminKey',
  'POST /console/api/login': 'consoleLogIn',
  'POST /console/api/logout': 'consoleLogOut',
  'POST /console/api/setup': 'consoleSetUp',
  'GET /console/api/me': 'consoleMe',
  'GET /console/api/sessions/:id/why-pending': 'consoleWhyPending',
};

/**
 * `GET /v1/runners/sessions/:id/events` → `listSessionEvents`, `GET /api/runners/:id` → `getRunner`,
 * `POST /v1/runners/sessions/:id/cancel` → `cancelSession`. The facade prefixes (/api, /v1/runners) are dropped.
 */
export function operationIdFor(method: string, url: string): string {
  const named = NAMED[`${method} ${url}`];
  if (named) return named;
  const segments = url
    .replace(/^\/v1\/runners(?=\/|$)/, '')
    .replace(/^\/(api|v1)(?=\/)/, '')
    .split('/')
    .filter(Boolean);
  const endsWithParam = segments.at(-1)?.startsWith(':') ?? false;
  const words = segments.filter((segment) => !segment.startsWith(':'));
  const last = words.at(-1) ?? 'root';
  const action = method === 'POST' && !endsWithParam && ACTIONS.has(last);
  const nouns = action ? words.slice(0, -1) : words;
  // Every noun but the last is one thing of its kind (the session whose events…); the last is one thing when an
  // id follows it or the method acts on one.
  const oneThing = endsWithParam || method !== 'GET' || action;
  const name = nouns
    .map((noun, i) => (i < nouns.length - 1 || oneThing ? pascal(singular(noun)) : pascal(noun)))
    .join('');
  if (action) return `${last}${name}`;
  const verb =
    {
      GET: endsWithParam || !last.endsWith('s') ? 'get' : 'list',
      POST: 'create',
      PUT: 'replace',
      PATCH: 'update',
      DELETE: 'delete',
    }[method] ?? method.toLowerCase();
  return `${verb}${name}`;
}

/** "listSessionEvents" → "List session events": a summary for a route that gives none. */
export const summaryFor = (operationId: string) => {
  const words = operationId.replace(/([A-Z])/g, ' $1').toLowerCase();
  return words[0]!.toUpperCase() + words.slice(1);
};

/** Tags by path prefix, for routes that name none; the first match wins. */
const TAG_BY_PREFIX: [RegExp, string][] = [
  [/^\/(healthz|readyz|metrics)/, 'health'],
  [/^\/api\/runners/, 'runners'],
  [/^\/api\/reviews/, 'reviews'],
  [/^\/api\/webhooks/, 'webhooks'],
  [/^\/v1\/runners\/profiles/, 'profiles'],
  [/^\/v1\/runners\/sessions\/:id\/events/, 'events'],
  [/^\/v1\/runners\/sessions\/:id\/artifacts/, 'artifacts'],
  [/^\/v1\/runners\/sessions\/:id\/permissions/, 'permissions'],
  [/^\/v1\/runners\/sessions/, 'sessions'],
  [/^\/v1\/runners\/integrations/, 'integrations'],
  [/^\/v1\/audit/, 'audit'],
  [/^\/v1\/admin/, 'admin'],
  [/^\/console\//, 'console'],
];

/** Every tag the document uses, in the order a reader meets them, with what it groups. */
export const TAGS = [
  {
    name: 'runners',
    description:
      'The review-runners contract (/api/runners): runners register by headers, heartbeat, claim review tasks, report phases, append logs and submit results.',
  },
  { name: 'reviews', description: 'Review requests (/api/reviews) that become tasks for runners, and their outcome.' },
  { name: 'webhooks', description: 'Signed webhooks from code hosts that request reviews.' },
  {
    name: 'profiles',
    description: 'The governed-runners contract: execution profiles and their pinned harness revisions.',
  },
  {
    name: 'sessions',
    description:
      'Governed sessions: dispatch, claim, heartbeat, checkpoint, resume, cancel. One lease and fencing model with review tasks.',
  },
  { name: 'events', description: "A session's append-only event log, as pages or a live server-sent event stream." },
  { name: 'artifacts', description: 'Files a session produced: streamed uploads, listing and download.' },
  {
    name: 'permissions',
    description:
      'Permission grants a session holds (rpg_ tokens), given and revoked; permission requests a running session asks and its policy or a person decides.',
  },
  { name: 'integrations', description: 'Which repositories an organisation binds to which code host.' },
  { name: 'audit', description: 'Who did what and when: the audit log of an organisation.' },
  { name: 'admin', description: 'Extension: API keys and console users of an organisation (scope admin).' },
  {
    name: 'console',
    description: "The console's own endpoints (cookie session and CSRF), documented for completeness.",
  },
  { name: 'health', description: 'Liveness, readiness, Prometheus metrics and the queue overview.' },
];

/** Route facts the document needs beyond its schema. */
export interface RouteFacts {
  method: string;
  url: string;
  /** The route's `config.scope`: routes without one, or with `public`, take no credentials. */
  scope?: string;
}

export function documentRoute(schema: RouteSchema, { method, url, scope }: RouteFacts): RouteSchema {
  const copy: RouteSchema = { ...schema };
  copy['operationId'] ??= operationIdFor(method, url);
  copy['summary'] ??= summaryFor(copy['operationId'] as string);
  copy['tags'] ??= [TAG_BY_PREFIX.find(([prefix]) => prefix.test(url))?.[1] ?? 'health'];
  if (url === '/metrics') {
    // Open unless RUNPLANE_METRICS_TOKEN is set; then that token as a bearer token.
    copy['security'] = [{ bearer: [] }, {}];
  } else if (!scope || scope === 'public') {
    copy['security'] = [];
  } else {
    copy['x-runplane-scope'] = scope;
  }
  // Documentation only: the route's own response schemas (what Fastify serialises with) are left as they are. The
  // catch-all 4xx gives way to the codes this operation can answer (finishDocument).
  const response = { ...((copy['response'] ?? {}) as Record<string, unknown>) };
  if (!Object.keys(response).some((code) => code.startsWith('2'))) response['200'] = { description: 'Success' };
  delete response['4xx'];
  copy['response'] = response;
  // A query parameter or header with a default is optional to the client even though the handler always sees it.
  for (const part of ['querystring', 'headers'] as const) {
    const object = schema[part] as { required?: string[]; properties?: Record<string, { default?: unknown }> };
    if (!object?.required || !object.properties) continue;
    const properties = object.properties;
    copy[part] = { ...object, required: object.required.filter((name) => properties[name]?.default === undefined) };
  }
  return copy;
}

type Json = Record<string, unknown>;
type Operation = Json & {
  operationId: string;
  parameters?: Json[];
  requestBody?: Json;
  responses: Json;
  security?: unknown[];
};

/** The error answers, named once and referenced by every operation that can give them. */
const ERROR_RESPONSES: Record<string, { name: string; description: string }> = {
  '400': {
    name: 'InvalidRequest',
    description: 'A parameter, header or body field is invalid; `error.field` names it',
  },
  '401': { name: 'Unauthenticated', description: 'No credential, or one that is unknown, revoked or expired' },
  '403': { name: 'Forbidden', description: 'The credential lacks the scope this operation needs' },
  '404': {
    name: 'NotFound',
    description: "No such resource in the caller's organisation (another organisation's resources are not found)",
  },
  '409': {
    name: 'Conflict',
    description:
      'The resource has moved on: a stale attempt or lease (`stale_attempt`), a finished item, a taken id or a replaced runner; `error.code` says which',
  },
  '413': { name: 'TooLarge', description: 'The body is larger than this server accepts' },
  '415': { name: 'UnsupportedMediaType', description: 'Bodies are JSON (`application/json`) unless stated otherwise' },
  '429': { name: 'RateLimited', description: 'Too many requests; retry after the time the message names' },
};

/** Collection operations that can still conflict (a taken id, an idempotency key reused with another body). */
const CONFLICTING_CREATES = new Set([
  'createProfile',
  'createSession',
  'registerRunner',
  'createAdminUser',
  'claimNextSession',
  'consoleSetUp',
]);

/** Operations whose bodies or answers are not JSON. */
const MEDIA: Record<string, (operation: Operation) => void> = {
  uploadSessionArtifact(operation) {
    operation.requestBody = {
      required: true,
      description: 'The file itself, streamed. Its Content-Type is stored with it (any type is taken).',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    };
  },
  downloadSessionArtifact(operation) {
    operation.responses['200'] = {
      description: 'The bytes as uploaded, with the Content-Type they were uploaded with',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    };
  },
  streamSessionEvents(operation) {
    operation.responses['200'] = {
      description:
        'Server-sent events: every event as an unnamed `message` whose `data` is an Event (JSON) and whose `id` is its seq; send `Last-Event-ID` to resume',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    };
  },
  getMetrics(operation) {
    operation.responses['200'] = {
      description: 'Prometheus text exposition format',
      content: { 'text/plain': { schema: { type: 'string' } } },
    };
  },
};

/** Examples of the shapes people meet first; `redocly lint` checks each against its schema. */
const EXAMPLES: Record<string, unknown> = {
  Error: { error: { code: 'invalid_request', message: 'body/limit must be <= 200', field: 'limit' } },
  Profile: {
    id: 'nightly-agents',
    name: 'Nightly agents',
    description: 'Agent jobs run on the build farm',
    execution_target: 'runner',
    status: 'active',
    builtin: false,
    suspended_at: null,
    suspended_reason: null,
    created_at: '2026-12-01T09:00:00.000Z',
    updated_at: '2026-12-01T09:00:00.000Z',
  },
  Session: {
    id: 'sess_01JEXAMPLE0000000000000000',
    profile_id: 'nightly-agents',
    task_id: 'job-4711',
    state: 'running',
    cancel_requested: false,
    input: { repository: 'acme/web', command: 'lint' },
    result: null,
    error: null,
    failure_reason: null,
    progress: 0.4,
    metadata: {},
    phase: null,
    required_tags: ['linux'],
    runner_id: 'build-01',
    attempt: 1,
    max_attempts: 3,
    lease_ttl_seconds: 60,
    lease_expires_at: '2026-12-01T09:01:30.000Z',
    harness_revision: null,
    latest_checkpoint: null,
    policy_version: 2,
    replay_of: null,
    replays: [],
    pause_requested: false,
    pause_reason: null,
    budget: {},
    usage: { tokens: 1200, cost_usd: 0.02 },
    created_at: '2026-12-01T09:00:00.000Z',
    updated_at: '2026-12-01T09:00:30.000Z',
    started_at: '2026-12-01T09:00:05.000Z',
    finished_at: null,
  },
};

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every titled object schema (Session, Review, …) moves to components.schemas and is referenced by $ref, so a
 * generator names its type once; two different shapes under one title are a mistake and stop the document.
 */
function hoistTitledSchemas(document: Json) {
  document['components'] ??= {};
  const components = document['components'] as Json;
  components['schemas'] ??= {};
  const schemas = components['schemas'] as Json;
  const hoisted = new Map<string, string>();
  const visit = (node: unknown, atRoot = false): unknown => {
    if (Array.isArray(node)) return node.map((child) => visit(child));
    if (!isObject(node)) return node;
    const copy: Json = {};
    for (const [key, value] of Object.entries(node)) copy[key] = visit(value);
    const title = copy['title'];
    if (atRoot || typeof title !== 'string' || copy['type'] !== 'object') return copy;
    const text = JSON.stringify(copy);
    const known = hoisted.get(title);
    if (known !== undefined && known !== text) throw new Error(`two different schemas are titled ${title}`);
    hoisted.set(title, text);
    schemas[title] = copy;
    return { $ref: `#/components/schemas/${title}` };
  };
  document['paths'] = visit(document['paths']);
  for (const [name, schema] of Object.entries(schemas)) schemas[name] = visit(schema, true);
}

/** The finishing pass over the whole generated document (see documentRoute for the per-route pass). */
export function finishDocument(document: Json): Json {
  hoistTitledSchemas(document);
  const components = document['components'] as Json;
  const schemas = components['schemas'] as Json;
  for (const [name, example] of Object.entries(EXAMPLES)) {
    if (isObject(schemas[name])) schemas[name] = { ...schemas[name], examples: [example] };
  }
  const responses: Json = {};
  for (const { name, description } of Object.values(ERROR_RESPONSES)) {
    responses[name] = {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  components['responses'] = { ...((components['responses'] as Json) ?? {}), ...responses };
  for (const [url, methods] of Object.entries(document['paths'] as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(methods)) {
      MEDIA[operation.operationId]?.(operation);
      for (const [code, answer] of Object.entries(operation.responses)) {
        if (isObject(answer) && answer['description'] === 'Default Response')
          answer['description'] = describe(code, answer);
      }
      const codes = errorCodesOf(url, method, operation);
      for (const code of codes) {
        operation.responses[code] ??= { $ref: `#/components/responses/${ERROR_RESPONSES[code]!.name}` };
      }
    }
  }
  document['tags'] = TAGS;
  return document;
}

const STATUS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No content' };

/** "The Session", "A page of Session", or the status text, for an answer the route did not describe. */
function describe(code: string, answer: Json): string {
  const schema = (answer['content'] as { 'application/json'?: { schema?: Json } } | undefined)?.['application/json']
    ?.schema;
  const named = (ref: unknown) => (typeof ref === 'string' ? ref.split('/').at(-1) : undefined);
  const one = named(schema?.['$ref']);
  if (one) return `The ${one}`;
  const items = (schema?.['properties'] as { items?: { items?: Json } } | undefined)?.items?.items;
  const many = named(items?.['$ref']);
  if (many) return `${many} items${schema && 'next_cursor' in (schema['properties'] as Json) ? ', one page' : ''}`;
  return STATUS_TEXT[code] ?? `Status ${code}`;
}

/** The 4xx answers an operation can give, from what it takes and whether it needs credentials. */
function errorCodesOf(url: string, method: string, operation: Operation): string[] {
  const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
  const takesInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
  const jsonBody =
    isObject(operation.requestBody?.['content']) && 'application/json' in operation.requestBody['content'];
  const actsOnOne = url.includes('{');
  const codes: string[] = [];
  if (takesInput || method === 'post' || method === 'put' || method === 'patch') codes.push('400');
  if (!isPublic) codes.push('401', '403');
  if (actsOnOne) codes.push('404');
  if (method !== 'get' && (actsOnOne || CONFLICTING_CREATES.has(operation.operationId))) codes.push('409');
  if (operation.requestBody) codes.push('413');
  if (jsonBody) codes.push('415');
  codes.push('429');
  return codes;
}
