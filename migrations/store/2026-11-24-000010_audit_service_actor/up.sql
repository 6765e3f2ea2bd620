-- A change made by a service (its client name) rather than by a user acting for an institution.
ALTER TABLE audit_log ADD COLUMN actor_service text;
