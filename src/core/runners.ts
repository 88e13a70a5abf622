// Runner registrations and liveness. Leases belong to a runner *instance*: every register starts a new one and
// releases what earlier instances of that id held (a restarted process never finds its old tasks stuck). A heartbeat
// that lists the tasks the runner works on extends exactly those and releases the rest; one that lists none extends
// all of the runner's leases. A deregister hands unfinished items back at once.

import type { Queryable } from '../store/db.ts';
import { listRunnerAttempts } from '../store/sql/attempts.ts';
import { releaseLeases } from '../store/sql/items.ts';
import {
  getRunner,
  listRunners,
  markRunnerOffline,
  type RunnerRegistration,
  recordHeartbeat,
  upsertRunner,
} from '../store/sql/runners.ts';
import { recordAudit } from './audit.ts';
import type { Core } from './context.ts';
import { logRunnerOffline, logRunnerRegistered } from './domain-log.ts';
import { notFound } from './errors.ts';
import { newUuid } from './ids.ts';
import { runnerReplaced } from './items.ts';
import type { Runner, RunnerStatus } from './types.ts';
import { leasesEnded } from './work-announce.ts';

/** Registers (or re-registers) a runner id as a new instance; leases of its earlier instances are released. */
export async function registerRunner(
  core: Core,
  registration: RunnerRegistration,
): Promise<{ runner: Runner; releasedTaskIds: string[] }> {
  const { released, previousInstanceId, ...outcome } = await core.db.tx(async (tx) => {
    const { runner, previousInstanceId } = await upsertRunner(tx, { ...registration, instanceId: newUuid() });
    const released = await releaseLeases(
      tx,
      { orgId: registration.orgId, runnerId: registration.id },
      'runner_restarted',
    );
    await recordAudit(tx, runner.id);
    return { runner, releasedTaskIds: released.map((item) => item.id), released, previousInstanceId };
  });
  // Released tasks are claimable again.
  leasesEnded(core, released, 'runner_restarted');
  logRunnerRegistered(core.log, outcome.runner, previousInstanceId, outcome.releasedTaskIds);
  return outcome;
}

export interface HeartbeatReport {
  status: RunnerStatus;
  currentJobs: number;
  /** The runner instance sending it (`x-runner-instance`); null for runners that follow only the contract. */
  instance: string | null;
  /** The tasks the runner works on (extension); null when not sent. */
  taskIds: string[] | null;
  /**
   * How long the runner's oldest unanswered claim request has been out (extension). A lease claimed within that
   * window may be on its way to the runner, so it is not released for being unlisted.
   */
  claimsPendingMs?: number | null;
}

/** Added to claimsPendingMs: the time a request takes from the runner to the database. */
const CLAIM_IN_FLIGHT_MARGIN_MS = 1000;

export interface HeartbeatAnswer {
  runner: Runner;
  /** Held tasks whose cancellation was requested: stop them and report. */
  cancelTaskIds: string[];
  /** Held sessions the server asks to pause (a budget was reached): checkpoint them with pause. */
  pauseTaskIds: string[];
  /** Listed tasks this runner no longer holds: stop them without reporting. */
  staleTaskIds: string[];
  /** Leases this heartbeat released (unlisted, or claimed before an idle runner's previous heartbeat). */
  releasedTaskIds: string[];
}

export async function heartbeat(
  core: Core,
  orgId: string,
  runnerId: string,
  report: HeartbeatReport,
): Promise<HeartbeatAnswer> {
  const listed = report.taskIds === null ? null : [...new Set(report.taskIds)];
  // One statement records the beat and extends the leases (the common case: nothing to release, one round trip).
  const beat = await recordHeartbeat(core.db, orgId, runnerId, report, listed);
  if (!beat) throw await missingRunner(core.db, orgId, runnerId);
  const held = beat.leases;
  // Listed: the runner dropped whatever it did not list, except a claim whose answer may still be on its way
  // (claimsPendingMs). Not listed: `currentJobs: 0` means it holds nothing; a lease claimed after its previous
  // heartbeat may still be on its way to it, so only older ones are released. The release statement re-checks
  // each lease under its row lock, so a lease that moved on since the beat is left alone.
  const release =
    listed !== null ? held.unlisted : report.currentJobs === 0 && beat.previousHeartbeatAt ? held.extended : [];
  const released =
    release.length === 0
      ? []
      : await core.db.tx((tx) =>
          releaseLeases(
            tx,
            {
              orgId,
              runnerId,
              itemIds: release,
              claimedBefore: listed === null ? beat.previousHeartbeatAt : null,
              claimedAtLeastMsAgo:
                listed !== null && report.claimsPendingMs != null
                  ? report.claimsPendingMs + CLAIM_IN_FLIGHT_MARGIN_MS
                  : null,
            },
            'runner_abandoned',
          ),
        );
  core.metrics.heartbeats.inc();
  leasesEnded(core, released, 'runner_abandoned');
  const releasedIds = new Set(released.map((item) => item.id));
  const extended = new Set(held.extended);
  return {
    runner: { ...beat.runner, activeItems: held.extended.length + held.unlisted.length - releasedIds.size },
    cancelTaskIds: held.cancelRequested.filter((id) => !releasedIds.has(id)),
    pauseTaskIds: held.pauseRequested.filter((id) => !releasedIds.has(id)),
    staleTaskIds: (listed ?? []).filter((id) => !extended.has(id)),
    releasedTaskIds: [...releasedIds],
  };
}

/** 409 runner_replaced when the runner exists under another instance, else 404. */
async function missingRunner(q: Queryable, orgId: string, runnerId: string): Promise<Error> {
  return (await getRunner(q, orgId, runnerId)) ? runnerReplaced(runnerId) : notFound('runner', runnerId);
}

export async function deregisterRunner(
  core: Core,
  orgId: string,
  runnerId: string,
  instance: string | null,
): Promise<{ runner: Runner; releasedTaskIds: string[] }> {
  const { released, ...outcome } = await core.db.tx(async (tx) => {
    const runner = await markRunnerOffline(tx, orgId, runnerId, instance);
    if (!runner) throw await missingRunner(tx, orgId, runnerId);
    const released = await releaseLeases(tx, { orgId, runnerId }, 'runner_released');
    await recordAudit(tx, runner.id);
    return { runner, releasedTaskIds: released.map((item) => item.id), released };
  });
  leasesEnded(core, released, 'runner_released');
  logRunnerOffline(core.log, outcome.runner, instance, 'deregistered', outcome.releasedTaskIds);
  return outcome;
}

export async function findRunner(core: Core, orgId: string, runnerId: string): Promise<Runner> {
  const runner = await getRunner(core.db, orgId, runnerId);
  if (!runner) throw notFound('runner', runnerId);
  return runner;
}

/** A runner's most recent claims (its page in the console); 404 for a runner of another org. */
export async function runnerAttempts(core: Core, orgId: string, runnerId: string, limit: number) {
  await findRunner(core, orgId, runnerId);
  return listRunnerAttempts(core.db, orgId, runnerId, limit);
}

export const listOrgRunners = (core: Core, orgId: string): Promise<Runner[]> => listRunners(core.db, orgId);
