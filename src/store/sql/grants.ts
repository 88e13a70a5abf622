// Permission grants: a token limited to one scope, one org and one session, until it expires or is revoked.
import type { Grant } from '../../core/types.ts';
import type { Queryable } from '../db.ts';

interface GrantRow {
  id: string;
  org_id: string;
  item_id: string;
  scope: string;
  reason: string;
  resource: string | null;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  status: Grant['status'];
}

const toGrant = (row: GrantRow): Grant => ({
  id: row.id,
  orgId: row.org_id,
  itemId: row.item_id,
  scope: row.scope,
  reason: row.reason,
  resource: row.resource,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  status: row.status,
});

const STATUS = `case when revoked_at is not null then 'revoked' when expires_at <= now() then 'expired'
  else 'active' end as status`;

export async function insertGrant(
  q: Queryable,
  grant: {
    id: string;
    orgId: string;
    itemId: string;
    scope: string;
    reason: string;
    resource: string | null;
    tokenHash: string;
    createdBy: string;
    /** The lifetime from now, or the instant it ends (a grant minted for a decision made earlier). */
    ttlSeconds: number;
    expiresAt?: Date | null;
  },
): Promise<Grant> {
  const rows = await q.query<GrantRow>(
    `insert into permission_grants (id, org_id, item_id, scope, reason, resource, token_hash, created_by, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($10::timestamptz, now() + $9 * interval '1 second'))
     returning *, ${STATUS}`,
    [
      grant.id,
      grant.orgId,
      grant.itemId,
      grant.scope,
      grant.reason,
      grant.resource,
      grant.tokenHash,
      grant.createdBy,
      grant.ttlSeconds,
      grant.expiresAt ?? null,
    ],
  );
  return toGrant(rows[0]!);
}

export async function listGrants(q: Queryable, itemId: string): Promise<Grant[]> {
  const rows = await q.query<GrantRow>(
    `select *, ${STATUS} from permission_grants where item_id = $1 order by created_at, id`,
    [itemId],
  );
  return rows.map(toGrant);
}

export async function revokeGrant(q: Queryable, itemId: string, id: string): Promise<Grant | null> {
  const rows = await q.query<GrantRow>(
    `update permission_grants set revoked_at = coalesce(revoked_at, now()) where item_id = $1 and id = $2
     returning *, ${STATUS}`,
    [itemId, id],
  );
  return rows[0] ? toGrant(rows[0]) : null;
}

export async function findGrantByTokenHash(
  q: Queryable,
  tokenHash: string,
): Promise<(Grant & { tokenHash: string; orgSlug: string }) | null> {
  const rows = await q.query<GrantRow & { token_hash: string; org_slug: string }>(
    `select g.*, o.slug as org_slug, ${STATUS} from permission_grants g join orgs o on o.id = g.org_id
     where g.token_hash = $1`,
    [tokenHash],
  );
  const row = rows[0];
  return row ? { ...toGrant(row), tokenHash: row.token_hash, orgSlug: row.org_slug } : null;
}
