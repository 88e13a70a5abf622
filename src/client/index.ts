// `runplane/client`: a typed client of the Runplane HTTP API, generated from its OpenAPI document (schema.ts) and
// sent with openapi-fetch. Paths, parameters, bodies and answers are checked by the compiler; the runner agent
// makes every call through it.
//
//   const runplane = createRunplaneClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: process.env.RUNPLANE_API_KEY });
//   const { data, error } = await runplane.GET('/v1/runners/sessions/{id}', { params: { path: { id } } });
import createClient, { type ClientOptions } from 'openapi-fetch';
// `.js`: resolved to schema.ts here, and to the emitted schema.d.ts in the package's declarations.
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };

type Schemas = components['schemas'];
export type ApiError = Schemas['Error'];
export type ApiKey = Schemas['ApiKey'];
export type Artifact = Schemas['Artifact'];
export type Attempt = Schemas['Attempt'];
export type AuditRecord = Schemas['AuditRecord'];
export type Checkpoint = Schemas['Checkpoint'];
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type Event = Schemas['Event'];
export type Grant = Schemas['Grant'];
export type HarnessRevision = Schemas['HarnessRevision'];
export type NewEvent = Schemas['NewEvent'];
export type Profile = Schemas['Profile'];
export type PullRequest = Schemas['PullRequest'];
export type Review = Schemas['Review'];
export type ReviewComment = Schemas['ReviewComment'];
export type Runner = Schemas['Runner'];
export type Session = Schemas['Session'];
export type Task = Schemas['Task'];
export type User = Schemas['User'];

export interface RunplaneClientOptions extends Omit<ClientOptions, 'headers'> {
  /** The server's address, e.g. http://127.0.0.1:8080. */
  baseUrl: string;
  /** An API key (rp_…) or a JWT, sent as a bearer token. */
  apiKey?: string;
  headers?: Record<string, string>;
}

export function createRunplaneClient({ apiKey, headers, ...options }: RunplaneClientOptions) {
  return createClient<paths>({
    ...options,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...headers },
  });
}

export type RunplaneClient = ReturnType<typeof createRunplaneClient>;
