-- The kill switch (issue 16): a suspended profile, or a suspended org, takes no new work; what it had is cancelled.
-- A dispatch locks the profile and org rows (key share) while it checks these, so a suspension (which takes them
-- for update) either waits for that dispatch and then cancels its session, or is seen by it.
alter table profiles
  add column suspended_at timestamptz,
  add column suspended_reason text;
alter table orgs
  add column suspended_at timestamptz,
  add column suspended_reason text;
