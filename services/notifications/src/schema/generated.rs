// @generated automatically by Diesel CLI.

pub mod notifications {
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
}
