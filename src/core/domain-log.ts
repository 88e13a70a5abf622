// Domain events as log lines: one JSON line per event with a stable `event` name and the ids an operator searches
// by. Each is logged after its change committed (never inside the transaction) from what the change's statement
// returned, so logging costs no query and a line names what happened, not what was tried.
//
//   runner.registered   orgId runnerId instanceId version tags maxConcurrency releasedTaskIds
//   runner.replaced     orgId runnerId instanceId previousInstanceId releasedTaskIds  (a live instance superseded)
//   runner.offline      orgId runnerId instanceId reason releasedTaskIds
//   item.claimed        orgId itemId reviewId|taskId profileId runnerId attempt
//   item.lease_expired  orgId itemId reviewId|taskId profileId runnerId attempt outcome (requeued|failed|cancelled)
//   item.cancel_requested orgId itemId reviewId|taskId profileId by state (cancel_requested|cancelled) runnerId
//   item.finished       orgId itemId reviewId|taskId profileId runnerId attempt state by (runner|operator)
//   delivery.delivered  orgId reviewId destination attempt
//   delivery.retrying   orgId reviewId destination attempt err   (warn)
//   delivery.failed     orgId reviewId destination attempt err   (error: given up)
import type { EndedLease } from '../store/sql/items.ts';
import type { OutboxEntry } from '../store/sql/outbox.ts';
import type { Log } from './log.ts';
import type { Item, Runner } from './types.ts';

type EventLog = Pick<Log, 'info' | 'warn' | 'error'>;

/**
 * The ids an item is known by: `itemId` is the task's (or session's) id in both APIs; a review task also carries its
 * review's id, a session the dispatcher's own task id.
 */
function itemIds(item: Pick<Item, 'orgId' | 'id' | 'profileId' | 'taskId'>) {
  return {
    orgId: item.orgId,
    itemId: item.id,
    ...(item.profileId === 'ai-review' ? { reviewId: item.taskId } : { taskId: item.taskId }),
    profileId: item.profileId,
  };
}

export function logRunnerRegistered(
  log: EventLog,
  runner: Runner,
  previousInstanceId: string | null,
  releasedTaskIds: string[],
): void {
  const ids = { orgId: runner.orgId, runnerId: runner.id, instanceId: runner.instanceId };
  log.info(
    {
      event: 'runner.registered',
      ...ids,
      version: runner.version,
      tags: runner.tags,
      maxConcurrency: runner.maxConcurrency,
      releasedTaskIds,
    },
    `runner ${runner.id} registered`,
  );
  if (previousInstanceId !== null) {
    log.info(
      { event: 'runner.replaced', ...ids, previousInstanceId, releasedTaskIds },
      `runner ${runner.id} registered again; its earlier instance was replaced`,
    );
  }
}

export function logRunnerOffline(
  log: EventLog,
  runner: Pick<Runner, 'orgId' | 'id'>,
  instanceId: string | null,
  reason: 'deregistered',
  releasedTaskIds: string[],
): void {
  log.info(
    { event: 'runner.offline', orgId: runner.orgId, runnerId: runner.id, instanceId, reason, releasedTaskIds },
    `runner ${runner.id} offline (${reason})`,
  );
}

export function logClaimed(log: EventLog, items: readonly Item[]): void {
  for (const item of items) {
    log.info(
      { event: 'item.claimed', ...itemIds(item), runnerId: item.runnerId, attempt: item.attempt },
      `claimed by ${item.runnerId} (attempt ${item.attempt})`,
    );
  }
}

export function logLeasesExpired(log: EventLog, ended: readonly EndedLease[]): void {
  for (const item of ended) {
    const outcome = item.state === 'pending' ? 'requeued' : item.state;
    log.info(
      { event: 'item.lease_expired', ...itemIds(item), runnerId: item.runnerId, attempt: item.attempt, outcome },
      `lease of ${item.runnerId} expired (attempt ${item.attempt}); ${outcome}`,
    );
  }
}

export function logCancelRequested(log: EventLog, item: Item, by: string | null): void {
  log.info(
    { event: 'item.cancel_requested', ...itemIds(item), by, state: item.state, runnerId: item.runnerId },
    item.state === 'cancelled' ? 'cancelled' : `cancel requested from ${item.runnerId}`,
  );
}

export function logFinished(log: EventLog, item: Item, by: 'runner' | 'operator'): void {
  log.info(
    { event: 'item.finished', ...itemIds(item), runnerId: item.runnerId, attempt: item.attempt, state: item.state, by },
    `finished ${item.state}`,
  );
}

export function logDelivered(log: EventLog, entry: OutboxEntry): void {
  log.info(
    {
      event: 'delivery.delivered',
      orgId: entry.orgId,
      reviewId: entry.reviewId,
      destination: entry.destination,
      attempt: entry.attempts,
    },
    'review delivered',
  );
}

/** A failed post: retried later (warn), or given up for good (`final`, error). */
export function logDeliveryFailed(log: EventLog, entry: OutboxEntry, error: string, final: boolean): void {
  const fields = {
    event: final ? 'delivery.failed' : 'delivery.retrying',
    orgId: entry.orgId,
    reviewId: entry.reviewId,
    destination: entry.destination,
    attempt: entry.attempts,
    err: error,
  };
  if (final) log.error(fields, 'delivery failed; giving up');
  else log.warn(fields, 'delivery failed; will retry');
}
