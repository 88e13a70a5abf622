-- Leases belong to a runner *instance* (one register of a runner id), not to the id: a restarted runner releases
-- what its earlier instance held, and a heartbeat can name the tasks it still works on. Runner keys must identify
-- the attempt of every write. The claim function records the instance and guards every state it changes.

alter table runners
  -- The current instance: every register makes a new one; null after deregistering.
  add column instance_id text,
  -- The heartbeat before the last one: `currentJobs: 0` releases leases claimed before it (a claim answered
  -- after the runner counted its jobs is not released by mistake).
  add column previous_heartbeat_at timestamptz;

alter table items
  add column runner_instance text,
  add column claimed_at timestamptz;

alter table api_keys
  add column kind text not null default 'standard' check (kind in ('standard', 'runner'));

-- cancel_requested items of a runner, read on every heartbeat.
create index items_cancel_requested on items (org_id, runner_id) where state = 'cancel_requested';

drop function runplane_claim_items(text, text, text[], integer, text[], text, boolean);

-- The claim, as one call (one round trip). Inside plpgsql each statement takes a fresh snapshot, so the free-slot
-- count is read after the runner row is locked: concurrent claims for one runner cannot both see the same free slot.
-- Pending rows are taken with SKIP LOCKED, so concurrent claimers never wait on or double-take an item. Every
-- claimed item gets attempt + 1, a lease owned by the runner's instance, an attempt row and a state event in one
-- statement. An instance that is no longer the runner's current one is refused (SQLSTATE RP001, runner_replaced).
create function runplane_claim_items(
  p_org_id text, p_runner_id text, p_profile_ids text[], p_limit integer, p_tags text[], p_item_id text,
  p_require_registered boolean, p_instance text
)
returns setof items
language plpgsql volatile as $$
declare
  v_tags text[];
  v_max integer;
  v_instance text;
  v_found boolean;
  v_free integer;
  v_ids text[];
begin
  select tags, max_concurrency, instance_id into v_tags, v_max, v_instance from runners
  where org_id = p_org_id and id = p_runner_id for update;
  v_found := found;
  if not v_found and p_require_registered then
    raise exception 'runner % is not registered', p_runner_id using errcode = 'P0002';
  end if;
  if v_found and p_instance is not null and v_instance is distinct from p_instance then
    raise exception 'instance % of runner % was replaced', p_instance, p_runner_id using errcode = 'RP001';
  end if;
  v_instance := case when v_found then v_instance end;
  -- Tags sent with the claim win (a gateway claims for what it can run); else the registered runner's tags.
  v_tags := coalesce(p_tags, v_tags, '{}');
  v_free := case when v_found then v_max - (
    select count(*)::int from items where org_id = p_org_id and runner_id = p_runner_id and lease_expires_at is not null
  ) else p_limit end;
  -- Two small pick statements (each keeps a plan that suits it), one claim statement for both.
  if p_item_id is not null then
    select array_agg(i.id) into v_ids from (
      select id from items
      where org_id = p_org_id and id = p_item_id and state = 'pending' and v_free > 0
      for update skip locked
    ) i;
  else
    select array_agg(i.id) into v_ids from (
      select id from items
      where org_id = p_org_id and state = 'pending'
        and (p_profile_ids is null or profile_id = any(p_profile_ids))
        and required_tags <@ v_tags
      order by queue_seq
      limit greatest(0, least(p_limit, v_free))
      for update skip locked
    ) i;
  end if;
  if v_ids is null then
    return;
  end if;
  return query
  with claimed as (
    update items i set
      state = 'dispatched', runner_id = p_runner_id, runner_instance = v_instance, claimed_at = now(),
      attempt = i.attempt + 1, phase = null,
      lease_expires_at = now() + i.lease_ttl_ms * interval '1 millisecond',
      last_event_seq = i.last_event_seq + 1, updated_at = now()
    where i.id = any(v_ids) and i.state = 'pending'
    returning i.*
  ), attempt_rows as (
    insert into attempts (item_id, attempt, runner_id) select c.id, c.attempt, c.runner_id from claimed c
  ), events as (
    insert into item_events (item_id, seq, type, level, message, data)
    select c.id, c.last_event_seq, 'state', 'info', 'pending → dispatched',
           jsonb_build_object('from', 'pending', 'to', 'dispatched', 'attempt', c.attempt, 'runnerId', c.runner_id,
                              'reason', 'claimed')
    from claimed c
  )
  select * from claimed c order by c.queue_seq;
end
$$;
