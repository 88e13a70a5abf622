// The lifecycle engine for work items: dispatch, claim, runner writes (phase, events, result) and cancel.
// Every facade calls these functions; none of them re-implements a claim, a fence or a state change.
// Invariant: a runner write is checked (fencing) and applied under the item's row lock in one transaction.
import type { Db, Queryable } from '../store/db.ts';
import { appendEvents, listEvents } from '../store/sql/events.ts';
import {
  type ClaimRequest,
  claimItems,
  closeAttempt,
  getItem,
  type ItemChange,
  insertItem,
  type LockedItem,
  lockItem,
  type NewItem,
  RunnerNotRegistered,
  updateItem,
} from '../store/sql/items.ts';
import { fingerprint } from './canonical-json.ts';
import type { Core } from './context.ts';
import { conflict, notFound } from './errors.ts';
import { checkWriter } from './fencing.ts';
import { newUuid } from './ids.ts';
import { canTransition, type ItemState, isLeased, isTerminal } from './states.ts';
import type { Item, ItemEvent, NewEvent, WriterIdentity } from './types.ts';

/** Long-pollers re-check at least this often, which covers work made claimable by another server instance. */
const CLAIM_REPOLL_MS = 1000;

export interface DispatchSpec {
  orgId: string;
  profileId: string;
  taskId?: string | null;
  requiredTags?: string[];
  input: unknown;
  maxAttempts?: number;
  leaseTtlMs?: number;
  harnessRevisionId?: string | null;
  metadata?: Record<string, unknown>;
  idempotencyKey?: string | null;
  idempotencyHash?: string | null;
}

/** Builds the row for a new pending item; callers insert it with `insertPendingItem` inside their transaction. */
function newItem(core: Core, spec: DispatchSpec): NewItem {
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
    metadata: spec.metadata ?? {},
    idempotencyKey: spec.idempotencyKey ?? null,
    idempotencyHash: spec.idempotencyHash ?? null,
  };
}

/**
 * Inserts a pending item within the caller's transaction. The caller must call `core.wakeups.notify(orgId)` after
 * commit (waking claimers before the commit would let them miss the row).
 */
export function insertPendingItem(core: Core, q: Queryable, spec: DispatchSpec): Promise<Item> {
  return insertItem(q, newItem(core, spec));
}

export async function dispatchItem(core: Core, spec: DispatchSpec): Promise<Item> {
  const item = await insertItem(core.db, newItem(core, spec));
  core.wakeups.notify(spec.orgId);
  return item;
}

export async function getItemOrThrow(db: Queryable, orgId: string, id: string, what = 'task'): Promise<Item> {
  const item = await getItem(db, orgId, id);
  if (!item) throw notFound(what, id);
  return item;
}

export interface ClaimOptions extends ClaimRequest {
  /** How long to wait for work when none is there (long poll); 0 answers at once. */
  waitMs: number;
  /** Aborts the wait (client went away, server shutting down). */
  signal?: AbortSignal;
}

/** Claims one batch (one call); an unregistered runner where registration is required answers 404. */
export function claimItemsOrNotFound(core: Core, options: ClaimRequest): Promise<Item[]> {
  return claimOnce(core.db, options);
}

async function claimOnce(db: Db, options: ClaimRequest): Promise<Item[]> {
  try {
    return await claimItems(db, options);
  } catch (error) {
    if (error instanceof RunnerNotRegistered) throw notFound('runner', options.runnerId);
    throw error;
  }
}

/**
 * Claims up to `limit` items for a registered runner, waiting up to `waitMs` for one to arrive. The wake-up
 * subscription is taken before each claim, so a dispatch between the claim and the wait is never missed.
 */
export async function claimForRunner(core: Core, options: ClaimOptions): Promise<Item[]> {
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const subscription = core.wakeups.subscribe(options.orgId);
    let items: Item[];
    try {
      items = await claimOnce(core.db, options);
    } catch (error) {
      subscription.cancel();
      throw error;
    }
    const remaining = deadline - Date.now();
    if (items.length > 0 || remaining <= 0 || options.signal?.aborted) {
      subscription.cancel();
      return items;
    }
    await subscription.wait(Math.min(remaining, CLAIM_REPOLL_MS), options.signal);
  }
}

