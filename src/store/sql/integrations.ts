// Per-org integration settings: the repositories each provider may be posted to for the org.
import type { Queryable } from '../db.ts';

export type Provider = 'github' | 'gitlab';

export async function listRepositoryPatterns(q: Queryable, orgId: string): Promise<Record<Provider, string[]>> {
  const rows = await q.query<{ provider: Provider; pattern: string }>(
    'select provider, pattern from org_repositories where org_id = $1 order by provider, pattern',
    [orgId],
  );
  const patterns: Record<Provider, string[]> = { github: [], gitlab: [] };
  for (const row of rows) patterns[row.provider].push(row.pattern);
  return patterns;
}

/** Replaces the org's patterns of one provider (inside the caller's transaction). */
export async function replaceRepositoryPatterns(
  q: Queryable,
  orgId: string,
  provider: Provider,
  patterns: readonly string[],
): Promise<void> {
  await q.query('delete from org_repositories where org_id = $1 and provider = $2', [orgId, provider]);
  if (patterns.length === 0) return;
  await q.query(
    `insert into org_repositories (org_id, provider, pattern)
     select $1, $2, pattern from unnest($3::text[]) as pattern on conflict do nothing`,
    [orgId, provider, patterns],
  );
}
