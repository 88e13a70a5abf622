-- Orgs, API keys, runners, work items with attempts and their event log, reviews and the delivery outbox.
-- Released migrations are never edited; add a new numbered file instead.

create table orgs (
  id text primary key,
  slug text not null unique,
  created_at timestamptz not null default now()
);

create table api_keys (
  id text primary key,
  org_id text not null references orgs (id),
  name text not null,
  -- SHA-256 (hex) of the whole key; the key itself is shown once and never stored.
  key_hash text not null unique,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table runners (
  org_id text not null references orgs (id),
  id text not null,
  name text not null,
  version text not null,
  max_concurrency integer not null,
  tags text[] not null default '{}',
  status text not null,
  current_jobs integer not null default 0,
  registered_at timestamptz not null default now(),
  last_heartbeat_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id)
);
create index runners_by_heartbeat on runners (org_id, last_heartbeat_at desc);

-- A work item is what a runner claims: a review task or a governed session. One table, one lifecycle.
create table items (
  id text primary key,
  org_id text not null references orgs (id),
  profile_id text not null,
  task_id text,
  state text not null,
  phase text,
  required_tags text[] not null default '{}',
  input jsonb not null default 'null',
  result jsonb,
  result_hash text,
  error text,
  failure_reason text,
  runner_id text,
  attempt integer not null default 0,
  max_attempts integer not null,
  lease_ttl_ms integer not null,
  lease_expires_at timestamptz,
  last_event_seq integer not null default 0,
  -- Position in the queue, fixed at creation: a requeued item keeps its place ahead of newer work.
  queue_seq bigint generated always as identity,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
-- The claim walks only pending rows in queue order (profile and tags are filters on those rows). Queue order is its own
-- column so that no other index (e.g. by created_at, for listings) can look like a cheaper way to the oldest rows.
create index items_pending on items (org_id, queue_seq) where state = 'pending';
-- Capacity checks and heartbeats look up a runner's leased items.
create index items_leased_by_runner on items (org_id, runner_id) where lease_expires_at is not null;
-- The reaper looks for the earliest lease deadlines.
create index items_lease_deadline on items (lease_expires_at) where lease_expires_at is not null;
create index items_by_created on items (org_id, created_at desc, id desc);

create table attempts (
  item_id text not null references items (id),
  attempt integer not null,
  runner_id text not null,
  claimed_at timestamptz not null default now(),
  ended_at timestamptz,
  outcome text,
  primary key (item_id, attempt)
);

create table item_events (
  item_id text not null references items (id),
  seq integer not null,
  type text not null,
  level text not null,
  message text not null default '',
  data jsonb,
  ts timestamptz not null default now(),
  received_at timestamptz not null default now(),
  primary key (item_id, seq)
);

create table reviews (
  id text primary key,
  org_id text not null references orgs (id),
  item_id text not null unique references items (id),
  pull_request jsonb,
  created_at timestamptz not null default now()
);
create index reviews_by_created on reviews (org_id, created_at desc, id desc);

-- Written in the same transaction as the result it announces, drained by the delivery worker.
create table outbox (
  id text primary key,
  org_id text not null references orgs (id),
  review_id text not null references reviews (id),
  topic text not null,
  payload jsonb not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz
);
create index outbox_due on outbox (next_attempt_at) where status = 'pending';
