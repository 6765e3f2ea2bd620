-- Information requests that cannot be gamed (guideline 5.1.2): the borrower has at least 15
-- calendar days to answer; its answer is stamped when recorded; the coordinator may correct an
-- answer date with a reason, cancel a request with a reason, and class the borrower
-- non-cooperative on grounds of judgement.
ALTER TABLE information_requests
    ADD CONSTRAINT information_requests_at_least_15_days CHECK (due_on >= sent_on + 15);

-- When and by whom the answer was recorded; `answered_on` is the answer date as it stands
-- (the recorded date, or the coordinator's correction).
ALTER TABLE information_requests
    ADD COLUMN answer_recorded_at timestamptz,
    ADD COLUMN answer_recorded_on date,
    ADD COLUMN answer_recorded_by uuid,
    ADD COLUMN cancelled_at timestamptz,
    ADD COLUMN cancelled_by uuid,
    ADD COLUMN cancel_reason text,
    ADD CONSTRAINT information_requests_cancellation CHECK (
        (cancelled_at IS NULL) = (cancelled_by IS NULL)
        AND (cancelled_at IS NULL) = (cancel_reason IS NULL)
        AND (cancel_reason IS NULL OR length(cancel_reason) BETWEEN 1 AND 2000));

DROP INDEX information_requests_unannounced;
CREATE INDEX information_requests_unannounced ON information_requests (due_on)
    WHERE answered_on IS NULL AND overdue_announced_at IS NULL AND cancelled_at IS NULL;

CREATE TABLE answer_date_corrections (
    id                 uuid PRIMARY KEY,
    request_id         uuid        NOT NULL REFERENCES information_requests (id),
    answered_on_before date        NOT NULL,
    answered_on        date        NOT NULL,
    reason             text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    corrected_by       uuid        NOT NULL,
    corrected_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX answer_date_corrections_by_request ON answer_date_corrections (request_id, id);

-- The coordinator's classifications of the borrower; at most one stands (not lifted) at a time.
CREATE TABLE borrower_classifications (
    id            uuid PRIMARY KEY,
    workout_id    uuid        NOT NULL REFERENCES workouts (id),
    grounds       text[]      NOT NULL CHECK (cardinality(grounds) >= 1
                                  AND array_position(grounds, NULL) IS NULL),
    rationale     text        NOT NULL CHECK (length(rationale) BETWEEN 1 AND 5000),
    classified_by uuid        NOT NULL,
    classified_at timestamptz NOT NULL DEFAULT now(),
    lifted_at     timestamptz,
    lifted_by     uuid,
    lift_reason   text CHECK (lift_reason IS NULL OR length(lift_reason) BETWEEN 1 AND 2000),
    CHECK ((lifted_at IS NULL) = (lifted_by IS NULL)
           AND (lifted_at IS NULL) = (lift_reason IS NULL))
);
CREATE UNIQUE INDEX borrower_classifications_standing ON borrower_classifications (workout_id)
    WHERE lifted_at IS NULL;
CREATE INDEX borrower_classifications_by_workout ON borrower_classifications (workout_id, id);
