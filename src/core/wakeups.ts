// In-process wake-up for long-polling claimers: a dispatch (or a requeue) in this process wakes the org's waiters
// at once. Claimers also re-poll on a short timer, which covers work made claimable by another instance.

type Waiter = () => void;

export interface Subscription {
  /** Resolves on a notification for the org, after `ms`, or when `signal` aborts, whichever is first. */
  wait(ms: number, signal?: AbortSignal): Promise<void>;
  cancel(): void;
}

export class Wakeups {
  private readonly waiters = new Map<string, Set<Waiter>>();

  notify(orgId: string): void {
    const set = this.waiters.get(orgId);
    if (!set) return;
    this.waiters.delete(orgId);
    for (const wake of set) wake();
  }

  /** Subscribe before checking for work, so a dispatch between the check and the wait is not missed. */
  subscribe(orgId: string): Subscription {
    let fired = false;
    let resolveWait: (() => void) | null = null;
    const wake: Waiter = () => {
      fired = true;
      resolveWait?.();
    };
    let set = this.waiters.get(orgId);
    if (!set) {
      set = new Set();
      this.waiters.set(orgId, set);
    }
    set.add(wake);
    const cancel = () => {
      const current = this.waiters.get(orgId);
      current?.delete(wake);
      if (current?.size === 0) this.waiters.delete(orgId);
    };
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
