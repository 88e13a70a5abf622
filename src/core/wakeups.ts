// Wake-ups for long-polling claimers. Work that became claimable (here, or on another instance: see
// notifications.ts) wakes one waiter that could take it — same org, a profile it claims, the tags the work needs —
// not every waiter of the org. Waiters also re-poll on a slow jittered timer, which covers a lost notification.
import type { WorkSignal } from './notifications.ts';

export interface WaiterSpec {
  orgId: string;
  /** Profiles the waiter claims; null: any. */
  profileIds: readonly string[] | null;
  /** Tags the waiter has; null when unknown (it is then woken for any tags). */
  tags: readonly string[] | null;
}

interface Waiter {
  spec: WaiterSpec;
  wake(): void;
}

export interface Subscription {
  /** Resolves on a wake-up, after `ms`, or when `signal` aborts, whichever is first. */
  wait(ms: number, signal?: AbortSignal): Promise<void>;
  cancel(): void;
}

const canTake = (spec: WaiterSpec, work: WorkSignal) =>
  (spec.profileIds === null || work.profileId === null || spec.profileIds.includes(work.profileId)) &&
  (spec.tags === null || work.requiredTags.every((tag) => spec.tags!.includes(tag)));

export class Wakeups {
  /** Per org, in arrival order: the longest-waiting matching waiter is woken first. */
  private readonly waiters = new Map<string, Set<Waiter>>();

  /** Wakes one waiter that could take `work`; false when none here could. */
  notifyWork(work: WorkSignal): boolean {
    const set = this.waiters.get(work.orgId);
    if (!set) return false;
    for (const waiter of set) {
      if (!canTake(waiter.spec, work)) continue;
      waiter.wake();
      return true;
    }
    return false;
  }

  /** Wakes every waiter of an org. */
  notify(orgId: string): void {
    for (const waiter of [...(this.waiters.get(orgId) ?? [])]) waiter.wake();
  }

  /** Wakes every waiter (a listener reconnected: notifications may have been missed). */
  wakeAll(): void {
    for (const orgId of [...this.waiters.keys()]) this.notify(orgId);
  }

  /** Waiters parked right now. */
  get size(): number {
    let count = 0;
    for (const set of this.waiters.values()) count += set.size;
    return count;
  }

  /** Subscribe before checking for work, so work arriving between the check and the wait is not missed. */
  subscribe(spec: WaiterSpec): Subscription {
    let fired = false;
    let resolveWait: (() => void) | null = null;
    const cancel = () => {
      const current = this.waiters.get(spec.orgId);
      current?.delete(waiter);
      if (current?.size === 0) this.waiters.delete(spec.orgId);
    };
    const waiter: Waiter = {
      spec,
      wake: () => {
        fired = true;
        cancel();
        resolveWait?.();
      },
    };
    let set = this.waiters.get(spec.orgId);
    if (!set) {
      set = new Set();
      this.waiters.set(spec.orgId, set);
    }
    set.add(waiter);
    return {
      cancel,
      wait: (ms, signal) =>
        new Promise<void>((resolve) => {
          if (fired || signal?.aborted || ms <= 0) {
            cancel();
            resolve();
            return;
          }
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            cancel();
            resolve();
          };
          const timer = setTimeout(done, ms);
          signal?.addEventListener('abort', done, { once: true });
          resolveWait = done;
        }),
    };
  }
}
