ALTER TABLE audit_log DROP COLUMN actor_service;
