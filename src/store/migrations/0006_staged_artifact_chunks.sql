-- Artifact bytes are staged outside the transaction that commits the artifact row (a slow upload must not hold a
-- connection); chunks whose artifact row never came are swept after a while, by this timestamp.
alter table artifact_chunks add column staged_at timestamptz not null default now();
create index artifact_chunks_staged on artifact_chunks (staged_at);
