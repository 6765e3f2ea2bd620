-- Whether a creditor is a related party of the borrower (shareholder, group company): a property
-- of the creditor, decided by the coordinator with a reason, not declared facility by facility.
-- Append-only: the status at any past moment is the latest decision before it, so a snapshot of a
-- past date never changes after the fact.
CREATE TABLE related_party_decisions (
    id             uuid PRIMARY KEY,
    workout_id     uuid        NOT NULL REFERENCES workouts (id),
    institution_id uuid        NOT NULL REFERENCES institutions (id),
    related_party  boolean     NOT NULL,
    reason         text        NOT NULL,
    decided_by     uuid        NOT NULL,
    decided_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX related_party_decisions_by_creditor
    ON related_party_decisions (workout_id, institution_id, decided_at DESC);
