// Runner registrations and liveness. A heartbeat extends the leases of every item the runner holds; a deregister
// hands its unfinished items back to the queue at once instead of waiting for their leases to expire.

import { cancelRequestedIds, endLeases, extendRunnerLeases } from '../store/sql/items.ts';
import {
  getRunner,
  listRunners,
  markRunnerOffline,
  type RunnerRegistration,
  recordHeartbeat,
  upsertRunner,
} from '../store/sql/runners.ts';
import type { Core } from './context.ts';
import { notFound } from './errors.ts';
import type { Runner, RunnerStatus } from './types.ts';

export async function registerRunner(core: Core, registration: RunnerRegistration): Promise<Runner> {
  const runner = await upsertRunner(core.db, registration);
  // A new or re-registered runner may open slots for waiting work.
  core.wakeups.notify(registration.orgId);
  return runner;
}

export async function heartbeat(
  core: Core,
  orgId: string,
  runnerId: string,
  report: { status: RunnerStatus; currentJobs: number },
): Promise<{ runner: Runner; cancelTaskIds: string[] }> {
  return core.db.tx(async (tx) => {
    await extendRunnerLeases(tx, orgId, runnerId);
    const runner = await recordHeartbeat(tx, orgId, runnerId, report.status, report.currentJobs);
    if (!runner) throw notFound('runner', runnerId);
    return { runner, cancelTaskIds: await cancelRequestedIds(tx, orgId, runnerId) };
  });
}

export async function deregisterRunner(
  core: Core,
  orgId: string,
  runnerId: string,
): Promise<{ runner: Runner; releasedTaskIds: string[] }> {
  const outcome = await core.db.tx(async (tx) => {
    const runner = await markRunnerOffline(tx, orgId, runnerId);
    if (!runner) throw notFound('runner', runnerId);
    const released = await endLeases(tx, { mode: 'released', orgId, runnerId });
    return { runner, releasedTaskIds: released.map((item) => item.id) };
  });
  if (outcome.releasedTaskIds.length > 0) core.wakeups.notify(orgId);
  return outcome;
}

export async function findRunner(core: Core, orgId: string, runnerId: string): Promise<Runner> {
  const runner = await getRunner(core.db, orgId, runnerId);
  if (!runner) throw notFound('runner', runnerId);
  return runner;
}

export const listOrgRunners = (core: Core, orgId: string): Promise<Runner[]> => listRunners(core.db, orgId);
