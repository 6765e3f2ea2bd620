//! Reading meetings: the list (the caller's meetings, a page) and one meeting with its agenda,
//! invitees, changes and attendance (`ETag`: its sequence). See the module rules in [`super`].

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;
use workout_domain::{Action, WorkoutId};
use workout_http::precondition::etag;
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, Page, PageQuery};
use workout_store::Pool;

use super::{
    AgendaItem, AttendanceRow, ChangeRow, MeetingPath, MeetingRow, State, details_of,
    readable_meeting,
};
use crate::schema::{attendance, meeting_changes, meeting_invitees, meetings};

/// A meeting in a list.
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = meetings)]
pub struct MeetingItem {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// IANA time zone.
    pub time_zone: String,
    /// `scheduled`, `held` or `cancelled`.
    pub state: String,
    /// The invitation's `SEQUENCE` (the version).
    pub sequence: i32,
}

/// A change of a meeting.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    /// `scheduled`, `rescheduled`, `updated`, `cancelled` or `held`.
    pub kind: String,
    /// What it was before (none when scheduled).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// What it was after.
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
    /// Why (a cancellation).
    pub reason: Option<String>,
    /// By (user).
    pub changed_by: Uuid,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// Someone who attended.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttendeeView {
    /// The institution the person attended for.
    pub institution_id: Uuid,
    /// The person.
    pub person_name: String,
    /// In what capacity.
    pub capacity: String,
    /// The institution the person held a proxy for.
    pub proxy_for: Option<Uuid>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// A meeting whole.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// Title.
    pub title: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// IANA time zone.
    pub time_zone: String,
    /// Location.
    pub location: Option<String>,
    /// Video link.
    pub video_link: Option<String>,
    /// Where it stands.
    pub state: State,
    /// The invitation's `SEQUENCE`, also the version for `If-Match`.
    pub sequence: i32,
    /// The iCalendar `UID`, the same for the meeting's life.
    pub uid: String,
    /// The ordered agenda.
    pub agenda: Vec<AgendaItem>,
    /// The institutions invited.
    pub invitees: Vec<Uuid>,
    /// Every change, oldest first.
    pub changes: Vec<ChangeView>,
    /// Who attended (empty until recorded).
    pub attendance: Vec<AttendeeView>,
    /// The coordinator's user who convened it.
    pub organizer: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// The iCalendar `UID` of meeting `id`.
pub fn uid_of(id: Uuid) -> String {
    format!("meeting-{id}@workout-platform")
}

/// The whole view of `row`.
pub async fn view_of(
    conn: &mut AsyncPgConnection,
    row: &MeetingRow,
) -> Result<MeetingView, ApiError> {
    let details = details_of(conn, row).await?;
    let changes: Vec<ChangeRow> = meeting_changes::table
        .filter(meeting_changes::meeting_id.eq(row.id))
        .order((meeting_changes::changed_at.asc(), meeting_changes::id.asc()))
        .select(ChangeRow::as_select())
        .load(conn)
        .await?;
    let attendees: Vec<AttendanceRow> = attendance::table
        .filter(attendance::meeting_id.eq(row.id))
        .order((
            attendance::institution_id.asc(),
            attendance::person_name.asc(),
        ))
        .select(AttendanceRow::as_select())
        .load(conn)
        .await?;
    Ok(MeetingView {
        id: row.id,
        workout_id: row.workout_id,
        title: details.title,
        starts_at: details.starts_at,
        ends_at: details.ends_at,
        time_zone: details.time_zone,
        location: details.location,
        video_link: details.video_link,
        state: row.state()?,
        sequence: row.sequence,
        uid: uid_of(row.id),
        agenda: details.agenda,
        invitees: details.invitees,
        changes: changes
            .into_iter()
            .map(|c| ChangeView {
                kind: c.kind,
                before: c.before,
                after: c.after,
                reason: c.reason,
                changed_by: c.changed_by,
                changed_at: c.changed_at,
            })
            .collect(),
        attendance: attendees
            .into_iter()
            .map(|a| AttendeeView {
                institution_id: a.institution_id,
                person_name: a.person_name,
                capacity: a.capacity,
                proxy_for: a.proxy_for,
                recorded_at: a.recorded_at,
            })
            .collect(),
        organizer: row.organizer,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// `GET /minutes/v1/workouts/{workout_id}/meetings` (any participant): the meetings its
/// institution is invited to (the coordinator: all), oldest first, a page.
#[utoipa::path(tag = "meetings", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<MeetingItem>), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/meetings")]
pub async fn list_meetings(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ReadMeetings)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let mut select = meetings::table
        .filter(meetings::workout_id.eq(workout.into_uuid()))
        .filter(meetings::id.gt(window.after))
        .into_boxed();
    if !access.may(Action::ConveneMeeting) {
        select = select.filter(
            meetings::id.eq_any(
                meeting_invitees::table
                    .filter(meeting_invitees::institution_id.eq(access.institution.into_uuid()))
                    .select(meeting_invitees::meeting_id),
            ),
        );
    }
    let rows: Vec<MeetingItem> = select
        .order(meetings::id.asc())
        .limit(window.fetch())
        .select(MeetingItem::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |m: &MeetingItem| m.id)))
}

/// `GET /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}` (its invitees and the
/// coordinator): the meeting with its agenda, invitees, changes and attendance; `ETag` is its
/// sequence. A participant not invited gets 404 as for a missing meeting.
#[utoipa::path(tag = "meetings", security(("bearer" = [])),
    responses((status = 200, body = MeetingView), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/meetings/{meeting_id}")]
pub async fn get_meeting(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let mut conn = pool.get().await?;
    let row = readable_meeting(&mut conn, &access, id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.sequence)))
        .json(view_of(&mut conn, &row).await?))
}
