import { describe, expect, it } from 'vitest';
import { canTransition, ITEM_STATES, isLeased, isTerminal, statesLeadingTo } from '../../src/core/states.ts';

describe('item state machine', () => {
  it('follows pending → dispatched → running → terminal', () => {
    expect(canTransition('pending', 'dispatched')).toBe(true);
    expect(canTransition('dispatched', 'running')).toBe(true);
    expect(canTransition('running', 'succeeded')).toBe(true);
    expect(canTransition('pending', 'running')).toBe(false);
    expect(canTransition('pending', 'succeeded')).toBe(false);
  });

  it('never leaves succeeded or cancelled', () => {
    for (const to of ITEM_STATES) {
      expect(canTransition('succeeded', to)).toBe(false);
      expect(canTransition('cancelled', to)).toBe(false);
    }
  });

  it('lets a cancel request end as cancelled and a failed item be resumed', () => {
    expect(canTransition('cancel_requested', 'cancelled')).toBe(true);
    expect(canTransition('failed', 'pending')).toBe(true);
    expect(statesLeadingTo('cancel_requested').sort()).toEqual(['dispatched', 'running']);
  });

  it('classifies leased and terminal states', () => {
    expect(ITEM_STATES.filter(isLeased)).toEqual(['dispatched', 'running', 'cancel_requested']);
    expect(ITEM_STATES.filter(isTerminal)).toEqual(['succeeded', 'failed', 'cancelled']);
  });
});
