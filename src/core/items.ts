// The lifecycle engine for work items: dispatch, claim, writes (phase, events, result) and cancel.
// Every facade calls these functions; none of them re-implements a claim, a fence or a state change.
// Invariant: a write is checked (fencing) and applied under the item's row lock in one transaction, and only a
// fenced runner write extends a lease. A runner's routine write (phase, log batch, lease extension) is one
// statement that takes the lock, checks the fence in SQL and writes; anything else, and every refusal, takes the
// engine's path here (lock, check in JavaScript, apply).
import type { Queryable } from '../store/db.ts';
import { listEvents } from '../store/sql/events.ts';
import {
  type AppendedEvents,
  appendItemEventsRow,
  appendLockedItemEvents,
  type ClaimRequest,
  claimItems,
  getItem,
  type ItemWrite,
  insertItem,
  type LockedItem,
  lockItem,
  type NewItem,
  type ProfileRefusal,
  RunnerNotRegistered,
  RunnerReplaced,
  releaseLeases,
  updateItem,
  writeItemRow,
} from '../store/sql/items.ts';
import { getRunnerTags } from '../store/sql/runners.ts';
import { auditRowFor, recordAudit } from './audit.ts';
import { fingerprint } from './canonical-json.ts';
import type { Core } from './context.ts';
import { logCancelRequested, logClaimed, logFinished } from './domain-log.ts';
import { conflict, notFound } from './errors.ts';
import { checkOperatorWrite, checkRunnerWriter, writerKind } from './fencing.ts';
import { newUuid } from './ids.ts';
import { cancelGraceMs } from './policies.ts';
import { deliveryPlan, onItemFinished } from './review-delivery.ts';
import { type ItemState, isLeased, isTerminal } from './states.ts';
import { leasedTransit, transition } from './transitions.ts';
import type { Item, ItemEvent, NewEvent, WriterIdentity } from './types.ts';
import { announceItemNews, announceWork, leasesEnded } from './work-announce.ts';

export interface DispatchSpec {
  orgId: string;
  profileId: string;
  taskId?: string | null;
  requiredTags?: string[];
  input: unknown;
  maxAttempts?: number;
  leaseTtlMs?: number;
  harnessRevisionId?: string | null;
  policyVersion?: number | null;
  replayOf?: string | null;
  metadata?: Record<string, unknown>;
  idempotencyKey?: string | null;
  idempotencyHash?: string | null;
}

/** The error a profile's refusal of a dispatch stands for. */
export function dispatchRefused(refusal: ProfileRefusal, id: string): Error {
  switch (refusal) {
    case 'missing':
      return notFound('profile', id);
    case 'archived':
      return conflict('profile_archived', `profile ${id} is archived; dispatch to an active profile`);
    case 'suspended':
      return conflict(
        'profile_suspended',
        `profile ${id} is suspended (its kill switch is on); an admin unsuspends it with POST /v1/runners/profiles/${id}/unsuspend`,
      );
    case 'org_suspended':
      return conflict(
        'org_suspended',
        'this organisation is suspended (its kill switch is on); an admin unsuspends it with POST /v1/runners/unsuspend',
      );
  }
}

/** Builds the row for a new pending item; callers insert it with `insertPendingItem` inside their transaction. */
export function newItem(core: Core, spec: DispatchSpec): NewItem {
  return {
    id: newUuid(),
    orgId: spec.orgId,
    profileId: spec.profileId,
    taskId: spec.taskId ?? null,
    requiredTags: [...new Set(spec.requiredTags ?? [])].sort(),
    input: spec.input,
    maxAttempts: spec.maxAttempts ?? core.config.maxAttempts,
    leaseTtlMs: spec.leaseTtlMs ?? core.config.leaseTtlMs,
    harnessRevisionId: spec.harnessRevisionId ?? null,
    policyVersion: spec.policyVersion ?? null,
    replayOf: spec.replayOf ?? null,
    metadata: spec.metadata ?? {},
    idempotencyKey: spec.idempotencyKey ?? null,
    idempotencyHash: spec.idempotencyHash ?? null,
  };
}

/**
 * Inserts a pending item within the caller's transaction. The caller must call `announceWork` after commit (waking
 * claimers before the commit would let them miss the row).
 */
