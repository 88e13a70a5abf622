// The audit log: mutations are recorded, high-volume runner writes are not recorded row by row, old records are
// deleted after the retention, and the actor/target filters have indexes to use.
import { describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/core/maintenance.ts';
import { createReview, register, resultBody, reviewBody } from '../support/review-fixtures.ts';
import { type Reply, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

const ALL = ['runners:read', 'runners:write', 'runners:dispatch', 'admin'] as const;
const quiet = { warn() {}, error() {} };

describe.each(STORE_KINDS)('the audit log on the %s store', (kind) => {
  const t = useTestServer(kind);

  it('records a cancel but not heartbeats, log batches or phase reports', async () => {
    const api = await t.client([...ALL]);
    await register(api, 'r1');
    const review = await createReview(api);
    await api.get('/api/runners/tasks/pending?runnerId=r1');
    await api.post('/api/runners/r1/heartbeat', { status: 'busy', currentJobs: 1 });
    await api.post(`/api/runners/tasks/${review.taskId}/logs`, { logs: ['a'] });
    expect((await api.post(`/api/runners/tasks/${review.taskId}/status`, { status: 'cloning' })).status).toBe(200);
    await api.post(`/api/reviews/${review.id}/cancel`);
    const actions = (await api.get('/v1/audit?limit=100')).body.items.map((r: { action: string }) => r.action);
    expect(actions).toContain('POST /api/reviews/:id/cancel');
    expect(
      actions.some((action: string) => /heartbeat|\/logs$|\/status$/.test(action)),
      actions.join(', '),
    ).toBe(false);
  });

  // xmin is the id of the transaction that wrote a row version: the audit row and the changed row share it exactly
  // when they were committed together.
  async function auditedWith(reply: Reply, table: string, where: string, ...params: unknown[]) {
    expect(reply.status, JSON.stringify(reply.body)).toBeLessThan(300);
    const requestId = reply.headers.get('x-request-id');
    const rows = await t.db.query<{ action: string; target: string; same: boolean }>(
      `select a.action, a.target, a.xmin::text = (select x.xmin::text from ${table} x where ${where}) as same
       from audit_log a where a.request_id = $1`,
      [requestId, ...params],
    );
    expect(rows, `audit rows of ${requestId}`).toHaveLength(1);
    expect(rows[0]!.same, `${rows[0]!.action} committed with the change`).toBe(true);
    return rows[0]!;
  }

  it('every domain mutation writes its audit row in the transaction that makes the change', async () => {
    const api = await t.client([...ALL]);
    const item = (id: string) => ['items', 'id = $2', id] as const;

    // Review facade: register, create, claim, result, cancel (a phase report is runner progress, not audited).
    const registered = await api.post('/api/runners/register', undefined, { 'x-runner-id': 'r-audit' });
    await auditedWith(registered, 'runners', `id = $2`, 'r-audit');
    const created = await api.post('/api/reviews', reviewBody());
    expect((await auditedWith(created, 'reviews', 'id = $2', created.body.data.id)).target).toBe(created.body.data.id);
    const claimed = await api.get('/api/runners/tasks/pending?runnerId=r-audit');
    const taskId = claimed.body.data[0].id;
    expect((await auditedWith(claimed, ...item(taskId))).target).toBe(taskId);
    const writer = { 'x-runner-id': 'r-audit', 'x-runplane-attempt': '1' };
    expect((await api.post(`/api/runners/tasks/${taskId}/status`, { status: 'reviewing' }, writer)).status).toBe(200);
    await auditedWith(
      await api.post(`/api/runners/tasks/${taskId}/result`, resultBody('r-audit', { attempt: 1 })),
      ...item(taskId),
    );
    const other = await createReview(api);
    const cancelled = await api.post(`/api/reviews/${other.id}/cancel`);
    await auditedWith(cancelled, ...item(other.taskId));

    // Governed facade: profile, harness, dispatch, claim, patch, checkpoint, resume, artifact, grant, revoke, cancel.
    const profile = await api.post('/v1/runners/profiles', { name: 'audited' });
    await auditedWith(profile, 'profiles', 'id = $2', profile.body.id);
    const renamed = await api.call('PUT', `/v1/runners/profiles/${profile.body.id}`, { name: 'audited-2' });
    await auditedWith(renamed, 'profiles', 'id = $2', profile.body.id);
    const harness = await api.post(`/v1/runners/profiles/${profile.body.id}/harnesses`, {
      version: '1.0.0',
      image_ref: 'ghcr.io/acme/harness:1',
    });
    await auditedWith(harness, 'harness_revisions', 'id = $2', harness.body.id);
    const dispatched = await api.post('/v1/runners/sessions', { profile_id: profile.body.id, task_id: 't', input: {} });
    const sessionId = dispatched.body.id;
    await auditedWith(dispatched, ...item(sessionId));
    await auditedWith(
      await api.post(`/v1/runners/sessions/${sessionId}/claim`, { runner_id: 'r-v1' }),
      ...item(sessionId),
    );
    const attempt1 = { 'x-runplane-attempt': '1' };
    await auditedWith(
      await api.call('PATCH', `/v1/runners/sessions/${sessionId}`, { state: 'running' }, attempt1),
      ...item(sessionId),
    );
    const upload = await fetch(`${t.server.url}/v1/runners/sessions/${sessionId}/artifacts?name=a.txt`, {
      method: 'POST',
      headers: { authorization: api.authorization, 'content-type': 'text/plain', ...attempt1 },
      body: 'hi',
    });
    const artifact = { status: upload.status, headers: upload.headers, body: (await upload.json()) as any };
    expect((await auditedWith(artifact, 'artifacts', 'id = $2', artifact.body.id)).target).toBe(
      `${sessionId}/${artifact.body.id}`,
    );
    const grant = await api.post(`/v1/runners/sessions/${sessionId}/permissions`, {
      scope: 'runners:read',
      reason: 'audit',
      ttl_seconds: 60,
    });
    await auditedWith(grant, 'permission_grants', 'id = $2', grant.body.id);
    const revoked = await api.delete(`/v1/runners/sessions/${sessionId}/permissions/${grant.body.id}`);
    await auditedWith(revoked, 'permission_grants', 'id = $2', grant.body.id);
    const paused = await api.post(
      `/v1/runners/sessions/${sessionId}/checkpoint`,
      { data: { n: 1 }, pause: true },
      attempt1,
    );
    await auditedWith(paused, ...item(sessionId));
    await auditedWith(await api.post(`/v1/runners/sessions/${sessionId}/resume`), ...item(sessionId));
    await auditedWith(await api.post(`/v1/runners/sessions/${sessionId}/cancel`), ...item(sessionId));

    // Heartbeats and log batches are not recorded row by row.
    const beat = await api.post('/api/runners/r-audit/heartbeat', { status: 'idle', currentJobs: 0 });
    const rows = await t.db.query('select 1 from audit_log where request_id = $1', [beat.headers.get('x-request-id')]);
    expect(rows).toHaveLength(0);
  });

  it('deletes records older than the retention and keeps newer ones', async () => {
    const api = await t.client([...ALL]);
    await createReview(api);
    await t.server.core.audit.flush();
    const [org] = await t.db.query<{ id: string }>(`select id from orgs where slug = 'acme'`);
    await t.db.query(
      `insert into audit_log (org_id, actor, action, target, at) values ($1, 'key_old', 'POST /old', null, now() - interval '400 days')`,
      [org!.id],
    );
    await runMaintenance(t.server.core, quiet);
    const rows = await t.db.query<{ actor: string }>('select actor from audit_log order by id');
    expect(rows.map((row) => row.actor)).not.toContain('key_old');
    expect(rows.length).toBeGreaterThan(0);
  });

  it.runIf(kind === 'postgres')('actor and target filters are answered from their indexes', async () => {
    const [org] = await t.db.query<{ id: string }>(
      `insert into orgs (id, slug) values ('org_plan', 'plan') returning id`,
    );
    await t.db.query(
      `insert into audit_log (org_id, actor, action, target, at)
       select $1, 'key_' || (g % 50), 'POST /x', 'item_' || (g % 500), now() from generate_series(1, 20000) g`,
      [org!.id],
    );
    await t.db.query('analyze audit_log');
    for (const [column, value] of [
      ['actor', 'key_7'],
      ['target', 'item_7'],
    ]) {
      const plan = await t.db.query<{ 'QUERY PLAN': string }>(
        `explain select * from audit_log where org_id = $1 and ${column} = $2 order by id desc limit 50`,
        [org!.id, value],
      );
      expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain(`audit_log_by_${column}`);
    }
  });
});
