// The kill switch (issue 16): suspending a profile, or a whole org, refuses every new dispatch to it (409
// profile_suspended / org_suspended, checked under row locks by the dispatch statements) and cancels every unfinished
// session it has. Pending and paused sessions end at once; running ones are asked, and a runner that does not
// confirm within the pinned cancel grace is cut off by the server (bounded cancel).
import { itemsOfSuspended, lockOrg, openItemIds, setOrgSuspension } from '../store/sql/orgs.ts';
import { getProfile, setProfileSuspension } from '../store/sql/profiles.ts';
import { recordAudit } from './audit.ts';
import type { Core } from './context.ts';
import { DomainError, notFound } from './errors.ts';
import { requestCancel } from './items.ts';
import type { Profile } from './types.ts';

/** What a suspension did to the sessions it found unfinished. */
export interface Cancelled {
  cancelled: number;
  cancelRequested: number;
}

/** Cancels sessions a few at a time; one that finished meanwhile is left as it ended. */
async function cancelAll(core: Core, orgId: string, ids: string[], actor: string | null): Promise<Cancelled> {
  const counts: Cancelled = { cancelled: 0, cancelRequested: 0 };
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        const item = await requestCancel(core, orgId, id, 'session', actor);
        if (item.state === 'cancelled') counts.cancelled++;
        else counts.cancelRequested++;
      } catch (error) {
        if (!(error instanceof DomainError && error.kind === 'conflict')) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, ids.length) }, worker));
  return counts;
}

async function switchProfile(core: Core, orgId: string, profileId: string, reason: string | null): Promise<Profile> {
  return core.db.tx(async (tx) => {
    // For update: a dispatch holding the row (key share) finishes first, and its session is then found below.
    if (!(await getProfile(tx, orgId, profileId, true))) throw notFound('profile', profileId);
    const profile = await setProfileSuspension(tx, orgId, profileId, reason);
    await recordAudit(tx, profileId);
    return profile;
  });
}

export async function suspendProfile(
  core: Core,
  orgId: string,
  profileId: string,
  reason: string,
  actor: string | null,
): Promise<{ profile: Profile } & Cancelled> {
  const profile = await switchProfile(core, orgId, profileId, reason);
  core.metrics.suspensions.inc({ target: 'profile' });
  const counts = await cancelAll(core, orgId, await openItemIds(core.db, orgId, profileId), actor);
  return { profile, ...counts };
}

export const unsuspendProfile = (core: Core, orgId: string, profileId: string) =>
  switchProfile(core, orgId, profileId, null);

async function switchOrg(core: Core, orgId: string, reason: string | null) {
  return core.db.tx(async (tx) => {
    await lockOrg(tx, orgId);
    const org = await setOrgSuspension(tx, orgId, reason);
    await recordAudit(tx, orgId);
    return org;
  });
}

export async function suspendOrg(core: Core, orgId: string, reason: string, actor: string | null) {
  const org = await switchOrg(core, orgId, reason);
  core.metrics.suspensions.inc({ target: 'org' });
  const counts = await cancelAll(core, orgId, await openItemIds(core.db, orgId, null), actor);
  return { org, ...counts };
}

export const unsuspendOrg = (core: Core, orgId: string) => switchOrg(core, orgId, null);

/**
 * Cancels what suspended profiles and orgs still have unfinished: a suspension that committed but did not finish
 * its cancels (the instance died in between), or a session claimed in that moment. The reaper's pass; cheap while
 * nothing is suspended. Returns how many it cancelled or asked to stop.
 */
export async function sweepSuspended(core: Core, max = 500): Promise<number> {
  const byOrg = new Map<string, string[]>();
  for (const { orgId, id } of await itemsOfSuspended(core.db, max)) byOrg.set(orgId, [...(byOrg.get(orgId) ?? []), id]);
  let count = 0;
  for (const [orgId, ids] of byOrg) {
    const done = await cancelAll(core, orgId, ids, null);
    count += done.cancelled + done.cancelRequested;
  }
  return count;
}
