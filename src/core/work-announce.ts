// Work became claimable (dispatched, requeued, released, resumed): wake one waiting claimer per item here, and tell
// the other instances. Called after the change committed.
import type { EndedLease } from '../store/sql/items.ts';
import type { Core } from './context.ts';
import type { Item } from './types.ts';

export function announceWork(core: Core, items: readonly Pick<Item, 'orgId' | 'profileId' | 'requiredTags'>[]): void {
  for (const item of items) {
    const work = { orgId: item.orgId, profileId: item.profileId, requiredTags: [...item.requiredTags] };
    core.wakeups.notifyWork(work);
    core.signals.publish({ kind: 'work', work, count: 1 });
  }
}

/** Leases that ended for `reason`: those back in the queue are counted and announced. */
export function countRequeues(core: Core, ended: readonly EndedLease[], reason: string): void {
  const requeued = ended.filter((item) => item.state === 'pending');
  if (requeued.length > 0) core.metrics.requeues.inc({ reason }, requeued.length);
  announceWork(core, requeued);
}
