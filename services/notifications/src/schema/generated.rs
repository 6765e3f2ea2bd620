// @generated automatically by Diesel CLI.

pub mod notifications {
    diesel::table! {
        notifications.acknowledgement_key (id) {
            id -> Bool,
            key -> Text,
        }
    }

    diesel::table! {
        notifications.communications (id) {
            id -> Uuid,
            workout_id -> Uuid,
            institution_id -> Uuid,
            subject -> Text,
            body -> Text,
            received_on -> Date,
            recorded_by -> Uuid,
            recorded_at -> Timestamptz,
            acknowledged_at -> Nullable<Timestamptz>,
            acknowledged_by -> Nullable<Uuid>,
            letter_id -> Nullable<Uuid>,
        }
    }

    diesel::table! {
        notifications.deliveries (id) {
            id -> Uuid,
            letter_id -> Uuid,
            topic -> Text,
            workout_id -> Uuid,
            recipient_email -> Text,
            recipient_name -> Text,
            institution_id -> Uuid,
            language -> Text,
            status -> Text,
            attempts -> Int4,
            next_attempt_at -> Timestamptz,
            last_error -> Nullable<Text>,
            message_id -> Text,
            sent_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
            role -> Nullable<Text>,
            formal -> Bool,
            from_name -> Nullable<Text>,
            acknowledges -> Nullable<Uuid>,
            ack_token_hash -> Nullable<Text>,
            acknowledged_at -> Nullable<Timestamptz>,
        }
    }

    diesel::table! {
        notifications.duties (id) {
            id -> Uuid,
            workout_id -> Uuid,
            kind -> Text,
            subject_id -> Uuid,
            from_on -> Date,
            due_on -> Date,
            calendar -> Text,
            due_at -> Timestamptz,
            met_at -> Nullable<Timestamptz>,
            late_at -> Nullable<Timestamptz>,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        notifications.letters (id) {
            id -> Uuid,
            workout_id -> Uuid,
            kind -> Text,
            event_id -> Nullable<Uuid>,
            roles -> Jsonb,
            institutions -> Nullable<Jsonb>,
            formal -> Bool,
            content -> Jsonb,
            issued_by -> Nullable<Uuid>,
            issued_by_institution -> Nullable<Uuid>,
            created_at -> Timestamptz,
            expanded_at -> Nullable<Timestamptz>,
            attempts -> Int4,
            next_attempt_at -> Timestamptz,
            last_error -> Nullable<Text>,
        }
    }

    diesel::table! {
        notifications.preferences (institution_id, email) {
            institution_id -> Uuid,
            email -> Text,
            language -> Nullable<Text>,
            informational -> Bool,
            updated_by -> Uuid,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        notifications.received_events (id) {
            id -> Uuid,
            topic -> Text,
            source -> Text,
            workout_id -> Nullable<Uuid>,
            occurred_at -> Timestamptz,
            payload -> Jsonb,
            received_at -> Timestamptz,
        }
    }

    diesel::joinable!(communications -> letters (letter_id));
    diesel::joinable!(deliveries -> letters (letter_id));
    diesel::joinable!(letters -> received_events (event_id));

    diesel::allow_tables_to_appear_in_same_query!(
        acknowledgement_key,
        communications,
        deliveries,
        duties,
        letters,
        preferences,
        received_events,
    );
}
