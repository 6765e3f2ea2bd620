-- Term sheets (guideline 5.3.1 N): a structured document of a workout, drafted by the coordinator.
-- Every edit is a new immutable version (its content as canonical JSON and the SHA-256 of it);
-- creditors and the coordinator comment on a version.
CREATE TABLE term_sheets (
    id              uuid        PRIMARY KEY,
    workout_id      uuid        NOT NULL,
    title           text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('draft')),
    current_version integer     NOT NULL CHECK (current_version >= 1),
    created_by      uuid        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX term_sheets_by_workout ON term_sheets (workout_id, id);

-- The versions: never updated nor deleted.
CREATE TABLE term_sheet_versions (
    term_sheet_id uuid        NOT NULL REFERENCES term_sheets (id),
    number        integer     NOT NULL CHECK (number >= 1),
    content       jsonb       NOT NULL,
    content_hash  text        NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    created_by    uuid        NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (term_sheet_id, number)
);

-- Comments on a version, by a user acting for an institution.
CREATE TABLE term_sheet_comments (
    id             uuid        PRIMARY KEY,
    term_sheet_id  uuid        NOT NULL,
    version        integer     NOT NULL,
    institution_id uuid        NOT NULL,
    author_id      uuid        NOT NULL,
    body           text        NOT NULL,
    created_at     timestamptz NOT NULL,
    FOREIGN KEY (term_sheet_id, version) REFERENCES term_sheet_versions (term_sheet_id, number)
);
CREATE INDEX term_sheet_comments_by_sheet ON term_sheet_comments (term_sheet_id, id);
