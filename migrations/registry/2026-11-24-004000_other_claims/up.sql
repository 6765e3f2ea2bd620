-- Claims of creditors that do not take part on the platform (tax and zakat, wages, trade
-- creditors, shareholder loans ...): recorded by the coordinator, shown in the snapshot's totals,
-- never given votes. A claim is never edited: a correction withdraws it and records a new one, so
-- that the claims in force at any past moment can be read back.
CREATE TABLE other_claims (
    id               uuid PRIMARY KEY,
    workout_id       uuid            NOT NULL REFERENCES workouts (id),
    claimant         text            NOT NULL,
    kind             text            NOT NULL CHECK (kind IN ('tax_and_zakat', 'wages', 'trade_creditor', 'utility', 'shareholder_loan', 'related_party', 'other_lender', 'other')),
    currency         text            NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount           numeric(22, 4)  NOT NULL CHECK (amount >= 0),
    preferential     boolean         NOT NULL,
    note             text,
    recorded_at      timestamptz     NOT NULL DEFAULT now(),
    recorded_by      uuid            NOT NULL,
    withdrawn_at     timestamptz,
    withdrawn_by     uuid,
    withdrawn_reason text,
    CHECK ((withdrawn_at IS NULL) = (withdrawn_reason IS NULL))
);
CREATE INDEX other_claims_by_workout ON other_claims (workout_id, id);
