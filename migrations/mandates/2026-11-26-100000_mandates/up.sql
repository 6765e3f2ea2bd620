-- A workout's coordinator mandate: one per workout, through its nomination rounds, appointment,
-- term and renewals, to its expiry. The rules in force (the guideline's numbers or the workout's
-- choice) are kept with it, and every due date is kept with the rule that produced it.
CREATE TABLE mandates (
    id              uuid        PRIMARY KEY,
    workout_id      uuid        NOT NULL UNIQUE,
    -- `opened`: kept since the workout opened (the registry's event), not yet started: no
    -- nomination (`nomination` is JSON null) until the coordinator of record starts it.
    state           text        NOT NULL CHECK (state IN ('opened', 'nominating', 'failed', 'vacant',
                        'active', 'closing', 'expired')),
    -- The nomination round: each nomination (default, after a decline or a withdrawal, or by the
    -- coordinator of record) opens a new round of consents.
    round           integer     NOT NULL CHECK (round >= 1),
    nominee_id      uuid,
    -- How the nominee was chosen, the snapshot's date and order, the round's voters (engine rows).
    nomination      jsonb       NOT NULL,
    coordinator_id  uuid,
    opened_on       date        NOT NULL,
    -- The appointment's due date as a `Deadline` naming its rule.
    appointment_due jsonb       NOT NULL,
    appointed_on    date,
    -- The term's end (a `Deadline`), once appointed; moved by each renewal.
    term_end        jsonb,
    renewals        integer     NOT NULL DEFAULT 0 CHECK (renewals >= 0),
    rules           jsonb       NOT NULL,
    -- Creditors that declined or withdrew: never nominated again by default.
    passed_over     jsonb       NOT NULL DEFAULT '[]',
    updated_at      timestamptz NOT NULL
);

-- The answer of each other creditor in a nomination round: one per creditor per round.
CREATE TABLE consents (
    mandate_id  uuid        NOT NULL REFERENCES mandates (id),
    round       integer     NOT NULL,
    creditor_id uuid        NOT NULL,
    accepted    boolean     NOT NULL,
    reason      text,
    given_by    uuid        NOT NULL,
    given_at    timestamptz NOT NULL,
    PRIMARY KEY (mandate_id, round, creditor_id)
);

-- Renewals proposed, decided under the same consent rule; at most one open at a time.
CREATE TABLE renewals (
    id            uuid        PRIMARY KEY,
    mandate_id    uuid        NOT NULL REFERENCES mandates (id),
    months        integer     NOT NULL CHECK (months >= 1),
    rationale     text        NOT NULL,
    proposed_by   uuid        NOT NULL,
    proposer_id   uuid        NOT NULL,
    proposed_at   timestamptz NOT NULL,
    -- The voters (engine rows) and the window's deadline.
    voters        jsonb       NOT NULL,
    window_closes jsonb       NOT NULL,
    state         text        NOT NULL CHECK (state IN ('open', 'passed', 'failed')),
    decided_at    timestamptz
);
CREATE UNIQUE INDEX renewals_one_open ON renewals (mandate_id) WHERE state = 'open';

-- Each creditor's answer to a renewal proposal: one per creditor.
CREATE TABLE renewal_responses (
    renewal_id  uuid        NOT NULL REFERENCES renewals (id),
    creditor_id uuid        NOT NULL,
    accepted    boolean     NOT NULL,
    reason      text,
    given_by    uuid        NOT NULL,
    given_at    timestamptz NOT NULL,
    PRIMARY KEY (renewal_id, creditor_id)
);

-- The coordinator's notices to all creditors and the borrower that positions keep changing.
CREATE TABLE withdrawal_notices (
    id             uuid        PRIMARY KEY,
    mandate_id     uuid        NOT NULL REFERENCES mandates (id),
    coordinator_id uuid        NOT NULL,
    text           text        NOT NULL,
    given_by       uuid        NOT NULL,
    given_at       timestamptz NOT NULL
);

-- Withdrawals of coordinators, each with its ground and, where needed, its notice.
CREATE TABLE withdrawals (
    id             uuid        PRIMARY KEY,
    mandate_id     uuid        NOT NULL REFERENCES mandates (id),
    coordinator_id uuid        NOT NULL,
    category       text        NOT NULL,
    text           text        NOT NULL,
    notice_id      uuid        REFERENCES withdrawal_notices (id),
    withdrawn_by   uuid        NOT NULL,
    withdrawn_at   timestamptz NOT NULL
);

-- The coordinator's duties checklist: one row per item once it was touched.
CREATE TABLE duties (
    mandate_id uuid        NOT NULL REFERENCES mandates (id),
    item       text        NOT NULL,
    status     text        NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'not_needed')),
    on_date    date,
    note       text,
    updated_by uuid        NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (mandate_id, item)
);

-- Who becomes the facility agent once the restructuring is effective (guideline 5.3.1 E): the
-- coordinator, unless the creditors decided otherwise (their decision recorded here before).
CREATE TABLE agents (
    mandate_id   uuid        PRIMARY KEY REFERENCES mandates (id),
    -- The creditors' choice (`creditors_decision`), or null until the agent is appointed.
    decided_id   uuid,
    decision     text,
    decided_by   uuid,
    decided_at   timestamptz,
    -- Set once, when the workout became effective: the agent (null when there was none) and how.
    agent_id     uuid,
    appointed_how text       CHECK (appointed_how IN ('coordinator', 'creditors_decision', 'none')),
    appointed_at timestamptz
);
