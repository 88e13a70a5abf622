// Permission requests (issue 16): asked by one attempt of a session, decided by its policy or by a person.
//
// A pending request is over as soon as its attempt is (the session moved to another attempt, left running, or its
// lease lapsed) or its deadline passed. Every read states that as `expired` at once (EFFECTIVE_STATE); the sweep
// (expirePendingRequests) writes it down later with the session's event, so no reader waits for the sweep.
import type { PermissionRequest, PermissionRequestState } from '../../core/types.ts';
import type { Queryable } from '../db.ts';

interface RequestRow {
  id: string;
  org_id: string;
  item_id: string;
  attempt: number;
  runner_id: string | null;
  scope: string;
  resource: string;
  reason: string;
  ttl_seconds: number;
  state: PermissionRequestState;
  decided_by: string | null;
  rule_index: number | null;
  note: string | null;
  grant_id: string | null;
  grant_expires_at: Date | null;
  token_delivered_at: Date | null;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
}

const toRequest = (row: RequestRow): PermissionRequest => ({
  id: row.id,
  orgId: row.org_id,
  sessionId: row.item_id,
  attempt: row.attempt,
  runnerId: row.runner_id,
  scope: row.scope,
  resource: row.resource,
  reason: row.reason,
  ttlSeconds: row.ttl_seconds,
  state: row.state,
  decidedBy: row.decided_by,
  ruleIndex: row.rule_index,
  note: row.note,
  grantId: row.grant_id,
  grantExpiresAt: row.grant_expires_at,
  tokenDelivered: row.token_delivered_at !== null,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  decidedAt: row.decided_at,
});

/** A pending request of `r` whose attempt on `i` is over, or whose deadline passed. */
const OVER = `(r.expires_at <= now() or i.attempt <> r.attempt or i.state not in ('dispatched', 'running')
  or coalesce(i.lease_expires_at < now(), false))`;

/** The request's state as of now: a pending request that is over reads `expired` before the sweep writes it. */
const EFFECTIVE_STATE = `case when r.state = 'pending' and ${OVER} then 'expired' else r.state end`;

const COLUMNS = `r.id, r.org_id, r.item_id, r.attempt, r.runner_id, r.scope, r.resource, r.reason, r.ttl_seconds,
  ${EFFECTIVE_STATE} as state, r.decided_by, r.rule_index, r.note, r.grant_id, r.grant_expires_at,
  r.token_delivered_at, r.created_at, r.expires_at,
  case when r.state = 'pending' and ${OVER} then least(r.expires_at, now()) else r.decided_at end as decided_at`;

export interface NewPermissionRequest {
  id: string;
  orgId: string;
  sessionId: string;
  attempt: number;
  runnerId: string | null;
  scope: string;
  resource: string;
  reason: string;
  ttlSeconds: number;
  /** Decided at once by a rule (`approved`, `denied`), or `pending`. */
  state: PermissionRequestState;
  decidedBy: string | null;
  ruleIndex: number | null;
  /** The grant's lifetime from now, for a request approved at once. */
  grantTtlSeconds: number | null;
  /** How long a pending request waits for a person at most. */
  timeoutSeconds: number;
}

export async function insertPermissionRequest(q: Queryable, request: NewPermissionRequest): Promise<PermissionRequest> {
  const rows = await q.query<RequestRow>(
    `with r as (
       insert into permission_requests (id, org_id, item_id, attempt, runner_id, scope, resource, reason, ttl_seconds,
                                        state, decided_by, rule_index, grant_expires_at, expires_at, decided_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
               now() + $13::integer * interval '1 second', now() + $14 * interval '1 second',
               case when $10 = 'pending' then null else now() end)
       returning *
     )
     select * from r`,
    [
      request.id,
      request.orgId,
      request.sessionId,
      request.attempt,
      request.runnerId,
      request.scope,
      request.resource,
      request.reason,
      request.ttlSeconds,
      request.state,
      request.decidedBy,
      request.ruleIndex,
      request.grantTtlSeconds,
      request.timeoutSeconds,
    ],
  );
  return toRequest(rows[0]!);
}

/** One request of a session of the org, as of now; `forUpdate` locks it. */
export async function getPermissionRequest(
  q: Queryable,
  orgId: string,
  sessionId: string | null,
  id: string,
  forUpdate = false,
): Promise<PermissionRequest | null> {
  const rows = await q.query<RequestRow>(
    `select ${COLUMNS} from permission_requests r join items i on i.id = r.item_id
     where r.org_id = $1 and r.id = $2 and ($3::text is null or r.item_id = $3)
     ${forUpdate ? 'for update of r' : ''}`,
    [orgId, id, sessionId],
  );
  return rows[0] ? toRequest(rows[0]) : null;
}

