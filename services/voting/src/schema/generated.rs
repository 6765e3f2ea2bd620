// @generated automatically by Diesel CLI.

pub mod voting {
    diesel::table! {
        voting.ballot_closures (ballot_id) {
            ballot_id -> Uuid,
            closed_at -> Timestamptz,
            closed_how -> Text,
            certificate -> Jsonb,
        }
    }

    diesel::table! {
        voting.ballot_voters (ballot_id, creditor_id, class) {
            ballot_id -> Uuid,
            creditor_id -> Uuid,
            class -> Text,
            weight -> Numeric,
            related_party -> Bool,
            conflicted -> Bool,
        }
    }

    diesel::table! {
        voting.ballots (id) {
            id -> Uuid,
            workout_id -> Uuid,
            subject_kind -> Text,
            subject_ref -> Text,
            content_hash -> Nullable<Text>,
            title -> Text,
            rule -> Jsonb,
            preset -> Nullable<Text>,
            snapshot_id -> Uuid,
            snapshot_hash -> Text,
            record_date -> Date,
            opened_at -> Timestamptz,
            opened_by -> Uuid,
            closes_at -> Timestamptz,
            deadline -> Jsonb,
            options -> Jsonb,
        }
    }

    diesel::table! {
        voting.minimum_terms (workout_id, creditor_id) {
            workout_id -> Uuid,
            creditor_id -> Uuid,
            terms -> Jsonb,
            revision -> Int4,
            recorded_by -> Uuid,
            recorded_at -> Timestamptz,
        }
    }

    diesel::table! {
        voting.standstill_accessions (standstill_id, creditor_id) {
            standstill_id -> Uuid,
            creditor_id -> Uuid,
            answer -> Text,
            comment -> Nullable<Text>,
            answered_by -> Uuid,
            answered_at -> Timestamptz,
        }
    }

    diesel::table! {
        voting.standstill_breaches (id) {
            id -> Uuid,
            standstill_id -> Uuid,
            party -> Text,
            creditor_id -> Nullable<Uuid>,
            kind -> Text,
            description -> Text,
            baseline_exposure -> Nullable<Numeric>,
            detected_exposure -> Nullable<Numeric>,
            reported_by -> Uuid,
            reporter_id -> Uuid,
            reported_at -> Timestamptz,
        }
    }

    diesel::table! {
        voting.standstill_extensions (ballot_id) {
            ballot_id -> Uuid,
            standstill_id -> Uuid,
            from_ends_on -> Date,
            to_ends_on -> Date,
            extended_by -> Uuid,
            extended_at -> Timestamptz,
        }
    }

    diesel::table! {
        voting.standstills (id) {
            id -> Uuid,
            workout_id -> Uuid,
            snapshot_id -> Uuid,
            snapshot_hash -> Text,
            reference_date -> Date,
            baseline -> Jsonb,
            starts_on -> Date,
            ends_on -> Date,
            undertakings -> Jsonb,
            termination_events -> Jsonb,
            accession_rule -> Jsonb,
            state -> Text,
            proposed_by -> Uuid,
            proposed_at -> Timestamptz,
            effective_at -> Nullable<Timestamptz>,
            ended -> Nullable<Jsonb>,
        }
    }

    diesel::table! {
        voting.term_sheet_comments (id) {
            id -> Uuid,
            term_sheet_id -> Uuid,
            version -> Int4,
            institution_id -> Uuid,
            author_id -> Uuid,
            body -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        voting.term_sheet_comparisons (id) {
            id -> Uuid,
            term_sheet_id -> Uuid,
            version -> Int4,
            snapshot_id -> Uuid,
            snapshot_hash -> Text,
            input -> Jsonb,
            result -> Jsonb,
            created_by -> Uuid,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        voting.term_sheet_credit_approvals (term_sheet_id, version, creditor_id) {
            term_sheet_id -> Uuid,
            version -> Int4,
            creditor_id -> Uuid,
            decision -> Text,
            reference -> Text,
            decided_on -> Date,
            note -> Nullable<Text>,
            recorded_by -> Uuid,
            recorded_at -> Timestamptz,
        }
    }

    diesel::table! {
        voting.term_sheet_versions (term_sheet_id, number) {
            term_sheet_id -> Uuid,
            number -> Int4,
            content -> Jsonb,
            content_hash -> Text,
            created_by -> Uuid,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        voting.term_sheets (id) {
            id -> Uuid,
            workout_id -> Uuid,
            title -> Text,
            state -> Text,
            current_version -> Int4,
            created_by -> Uuid,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
            agreed_version -> Nullable<Int4>,
            agreement_ballot -> Nullable<Uuid>,
            submitted_version -> Nullable<Int4>,
            submitted_at -> Nullable<Timestamptz>,
            lapses_at -> Nullable<Timestamptz>,
            response -> Nullable<Jsonb>,
            steps -> Jsonb,
        }
    }

    diesel::table! {
        voting.vote_history (id) {
            id -> Uuid,
            ballot_id -> Uuid,
            creditor_id -> Uuid,
            choice -> Text,
            comment -> Nullable<Text>,
            cast_by -> Uuid,
            cast_at -> Timestamptz,
        }
    }

    diesel::table! {
        voting.votes (ballot_id, creditor_id) {
            ballot_id -> Uuid,
            creditor_id -> Uuid,
            choice -> Text,
            comment -> Nullable<Text>,
            cast_by -> Uuid,
            cast_at -> Timestamptz,
            changes -> Int4,
        }
    }

    diesel::joinable!(ballot_closures -> ballots (ballot_id));
    diesel::joinable!(ballot_voters -> ballots (ballot_id));
    diesel::joinable!(standstill_accessions -> standstills (standstill_id));
    diesel::joinable!(standstill_breaches -> standstills (standstill_id));
    diesel::joinable!(standstill_extensions -> standstills (standstill_id));
    diesel::joinable!(term_sheet_versions -> term_sheets (term_sheet_id));
    diesel::joinable!(vote_history -> ballots (ballot_id));
    diesel::joinable!(votes -> ballots (ballot_id));

    diesel::allow_tables_to_appear_in_same_query!(
        ballot_closures,
        ballot_voters,
        ballots,
        minimum_terms,
        standstill_accessions,
        standstill_breaches,
        standstill_extensions,
        standstills,
        term_sheet_comments,
        term_sheet_comparisons,
        term_sheet_credit_approvals,
        term_sheet_versions,
        term_sheets,
        vote_history,
        votes,
    );
}
