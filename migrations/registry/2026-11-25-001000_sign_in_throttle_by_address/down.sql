DROP TABLE sign_in_failures;
CREATE TABLE sign_in_failures (
    email     text        NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_by_email ON sign_in_failures (email, failed_at);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (failed_at);
