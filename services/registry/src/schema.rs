//! Diesel table definitions of the registry's own tables (schema `registry`; see
//! `migrations/registry`).

diesel::table! {
    /// Banks, borrowers, guarantors, advisors and the platform operator.
    institutions (id) {
        /// Id.
        id -> Uuid,
        /// Kind.
        kind -> Text,
        /// Legal name.
        name -> Text,
        /// ISO 3166-1 alpha-2 country.
        country -> Text,
        /// ISO 17442 LEI.
        lei -> Nullable<Text>,
        /// Created.
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// People who sign in, each acting for one institution.
    users (id) {
        /// Id.
        id -> Uuid,
        /// Institution.
        institution_id -> Uuid,
        /// Lowercased e-mail, unique.
        email -> Text,
        /// Name shown to others.
        display_name -> Text,
        /// Platform role.
        role -> Text,
        /// Argon2 PHC string.
        password_hash -> Text,
        /// When disabled.
        disabled_at -> Nullable<Timestamptz>,
        /// Created.
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Sign-ins.
    sessions (id) {
        /// Id (the `sid` claim).
        id -> Uuid,
        /// User.
        user_id -> Uuid,
        /// Created.
        created_at -> Timestamptz,
        /// Refreshing stops at.
        expires_at -> Timestamptz,
        /// When revoked.
        revoked_at -> Nullable<Timestamptz>,
        /// Why revoked.
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Refresh tokens by hash.
    refresh_tokens (token_hash) {
        /// SHA-256 of the token.
        token_hash -> Text,
        /// Session.
        session_id -> Uuid,
        /// Issued.
        issued_at -> Timestamptz,
        /// Exchanged.
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Token signing keys.
    signing_keys (kid) {
        /// Key id.
        kid -> Text,
        /// PKCS#8 Ed25519 private key.
        private_key -> Bytea,
        /// Raw Ed25519 public key.
        public_key -> Bytea,
        /// Created.
        created_at -> Timestamptz,
        /// Retired.
        retired_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Services that may obtain service tokens.
    service_clients (name) {
        /// Client name.
        name -> Text,
        /// SHA-256 of the secret.
        secret_hash -> Text,
        /// Created.
        created_at -> Timestamptz,
    }
}

diesel::joinable!(users -> institutions (institution_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(institutions, users, sessions, refresh_tokens);
