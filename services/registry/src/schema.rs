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

diesel::table! {
    /// Workouts (cases).
    workouts (id) {
        /// Id.
        id -> Uuid,
        /// The case reference, unique.
        reference -> Text,
        /// The borrower institution.
        borrower_id -> Uuid,
        /// Base currency (ISO 4217).
        base_currency -> Text,
        /// Business calendar name.
        calendar -> Text,
        /// Governing law.
        governing_law -> Text,
        /// Opening date.
        opened_on -> Date,
        /// Status.
        status -> Text,
        /// Why the status is what it is (closed, failed).
        status_reason -> Nullable<Text>,
        /// Creditor classes.
        classes -> Array<Text>,
        /// The opening institution.
        opened_by -> Uuid,
        /// Created.
        created_at -> Timestamptz,
        /// When the borrower was flagged as possibly non-cooperative.
        borrower_flagged_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Who takes part in a workout, in which role.
    participants (id) {
        /// Id.
        id -> Uuid,
        /// Workout.
        workout_id -> Uuid,
        /// Institution.
        institution_id -> Uuid,
        /// Role.
        role -> Text,
        /// Added.
        added_at -> Timestamptz,
        /// Removed.
        removed_at -> Nullable<Timestamptz>,
        /// Why removed.
        removed_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Where a participant's formal notices go.
    notice_contacts (id) {
        /// Id.
        id -> Uuid,
        /// Participant.
        participant_id -> Uuid,
        /// Name.
        name -> Text,
        /// E-mail.
        email -> Text,
        /// `en` or `ar`.
        language -> Text,
    }
}

diesel::table! {
    /// A creditor's facility in a workout.
    facilities (id) {
        /// Id.
        id -> Uuid,
        /// Workout.
        workout_id -> Uuid,
        /// Creditor institution.
        creditor_id -> Uuid,
        /// The creditor's reference.
        reference -> Text,
        /// Created.
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Dated versions of a facility's terms.
    facility_versions (facility_id, version) {
        /// Facility.
        facility_id -> Uuid,
        /// Version, from 1.
        version -> Int4,
        /// Valid from.
        valid_from -> Timestamptz,
        /// Valid until (null: current).
        valid_to -> Nullable<Timestamptz>,
        /// The terms (null: the facility was withdrawn).
        terms -> Nullable<Jsonb>,
        /// Who recorded it.
        recorded_by -> Uuid,
    }
}

diesel::table! {
    /// FX rates per workout and date.
    fx_rates (workout_id, currency, rate_date) {
        /// Workout.
        workout_id -> Uuid,
        /// Currency converted.
        currency -> Text,
        /// Date.
        rate_date -> Date,
        /// Base-currency units per unit.
        rate -> Numeric,
        /// Who entered it.
        entered_by -> Uuid,
        /// When.
        entered_at -> Timestamptz,
    }
}

diesel::table! {
    /// Requests for information to the borrower.
    information_requests (id) {
        /// Id.
        id -> Uuid,
        /// Workout.
        workout_id -> Uuid,
        /// What was asked.
        subject -> Text,
        /// Sent.
        sent_on -> Date,
        /// Due.
        due_on -> Date,
        /// Answered.
        answered_on -> Nullable<Date>,
        /// The answer, summarised.
        response -> Nullable<Text>,
        /// Who recorded it.
        recorded_by -> Uuid,
        /// Created.
        created_at -> Timestamptz,
        /// When its being overdue was announced.
        overdue_announced_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(participants -> workouts (workout_id));
diesel::joinable!(notice_contacts -> participants (participant_id));
diesel::joinable!(facility_versions -> facilities (facility_id));
diesel::allow_tables_to_appear_in_same_query!(
    workouts,
    participants,
    notice_contacts,
    facilities,
    facility_versions
);
diesel::allow_tables_to_appear_in_same_query!(institutions, participants);

diesel::table! {
    /// Failed password sign-ins (no key: rows are counted, never addressed one by one).
    sign_in_failures (email, failed_at) {
        /// The e-mail tried.
        email -> Text,
        /// When.
        failed_at -> Timestamptz,
    }
}
