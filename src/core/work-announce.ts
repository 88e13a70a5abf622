// Work became claimable (dispatched, requeued, released, resumed): wake one waiting claimer per item here, and tell
// the other instances. Called after the change committed.
import type { Core } from './context.ts';
import type { Item } from './types.ts';

export function announceWork(core: Core, items: readonly Pick<Item, 'orgId' | 'profileId' | 'requiredTags'>[]): void {
  for (const item of items) {
    const work = { orgId: item.orgId, profileId: item.profileId, requiredTags: [...item.requiredTags] };
    core.wakeups.notifyWork(work);
    core.signals.publish({ kind: 'work', work, count: 1 });
  }
}
