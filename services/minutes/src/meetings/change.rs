//! Changing a meeting (the coordinator): replacing it whole with `If-Match` (a reschedule or an
//! update), or cancelling it with a reason. Each raises the invitation's `SEQUENCE`. See the
//! module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, post, put, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::{Action, MinutesTopic, text};
use workout_http::precondition::{check_version, etag, if_match};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::invite::invitation_of;
use super::read::{MeetingView, view_of};
use super::{
    ChangeRow, MeetingAnnouncement, MeetingInput, MeetingPath, MeetingSummary, State, details_of,
    load_meeting, parse_input, store_agenda_and_invitees, store_change, to_json,
};
use crate::schema::meetings;

/// `POST .../cancel`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelMeeting {
    /// Why, 1–500 characters.
    pub reason: String,
}

/// `PUT /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}` (the coordinator, `If-Match`:
/// the sequence): replaces the meeting whole (time, place, agenda, invitees); raises its
/// sequence and keeps the change (`rescheduled` when the time changed, else `updated`). 428
/// without `If-Match`, 412 when stale; 409 `meeting_cancelled` or `meeting_held`.
#[utoipa::path(tag = "meetings", security(("bearer" = [])),
    request_body = MeetingInput,
    params(("If-Match" = String, Header, description = "The sequence being replaced (its ETag)")),
    responses((status = 200, body = MeetingView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 412, body = workout_http::Problem), (status = 422, body = workout_http::Problem),
        (status = 428, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/meetings/{meeting_id}")]
pub async fn update_meeting(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
    body: JsonBody<MeetingInput>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ConveneMeeting)?;
    let body = body.parse()?;
    let expected = if_match(&req)?;
    let participants = registry.participants(workout).await?;
    let now = Utc::now();
    let details = parse_input(&body.value, &participants, now)?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mut row = load_meeting(conn, workout, id, true).await?;
        check_version("meeting", expected, row.sequence)?;
        row.require_changeable()?;
        let before = details_of(conn, &row).await?;
        let kind = if details.rescheduled_from(&before) {
            "rescheduled"
        } else {
            "updated"
        };
        row.title = details.title.clone();
        row.starts_at = details.starts_at;
        row.ends_at = details.ends_at;
        row.time_zone = details.time_zone.clone();
        row.location = details.location.clone();
        row.video_link = details.video_link.clone();
        row.sequence += 1;
        row.updated_at = now;
        diesel::update(meetings::table.find(id))
            .set((
                meetings::title.eq(&row.title),
                meetings::starts_at.eq(row.starts_at),
                meetings::ends_at.eq(row.ends_at),
                meetings::time_zone.eq(&row.time_zone),
                meetings::location.eq(&row.location),
                meetings::video_link.eq(&row.video_link),
                meetings::sequence.eq(row.sequence),
                meetings::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        store_agenda_and_invitees(conn, id, &details).await?;
        store_change(
            conn,
            &ChangeRow {
                id: Uuid::now_v7(),
                meeting_id: id,
                kind: kind.to_owned(),
                before: Some(to_json(&before)?),
                after: to_json(&details)?,
                reason: None,
                changed_by: caller.user_id.into_uuid(),
                changed_at: now,
            },
        )
        .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            MinutesTopic::MeetingChanged,
            MinutesTopic::MeetingChanged.disclosure(),
            Some(to_json(&before)?),
            &MeetingAnnouncement::of(&row, &details)?,
        )
        .await?;
        Ok(Reply::ok(&view_of(conn, &row).await?)?.with_etag(etag(row.sequence)))
    })
    .await
}

/// `POST /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}/cancel` (the coordinator):
/// cancels a scheduled meeting with a reason; raises its sequence (the invitation becomes
/// `METHOD:CANCEL`). 409 `meeting_cancelled` or `meeting_held`.
#[utoipa::path(tag = "meetings", security(("bearer" = [])),
    request_body = CancelMeeting,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = MeetingView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/meetings/{meeting_id}/cancel")]
pub async fn cancel_meeting(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
    body: JsonBody<CancelMeeting>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ConveneMeeting)?;
    let body = body.parse()?;
    let reason = text::REASON
        .parse(&body.value.reason)
        .map_err(|e| ApiError::invalid_field("reason", e.to_string()))?
        .into_string();
    let now = Utc::now();
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mut row = load_meeting(conn, workout, id, true).await?;
        row.require_changeable()?;
        let details = details_of(conn, &row).await?;
        row.state = State::Cancelled.as_str().to_owned();
        row.sequence += 1;
        row.updated_at = now;
        diesel::update(meetings::table.find(id))
            .set((
                meetings::state.eq(&row.state),
                meetings::sequence.eq(row.sequence),
                meetings::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        store_change(
            conn,
            &ChangeRow {
                id: Uuid::now_v7(),
                meeting_id: id,
                kind: "cancelled".to_owned(),
                before: Some(to_json(&details)?),
                after: to_json(&details)?,
                reason: Some(reason.clone()),
                changed_by: caller.user_id.into_uuid(),
                changed_at: now,
            },
        )
        .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            MinutesTopic::MeetingCancelled,
            MinutesTopic::MeetingCancelled.disclosure(),
            None,
            &serde_json::json!({
                "meeting": MeetingSummary::of(&row, &details),
                "reason": reason,
                "invitation": invitation_of(&row, &details)?,
            }),
        )
        .await?;
        Ok(Reply::ok(&view_of(conn, &row).await?)?.with_etag(etag(row.sequence)))
    })
    .await
}
