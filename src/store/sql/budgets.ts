// Budgets (issue 16): a session's limits are its own (`items.budget`, set by a person) over its pinned policy's;
// what it spent is summed on its row from its `usage` events, and its wall time is the sum of its attempts.
import type { Budgets } from '../../core/types.ts';
import { json, type Queryable } from '../db.ts';

export type BudgetName = 'max_tokens' | 'max_cost_usd' | 'max_wall_seconds';

export interface ReachedBudget {
  id: string;
  orgId: string;
  budget: BudgetName;
  used: number;
  limit: number;
}

/** One limit: the session's own, else its pinned policy's (policies store camelCase). */
const limit = (key: keyof Budgets) =>
  `coalesce((i.budget ->> '${key}')::double precision, (p.policy -> 'budgets' ->> '${key}')::double precision)`;

/** Seconds the session's attempts have run (the current one up to now). */
const WALL = `(select coalesce(sum(extract(epoch from coalesce(a.ended_at, now()) - a.claimed_at)), 0)
  from attempts a where a.item_id = i.id)`;

/**
 * Running sessions (`id`: one, or null for all) that reached a budget and were not asked to pause yet (or also
 * those that were, with `includePauseRequested`), with the first budget reached (tokens, then cost, then wall time).
 */
export async function reachedBudgets(
  q: Queryable,
  id: string | null,
  max: number,
  includePauseRequested = false,
): Promise<ReachedBudget[]> {
  const rows = await q.query<{
    id: string;
    org_id: string;
    tokens: string;
    cost: number;
    wall: number | null;
    max_tokens: number | null;
    max_cost: number | null;
    max_wall: number | null;
  }>(
    `select id, org_id, tokens, cost, max_tokens, max_cost, max_wall,
            case when max_wall is null then null else ${WALL.replaceAll('i.id', 's.id')} end as wall
     from (
       select i.id, i.org_id, i.usage_tokens as tokens, i.usage_cost_usd as cost,
              ${limit('maxTokens')} as max_tokens, ${limit('maxCostUsd')} as max_cost,
              ${limit('maxWallSeconds')} as max_wall
       from items i
       left join profile_policies p
         on p.org_id = i.org_id and p.profile_id = i.profile_id and p.version = i.policy_version
       where i.state in ('dispatched', 'running') and ($3 or i.pause_requested_at is null)
         and ($1::text is null or i.id = $1)
         and (i.budget is not null or p.version is not null)
     ) s
     where max_tokens is not null or max_cost is not null or max_wall is not null
     limit $2`,
    [id, max, includePauseRequested],
  );
  const reached: ReachedBudget[] = [];
  for (const row of rows) {
    const tokens = Number(row.tokens);
    const base = { id: row.id, orgId: row.org_id };
    if (row.max_tokens !== null && tokens >= row.max_tokens) {
      reached.push({ ...base, budget: 'max_tokens', used: tokens, limit: row.max_tokens });
    } else if (row.max_cost !== null && row.cost >= row.max_cost) {
      reached.push({ ...base, budget: 'max_cost_usd', used: row.cost, limit: row.max_cost });
    } else if (row.max_wall !== null && row.wall !== null && Number(row.wall) >= row.max_wall) {
      reached.push({ ...base, budget: 'max_wall_seconds', used: Number(row.wall), limit: row.max_wall });
    }
  }
  return reached;
}

/** Asks the session's runner to pause it (the caller holds the row lock and checked it is leased). */
export async function markPauseRequested(q: Queryable, id: string, reason: string): Promise<void> {
  await q.query('update items set pause_requested_at = now(), pause_reason = $2 where id = $1', [id, reason]);
}

/** Forgets a pause request (the budget was raised) or a pause's reason (resumed). */
export async function clearPause(q: Queryable, id: string): Promise<void> {
  await q.query('update items set pause_requested_at = null, pause_reason = null where id = $1', [id]);
}

/** Marks the pause asked for as carried out: the reason stays, the request is done. */
export async function pauseCarriedOut(q: Queryable, id: string): Promise<void> {
  await q.query('update items set pause_requested_at = null where id = $1', [id]);
}

/** Replaces the session's own budget (null: the pinned policy's alone). */
export async function setBudget(q: Queryable, id: string, budget: Budgets | null): Promise<void> {
  await q.query('update items set budget = $2::jsonb where id = $1', [id, budget === null ? null : json(budget)]);
}

/**
 * Leased sessions whose pause was asked for longer ago than their cancel grace (the pinned policy's, else
 * `defaultGraceMs`): the runner did not carry it out, so the server will.
 */
export async function overduePauses(
  q: Queryable,
  defaultGraceMs: number,
  max: number,
): Promise<{ id: string; orgId: string }[]> {
  const rows = await q.query<{ id: string; org_id: string }>(
    `select i.id, i.org_id from items i
     left join profile_policies p
       on p.org_id = i.org_id and p.profile_id = i.profile_id and p.version = i.policy_version
     where i.state in ('dispatched', 'running') and i.pause_requested_at is not null
       and i.pause_requested_at + coalesce((p.policy ->> 'cancelGraceSeconds')::double precision * 1000, $1)
           * interval '1 millisecond' < now()
     limit $2`,
    [defaultGraceMs, max],
  );
  return rows.map((row) => ({ id: row.id, orgId: row.org_id }));
}
