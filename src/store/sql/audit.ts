// The audit log: who changed what, when, under which request.
import { json, type Queryable } from '../db.ts';

export interface AuditRecord {
  id: number;
  orgId: string;
  actor: string;
  action: string;
  target: string | null;
  requestId: string | null;
  at: Date;
}

export type NewAuditRecord = Omit<AuditRecord, 'id' | 'at'> & { at: Date };

/** Appends a batch as one multi-row insert. */
export async function insertAuditRecords(q: Queryable, records: readonly NewAuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  await q.query(
    `insert into audit_log (org_id, actor, action, target, request_id, at)
     select r->>'orgId', r->>'actor', r->>'action', r->>'target', r->>'requestId', (r->>'at')::timestamptz
     from jsonb_array_elements($1::jsonb) as r`,
    [json(records)],
  );
}

/** Newest first; `before` is the id of the last record of the previous page. */
export async function listAuditRecords(
  q: Queryable,
  orgId: string,
  filter: {
    target: string | null;
    actor: string | null;
    /** Part of the action, e.g. `admin/keys` or `DELETE`. */
    action: string | null;
    since: Date | null;
    until: Date | null;
    before: number | null;
    limit: number;
  },
): Promise<AuditRecord[]> {
  const rows = await q.query<{
    id: number;
    org_id: string;
    actor: string;
    action: string;
    target: string | null;
    request_id: string | null;
    at: Date;
  }>(
    `select * from audit_log where org_id = $1 and ($2::text is null or target = $2) and ($3::text is null or actor = $3)
       and ($4::bigint is null or id < $4)
       and ($6::text is null or strpos(action, $6) > 0)
       and ($7::timestamptz is null or at >= $7) and ($8::timestamptz is null or at < $8)
     order by id desc limit $5`,
    [orgId, filter.target, filter.actor, filter.before, filter.limit, filter.action, filter.since, filter.until],
  );
  return rows.map((row) => ({
    id: row.id,
    orgId: row.org_id,
    actor: row.actor,
    action: row.action,
    target: row.target,
    requestId: row.request_id,
    at: row.at,
  }));
}

/** Deletes records older than `days` days, at most `batch` per call (so a large backlog never holds a long lock). */
export async function deleteAuditRecordsOlderThan(q: Queryable, days: number, batch: number): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `with old as (
       delete from audit_log where id in (
         select id from audit_log where at < now() - $1 * interval '1 day' order by at limit $2
       ) returning 1
     )
     select count(*)::int as n from old`,
    [days, batch],
  );
  return rows[0]?.n ?? 0;
}
