-- Events received from the other services' outboxes (deduplicated by id through `inbox`).
CREATE TABLE received_events (
    id          uuid PRIMARY KEY,
    topic       text        NOT NULL,
    source      text        NOT NULL,
    workout_id  uuid,
    occurred_at timestamptz NOT NULL,
    payload     jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX received_events_by_workout ON received_events (workout_id, id);
