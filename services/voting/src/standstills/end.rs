//! Ending a standstill: terminated by the coordinator with a reason (a termination event), or
//! expired at the end of its end date (a job of the kit's scheduler). See the module rules in
//! [`super`].

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::calendar::{end_of_day, zone_of};
use workout_domain::{Action, Disclosure, VotingTopic, WorkoutId, text};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::scheduler::{self, Job, Scheduler};
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::read::{StandstillPath, view_of};
use super::{
    Ended, StandstillRow, StandstillSummary, State, load_standstill, release_workout, to_json,
};
use crate::schema::standstills;

/// The job that expires a standstill at the end of its end date (keyed by the standstill).
pub const EXPIRY_JOB: &str = "standstill_expiry";

/// `POST .../terminate`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminateStandstill {
    /// Why: the termination event that occurred, 1–500 characters.
    pub reason: String,
}

/// `POST /voting/v1/workouts/{workout_id}/standstills/{standstill_id}/terminate` (the
/// coordinator): ends a proposed or effective standstill with a reason. Answers 200 with it; 409
/// `standstill_ended` once it has ended.
#[utoipa::path(tag = "standstills", security(("bearer" = [])),
    request_body = TerminateStandstill,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = super::read::StandstillView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/standstills/{standstill_id}/terminate")]
pub async fn terminate_standstill(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<StandstillPath>,
    body: JsonBody<TerminateStandstill>,
) -> Result<HttpResponse, ApiError> {
    let StandstillPath {
        workout_id: workout,
        standstill_id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ManageStandstill)?;
    let body = body.parse()?;
    let reason = text::REASON
        .parse(&body.value.reason)
        .map_err(|e| ApiError::invalid_field("reason", e.to_string()))?
        .into_string();
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mut row = load_standstill(conn, workout, standstill_id, true).await?;
        if !row.state()?.is_live() {
            return Err(ApiError::conflict(
                "standstill_ended",
                format!("the standstill is {} already", row.state),
            ));
        }
        end(
            conn,
            &registry,
            &mut row,
            State::Terminated,
            Utc::now(),
            Some(caller.user_id.into_uuid()),
            reason.clone(),
            &Actor::from(&caller),
        )
        .await?;
        Reply::ok(&view_of(conn, &row, &access).await?)
    })
    .await
}

/// Ends the live standstill `row` (locked for update) as `state`: releases the workout from
/// `standstill` if it was effective, stores the end, cancels the expiry and records the event.
#[expect(
    clippy::too_many_arguments,
    reason = "one use case's facts, passed once"
)]
async fn end(
    conn: &mut AsyncPgConnection,
    registry: &RegistryClient,
    row: &mut StandstillRow,
    state: State,
    at: DateTime<Utc>,
    by: Option<Uuid>,
    reason: String,
    actor: &Actor,
) -> Result<(), ApiError> {
    let workout_status = if row.state()? == State::Effective {
        release_workout(registry, row, &reason).await?
    } else {
        None
    };
    let ended = Ended {
        at,
        by,
        reason,
        workout_status,
    };
    diesel::update(standstills::table.find(row.id))
        .set((
            standstills::state.eq(state.as_str()),
            standstills::ended.eq(to_json(&ended)?),
        ))
        .execute(conn)
        .await?;
    row.state = state.as_str().to_owned();
    row.ended = Some(to_json(&ended)?);
    scheduler::cancel(conn, EXPIRY_JOB, &row.id.to_string()).await?;
    let topic = match state {
        State::Expired => VotingTopic::StandstillExpired,
        _ => VotingTopic::StandstillTerminated,
    };
    record(
        conn,
        Chain::Workout(row.workout()),
        actor,
        topic,
        Disclosure::Participants,
        None,
        &serde_json::json!({ "standstill": StandstillSummary::of(row), "ended": ended }),
    )
    .await?;
    Ok(())
}

/// A job's payload.
#[derive(Debug, Deserialize)]
struct JobPayload {
    workout_id: Uuid,
    standstill_id: Uuid,
}

/// The handler of [`EXPIRY_JOB`]: expires the standstill as of the end of its end date, unless it
/// has ended already.
async fn expire(
    conn: &mut AsyncPgConnection,
    job: &Job,
    registry: &RegistryClient,
) -> anyhow::Result<()> {
    let payload: JobPayload = serde_json::from_value(job.payload.clone())?;
    let workout = WorkoutId::from_uuid(payload.workout_id);
    let mut row = load_standstill(conn, workout, payload.standstill_id, true)
        .await
        .map_err(fault)?;
    if !row.state().map_err(fault)?.is_live() {
        return Ok(());
    }
    let reason = format!("the standstill reached its end date {}", row.ends_on);
    end(
        conn,
        registry,
        &mut row,
        State::Expired,
        job.due_at,
        None,
        reason,
        &Actor::service("voting"),
    )
    .await
    .map_err(fault)
}

/// The end of `day` in the time zone of the workout's `calendar`: when a standstill ending on
/// `day` expires.
pub fn expires_at(day: NaiveDate, calendar: &str) -> Result<DateTime<Utc>, ApiError> {
    let zone = zone_of(calendar).ok_or_else(|| {
        ApiError::unprocessable(
            "calendar_without_zone",
            format!("the workout's calendar {calendar} has no time zone to end a day in"),
        )
    })?;
    end_of_day(day, zone).ok_or_else(|| ApiError::invalid_field("ends_on", "out of range"))
}

fn fault(error: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}

/// Registers the standstills' jobs on `scheduler`; an expiry reaches the registry through
/// `registry`.
pub fn register_jobs(scheduler: Scheduler, registry: Arc<RegistryClient>) -> Scheduler {
    scheduler.register(EXPIRY_JOB, move |conn, job, _now| {
        let registry = registry.clone();
        Box::pin(async move { expire(conn, job, &registry).await })
    })
}
