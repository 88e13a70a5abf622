// Wake-ups for long-polling claimers. Work that became claimable (here, or on another instance: see
// notifications.ts) wakes one waiter that could take it — same org, a profile it claims, the tags the work needs —
// not every waiter of the org. A lost notification is covered by the instance's queue sweep (queue-sweep.ts), which
// also teaches this class when an org's queue is known to be empty: a new long poll then parks without claiming.
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
  /** Resolves on a wake-up (true), after `ms` or when `signal` aborts (false), whichever is first. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean>;
  cancel(): void;
}

const canTake = (spec: WaiterSpec, work: WorkSignal) =>
  (spec.profileIds === null || work.profileId === null || spec.profileIds.includes(work.profileId)) &&
  (spec.tags === null || work.requiredTags.every((tag) => spec.tags!.includes(tag)));

export class Wakeups {
  /** Per org, in arrival order: the longest-waiting matching waiter is woken first. */
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** Per org, bumped by every piece of work heard of. */
  private readonly generations = new Map<string, number>();
  /** Per org, the generation at which a sweep saw nothing pending. */
  private readonly emptyAt = new Map<string, number>();
  /** Whether this instance hears every notification (its listener is connected); nothing is known otherwise. */
  private listening = false;

  generation(orgId: string): number {
    return this.generations.get(orgId) ?? 0;
  }

  /** A sweep that started at `generation` found nothing pending in the org. */
  sawEmpty(orgId: string, generation: number): void {
    if (this.generation(orgId) === generation) this.emptyAt.set(orgId, generation);
  }

  /** Nothing pending in the org, as far as a sweep and every notification since can tell. */
  knownEmpty(orgId: string): boolean {
    return this.listening && this.emptyAt.get(orgId) === this.generation(orgId);
  }

  /** The listener connected (true) or lost its connection (false: notifications may be missed from now on). */
  setListening(listening: boolean): void {
    this.listening = listening;
    if (!listening) this.emptyAt.clear();
  }

  /** Orgs with parked waiters (what a sweep looks at). */
  parkedOrgs(): string[] {
    return [...this.waiters.keys()];
  }

  /** Wakes one waiter that could take `work`; false when none here could. */
  notifyWork(work: WorkSignal): boolean {
    this.generations.set(work.orgId, this.generation(work.orgId) + 1);
    this.emptyAt.delete(work.orgId);
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
    this.emptyAt.clear();
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
        new Promise<boolean>((resolve) => {
          if (fired || signal?.aborted || ms <= 0) {
            cancel();
            resolve(fired);
            return;
          }
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            cancel();
            resolve(fired);
          };
          const timer = setTimeout(done, ms);
          signal?.addEventListener('abort', done, { once: true });
          resolveWait = done;
        }),
    };
  }
}
