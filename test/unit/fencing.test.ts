import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/core/errors.ts';
import { checkWriter } from '../../src/core/fencing.ts';
import type { ItemState } from '../../src/core/states.ts';
import type { WriterIdentity } from '../../src/core/types.ts';
import type { LockedItem } from '../../src/store/sql/items.ts';

const item = (state: ItemState, overrides: Partial<LockedItem> = {}): LockedItem =>
  ({ state, runnerId: 'r1', attempt: 2, leaseLapsed: false, ...overrides }) as LockedItem;

const codeOf = (fn: () => void) => {
  try {
    fn();
    return null;
  } catch (error) {
    return (error as DomainError).code;
  }
};

describe('checkWriter', () => {
  it('lets the current attempt of the current runner write', () => {
    expect(codeOf(() => checkWriter(item('running'), { runnerId: 'r1', attempt: 2 }, 'log'))).toBeNull();
  });

  it('lets an unidentified writer write while the task is leased', () => {
    expect(codeOf(() => checkWriter(item('dispatched'), {}, 'log'))).toBeNull();
  });

  it.each([
    [{ runnerId: 'r2', attempt: 2 }, 'another runner'],
    [{ runnerId: 'r1', attempt: 1 }, 'an older attempt'],
    [{ attempt: 1 }, 'an older attempt without runner id'],
  ] as [WriterIdentity, string][])('refuses %j (%s) with stale_attempt', (writer) => {
    expect(codeOf(() => checkWriter(item('running'), writer, 'log'))).toBe('stale_attempt');
  });

  it('refuses the current runner once its lease lapsed', () => {
    expect(codeOf(() => checkWriter(item('running', { leaseLapsed: true }), { runnerId: 'r1' }, 'log'))).toBe(
      'stale_attempt',
    );
  });

  it('refuses any write to a finished task and to an unclaimed one', () => {
    expect(codeOf(() => checkWriter(item('succeeded'), {}, 'log'))).toBe('task_finished');
    expect(codeOf(() => checkWriter(item('pending', { runnerId: null }), {}, 'log'))).toBe('illegal_transition');
  });

  it('throws domain errors the HTTP layer maps to 409', () => {
    expect(() => checkWriter(item('failed'), {}, 'log')).toThrow(DomainError);
  });
});
