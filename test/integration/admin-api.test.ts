// /v1/admin/keys (issue 14): an admin makes, lists and revokes its org's keys over HTTP while the server runs;
// the secret is answered once, other orgs' keys are invisible (404), non-admins are refused, every change is audited.
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('the admin keys API on the %s store', (kind) => {
  const t = useTestServer(kind);

  it('creates a key whose secret is shown once and works at once; lists it without the secret; revokes it', async () => {
    const admin = await t.client(['admin']);
    const created = await admin.post('/v1/admin/keys', { name: 'ci dispatcher', scopes: ['runners:dispatch'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'ci dispatcher',
      kind: 'operator',
      scopes: ['runners:dispatch'],
      revoked_at: null,
    });
    expect(created.body.key).toMatch(/^rp_/);

    const listed = await admin.get('/v1/admin/keys');
    expect(listed.status).toBe(200);
    const entry = listed.body.items.find((key: { id: string }) => key.id === created.body.id);
    expect(entry).toEqual({ ...created.body, key: undefined });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);

    const { client } = await import('../support/server.ts');
    const dispatcher = client(t.server.url, created.body.key);
    expect((await dispatcher.get('/v1/runners/sessions')).status).toBe(403); // dispatch scope only: no read
    expect((await dispatcher.post('/v1/runners/sessions', {})).status).toBe(400); // authenticated, body refused

    const revoked = await admin.delete(`/v1/admin/keys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    expect((await dispatcher.post('/v1/runners/sessions', {})).status).toBe(401);
    expect((await admin.delete(`/v1/admin/keys/${created.body.id}`)).status).toBe(200); // idempotent

    const audit = await t.db.query<{ action: string; target: string }>(
      `select action, target from audit_log where target = $1 order by id`,
      [created.body.id],
    );
    expect(audit.map((row) => row.action)).toEqual([
      'POST /v1/admin/keys',
      'DELETE /v1/admin/keys/:id',
      'DELETE /v1/admin/keys/:id',
    ]);
  });

  it('a runner key defaults to the runner scopes; a standard key needs scopes; bad input is a 400 naming the field', async () => {
    const admin = await t.client(['admin']);
    const runner = await admin.post('/v1/admin/keys', { kind: 'runner' });
    expect(runner.status).toBe(201);
    expect(runner.body).toMatchObject({ kind: 'runner', scopes: ['runners:read', 'runners:write'] });
    // `standard`, the kind's former name, is still understood and answered by its name now.
    const standard = await admin.post('/v1/admin/keys', { kind: 'standard', scopes: ['runners:read'] });
    expect(standard.body.kind).toBe('operator');
    for (const [body, field] of [
      [{}, 'scopes'],
      [{ scopes: ['runners:fly'] }, 'scopes'],
      [{ scopes: [] }, 'scopes'],
      [{ scopes: ['admin'], kind: 'root' }, 'kind'],
      [{ scopes: ['admin'], name: '' }, 'name'],
    ] as const) {
      const reply = await admin.post('/v1/admin/keys', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.code).toBe('invalid_request');
      expect(reply.body.error.message).toContain(field);
    }
  });

  it('another org’s key is 404 and stays valid; without the admin scope every route is 403', async () => {
    const admin = await t.client(['admin']);
    const other = await t.client(['admin'], { org: 'globex' });
    const theirs = await other.post('/v1/admin/keys', { scopes: ['runners:read'] });
    expect((await admin.delete(`/v1/admin/keys/${theirs.body.id}`)).status).toBe(404);
    expect((await admin.get('/v1/admin/keys')).body.items.map((key: { id: string }) => key.id)).not.toContain(
      theirs.body.id,
    );
    const { client } = await import('../support/server.ts');
    expect((await client(t.server.url, theirs.body.key).get('/v1/runners/sessions')).status).toBe(200);

    const operator = await t.client(['runners:read', 'runners:write', 'runners:dispatch']);
    expect((await operator.get('/v1/admin/keys')).status).toBe(403);
    expect((await operator.post('/v1/admin/keys', { scopes: ['admin'] })).status).toBe(403);
    expect((await operator.delete(`/v1/admin/keys/${theirs.body.id}`)).status).toBe(403);
  });
});
