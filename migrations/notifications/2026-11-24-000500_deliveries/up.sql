-- One e-mail to send: a received event told to one recipient (a notice contact of a participant
-- whose role the routing table names), written in the intake's transaction and worked by the
-- sender (`FOR UPDATE SKIP LOCKED`). A redelivered event adds nothing: one row per event and address.
CREATE TABLE deliveries (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id        uuid        NOT NULL REFERENCES received_events (id),
    topic           text        NOT NULL,
    workout_id      uuid        NOT NULL,
    recipient_email text        NOT NULL,
    recipient_name  text        NOT NULL,
    institution_id  uuid        NOT NULL,
    language        text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    message_id      text        NOT NULL,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, recipient_email)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_workout ON deliveries (workout_id, created_at);
