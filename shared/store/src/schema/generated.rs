// @generated automatically by Diesel CLI.

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
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    audit_heads,
    audit_log,
    idempotency_keys,
    inbox,
    outbox,
);
