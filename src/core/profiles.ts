// Runner profiles (what an execution environment is) and their harness revisions (the exact harness pinned for it).
import { isUniqueViolation, type Queryable } from '../store/db.ts';
import {
  archiveProfile,
  deleteProfile,
  getProfile,
  insertHarness,
  insertProfile,
  listHarnesses,
  listProfiles,
  type ProfileFields,
  profileHasSessions,
  replaceProfile,
} from '../store/sql/profiles.ts';
import { recordAudit } from './audit.ts';
import type { Core } from './context.ts';
import { conflict, notFound } from './errors.ts';
import { newId } from './ids.ts';
import type { HarnessRevision, Profile } from './types.ts';

const nameTaken = (name: string) =>
  conflict('name_taken', `a profile named ${JSON.stringify(name)} already exists in this org; pick another name`);

/** Creates a profile; `id` lets a person choose a readable one (a slug), otherwise one is generated. */
export async function createProfile(
  core: Core,
  orgId: string,
  fields: ProfileFields,
  id: string = newId('prof'),
): Promise<Profile> {
  return core.db.tx(async (tx) => {
    const profile = await insertProfile(tx, orgId, id, fields);
    if (!profile) {
      if (await getProfile(tx, orgId, id)) {
        throw conflict(
          'id_taken',
          `a profile with id ${JSON.stringify(id)} already exists in this org; pick another id`,
        );
      }
      throw nameTaken(fields.name);
    }
    await recordAudit(tx, profile.id);
    return profile;
  });
}

export async function findProfile(q: Queryable, orgId: string, id: string): Promise<Profile> {
  const profile = await getProfile(q, orgId, id);
  if (!profile) throw notFound('profile', id);
  return profile;
}

function refuseBuiltin(profile: Profile, action: string) {
  if (profile.builtin) throw conflict('builtin_profile', `the built-in profile ${profile.id} cannot be ${action}`);
}

export async function updateProfile(core: Core, orgId: string, id: string, fields: ProfileFields): Promise<Profile> {
  refuseBuiltin(await findProfile(core.db, orgId, id), 'changed');
  try {
    return await core.db.tx(async (tx) => {
      const profile = await replaceProfile(tx, orgId, id, fields);
      if (!profile) throw notFound('profile', id);
      await recordAudit(tx, profile.id);
      return profile;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(fields.name);
    throw error;
  }
}

/** Deletes a profile, or archives it when sessions reference it (their history keeps its meaning). */
export async function removeProfile(
  core: Core,
  orgId: string,
  id: string,
): Promise<{ profile: Profile; outcome: 'deleted' | 'archived' }> {
  return core.db.tx(async (tx) => {
    const profile = await getProfile(tx, orgId, id, true);
    if (!profile) throw notFound('profile', id);
    refuseBuiltin(profile, 'deleted');
    await recordAudit(tx, id);
    if (await profileHasSessions(tx, orgId, id)) {
      return { profile: await archiveProfile(tx, orgId, id), outcome: 'archived' };
    }
    await deleteProfile(tx, orgId, id);
    return { profile, outcome: 'deleted' };
  });
}

export const listOrgProfiles = (core: Core, orgId: string, options: { after: string | null; limit: number }) =>
  listProfiles(core.db, orgId, options);

export async function publishHarness(
  core: Core,
  orgId: string,
  profileId: string,
  revision: { version: string; imageRef: string },
): Promise<HarnessRevision> {
  await findProfile(core.db, orgId, profileId);
  return core.db.tx(async (tx) => {
    const created = await insertHarness(tx, orgId, { id: newId('hrn'), profileId, ...revision });
    if (!created) {
      throw conflict(
        'version_exists',
        `version ${JSON.stringify(revision.version)} is already published for this profile`,
      );
    }
    await recordAudit(tx, profileId);
    return created;
  });
}

export async function listProfileHarnesses(
  core: Core,
  orgId: string,
  profileId: string,
  options: { after: string | null; limit: number },
): Promise<HarnessRevision[]> {
  await findProfile(core.db, orgId, profileId);
  return listHarnesses(core.db, orgId, profileId, options);
}

export async function latestHarness(q: Queryable, orgId: string, profileId: string): Promise<HarnessRevision | null> {
  return (await listHarnesses(q, orgId, profileId, { after: null, limit: 1 }))[0] ?? null;
}
