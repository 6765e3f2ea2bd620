//! Diesel table definitions of the notifications service's own tables (schema `notifications`).

diesel::table! {
    /// Events received from other services.
    received_events (id) {
        /// Event id.
        id -> Uuid,
        /// Topic.
        topic -> Text,
        /// Sending service.
        source -> Text,
        /// Workout concerned.
        workout_id -> Nullable<Uuid>,
        /// When it happened.
        occurred_at -> Timestamptz,
        /// Data.
        payload -> Jsonb,
        /// When it first arrived.
        received_at -> Timestamptz,
    }
}
