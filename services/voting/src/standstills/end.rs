//! Ending a standstill: terminated by the coordinator with a reason (a termination event), or
//! expired at the end of its end date (a job of the kit's scheduler); and the reminder that it
//! ends soon. See the module rules in [`super`].
//!
//! The reminder `voting.standstill_expiring` goes out [`EXPIRING_BEFORE`] (3 calendar days) before
//! the end instant of a live (proposed or effective) standstill: at 00:00, in the workout
//! calendar's time zone, two days before its end date, with three whole days left. Its job is
//! written with the expiry's, when the standstill is proposed and when an extension moves its end
//! date (the same key, another due time: it is re-armed for the new end date, even after it ran
//! for the old one, and its payload names the end date it announces). When less than the lead is
//! left at that moment nothing is announced (as for a ballot's reminder): the proposal or the
//! extension itself, just announced, names the end date. It does nothing once the standstill has
//! ended (its job is cancelled then), when the end date moved on, or when it runs only after the
//! end instant (after downtime: the expiry follows at once).

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
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

/// The job that announces a standstill ends soon (keyed by the standstill; its payload names the
/// end date it announces).
pub const EXPIRING_JOB: &str = "standstill_expiring";

/// How long before a standstill's end instant the reminder goes out.
pub const EXPIRING_BEFORE: TimeDelta = TimeDelta::days(3);

/// Schedules (or moves) the expiry of the standstill `id` of `workout` at `expires_at` (the end
/// of `ends_on`) and its reminder [`EXPIRING_BEFORE`] that, if that is still after `now`
/// (otherwise any earlier reminder not yet run is cancelled).
pub async fn schedule_end(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    id: Uuid,
    ends_on: NaiveDate,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let key = id.to_string();
    let payload = serde_json::json!({ "workout_id": workout, "standstill_id": id });
    scheduler::schedule(conn, EXPIRY_JOB, &key, expires_at, payload).await?;
    let reminder = expires_at - EXPIRING_BEFORE;
    if reminder > now {
        let payload =
            serde_json::json!({ "workout_id": workout, "standstill_id": id, "ends_on": ends_on });
        scheduler::schedule(conn, EXPIRING_JOB, &key, reminder, payload).await?;
    } else {
        scheduler::cancel(conn, EXPIRING_JOB, &key).await?;
    }
    Ok(())
}

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
    scheduler::cancel(conn, EXPIRING_JOB, &row.id.to_string()).await?;
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

/// A reminder job's payload.
#[derive(Debug, Deserialize)]
struct ExpiringPayload {
    workout_id: Uuid,
    standstill_id: Uuid,
    ends_on: NaiveDate,
}

/// The handler of [`EXPIRING_JOB`]: announces `voting.standstill_expiring` if the standstill is
/// still live and still ends on the date the job was scheduled for (and, run late after downtime,
/// has not reached its end instant as of `now`).
async fn announce_expiring(
    conn: &mut AsyncPgConnection,
    job: &Job,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let payload: ExpiringPayload = serde_json::from_value(job.payload.clone())?;
    let workout = WorkoutId::from_uuid(payload.workout_id);
    let row = load_standstill(conn, workout, payload.standstill_id, true)
        .await
        .map_err(fault)?;
    let ends_at = job.due_at + EXPIRING_BEFORE;
    if !row.state().map_err(fault)?.is_live() || row.ends_on != payload.ends_on || now >= ends_at {
        return Ok(());
    }
    record(
        conn,
        Chain::Workout(workout),
        &Actor::service("voting"),
        VotingTopic::StandstillExpiring,
        Disclosure::Participants,
        None,
        &serde_json::json!({ "standstill": StandstillSummary::of(&row), "ends_at": ends_at }),
    )
    .await
    .map_err(fault)?;
    Ok(())
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
    scheduler
        .register(EXPIRY_JOB, move |conn, job, _now| {
            let registry = registry.clone();
            Box::pin(async move { expire(conn, job, &registry).await })
        })
        .register(EXPIRING_JOB, |conn, job, now| {
            Box::pin(announce_expiring(conn, job, now))
        })
}
