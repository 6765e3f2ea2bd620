// @generated automatically by Diesel CLI.

pub mod mandates {
    diesel::table! {
        mandates.agents (mandate_id) {
            mandate_id -> Uuid,
            decided_id -> Nullable<Uuid>,
            decision -> Nullable<Text>,
            decided_by -> Nullable<Uuid>,
            decided_at -> Nullable<Timestamptz>,
            agent_id -> Nullable<Uuid>,
            appointed_how -> Nullable<Text>,
            appointed_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        mandates.consents (mandate_id, round, creditor_id) {
            mandate_id -> Uuid,
            round -> Int4,
            creditor_id -> Uuid,
            accepted -> Bool,
            reason -> Nullable<Text>,
            given_by -> Uuid,
            given_at -> Timestamptz,
        }
    }

    diesel::table! {
        mandates.duties (mandate_id, item) {
            mandate_id -> Uuid,
            item -> Text,
            status -> Text,
            on_date -> Nullable<Date>,
            note -> Nullable<Text>,
            updated_by -> Uuid,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        mandates.mandates (id) {
            id -> Uuid,
            workout_id -> Uuid,
            state -> Text,
            round -> Int4,
            nominee_id -> Nullable<Uuid>,
            nomination -> Jsonb,
            coordinator_id -> Nullable<Uuid>,
            opened_on -> Date,
            appointment_due -> Jsonb,
            appointed_on -> Nullable<Date>,
            term_end -> Nullable<Jsonb>,
            renewals -> Int4,
            rules -> Jsonb,
            passed_over -> Jsonb,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        mandates.renewal_responses (renewal_id, creditor_id) {
            renewal_id -> Uuid,
            creditor_id -> Uuid,
            accepted -> Bool,
            reason -> Nullable<Text>,
            given_by -> Uuid,
            given_at -> Timestamptz,
        }
    }

    diesel::table! {
        mandates.renewals (id) {
            id -> Uuid,
            mandate_id -> Uuid,
            months -> Int4,
            rationale -> Text,
            proposed_by -> Uuid,
            proposer_id -> Uuid,
            proposed_at -> Timestamptz,
            voters -> Jsonb,
            window_closes -> Jsonb,
            state -> Text,
            decided_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        mandates.withdrawal_notices (id) {
            id -> Uuid,
            mandate_id -> Uuid,
            coordinator_id -> Uuid,
            text -> Text,
            given_by -> Uuid,
            given_at -> Timestamptz,
        }
    }

    diesel::table! {
        mandates.withdrawals (id) {
            id -> Uuid,
            mandate_id -> Uuid,
            coordinator_id -> Uuid,
            category -> Text,
            text -> Text,
            notice_id -> Nullable<Uuid>,
            withdrawn_by -> Uuid,
            withdrawn_at -> Timestamptz,
        }
    }

    diesel::joinable!(agents -> mandates (mandate_id));
    diesel::joinable!(consents -> mandates (mandate_id));
    diesel::joinable!(duties -> mandates (mandate_id));
    diesel::joinable!(renewal_responses -> renewals (renewal_id));
    diesel::joinable!(renewals -> mandates (mandate_id));
    diesel::joinable!(withdrawal_notices -> mandates (mandate_id));
    diesel::joinable!(withdrawals -> mandates (mandate_id));
    diesel::joinable!(withdrawals -> withdrawal_notices (notice_id));

    diesel::allow_tables_to_appear_in_same_query!(
        agents,
        consents,
        duties,
        mandates,
        renewal_responses,
        renewals,
        withdrawal_notices,
        withdrawals,
    );
}
