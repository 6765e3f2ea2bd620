// @generated automatically by Diesel CLI.

pub mod registry {
    diesel::table! {
        registry.answer_date_corrections (id) {
            id -> Uuid,
            request_id -> Uuid,
            answered_on_before -> Date,
            answered_on -> Date,
            reason -> Text,
            corrected_by -> Uuid,
            corrected_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.borrower_classifications (id) {
            id -> Uuid,
            workout_id -> Uuid,
            grounds -> Array<Nullable<Text>>,
            rationale -> Text,
            classified_by -> Uuid,
            classified_at -> Timestamptz,
            lifted_at -> Nullable<Timestamptz>,
            lifted_by -> Nullable<Uuid>,
            lift_reason -> Nullable<Text>,
        }
    }

    diesel::table! {
        registry.exposure_setting_versions (id) {
            id -> Uuid,
            workout_id -> Uuid,
            contingent_weight -> Numeric,
            penalties_in_weight -> Bool,
            reason -> Text,
            recorded_by -> Uuid,
            recorded_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.facilities (id) {
            id -> Uuid,
            workout_id -> Uuid,
            creditor_id -> Uuid,
            reference -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.facility_versions (facility_id, version) {
            facility_id -> Uuid,
            version -> Int4,
            valid_from -> Timestamptz,
            valid_to -> Nullable<Timestamptz>,
            terms -> Nullable<Jsonb>,
            recorded_by -> Uuid,
            withdrawal_reason -> Nullable<Text>,
        }
    }

    diesel::table! {
        registry.frozen_snapshots (id) {
            id -> Uuid,
            workout_id -> Uuid,
            as_of -> Date,
            content_hash -> Text,
            snapshot -> Text,
            signature -> Text,
            kid -> Text,
            frozen_by -> Uuid,
            frozen_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.fx_rate_versions (id) {
            id -> Uuid,
            workout_id -> Uuid,
            rate_date -> Date,
            version -> Int4,
            source -> Text,
            reason -> Nullable<Text>,
            entered_by -> Uuid,
            entered_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.fx_rates (workout_id, rate_date, version, currency) {
            workout_id -> Uuid,
            currency -> Text,
            rate_date -> Date,
            rate -> Numeric,
            version -> Int4,
        }
    }

    diesel::table! {
        registry.information_requests (id) {
            id -> Uuid,
            workout_id -> Uuid,
            subject -> Text,
            sent_on -> Date,
            due_on -> Date,
            answered_on -> Nullable<Date>,
            response -> Nullable<Text>,
            recorded_by -> Uuid,
            created_at -> Timestamptz,
            overdue_announced_at -> Nullable<Timestamptz>,
            answer_recorded_at -> Nullable<Timestamptz>,
            answer_recorded_on -> Nullable<Date>,
            answer_recorded_by -> Nullable<Uuid>,
            cancelled_at -> Nullable<Timestamptz>,
            cancelled_by -> Nullable<Uuid>,
            cancel_reason -> Nullable<Text>,
        }
    }

    diesel::table! {
        registry.institutions (id) {
            id -> Uuid,
            kind -> Text,
            name -> Text,
            country -> Text,
            lei -> Nullable<Text>,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.notice_contacts (id) {
            id -> Uuid,
            participant_id -> Uuid,
            name -> Text,
            email -> Text,
            language -> Text,
        }
    }

    diesel::table! {
        registry.other_claims (id) {
            id -> Uuid,
            workout_id -> Uuid,
            claimant -> Text,
            kind -> Text,
            currency -> Text,
            amount -> Numeric,
            preferential -> Bool,
            note -> Nullable<Text>,
            recorded_at -> Timestamptz,
            recorded_by -> Uuid,
            withdrawn_at -> Nullable<Timestamptz>,
            withdrawn_by -> Nullable<Uuid>,
            withdrawn_reason -> Nullable<Text>,
        }
    }

    diesel::table! {
        registry.participants (id) {
            id -> Uuid,
            workout_id -> Uuid,
            institution_id -> Uuid,
            role -> Text,
            added_at -> Timestamptz,
            removed_at -> Nullable<Timestamptz>,
            removed_reason -> Nullable<Text>,
        }
    }

    diesel::table! {
        registry.refresh_tokens (token_hash) {
            token_hash -> Text,
            session_id -> Uuid,
            issued_at -> Timestamptz,
            used_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        registry.related_party_decisions (id) {
            id -> Uuid,
            workout_id -> Uuid,
            institution_id -> Uuid,
            related_party -> Bool,
            reason -> Text,
            decided_by -> Uuid,
            decided_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.service_clients (name) {
            name -> Text,
            secret_hash -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.sessions (id) {
            id -> Uuid,
            user_id -> Uuid,
            created_at -> Timestamptz,
            expires_at -> Timestamptz,
            revoked_at -> Nullable<Timestamptz>,
            revoked_reason -> Nullable<Text>,
        }
    }

    diesel::table! {
        registry.sign_in_failures (id) {
            id -> Int8,
            kind -> Text,
            subject -> Text,
            failed_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.signing_keys (kid) {
            kid -> Text,
            private_key -> Bytea,
            public_key -> Bytea,
            created_at -> Timestamptz,
            retired_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        registry.users (id) {
            id -> Uuid,
            institution_id -> Uuid,
            email -> Text,
            display_name -> Text,
            role -> Text,
            password_hash -> Text,
            disabled_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        registry.workouts (id) {
            id -> Uuid,
            reference -> Text,
            borrower_id -> Uuid,
            base_currency -> Text,
            calendar -> Text,
            governing_law -> Text,
            opened_on -> Date,
            status -> Text,
            status_reason -> Nullable<Text>,
            classes -> Array<Nullable<Text>>,
            opened_by -> Uuid,
            created_at -> Timestamptz,
            borrower_flagged_at -> Nullable<Timestamptz>,
        }
    }

    diesel::joinable!(answer_date_corrections -> information_requests (request_id));
    diesel::joinable!(borrower_classifications -> workouts (workout_id));
    diesel::joinable!(exposure_setting_versions -> workouts (workout_id));
    diesel::joinable!(facilities -> institutions (creditor_id));
    diesel::joinable!(facilities -> workouts (workout_id));
    diesel::joinable!(facility_versions -> facilities (facility_id));
    diesel::joinable!(frozen_snapshots -> signing_keys (kid));
    diesel::joinable!(frozen_snapshots -> workouts (workout_id));
    diesel::joinable!(fx_rate_versions -> workouts (workout_id));
    diesel::joinable!(fx_rates -> workouts (workout_id));
    diesel::joinable!(information_requests -> workouts (workout_id));
    diesel::joinable!(notice_contacts -> participants (participant_id));
    diesel::joinable!(other_claims -> workouts (workout_id));
    diesel::joinable!(participants -> institutions (institution_id));
    diesel::joinable!(participants -> workouts (workout_id));
    diesel::joinable!(refresh_tokens -> sessions (session_id));
    diesel::joinable!(related_party_decisions -> institutions (institution_id));
    diesel::joinable!(related_party_decisions -> workouts (workout_id));
    diesel::joinable!(sessions -> users (user_id));
    diesel::joinable!(users -> institutions (institution_id));

    diesel::allow_tables_to_appear_in_same_query!(
        answer_date_corrections,
        borrower_classifications,
        exposure_setting_versions,
        facilities,
        facility_versions,
        frozen_snapshots,
        fx_rate_versions,
        fx_rates,
        information_requests,
        institutions,
        notice_contacts,
        other_claims,
        participants,
        refresh_tokens,
        related_party_decisions,
        service_clients,
        sessions,
        sign_in_failures,
        signing_keys,
        users,
        workouts,
    );
}
