-- The worker holding an outbox row is named by a token taken with the row: it renews its lock while it posts, and
-- only it can complete the row (a late worker whose lock expired cannot flip `delivered` back to `failed`).
alter table outbox add column lock_token text;