export function insertPendingItem(core: Core, q: Queryable, spec: DispatchSpec): Promise<Item> {
  return insertItem(q, newItem(core, spec));
}

export async function dispatchItem(core: Core, spec: DispatchSpec): Promise<Item> {
  const item = await insertItem(core.db, newItem(core, spec));
  announceWork(core, [item]);
  return item;
}

export async function getItemOrThrow(db: Queryable, orgId: string, id: string, what = 'task'): Promise<Item> {
  const item = await getItem(db, orgId, id);
  if (!item) throw notFound(what, id);
  return item;
}

async function claimOnce(core: Core, options: ClaimRequest): Promise<Item[]> {
  try {
    core.metrics.claimAttempts.inc();
    // Each claimed item gets its audit row in the claim's own statement (target filled in per item).
    const items = await claimItems(core.db, options, auditRowFor(null));
    core.metrics.claims.inc(items.length);
    logClaimed(core.log, items);
    announceItemNews(
      core,
      options.orgId,
      items.map((item) => item.id),
    );
    for (const item of items) {
      if (item.attempt === 1 && item.claimedAt) {
        core.metrics.dispatchToClaim.observe((item.claimedAt.getTime() - item.createdAt.getTime()) / 1000);
      }
    }
    return items;
  } catch (error) {
    if (error instanceof RunnerNotRegistered) throw notFound('runner', options.runnerId);
    if (error instanceof RunnerReplaced) throw runnerReplaced(options.runnerId);
    throw error;
  }
}

/** A runner process whose instance was superseded by a newer register of the same runner id must stop. */
export const runnerReplaced = (runnerId: string) =>
  conflict(
    'runner_replaced',
    `runner ${JSON.stringify(runnerId)} registered again from another process; this instance must stop ` +
      '(its tasks were released). Stop the duplicate process or give each process its own runner id',
  );

/** Claims one batch (one call); an unregistered runner where registration is required answers 404. */
export function claimItemsOrNotFound(core: Core, options: ClaimRequest): Promise<Item[]> {
  return claimOnce(core, options);
}

export interface ClaimOptions extends ClaimRequest {
  /** How long to wait for work when none is there (long poll); 0 answers at once. */
  waitMs: number;
  /** Aborts the wait (client went away, server shutting down). */
  signal?: AbortSignal;
}

/**
 * Claims up to `limit` items for a runner, waiting up to `waitMs` for one to arrive. The wake-up subscription is
 * taken before each claim, so a dispatch between the claim and the wait is never missed. A client that went away
 * claims nothing: the signal is checked before every claim, and a claim that raced the disconnect is handed back.
 */
export async function claimForRunner(core: Core, options: ClaimOptions): Promise<Item[]> {
  const deadline = Date.now() + options.waitMs;
  // What the waiter can take, so that work it cannot take does not wake it (tags: sent with the claim, or the
  // runner's registered ones).
  const spec = {
    orgId: options.orgId,
    profileIds: options.profileIds,
    tags: options.tags ?? (options.waitMs > 0 ? await getRunnerTags(core.db, options.orgId, options.runnerId) : null),
  };
  // A long poll in an org known to have nothing pending parks without claiming (see queue-sweep.ts).
  let skipClaim = options.waitMs > 0 && core.wakeups.knownEmpty(options.orgId);
  for (;;) {
    if (options.signal?.aborted) return [];
    const subscription = core.wakeups.subscribe(spec);
    let items: Item[];
    try {
      items = skipClaim ? [] : await claimOnce(core, options);
      skipClaim = false;
    } catch (error) {
      subscription.cancel();
      throw error;
    }
    if (items.length > 0 && options.signal?.aborted) {
      subscription.cancel();
      await releaseClaim(core, options, items);
      return [];
    }
    const remaining = deadline - Date.now();
    if (items.length > 0 || remaining <= 0 || options.signal?.aborted) {
      subscription.cancel();
      return items;
    }
    // Woken by notifications (wakeups.ts, notifications.ts) or by the instance's queue sweep, which covers a lost
    // one: no waiter re-polls on its own, so a fleet of idle runners costs the database almost nothing.
    const woken = await subscription.wait(remaining, options.signal);
    // Nothing arrived before the deadline: answer empty without another claim (a notification that was lost is
    // the sweep's to find, for this poll's successor).
    if (!woken) return [];
  }
}