const stateEvent = (from: ItemState, to: ItemState, data: Record<string, unknown> = {}): NewEvent => ({
  type: 'state',
  level: to === 'failed' ? 'error' : 'info',
  message: `${from} → ${to}`,
  data: { from, to, ...data },
});

/**
 * Runs a runner write: locks the item, fences the writer and lets `apply` write (callers extend the lease: a write
 * by the runner proves it is alive). Nothing is written when the fence refuses.
 */
export async function runnerWrite<T>(
  core: Core,
  orgId: string,
  itemId: string,
  writer: WriterIdentity,
  action: string,
  apply: (tx: Queryable, item: LockedItem) => Promise<T>,
  what = 'task',
): Promise<T> {
  return core.db.tx(async (tx) => {
    const item = await lockItem(tx, orgId, itemId);
    if (!item) throw notFound(what, itemId);
    checkWriter(item, writer, action);
    return apply(tx, item);
  });
}

/** True when a write carries a runner identity (header or body) and must be fenced; else it is an operator's. */
export const isRunnerWrite = (writer: WriterIdentity) => writer.runnerId != null || writer.attempt != null;

/**
 * A write by a runner (fenced against its attempt) or by an operator (allowed by scope, any state `allow` accepts):
 * one place decides which rule applies.
 */
export async function sessionWrite<T>(
  core: Core,
  orgId: string,
  itemId: string,
  writer: WriterIdentity,
  action: string,
  apply: (tx: Queryable, item: LockedItem) => Promise<T>,
  operatorAllowed: (item: LockedItem) => boolean = (item) => !isTerminal(item.state),
): Promise<T> {
  if (isRunnerWrite(writer)) return runnerWrite(core, orgId, itemId, writer, action, apply, 'session');
  return core.db.tx(async (tx) => {
    const item = await lockItem(tx, orgId, itemId);
    if (!item) throw notFound('session', itemId);
    if (!operatorAllowed(item)) {
      throw conflict(
        isTerminal(item.state) ? 'task_finished' : 'illegal_transition',
        `cannot ${action}: the session is ${item.state}`,
        { state: item.state },
      );
    }
    return apply(tx, item);
  });
}

/** Records the runner's current phase; the first phase report moves a dispatched item to running. */
export async function recordPhase(
  core: Core,
  orgId: string,
  itemId: string,
  phase: string,
  writer: WriterIdentity,
): Promise<Item> {
  return runnerWrite(core, orgId, itemId, writer, 'report a phase', async (tx, item) => {
    const events: NewEvent[] = [];
    let state: ItemState | undefined;
    if (item.state === 'dispatched') {
      state = 'running';
      events.push(stateEvent('dispatched', 'running', { attempt: item.attempt, runnerId: item.runnerId }));
    }
    events.push({ type: 'phase', level: 'info', message: phase, data: { phase, previous: item.phase } });
    await appendEvents(tx, itemId, events);
    return updateItem(tx, itemId, { state, phase, lease: 'extend', started: state === 'running' });
  });
}

/** Appends runner-written events (log lines, structured events) as one multi-row insert and extends the lease. */
export async function appendRunnerEvents(
  core: Core,
  orgId: string,
  itemId: string,
  events: readonly NewEvent[],
  writer: WriterIdentity,
): Promise<{ item: Item; events: ItemEvent[] }> {
  return runnerWrite(core, orgId, itemId, writer, 'append events', async (tx) => {
    const stored = await appendEvents(tx, itemId, events);
    const item = await updateItem(tx, itemId, { lease: 'extend' });
    return { item, events: stored };
  });
}

