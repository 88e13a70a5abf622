// The attempts of work items: who held each claim, from when to when, and how it ended.
import type { Queryable } from '../db.ts';

export interface AttemptRecord {
  itemId: string;
  attempt: number;
  runnerId: string;
  claimedAt: Date;
  endedAt: Date | null;
  outcome: string | null;
}

export interface RunnerAttempt extends AttemptRecord {
  taskId: string | null;
  profileId: string;
  state: string;
}

interface AttemptRow {
  item_id: string;
  attempt: number;
  runner_id: string;
  claimed_at: Date;
  ended_at: Date | null;
  outcome: string | null;
}

const toAttempt = (row: AttemptRow): AttemptRecord => ({
  itemId: row.item_id,
  attempt: row.attempt,
  runnerId: row.runner_id,
  claimedAt: row.claimed_at,
  endedAt: row.ended_at,
  outcome: row.outcome,
});

export async function listItemAttempts(q: Queryable, itemId: string): Promise<AttemptRecord[]> {
  const rows = await q.query<AttemptRow>('select * from attempts where item_id = $1 order by attempt', [itemId]);
  return rows.map(toAttempt);
}

/** A runner's most recent claims in the org, newest first. */
export async function listRunnerAttempts(
  q: Queryable,
  orgId: string,
  runnerId: string,
  limit: number,
): Promise<RunnerAttempt[]> {
  const rows = await q.query<AttemptRow & { task_id: string | null; profile_id: string; state: string }>(
    `select a.*, i.task_id, i.profile_id, i.state from attempts a join items i on i.id = a.item_id
     where a.runner_id = $2 and i.org_id = $1 order by a.claimed_at desc, a.item_id limit $3`,
    [orgId, runnerId, limit],
  );
  return rows.map((row) => ({ ...toAttempt(row), taskId: row.task_id, profileId: row.profile_id, state: row.state }));
}
