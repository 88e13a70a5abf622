-- Governed sessions (/v1/runners): profiles, harness revisions, session fields on items, checkpoints, artifacts,
-- permission grants and the audit log. Sessions are items: one table, one lifecycle, one claim.

create table profiles (
  org_id text not null references orgs (id),
  id text not null,
  name text not null,
  description text not null default '',
  execution_target text not null default 'runner',
  status text not null default 'active',
  builtin boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  unique (org_id, name)
);

-- Every org has the built-in review profile; review tasks are its sessions.
insert into profiles (org_id, id, name, description, builtin)
select id, 'ai-review', 'ai-review', 'AI code reviews from /api/reviews', true from orgs;

create table harness_revisions (
  id text primary key,
  org_id text not null,
  profile_id text not null,
  version text not null,
  image_ref text not null,
  created_at timestamptz not null default now(),
  foreign key (org_id, profile_id) references profiles (org_id, id) on delete cascade,
  unique (org_id, profile_id, version)
);
create index harness_revisions_newest on harness_revisions (org_id, profile_id, created_at desc, id desc);

alter table items
  add column harness_revision_id text references harness_revisions (id) on delete set null,
  add column metadata jsonb not null default '{}',
  add column progress double precision,
  add column idempotency_key text,
  add column idempotency_hash text,
  add column last_checkpoint_seq integer not null default 0;
create unique index items_idempotency on items (org_id, idempotency_key) where idempotency_key is not null;
create index items_by_profile on items (org_id, profile_id, created_at desc, id desc);

create table checkpoints (
  item_id text not null references items (id),
  seq integer not null,
  data jsonb not null,
  created_at timestamptz not null default now(),
  primary key (item_id, seq)
);

create table artifacts (
  id text primary key,
  org_id text not null references orgs (id),
  item_id text not null references items (id),
  name text not null,
  content_type text not null,
  size bigint not null,
  sha256 text not null,
  created_at timestamptz not null default now()
);
create index artifacts_by_item on artifacts (item_id, created_at, id);

-- Artifact bytes when the store is PostgreSQL (several instances share them); the embedded store keeps files.
create table artifact_chunks (
  artifact_id text not null,
  seq integer not null,
  data bytea not null,
  primary key (artifact_id, seq)
);

create table permission_grants (
  id text primary key,
  org_id text not null references orgs (id),
  item_id text not null references items (id),
  scope text not null,
  reason text not null,
  resource text,
  -- SHA-256 (hex) of the grant token; the token is shown once.
  token_hash text not null unique,
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index permission_grants_by_item on permission_grants (item_id, created_at);

create table audit_log (
  id bigint generated always as identity primary key,
  org_id text not null,
  actor text not null,
  action text not null,
  target text,
  request_id text,
  at timestamptz not null default now()
);
create index audit_log_by_org on audit_log (org_id, id desc);

-- The claim, as one call (one round trip). Inside plpgsql each statement takes a fresh snapshot, so the free-slot
-- count is read after the runner row is locked: concurrent claims for one runner cannot both see the same free slot.
-- Pending rows are taken with SKIP LOCKED, so concurrent claimers never wait on or double-take an item. Every
-- claimed item gets attempt + 1, a lease, an attempt row and a state event in one statement.
-- It serves both facades: the next items in queue order for a runner (profile and tag filters), one item by id
-- (gateways), and runners that never registered (tags come with the request; no cap since no max is known).
create function runplane_claim_items(
  p_org_id text, p_runner_id text, p_profile_ids text[], p_limit integer, p_tags text[], p_item_id text,
  p_require_registered boolean
)
returns setof items
language plpgsql volatile as $$
declare
  v_tags text[];
  v_max integer;
  v_found boolean;
  v_free integer;
  v_ids text[];
begin
  select tags, max_concurrency into v_tags, v_max from runners
  where org_id = p_org_id and id = p_runner_id for update;
  v_found := found;
  if not v_found and p_require_registered then
    raise exception 'runner % is not registered', p_runner_id using errcode = 'P0002';
  end if;
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
      state = 'dispatched', runner_id = p_runner_id, attempt = i.attempt + 1, phase = null,
      lease_expires_at = now() + i.lease_ttl_ms * interval '1 millisecond',
      last_event_seq = i.last_event_seq + 1, updated_at = now()
    where i.id = any(v_ids)
    returning i.*
  ), attempt_rows as (
    insert into attempts (item_id, attempt, runner_id) select c.id, c.attempt, c.runner_id from claimed c
  ), events as (
    insert into item_events (item_id, seq, type, level, message, data)
    select c.id, c.last_event_seq, 'state', 'info', 'pending → dispatched',
           jsonb_build_object('from', 'pending', 'to', 'dispatched', 'attempt', c.attempt, 'runnerId', c.runner_id)
    from claimed c
  )
  select * from claimed c order by c.queue_seq;
end
$$;
