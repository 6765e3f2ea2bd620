DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_is_append_only();
DROP TABLE audit_heads;
DROP TABLE audit_log;
DROP TABLE idempotency_keys;
DROP TABLE inbox;
DROP TABLE outbox;
