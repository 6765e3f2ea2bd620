//! The cooperation watch: announces information requests that became overdue and flags the
//! borrower as possibly non-cooperative after two consecutive missed requests (guideline 5.1.2).
//!
//! Rules: time makes a request overdue, so sending one schedules a job ([`OVERDUE_JOB`], keyed by
//! the request id, on the store kit's scheduler) due at the start of the day after its due date in
//! the workout calendar's time zone ([`workout_domain::calendar::zone_of`]; `SA` is Asia/Riyadh,
//! UTC+3 all year). When the job runs, a request still unanswered, not cancelled and not yet
//! announced is announced once (`registry.information_request_overdue`) and the workout's borrower
//! flagged once (`registry.borrower_flagged`, with the trail of missed requests that count); a
//! request answered or cancelled by then needs nothing (cancelling drops the job as well). A
//! request that does not count towards the criterion (sent before the previous counted one was
//! due) is still announced when overdue, but never completes a run. The scheduler runs each job once, in the transaction that records its effects,
//! so several replicas never announce a request twice. Every announcement is audited on the
//! workout's chain, by the system (no user). Open requests recorded before jobs existed get theirs
//! when the registry starts ([`schedule_open_requests`]).

use std::collections::BTreeMap;
use workout_domain::registry_api::events::{
    BorrowerFlagged, InformationRequestOverdue, MissedRequest,
};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone as _, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;
use workout_domain::{RegistryTopic, WorkoutId};
use workout_http::ApiError;
use workout_store::audit::Actor;
use workout_store::scheduler::{self, Job, JobFuture};
use workout_store::{Pool, record, transaction};

use super::view::cooperation_view;
use crate::schema::{information_requests, workouts};
use crate::workouts::membership::chain;

/// The kind of the job that announces an information request once it is overdue.
pub const OVERDUE_JOB: &str = "information_request_overdue";

/// Flags the workout's borrower if its requests now show two consecutive misses and it is not
/// flagged yet; returns whether it flagged now.
pub async fn flag_if_non_cooperative(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    today: NaiveDate,
) -> Result<bool, ApiError> {
    let (borrower, flagged_at): (Uuid, Option<DateTime<Utc>>) = workouts::table
        .find(workout.into_uuid())
        .select((workouts::borrower_id, workouts::borrower_flagged_at))
        .for_update()
        .first(conn)
        .await?;
    if flagged_at.is_some() {
        return Ok(false);
    }
    let view = cooperation_view(conn, workout, today).await?;
    if !view.possibly_non_cooperative {
        return Ok(false);
    }
    diesel::update(workouts::table.find(workout.into_uuid()))
        .set(workouts::borrower_flagged_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    let trail: Vec<MissedRequest> = view
        .requests
        .iter()
        .filter(|r| view.trail.contains(&r.id))
        .map(|r| MissedRequest {
            id: r.id,
            subject: r.subject.clone(),
            sent_on: r.sent_on,
            due_on: r.due_on,
            answered_on: r.answered_on,
            response: r.response.clone(),
            status: r.status.clone(),
        })
        .collect();
    record(
        conn,
        chain(workout),
        &Actor::service("registry"),
        RegistryTopic::BorrowerFlagged,
        RegistryTopic::BorrowerFlagged.disclosure(None),
        None,
        &BorrowerFlagged {
            workout_id: workout.into_uuid(),
            borrower_id: borrower,
            consecutive_missed: view.consecutive_missed,
            trail,
        },
    )
    .await?;
    Ok(true)
}

/// Today in the time zone of business calendar `calendar`: a workout's "today" is its local date
/// (Asia/Riyadh for `SA`), not the UTC date.
pub fn today_in(calendar: &str) -> Result<NaiveDate, ApiError> {
    date_in(calendar, Utc::now())
}

/// The local date of instant `at` in the time zone of business calendar `calendar`.
pub fn date_in(calendar: &str, at: DateTime<Utc>) -> Result<NaiveDate, ApiError> {
    Ok(at.with_timezone(&zone_for(calendar)?).date_naive())
}

fn zone_for(calendar: &str) -> Result<FixedOffset, ApiError> {
    workout_domain::calendar::zone_of(calendar).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "business calendar {calendar:?} has no time zone"
        ))
    })
}

/// The instant day `date` starts in the time zone of business calendar `calendar`.
pub fn start_of_day_in(calendar: &str, date: NaiveDate) -> Result<DateTime<Utc>, ApiError> {
    date.pred_opt()
        .and_then(|eve| overdue_at(eve, zone_for(calendar).ok()?))
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no start of day for {date}")))
}

/// When a request due on `due_on` becomes overdue: the start of the next day in `zone`, in UTC.
pub fn overdue_at(due_on: NaiveDate, zone: FixedOffset) -> Option<DateTime<Utc>> {
    let midnight = due_on.succ_opt()?.and_hms_opt(0, 0, 0)?;
    zone.from_local_datetime(&midnight)
        .single()
        .map(|start| start.with_timezone(&Utc))
}

async fn calendar_of(conn: &mut AsyncPgConnection, workout: WorkoutId) -> Result<String, ApiError> {
    Ok(workouts::table
        .find(workout.into_uuid())
        .select(workouts::calendar)
        .first(conn)
        .await?)
}

