-- Governed execution (issue 16): versioned profile policies, pinned by each session at dispatch, and replays.
--
-- A policy version is never changed once written: a session keeps the rules it was dispatched under (permissions,
-- budgets, the cancel grace) while the profile's policy moves on.
create table profile_policies (
  org_id text not null,
  profile_id text not null,
  version integer not null,
  policy jsonb not null,
  created_by text,
  created_at timestamptz not null default now(),
  primary key (org_id, profile_id, version),
  foreign key (org_id, profile_id) references profiles (org_id, id) on delete cascade
);

-- The policy version in force at dispatch (null: the profile had none, the defaults apply); the session this one
-- replays (null: none) and the sessions that replay this one, oldest first. `replays` is written on the source row
-- when a replay is made (rare), so reading a session never needs a second query for it.
alter table items
  add column policy_version integer,
  add column replay_of text,
  add column replays text[] not null default '{}';
