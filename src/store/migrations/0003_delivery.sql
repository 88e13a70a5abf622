-- Delivery of review results: one outbox row per destination (github, gitlab, webhook), claimed by a worker under a
-- short lock so several instances never post the same row at once; and GitHub webhook deliveries seen, for
-- idempotent intake.
alter table outbox
  add column destination text,
  add column locked_until timestamptz;
create index outbox_by_review on outbox (review_id);

create table webhook_deliveries (
  id text primary key,
  org_id text not null references orgs (id),
  review_id text references reviews (id),
  received_at timestamptz not null default now()
);
