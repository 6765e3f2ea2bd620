//! Diesel table definitions of the store kit's tables (they live in every service's schema; see
//! `migrations/store`).

diesel::table! {
    /// Events waiting for, or done with, delivery.
    outbox (id) {
        /// Event id.
        id -> Uuid,
        /// Event topic, e.g. `registry.user_created`.
        topic -> Text,
        /// The workout the event concerns, if any.
        workout_id -> Nullable<Uuid>,
        /// Event data.
        payload -> Jsonb,
        /// When the change happened.
        created_at -> Timestamptz,
        /// When every subscriber it was routed to accepted it (at routing when none wants it).
        delivered_at -> Nullable<Timestamptz>,
        /// When the relay made its delivery rows (one per subscriber that wants its topic).
        routed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Delivery of one event to one subscriber.
    outbox_deliveries (event_id, subscriber) {
        /// The event.
        event_id -> Uuid,
        /// The subscriber's URL.
        subscriber -> Text,
        /// Failed attempts so far.
        attempts -> Int4,
        /// Not to be tried before.
        next_attempt_at -> Timestamptz,
        /// The relay replica holding the delivery while it calls the subscriber.
        lease_token -> Nullable<Uuid>,
        /// Until when that lease holds (afterwards another replica may take the delivery).
        lease_until -> Nullable<Timestamptz>,
        /// When the subscriber accepted the event.
        delivered_at -> Nullable<Timestamptz>,
        /// The last failure.
        last_error -> Nullable<Text>,
    }
}

diesel::joinable!(outbox_deliveries -> outbox (event_id));
diesel::allow_tables_to_appear_in_same_query!(outbox, outbox_deliveries);

diesel::table! {
    /// Events already received, by id.
    inbox (event_id) {
        /// Event id.
        event_id -> Uuid,
        /// Event topic.
        topic -> Text,
        /// The sending service.
        source -> Text,
        /// When it first arrived.
        received_at -> Timestamptz,
    }
}

diesel::table! {
    /// Idempotency keys and the first answer given under each.
    idempotency_keys (institution_id, user_id, key) {
        /// Caller's institution.
        institution_id -> Uuid,
        /// Caller.
        user_id -> Uuid,
        /// The client's key.
        key -> Text,
        /// Fingerprint of the first request.
        fingerprint -> Text,
        /// Who holds the key while the first request runs.
        lease_token -> Uuid,
        /// Until when the lease holds.
        lease_until -> Timestamptz,
        /// Status of the first answer.
        response_status -> Nullable<Int2>,
        /// Headers of the first answer worth replaying.
        response_headers -> Nullable<Jsonb>,
        /// Body of the first answer, byte for byte.
        response_body -> Nullable<Bytea>,
        /// When the key was first seen.
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// The hash-chained audit log.
    audit_log (chain_id, seq) {
        /// The chain: a workout id, or nil for the platform chain.
        chain_id -> Uuid,
        /// Position in the chain, from 1.
        seq -> Int8,
        /// Entry id.
        id -> Uuid,
        /// When the change was recorded.
        recorded_at -> Timestamptz,
        /// Acting user.
        actor_user_id -> Nullable<Uuid>,
        /// Institution the user acted for.
        actor_institution_id -> Nullable<Uuid>,
        /// What was done.
        action -> Text,
        /// State before.
        before -> Nullable<Jsonb>,
        /// State after.
        after -> Nullable<Jsonb>,
        /// Hash of the previous entry.
        prev_hash -> Text,
        /// Hash of this entry.
        hash -> Text,
        /// Acting service (its client name), when a service made the change.
        actor_service -> Nullable<Text>,
    }
}

diesel::table! {
    /// Last entry of each audit chain.
    audit_heads (chain_id) {
        /// The chain.
        chain_id -> Uuid,
        /// Last sequence number.
        seq -> Int8,
        /// Last hash.
        hash -> Text,
    }
}

diesel::table! {
    /// Timed work: jobs with a due time, run once each by the scheduler.
    scheduled_jobs (id) {
        /// Job id.
        id -> Uuid,
        /// What to do, e.g. `information_request_overdue` (selects the handler).
        kind -> Text,
        /// What it concerns, unique within its kind (e.g. the request id).
        key -> Text,
        /// When it falls due.
        due_at -> Timestamptz,
        /// Job data.
        payload -> Jsonb,
        /// Failed attempts so far.
        attempts -> Int4,
        /// Not to be run before (the due time, then later after each failure).
        next_attempt_at -> Timestamptz,
        /// The last failure.
        last_error -> Nullable<Text>,
        /// When it ran.
        done_at -> Nullable<Timestamptz>,
        /// When it was first scheduled.
        created_at -> Timestamptz,
    }
}
