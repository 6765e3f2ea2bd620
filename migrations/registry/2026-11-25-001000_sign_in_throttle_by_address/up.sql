-- Issue 8, item 6: failed password sign-ins counted per e-mail (known or not) and per client
-- address, each row addressed by its id so that an attempt can stamp or take back its own count.
-- The rows are a throttle's short memory (a window of minutes), so the old ones are not carried
-- over.
DROP TABLE sign_in_failures;
CREATE TABLE sign_in_failures (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- What is counted: an e-mail as typed at sign-in (lowercased), or a client address (an IPv4
    -- address, or the /64 network of an IPv6 one).
    kind      text        NOT NULL CHECK (kind IN ('email', 'address')),
    subject   text        NOT NULL,
    -- When the attempt failed; while its password is being checked, when it began.
    failed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX sign_in_failures_by_subject ON sign_in_failures (kind, subject, failed_at);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (failed_at);
