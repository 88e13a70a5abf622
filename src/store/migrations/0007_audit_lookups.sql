-- The audit log is filtered by actor and by target (newest first) and trimmed by age (RUNPLANE_AUDIT_RETENTION_DAYS).
create index audit_log_by_actor on audit_log (org_id, actor, id desc);
create index audit_log_by_target on audit_log (org_id, target, id desc);
create index audit_log_by_time on audit_log (at);
