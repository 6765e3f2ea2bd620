-- Event routing: delivery state per (event, subscriber), so that a subscriber that is down is
-- retried on its own and neither blocks nor causes redelivery to the others. The relay routes each
-- new event once (routed_at) to the subscribers whose topic prefixes match; outbox.delivered_at is
-- set when every one of them has accepted it.
ALTER TABLE outbox ADD COLUMN routed_at timestamptz;
-- Events delivered under the old relay are done; pending ones are routed afresh.
UPDATE outbox SET routed_at = delivered_at WHERE delivered_at IS NOT NULL;
DROP INDEX outbox_pending;
ALTER TABLE outbox DROP COLUMN attempts, DROP COLUMN next_attempt_at, DROP COLUMN last_error;
CREATE INDEX outbox_unrouted ON outbox (created_at, id) WHERE routed_at IS NULL;

CREATE TABLE outbox_deliveries (
    event_id        uuid        NOT NULL REFERENCES outbox (id),
    subscriber      text        NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_token     uuid,
    lease_until     timestamptz,
    delivered_at    timestamptz,
    last_error      text,
    PRIMARY KEY (event_id, subscriber)
);
CREATE INDEX outbox_deliveries_due ON outbox_deliveries (subscriber, next_attempt_at, event_id)
    WHERE delivered_at IS NULL;
