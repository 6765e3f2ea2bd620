//! The borrower's notice contacts are needed before the first formal notice to it is due: the
//! notice that its case moved to the workout unit, due `WORKOUT_TRANSFER_NOTICE` (5 business days)
//! after the workout's opening date.
//!
//! Rules: opening a workout schedules [`NOTICE_CONTACTS_JOB`] (keyed by the workout) for the start
//! of that due date in the workout calendar's time zone. When it runs, a borrower that is still
//! without notice contacts is announced once, `registry.notice_contacts_missing`, audited on the
//! workout's chain by the system, so that the coordinator and the notifications service know the
//! notice cannot be delivered on time. Where the due date cannot be counted (an opening date
//! outside the calendar's holiday table), the check runs at the opening date itself: the contacts
//! are then needed at once rather than at a guessed date.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{BusinessCalendar, DeadlineRule, ParticipantRole, RegistryTopic, WorkoutId};
use workout_http::ApiError;
use workout_store::audit::Actor;
use workout_store::record;
use workout_store::scheduler::{self, Job, JobFuture};

use crate::cooperation::watch::start_of_day_in;
use crate::schema::{notice_contacts, participants, workouts};
use crate::workouts::membership::chain;

/// The kind of the job that checks the borrower's notice contacts when the first notice is due.
pub const NOTICE_CONTACTS_JOB: &str = "notice_contacts_due";

/// What the job carries and what `registry.notice_contacts_missing` announces.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoticeContactsDue {
    /// The workout.
    pub workout_id: Uuid,
    /// The date the first notice to the borrower is due.
    pub due_on: NaiveDate,
    /// The borrower without contacts (set when announced).
    pub borrower_id: Option<Uuid>,
}

/// Schedules, in the caller's transaction, the check of `workout`'s borrower contacts for the day
/// the first notice to the borrower is due.
pub async fn schedule_notice_contacts_check(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    opened_on: NaiveDate,
    calendar: &str,
) -> Result<(), ApiError> {
    let due_on = BusinessCalendar::builtin(calendar)
        .ok()
        .and_then(|calendar| {
            DeadlineRule::WORKOUT_TRANSFER_NOTICE
                .deadline(opened_on, calendar)
                .ok()
        })
        .map_or(opened_on, |deadline| deadline.due);
    let due_at = start_of_day_in(calendar, due_on)?;
    scheduler::schedule(
        conn,
        NOTICE_CONTACTS_JOB,
        &workout.to_string(),
        due_at,
        serde_json::to_value(NoticeContactsDue {
            workout_id: workout.into_uuid(),
            due_on,
            borrower_id: None,
        })
        .map_err(|e| ApiError::Internal(e.into()))?,
    )
    .await?;
    Ok(())
}

/// The handler of [`NOTICE_CONTACTS_JOB`] (register it on the registry's scheduler).
pub fn notice_contacts_job<'a>(
    conn: &'a mut AsyncPgConnection,
    job: &'a Job,
    _now: DateTime<Utc>,
) -> JobFuture<'a> {
    Box::pin(async move {
        announce_if_missing(conn, job).await?;
        Ok(())
    })
}

async fn announce_if_missing(conn: &mut AsyncPgConnection, job: &Job) -> anyhow::Result<()> {
    let due: NoticeContactsDue = serde_json::from_value(job.payload.clone())?;
    let workout = WorkoutId::from_uuid(due.workout_id);
    // The workout first, as every use case that writes its chain; never waiting for it while
    // holding the job's row (see the cooperation watch): a busy workout fails the job, which runs
    // again later.
    let borrower: Uuid = workouts::table
        .find(due.workout_id)
        .select(workouts::borrower_id)
        .for_update()
        .skip_locked()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "workout {} is busy; the job runs again later",
                due.workout_id
            )
        })?;
    let contacts: i64 = participants::table
        .inner_join(notice_contacts::table)
        .filter(participants::workout_id.eq(due.workout_id))
        .filter(participants::institution_id.eq(borrower))
        .filter(participants::role.eq(ParticipantRole::Borrower.as_str()))
        .filter(participants::removed_at.is_null())
        .count()
        .get_result(conn)
        .await?;
    if contacts > 0 {
        return Ok(());
    }
    record(
        conn,
        chain(workout),
        &Actor::service("registry"),
        RegistryTopic::NoticeContactsMissing,
        RegistryTopic::NoticeContactsMissing.disclosure(None),
        None,
        &NoticeContactsDue {
            borrower_id: Some(borrower),
            ..due
        },
    )
    .await?;
    Ok(())
}
