import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/core/errors.ts';
import { checkOperatorWrite, checkRunnerWriter, writerKind } from '../../src/core/fencing.ts';
import { type ItemState, isLeased, isTerminal } from '../../src/core/states.ts';
import type { WriterIdentity } from '../../src/core/types.ts';
import type { LockedItem } from '../../src/store/sql/items.ts';

const item = (state: ItemState, overrides: Partial<LockedItem> = {}): LockedItem =>
  ({ state, runnerId: 'r1', runnerInstance: 'i1', attempt: 2, leaseLapsed: false, ...overrides }) as LockedItem;

const codeOf = (fn: () => void) => {
  try {
    fn();
    return null;
  } catch (error) {
    return (error as DomainError).code;
  }
};

describe('writerKind', () => {
  it('a write naming its attempt, runner or instance is a runner write; one naming none is an operator write', () => {
    expect(writerKind({ attempt: 1 })).toBe('runner');
    expect(writerKind({ runnerId: 'r1' })).toBe('runner');
    expect(writerKind({ instance: 'i1' })).toBe('runner');
    expect(writerKind({ actor: 'key_1' })).toBe('operator');
  });

  it('a runner key without an attempt is refused with attempt_required, even when it names its runner', () => {
    expect(codeOf(() => writerKind({ runnerKey: true }))).toBe('attempt_required');
    expect(codeOf(() => writerKind({ runnerKey: true, runnerId: 'r1' }))).toBe('attempt_required');
    expect(writerKind({ runnerKey: true, attempt: 2 })).toBe('runner');
  });
});

describe('checkRunnerWriter', () => {
  it('lets the current attempt of the current runner instance write', () => {
    expect(
      codeOf(() => checkRunnerWriter(item('running'), { runnerId: 'r1', attempt: 2, instance: 'i1' }, 'log')),
    ).toBeNull();
  });

  it.each([
    [{ runnerId: 'r2', attempt: 2 }, 'another runner'],
    [{ runnerId: 'r1', attempt: 1 }, 'an older attempt'],
    [{ attempt: 1 }, 'an older attempt without runner id'],
    [{ runnerId: 'r1', attempt: 2, instance: 'i0' }, 'an earlier instance of the same runner'],
  ] as [WriterIdentity, string][])('refuses %j (%s) with stale_attempt', (writer) => {
    expect(codeOf(() => checkRunnerWriter(item('running'), writer, 'log'))).toBe('stale_attempt');
  });

  it('refuses the current runner once its lease lapsed', () => {
    expect(codeOf(() => checkRunnerWriter(item('running', { leaseLapsed: true }), { runnerId: 'r1' }, 'log'))).toBe(
      'stale_attempt',
    );
  });

  it('refuses a write for an attempt that was handed back (the item is pending or paused again)', () => {
    expect(codeOf(() => checkRunnerWriter(item('pending', { runnerId: null }), { attempt: 2 }, 'log'))).toBe(
      'stale_attempt',
    );
    expect(codeOf(() => checkRunnerWriter(item('paused', { runnerId: null }), { attempt: 2 }, 'log'))).toBe(
      'stale_attempt',
    );
  });

  it('tells the attempt that finished the task task_finished, any other stale_attempt', () => {
    expect(codeOf(() => checkRunnerWriter(item('succeeded'), { attempt: 2 }, 'log'))).toBe('task_finished');
    expect(codeOf(() => checkRunnerWriter(item('succeeded'), { attempt: 1 }, 'log'))).toBe('stale_attempt');
  });

  it('throws domain errors the HTTP layer maps to 409', () => {
    expect(() => checkRunnerWriter(item('failed'), { attempt: 2 }, 'log')).toThrow(DomainError);
  });
});

describe('checkOperatorWrite', () => {
  const notFinished = (locked: LockedItem) => !isTerminal(locked.state);
  it('allows what the rule allows and names the state otherwise', () => {
    expect(codeOf(() => checkOperatorWrite(item('dispatched'), 'log', notFinished, 'task'))).toBeNull();
    expect(codeOf(() => checkOperatorWrite(item('succeeded'), 'log', notFinished, 'task'))).toBe('task_finished');
    expect(codeOf(() => checkOperatorWrite(item('pending'), 'log', (locked) => isLeased(locked.state), 'task'))).toBe(
      'illegal_transition',
    );
  });
});
