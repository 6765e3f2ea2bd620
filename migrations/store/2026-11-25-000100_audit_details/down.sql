DROP TABLE audit_details;
ALTER TABLE audit_log DROP COLUMN disclosure;
ALTER TABLE audit_log DROP COLUMN details_hash;
