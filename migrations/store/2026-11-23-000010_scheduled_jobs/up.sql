-- Timed work of the service (the store kit's scheduler): one row per job, named by (kind, key) so
-- that scheduling the same thing twice is one job. Written in the transaction of the change that
-- calls for it; run once by a worker, in the transaction that also sets done_at.
CREATE TABLE scheduled_jobs (
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL,
    key             text        NOT NULL,
    due_at          timestamptz NOT NULL,
    payload         jsonb       NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    done_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, key)
);
CREATE INDEX scheduled_jobs_due ON scheduled_jobs (next_attempt_at, id) WHERE done_at IS NULL;
