-- Need-to-know audit: the details of a change (its state before and after) are stored apart from
-- its chain entry, with a random salt, and the entry commits to them by `details_hash`, so that an
-- export can withhold details from a participant who may not read them while every participant can
-- still verify the whole chain. `disclosure` names who may read the details (hashed with the entry).
-- Entries written before this migration keep their details inline and have no `details_hash`.
ALTER TABLE audit_log ADD COLUMN details_hash text;
ALTER TABLE audit_log ADD COLUMN disclosure text;

CREATE TABLE audit_details (
    chain_id uuid   NOT NULL,
    seq      bigint NOT NULL,
    salt     text   NOT NULL,
    before   jsonb,
    after    jsonb,
    PRIMARY KEY (chain_id, seq),
    FOREIGN KEY (chain_id, seq) REFERENCES audit_log (chain_id, seq)
);

CREATE TRIGGER audit_details_append_only BEFORE UPDATE OR DELETE ON audit_details
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
