// Fencing: a runner's write counts only while the attempt it was given is the item's current one, held by the same
// runner instance, and its lease has not lapsed. Checked under the item's row lock, so the check and the write are one
// atomic step. A write that names no attempt, runner or instance is an operator's: never fenced, never a lease
// extension; a runner key cannot make one (its writes must name their attempt).

import type { LockedItem } from '../store/sql/items.ts';
import { conflict, DomainError } from './errors.ts';
import { isLeased, isTerminal } from './states.ts';
import type { WriterIdentity } from './types.ts';

export type WriterKind = 'runner' | 'operator';

/** Which rule applies to a write; a runner key without an attempt is refused here, before any lookup. */
export function writerKind(writer: WriterIdentity): WriterKind {
  if (writer.runnerKey && writer.attempt == null) {
    throw new DomainError(
      'invalid',
      'attempt_required',
      'a runner key must name the attempt of every task write: send x-runplane-attempt (or attempt in a result body)',
      'x-runplane-attempt',
    );
  }
  return writer.runnerId != null || writer.attempt != null || writer.instance != null ? 'runner' : 'operator';
}

/** Refuses a runner write whose attempt is no longer current; `action` names the write in the message. */
export function checkRunnerWriter(item: LockedItem, writer: WriterIdentity, action: string): void {
  const ownAttempt =
    (writer.runnerId == null || writer.runnerId === item.runnerId) &&
    (writer.attempt == null || writer.attempt === item.attempt) &&
    (writer.instance == null || item.runnerInstance == null || writer.instance === item.runnerInstance);
  if (ownAttempt && isTerminal(item.state)) {
    throw conflict('task_finished', `cannot ${action}: the task is already ${item.state}`, { state: item.state });
  }
  if (!ownAttempt || !isLeased(item.state) || item.leaseLapsed) {
    const why = !isLeased(item.state)
      ? `the task is ${item.state}`
      : `task is ${item.state}, attempt ${item.attempt}${item.leaseLapsed ? ', lease expired' : ''}`;
    throw conflict(
      'stale_attempt',
      `attempt ${writer.attempt ?? '?'} of runner ${JSON.stringify(writer.runnerId ?? null)} is no longer current ` +
        `(${why}); drop this task`,
      { state: item.state, attempt: item.attempt },
    );
  }
}

/** An operator's write is allowed while `allowed` says so (by default: the item is not finished). */
export function checkOperatorWrite(
  item: LockedItem,
  action: string,
  allowed: (item: LockedItem) => boolean,
  what: string,
): void {
  if (allowed(item)) return;
  throw conflict(
    isTerminal(item.state) ? 'task_finished' : 'illegal_transition',
    `cannot ${action}: the ${what} is ${item.state}`,
    { state: item.state },
  );
}
