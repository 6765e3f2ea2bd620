-- The lifecycle of a term sheet (guideline 5.3.1 O): the creditors' tentative agreement (a ballot
-- on one exact version), each bank's credit approval of that version, the offer to the borrower
-- with its lapse date, the borrower's answer, then initialling, legal documentation, signature
-- and effectiveness.
ALTER TABLE term_sheets DROP CONSTRAINT term_sheets_state_check;
ALTER TABLE term_sheets ADD CONSTRAINT term_sheets_state_check CHECK (state IN ('draft',
    'creditor_agreed', 'submitted', 'accepted', 'rejected', 'countered', 'lapsed', 'initialled',
    'documented', 'signed', 'effective'));
-- The version the creditors agreed by ballot, and that ballot.
ALTER TABLE term_sheets ADD COLUMN agreed_version integer;
ALTER TABLE term_sheets ADD COLUMN agreement_ballot uuid;
-- The version offered to the borrower, when, and when the offer lapses unless accepted.
ALTER TABLE term_sheets ADD COLUMN submitted_version integer;
ALTER TABLE term_sheets ADD COLUMN submitted_at timestamptz;
ALTER TABLE term_sheets ADD COLUMN lapses_at timestamptz;
-- The borrower's answer to the last offer (decision, reasons, counter-proposal version, when, by).
ALTER TABLE term_sheets ADD COLUMN response jsonb;
-- The steps after acceptance, in order (initialled, documented, signed, effective), each with its
-- date and particulars.
ALTER TABLE term_sheets ADD COLUMN steps jsonb NOT NULL DEFAULT '[]';
ALTER TABLE term_sheets ADD CONSTRAINT term_sheets_agreement_check
    CHECK ((agreed_version IS NULL) = (agreement_ballot IS NULL));
ALTER TABLE term_sheets ADD CONSTRAINT term_sheets_offer_check
    CHECK ((submitted_version IS NULL) = (submitted_at IS NULL)
       AND (submitted_at IS NULL) = (lapses_at IS NULL));

-- Each creditor's internal credit approval of an agreed version (5.3.2 B vi): one per creditor and
-- version, replaced when the creditor records another decision.
CREATE TABLE term_sheet_credit_approvals (
    term_sheet_id uuid        NOT NULL,
    version       integer     NOT NULL,
    creditor_id   uuid        NOT NULL,
    decision      text        NOT NULL CHECK (decision IN ('approved', 'declined')),
    reference     text        NOT NULL,
    decided_on    date        NOT NULL,
    note          text,
    recorded_by   uuid        NOT NULL,
    recorded_at   timestamptz NOT NULL,
    PRIMARY KEY (term_sheet_id, version, creditor_id),
    FOREIGN KEY (term_sheet_id, version) REFERENCES term_sheet_versions (term_sheet_id, number)
);

-- Each creditor's minimum acceptable terms for a workout (5.3.1 O ii): its own negotiating
-- position, read by it and by the coordinator; replaced when recorded again (revision counts up).
CREATE TABLE minimum_terms (
    workout_id  uuid        NOT NULL,
    creditor_id uuid        NOT NULL,
    terms       jsonb       NOT NULL,
    revision    integer     NOT NULL CHECK (revision >= 1),
    recorded_by uuid        NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (workout_id, creditor_id)
);
