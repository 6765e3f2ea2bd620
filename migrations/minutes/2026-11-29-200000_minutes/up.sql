-- The minutes of a meeting (one per meeting): drafted by the coordinator in immutable versions,
-- commented on, circulated for approval, approved by every invited creditor or by no objection
-- within N business days, sent back to draft by an objection, and sealed once approved (the
-- sealed version's content hash is recorded in the workout's audit chain).
CREATE TABLE minutes (
    id                 uuid        PRIMARY KEY,
    meeting_id         uuid        NOT NULL UNIQUE REFERENCES meetings (id),
    workout_id         uuid        NOT NULL,
    state              text        NOT NULL CHECK (state IN ('draft', 'circulated', 'sealed')),
    current_version    integer     NOT NULL CHECK (current_version >= 1),
    -- The version out for approval, when, how it is approved, and its deadline (a `Deadline`
    -- naming its rule) if by no objection.
    circulated_version integer,
    circulated_at      timestamptz,
    approval           jsonb,
    -- Once sealed: when, how, and the sealed version's content hash.
    sealed_at          timestamptz,
    sealed_how         text        CHECK (sealed_how IN ('approvals', 'no_objection')),
    sealed_hash        text        CHECK (sealed_hash ~ '^[0-9a-f]{64}$'),
    created_by         uuid        NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CHECK ((state = 'sealed') = (sealed_hash IS NOT NULL)),
    CHECK ((state = 'draft') = (circulated_version IS NULL))
);
CREATE INDEX minutes_by_workout ON minutes (workout_id, id);

-- The versions: never updated nor deleted.
CREATE TABLE minutes_versions (
    minutes_id   uuid        NOT NULL REFERENCES minutes (id),
    number       integer     NOT NULL CHECK (number >= 1),
    content      jsonb       NOT NULL,
    content_hash text        NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    created_by   uuid        NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (minutes_id, number)
);

-- Comments on a version.
CREATE TABLE minutes_comments (
    id             uuid        PRIMARY KEY,
    minutes_id     uuid        NOT NULL,
    version        integer     NOT NULL,
    institution_id uuid        NOT NULL,
    author_id      uuid        NOT NULL,
    body           text        NOT NULL,
    created_at     timestamptz NOT NULL,
    FOREIGN KEY (minutes_id, version) REFERENCES minutes_versions (minutes_id, number)
);
CREATE INDEX minutes_comments_by_minutes ON minutes_comments (minutes_id, id);

-- Each invited creditor's answer to a circulated version: approve, or object with reasons.
CREATE TABLE minutes_responses (
    minutes_id     uuid        NOT NULL,
    version        integer     NOT NULL,
    institution_id uuid        NOT NULL,
    response       text        NOT NULL CHECK (response IN ('approve', 'object')),
    reasons        text,
    answered_by    uuid        NOT NULL,
    answered_at    timestamptz NOT NULL,
    PRIMARY KEY (minutes_id, version, institution_id),
    FOREIGN KEY (minutes_id, version) REFERENCES minutes_versions (minutes_id, number),
    CHECK (response = 'approve' OR reasons IS NOT NULL)
);

-- The action items of sealed minutes, tracked from then on: owner, due date, status.
CREATE TABLE action_items (
    id          uuid        PRIMARY KEY,
    workout_id  uuid        NOT NULL,
    meeting_id  uuid        NOT NULL REFERENCES meetings (id),
    minutes_id  uuid        NOT NULL REFERENCES minutes (id),
    position    integer     NOT NULL,
    text        text        NOT NULL,
    owner       uuid        NOT NULL,
    due_on      date        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    -- When it was announced overdue (once).
    overdue_at  timestamptz,
    updated_by  uuid        NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX action_items_by_workout ON action_items (workout_id, id);
