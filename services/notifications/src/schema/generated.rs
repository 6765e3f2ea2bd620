// @generated automatically by Diesel CLI.

pub mod notifications {
    diesel::table! {
        notifications.deliveries (id) {
            id -> Uuid,
            event_id -> Uuid,
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

    diesel::joinable!(deliveries -> received_events (event_id));

    diesel::allow_tables_to_appear_in_same_query!(deliveries, received_events,);
}