/** Moves a leased item to another leased or paused state on the runner's behalf (e.g. `running`). */
export async function moveLeasedItem(
  core: Core,
  orgId: string,
  itemId: string,
  to: ItemState,
  writer: WriterIdentity,
): Promise<Item> {
  return runnerWrite(core, orgId, itemId, writer, `move the task to ${to}`, async (tx, item) => {
    if (item.state === to) return updateItem(tx, itemId, { lease: 'extend' });
    if (!canTransition(item.state, to)) {
      throw conflict('illegal_transition', `cannot move the task from ${item.state} to ${to}`, { state: item.state });
    }
    await appendEvents(tx, itemId, [stateEvent(item.state, to, { attempt: item.attempt })]);
    return updateItem(tx, itemId, { state: to, lease: 'extend', started: to === 'running' });
  });
}

export type Outcome = 'succeeded' | 'failed' | 'cancelled';

export interface Completion {
  outcome: Outcome;
  result: unknown;
  error?: string | null;
  /** Events written in the same transaction, before the final state (a last batch of logs). */
  events?: readonly NewEvent[];
  writer: WriterIdentity;
  /** Identifies "the same submission": a repeat with the same fingerprint by the same runner is answered again. */
  fingerprintOf: unknown;
  /** Writes that must commit with the result (the review outbox row). */
  onFinished?: (tx: Queryable, item: Item) => Promise<void>;
  /** Other fields written with the result (progress, metadata). */
  also?: Pick<ItemChange, 'progress' | 'metadata'>;
}

/**
 * Finishes an item with the runner's result. Idempotent: the same submission again returns the stored item with
 * `replayed`; another submission for a finished item is refused. A result for an item whose cancellation was
 * requested finishes it as `cancelled` (the result is kept).
 */
export async function finishItem(
  core: Core,
  orgId: string,
  itemId: string,
  completion: Completion,
): Promise<{ item: Item; replayed: boolean }> {
  const hash = fingerprint(completion.fingerprintOf);
  return core.db.tx(async (tx) => {
    const current = await lockItem(tx, orgId, itemId);
    if (!current) throw notFound('task', itemId);
    const sameRunner = completion.writer.runnerId == null || completion.writer.runnerId === current.runnerId;
    if (isTerminal(current.state) && current.resultHash === hash && sameRunner) {
      return { item: current, replayed: true };
    }
    checkWriter(current, completion.writer, 'submit a result');
    const to: Outcome = current.state === 'cancel_requested' ? 'cancelled' : completion.outcome;
    const events = [...(completion.events ?? [])];
    events.push(stateEvent(current.state, to, { attempt: current.attempt, runnerId: current.runnerId }));
    await appendEvents(tx, itemId, events);
    const item = await updateItem(tx, itemId, {
      ...completion.also,
      state: to,
      lease: 'clear',
      result: { value: completion.result, hash },
      error: completion.error ?? null,
      failureReason: to === 'failed' ? 'runner_reported' : null,
      finished: true,
    });
    await closeAttempt(tx, itemId, current.attempt, to);
    await completion.onFinished?.(tx, item);
    return { item, replayed: false };
  });
}

/**
 * Cancels an item: at once when no runner holds it, otherwise by asking its runner (`cancel_requested`, delivered
 * in heartbeat and write responses); the item becomes cancelled when the runner reports or its lease expires.
 */
export async function requestCancel(core: Core, orgId: string, itemId: string, what = 'task'): Promise<Item> {
  return core.db.tx(async (tx) => {
    const item = await lockItem(tx, orgId, itemId);
    if (!item) throw notFound(what, itemId);
    if (item.state === 'cancel_requested' || item.state === 'cancelled') return item;
    if (isTerminal(item.state)) {
      throw conflict('task_finished', `cannot cancel: the ${what} is already ${item.state}`, { state: item.state });
    }
    const to: ItemState = isLeased(item.state) ? 'cancel_requested' : 'cancelled';
    await appendEvents(tx, itemId, [stateEvent(item.state, to, { attempt: item.attempt })]);
    if (to === 'cancelled') {
      return updateItem(tx, itemId, { state: to, lease: 'clear', finished: true, failureReason: 'cancelled' });
    }
    return updateItem(tx, itemId, { state: to });
  });
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
