// @generated automatically by Diesel CLI.

pub mod minutes {
    diesel::table! {
        minutes.action_items (id) {
            id -> Uuid,
            workout_id -> Uuid,
            meeting_id -> Uuid,
            minutes_id -> Uuid,
            position -> Int4,
            text -> Text,
            owner -> Uuid,
            due_on -> Date,
            status -> Text,
            overdue_at -> Nullable<Timestamptz>,
            updated_by -> Uuid,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        minutes.agenda_items (meeting_id, position) {
            meeting_id -> Uuid,
            position -> Int4,
            title -> Text,
            owner -> Uuid,
            attachments -> Jsonb,
        }
    }

    diesel::table! {
        minutes.attendance (meeting_id, institution_id, person_name) {
            meeting_id -> Uuid,
            institution_id -> Uuid,
            person_name -> Text,
            capacity -> Text,
            proxy_for -> Nullable<Uuid>,
            recorded_by -> Uuid,
            recorded_at -> Timestamptz,
        }
    }

    diesel::table! {
        minutes.meeting_changes (id) {
            id -> Uuid,
            meeting_id -> Uuid,
            kind -> Text,
            before -> Nullable<Jsonb>,
            after -> Jsonb,
            reason -> Nullable<Text>,
            changed_by -> Uuid,
            changed_at -> Timestamptz,
        }
    }

    diesel::table! {
        minutes.meeting_invitees (meeting_id, institution_id) {
            meeting_id -> Uuid,
            institution_id -> Uuid,
        }
    }

    diesel::table! {
        minutes.meetings (id) {
            id -> Uuid,
            workout_id -> Uuid,
            title -> Text,
            starts_at -> Timestamptz,
            ends_at -> Timestamptz,
            time_zone -> Text,
            location -> Nullable<Text>,
            video_link -> Nullable<Text>,
            state -> Text,
            sequence -> Int4,
            organizer -> Uuid,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        minutes.minutes (id) {
            id -> Uuid,
            meeting_id -> Uuid,
            workout_id -> Uuid,
            state -> Text,
            current_version -> Int4,
            circulated_version -> Nullable<Int4>,
            circulated_at -> Nullable<Timestamptz>,
            approval -> Nullable<Jsonb>,
            sealed_at -> Nullable<Timestamptz>,
            sealed_how -> Nullable<Text>,
            sealed_hash -> Nullable<Text>,
            created_by -> Uuid,
            created_at -> Timestamptz,
            updated_at -> Timestamptz,
        }
    }

    diesel::table! {
        minutes.minutes_comments (id) {
            id -> Uuid,
            minutes_id -> Uuid,
            version -> Int4,
            institution_id -> Uuid,
            author_id -> Uuid,
            body -> Text,
            created_at -> Timestamptz,
        }
    }

    diesel::table! {
        minutes.minutes_responses (minutes_id, version, institution_id) {
            minutes_id -> Uuid,
            version -> Int4,
            institution_id -> Uuid,
            response -> Text,
            reasons -> Nullable<Text>,
            answered_by -> Uuid,
            answered_at -> Timestamptz,
        }
    }

    diesel::table! {
        minutes.minutes_versions (minutes_id, number) {
            minutes_id -> Uuid,
            number -> Int4,
            content -> Jsonb,
            content_hash -> Text,
            created_by -> Uuid,
            created_at -> Timestamptz,
        }
    }

    diesel::joinable!(action_items -> meetings (meeting_id));
    diesel::joinable!(action_items -> minutes (minutes_id));
    diesel::joinable!(agenda_items -> meetings (meeting_id));
    diesel::joinable!(attendance -> meetings (meeting_id));
    diesel::joinable!(meeting_changes -> meetings (meeting_id));
    diesel::joinable!(meeting_invitees -> meetings (meeting_id));
    diesel::joinable!(minutes -> meetings (meeting_id));
    diesel::joinable!(minutes_versions -> minutes (minutes_id));

    diesel::allow_tables_to_appear_in_same_query!(
        action_items,
        agenda_items,
        attendance,
        meeting_changes,
        meeting_invitees,
        meetings,
        minutes,
        minutes_comments,
        minutes_responses,
        minutes_versions,
    );
}
