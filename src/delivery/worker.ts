// The delivery worker drains the outbox: it takes due rows under a short lock, posts each to its destination, and
// marks it delivered, or schedules a retry with exponential backoff and jitter, or gives up after
// RUNPLANE_DELIVERY_MAX_ATTEMPTS. Several instances may run it: a row is only ever held by one of them.

import { randomUUID } from 'node:crypto';
import { startLoop } from '../core/background-loop.ts';
import type { Core } from '../core/context.ts';
import { logDelivered, logDeliveryFailed } from '../core/domain-log.ts';
import {
  markAttemptFailed,
  markDelivered,
  type OutboxEntry,
  renewOutboxLock,
  takeDueOutbox,
} from '../store/sql/outbox.ts';
import { getReview } from '../store/sql/reviews.ts';
import { DeliveryError, postToGitHub, postToGitLab, postToWebhook } from './destinations.ts';

const POLL_MS = 500;
const BATCH = 10;
/** A row is held this long per attempt; a worker that dies mid-post frees it after this. */
const LOCK_MS = 60_000;
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 10 * 60_000;

export interface DeliveryLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** Full jitter: a random delay up to the exponential bound, so retries of many rows do not arrive together. */
export const backoffMs = (attempt: number) =>
  Math.round(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1)));

async function deliver(core: Core, entry: OutboxEntry): Promise<void> {
  const review = await getReview(core.db, entry.orgId, entry.reviewId);
  if (!review) throw new DeliveryError(`review ${entry.reviewId} no longer exists`, false);
  if (entry.destination === 'github') return postToGitHub(core.config, review);
  if (entry.destination === 'gitlab') return postToGitLab(core.config, review);
  if (entry.destination === 'webhook') return postToWebhook(core.config, review);
  throw new DeliveryError(`unknown destination ${entry.destination}`, false);
}

/**
 * One pass: deliver every due row; returns how many rows were taken. While a row is posted its lock is renewed, so a
 * slow destination never lets a second worker take it; completion counts only for the worker still holding it.
 */
export async function deliverDue(core: Core, log: DeliveryLog, lockMs = LOCK_MS): Promise<number> {
  const token = randomUUID();
  const entries = await takeDueOutbox(core.db, BATCH, lockMs, token);
  await Promise.all(
    entries.map(async (entry) => {
      const renewal = setInterval(() => {
        renewOutboxLock(core.db, entry.id, token, lockMs).catch(() => {});
      }, lockMs / 3);
      try {
        await deliver(core, entry);
        clearInterval(renewal);
        if (await markDelivered(core.db, entry.id, token)) {
          core.metrics.deliveries.inc({ destination: entry.destination, outcome: 'delivered' });
          logDelivered(log, entry);
        }
      } catch (error) {
        clearInterval(renewal);
        const message = error instanceof Error ? error.message : String(error);
        const final =
          (error instanceof DeliveryError && !error.retryable) || entry.attempts >= core.config.delivery.maxAttempts;
        const recorded = await markAttemptFailed(
          core.db,
          entry.id,
          token,
          message,
          final ? { final } : { final, delayMs: backoffMs(entry.attempts) },
        );
        if (!recorded) return;
        core.metrics.deliveries.inc({ destination: entry.destination, outcome: final ? 'failed' : 'retry' });
        logDeliveryFailed(log, entry, message, final);
      }
    }),
  );
  return entries.length;
}

export function startDeliveryWorker(core: Core, log: DeliveryLog): () => Promise<void> {
  return startLoop({
    name: 'delivery worker',
    intervalMs: POLL_MS,
    log,
    leading: () => core.leadership?.leading ?? true,
    pass: async () => (await deliverDue(core, log)) === BATCH,
  });
}
