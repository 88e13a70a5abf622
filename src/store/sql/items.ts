// Statements on work items. The claim and the reaper are single statements: the row lock (SKIP LOCKED), the state
// change, the attempt row and the event are written together, so no item is handed out twice or lost in between.
import { type ItemState, LEASED_STATES } from '../../core/states.ts';
import type { Budgets, Checkpoint, Item, ItemEvent, NewEvent, WriterIdentity } from '../../core/types.ts';
import { json, type Queryable } from '../db.ts';
import type { NewAuditRecord } from './audit.ts';
import { type DeliveryPlan, insertDeliveries } from './outbox.ts';

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
  runner_instance: string | null;
  claimed_at: Date | null;
  attempt: number;
  max_attempts: number;
  lease_ttl_ms: number;
  lease_expires_at: Date | null;
  last_event_seq: number;
  harness_revision_id: string | null;
  policy_version: number | null;
  replay_of: string | null;
  replays: string[];
  metadata: Record<string, unknown>;
  progress: number | null;
  idempotency_key: string | null;
  idempotency_hash: string | null;
  last_checkpoint_seq: number;
  budget: Budgets | null;
  usage_tokens: string | number;
  usage_cost_usd: number;
  pause_requested_at: Date | null;
  pause_reason: string | null;
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
    runnerInstance: row.runner_instance,
    claimedAt: row.claimed_at,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    leaseTtlMs: row.lease_ttl_ms,
    leaseExpiresAt: row.lease_expires_at,
    lastEventSeq: row.last_event_seq,
    harnessRevisionId: row.harness_revision_id,
    policyVersion: row.policy_version,
    replayOf: row.replay_of,
    replays: row.replays,
    metadata: row.metadata,
    progress: row.progress,
    idempotencyKey: row.idempotency_key,
    idempotencyHash: row.idempotency_hash,
    lastCheckpointSeq: row.last_checkpoint_seq,
    budget: row.budget ?? null,
    usageTokens: Number(row.usage_tokens ?? 0),
    usageCostUsd: Number(row.usage_cost_usd ?? 0),
    pauseRequestedAt: row.pause_requested_at ?? null,
    pauseReason: row.pause_reason ?? null,
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
  policyVersion?: number | null;
  replayOf?: string | null;
  metadata?: Record<string, unknown>;
  idempotencyKey?: string | null;
  idempotencyHash?: string | null;
}

/** $1–$8 of every insert: id, org, profile, task id, required tags, input, max attempts, lease TTL. */
export const newItemValues = (item: Omit<NewItem, 'harnessRevisionId'>) => [
  item.id,
  item.orgId,
  item.profileId,
  item.taskId,
  item.requiredTags,
  json(item.input),
  item.maxAttempts,
  item.leaseTtlMs,
];

/** The first event of every item, inserted with it (from a CTE named `inserted`). */
export const FIRST_EVENT = `insert into item_events (item_id, seq, type, level, message, data)
       select id, 1, 'state', 'info', 'created → pending', jsonb_build_object('to', 'pending') from inserted`;

/** The newest policy version of the profile $3 of org $2 (null when it has none): what a dispatch pins. */
export const LATEST_POLICY_VERSION = 'select max(version) from profile_policies where org_id = $2 and profile_id = $3';

/** Inserts a pending item and its first event (seq 1). */
export async function insertItem(q: Queryable, item: NewItem): Promise<Item> {
  const rows = await q.query<ItemRow>(
    `with inserted as (
       insert into items (id, org_id, profile_id, task_id, state, required_tags, input, max_attempts, lease_ttl_ms,
                          last_event_seq, harness_revision_id, metadata, idempotency_key, idempotency_hash,
                          policy_version, replay_of)
       values ($1, $2, $3, $4, 'pending', $5::text[], $6::jsonb, $7, $8, 1, $9, $10::jsonb, $11, $12, $13::integer,
               $14::text)
       returning *
     ), event as (
       ${FIRST_EVENT}
     )
     select * from inserted`,
    [
      ...newItemValues(item),
      item.harnessRevisionId ?? null,
      json(item.metadata ?? {}),
      item.idempotencyKey ?? null,
      item.idempotencyHash ?? null,
      item.policyVersion ?? null,
      item.replayOf ?? null,
    ],
  );
  return toItem(rows[0]!);
}

