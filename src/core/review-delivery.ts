// What finishing an item triggers, whichever API finished it: a review that succeeded or failed gets one outbox
// row per destination, written in the finishing transaction (so a stored result is never left unposted and a
// posted review never lacks its result). A cancelled review posts nothing.
import type { Queryable } from '../store/db.ts';
import { insertOutbox } from '../store/sql/outbox.ts';
import { findReviewOfItem } from '../store/sql/reviews.ts';
import type { Core } from './context.ts';
import { newId } from './ids.ts';
import type { Item, PullRequestRef } from './types.ts';

/**
 * Where a finished review is posted: its pull request's forge (when the server has a token for it) and the generic
 * webhook when configured. The outbox gets one row per destination, so each is retried on its own.
 */
export function deliveryDestinations(core: Core, pullRequest: PullRequestRef | null): string[] {
  const destinations: string[] = [];
  if (pullRequest?.provider === 'github' && core.config.delivery.githubToken) destinations.push('github');
  if (pullRequest?.provider === 'gitlab' && core.config.delivery.gitlabToken) destinations.push('gitlab');
  if (core.config.delivery.webhookUrl) destinations.push('webhook');
  return destinations;
}

/** Called by the finish path inside its transaction, after the item reached its final state. */
export async function onItemFinished(core: Core, tx: Queryable, item: Item): Promise<void> {
  if (item.state !== 'succeeded' && item.state !== 'failed') return;
  // The review is found by its item, never by ids in the item's input (a dispatcher writes the input).
  const review = await findReviewOfItem(tx, item.id);
  if (!review) return;
  for (const destination of deliveryDestinations(core, review.pullRequest)) {
    await insertOutbox(tx, {
      id: newId('obx'),
      orgId: item.orgId,
      reviewId: review.id,
      topic: 'review.completed',
      destination,
      payload: { reviewId: review.id, taskId: item.id, status: item.state },
    });
  }
}