async fn schedule_check(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    request: Uuid,
    due_on: NaiveDate,
    calendar: &str,
) -> Result<(), ApiError> {
    let due_at = overdue_at(due_on, zone_for(calendar)?).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "request {request}: no day follows its due date {due_on}"
        ))
    })?;
    scheduler::schedule(
        conn,
        OVERDUE_JOB,
        &request.to_string(),
        due_at,
        serde_json::json!({"workout_id": workout, "request_id": request, "due_on": due_on}),
    )
    .await?;
    Ok(())
}

/// Schedules, in the caller's transaction, the job that announces request `request` of `workout`
/// if it is still unanswered once `due_on` is over.
pub async fn schedule_overdue_check(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    request: Uuid,
    due_on: NaiveDate,
) -> Result<(), ApiError> {
    let calendar = calendar_of(conn, workout).await?;
    schedule_check(conn, workout, request, due_on, &calendar).await
}

/// Gives every open request (unanswered, not cancelled, not announced) its job, if it has none; returns how many
/// open requests there are. Run at start: requests recorded before jobs existed are covered, and
/// scheduling a request's job again changes nothing.
pub async fn schedule_open_requests(pool: &Pool) -> Result<usize, ApiError> {
    transaction(pool, async |conn| {
        let open: Vec<(Uuid, Uuid, NaiveDate)> = information_requests::table
            .filter(information_requests::answered_on.is_null())
            .filter(information_requests::overdue_announced_at.is_null())
            .filter(information_requests::cancelled_at.is_null())
            .select((
                information_requests::id,
                information_requests::workout_id,
                information_requests::due_on,
            ))
            .load(conn)
            .await?;
        let mut calendars: BTreeMap<Uuid, String> = BTreeMap::new();
        for (request, workout, due_on) in &open {
            let id = WorkoutId::from_uuid(*workout);
            let calendar = match calendars.get(workout) {
                Some(calendar) => calendar.clone(),
                None => {
                    let calendar = calendar_of(conn, id).await?;
                    calendars.insert(*workout, calendar.clone());
                    calendar
                }
            };
            schedule_check(conn, id, *request, *due_on, &calendar).await?;
        }
        Ok(open.len())
    })
    .await
}

/// The handler of [`OVERDUE_JOB`] (register it on the registry's scheduler).
pub fn overdue_job<'a>(
    conn: &'a mut AsyncPgConnection,
    job: &'a Job,
    now: DateTime<Utc>,
) -> JobFuture<'a> {
    Box::pin(async move {
        announce_if_overdue(conn, job, now).await?;
        Ok(())
    })
}

/// An `information_requests` row as the overdue job reads it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = information_requests, check_for_backend(diesel::pg::Pg))]
struct OpenRequest {
    workout_id: Uuid,
    subject: String,
    sent_on: NaiveDate,
    due_on: NaiveDate,
    answered_on: Option<NaiveDate>,
    overdue_announced_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
}

/// Announces the job's request if, as of `now`, it is overdue, unanswered, not cancelled and not
/// yet announced, and flags the borrower if that makes two consecutive misses that count; returns
/// whether it announced.
async fn announce_if_overdue(
    conn: &mut AsyncPgConnection,
    job: &Job,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let id: Uuid = job.key.parse().map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "job key {:?} is not a request id: {e}",
            job.key
        ))
    })?;
    // The workout first, then the request: the order of every use case of the workout (the
    // deciding ones lock the workout as they start). The job holds its own row meanwhile, which a
    // use case may need too (cancelling a request drops its job), so it never waits for a busy
    // workout: it fails and is tried again later.
    let Some(workout_id): Option<Uuid> = information_requests::table
        .find(id)
        .select(information_requests::workout_id)
        .first(conn)
        .await
        .optional()?
    else {
        return Ok(false);
    };
    let calendar: String = workouts::table
        .find(workout_id)
        .select(workouts::calendar)
        .for_update()
        .skip_locked()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "workout {workout_id} is busy with a use case; the job runs again later"
            ))
        })?;
    let request: OpenRequest = information_requests::table
        .find(id)
        .select(OpenRequest::as_select())
        .for_update()
        .first(conn)
        .await?;
    if request.answered_on.is_some()
        || request.overdue_announced_at.is_some()
        || request.cancelled_at.is_some()
    {
        return Ok(false);
    }
    let (workout, due_on) = (WorkoutId::from_uuid(request.workout_id), request.due_on);
    let today = now.with_timezone(&zone_for(&calendar)?).date_naive();
    if due_on >= today {
        // Only a job scheduled too early gets here; failing keeps it, to be retried later.
        return Err(ApiError::Internal(anyhow::anyhow!(
            "request {id} is due on {due_on}, not overdue on {today}"
        )));
    }
    diesel::update(information_requests::table.find(id))
        .set(information_requests::overdue_announced_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    record(
        conn,
        chain(workout),
        &Actor::service("registry"),
        RegistryTopic::InformationRequestOverdue,
        RegistryTopic::InformationRequestOverdue.disclosure(None),
        None,
        &InformationRequestOverdue {
            id,
            workout_id: workout.into_uuid(),
            subject: request.subject.clone(),
            sent_on: request.sent_on,
            due_on,
        },
    )
    .await?;
    flag_if_non_cooperative(conn, workout, today).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_due_on_a_day_is_overdue_from_riyadh_midnight_after_it() {
        let due_on = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let at = overdue_at(due_on, workout_domain::calendar::zone_of("SA").unwrap()).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-01T21:00:00+00:00");
        let at = overdue_at(
            due_on,
            workout_domain::calendar::zone_of("SAT_SUN").unwrap(),
        )
        .unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-02T00:00:00+00:00");
        assert_eq!(workout_domain::calendar::zone_of("XX"), None);
    }
}