/** Hands back items claimed for a client that is gone (at once, instead of when their leases lapse). */
async function releaseClaim(core: Core, claim: ClaimRequest, items: Item[]): Promise<void> {
  const itemIds = items.map((item) => item.id);
  const released = await core.db.tx((tx) =>
    releaseLeases(tx, { orgId: claim.orgId, runnerId: claim.runnerId, itemIds }, 'client_gone'),
  );
  leasesEnded(core, released, 'client_gone');
}

/** What a write's `apply` learns besides the locked item. */
export interface WriteContext {
  /** A fenced runner write (true) or an operator's (false). */
  byRunner: boolean;
  /** The lease change this write makes: a runner's write proves it is alive, an operator's does not. */
  lease: 'extend' | 'keep';
  /** The operator's actor for transitions, undefined for a runner write. */
  operator: string | null | undefined;
}

export interface WriteRules {
  /** `task` or `session`, for messages. */
  what?: string;
  /** When an operator (a write without runner identity) may make this write; default: the item is not finished. */
  operatorAllowed?: (item: LockedItem) => boolean;
}

/**
 * Locks the item in `tx` and checks the write: a runner's is fenced, an operator's is checked against `rules`.
 * Every write to an item passes here, in the transaction that makes it.
 */
export async function lockForWrite(
  tx: Queryable,
  orgId: string,
  itemId: string,
  writer: WriterIdentity,
  action: string,
  rules: WriteRules = {},
): Promise<{ item: LockedItem; context: WriteContext }> {
  const what = rules.what ?? 'task';
  const kind = writerKind(writer);
  const item = await lockItem(tx, orgId, itemId);
  if (!item) throw notFound(what, itemId);
  if (kind === 'runner') {
    checkRunnerWriter(item, writer, action);
    return { item, context: { byRunner: true, lease: 'extend', operator: undefined } };
  }
  checkOperatorWrite(item, action, rules.operatorAllowed ?? ((locked) => !isTerminal(locked.state)), what);
  return { item, context: { byRunner: false, lease: 'keep', operator: writer.actor ?? null } };
}

/** Runs one write: lockForWrite, then `apply` in the same transaction. Nothing is written when the check refuses. */
export async function writeItem<T>(
  core: Core,
  orgId: string,
  itemId: string,
  writer: WriterIdentity,
  action: string,
  apply: (tx: Queryable, item: LockedItem, context: WriteContext) => Promise<T>,
  rules: WriteRules = {},
): Promise<T> {
  writerKind(writer);
  const result = await core.db.tx(async (tx) => {
    const { item, context } = await lockForWrite(tx, orgId, itemId, writer, action, rules);
    const applied = await apply(tx, item, context);
    await recordAudit(tx);
    return applied;
  });
  announceItemNews(core, orgId, [itemId]);
  return result;
}

/**
 * A runner's write that needs no decision beyond the fence (a log batch, a phase report, a lease extension): one
 * statement locks the row, checks the fence in SQL and writes (one round trip, no transaction around it). Null
 * when the writer is an operator or the fence refused (nothing was written): the caller then takes the engine's
 * path, which explains a refusal or makes an operator's write.
 */
export async function fencedRunnerWrite<T>(
  core: Core,
  orgId: string,
  itemId: string,
  writer: WriterIdentity,
  write: Omit<ItemWrite, 'fence' | 'audit'>,
  statement: (q: Queryable, id: string, write: ItemWrite) => Promise<T | null>,
): Promise<T | null> {
  if (writerKind(writer) !== 'runner') return null;
  const written = await statement(core.db, itemId, { ...write, fence: { orgId, writer }, audit: auditRowFor() });
  if (written) announceItemNews(core, orgId, [itemId]);
  return written;
}

/** A runner's lease extension (a session heartbeat) in one statement; null as fencedRunnerWrite. */
export async function extendLeaseFenced(
  core: Core,
  orgId: string,
  itemId: string,
  writer: WriterIdentity,
): Promise<Item | null> {
  const written = await fencedRunnerWrite(core, orgId, itemId, writer, { change: { lease: 'extend' } }, writeItemRow);
  return written?.item ?? null;
}

