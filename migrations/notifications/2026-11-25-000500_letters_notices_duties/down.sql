DROP TABLE preferences;
DROP TABLE communications;
DROP TABLE duties;
DROP TABLE acknowledgement_key;
DROP INDEX deliveries_by_letter;
ALTER TABLE deliveries
    DROP COLUMN acknowledged_at,
    DROP COLUMN ack_token_hash,
    DROP COLUMN acknowledges,
    DROP COLUMN from_name,
    DROP COLUMN formal,
    DROP COLUMN role;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_letter_id_fkey;
ALTER TABLE deliveries RENAME COLUMN letter_id TO event_id;
DELETE FROM deliveries WHERE event_id NOT IN (SELECT id FROM received_events);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_event_id_fkey
    FOREIGN KEY (event_id) REFERENCES received_events (id);
DROP TABLE letters;