export interface RequestFilter {
  state: PermissionRequestState | null;
  sessionId: string | null;
  /** Requests created before this one (the cursor: its id), newest first. */
  beforeId: string | null;
  limit: number;
}

/** The org's requests, oldest first for `pending` (the queue a person works through), newest first otherwise. */
export async function listPermissionRequests(
  q: Queryable,
  orgId: string,
  filter: RequestFilter,
): Promise<PermissionRequest[]> {
  const oldestFirst = filter.state === 'pending';
  const rows = await q.query<RequestRow>(
    `select ${COLUMNS} from permission_requests r join items i on i.id = r.item_id
     where r.org_id = $1 and ($2::text is null or r.item_id = $2)
       and ($3::text is null or (${EFFECTIVE_STATE}) = $3)
       and ($3::text is distinct from 'pending' or r.state = 'pending')
       and ($4::text is null or (r.created_at, r.id) ${oldestFirst ? '>' : '<'}
            (select c.created_at, c.id from permission_requests c where c.id = $4 and c.org_id = $1))
     order by r.created_at ${oldestFirst ? 'asc' : 'desc'}, r.id ${oldestFirst ? 'asc' : 'desc'}
     limit $5`,
    [orgId, filter.sessionId, filter.state, filter.beforeId, filter.limit],
  );
  return rows.map(toRequest);
}

/** Pending requests of the org (as of now): the console's badge and the metric. */
export async function countPendingRequests(q: Queryable, orgId: string | null): Promise<number> {
  const rows = await q.query<{ count: string }>(
    `select count(*) as count from permission_requests r join items i on i.id = r.item_id
     where r.state = 'pending' and ($1::text is null or r.org_id = $1) and not ${OVER}`,
    [orgId],
  );
  return Number(rows[0]?.count ?? 0);
}

/** Pending requests (as of now) by org slug, for the metric. */
export async function pendingRequestsByOrg(q: Queryable): Promise<{ orgSlug: string; count: number }[]> {
  const rows = await q.query<{ slug: string; count: string }>(
    `select o.slug, count(*) as count from permission_requests r join items i on i.id = r.item_id
       join orgs o on o.id = r.org_id
     where r.state = 'pending' and not ${OVER}
     group by o.slug`,
  );
  return rows.map((row) => ({ orgSlug: row.slug, count: Number(row.count) }));
}

/** A person's decision on a pending request (the caller locked it and checked it is pending). */
export async function decidePermissionRequest(
  q: Queryable,
  id: string,
  decision: { state: 'approved' | 'denied'; decidedBy: string; note: string | null; grantTtlSeconds: number | null },
): Promise<PermissionRequest> {
  const rows = await q.query<RequestRow>(
    `with r as (
       update permission_requests set state = $2, decided_by = $3, note = $4,
         grant_expires_at = now() + $5::integer * interval '1 second', decided_at = now()
       where id = $1 and state = 'pending'
       returning *
     )
     select * from r`,
    [id, decision.state, decision.decidedBy, decision.note, decision.grantTtlSeconds],
  );
  if (!rows[0]) throw new Error(`permission request ${id} was not pending under its lock`);
  return toRequest(rows[0]);
}

/**
 * Marks an approved request's token handed out, with the grant minted for it; null when it was handed out
 * already (each token is answered once).
 */
export async function markTokenDelivered(q: Queryable, id: string, grantId: string): Promise<boolean> {
  const rows = await q.query<{ id: string }>(
    `update permission_requests set token_delivered_at = now(), grant_id = $2
     where id = $1 and state = 'approved' and token_delivered_at is null
     returning id`,
    [id, grantId],
  );
  return rows.length === 1;
}

/** Pending requests that are over (any org), oldest first: what the sweep writes down as expired. */
export async function overdueRequests(
  q: Queryable,
  limit: number,
): Promise<{ id: string; orgId: string; sessionId: string }[]> {
  const rows = await q.query<{ id: string; org_id: string; item_id: string }>(
    `select r.id, r.org_id, r.item_id from permission_requests r join items i on i.id = r.item_id
     where r.state = 'pending' and ${OVER}
     order by r.created_at
     limit $1`,
    [limit],
  );
  return rows.map((row) => ({ id: row.id, orgId: row.org_id, sessionId: row.item_id }));
}

/** Writes down `expired` for one request if it is still pending and over (the caller holds its item's lock). */
export async function expireRequest(q: Queryable, id: string): Promise<PermissionRequest | null> {
  const rows = await q.query<RequestRow>(
    `with r as (
       update permission_requests p set state = 'expired', decided_at = least(p.expires_at, now())
       from permission_requests r join items i on i.id = r.item_id
       where p.id = $1 and r.id = p.id and r.state = 'pending' and ${OVER}
       returning p.*
     )
     select * from r`,
    [id],
  );
  return rows[0] ? toRequest(rows[0]) : null;
}
