// Orgs and their API keys. Keys are found by the SHA-256 of the presented secret; the secret is never stored.
import type { ApiKey, KeyKind, Org, Scope } from '../../core/types.ts';
import type { Queryable } from '../db.ts';

interface KeyRow {
  id: string;
  org_id: string;
  org_slug: string;
  name: string;
  key_hash: string;
  scopes: Scope[];
  kind: KeyKind;
  created_at: Date;
  revoked_at: Date | null;
  expires_at: Date | null;
}

const toKey = (row: KeyRow): ApiKey => ({
  id: row.id,
  orgId: row.org_id,
  orgSlug: row.org_slug,
  name: row.name,
  scopes: row.scopes,
  kind: row.kind,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  expiresAt: row.expires_at,
});

/** Returns the org with this slug, creating it (with `newId` and its built-in profile) when it does not exist yet. */
export async function ensureOrg(q: Queryable, slug: string, newId: string): Promise<Org> {
  // Two first requests of a new org race: the loser's statement sees neither its insert nor (in its snapshot) the
  // winner's row, so it asks again and finds it.
  for (let attempt = 0; ; attempt++) {
    const org = await insertOrFindOrg(q, slug, newId);
    if (org || attempt === 2) {
      if (!org) throw new Error(`org ${slug} could not be created or found`);
      return org;
    }
  }
}

async function insertOrFindOrg(q: Queryable, slug: string, newId: string): Promise<Org | null> {
  const rows = await q.query<{ id: string; slug: string; created_at: Date }>(
    `with inserted as (
       insert into orgs (id, slug) values ($2, $1) on conflict (slug) do nothing returning *
     ), builtin_profile as (
       insert into profiles (org_id, id, name, description, builtin)
       select id, 'ai-review', 'ai-review', 'AI code reviews from /api/reviews', true from inserted
     )
     select * from inserted union all select * from orgs where slug = $1`,
    [slug, newId],
  );
  const row = rows[0];
  return row ? { id: row.id, slug: row.slug, createdAt: row.created_at } : null;
}

export async function findOrgBySlug(q: Queryable, slug: string): Promise<Org | null> {
  const rows = await q.query<{ id: string; slug: string; created_at: Date }>('select * from orgs where slug = $1', [
    slug,
  ]);
  return rows[0] ? { id: rows[0].id, slug: rows[0].slug, createdAt: rows[0].created_at } : null;
}

export async function insertKey(
  q: Queryable,
  key: {
    id: string;
    orgId: string;
    name: string;
    keyHash: string;
    scopes: Scope[];
    kind: KeyKind;
    expiresAt: Date | null;
  },
): Promise<ApiKey> {
  const rows = await q.query<KeyRow>(
    `with inserted as (
       insert into api_keys (id, org_id, name, key_hash, scopes, kind, expires_at)
       values ($1, $2, $3, $4, $5::text[], $6, $7)
       returning *
     )
     select k.*, o.slug as org_slug from inserted k join orgs o on o.id = k.org_id`,
    [key.id, key.orgId, key.name, key.keyHash, key.scopes, key.kind, key.expiresAt],
  );
  return toKey(rows[0]!);
}

/** The key row for a hash, revoked or not (the caller decides), with its hash for a constant-time re-check. */
export async function findKeyByHash(q: Queryable, keyHash: string): Promise<(ApiKey & { keyHash: string }) | null> {
  const rows = await q.query<KeyRow>(
    `select k.*, o.slug as org_slug from api_keys k join orgs o on o.id = k.org_id where k.key_hash = $1`,
    [keyHash],
  );
  return rows[0] ? { ...toKey(rows[0]), keyHash: rows[0].key_hash } : null;
}

/** Keys oldest first: every org's (`orgId` null, the CLI), or one org's in pages after the key `after`. */
export async function listKeys(
  q: Queryable,
  orgId: string | null,
  page: { after: string | null; limit: number } = { after: null, limit: 100_000 },
): Promise<ApiKey[]> {
  const rows = await q.query<KeyRow>(
    `select k.*, o.slug as org_slug from api_keys k join orgs o on o.id = k.org_id
     where ($1::text is null or k.org_id = $1)
       and ($2::text is null or (k.created_at, k.id) > (select c.created_at, c.id from api_keys c where c.id = $2 and c.org_id = k.org_id))
     order by o.slug, k.created_at, k.id limit $3`,
    [orgId, page.after, page.limit],
  );
  return rows.map(toKey);
}

/** Revokes a key (idempotent); with `orgId`, only a key of that org. */
export async function revokeKey(q: Queryable, id: string, orgId: string | null = null): Promise<ApiKey | null> {
  const rows = await q.query<KeyRow>(
    `with revoked as (
       update api_keys set revoked_at = coalesce(revoked_at, now())
       where id = $1 and ($2::text is null or org_id = $2) returning *
     )
     select k.*, o.slug as org_slug from revoked k join orgs o on o.id = k.org_id`,
    [id, orgId],
  );
  return rows[0] ? toKey(rows[0]) : null;
}
