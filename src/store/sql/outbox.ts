// The delivery outbox: rows written with a review's result, one per destination, drained by the delivery worker.
// A worker takes due rows under a short lock (SKIP LOCKED + locked_until), so instances never post a row at once.
import { json, type Queryable } from '../db.ts';

export interface OutboxEntry {
  id: string;
  orgId: string;
  reviewId: string;
  topic: string;
  destination: string;
  payload: unknown;
  attempts: number;
}

/**
 * Where a review finished as succeeded or failed is posted: destinations by its pull request's provider ('' for any
 * other or none), and fresh outbox ids to use, at least as many as the longest list (core/review-delivery.ts).
 */
export interface DeliveryPlan {
  destinations: Record<string, string[]>;
  ids: string[];
}

/**
 * The outbox rows of finished reviews as one INSERT … SELECT over `source` (item rows with id, org_id, state): one
 * row per destination of the review's provider in the plan (`plan`, `ids`: SQL parameters). Nothing for an item
 * without a review, for one that did not succeed or fail (a cancelled review posts nothing), or without a plan.
 * The review is found by its item, never by ids in the item's input (a dispatcher writes the input).
 */
export const insertDeliveries = (source: string, plan: string, ids: string) => `
  insert into outbox (id, org_id, review_id, topic, destination, payload)
  select (${ids}::text[])[d.n::int], s.org_id, r.id, 'review.completed', d.destination,
         jsonb_build_object('reviewId', r.id, 'taskId', s.id, 'status', s.state)
  from ${source} s
  join reviews r on r.item_id = s.id
  cross join lateral jsonb_array_elements_text(
    coalesce(${plan}::jsonb -> coalesce(r.pull_request ->> 'provider', ''), ${plan}::jsonb -> '')
  ) with ordinality as d(destination, n)
  where ${plan}::jsonb is not null and s.state in ('succeeded', 'failed')`;

const INSERT_ITEM_DELIVERIES = insertDeliveries('(select id, org_id, state from items where id = $1)', '$2', '$3');

/** Writes the outbox rows of a finished item (see insertDeliveries); the caller holds its row lock. */
export async function insertItemDeliveries(q: Queryable, itemId: string, plan: DeliveryPlan): Promise<void> {
  await q.query(INSERT_ITEM_DELIVERIES, [itemId, json(plan.destinations), plan.ids]);
}

/** Takes up to `batch` due rows for `lockMs` under `token`; each take counts as an attempt. */
export async function takeDueOutbox(
  q: Queryable,
  batch: number,
  lockMs: number,
  token: string,
): Promise<OutboxEntry[]> {
  const rows = await q.query<{
    id: string;
    org_id: string;
    review_id: string;
    topic: string;
    destination: string;
    payload: unknown;
    attempts: number;
  }>(
    `with due as (
       select id from outbox
       where status = 'pending' and next_attempt_at <= now() and (locked_until is null or locked_until < now())
       order by next_attempt_at limit $1
       for update skip locked
     )
     update outbox o set locked_until = now() + $2 * interval '1 millisecond', attempts = o.attempts + 1, lock_token = $3
     from due where o.id = due.id
     returning o.id, o.org_id, o.review_id, o.topic, o.destination, o.payload, o.attempts`,
    [batch, lockMs, token],
  );
  return rows.map((row) => ({
    id: row.id,
    orgId: row.org_id,
    reviewId: row.review_id,
    topic: row.topic,
    destination: row.destination,
    payload: row.payload,
    attempts: row.attempts,
  }));
}

/** Extends the lock of rows still held under `token`; false when the lock was lost (another worker took the row). */
export async function renewOutboxLock(q: Queryable, id: string, token: string, lockMs: number): Promise<boolean> {
  const rows = await q.query(
    `update outbox set locked_until = now() + $3 * interval '1 millisecond'
     where id = $1 and lock_token = $2 and status = 'pending' returning id`,
    [id, token, lockMs],
  );
  return rows.length > 0;
}

/** Completes a row held under `token`; false (nothing written) when another worker holds it now. */
export async function markDelivered(q: Queryable, id: string, token: string): Promise<boolean> {
  const rows = await q.query(
    `update outbox set status = 'delivered', delivered_at = now(), locked_until = null, last_error = null,
       lock_token = null
     where id = $1 and lock_token = $2 returning id`,
    [id, token],
  );
  return rows.length > 0;
}

/** Schedules another attempt after `delayMs`, or marks the row failed when `final`. */
export async function markAttemptFailed(
  q: Queryable,
  id: string,
  token: string,
  error: string,
  retry: { final: true } | { final: false; delayMs: number },
): Promise<boolean> {
  const rows = await q.query(
    `update outbox set last_error = $3, locked_until = null, lock_token = null,
       status = case when $4 then 'failed' else status end,
       next_attempt_at = case when $4 then next_attempt_at else now() + $5 * interval '1 millisecond' end
     where id = $1 and lock_token = $2 and status = 'pending' returning id`,
    [id, token, error.slice(0, 2000), retry.final, retry.final ? 0 : retry.delayMs],
  );
  return rows.length > 0;
}

export async function listOutbox(
  q: Queryable,
  reviewId: string,
): Promise<{ destination: string; status: string; attempts: number; lastError: string | null }[]> {
  const rows = await q.query<{ destination: string; status: string; attempts: number; last_error: string | null }>(
    'select destination, status, attempts, last_error from outbox where review_id = $1 order by created_at, id',
    [reviewId],
  );
  return rows.map((row) => ({
    destination: row.destination,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
  }));
}
