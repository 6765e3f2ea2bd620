-- The case file: workouts, their participants and notice contacts, creditors' facilities with a
-- dated history, FX rates, and the borrower information requests.

CREATE TABLE workouts (
    id             uuid PRIMARY KEY,
    reference      text        NOT NULL UNIQUE CHECK (length(reference) BETWEEN 1 AND 60),
    borrower_id    uuid        NOT NULL REFERENCES institutions (id),
    base_currency  text        NOT NULL CHECK (base_currency ~ '^[A-Z]{3}$'),
    calendar       text        NOT NULL,
    governing_law  text        NOT NULL CHECK (length(governing_law) BETWEEN 1 AND 200),
    opened_on      date        NOT NULL,
    status         text        NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'coordinated', 'standstill', 'negotiation', 'agreed', 'effective', 'closed', 'failed')),
    status_reason  text,
    classes        text[]      NOT NULL,
    opened_by      uuid        NOT NULL REFERENCES institutions (id),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE participants (
    id             uuid PRIMARY KEY,
    workout_id     uuid        NOT NULL REFERENCES workouts (id),
    institution_id uuid        NOT NULL REFERENCES institutions (id),
    role           text        NOT NULL CHECK (role IN ('creditor', 'coordinator', 'borrower', 'guarantor', 'advisor', 'observer')),
    added_at       timestamptz NOT NULL DEFAULT now(),
    removed_at     timestamptz,
    removed_reason text
);
CREATE UNIQUE INDEX participants_active ON participants (workout_id, institution_id, role) WHERE removed_at IS NULL;
CREATE INDEX participants_by_institution ON participants (institution_id, workout_id) WHERE removed_at IS NULL;

CREATE TABLE notice_contacts (
    id             uuid PRIMARY KEY,
    participant_id uuid NOT NULL REFERENCES participants (id),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email          text NOT NULL,
    language       text NOT NULL CHECK (language IN ('en', 'ar'))
);
CREATE INDEX notice_contacts_by_participant ON notice_contacts (participant_id);

-- A facility's identity; its terms live in versions. A version is valid from its recording time
-- until the next version's, so "as of a date" is answered by the version valid at that date's end.
CREATE TABLE facilities (
    id          uuid PRIMARY KEY,
    workout_id  uuid        NOT NULL REFERENCES workouts (id),
    creditor_id uuid        NOT NULL REFERENCES institutions (id),
    reference   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workout_id, creditor_id, reference)
);

CREATE TABLE facility_versions (
    facility_id uuid        NOT NULL REFERENCES facilities (id),
    version     integer     NOT NULL CHECK (version >= 1),
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz,
    terms       jsonb,
    recorded_by uuid        NOT NULL,
    PRIMARY KEY (facility_id, version),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX facility_versions_current ON facility_versions (facility_id) WHERE valid_to IS NULL;

-- Units of the workout's base currency per one unit of `currency` on `rate_date`.
CREATE TABLE fx_rates (
    workout_id uuid           NOT NULL REFERENCES workouts (id),
    currency   text           NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    rate_date  date           NOT NULL,
    rate       numeric(24, 10) NOT NULL CHECK (rate > 0),
    entered_by uuid           NOT NULL,
    entered_at timestamptz    NOT NULL DEFAULT now(),
    PRIMARY KEY (workout_id, currency, rate_date)
);

CREATE TABLE information_requests (
    id          uuid PRIMARY KEY,
    workout_id  uuid        NOT NULL REFERENCES workouts (id),
    subject     text        NOT NULL CHECK (length(subject) BETWEEN 1 AND 500),
    sent_on     date        NOT NULL,
    due_on      date        NOT NULL CHECK (due_on >= sent_on),
    answered_on date,
    response    text,
    recorded_by uuid        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX information_requests_by_workout ON information_requests (workout_id, sent_on, id);
