-- Console users (local, per org, with a role) and their login sessions. Passwords are stored as scrypt hashes,
-- session tokens as SHA-256 hashes; the cookie holds the token, the row holds its CSRF token and expiry.
create table users (
  id text primary key,
  org_id text not null references orgs (id),
  email text not null,
  role text not null,
  password_hash text not null,
  created_at timestamptz not null default now(),
  unique (org_id, email)
);
create index users_by_email on users (lower(email));

create table user_sessions (
  token_hash text primary key,
  user_id text not null references users (id) on delete cascade,
  csrf_token text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index user_sessions_by_user on user_sessions (user_id);
