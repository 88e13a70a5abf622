// Permission grants: a session may be handed a token that carries exactly one scope, for that session and org
// only, until it expires or is revoked. Only a caller holding the scope may grant it.
import { randomBytes } from 'node:crypto';
import { findGrantByTokenHash, insertGrant, listGrants, revokeGrant } from '../store/sql/grants.ts';
import { recordAudit } from './audit.ts';
import { GRANT_PREFIX, hashApiKey } from './auth.ts';
import type { Core } from './context.ts';
import { forbidden, notFound } from './errors.ts';
import { newId } from './ids.ts';
import { getItemOrThrow } from './items.ts';
import type { Grant, Principal, Scope } from './types.ts';

export async function createGrant(
  core: Core,
  principal: Principal,
  sessionId: string,
  request: { scope: Scope; reason: string; ttlSeconds: number; resource: string | null },
): Promise<{ grant: Grant; token: string }> {
  if (principal.via === 'grant') throw forbidden('a grant token cannot create further grants');
  if (!principal.scopes.has(request.scope)) {
    throw forbidden(`you can grant only scopes you hold; this credential lacks ${request.scope}`);
  }
  await getItemOrThrow(core.db, principal.orgId, sessionId, 'session');
  const token = GRANT_PREFIX + randomBytes(32).toString('base64url');
  const grant = await core.db.tx(async (tx) => {
    const created = await insertGrant(tx, {
      id: newId('grant'),
      orgId: principal.orgId,
      itemId: sessionId,
      scope: request.scope,
      reason: request.reason,
      resource: request.resource,
      tokenHash: hashApiKey(token),
      createdBy: principal.actor,
      ttlSeconds: request.ttlSeconds,
    });
    await recordAudit(tx, `${sessionId}/${created.id}`);
    return created;
  });
  return { grant, token };
}

export async function listSessionGrants(core: Core, orgId: string, sessionId: string): Promise<Grant[]> {
  await getItemOrThrow(core.db, orgId, sessionId, 'session');
  return listGrants(core.db, sessionId);
}

/** Revokes a grant of a session. A grant token may give up only itself, never the session's other grants. */
export async function revokeSessionGrant(
  core: Core,
  principal: Principal,
  sessionId: string,
  grantId: string,
): Promise<Grant> {
  const orgId = principal.orgId;
  if (principal.via === 'grant' && principal.actor !== `grant:${grantId}`) {
    throw forbidden('a grant token can revoke only itself; revoke other grants with an API key or the console');
  }
  await getItemOrThrow(core.db, orgId, sessionId, 'session');
  return core.db.tx(async (tx) => {
    const grant = await revokeGrant(tx, sessionId, grantId);
    if (!grant) throw notFound('grant', grantId);
    await recordAudit(tx, `${sessionId}/${grant.id}`);
    return grant;
  });
}

/**
 * What a grant token stands for, for the system it was granted against (a git proxy checking `repo:write`): its
 * scope, resource, session and expiry while it is active in the caller's org; otherwise only `active: false`, so a
 * caller learns nothing about another org's tokens or dead ones.
 */
export async function introspectGrant(
  core: Core,
  orgId: string,
  token: string,
): Promise<{ active: false } | { active: true; grant: Grant }> {
  if (!token.startsWith(GRANT_PREFIX)) return { active: false };
  const grant = await findGrantByTokenHash(core.db, hashApiKey(token));
  if (!grant || grant.orgId !== orgId || grant.status !== 'active') return { active: false };
  return { active: true, grant };
}
