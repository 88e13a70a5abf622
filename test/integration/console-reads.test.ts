// What the console's pages read besides the contracts, over real HTTP on each store: a session's attempts, a
// runner's recent claims, and profiles created with a readable id.
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('console reads on the %s store', (kind) => {
  const t = useTestServer(kind);

  it('a session’s attempts and a runner’s claims tell who ran what, when, and how it ended; 404 across orgs', async () => {
    const api = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    const other = await t.client(['runners:read'], { org: 'globex' });
    const profile = (await api.post('/v1/runners/profiles', { name: 'jobs' })).body.id;
    const session = (await api.post('/v1/runners/sessions', { profile_id: profile, task_id: 'job-1', input: {} })).body;
    expect((await api.get(`/v1/runners/sessions/${session.id}/attempts`)).body.items).toEqual([]);

    await api.post('/api/runners/register', undefined, { 'x-runner-id': 'box-1' });
    await api.post('/api/runners/register', undefined, { 'x-runner-id': 'box-2' });
    expect((await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'box-1' })).status).toBe(200);
    // box-1 goes away: its claim is released, box-2 takes the session and finishes it.
    await api.delete('/api/runners/box-1');
    expect((await api.post(`/v1/runners/sessions/${session.id}/claim`, { runner_id: 'box-2' })).status).toBe(200);
    await api.call(
      'PATCH',
      `/v1/runners/sessions/${session.id}`,
      { state: 'succeeded', result: { ok: true } },
      {
        'x-runplane-attempt': '2',
      },
    );

    const attempts = (await api.get(`/v1/runners/sessions/${session.id}/attempts`)).body.items;
    expect(
      attempts.map((a: { attempt: number; runner_id: string; outcome: string }) => [a.attempt, a.runner_id, a.outcome]),
    ).toEqual([
      [1, 'box-1', expect.any(String)],
      [2, 'box-2', 'succeeded'],
    ]);
    expect(attempts.every((a: { ended_at: string | null }) => a.ended_at !== null)).toBe(true);

    const claims = (await api.get('/api/runners/box-2/attempts')).body.data;
    expect(claims).toEqual([
      expect.objectContaining({
        taskId: session.id,
        externalTaskId: 'job-1',
        state: 'succeeded',
        outcome: 'succeeded',
      }),
    ]);
    expect((await api.get('/api/runners/box-1/attempts?limit=0')).status).toBe(400);
    expect((await other.get(`/v1/runners/sessions/${session.id}/attempts`)).status).toBe(404);
    expect((await other.get('/api/runners/box-2/attempts')).status).toBe(404);
  });

  it('a profile may be created with a readable id; a taken or malformed id is refused naming it', async () => {
    const api = await t.client(['runners:read', 'runners:write']);
    const created = await api.post('/v1/runners/profiles', { name: 'Nightly', id: 'nightly' });
    expect(created.status).toBe(201);
    expect(created.body.id).toBe('nightly');
    expect((await api.get('/v1/runners/profiles/nightly')).body.name).toBe('Nightly');
    const taken = await api.post('/v1/runners/profiles', { name: 'Other', id: 'nightly' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('id_taken');
    const builtin = await api.post('/v1/runners/profiles', { name: 'Mine', id: 'ai-review' });
    expect(builtin.status).toBe(409);
    for (const id of ['Nightly', '-x', 'a/b', '']) {
      const bad = await api.post('/v1/runners/profiles', { name: `n-${id}`, id });
      expect(bad.status, id).toBe(400);
      expect(bad.body.error.message).toContain('id');
    }
    const name = await api.post('/v1/runners/profiles', { name: 'Nightly', id: 'nightly-2' });
    expect(name.body.error.code).toBe('name_taken');
  });
});
