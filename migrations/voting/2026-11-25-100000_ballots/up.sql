-- Ballots: a question put to a workout's creditors under a voting rule, with the eligible
-- creditors and their weights taken once, when it opens, from a frozen record-date snapshot of the
-- registry (its id and content hash kept), and never read again.
CREATE TABLE ballots (
    id              uuid        PRIMARY KEY,
    workout_id      uuid        NOT NULL,
    subject_kind    text        NOT NULL CHECK (subject_kind IN ('standstill', 'standstill_extension',
                        'term_sheet_version', 'mandate_nomination', 'mandate_renewal', 'waiver',
                        'other_resolution')),
    subject_ref     text        NOT NULL,
    content_hash    text,
    title           text        NOT NULL,
    -- The voting rule as the domain engine reads it, and the preset it came from, if any.
    rule            jsonb       NOT NULL,
    preset          text,
    snapshot_id     uuid        NOT NULL,
    snapshot_hash   text        NOT NULL,
    record_date     date        NOT NULL,
    opened_at       timestamptz NOT NULL,
    opened_by       uuid        NOT NULL,
    closes_at       timestamptz NOT NULL CHECK (closes_at > opened_at),
    -- How `closes_at` was set: a time given, or N business days on the workout's calendar.
    deadline        jsonb       NOT NULL,
    -- `hidden_votes` (individual votes are never shown to other participants) and `close_early`
    -- (the ballot closes as soon as its outcome can no longer change).
    options         jsonb       NOT NULL
);
CREATE INDEX ballots_by_workout ON ballots (workout_id, id);

-- A ballot's close, written once: when, how, and its result certificate.
CREATE TABLE ballot_closures (
    ballot_id   uuid        PRIMARY KEY REFERENCES ballots (id),
    closed_at   timestamptz NOT NULL,
    closed_how  text        NOT NULL CHECK (closed_how IN ('deadline', 'coordinator', 'decided')),
    certificate jsonb       NOT NULL
);

-- The creditors eligible when the ballot opened: one row per creditor and class of the snapshot.
CREATE TABLE ballot_voters (
    ballot_id     uuid          NOT NULL REFERENCES ballots (id),
    creditor_id   uuid          NOT NULL,
    class         text          NOT NULL,
    weight        numeric(30,4) NOT NULL CHECK (weight >= 0),
    related_party boolean       NOT NULL,
    conflicted    boolean       NOT NULL,
    PRIMARY KEY (ballot_id, creditor_id, class)
);

-- Each creditor's effective vote: one per ballot, enforced here; a change replaces it.
CREATE TABLE votes (
    ballot_id   uuid        NOT NULL REFERENCES ballots (id),
    creditor_id uuid        NOT NULL,
    choice      text        NOT NULL CHECK (choice IN ('for', 'against', 'abstain')),
    comment     text,
    cast_by     uuid        NOT NULL,
    cast_at     timestamptz NOT NULL,
    changes     integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (ballot_id, creditor_id)
);

-- Every vote cast, in order, changes included.
CREATE TABLE vote_history (
    id          uuid        PRIMARY KEY,
    ballot_id   uuid        NOT NULL REFERENCES ballots (id),
    creditor_id uuid        NOT NULL,
    choice      text        NOT NULL CHECK (choice IN ('for', 'against', 'abstain')),
    comment     text,
    cast_by     uuid        NOT NULL,
    cast_at     timestamptz NOT NULL
);
CREATE INDEX vote_history_by_ballot ON vote_history (ballot_id, id);
