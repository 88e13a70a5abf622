// Reviews: a review is a work item of the built-in `ai-review` profile plus what the forge needs to post it.
// Its status and result live on the item (one source of truth); this table adds the pull request and the outbox.
import type { PullRequestRef, ReviewRecord } from '../../core/types.ts';
import { json, type Queryable } from '../db.ts';
import type { NewAuditRecord } from './audit.ts';
import {
  dispatchGate,
  FIRST_EVENT,
  type GateRow,
  gateRefusal,
  type NewItem,
  newItemValues,
  type ProfileRefusal,
  toItem,
} from './items.ts';

// Delivery over all destinations: failed if one failed, pending while one is not delivered, else delivered.
const SELECT_REVIEW = `select r.id as review_id, r.pull_request, r.created_at as review_created_at, i.*,
    (select case when count(*) = 0 then null when bool_or(o.status = 'failed') then 'failed'
                 when bool_or(o.status <> 'delivered') then 'pending' else 'delivered' end
     from outbox o where o.review_id = r.id) as delivery_status,
    (select o.last_error from outbox o where o.review_id = r.id and o.last_error is not null
     order by o.created_at desc limit 1) as delivery_error
  from reviews r join items i on i.id = r.item_id`;

// biome-ignore lint/suspicious/noExplicitAny: the joined row is the item row plus three review columns
const toReview = (row: any): ReviewRecord => ({
  id: row.review_id,
  orgId: row.org_id,
  pullRequest: row.pull_request,
  createdAt: row.review_created_at,
  delivery: row.delivery_status ?? null,
  deliveryError: row.delivery_error ?? null,
  item: toItem(row),
});

/**
 * A review dispatch as one statement (issue 13): its pending item with the first event, the review row and the
 * request's audit row (target: the review). Answers the review as getReview would (nothing delivered yet).
 */
export async function insertReviewItem(
  q: Queryable,
  item: Omit<NewItem, 'harnessRevisionId'>,
  review: { id: string; pullRequest: PullRequestRef | null },
  audit: NewAuditRecord | null,
): Promise<ReviewRecord | ProfileRefusal> {
  const rows = await q.query<Record<string, unknown> & GateRow>(
    `with profile as (
       ${dispatchGate('$2', '$3')}
     ), inserted as (
       insert into items (id, org_id, profile_id, task_id, state, required_tags, input, max_attempts, lease_ttl_ms,
                          last_event_seq, metadata)
       select $1, $2, $3, $4, 'pending', $5::text[], $6::jsonb, $7, $8, 1, $9::jsonb
       from profile where open
       returning *
     ), event as (
       ${FIRST_EVENT}
     ), review as (
       insert into reviews (id, org_id, item_id, pull_request) select $10, org_id, id, $11::jsonb from inserted
       returning id, pull_request, created_at
     ), audited as (
       insert into audit_log (org_id, actor, action, target, request_id, at)
       select org_id, $12, $13, $10, $14, now() from inserted where $12::text is not null
     )
     select p.profile_status, p.profile_suspended, p.org_suspended, r.id as review_id, r.pull_request,
            r.created_at as review_created_at, i.*
     from profile p left join inserted i on true left join review r on true`,
    [
      ...newItemValues(item),
      json(item.metadata ?? {}),
      review.id,
      json(review.pullRequest),
      audit?.actor ?? null,
      audit?.action ?? null,
      audit?.requestId ?? null,
    ],
  );
  const row = rows[0];
  if (!row) return 'missing';
  return row.id ? toReview(row) : (gateRefusal(row) ?? 'missing');
}

export async function getReview(q: Queryable, orgId: string, id: string): Promise<ReviewRecord | null> {
  const rows = await q.query(`${SELECT_REVIEW} where r.id = $1 and r.org_id = $2`, [id, orgId]);
  return rows[0] ? toReview(rows[0]) : null;
}

export async function getReviewByItem(q: Queryable, orgId: string, itemId: string): Promise<ReviewRecord | null> {
  const rows = await q.query(`${SELECT_REVIEW} where r.item_id = $1 and r.org_id = $2`, [itemId, orgId]);
  return rows[0] ? toReview(rows[0]) : null;
}

/** Newest first; `after` is the id of the last review of the previous page. */
export async function listReviews(
  q: Queryable,
  orgId: string,
  options: { states: string[] | null; limit: number; after: string | null },
): Promise<ReviewRecord[]> {
  const rows = await q.query(
    `${SELECT_REVIEW}
     where r.org_id = $1 and ($2::text[] is null or i.state = any($2::text[]))
       and ($4::text is null or (r.created_at, r.id) < (select c.created_at, c.id from reviews c where c.id = $4 and c.org_id = $1))
     order by r.created_at desc, r.id desc limit $3`,
    [orgId, options.states, options.limit, options.after],
  );
  return rows.map(toReview);
}
