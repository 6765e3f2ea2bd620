-- A letter: one thing to tell in a workout (a received event's news, a formal notice, a report
-- to the coordinator, a reminder), addressed to participant roles, optionally only to some
-- institutions (`roles`: a JSON array of role names; `institutions`: absent, or a JSON array of
-- institution ids). Its recipients are resolved when it is sent (the `expander` turns it into one
-- delivery per notice contact, `FOR UPDATE SKIP LOCKED`), not when it is written.
CREATE TABLE letters (
    id                    uuid        PRIMARY KEY,
    workout_id            uuid        NOT NULL,
    kind                  text        NOT NULL,
    event_id              uuid        UNIQUE REFERENCES received_events (id),
    roles                 jsonb       NOT NULL,
    institutions          jsonb,
    formal                boolean     NOT NULL DEFAULT false,
    content               jsonb       NOT NULL DEFAULT '{}',
    issued_by             uuid,
    issued_by_institution uuid,
    created_at            timestamptz NOT NULL DEFAULT now(),
    expanded_at           timestamptz,
    attempts              integer     NOT NULL DEFAULT 0,
    next_attempt_at       timestamptz NOT NULL DEFAULT now(),
    last_error            text
);
CREATE INDEX letters_to_expand ON letters (next_attempt_at) WHERE expanded_at IS NULL;
CREATE INDEX letters_by_workout ON letters (workout_id, id);

-- The deliveries written so far were expanded at intake: each event with deliveries becomes an
-- expanded letter of the same id.
INSERT INTO letters (id, workout_id, kind, event_id, roles, created_at, expanded_at)
SELECT e.id, e.workout_id, e.topic, e.id, '[]', e.received_at, e.received_at
FROM received_events e
WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id);

ALTER TABLE deliveries DROP CONSTRAINT deliveries_event_id_fkey;
ALTER TABLE deliveries RENAME COLUMN event_id TO letter_id;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_letter_id_fkey
    FOREIGN KEY (letter_id) REFERENCES letters (id);
-- `role`: the recipient's role in the workout; `from_name`: whose name the e-mail goes out in (the
-- coordinator's, for the borrower and guarantors); `acknowledges`: the delivery whose
-- acknowledgement link the e-mail carries (itself for a formal notice, the notice's delivery for a
-- reminder), with its token's SHA-256 (the token itself is never stored).
ALTER TABLE deliveries
    ADD COLUMN role            text,
    ADD COLUMN formal          boolean NOT NULL DEFAULT false,
    ADD COLUMN from_name       text,
    ADD COLUMN acknowledges    uuid REFERENCES deliveries (id),
    ADD COLUMN ack_token_hash  text,
    ADD COLUMN acknowledged_at timestamptz;
CREATE INDEX deliveries_by_letter ON deliveries (letter_id);

-- The key from which acknowledgement tokens are derived (HMAC-SHA256 of the delivery's id); one
-- row, made here, shared by every replica.
CREATE TABLE acknowledgement_key (
    id  boolean PRIMARY KEY DEFAULT true CHECK (id),
    key text    NOT NULL
);
INSERT INTO acknowledgement_key (key)
VALUES (replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

-- Something due by a date on the workout's calendar: the transfer notice (5 business days from
-- the opening), a formal notice's acknowledgement by its recipient, the acknowledgement of a
-- borrower's written communication (5 business days). Met when done; reported late once, by the
-- scheduler's job at `due_at` (the end of `due_on` in the calendar's zone).
CREATE TABLE duties (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    workout_id uuid        NOT NULL,
    kind       text        NOT NULL
                           CHECK (kind IN ('transfer_notice', 'notice_acknowledgement',
                                           'communication_acknowledgement')),
    subject_id uuid        NOT NULL,
    from_on    date        NOT NULL,
    due_on     date        NOT NULL,
    calendar   text        NOT NULL,
    due_at     timestamptz NOT NULL,
    met_at     timestamptz,
    late_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, subject_id)
);
CREATE INDEX duties_by_workout ON duties (workout_id, id);

-- A written communication from the borrower, to be acknowledged in writing within 5 business
-- days (5.3.2 B v).
CREATE TABLE communications (
    id              uuid        PRIMARY KEY,
    workout_id      uuid        NOT NULL,
    institution_id  uuid        NOT NULL,
    subject         text        NOT NULL,
    body            text        NOT NULL,
    received_on     date        NOT NULL,
    recorded_by     uuid        NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    acknowledged_by uuid,
    letter_id       uuid REFERENCES letters (id)
);
CREATE INDEX communications_by_workout ON communications (workout_id, id);

-- A notice contact's own choices: its language, and whether it gets informational e-mails
-- (formal notices always go).
CREATE TABLE preferences (
    institution_id uuid        NOT NULL,
    email          text        NOT NULL,
    language       text        CHECK (language IN ('en', 'ar')),
    informational  boolean     NOT NULL DEFAULT true,
    updated_by     uuid        NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (institution_id, email)
);
