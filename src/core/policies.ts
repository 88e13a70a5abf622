// Profile policies (issue 16): what a profile's sessions may ask for, spend and how long a cancel may take. Each
// change writes a new version; a session pins the version in force at its dispatch and keeps it, so changing a
// policy never changes the rules of work already dispatched.
import type { Queryable } from '../store/db.ts';
import { getPolicyVersion, insertPolicyVersion, listPolicyVersions } from '../store/sql/policies.ts';
import { getProfile } from '../store/sql/profiles.ts';
import { auditRowFor, recordAudit } from './audit.ts';
import type { Core } from './context.ts';
import { notFound } from './errors.ts';
import type { Item, PolicyRules, PolicyVersion } from './types.ts';

/** The rules of a profile without a policy: every permission request waits for a person, no budget, 30 s grace. */
export const DEFAULT_RULES: PolicyRules = { permissions: [], budgets: {}, cancelGraceSeconds: 30 };

export async function putPolicy(core: Core, orgId: string, profileId: string, rules: PolicyRules) {
  return core.db.tx(async (tx) => {
    // The profile's row lock orders concurrent writers: each gets the next number.
    if (!(await getProfile(tx, orgId, profileId, true))) throw notFound('profile', profileId);
    const written = await insertPolicyVersion(tx, orgId, profileId, rules, auditRowFor()?.actor ?? null);
    await recordAudit(tx, profileId);
    return written;
  });
}

/** The profile's policy versions, newest first (none: the defaults apply). 404 for a profile the org lacks. */
export async function policyHistory(core: Core, orgId: string, profileId: string): Promise<PolicyVersion[]> {
  if (!(await getProfile(core.db, orgId, profileId))) throw notFound('profile', profileId);
  return listPolicyVersions(core.db, orgId, profileId);
}

/** The rules an item was dispatched under: its pinned version, or the defaults. */
export async function rulesOf(q: Queryable, item: Item): Promise<PolicyRules> {
  if (item.policyVersion === null) return DEFAULT_RULES;
  const pinned = await getPolicyVersion(q, item.orgId, item.profileId, item.policyVersion);
  return pinned?.rules ?? DEFAULT_RULES;
}

/**
 * How long the item's runner has to confirm a cancel before the server finalises it: the pinned policy's
 * `cancel_grace_seconds`, or the server's RUNPLANE_CANCEL_GRACE_SECONDS when the profile had no policy.
 */
export async function cancelGraceMs(core: Core, q: Queryable, item: Item): Promise<number> {
  if (item.policyVersion === null) return core.config.cancelGraceMs;
  return (await rulesOf(q, item)).cancelGraceSeconds * 1000;
}
