// What the generated OpenAPI document says beyond the route schemas, so client generators get good names:
// an operationId for every operation (unless a route names its own), a summary when a route has none, the shared
// 4xx error shape on every operation, and optional query parameters and headers where the server has a default.
import { Type } from 'typebox';

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

export function documentRoute(schema: RouteSchema, method: string, url: string): RouteSchema {
  const copy: RouteSchema = { ...schema };
  copy['operationId'] ??= operationIdFor(method, url);
  copy['summary'] ??= summaryFor(copy['operationId'] as string);
  // Documentation only: the route's own response schemas (what Fastify serialises with) are left as they are.
  const response = { ...((copy['response'] ?? {}) as Record<string, unknown>) };
  if (!Object.keys(response).some((code) => code.startsWith('2'))) response['200'] = { description: 'Success' };
  if (!Object.keys(response).some((code) => code.startsWith('4'))) response['4xx'] = Type.Ref('Error');
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
