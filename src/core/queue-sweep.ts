// The safety net under notifications: every RUNPLANE_CLAIM_REPOLL_SECONDS each instance asks the store once what is
// pending in the orgs where it has parked long polls, and wakes a matching waiter per pending item. That covers a
// notification lost to a crash between a commit and its publish, at one query per instance instead of one claim per
// parked poll. An org found empty is remembered (until the next work signal), so a new long poll there parks
// without claiming: a fleet of idle runners costs the database almost nothing.
import { pendingWorkOf } from '../store/sql/queues.ts';
import { type LoopLog, startLoop } from './background-loop.ts';
import type { Core } from './context.ts';

export async function sweepQueues(core: Core): Promise<void> {
  const orgs = core.wakeups.parkedOrgs();
  if (orgs.length === 0) return;
  const generations = new Map(orgs.map((orgId) => [orgId, core.wakeups.generation(orgId)]));
  const pending = await pendingWorkOf(core.db, orgs);
  for (const orgId of orgs) {
    if (!pending.some((row) => row.orgId === orgId)) core.wakeups.sawEmpty(orgId, generations.get(orgId)!);
  }
  for (const row of pending) {
    const work = { orgId: row.orgId, profileId: row.profileId, requiredTags: row.requiredTags };
    for (let i = 0; i < row.count && core.wakeups.notifyWork(work); i++);
  }
}

/** Every instance sweeps for its own waiters (not leader-only): each knows only its own parked polls. */
export function startQueueSweep(core: Core, log: LoopLog): () => Promise<void> {
  return startLoop({
    name: 'queue sweep',
    intervalMs: core.config.claimRepollMs,
    log,
    pass: async () => {
      await sweepQueues(core);
      return false;
    },
  });
}
