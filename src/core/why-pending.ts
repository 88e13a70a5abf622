// "Why pending": for a session nobody has claimed, the most likely reason, from the runners the server knows.
import { listRunners } from '../store/sql/runners.ts';
import type { Core } from './context.ts';
import { getItemOrThrow } from './items.ts';

/** A runner is online when it heartbeated within three default intervals. */
const ONLINE_WITHIN_MS = 30_000;

export type PendingReason =
  | 'not_pending'
  | 'no_runner_online'
  | 'no_runner_with_tags'
  | 'runners_at_capacity'
  | 'waiting_for_claim';

export async function whyPending(
  core: Core,
  orgId: string,
  itemId: string,
): Promise<{ reason: PendingReason; message: string }> {
  const item = await getItemOrThrow(core.db, orgId, itemId, 'session');
  if (item.state !== 'pending') return { reason: 'not_pending', message: `the session is ${item.state}` };
  const now = Date.now();
  const online = (await listRunners(core.db, orgId)).filter(
    (runner) => runner.status !== 'offline' && now - runner.lastHeartbeatAt.getTime() < ONLINE_WITHIN_MS,
  );
  if (online.length === 0) return { reason: 'no_runner_online', message: 'no runner is online' };
  const matching = online.filter((runner) => item.requiredTags.every((tag) => runner.tags.includes(tag)));
  if (matching.length === 0) {
    return {
      reason: 'no_runner_with_tags',
      message: `no online runner has all the required tags (${item.requiredTags.join(', ')})`,
    };
  }
  if (matching.every((runner) => runner.activeItems >= runner.maxConcurrency)) {
    return { reason: 'runners_at_capacity', message: `all ${matching.length} matching runner(s) are at capacity` };
  }
  return {
    reason: 'waiting_for_claim',
    message: `${matching.length} matching runner(s) have free slots; it should be claimed shortly`,
  };
}
