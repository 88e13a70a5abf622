-- Governed execution, part two (issue 16): permission requests a person decides, and budgets that pause.
--
-- A permission request is asked by one attempt of a session. The policy the session pinned decides at once (allow,
-- deny) or the request waits `pending` for a person. An approved request's grant token is minted when the asking
-- attempt collects it (`token_delivered_at`), so the token exists only in that one answer, never in a row; the
-- grant's expiry is fixed at the decision (`grant_expires_at`).
create table permission_requests (
  id text primary key,
  org_id text not null references orgs (id),
  item_id text not null references items (id),
  attempt integer not null,
  runner_id text,
  scope text not null,
  resource text not null,
  reason text not null,
  ttl_seconds integer not null,
  -- pending | approved | denied | expired
  state text not null default 'pending',
  -- `policy` when a rule decided, else the deciding person's actor; null while pending or once expired.
  decided_by text,
  -- The index of the policy rule that matched (null: no rule matched, the default `ask` applied).
  rule_index integer,
  note text,
  grant_id text references permission_grants (id),
  grant_expires_at timestamptz,
  token_delivered_at timestamptz,
  created_at timestamptz not null default now(),
  -- A pending request expires here at the latest (RUNPLANE_APPROVAL_TIMEOUT_SECONDS), or earlier with its attempt.
  expires_at timestamptz not null,
  decided_at timestamptz
);
create index permission_requests_pending on permission_requests (org_id, created_at) where state = 'pending';
create index permission_requests_by_item on permission_requests (item_id, created_at);

-- Budgets: the session's own limits (set by a person with PATCH; null: the pinned policy's), what it has spent
-- (summed from its `usage` events), and a pause the server asked for (`budget_reached`) that the runner has not
-- carried out yet, or the reason the session is paused.
alter table items
  add column budget jsonb,
  add column usage_tokens bigint not null default 0,
  add column usage_cost_usd double precision not null default 0,
  add column pause_requested_at timestamptz,
  add column pause_reason text;
