// An org's own row: its kill switch (the org's keys and slug live in keys.ts).
import type { Queryable } from '../db.ts';

export interface OrgSuspension {
  orgId: string;
  suspendedAt: Date | null;
  suspendedReason: string | null;
}

/** Locks the org row for update (a suspension waits for dispatches holding it, and they for it). */
export async function lockOrg(q: Queryable, orgId: string): Promise<void> {
  await q.query('select 1 from orgs where id = $1 for update', [orgId]);
}

/** Suspends (a reason) or unsuspends (null) the org the caller has locked. */
export async function setOrgSuspension(q: Queryable, orgId: string, reason: string | null): Promise<OrgSuspension> {
  const rows = await q.query<{ id: string; suspended_at: Date | null; suspended_reason: string | null }>(
    `update orgs set suspended_at = case when $2::text is null then null else now() end, suspended_reason = $2::text
     where id = $1 returning id, suspended_at, suspended_reason`,
    [orgId, reason],
  );
  const row = rows[0]!;
  return { orgId: row.id, suspendedAt: row.suspended_at, suspendedReason: row.suspended_reason };
}

/** The ids of the org's unfinished items (of one profile, or all), oldest first: what a suspension cancels. */
export async function openItemIds(q: Queryable, orgId: string, profileId: string | null): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `select id from items where org_id = $1 and ($2::text is null or profile_id = $2)
       and state not in ('succeeded', 'failed', 'cancelled', 'cancel_requested')
     order by created_at, id`,
    [orgId, profileId],
  );
  return rows.map((row) => row.id);
}

/**
 * Unfinished items (not yet being cancelled) of suspended profiles and suspended orgs, by org: what a suspension
 * cancels. Read from the suspended side, so it costs nothing while nothing is suspended.
 */
export async function itemsOfSuspended(q: Queryable, max: number): Promise<{ orgId: string; id: string }[]> {
  const rows = await q.query<{ org_id: string; id: string }>(
    `select org_id, id from (
       select i.org_id, i.id, i.created_at from profiles p
       join items i on i.org_id = p.org_id and i.profile_id = p.id
       where p.suspended_at is not null and i.state in ('pending', 'dispatched', 'running', 'paused')
       union
       select i.org_id, i.id, i.created_at from orgs o
       join items i on i.org_id = o.id
       where o.suspended_at is not null and i.state in ('pending', 'dispatched', 'running', 'paused')
     ) open
     order by created_at, id
     limit $1`,
    [max],
  );
  return rows.map((row) => ({ orgId: row.org_id, id: row.id }));
}
