// @generated automatically by Diesel CLI.

diesel::table! {
    audit_details (chain_id, seq) {
        chain_id -> Uuid,
        seq -> Int8,
        salt -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
    }
}

diesel::table! {
    audit_heads (chain_id) {
        chain_id -> Uuid,
        seq -> Int8,
        hash -> Text,
    }
}

diesel::table! {
    audit_log (chain_id, seq) {
        chain_id -> Uuid,
        seq -> Int8,
        id -> Uuid,
        recorded_at -> Timestamptz,
        actor_user_id -> Nullable<Uuid>,
        actor_institution_id -> Nullable<Uuid>,
        action -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        prev_hash -> Text,
        hash -> Text,
        actor_service -> Nullable<Text>,
        details_hash -> Nullable<Text>,
        disclosure -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (institution_id, user_id, key) {
        institution_id -> Uuid,
        user_id -> Uuid,
        key -> Text,
        fingerprint -> Text,
        lease_token -> Uuid,
        lease_until -> Timestamptz,
        response_status -> Nullable<Int2>,
        response_headers -> Nullable<Jsonb>,
        response_body -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    inbox (event_id) {
        event_id -> Uuid,
        topic -> Text,
        source -> Text,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (id) {
        id -> Uuid,
        topic -> Text,
        workout_id -> Nullable<Uuid>,
        payload -> Jsonb,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        routed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    outbox_deliveries (event_id, subscriber) {
        event_id -> Uuid,
        subscriber -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        lease_token -> Nullable<Uuid>,
        lease_until -> Nullable<Timestamptz>,
        delivered_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    scheduled_jobs (id) {
        id -> Uuid,
        kind -> Text,
        key -> Text,
        due_at -> Timestamptz,
        payload -> Jsonb,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        done_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(outbox_deliveries -> outbox (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_details,
    audit_heads,
    audit_log,
    idempotency_keys,
    inbox,
    outbox,
    outbox_deliveries,
    scheduled_jobs,
);
