-- Tables of the store kit, created in every service's own schema (the migration runs with the
-- service's schema first on the search_path).

-- Transactional outbox: written in the same transaction as the change it describes; delivered at
-- least once by the relay.
CREATE TABLE outbox (
    id              uuid PRIMARY KEY,
    topic           text        NOT NULL,
    workout_id      uuid,
    payload         jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    last_error      text
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL;

-- Receivers' deduplication of events by id.
CREATE TABLE inbox (
    event_id    uuid PRIMARY KEY,
    topic       text        NOT NULL,
    source      text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Idempotency keys, scoped to the caller's institution and user.
CREATE TABLE idempotency_keys (
    institution_id   uuid        NOT NULL,
    user_id          uuid        NOT NULL,
    key              text        NOT NULL,
    fingerprint      text        NOT NULL,
    lease_token      uuid        NOT NULL,
    lease_until      timestamptz NOT NULL,
    response_status  smallint,
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (institution_id, user_id, key)
);

-- Hash-chained audit log, one chain per workout (the nil id is the platform's own chain).
CREATE TABLE audit_log (
    chain_id             uuid        NOT NULL,
    seq                  bigint      NOT NULL CHECK (seq >= 1),
    id                   uuid        NOT NULL UNIQUE,
    recorded_at          timestamptz NOT NULL,
    actor_user_id        uuid,
    actor_institution_id uuid,
    action               text        NOT NULL,
    before               jsonb,
    after                jsonb,
    prev_hash            text        NOT NULL,
    hash                 text        NOT NULL,
    PRIMARY KEY (chain_id, seq)
);

-- The head of each chain: locked by every append, so a chain's appends are serialized, and a
-- second witness of the chain's length and last hash (a truncated tail no longer matches it).
CREATE TABLE audit_heads (
    chain_id uuid   PRIMARY KEY,
    seq      bigint NOT NULL,
    hash     text   NOT NULL
);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
