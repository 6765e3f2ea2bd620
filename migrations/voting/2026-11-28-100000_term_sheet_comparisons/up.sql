-- Option comparisons of a term sheet's version (guideline 5.2.6, 5.3.1 I): the NPV of
-- restructuring, enforcement, insolvency and a loan sale and the restructuring's IRR, kept with
-- everything they were computed from (the assumptions, the creditors' weights from a frozen
-- snapshot, the collateral from the registry). Never updated nor deleted.
CREATE TABLE term_sheet_comparisons (
    id            uuid        PRIMARY KEY,
    term_sheet_id uuid        NOT NULL,
    version       integer     NOT NULL,
    snapshot_id   uuid        NOT NULL,
    snapshot_hash text        NOT NULL CHECK (snapshot_hash ~ '^[0-9a-f]{64}$'),
    input         jsonb       NOT NULL,
    result        jsonb       NOT NULL,
    created_by    uuid        NOT NULL,
    created_at    timestamptz NOT NULL,
    FOREIGN KEY (term_sheet_id, version) REFERENCES term_sheet_versions (term_sheet_id, number)
);
CREATE INDEX term_sheet_comparisons_by_version ON term_sheet_comparisons (term_sheet_id, version, id);
