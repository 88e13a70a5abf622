// Runner profiles and their harness revisions. A profile's id is unique per org; the built-in `ai-review` profile
// exists in every org and carries the review tasks.
import type { HarnessRevision, Profile } from '../../core/types.ts';
import type { Queryable } from '../db.ts';

interface ProfileRow {
  org_id: string;
  id: string;
  name: string;
  description: string;
  execution_target: string;
  status: 'active' | 'archived';
  builtin: boolean;
  suspended_at: Date | null;
  suspended_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const toProfile = (row: ProfileRow): Profile => ({
  orgId: row.org_id,
  id: row.id,
  name: row.name,
  description: row.description,
  executionTarget: row.execution_target,
  status: row.status,
  builtin: row.builtin,
  suspendedAt: row.suspended_at,
  suspendedReason: row.suspended_reason,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

interface HarnessRow {
  id: string;
  profile_id: string;
  version: string;
  image_ref: string;
  created_at: Date;
}

const toHarness = (row: HarnessRow): HarnessRevision => ({
  id: row.id,
  profileId: row.profile_id,
  version: row.version,
  imageRef: row.image_ref,
  createdAt: row.created_at,
});

export interface ProfileFields {
  name: string;
  description: string;
  executionTarget: string;
}

/** Inserts a profile; returns null when the name is taken in the org. */
export async function insertProfile(
  q: Queryable,
  orgId: string,
  id: string,
  fields: ProfileFields,
): Promise<Profile | null> {
  const rows = await q.query<ProfileRow>(
    `insert into profiles (org_id, id, name, description, execution_target) values ($1, $2, $3, $4, $5)
     on conflict do nothing returning *`,
    [orgId, id, fields.name, fields.description, fields.executionTarget],
  );
  return rows[0] ? toProfile(rows[0]) : null;
}

/** Replaces a profile's fields; returns null when it does not exist. A name clash raises unique_violation. */
export async function replaceProfile(
  q: Queryable,
  orgId: string,
  id: string,
  fields: ProfileFields,
): Promise<Profile | null> {
  const rows = await q.query<ProfileRow>(
    `update profiles set name = $3, description = $4, execution_target = $5, updated_at = now()
     where org_id = $1 and id = $2 returning *`,
    [orgId, id, fields.name, fields.description, fields.executionTarget],
  );
  return rows[0] ? toProfile(rows[0]) : null;
}

export async function getProfile(q: Queryable, orgId: string, id: string, lock = false): Promise<Profile | null> {
  const rows = await q.query<ProfileRow>(
    `select * from profiles where org_id = $1 and id = $2${lock ? ' for update' : ''}`,
    [orgId, id],
  );
  return rows[0] ? toProfile(rows[0]) : null;
}

/** Oldest first; `after` is the id of the last profile of the previous page. */
export async function listProfiles(
  q: Queryable,
  orgId: string,
  options: { after: string | null; limit: number },
): Promise<Profile[]> {
  const rows = await q.query<ProfileRow>(
    `select * from profiles where org_id = $1
       and ($2::text is null or (created_at, id) > (select c.created_at, c.id from profiles c where c.org_id = $1 and c.id = $2))
     order by created_at, id limit $3`,
    [orgId, options.after, options.limit],
  );
  return rows.map(toProfile);
}

export async function profileHasSessions(q: Queryable, orgId: string, id: string): Promise<boolean> {
  const rows = await q.query('select 1 from items where org_id = $1 and profile_id = $2 limit 1', [orgId, id]);
  return rows.length > 0;
}

export async function archiveProfile(q: Queryable, orgId: string, id: string): Promise<Profile> {
  const rows = await q.query<ProfileRow>(
    `update profiles set status = 'archived', updated_at = now() where org_id = $1 and id = $2 returning *`,
    [orgId, id],
  );
  return toProfile(rows[0]!);
}

export async function deleteProfile(q: Queryable, orgId: string, id: string): Promise<void> {
  await q.query('delete from profiles where org_id = $1 and id = $2', [orgId, id]);
}

/** Inserts a harness revision; returns null when the version exists for the profile. */
export async function insertHarness(
  q: Queryable,
  orgId: string,
  revision: { id: string; profileId: string; version: string; imageRef: string },
): Promise<HarnessRevision | null> {
  const rows = await q.query<HarnessRow>(
    `insert into harness_revisions (id, org_id, profile_id, version, image_ref) values ($1, $2, $3, $4, $5)
     on conflict (org_id, profile_id, version) do nothing returning *`,
    [revision.id, orgId, revision.profileId, revision.version, revision.imageRef],
  );
  return rows[0] ? toHarness(rows[0]) : null;
}

/** Newest first; `after` is the id of the last revision of the previous page. */
export async function listHarnesses(
  q: Queryable,
  orgId: string,
  profileId: string,
  options: { after: string | null; limit: number },
): Promise<HarnessRevision[]> {
  const rows = await q.query<HarnessRow>(
    `select * from harness_revisions where org_id = $1 and profile_id = $2
       and ($3::text is null or (created_at, id) < (select c.created_at, c.id from harness_revisions c where c.id = $3))
     order by created_at desc, id desc limit $4`,
    [orgId, profileId, options.after, options.limit],
  );
  return rows.map(toHarness);
}

export async function getHarness(q: Queryable, id: string): Promise<HarnessRevision | null> {
  const rows = await q.query<HarnessRow>('select * from harness_revisions where id = $1', [id]);
  return rows[0] ? toHarness(rows[0]) : null;
}

export async function getHarnesses(q: Queryable, ids: string[]): Promise<Map<string, HarnessRevision>> {
  if (ids.length === 0) return new Map();
  const rows = await q.query<HarnessRow>('select * from harness_revisions where id = any($1::text[])', [ids]);
  return new Map(rows.map((row) => [row.id, toHarness(row)]));
}

/** Suspends (a reason) or unsuspends (null) a profile the caller has locked for update; answers the profile. */
export async function setProfileSuspension(
  q: Queryable,
  orgId: string,
  id: string,
  reason: string | null,
): Promise<Profile> {
  const rows = await q.query<ProfileRow>(
    `update profiles set suspended_at = case when $3::text is null then null else now() end,
       suspended_reason = $3::text, updated_at = now()
     where org_id = $1 and id = $2 returning *`,
    [orgId, id, reason],
  );
  return toProfile(rows[0]!);
}
