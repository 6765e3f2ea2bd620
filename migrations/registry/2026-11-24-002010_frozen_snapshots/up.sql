-- Frozen record-date snapshots: the snapshot of a date as it stood when the coordinator froze it,
-- kept exactly as served and signed by the registry's signing key. Never updated nor deleted.
CREATE TABLE frozen_snapshots (
    -- UUIDv7: orders the snapshots by freezing time (pagination key).
    id           uuid        PRIMARY KEY,
    workout_id   uuid        NOT NULL REFERENCES workouts (id),
    as_of        date        NOT NULL,
    -- The snapshot's content hash (SHA-256, lowercase hex).
    content_hash text        NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    -- The whole snapshot as JSON text, byte for byte as frozen (text, not jsonb: jsonb reorders).
    snapshot     text        NOT NULL,
    -- Compact JWS (EdDSA) over the frozen snapshot's claims, and the key that made it.
    signature    text        NOT NULL,
    kid          text        NOT NULL REFERENCES signing_keys (kid),
    frozen_by    uuid        NOT NULL,
    frozen_at    timestamptz NOT NULL,
    -- Freezing the same date with the same content again gives back the snapshot already frozen.
    UNIQUE (workout_id, as_of, content_hash)
);
CREATE INDEX frozen_snapshots_by_workout ON frozen_snapshots (workout_id, id);

CREATE FUNCTION frozen_snapshots_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a frozen snapshot is never changed nor deleted';
END;
$$;
CREATE TRIGGER frozen_snapshots_immutable BEFORE UPDATE OR DELETE ON frozen_snapshots
    FOR EACH ROW EXECUTE FUNCTION frozen_snapshots_immutable();
