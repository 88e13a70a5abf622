// Statements on work items. The claim and the reaper are single statements: the row lock (SKIP LOCKED), the state
// change, the attempt row and the event are written together, so no item is handed out twice or lost in between.
import type { ItemState } from '../../core/states.ts';
import type { Item } from '../../core/types.ts';
import { json, type Queryable } from '../db.ts';

interface ItemRow {
  id: string;
  org_id: string;
  profile_id: string;
  task_id: string | null;
  state: ItemState;
  phase: string | null;
  required_tags: string[];
  input: unknown;
  result: unknown;
  result_hash: string | null;
  error: string | null;
  failure_reason: string | null;
  runner_id: string | null;
  attempt: number;
  max_attempts: number;
  lease_ttl_ms: number;
  lease_expires_at: Date | null;
  last_event_seq: number;
  harness_revision_id: string | null;
  metadata: Record<string, unknown>;
  progress: number | null;
  idempotency_key: string | null;
  idempotency_hash: string | null;
  last_checkpoint_seq: number;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export function toItem(row: ItemRow): Item {
  return {
    id: row.id,
    orgId: row.org_id,
    profileId: row.profile_id,
    taskId: row.task_id,
    state: row.state,
    phase: row.phase,
    requiredTags: row.required_tags,
    input: row.input,
    result: row.result,
    resultHash: row.result_hash,
    error: row.error,
    failureReason: row.failure_reason,
    runnerId: row.runner_id,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    leaseTtlMs: row.lease_ttl_ms,
    leaseExpiresAt: row.lease_expires_at,
    lastEventSeq: row.last_event_seq,
    harnessRevisionId: row.harness_revision_id,
    metadata: row.metadata,
    progress: row.progress,
    idempotencyKey: row.idempotency_key,
    idempotencyHash: row.idempotency_hash,
    lastCheckpointSeq: row.last_checkpoint_seq,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export interface NewItem {
  id: string;
  orgId: string;
  profileId: string;
  taskId: string | null;
  requiredTags: string[];
  input: unknown;
  maxAttempts: number;
  leaseTtlMs: number;
  harnessRevisionId?: string | null;
  metadata?: Record<string, unknown>;
  idempotencyKey?: string | null;
  idempotencyHash?: string | null;
}

/** Inserts a pending item and its first event (seq 1). */
export async function insertItem(q: Queryable, item: NewItem): Promise<Item> {
  const rows = await q.query<ItemRow>(
    `with inserted as (
       insert into items (id, org_id, profile_id, task_id, state, required_tags, input, max_attempts, lease_ttl_ms,
                          last_event_seq, harness_revision_id, metadata, idempotency_key, idempotency_hash)
       values ($1, $2, $3, $4, 'pending', $5::text[], $6::jsonb, $7, $8, 1, $9, $10::jsonb, $11, $12)
       returning *
     ), event as (
       insert into item_events (item_id, seq, type, level, message, data)
       select id, 1, 'state', 'info', 'created → pending', jsonb_build_object('to', 'pending') from inserted
     )
     select * from inserted`,
    [
      item.id,
      item.orgId,
      item.profileId,
      item.taskId,
      item.requiredTags,
      json(item.input),
      item.maxAttempts,
      item.leaseTtlMs,
      item.harnessRevisionId ?? null,
      json(item.metadata ?? {}),
      item.idempotencyKey ?? null,
      item.idempotencyHash ?? null,
    ],
  );
  return toItem(rows[0]!);
}

export async function findItemByIdempotencyKey(q: Queryable, orgId: string, key: string): Promise<Item | null> {
  const rows = await q.query<ItemRow>('select * from items where org_id = $1 and idempotency_key = $2', [orgId, key]);
  return rows[0] ? toItem(rows[0]) : null;
}

export interface ItemFilter {
  states: string[] | null;
  profileId: string | null;
  taskId: string | null;
  createdAfter: Date | null;
  createdBefore: Date | null;
  /** Keyset cursor: the id of the last item of the previous page. */
  after: string | null;
  limit: number;
}

/** Newest first, keyset-paginated. Time filters compare at millisecond precision, the precision clients see. */
export async function listItems(q: Queryable, orgId: string, filter: ItemFilter): Promise<Item[]> {
  const rows = await q.query<ItemRow>(
    `select * from items
     where org_id = $1
       and ($2::text[] is null or state = any($2::text[]))
       and ($3::text is null or profile_id = $3)
       and ($4::text is null or task_id = $4)
       and ($5::timestamptz is null or date_trunc('milliseconds', created_at) > $5)
       and ($6::timestamptz is null or date_trunc('milliseconds', created_at) < $6)
       and ($7::text is null or (created_at, id) < (select c.created_at, c.id from items c where c.org_id = $1 and c.id = $7))
     order by created_at desc, id desc
     limit $8`,
    [
      orgId,
      filter.states,
      filter.profileId,
      filter.taskId,
      filter.createdAfter,
      filter.createdBefore,
      filter.after,
      filter.limit,
    ],
  );
  return rows.map(toItem);
}

export async function getItem(q: Queryable, orgId: string, id: string): Promise<Item | null> {
  const rows = await q.query<ItemRow>('select * from items where id = $1 and org_id = $2', [id, orgId]);
  return rows[0] ? toItem(rows[0]) : null;
}

export interface LockedItem extends Item {
  /** The lease deadline has passed by the database clock (the reaper has not ended it yet). */
  leaseLapsed: boolean;
}

/** Reads and row-locks an item for a guarded change inside a transaction. */
export async function lockItem(q: Queryable, orgId: string, id: string): Promise<LockedItem | null> {
  const rows = await q.query<ItemRow & { lease_lapsed: boolean }>(
    'select *, coalesce(lease_expires_at < now(), false) as lease_lapsed from items where id = $1 and org_id = $2 for update',
    [id, orgId],
  );
  return rows[0] ? { ...toItem(rows[0]), leaseLapsed: rows[0].lease_lapsed } : null;
}

export interface ClaimRequest {
  orgId: string;
  runnerId: string;
  /** Only items of these profiles; null for any. */
  profileIds: string[] | null;
  limit: number;
  /** Tags to match instead of the registered runner's (gateways claim for what they can run). */
  tags?: string[] | null;
  /** The review facade claims only for registered runners; /v1 also serves runners that never registered. */
  requireRegistered?: boolean;
  /** Claim exactly this item (by-id claim); profile and tag filters do not apply. */
  itemId?: string | null;
}

/** Raised by the claim when the runner is not registered (SQLSTATE no_data_found from runplane_claim_items). */
export class RunnerNotRegistered extends Error {}

/**
 * Claims up to `limit` pending items for a runner, never beyond its free slots or outside its tags, oldest first
 * (see runplane_claim_items in the migrations: one call, one round trip).
 */
export async function claimItems(q: Queryable, claim: ClaimRequest): Promise<Item[]> {
  try {
    const rows = await q.query<ItemRow>(
      'select * from runplane_claim_items($1, $2, $3::text[], $4, $5::text[], $6, $7)',
      [
        claim.orgId,
        claim.runnerId,
        claim.profileIds,
        claim.limit,
        claim.tags ?? null,
        claim.itemId ?? null,
        claim.requireRegistered ?? true,
      ],
    );
    return rows.map(toItem);
  } catch (error) {
    if ((error as { code?: string }).code === 'P0002') throw new RunnerNotRegistered(claim.runnerId);
    throw error;
  }
}

export interface ItemChange {
  state?: ItemState;
  /** undefined keeps the phase; null clears it. */
  phase?: string | null;
  lease?: 'extend' | 'clear' | 'keep';
  clearRunner?: boolean;
  result?: { value: unknown; hash: string };
  error?: string | null;
  failureReason?: string | null;
  started?: boolean;
  finished?: boolean;
  /** Clears finished_at (a resumed session is unfinished again). */
  unfinished?: boolean;
  progress?: number;
  /** Merged into the stored metadata (top-level keys). */
  metadata?: Record<string, unknown>;
}

/** Applies a change already validated under the row lock (lockItem) by the engine. */
export async function updateItem(q: Queryable, id: string, change: ItemChange): Promise<Item> {
  const rows = await q.query<ItemRow>(
    `update items set
       state = coalesce($2, state),
       phase = case when $3 then $4 else phase end,
       lease_expires_at = case $5 when 'extend' then now() + lease_ttl_ms * interval '1 millisecond'
                                  when 'clear' then null else lease_expires_at end,
       runner_id = case when $6 then null else runner_id end,
       result = case when $7 then $8::jsonb else result end,
       result_hash = case when $7 then $9 else result_hash end,
       error = case when $10 then $11 else error end,
       failure_reason = case when $12 then $13 else failure_reason end,
       started_at = case when $14 and started_at is null then now() else started_at end,
       finished_at = case when $15 then now() when $18 then null else finished_at end,
       progress = coalesce($16, progress),
       metadata = metadata || coalesce($17::jsonb, '{}'::jsonb),
       updated_at = now()
     where id = $1
     returning *`,
    [
      id,
      change.state ?? null,
      change.phase !== undefined,
      change.phase ?? null,
      change.lease ?? 'keep',
      change.clearRunner ?? false,
      change.result !== undefined,
      change.result ? json(change.result.value) : null,
      change.result?.hash ?? null,
      change.error !== undefined,
      change.error ?? null,
      change.failureReason !== undefined,
      change.failureReason ?? null,
      change.started ?? false,
      change.finished ?? false,
      change.progress ?? null,
      change.metadata ? json(change.metadata) : null,
      change.unfinished ?? false,
    ],
  );
  return toItem(rows[0]!);
}

/** Extends the lease of every item a runner holds (runner heartbeat). */
export async function extendRunnerLeases(q: Queryable, orgId: string, runnerId: string): Promise<void> {
  await q.query(
    `update items set lease_expires_at = now() + lease_ttl_ms * interval '1 millisecond'
     where org_id = $1 and runner_id = $2 and lease_expires_at > now()`,
    [orgId, runnerId],
  );
}

export async function cancelRequestedIds(q: Queryable, orgId: string, runnerId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `select id from items where org_id = $1 and runner_id = $2 and state = 'cancel_requested' order by id`,
    [orgId, runnerId],
  );
  return rows.map((row) => row.id);
}

export interface EndedLease {
  id: string;
  orgId: string;
  state: ItemState;
  attempt: number;
}

/**
 * Ends leases in one statement: `expired` takes items whose deadline passed (any org; several instances may run
 * it at once, SKIP LOCKED splits the rows between them); `released` takes one runner's items at once. Each item
 * goes back to pending (attempt + 1 on its next claim), or to failed with `lease_expired` when an expiry used its
 * last attempt, or to cancelled when cancellation was requested. One event per item records why.
 */
export async function endLeases(
  q: Queryable,
  target: { mode: 'expired'; batch: number } | { mode: 'released'; orgId: string; runnerId: string },
): Promise<EndedLease[]> {
  const expired = target.mode === 'expired';
  const rows = await q.query<{ id: string; org_id: string; state: ItemState; attempt: number }>(
    `with ending as (
       select id, state as prev_state, runner_id as prev_runner, attempt,
              case when state = 'cancel_requested' then 'cancelled'
                   when $1 and attempt >= max_attempts then 'failed'
                   else 'pending' end as next_state
       from items
       where lease_expires_at is not null
         and (case when $1 then lease_expires_at < now() else org_id = $2 and runner_id = $3 end)
       order by lease_expires_at
       limit $4
       for update skip locked
     ), ended as (
       update items i set
         state = e.next_state,
         runner_id = case when e.next_state = 'pending' then null else i.runner_id end,
         lease_expires_at = null,
         failure_reason = case when e.next_state = 'failed' then 'lease_expired' else i.failure_reason end,
         error = case when e.next_state = 'failed'
                      then 'lease expired on attempt ' || i.attempt || ' of ' || i.max_attempts else i.error end,
         finished_at = case when e.next_state = 'pending' then null else now() end,
         last_event_seq = i.last_event_seq + 1, updated_at = now()
       from ending e where i.id = e.id
       returning i.id, i.org_id, i.state, i.attempt, i.last_event_seq, e.prev_state, e.prev_runner
     ), closed_attempts as (
       update attempts a set ended_at = now(), outcome = case when $1 then 'lease_expired' else 'released' end
       from ended where a.item_id = ended.id and a.attempt = ended.attempt
     ), events as (
       insert into item_events (item_id, seq, type, level, message, data)
       select id, last_event_seq, 'state', case when $1 then 'warn' else 'info' end,
              prev_state || ' → ' || state || case when $1 then ' (lease expired)' else ' (released by runner)' end,
              jsonb_build_object('from', prev_state, 'to', state, 'attempt', attempt, 'runnerId', prev_runner,
                                 'reason', case when $1 then 'lease_expired' else 'runner_released' end)
       from ended
     )
     select id, org_id, state, attempt from ended`,
    [expired, expired ? null : target.orgId, expired ? null : target.runnerId, expired ? target.batch : 10_000],
  );
  return rows.map((row) => ({ id: row.id, orgId: row.org_id, state: row.state, attempt: row.attempt }));
}

/** Closes the attempt row when its item finishes or is handed back. */
export async function closeAttempt(q: Queryable, itemId: string, attempt: number, outcome: string): Promise<void> {
  await q.query('update attempts set ended_at = now(), outcome = $3 where item_id = $1 and attempt = $2', [
    itemId,
    attempt,
    outcome,
  ]);
}
