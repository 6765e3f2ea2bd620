-- Identity: institutions, their users, sessions and refresh tokens, the registry's signing keys and
-- the service clients that may obtain service tokens.

CREATE TABLE institutions (
    id         uuid PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('platform_operator', 'bank', 'other_creditor', 'borrower', 'guarantor', 'advisor')),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    country    text        NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    lei        text UNIQUE CHECK (lei ~ '^[A-Z0-9]{18}[0-9]{2}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    institution_id uuid        NOT NULL REFERENCES institutions (id),
    email          text        NOT NULL UNIQUE CHECK (email = lower(email)),
    display_name   text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role           text        NOT NULL CHECK (role IN ('platform_admin', 'institution_admin', 'member')),
    password_hash  text        NOT NULL,
    disabled_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_by_institution ON users (institution_id, id);

-- A session is one sign-in: the family of its rotating refresh tokens.
CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    user_id        uuid        NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX sessions_by_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens are stored as SHA-256 hashes; a used one presented again revokes its session.
CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    session_id uuid        NOT NULL REFERENCES sessions (id),
    issued_at  timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);

-- Ed25519 signing keys; the newest active key signs, every active key is published in the JWKS.
CREATE TABLE signing_keys (
    kid         text PRIMARY KEY,
    private_key bytea       NOT NULL,
    public_key  bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);

CREATE TABLE service_clients (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
    secret_hash text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