/** Why a dispatch to a profile inserted nothing: the profile does not exist (in this org) or is archived. */
export type ProfileRefusal = 'missing' | 'archived' | 'suspended' | 'org_suspended';

/**
 * A dispatch as one statement (issue 13): checks the profile (exists in the org, not archived), pins its newest
 * harness revision, inserts the pending item with its first event and the request's audit row. Answers the item, or
 * why the profile refused it (nothing written).
 */
export async function insertProfiledItem(
  q: Queryable,
  item: Omit<NewItem, 'harnessRevisionId'>,
  audit: NewAuditRecord | null,
): Promise<Item | ProfileRefusal> {
  const rows = await q.query<ItemRow & GateRow>(
    `with profile as (
       ${dispatchGate('$2', '$3')}
     ), harness as (
       select id from harness_revisions where org_id = $2 and profile_id = $3 order by created_at desc, id desc limit 1
     ), inserted as (
       insert into items (id, org_id, profile_id, task_id, state, required_tags, input, max_attempts, lease_ttl_ms,
                          last_event_seq, harness_revision_id, metadata, policy_version)
       select $1, $2, $3, $4, 'pending', $5::text[], $6::jsonb, $7, $8, 1, (select id from harness), $9::jsonb,
              (${LATEST_POLICY_VERSION})
       from profile where open
       returning *
     ), event as (
       ${FIRST_EVENT}
     ), audited as (
       insert into audit_log (org_id, actor, action, target, request_id, at)
       select org_id, $10, $11, id, $12, now() from inserted where $10::text is not null
     )
     select p.profile_status, p.profile_suspended, p.org_suspended, i.*
     from profile p left join inserted i on true`,
    [
      ...newItemValues(item),
      json(item.metadata ?? {}),
      audit?.actor ?? null,
      audit?.action ?? null,
      audit?.requestId ?? null,
    ],
  );
  const row = rows[0];
  if (!row) return 'missing';
  return row.id ? toItem(row) : gateRefusal(row)!;
}

/**
 * The profile (SQL expression `profile`) of org `org` as a dispatch sees it: its status, both kill switches, and
 * `open` when it takes work. Locked (key share) so a suspension, which takes these rows for update, either waits for
 * the dispatch (and then cancels its session) or is seen by it: READ COMMITTED re-reads a row it waited for.
 */
export const dispatchGate = (org: string, profile: string) =>
  `select p.status as profile_status, p.suspended_at is not null as profile_suspended,
         o.suspended_at is not null as org_suspended,
         p.status <> 'archived' and p.suspended_at is null and o.suspended_at is null as open
       from profiles p join orgs o on o.id = p.org_id
       where p.org_id = ${org} and p.id = ${profile} for key share of p, o`;

export interface GateRow {
  profile_status: string;
  profile_suspended: boolean;
  org_suspended: boolean;
}

export const gateRefusal = (row: GateRow): ProfileRefusal | null =>
  row.org_suspended
    ? 'org_suspended'
    : row.profile_suspended
      ? 'suspended'
      : row.profile_status === 'archived'
        ? 'archived'
        : null;