/** Records the runner's current phase; the first phase report moves a dispatched item to running. */
export async function recordPhase(
  core: Core,
  orgId: string,
  itemId: string,
  phase: string,
  writer: WriterIdentity,
): Promise<Item> {
  const change = { phase, lease: 'extend' as const };
  const fast = await fencedRunnerWrite(
    core,
    orgId,
    itemId,
    writer,
    {
      change,
      phaseEvent: {},
      transit: leasedTransit((from) => (from === 'dispatched' ? 'running' : from), 'phase_reported'),
    },
    writeItemRow,
  );
  if (fast) return fast.item;
  return writeItem(
    core,
    orgId,
    itemId,
    writer,
    'report a phase',
    async (tx, item, { lease, operator }) => {
      const phaseEvent = operator !== undefined ? { by: 'operator' } : {};
      if (item.state === 'dispatched') {
        return transition(tx, item, 'running', {
          reason: 'phase_reported',
          operator,
          phaseEvent,
          phase,
          lease,
          started: true,
        });
      }
      return updateItem(tx, itemId, { phase, lease }, { phaseEvent });
    },
    { operatorAllowed: (item) => isLeased(item.state) },
  );
}

/**
 * Appends events (log lines, structured events) with one statement. A runner's extend its lease; an operator's are
 * accepted where `rules` allow.
 */
export async function appendItemEvents(
  core: Core,
  orgId: string,
  itemId: string,
  events: readonly NewEvent[],
  writer: WriterIdentity,
  rules: WriteRules = {},
): Promise<AppendedEvents> {
  const written =
    (await fencedRunnerWrite(
      core,
      orgId,
      itemId,
      writer,
      { change: { lease: 'extend' }, events },
      appendItemEventsRow,
    )) ??
    (await writeItem(
      core,
      orgId,
      itemId,
      writer,
      'append events',
      (tx, _item, { lease }) => appendLockedItemEvents(tx, itemId, { change: { lease }, events }),
      rules,
    ));
  core.metrics.logBatches.inc();
  return written;
}

export type Outcome = 'succeeded' | 'failed' | 'cancelled';

/** The failure_reason a finish stores, by the state it finished in (none for succeeded). */
const FINISH_FAILURE_REASONS: Partial<Record<ItemState, string>> = {
  failed: 'runner_reported',
  cancelled: 'cancelled',
};

export interface Completion {
  outcome: Outcome;
  result: unknown;
  error?: string | null;
  /** Events written in the same transaction, before the final state (a last batch of logs). */
  events?: readonly NewEvent[];
  writer: WriterIdentity;
  /** Identifies "the same submission": a repeat with the same fingerprint by the same runner is answered again. */
  fingerprintOf: unknown;
  /** Other fields written with the result (progress, metadata). */
  also?: { progress?: number; metadata?: Record<string, unknown> };
}

/**
 * The one finish path of both facades. Idempotent: the same submission again returns the stored item with
 * `replayed`; another submission for a finished item is refused. A result for an item whose cancellation was
 * requested finishes it as `cancelled` (the result is kept). What a finished item triggers (a review's delivery) is
 * written in the same transaction, whichever API finished it.
 */
export async function finishItem(
  core: Core,
  orgId: string,
  itemId: string,
  completion: Completion,
): Promise<{ item: Item; replayed: boolean }> {
  // A runner that holds the item finishes it in one statement (state event, attempt, audit and a review's outbox
  // rows with it); a replay, a refusal or an operator's finish takes the engine's path.
  const fast = await fencedRunnerWrite(
    core,
    orgId,
    itemId,
    completion.writer,
    {
      change: finishChange(completion),
      events: completion.events,
      transit: leasedTransit((from) => (from === 'cancel_requested' ? 'cancelled' : completion.outcome), 'result', {
        failureReasons: FINISH_FAILURE_REASONS,
      }),
      closeAttempt: true,
      deliveries: deliveryPlan(core),
    },
    writeItemRow,
  );
  if (fast) {
    logFinished(core.log, fast.item, 'runner');
    return { item: fast.item, replayed: false };
  }
  return finishItemLocked(core, orgId, itemId, completion);
}

