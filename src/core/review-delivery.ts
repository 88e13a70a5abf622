// What finishing an item triggers, whichever API finished it: a review that succeeded or failed gets one outbox
// row per destination, written in the finishing transaction (so a stored result is never left unposted and a
// posted review never lacks its result). A cancelled review posts nothing.
import type { Queryable } from '../store/db.ts';
import { type DeliveryPlan, insertItemDeliveries } from '../store/sql/outbox.ts';
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

/**
 * Every provider's destinations with fresh outbox ids, for the statement that finishes an item (it learns the
 * review and its provider only when it runs).
 */
export function deliveryPlan(core: Core): DeliveryPlan {
  const destinations: Record<string, string[]> = { '': deliveryDestinations(core, null) };
  for (const provider of PROVIDERS) {
    destinations[provider] = deliveryDestinations(core, { provider, repository: '', number: 0 });
  }
  const longest = Math.max(...Object.values(destinations).map((list) => list.length));
  return { destinations, ids: Array.from({ length: longest }, () => newId('obx')) };
}

const PROVIDERS: readonly PullRequestRef['provider'][] = ['github', 'gitlab'];

/** Called by the finish path inside its transaction, after the item reached its final state. */
export async function onItemFinished(core: Core, tx: Queryable, item: Item): Promise<void> {
  if (item.state !== 'succeeded' && item.state !== 'failed') return;
  await insertItemDeliveries(tx, item.id, deliveryPlan(core));
}