/** The dispatch gate inside a transaction: why the profile takes no dispatch now, or null when it does. */
export async function dispatchRefusal(q: Queryable, orgId: string, profileId: string): Promise<ProfileRefusal | null> {
  const rows = await q.query<GateRow>(dispatchGate('$1', '$2'), [orgId, profileId]);
  return rows[0] ? gateRefusal(rows[0]) : 'missing';
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

/** Links a replay to its source: appended to the source's `replays` (the replay row names its source itself). */
export async function appendReplay(q: Queryable, sourceId: string, replayId: string): Promise<void> {
  await q.query('update items set replays = replays || $2::text where id = $1', [sourceId, replayId]);
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
  /** The claiming runner instance (`x-runner-instance`); a replaced instance is refused. */
  instance?: string | null;
}

/** Raised by the claim when the runner is not registered (SQLSTATE no_data_found from runplane_claim_items). */
export class RunnerNotRegistered extends Error {}
/** Raised by the claim when the claiming instance is no longer the runner's current one (SQLSTATE RP001). */
export class RunnerReplaced extends Error {}

/**
 * Claims up to `limit` pending items for a runner, never beyond its free slots or outside its tags, oldest first
 * (see runplane_claim_items in the migrations: one call, one round trip).
 */
export async function claimItems(
  q: Queryable,
  claim: ClaimRequest,
  audit: NewAuditRecord | null = null,
): Promise<Item[]> {
  try {
    // The audit rows are written by the same statement (a data-modifying CTE), so a claim never commits without them.
    const rows = await q.query<ItemRow>(
      audit
        ? `with claimed as (select * from runplane_claim_items($1, $2, $3::text[], $4, $5::text[], $6, $7, $8)),
             audited as (
               insert into audit_log (org_id, actor, action, target, request_id, at)
               select org_id, $9, $10, id, $11, now() from claimed
             )
           select * from claimed`
        : 'select * from runplane_claim_items($1, $2, $3::text[], $4, $5::text[], $6, $7, $8)',
      [
        claim.orgId,
        claim.runnerId,
        claim.profileIds,
        claim.limit,
        claim.tags ?? null,
        claim.itemId ?? null,
        claim.requireRegistered ?? true,
        claim.instance ?? null,
        ...(audit ? [audit.actor, audit.action, audit.requestId] : []),
      ],
    );
    return rows.map(toItem);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'P0002') throw new RunnerNotRegistered(claim.runnerId);
    if (code === 'RP001') throw new RunnerReplaced(claim.runnerId);
    throw error;
  }
}

/** What a live event stream needs to know to read on or end: the item's newest event and its state. */
export interface ItemHead {
  lastEventSeq: number;
  state: ItemState;
}

export async function getItemHead(q: Queryable, orgId: string, id: string): Promise<ItemHead | null> {
  const rows = await q.query<{ last_event_seq: number; state: ItemState }>(
    'select last_event_seq, state from items where org_id = $1 and id = $2',
    [orgId, id],
  );
  return rows[0] ? { lastEventSeq: rows[0].last_event_seq, state: rows[0].state } : null;
}

