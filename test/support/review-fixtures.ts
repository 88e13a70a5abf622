// Request bodies shaped like the review contract, shared by the tests that need a review to work on.
import type { Client } from './server.ts';

export const reviewBody = (overrides: Record<string, unknown> = {}) => ({
  repositoryUrl: 'https://git.example.com/acme/app.git',
  branch: 'feature/x',
  commitSha: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
  baseSha: '0123456789abcdef0123456789abcdef01234567',
  files: [{ path: 'src/app.ts', status: 'modified', patch: '@@ -1,2 +1,3 @@\n a\n+b\n c' }],
  aiConfig: { provider: 'openai', model: 'gpt-test' },
  ...overrides,
});

export const resultBody = (runnerId: string, overrides: Record<string, unknown> = {}) => ({
  runnerId,
  status: 'success',
  files: [
    { path: 'src/app.ts', comments: [{ line: 2, severity: 'minor', body: 'Consider a name that says what b holds.' }] },
  ],
  totalComments: 1,
  rating: 'B',
  metrics: { durationMs: 1200 },
  ...overrides,
});

export async function register(api: Client, id: string, headers: Record<string, string> = {}) {
  const reply = await api.post('/api/runners/register', undefined, { 'x-runner-id': id, ...headers });
  if (reply.status !== 200) throw new Error(`register ${id}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.data;
}

export async function createReview(api: Client, overrides: Record<string, unknown> = {}) {
  const reply = await api.post('/api/reviews', reviewBody(overrides));
  if (reply.status !== 201) throw new Error(`create review: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.data;
}

export async function claim(api: Client, runnerId: string, query = '') {
  const reply = await api.get(`/api/runners/tasks/pending?runnerId=${encodeURIComponent(runnerId)}${query}`);
  if (reply.status !== 200) throw new Error(`claim: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.data as any[];
}

/** Lets the org of `admin` (an admin key) post reviews to `repositories` of `provider`. */
export async function bindRepositories(admin: Client, provider: 'github' | 'gitlab', repositories: string[]) {
  const reply = await admin.call('PUT', `/v1/integrations/${provider}`, { repositories });
  if (reply.status !== 200) throw new Error(`bind ${provider}: ${reply.status} ${JSON.stringify(reply.body)}`);
}
