//! A workout's roster: its participants as answered, each with its institution's name and its
//! notice contacts.
//!
//! Rules: ordered by id (the order they were added); removed participants stay on the roster,
//! marked removed, and are read only when asked for.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;
use workout_domain::WorkoutId;
use workout_domain::registry_api::{NoticeContact, Participant};
use workout_http::{ApiError, Window};

use crate::schema::{institutions, notice_contacts, participants};

/// Which participants [`load_participants`] reads: by default the active ones, all of them.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParticipantFilter {
    /// Also the removed ones.
    pub include_removed: bool,
    /// Only this one.
    pub id: Option<Uuid>,
    /// Only this page.
    pub window: Option<Window>,
}

/// A `participants` row with its institution's name.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = participants, check_for_backend(diesel::pg::Pg))]
struct ParticipantRow {
    id: Uuid,
    institution_id: Uuid,
    #[diesel(select_expression = institutions::name)]
    institution_name: String,
    role: String,
    added_at: DateTime<Utc>,
    removed_at: Option<DateTime<Utc>>,
    removed_reason: Option<String>,
}

/// A `notice_contacts` row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = notice_contacts, check_for_backend(diesel::pg::Pg))]
struct ContactRow {
    participant_id: Uuid,
    name: String,
    email: String,
    language: String,
}

/// Loads participants of a workout with their contacts, ordered by id.
pub async fn load_participants(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    filter: ParticipantFilter,
) -> Result<Vec<Participant>, ApiError> {
    let mut query = participants::table
        .inner_join(institutions::table.on(institutions::id.eq(participants::institution_id)))
        .filter(participants::workout_id.eq(workout.into_uuid()))
        .order(participants::id.asc())
        .select(ParticipantRow::as_select())
        .into_boxed();
    if !filter.include_removed {
        query = query.filter(participants::removed_at.is_null());
    }
    if let Some(id) = filter.id {
        query = query.filter(participants::id.eq(id));
    }
    if let Some(window) = filter.window {
        query = query
            .filter(participants::id.gt(window.after))
            .limit(window.fetch());
    }
    let rows: Vec<ParticipantRow> = query.load(conn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let contacts: Vec<ContactRow> = notice_contacts::table
        .filter(notice_contacts::participant_id.eq_any(&ids))
        .order(notice_contacts::id.asc())
        .select(ContactRow::as_select())
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Participant {
                id: row.id,
                institution_id: row.institution_id,
                institution_name: row.institution_name,
                role: row.role.parse()?,
                contacts: contacts
                    .iter()
                    .filter(|c| c.participant_id == row.id)
                    .map(|c| NoticeContact {
                        name: c.name.clone(),
                        email: c.email.clone(),
                        language: c.language.clone(),
                    })
                    .collect(),
                added_at: row.added_at,
                removed_at: row.removed_at,
                removed_reason: row.removed_reason,
            })
        })
        .collect()
}

/// One participant of a workout (removed ones included); 404 when it is not one of its.
pub async fn load_participant(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    participant: Uuid,
) -> Result<Participant, ApiError> {
    let only = ParticipantFilter {
        include_removed: true,
        id: Some(participant),
        window: None,
    };
    load_participants(conn, workout, only)
        .await?
        .into_iter()
        .find(|p| p.id == participant)
        .ok_or(ApiError::NotFound("participant"))
}
