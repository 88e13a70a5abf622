-- Claims that cost the same however much work ahead of them a runner cannot take (issue 13), and event appends
-- without a per-row foreign-key check.
--
-- A queue class is a (required tag set, profile) pair. Pending items are indexed by class, then queue order, so a
-- claim reads the org's classes with a skip scan (one index descent per class), keeps those the runner can take
-- (tags it has, profiles it asked for) and takes the oldest items of those classes: 100k pending items that need a
-- tag the runner lacks are one class, one descent, instead of 100k rows filtered one by one.
create index items_pending_by_class on items (org_id, required_tags, profile_id, queue_seq) where state = 'pending';

-- Every event is inserted by the statement that locks and writes its item row (the sequence number comes from that
-- row), and items are never deleted, so an event cannot name a missing item; the per-row foreign-key check (one
-- index probe and row lock per event) protected nothing on the hot path. test/integration/concurrency.test.ts
-- checks that no event is orphaned after its races.
alter table item_events drop constraint item_events_item_id_fkey;

-- Every heartbeat rewrote this index entry (last_heartbeat_at), so no heartbeat update could be HOT; the runner list
-- it served sorts one org's runners, which is cheap without it.
drop index runners_by_heartbeat;

-- As in 0005 (one call, runner row lock, SKIP LOCKED, guarded claim statement); only the pick changed.
create or replace function runplane_claim_items(
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
  v_take integer;
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
  v_take := greatest(0, least(p_limit, v_free));
  if p_item_id is not null then
    select array_agg(i.id) into v_ids from (
      select id from items
      where org_id = p_org_id and id = p_item_id and state = 'pending' and v_free > 0
      for update skip locked
    ) i;
  elsif v_take > 0 then
    -- The org's queue classes by skip scan, then the oldest takeable items of each class the runner can take
    -- (locked with SKIP LOCKED per class, so concurrent claimers pass each other), oldest first overall.
    select array_agg(picked.id order by picked.queue_seq) into v_ids from (
      select taken.id, taken.queue_seq
      from (
        with recursive classes as (
          (select required_tags, profile_id from items
           where org_id = p_org_id and state = 'pending'
           order by required_tags, profile_id limit 1)
          union all
          select next.required_tags, next.profile_id from classes c, lateral (
            select required_tags, profile_id from items
            where org_id = p_org_id and state = 'pending' and (required_tags, profile_id) > (c.required_tags, c.profile_id)
            order by required_tags, profile_id limit 1
          ) next
        )
        select required_tags, profile_id from classes
        where required_tags <@ v_tags and (p_profile_ids is null or profile_id = any(p_profile_ids))
      ) class, lateral (
        select id, queue_seq from items
        where org_id = p_org_id and state = 'pending' and required_tags = class.required_tags
          and profile_id = class.profile_id
        order by queue_seq
        limit v_take
        for update skip locked
      ) taken
      order by taken.queue_seq
      limit v_take
    ) picked;
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
