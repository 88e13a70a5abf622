// The lease reaper: ends leases whose deadline passed, requeueing the item or failing it with `lease_expired`
// after its last attempt, or finalising a cancel its runner did not confirm in time (`cancel_forced`). It runs every few hundred milliseconds so expiry is seen within a second; several
// server instances may run it at once (the statement takes rows with SKIP LOCKED), and it only ever moves items
// that are still leased (a finished item keeps its state whatever its lease column says).
import { expireLeases } from '../store/sql/items.ts';
import { type LoopLog, startLoop } from './background-loop.ts';
import { enforceBudgets, forceOverduePauses } from './budgets.ts';
import type { Core } from './context.ts';
import { logLeasesExpired } from './domain-log.ts';
import { expireOverdueRequests } from './permission-requests.ts';
import { sweepSuspended } from './suspension.ts';
import { leasesEnded } from './work-announce.ts';

const BATCH = 500;

/** Ends every expired lease now; returns how many items it touched. */
export async function reapExpiredLeases(core: Core): Promise<number> {
  let total = 0;
  for (;;) {
    const ended = await expireLeases(core.db, BATCH);
    total += ended.length;
    for (const item of ended) {
      core.metrics.leaseExpiries.inc({ outcome: item.state === 'pending' ? 'requeued' : item.state });
      // A cancel its runner did not confirm within the grace: the server finalised it (cancel_forced).
      if (item.state === 'cancelled') core.metrics.cancellations.inc({ reason: 'forced' });
    }
    leasesEnded(core, ended, 'lease_expired');
    logLeasesExpired(core.log, ended);
    if (ended.length < BATCH) return total;
  }
}

/** Starts the reaper loop; the returned function stops it and resolves once a running pass has finished. */
export function startLeaseReaper(core: Core, log: LoopLog): () => Promise<void> {
  return startLoop({
    name: 'lease reaper',
    intervalMs: core.config.reaperIntervalMs,
    log,
    leading: () => core.leadership?.leading ?? true,
    pass: async () => {
      await reapExpiredLeases(core);
      // A permission request ends with its attempt or its deadline; readers see that at once, this writes it down.
      await expireOverdueRequests(core);
      // Budgets: wall time passes without any write, and a runner may ignore a pause request.
      await enforceBudgets(core);
      await forceOverduePauses(core);
      // A suspension whose cancels were cut short (its instance died) is finished here.
      await sweepSuspended(core);
      return false;
    },
  });
}
