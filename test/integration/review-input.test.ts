// Review fields are what a runner hands to git: both ways of creating review work check them before storing.
import { describe, expect, it } from 'vitest';
import { reviewBody } from '../support/review-fixtures.ts';
import { useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('review input on the %s store', (kind) => {
  const t = useTestServer(kind);

  it.each([
    ['branch', { branch: '--upload-pack=touch /tmp/x;' }],
    ['branch', { branch: 'a..b' }],
    ['branch', { branch: 'feature x' }],
    ['repositoryUrl', { repositoryUrl: 'ext::sh -c touch% /tmp/x' }],
    ['repositoryUrl', { repositoryUrl: '-oProxyCommand=touch /tmp/x' }],
    ['commitSha', { commitSha: 'a1b2 c3d4' }],
    ['commitSha', { commitSha: 'a1b2c3d' }],
    ['repositoryUrl', { repositoryUrl: 'http://git.example.com/acme/app.git' }],
  ])(
    'POST /api/reviews refuses a hostile %s (%j) with 400 naming it, and creates nothing',
    async (field, overrides) => {
      const api = await t.client(['runners:read', 'runners:dispatch']);
      const reply = await api.post('/api/reviews', reviewBody(overrides));
      expect(reply.status).toBe(400);
      expect(reply.body.error).toMatchObject({ code: 'invalid_request', field });
      expect((await api.get('/api/reviews')).body.data).toEqual([]);
    },
  );

  it('accepts the URL and branch forms git users write', async () => {
    const api = await t.client(['runners:read', 'runners:dispatch']);
    for (const overrides of [
      { repositoryUrl: 'git@github.com:acme/app.git', branch: 'release/1.2' },
      { repositoryUrl: 'ssh://git@host:22/acme/app.git', branch: 'dependabot/npm_and_yarn/x-1.0' },
      { repositoryUrl: 'file:///srv/git/app.git', branch: 'main' },
    ]) {
      expect((await api.post('/api/reviews', reviewBody(overrides))).status).toBe(201);
    }
  });

  it('a /v1 session of the ai-review profile must carry a review’s fields: input {} → 400 naming the first missing one', async () => {
    const api = await t.client(['runners:read', 'runners:dispatch']);
    const empty = await api.post('/v1/runners/sessions', { profile_id: 'ai-review', task_id: 't1', input: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ code: 'invalid_request', field: 'input.repositoryUrl' });
    const hostile = await api.post('/v1/runners/sessions', {
      profile_id: 'ai-review',
      task_id: 't2',
      input: reviewBody({ branch: '-x' }),
    });
    expect(hostile.body.error).toMatchObject({ code: 'invalid_request', field: 'input.branch' });
    const fine = await api.post('/v1/runners/sessions', {
      profile_id: 'ai-review',
      task_id: 't3',
      input: reviewBody(),
    });
    expect(fine.status).toBe(201);
    expect((await api.get('/v1/runners/sessions')).body.items).toHaveLength(1);
  });
});