/** What every finish writes to the row besides the state. */
const finishChange = (completion: Completion) => ({
  ...completion.also,
  lease: 'clear' as const,
  result: { value: completion.result, hash: fingerprint(completion.fingerprintOf) },
  error: completion.error ?? null,
  finished: true,
});

/**
 * The engine's finish: lock the row, answer a replay or check the writer, transition, write what the finish
 * triggers, in one transaction. The one-statement finish above is tested against it (finish-statement.test.ts).
 */
export async function finishItemLocked(
  core: Core,
  orgId: string,
  itemId: string,
  completion: Completion,
): Promise<{ item: Item; replayed: boolean }> {
  const writer = completion.writer;
  const kind = writerKind(writer);
  const change = finishChange(completion);
  const finished = await core.db.tx(async (tx) => {
    const current = await lockItem(tx, orgId, itemId);
    if (!current) throw notFound('task', itemId);
    const sameRunner =
      (writer.runnerId == null || writer.runnerId === current.runnerId) &&
      (writer.attempt == null || writer.attempt === current.attempt);
    if (isTerminal(current.state) && current.resultHash === change.result.hash && sameRunner) {
      return { item: current, replayed: true };
    }
    if (kind === 'runner') checkRunnerWriter(current, writer, 'submit a result');
    else checkOperatorWrite(current, 'submit a result', (item) => !isTerminal(item.state), 'task');
    const to: Outcome = current.state === 'cancel_requested' ? 'cancelled' : completion.outcome;
    const item = await transition(tx, current, to, {
      reason: 'result',
      operator: kind === 'operator' ? (writer.actor ?? null) : undefined,
      events: completion.events,
      ...change,
      failureReason: FINISH_FAILURE_REASONS[to] ?? null,
      closeAttempt: true,
      audit: auditRowFor(),
    });
    await onItemFinished(core, tx, item);
    return { item, replayed: false };
  });
  if (!finished.replayed) {
    announceItemNews(core, orgId, [itemId]);
    logFinished(core.log, finished.item, kind);
  }
  return finished;
}

/**
 * Cancels an item: at once when no runner holds it, otherwise by asking its runner (`cancel_requested`, delivered
 * in heartbeat and write responses); the item becomes cancelled when the runner reports, releases it or its lease
 * expires.
 */
export async function requestCancel(
  core: Core,
  orgId: string,
  itemId: string,
  what = 'task',
  actor: string | null = null,
): Promise<Item> {
  const { item: cancelled, changed } = await core.db.tx(async (tx) => {
    const item = await lockItem(tx, orgId, itemId);
    if (!item) throw notFound(what, itemId);
    if (item.state === 'cancel_requested' || item.state === 'cancelled') return { item, changed: false };
    if (isTerminal(item.state)) {
      throw conflict('task_finished', `cannot cancel: the ${what} is already ${item.state}`, { state: item.state });
    }
    await recordAudit(tx);
    if (isLeased(item.state)) {
      core.metrics.cancellations.inc({ reason: 'requested_from_runner' });
      // Bounded: unless its runner confirms first, the lease lapses within the grace and the reaper finalises it.
      const asked = await transition(tx, item, 'cancel_requested', {
        reason: 'cancel_requested',
        operator: actor,
        lease: 'cap',
        leaseWithinMs: await cancelGraceMs(core, tx, item),
      });
      return { item: asked, changed: true };
    }
    core.metrics.cancellations.inc({ reason: 'immediate' });
    const done = await transition(tx, item, 'cancelled', {
      reason: 'cancelled',
      operator: actor,
      lease: 'clear',
      finished: true,
      failureReason: 'cancelled',
    });
    return { item: done, changed: true };
  });
  announceItemNews(core, orgId, [itemId]);
  if (changed) logCancelRequested(core.log, cancelled, actor);
  return cancelled;
}

export async function readEvents(
  db: Queryable,
  orgId: string,
  itemId: string,
  options: { after: number; limit: number; type?: string | null },
  what = 'task',
): Promise<ItemEvent[]> {
  await getItemOrThrow(db, orgId, itemId, what);
  return listEvents(db, itemId, options);
}
