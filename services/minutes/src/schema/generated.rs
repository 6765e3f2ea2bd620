// @generated automatically by Diesel CLI.

pub mod minutes {
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

    diesel::joinable!(agenda_items -> meetings (meeting_id));
    diesel::joinable!(attendance -> meetings (meeting_id));
    diesel::joinable!(meeting_changes -> meetings (meeting_id));
    diesel::joinable!(meeting_invitees -> meetings (meeting_id));

    diesel::allow_tables_to_appear_in_same_query!(
        agenda_items,
        attendance,
        meeting_changes,
        meeting_invitees,
        meetings,
    );
}
