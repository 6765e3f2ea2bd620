//! Scheduling a meeting (the coordinator): its time, place, agenda and invitees; the invitation
//! starts at `SEQUENCE` 0. See the module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use workout_domain::{Action, MinutesTopic, WorkoutId};
use workout_http::precondition::etag;
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::read::{MeetingView, view_of};
use super::{
    ChangeRow, MeetingAnnouncement, MeetingInput, MeetingRow, State, parse_input,
    store_agenda_and_invitees, store_change, to_json,
};
use crate::schema::meetings;

/// `POST /minutes/v1/workouts/{workout_id}/meetings` (the coordinator): schedules a meeting.
/// Answers 201 with it (`ETag` "0").
#[utoipa::path(tag = "meetings", security(("bearer" = [])),
    request_body = MeetingInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = MeetingView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/meetings")]
pub async fn schedule_meeting(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<MeetingInput>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ConveneMeeting)?;
    let body = body.parse()?;
    let participants = registry.participants(workout).await?;
    let now = Utc::now();
    let details = parse_input(&body.value, &participants, now)?;
    let id = Uuid::now_v7();
    let row = MeetingRow {
        id,
        workout_id: workout.into_uuid(),
        title: details.title.clone(),
        starts_at: details.starts_at,
        ends_at: details.ends_at,
        time_zone: details.time_zone.clone(),
        location: details.location.clone(),
        video_link: details.video_link.clone(),
        state: State::Scheduled.as_str().to_owned(),
        sequence: 0,
        organizer: caller.user_id.into_uuid(),
        created_at: now,
        updated_at: now,
    };
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        diesel::insert_into(meetings::table)
            .values(&row)
            .execute(conn)
            .await?;
        store_agenda_and_invitees(conn, id, &details).await?;
        store_change(
            conn,
            &ChangeRow {
                id: Uuid::now_v7(),
                meeting_id: id,
                kind: "scheduled".to_owned(),
                before: None,
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
            MinutesTopic::MeetingScheduled,
            MinutesTopic::MeetingScheduled.disclosure(),
            None,
            &MeetingAnnouncement::of(&row, &details)?,
        )
        .await?;
        let view = view_of(conn, &row).await?;
        Ok(Reply::created(
            format!("/minutes/v1/workouts/{workout}/meetings/{id}"),
            &view,
        )?
        .with_etag(etag(0)))
    })
    .await
}
