// The item lifecycle in one table. Every state change in the engine is checked here and recorded as an event.
//
//   pending → dispatched → running → succeeded | failed | cancelled
//   dispatched/running → cancel_requested → cancelled (runner reports, or lease expires)
//   dispatched/running/cancel_requested → pending (lease expired or runner released it; attempt + 1 on next claim)
//   running → paused → pending (resume)

import { invalid } from './errors.ts';

export const ITEM_STATES = [
  'pending',
  'dispatched',
  'running',
  'paused',
  'cancel_requested',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type ItemState = (typeof ITEM_STATES)[number];

const TRANSITIONS: Record<ItemState, readonly ItemState[]> = {
  pending: ['dispatched', 'cancelled'],
  dispatched: ['running', 'pending', 'paused', 'cancel_requested', 'succeeded', 'failed', 'cancelled'],
  running: ['pending', 'paused', 'cancel_requested', 'succeeded', 'failed', 'cancelled'],
  cancel_requested: ['pending', 'cancelled', 'failed'],
  paused: ['pending', 'cancelled'],
  succeeded: [],
  failed: ['pending'],
  cancelled: [],
};

/** States in which a runner holds the item under a lease. */
export const LEASED_STATES: readonly ItemState[] = ['dispatched', 'running', 'cancel_requested'];
export const TERMINAL_STATES: readonly ItemState[] = ['succeeded', 'failed', 'cancelled'];

export function canTransition(from: ItemState, to: ItemState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** States from which `to` may be entered: the WHERE clause of a guarded UPDATE. */
export function statesLeadingTo(to: ItemState): ItemState[] {
  return ITEM_STATES.filter((from) => TRANSITIONS[from].includes(to));
}

export const isLeased = (state: ItemState) => LEASED_STATES.includes(state);
export const isTerminal = (state: ItemState) => TERMINAL_STATES.includes(state);

/** A comma-separated list of states from a query string (`?status=` / `?state=`); an unknown name is refused. */
export function parseStateList(value: string | undefined, field: string): ItemState[] | null {
  if (!value) return null;
  const states = value.split(',').map((state) => state.trim());
  for (const state of states) {
    if (!(ITEM_STATES as readonly string[]).includes(state)) {
      throw invalid(field, `${field} "${state}" is not one of ${ITEM_STATES.join(', ')}`);
    }
  }
  return states as ItemState[];
}
