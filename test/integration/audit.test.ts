// The audit log: mutations are recorded, high-volume runner writes are not recorded row by row, old records are
// deleted after the retention, and the actor/target filters have indexes to use.
import { describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/core/maintenance.ts';
import { createReview, register } from '../support/review-fixtures.ts';
import { useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

const ALL = ['runners:read', 'runners:write', 'runners:dispatch', 'admin'] as const;
const quiet = { warn() {}, error() {} };

describe.each(STORE_KINDS)('the audit log on the %s store', (kind) => {
  const t = useTestServer(kind);

  it('records a cancel but not heartbeats or log batches', async () => {
    const api = await t.client([...ALL]);
    await register(api, 'r1');
    const review = await createReview(api);
    await api.get('/api/runners/tasks/pending?runnerId=r1');
    await api.post('/api/runners/r1/heartbeat', { status: 'busy', currentJobs: 1 });
    await api.post(`/api/runners/tasks/${review.taskId}/logs`, { logs: ['a'] });
    await api.post(`/api/reviews/${review.id}/cancel`);
    const actions = (await api.get('/v1/audit?limit=100')).body.items.map((r: { action: string }) => r.action);
    expect(actions).toContain('POST /api/reviews/:id/cancel');
    expect(actions.some((action: string) => action.includes('heartbeat') || action.endsWith('/logs'))).toBe(false);
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
