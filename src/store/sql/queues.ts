// Queue figures: what is waiting, per org, profile and required tag set (metrics and GET /v1/runners/queues).
import type { Queryable } from '../db.ts';

export interface QueueFigure {
  orgId: string;
  orgSlug: string;
  profileId: string;
  requiredTags: string[];
  depth: number;
  oldestAgeSeconds: number;
}

/** Pending items grouped by org (or one org), profile and tag set (in any order: sorted before grouping). */
export async function queueFigures(q: Queryable, orgId: string | null): Promise<QueueFigure[]> {
  const rows = await q.query<{
    org_id: string;
    slug: string;
    profile_id: string;
    required_tags: string[];
    depth: number;
    oldest: number;
  }>(
    `select i.org_id, o.slug, i.profile_id, t.tags as required_tags, count(*)::int as depth,
            extract(epoch from now() - min(i.created_at))::float8 as oldest
     from items i
     join orgs o on o.id = i.org_id
     cross join lateral (
       select coalesce(array_agg(distinct tag order by tag), '{}') as tags from unnest(i.required_tags) as tag
     ) t
     where i.state = 'pending' and ($1::text is null or i.org_id = $1)
     group by i.org_id, o.slug, i.profile_id, t.tags
     order by o.slug, i.profile_id, t.tags`,
    [orgId],
  );
  return rows.map((row) => ({
    orgId: row.org_id,
    orgSlug: row.slug,
    profileId: row.profile_id,
    requiredTags: row.required_tags,
    depth: row.depth,
    oldestAgeSeconds: Math.max(0, row.oldest),
  }));
}

export async function runnerCounts(q: Queryable): Promise<{ status: string; count: number }[]> {
  return q.query<{ status: string; count: number }>(
    'select status, count(*)::int as count from runners group by status order by status',
  );
}

/** What is pending in `orgIds`, by profile and tag set (the sweep under notifications). */
export async function pendingWorkOf(
  q: Queryable,
  orgIds: readonly string[],
): Promise<{ orgId: string; profileId: string; requiredTags: string[]; count: number }[]> {
  const rows = await q.query<{ org_id: string; profile_id: string; required_tags: string[]; count: number }>(
    // The oldest 1,000 pending items are plenty to wake every waiter that could take one.
    `select org_id, profile_id, required_tags, count(*)::int as count from (
       select org_id, profile_id, required_tags from items
       where state = 'pending' and org_id = any($1::text[])
       order by queue_seq limit 1000
     ) oldest
     group by org_id, profile_id, required_tags`,
    [orgIds],
  );
  return rows.map((row) => ({
    orgId: row.org_id,
    profileId: row.profile_id,
    requiredTags: row.required_tags,
    count: row.count,
  }));
}
