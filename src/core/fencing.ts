// Fencing: a runner's write counts only while the attempt it was given is the item's current one and its lease
// has not lapsed. Checked under the item's row lock, so the check and the write are one atomic step.

import type { LockedItem } from '../store/sql/items.ts';
import { conflict } from './errors.ts';
import { isLeased, isTerminal } from './states.ts';
import type { WriterIdentity } from './types.ts';

export function checkWriter(item: LockedItem, writer: WriterIdentity, action: string): void {
  const identified = writer.runnerId != null || writer.attempt != null;
  if (identified) {
    const moved =
      (writer.runnerId != null && writer.runnerId !== item.runnerId) ||
      (writer.attempt != null && writer.attempt !== item.attempt);
    if (moved || (isLeased(item.state) && item.leaseLapsed)) {
      throw conflict(
        'stale_attempt',
        `attempt ${writer.attempt ?? '?'} of runner ${JSON.stringify(writer.runnerId ?? null)} is no longer current ` +
          `(task is ${item.state}, attempt ${item.attempt}${item.leaseLapsed ? ', lease expired' : ''}); drop this task`,
        { state: item.state, attempt: item.attempt },
      );
    }
  }
  if (isTerminal(item.state)) {
    throw conflict('task_finished', `cannot ${action}: the task is already ${item.state}`, { state: item.state });
  }
  if (!isLeased(item.state)) {
    throw conflict('illegal_transition', `cannot ${action}: the task is ${item.state}, not claimed by a runner`, {
      state: item.state,
    });
  }
}
