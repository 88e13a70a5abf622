// The one transition function: every state change made in JavaScript goes through `transition`, which checks the
// state table, writes the one state-event shape and is the only caller of the statement that writes `state`. The
// statements that change state in bulk (claim, lease expiry, release) write the same event shape and carry the
// same guards in SQL (see store/sql/items.ts and the claim function).
import type { Queryable } from '../store/db.ts';
import type { NewAuditRecord } from '../store/sql/audit.ts';
import { type ItemChange, type ItemTransit, updateItemState } from '../store/sql/items.ts';
import { conflict } from './errors.ts';
import { canTransition, type ItemState, LEASED_STATES } from './states.ts';
import type { Item, NewEvent } from './types.ts';

export interface TransitionOptions extends ItemChange {
  /** Why the state changes (`claimed`, `phase_reported`, `result`, `cancel_requested`, `resumed`, …). */
  reason: string;
  /** Events written before the state event in the same batch (a last batch of logs, a checkpoint). */
  events?: readonly NewEvent[];
  /** With a phase change: the phase event's extra fields; it is written after the state event. */
  phaseEvent?: Record<string, unknown>;
  /** Closes the current attempt row with `to` as its outcome, in the same statement. */
  closeAttempt?: boolean;
  /** The request's audit row, written by the same statement. */
  audit?: NewAuditRecord | null;
  /** Set when an operator (not the runner holding the item) made the change: the audit actor. */
  operator?: string | null;
}

/** The state event every state change writes: `from → to` with attempt, runner and reason. */
export function stateEvent(item: Item, to: ItemState, reason: string, operator?: string | null): NewEvent {
  return {
    type: 'state',
    level: to === 'failed' ? 'error' : 'info',
    message: `${item.state} → ${to}`,
    data: {
      from: item.state,
      to,
      attempt: item.attempt,
      runnerId: item.runnerId,
      reason,
      ...(operator !== undefined ? { by: 'operator', actor: operator } : {}),
    },
  };
}

/**
 * Moves a row-locked item to `to` with `change`, or refuses with 409 illegal_transition. The caller holds the row
 * lock (lockItem) in `tx`, so the state checked is the state changed.
 */
export async function transition(tx: Queryable, item: Item, to: ItemState, options: TransitionOptions): Promise<Item> {
  if (!canTransition(item.state, to)) {
    throw conflict('illegal_transition', `cannot move the ${noun(item)} from ${item.state} to ${to}`, {
      state: item.state,
    });
  }
  const { reason, events = [], phaseEvent, closeAttempt, audit, operator, ...change } = options;
  return updateItemState(tx, item.id, to, change, {
    events: [...events, stateEvent(item, to, reason, operator)],
    phaseEvent,
    closeAttempt,
    audit,
  });
}

const noun = (item: Item) => (item.profileId === 'ai-review' ? 'task' : 'session');

/**
 * The state change of a fenced runner write, which learns the state only when its statement locks the row: each
 * leased state mapped to the state `to` gives it (itself: no change). A move the state table forbids is left out,
 * so the statement refuses a row in that state and the engine's path explains why (409 illegal_transition).
 */
export function leasedTransit(
  to: (from: ItemState) => ItemState,
  reason: string,
  also: Omit<ItemTransit, 'states' | 'reason'> = {},
): ItemTransit {
  const states: Partial<Record<ItemState, ItemState>> = {};
  for (const from of LEASED_STATES) {
    const next = to(from);
    if (next === from || canTransition(from, next)) states[from] = next;
  }
  return { states, reason, ...also };
}
