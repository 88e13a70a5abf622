-- The repositories an org may post reviews to, per provider: exact paths (`acme/api`) or everything below a prefix
-- (`acme/*`). Delivery uses a server-wide token, so without this binding one org could post to any repository that
-- token reaches.
create table org_repositories (
  org_id text not null references orgs (id),
  provider text not null check (provider in ('github', 'gitlab')),
  pattern text not null,
  created_at timestamptz not null default now(),
  primary key (org_id, provider, pattern)
);
