-- Back to one delivery state per event: events not yet accepted by every subscriber are pending
-- again (and delivered again to every subscriber: receivers deduplicate by event id).
DROP TABLE outbox_deliveries;
DROP INDEX outbox_unrouted;
ALTER TABLE outbox
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error text;
ALTER TABLE outbox DROP COLUMN routed_at;
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL;
