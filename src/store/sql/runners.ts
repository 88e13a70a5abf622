// Runner registrations. A runner id is chosen by the runner and unique within its org.
import type { Runner, RunnerStatus } from '../../core/types.ts';
import type { Queryable } from '../db.ts';

interface RunnerRow {
  org_id: string;
  id: string;
  name: string;
  version: string;
  max_concurrency: number;
  tags: string[];
  status: RunnerStatus;
  current_jobs: number;
  active_items: number;
  registered_at: Date;
  last_heartbeat_at: Date;
  updated_at: Date;
}

const toRunner = (row: RunnerRow): Runner => ({
  orgId: row.org_id,
  id: row.id,
  name: row.name,
  version: row.version,
  maxConcurrency: row.max_concurrency,
  tags: row.tags,
  status: row.status,
  currentJobs: row.current_jobs,
  activeItems: row.active_items,
  registeredAt: row.registered_at,
  lastHeartbeatAt: row.last_heartbeat_at,
  updatedAt: row.updated_at,
});

// The server's own count of leased items, next to what the runner reports.
const WITH_ACTIVE = `(select count(*)::int from items i
   where i.org_id = r.org_id and i.runner_id = r.id and i.lease_expires_at is not null) as active_items`;

export interface RunnerRegistration {
  orgId: string;
  id: string;
  name: string;
  version: string;
  maxConcurrency: number;
  tags: string[];
}

export async function upsertRunner(q: Queryable, reg: RunnerRegistration): Promise<Runner> {
  const rows = await q.query<RunnerRow>(
    `with saved as (
       insert into runners as r (org_id, id, name, version, max_concurrency, tags, status)
       values ($1, $2, $3, $4, $5, $6::text[], 'online')
       on conflict (org_id, id) do update set
         name = excluded.name, version = excluded.version, max_concurrency = excluded.max_concurrency,
         tags = excluded.tags, status = 'online', last_heartbeat_at = now(), updated_at = now()
       returning *
     )
     select r.*, ${WITH_ACTIVE} from saved r`,
    [reg.orgId, reg.id, reg.name, reg.version, reg.maxConcurrency, reg.tags],
  );
  return toRunner(rows[0]!);
}

export async function recordHeartbeat(
  q: Queryable,
  orgId: string,
  id: string,
  status: RunnerStatus,
  currentJobs: number,
): Promise<Runner | null> {
  const rows = await q.query<RunnerRow>(
    `with saved as (
       update runners set status = $3, current_jobs = $4, last_heartbeat_at = now(), updated_at = now()
       where org_id = $1 and id = $2 returning *
     )
     select r.*, ${WITH_ACTIVE} from saved r`,
    [orgId, id, status, currentJobs],
  );
  return rows[0] ? toRunner(rows[0]) : null;
}

export async function markRunnerOffline(q: Queryable, orgId: string, id: string): Promise<Runner | null> {
  const rows = await q.query<RunnerRow>(
    `with saved as (
       update runners set status = 'offline', current_jobs = 0, updated_at = now()
       where org_id = $1 and id = $2 returning *
     )
     select r.*, 0 as active_items from saved r`,
    [orgId, id],
  );
  return rows[0] ? toRunner(rows[0]) : null;
}

export async function getRunner(q: Queryable, orgId: string, id: string): Promise<Runner | null> {
  const rows = await q.query<RunnerRow>(`select r.*, ${WITH_ACTIVE} from runners r where org_id = $1 and id = $2`, [
    orgId,
    id,
  ]);
  return rows[0] ? toRunner(rows[0]) : null;
}

export async function listRunners(q: Queryable, orgId: string): Promise<Runner[]> {
  const rows = await q.query<RunnerRow>(
    `select r.*, ${WITH_ACTIVE} from runners r where org_id = $1 order by last_heartbeat_at desc, id`,
    [orgId],
  );
  return rows.map(toRunner);
}
