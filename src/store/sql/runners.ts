// Runner registrations. A runner id is chosen by the runner and unique within its org.
import type { Runner, RunnerStatus } from '../../core/types.ts';
import type { Queryable } from '../db.ts';
import { LEASED } from './items.ts';

interface RunnerRow {
  org_id: string;
  id: string;
  name: string;
  version: string;
  max_concurrency: number;
  tags: string[];
  status: RunnerStatus;
  current_jobs: number;
  instance_id: string | null;
  previous_heartbeat_at: Date | null;
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
  instanceId: row.instance_id,
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

/**
 * Registers a runner id with a new current instance (the row lock serialises it with claims of that runner). Also
 * answers the instance it superseded (null when the id was new or deregistered), as the statement's snapshot saw it.
 */
export async function upsertRunner(
  q: Queryable,
  reg: RunnerRegistration & { instanceId: string },
): Promise<{ runner: Runner; previousInstanceId: string | null }> {
  const rows = await q.query<RunnerRow & { previous_instance_id: string | null }>(
    `insert into runners as r (org_id, id, name, version, max_concurrency, tags, status, instance_id)
     values ($1, $2, $3, $4, $5, $6::text[], 'online', $7)
     on conflict (org_id, id) do update set
       name = excluded.name, version = excluded.version, max_concurrency = excluded.max_concurrency,
       tags = excluded.tags, status = 'online', instance_id = excluded.instance_id, previous_heartbeat_at = null,
       current_jobs = 0, last_heartbeat_at = now(), updated_at = now()
     returning *, 0 as active_items,
       (select instance_id from runners p where p.org_id = $1 and p.id = $2) as previous_instance_id`,
    [reg.orgId, reg.id, reg.name, reg.version, reg.maxConcurrency, reg.tags, reg.instanceId],
  );
  return { runner: toRunner(rows[0]!), previousInstanceId: rows[0]!.previous_instance_id };
}

export interface HeldLeases {
  /** Leases extended by this heartbeat. */
  extended: string[];
  /** Live leases the heartbeat did not list (all are extended when it lists none). */
  unlisted: string[];
  /** Held items whose cancellation was requested. */
  cancelRequested: string[];
  /** Held items the server asked to pause (a budget was reached). */
  pauseRequested: string[];
}

export interface RecordedHeartbeat {
  runner: Runner;
  /** The heartbeat before this one. */
  previousHeartbeatAt: Date | null;
  leases: HeldLeases;
}

/**
 * A heartbeat of the runner's current instance (any instance when `instance` is null), as one statement (one round
 * trip, atomic without a transaction): records it, extends the live leases it lists (every live lease when `listed`
 * is null) and reports the rest. The runner row is locked before its items, as the claim does. A lapsed lease is
 * not revived: the reaper is about to requeue it. Null when no such runner instance exists.
 */
export async function recordHeartbeat(
  q: Queryable,
  orgId: string,
  id: string,
  report: { status: RunnerStatus; currentJobs: number; instance: string | null },
  listed: readonly string[] | null,
): Promise<RecordedHeartbeat | null> {
  const rows = await q.query<
    RunnerRow & {
      extended: string[] | null;
      unlisted: string[] | null;
      cancel_requested: string[] | null;
      pause_requested: string[] | null;
    }
  >(
    `with beat as (
       update runners set status = $3, current_jobs = $4, previous_heartbeat_at = last_heartbeat_at,
         last_heartbeat_at = now(), updated_at = now()
       where org_id = $1 and id = $2 and ($5::text is null or instance_id = $5)
       returning *
     ), held as (
       select id, state, pause_requested_at from items
       where org_id = $1 and runner_id = $2 and lease_expires_at > now() and state in (${LEASED})
         and exists (select 1 from beat)
       for update
     ), extended as (
       -- A cancel is bounded: a cancel_requested lease is kept as the cancel set it (it lapses at the grace,
       -- whatever the runner says), yet the runner still holds it and may report the cancel until then.
       update items i set lease_expires_at = case when h.state = 'cancel_requested' then i.lease_expires_at
                                                  else now() + i.lease_ttl_ms * interval '1 millisecond' end
       from held h where i.id = h.id and ($6::text[] is null or h.id = any($6::text[]))
       returning i.id
     )
     select beat.*, 0 as active_items,
            (select array_agg(id order by id) from extended) as extended,
            (select array_agg(id order by id) from held where not ($6::text[] is null or id = any($6::text[]))) as unlisted,
            (select array_agg(id order by id) from held where state = 'cancel_requested') as cancel_requested,
            (select array_agg(id order by id) from held
             where state <> 'cancel_requested' and pause_requested_at is not null) as pause_requested
     from beat`,
    [orgId, id, report.status, report.currentJobs, report.instance, listed],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    runner: toRunner(row),
    previousHeartbeatAt: row.previous_heartbeat_at,
    leases: {
      extended: row.extended ?? [],
      unlisted: row.unlisted ?? [],
      cancelRequested: row.cancel_requested ?? [],
      pauseRequested: row.pause_requested ?? [],
    },
  };
}

/** Marks the runner offline and ends its instance; null when no such runner (instance) exists. */
export async function markRunnerOffline(
  q: Queryable,
  orgId: string,
  id: string,
  instance: string | null,
): Promise<Runner | null> {
  const rows = await q.query<RunnerRow>(
    `update runners set status = 'offline', current_jobs = 0, instance_id = null, updated_at = now()
     where org_id = $1 and id = $2 and ($3::text is null or instance_id = $3)
     returning *, 0 as active_items`,
    [orgId, id, instance],
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

/** The tags a runner registered with (null when it is not registered). */
export async function getRunnerTags(q: Queryable, orgId: string, id: string): Promise<string[] | null> {
  const rows = await q.query<{ tags: string[] }>('select tags from runners where org_id = $1 and id = $2', [orgId, id]);
  return rows[0]?.tags ?? null;
}
