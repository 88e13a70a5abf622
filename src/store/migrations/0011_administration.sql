-- Administration without a stop (issue 14): a first-run setup link, users an admin can disable, keys that expire.
--
-- A setup token is printed by a server that starts on a store with no console user; it is stored only as its
-- SHA-256 and every token is consumed when the first admin is created (whichever instance printed it).
create table setup_tokens (
  token_hash text primary key,
  created_at timestamptz not null default now()
);

-- A disabled user cannot log in and its sessions are ended; the row (and its audit trail) stays.
alter table users add column disabled_at timestamptz;

-- A key past its expiry authenticates nothing (401), like a revoked one.
alter table api_keys add column expires_at timestamptz;

-- A runner's page lists its recent claims.
create index attempts_by_runner on attempts (runner_id, claimed_at desc);
