// Profile policies: numbered versions per profile, each written once and never changed.
import type { PolicyRules, PolicyVersion } from '../../core/types.ts';
import { json, type Queryable } from '../db.ts';

interface PolicyRow {
  profile_id: string;
  version: number;
  policy: PolicyRules;
  created_by: string | null;
  created_at: Date;
}

const toPolicyVersion = (row: PolicyRow): PolicyVersion => ({
  profileId: row.profile_id,
  version: row.version,
  rules: row.policy,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

/** Writes the next version. The caller holds the profile's row lock, so two writers cannot pick one number. */
export async function insertPolicyVersion(
  q: Queryable,
  orgId: string,
  profileId: string,
  rules: PolicyRules,
  createdBy: string | null,
): Promise<PolicyVersion> {
  const rows = await q.query<PolicyRow>(
    `insert into profile_policies (org_id, profile_id, version, policy, created_by)
     select $1, $2, coalesce(max(version), 0) + 1, $3::jsonb, $4
     from profile_policies where org_id = $1 and profile_id = $2
     returning profile_id, version, policy, created_by, created_at`,
    [orgId, profileId, json(rules), createdBy],
  );
  return toPolicyVersion(rows[0]!);
}

/** Every version of a profile's policy, newest first. */
export async function listPolicyVersions(q: Queryable, orgId: string, profileId: string): Promise<PolicyVersion[]> {
  const rows = await q.query<PolicyRow>(
    `select profile_id, version, policy, created_by, created_at from profile_policies
     where org_id = $1 and profile_id = $2 order by version desc`,
    [orgId, profileId],
  );
  return rows.map(toPolicyVersion);
}

export async function getPolicyVersion(
  q: Queryable,
  orgId: string,
  profileId: string,
  version: number,
): Promise<PolicyVersion | null> {
  const rows = await q.query<PolicyRow>(
    `select profile_id, version, policy, created_by, created_at from profile_policies
     where org_id = $1 and profile_id = $2 and version = $3`,
    [orgId, profileId, version],
  );
  return rows[0] ? toPolicyVersion(rows[0]) : null;
}

/** The newest version number of a profile's policy, or null when it has none. */
export async function latestPolicyVersion(q: Queryable, orgId: string, profileId: string): Promise<number | null> {
  const rows = await q.query<{ version: number | null }>(
    'select max(version) as version from profile_policies where org_id = $1 and profile_id = $2',
    [orgId, profileId],
  );
  return rows[0]?.version ?? null;
}