export interface ItemChange {
  /** undefined keeps the phase; null clears it. */
  phase?: string | null;
  /**
   * `extend`: a full lease from now (never for a cancel_requested item: its cancel is bounded); `clear`; `cap`:
   * the lease ends at the latest `leaseWithinMs` from now; `keep`.
   */
  lease?: 'extend' | 'clear' | 'cap' | 'keep';
  leaseWithinMs?: number;
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

/** What one write statement does to an item row (see writeItemRow). */
export interface ItemWrite {
  /** The new state: only the transition function sets one. */
  state?: ItemState;
  change?: ItemChange;
  /** Appended in this order, numbered from the row's sequence by the same statement. */
  events?: readonly NewEvent[];
  /** With a phase change: the phase event `{phase, previous}` (plus these fields) is appended after `events`. */
  phaseEvent?: Record<string, unknown>;
  /**
   * Write only while this runner attempt holds the item (runnerHolds, checked on the locked row); when it does
   * not, nothing is written and the answer is null. Without a fence the caller holds the row lock and has checked.
   */
  fence?: { orgId: string; writer: WriterIdentity };
  /**
   * A state change the statement decides on the locked row (a fenced runner write cannot know the state before
   * it locks): `states` maps each state the write accepts to the state it moves to (the same state: no change); a
   * row in any other state is refused like a failed fence. A change writes the transition function's state event
   * (after `events`, before the phase event) with `reason`; the caller builds `states` from the state table.
   */
  transit?: ItemTransit;
  /** Closes the item's current attempt row with the state the row ends in (the attempt's outcome). */
  closeAttempt?: boolean;
  /** Stores the item's next checkpoint (numbered from the row) and its `checkpoint N` event after `events`. */
  checkpoint?: { data: unknown };
  /** The audit row of the request, written by the same statement. */
  audit?: NewAuditRecord | null;
  /** A finished review's outbox rows, written by the same statement (see DeliveryPlan). */
  deliveries?: DeliveryPlan;
}

export interface ItemTransit {
  states: Partial<Record<ItemState, ItemState>>;
  reason: string;
  /** failure_reason by the state moved to (absent: null); without it failure_reason is kept. */
  failureReasons?: Partial<Record<ItemState, string>>;
}

export interface WrittenItem {
  item: Item;
  /** The events `events` stored (the phase event is not among them). */
  events: ItemEvent[];
  /** The checkpoint `checkpoint` stored. */
  checkpoint: Checkpoint | null;
}

/** SQL list of the states in which a runner holds an item: the guard of every statement that ends a lease. */
export const LEASED = LEASED_STATES.map((state) => `'${state}'`).join(', ');

/**
 * The fence in SQL, on a row of `items`: the writing runner attempt (SQL expressions for its runner id, attempt and
 * instance; null = not named) holds the item and its lease has not lapsed. It is checkRunnerWriter's rule
 * (core/fencing.ts) stated for one statement; test/integration/fencing-sql.test.ts proves the two agree on every
 * combination.
 */
export const runnerHolds = (runner: string, attempt: string, instance: string) =>
  `coalesce((${runner}::text is null or runner_id = ${runner}) and (${attempt}::int is null or attempt = ${attempt})
    and (${instance}::text is null or runner_instance is null or runner_instance = ${instance})
    and state in (${LEASED}) and not coalesce(lease_expires_at < now(), false), false)`;

// One statement per write (issue 13): lock, fence, change, sequence bump, events, attempt row, audit row and a
// finished review's outbox rows in one round trip and one row version. Events arrive as parallel arrays (unnest), so
// the text is fixed and prepared once. Event order: `events`, then a checkpoint's event, then the state event of a
// transit (the same shape the transition function writes), then the phase event.
const writeItemStatement = (answer: string) => `
with target as (
  select id, phase as previous_phase, state as previous_state, runner_id as previous_runner,
         last_event_seq as previous_seq, coalesce($33::jsonb ->> state, state) as next_state
  from items
  where id = $1 and ($19::text is null or (org_id = $19 and ${runnerHolds('$20', '$21', '$22')}))
    and ($33::jsonb is null or $33::jsonb ->> state is not null)
  for update
), changed as (
  update items i set
    state = case when $33::jsonb is not null then t.next_state else coalesce($2, i.state) end,
    phase = case when $3 then $4 else i.phase end,
    lease_expires_at = case when $5 = 'extend' and i.state <> 'cancel_requested'
                            then now() + i.lease_ttl_ms * interval '1 millisecond'
                            when $5 = 'clear' then null
                            when $5 = 'cap' then least(i.lease_expires_at, now() + $41::double precision * interval '1 millisecond')
                            else i.lease_expires_at end,
    runner_id = case when $6 then null else i.runner_id end,
    runner_instance = case when $6 then null else i.runner_instance end,
    result = case when $7 then $8::jsonb else i.result end,
    result_hash = case when $7 then $9 else i.result_hash end,
    error = case when $10 then $11 else i.error end,
    failure_reason = case when $12 then $13 when $35::jsonb is not null then $35::jsonb ->> t.next_state
                          else i.failure_reason end,
    started_at = case when ($14 or (t.next_state = 'running' and t.previous_state <> 'running'))
                      and i.started_at is null then now() else i.started_at end,
    finished_at = case when $15 then now() when $18 then null else i.finished_at end,
    progress = coalesce($16, i.progress),
    metadata = case when $17::jsonb is null then i.metadata else i.metadata || $17::jsonb end,
    last_event_seq = i.last_event_seq + cardinality($23::text[]) + case when $40 then 1 else 0 end
                     + case when t.next_state <> t.previous_state then 1 else 0 end
                     + case when $28::jsonb is null then 0 else 1 end,
    last_checkpoint_seq = i.last_checkpoint_seq + case when $40 then 1 else 0 end,
    usage_tokens = i.usage_tokens + $42::bigint,
    usage_cost_usd = i.usage_cost_usd + $43::double precision,
    updated_at = now()
  from target t where i.id = t.id
  returning i.*, t.previous_phase, t.previous_state, t.previous_runner, t.previous_seq,
            (t.next_state <> t.previous_state) as transited
), checkpointed as (
  insert into checkpoints (item_id, seq, data)
  select c.id, c.last_checkpoint_seq, $39::jsonb from changed c where $40
  returning seq, data, created_at
), appended as (
  insert into item_events (item_id, seq, type, level, message, data, ts)
  select c.id, c.previous_seq + e.n::int, e.type, e.level, e.message, e.data, coalesce(e.ts, now())
  from changed c,
       unnest($23::text[], $24::text[], $25::text[], $26::text[]::jsonb[], $27::timestamptz[])
         with ordinality as e(type, level, message, data, ts, n)
  union all
  select c.id, c.previous_seq + cardinality($23::text[]) + 1, 'checkpoint', 'info',
         'checkpoint ' || c.last_checkpoint_seq, jsonb_build_object('seq', c.last_checkpoint_seq), now()
  from changed c where $40
  union all
  select c.id, c.previous_seq + cardinality($23::text[]) + case when $40 then 1 else 0 end + 1, 'state',
         case when c.state = 'failed' then 'error' else 'info' end, c.previous_state || ' → ' || c.state,
         jsonb_build_object('from', c.previous_state, 'to', c.state, 'attempt', c.attempt,
                            'runnerId', c.previous_runner, 'reason', $34::text), now()
  from changed c where c.transited
  union all
  select c.id, c.last_event_seq, 'phase', 'info', c.phase,
         jsonb_build_object('phase', c.phase, 'previous', c.previous_phase) || $28::jsonb, now()
  from changed c where $28::jsonb is not null
), attempt_closed as (
  update attempts a set ended_at = now(), outcome = c.state
  from changed c where $36 and a.item_id = c.id and a.attempt = c.attempt
), audited as (
  insert into audit_log (org_id, actor, action, target, request_id, at)
  select c.org_id, $29, $30, $31, $32, now() from changed c where $29::text is not null
), delivered as (
  ${insertDeliveries('changed', '$37', '$38')}
)
select ${answer}, c.previous_seq, c.transited, now() as written_at,
       k.seq as checkpoint_seq, k.data as checkpoint_data, k.created_at as checkpoint_at
from changed c left join checkpointed k on true`;
// The whole row (an answer that shows the item), or only what a batch of events needs to answer (the item's input
// and result can be large, and a log batch should not carry them back).
const WRITE_ITEM = writeItemStatement('c.*');
const WRITE_ITEM_HEAD = writeItemStatement('c.state, c.last_event_seq, c.pause_requested_at');

/**
 * What a batch of events spends: the sum of its `usage` events' `tokens` and `cost_usd` (checked by the engine
 * before the write: non-negative numbers).
 */
export function usageOf(events: readonly NewEvent[]): { tokens: number; costUsd: number } {
  let tokens = 0;
  let costUsd = 0;
  for (const event of events) {
    if (event.type !== 'usage' || !event.data || typeof event.data !== 'object') continue;
    const data = event.data as { tokens?: unknown; cost_usd?: unknown };
    if (typeof data.tokens === 'number') tokens += data.tokens;
    if (typeof data.cost_usd === 'number') costUsd += data.cost_usd;
  }
  return { tokens, costUsd };
}

interface WrittenRow {
  state: ItemState;
  last_event_seq: number;
  pause_requested_at?: Date | null;
  previous_seq: number;
  transited: boolean;
  written_at: Date;
  checkpoint_seq: number | null;
  checkpoint_data: unknown;
  checkpoint_at: Date | null;
}

async function runItemWrite<Row extends WrittenRow>(
  q: Queryable,
  statement: string,
  id: string,
  write: ItemWrite,
): Promise<{ row: Row; events: ItemEvent[] } | null> {
  const change = write.change ?? {};
  const events = write.events ?? [];
  const writer = write.fence?.writer;
  const audit = write.audit ?? null;
  const usage = usageOf(events);
  const rows = await q.query<Row>(statement, [
    id,
    write.state ?? null,
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
    write.fence?.orgId ?? null,
    writer?.runnerId ?? null,
    writer?.attempt ?? null,
    writer?.instance ?? null,
    events.map((event) => event.type),
    events.map((event) => event.level),
    events.map((event) => event.message),
    events.map((event) => json(event.data ?? null)),
    events.map((event) => (event.ts instanceof Date ? event.ts.toISOString() : (event.ts ?? null))),
    write.phaseEvent ? json(write.phaseEvent) : null,
    audit?.actor ?? null,
    audit?.action ?? null,
    audit?.target ?? null,
    audit?.requestId ?? null,
    write.transit ? json(write.transit.states) : null,
    write.transit?.reason ?? null,
    write.transit?.failureReasons ? json(write.transit.failureReasons) : null,
    write.closeAttempt ?? false,
    write.deliveries ? json(write.deliveries.destinations) : null,
    write.deliveries?.ids ?? null,
    write.checkpoint ? json(write.checkpoint.data) : null,
    write.checkpoint !== undefined,
    change.leaseWithinMs ?? null,
    usage.tokens,
    usage.costUsd,
  ]);
  const row = rows[0];
  if (!row) return null;
  const firstSeq = row.previous_seq + 1;
  return {
    row,
    events: events.map((event, index) => ({
      itemId: id,
      seq: firstSeq + index,
      type: event.type,
      level: event.level,
      message: event.message,
      data: event.data ?? null,
      ts: event.ts === undefined || event.ts === null ? row.written_at : new Date(event.ts),
      receivedAt: row.written_at,
    })),
  };
}

/**
 * Writes an item row, its events and the audit row in one statement, and answers the item. Unfenced, the caller
 * holds the row lock and has checked the write (the engine); fenced, the statement takes the lock and checks the
 * runner itself, and answers null when the runner does not hold the item (nothing written: the caller explains why).
 */
export async function writeItemRow(q: Queryable, id: string, write: ItemWrite): Promise<WrittenItem | null> {
  const written = await runItemWrite<ItemRow & WrittenRow>(q, WRITE_ITEM, id, write);
  if (!written) return null;
  const { row } = written;
  const checkpoint =
    row.checkpoint_seq === null
      ? null
      : { seq: row.checkpoint_seq, data: row.checkpoint_data, createdAt: row.checkpoint_at! };
  return { item: toItem(row), events: written.events, checkpoint };
}

/** What appending events answers: the item's head (state, newest sequence) and the events as stored. */
export interface AppendedEvents {
  head: ItemHead;
  /** The server asked the session to pause (a budget was reached). */
  pauseRequested: boolean;
  events: ItemEvent[];
}

/** writeItemRow for a batch of events: the same statement, answering only the item's head. */
export async function appendItemEventsRow(q: Queryable, id: string, write: ItemWrite): Promise<AppendedEvents | null> {
  const written = await runItemWrite<WrittenRow>(q, WRITE_ITEM_HEAD, id, write);
  return (
    written && {
      head: { state: written.row.state, lastEventSeq: written.row.last_event_seq },
      pauseRequested: written.row.pause_requested_at != null,
      events: written.events,
    }
  );
}

/** An unfenced writeItemRow by the engine, which holds the row lock and has checked the write. */
async function writeLockedItem(q: Queryable, id: string, write: ItemWrite): Promise<WrittenItem> {
  return lockedOrThrow(id, await writeItemRow(q, id, write));
}

/** An unfenced appendItemEventsRow by the engine, which holds the row lock and has checked the write. */
export async function appendLockedItemEvents(q: Queryable, id: string, write: ItemWrite): Promise<AppendedEvents> {
  return lockedOrThrow(id, await appendItemEventsRow(q, id, write));
}

function lockedOrThrow<T>(id: string, written: T | null): T {
  if (!written) throw new Error(`item ${id} vanished under its row lock`);
  return written;
}

/** Applies a change (and events) already validated under the row lock (lockItem); never changes the state. */
export async function updateItem(
  q: Queryable,
  id: string,
  change: ItemChange,
  events: Pick<ItemWrite, 'events' | 'phaseEvent'> = {},
): Promise<Item> {
  return (await writeLockedItem(q, id, { change, ...events })).item;
}

/** The one statement that writes an item's state: called only by the transition function (core/transitions.ts). */
export async function updateItemState(
  q: Queryable,
  id: string,
  state: ItemState,
  change: ItemChange,
  also: Pick<ItemWrite, 'events' | 'phaseEvent' | 'closeAttempt' | 'audit'>,
): Promise<Item> {
  return (await writeLockedItem(q, id, { state, change, ...also })).item;
}

/** Why a lease ended without the runner finishing the item (the `reason` of its state event). */
export type LeaseEndReason =
  | 'lease_expired'
  | 'runner_released'
  | 'runner_restarted'
  | 'runner_abandoned'
  | 'client_gone';

export interface EndedLease {
  id: string;
  orgId: string;
  profileId: string;
  taskId: string | null;
  requiredTags: string[];
  state: ItemState;
  attempt: number;
  /** The runner whose lease ended. */
  runnerId: string | null;
}

// What a lease-ending pick selects: read from the locked row version, so a concurrent change is seen.
const PICKED = 'id, state, runner_id, attempt, max_attempts, pause_requested_at';

/**
 * Ends the leases picked by `pick` (a statement selecting PICKED from items and locking the rows): each item
 * goes back to pending (attempt + 1 on its next claim), to failed (failure reason = `reason`) when an expiry or an
 * abandonment used its last attempt, to cancelled when cancellation was requested, or to paused when a pause was
 * (a reached budget: handing the session out again would only spend more; its pause reason stays until resume).
 * One state event per item records why.
 */
async function endLeases(
  q: Queryable,
  pick: string,
  reason: LeaseEndReason,
  params: readonly unknown[],
): Promise<EndedLease[]> {
  const expired = reason === 'lease_expired';
  // An expiry or an abandonment (a runner that gave the task up) uses an attempt for good: after the last one the
  // item fails instead of passing from runner to runner for ever. A restart or a deregister hands it back whole.
  const countsAsAttempt = expired || reason === 'runner_abandoned';
  const why = expired ? 'lease expired' : 'runner gave the task up';
  const rows = await q.query<{
    id: string;
    org_id: string;
    profile_id: string;
    task_id: string | null;
    required_tags: string[];
    state: ItemState;
    attempt: number;
    prev_runner: string | null;
  }>(
    `with picked as (${pick}), ending as (
       select id, state as prev_state, runner_id as prev_runner,
              case when state = 'cancel_requested' then 'cancelled'
                   when ${countsAsAttempt} and attempt >= max_attempts then 'failed'
                   when pause_requested_at is not null then 'paused'
                   else 'pending' end as next_state
       from picked
     ), ended as (
       update items i set
         state = e.next_state,
         runner_id = case when e.next_state in ('pending', 'paused') then null else i.runner_id end,
         runner_instance = null,
         claimed_at = null,
         lease_expires_at = null,
         failure_reason = case e.next_state when 'failed' then '${reason}'
                          when 'cancelled' then ${expired ? "'cancel_forced'" : "'cancelled'"}
                          else i.failure_reason end,
         error = case when e.next_state = 'failed'
                      then '${why} on attempt ' || i.attempt || ' of ' || i.max_attempts else i.error end,
         finished_at = case when e.next_state in ('pending', 'paused') then null else now() end,
         pause_requested_at = case when e.next_state = 'paused' then null else i.pause_requested_at end,
         last_event_seq = i.last_event_seq + 1, updated_at = now()
       from ending e where i.id = e.id
       returning i.id, i.org_id, i.profile_id, i.task_id, i.required_tags, i.state, i.attempt, i.last_event_seq,
         e.prev_state, e.prev_runner
     ), closed_attempts as (
       update attempts a set ended_at = now(), outcome = '${reason}'
       from ended where a.item_id = ended.id and a.attempt = ended.attempt
     ), events as (
       insert into item_events (item_id, seq, type, level, message, data)
       select id, last_event_seq, 'state',
              case when state = 'failed' then 'error' when ${expired} then 'warn' else 'info' end,
              prev_state || ' → ' || state,
              jsonb_build_object('from', prev_state, 'to', state, 'attempt', attempt, 'runnerId', prev_runner,
                                 'reason', '${reason}')
       from ended
     )
     select id, org_id, profile_id, task_id, required_tags, state, attempt, prev_runner from ended`,
    params,
  );
  return rows.map((row) => ({
    id: row.id,
    orgId: row.org_id,
    profileId: row.profile_id,
    taskId: row.task_id,
    requiredTags: row.required_tags,
    state: row.state,
    attempt: row.attempt,
    runnerId: row.prev_runner,
  }));
}

/**
 * Ends leases whose deadline passed (any org). Several instances may run it at once: SKIP LOCKED splits the rows
 * between them, and the state guard means an item finished in the meantime is never touched.
 */
export function expireLeases(q: Queryable, batch: number): Promise<EndedLease[]> {
  return endLeases(
    q,
    `select ${PICKED} from items where lease_expires_at < now() and state in (${LEASED})
     order by lease_expires_at limit $1 for update skip locked`,
    'lease_expired',
    [batch],
  );
}

export interface LeaseSelection {
  orgId: string;
  runnerId: string;
  /** Only these items; null for all of the runner's. */
  itemIds?: readonly string[] | null;
  /** Not these items (the ones a heartbeat listed). */
  except?: readonly string[] | null;
  /** Only leases claimed before this moment. */
  claimedBefore?: Date | null;
  /** Only leases claimed at least this many milliseconds ago (by the database clock). */
  claimedAtLeastMsAgo?: number | null;
}

/** Hands a runner's leases back at once (deregister, restart, abandoned or unwanted claims). */
export function releaseLeases(q: Queryable, selection: LeaseSelection, reason: LeaseEndReason): Promise<EndedLease[]> {
  return endLeases(
    q,
    `select ${PICKED} from items
     where org_id = $1 and runner_id = $2 and lease_expires_at is not null and state in (${LEASED})
       and ($3::text[] is null or id = any($3::text[]))
       and ($4::text[] is null or id <> all($4::text[]))
       and ($5::timestamptz is null or claimed_at < $5)
       and ($6::integer is null or claimed_at < now() - $6 * interval '1 millisecond')
     for update`,
    reason,
    [
      selection.orgId,
      selection.runnerId,
      selection.itemIds ?? null,
      selection.except ?? null,
      selection.claimedBefore ?? null,
      selection.claimedAtLeastMsAgo ?? null,
    ],
  );
}
