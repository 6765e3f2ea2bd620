-- Standstill agreements: proposed by the coordinator on a frozen record-date snapshot of the
-- registry (its id and content hash kept, and each creditor's exposure copied once as the
-- baseline), acceded to or declined by each creditor of the baseline, effective when the accession
-- rule (a rule of the domain's voting engine) passes, ended by a termination event or at the end
-- date.
CREATE TABLE standstills (
    id                 uuid        PRIMARY KEY,
    workout_id         uuid        NOT NULL,
    snapshot_id        uuid        NOT NULL,
    snapshot_hash      text        NOT NULL,
    reference_date     date        NOT NULL,
    -- Each creditor's exposure and classes on the reference date, as the snapshot showed them.
    baseline           jsonb       NOT NULL,
    starts_on          date        NOT NULL,
    ends_on            date        NOT NULL CHECK (ends_on >= starts_on),
    -- The creditors' and the borrower's undertakings.
    undertakings       jsonb       NOT NULL,
    termination_events jsonb       NOT NULL,
    -- The accession rule as the domain engine reads it, with the preset it came from, if any.
    accession_rule     jsonb       NOT NULL,
    state              text        NOT NULL CHECK (state IN ('proposed', 'effective', 'terminated',
                           'expired')),
    proposed_by        uuid        NOT NULL,
    proposed_at        timestamptz NOT NULL,
    effective_at       timestamptz,
    -- How it ended (terminated or expired): when, by whom, why.
    ended              jsonb,
    CHECK ((state IN ('terminated', 'expired')) = (ended IS NOT NULL)),
    CHECK (state <> 'effective' OR effective_at IS NOT NULL)
);
CREATE INDEX standstills_by_workout ON standstills (workout_id, id);
-- At most one live (proposed or effective) standstill per workout.
CREATE UNIQUE INDEX standstills_one_live ON standstills (workout_id)
    WHERE state IN ('proposed', 'effective');

-- Each creditor's answer: one per creditor per standstill; a change replaces it while proposed.
CREATE TABLE standstill_accessions (
    standstill_id uuid        NOT NULL REFERENCES standstills (id),
    creditor_id   uuid        NOT NULL,
    answer        text        NOT NULL CHECK (answer IN ('acceded', 'declined')),
    comment       text,
    answered_by   uuid        NOT NULL,
    answered_at   timestamptz NOT NULL,
    PRIMARY KEY (standstill_id, creditor_id)
);

-- Breaches reported: by whom, which party (a creditor or the borrower), what, and for a creditor
-- its exposure on the day against the baseline.
CREATE TABLE standstill_breaches (
    id                 uuid          PRIMARY KEY,
    standstill_id      uuid          NOT NULL REFERENCES standstills (id),
    party              text          NOT NULL CHECK (party IN ('creditor', 'borrower')),
    creditor_id        uuid,
    kind               text          NOT NULL,
    description        text          NOT NULL,
    baseline_exposure  numeric(30,4),
    detected_exposure  numeric(30,4),
    reported_by        uuid          NOT NULL,
    reporter_id        uuid          NOT NULL,
    reported_at        timestamptz   NOT NULL,
    CHECK ((party = 'creditor') = (creditor_id IS NOT NULL))
);
CREATE INDEX standstill_breaches_by_standstill ON standstill_breaches (standstill_id, id);
