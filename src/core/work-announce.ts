// After a change committed: work that became claimable (dispatched, requeued, released, resumed) wakes one waiting
// claimer per item, and items with new events wake the event streams watching them — here at once, and on the other
// instances through a notification.
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

/** Items got new events or a new state. */
export function announceItemNews(core: Core, orgId: string, itemIds: readonly string[]): void {
  if (itemIds.length === 0) return;
  core.itemWatch.wake(orgId, itemIds);
  core.signals.publish({ kind: 'items', orgId, itemIds: [...itemIds] });
}

/** Leases that ended for `reason`: each has a new state event; those back in the queue are counted and announced. */
export function leasesEnded(core: Core, ended: readonly EndedLease[], reason: string): void {
  const byOrg = new Map<string, string[]>();
  for (const item of ended) {
    const ids = byOrg.get(item.orgId) ?? [];
    ids.push(item.id);
    byOrg.set(item.orgId, ids);
  }
  for (const [orgId, ids] of byOrg) announceItemNews(core, orgId, ids);
  const requeued = ended.filter((item) => item.state === 'pending');
  if (requeued.length > 0) core.metrics.requeues.inc({ reason }, requeued.length);
  announceWork(core, requeued);
}
