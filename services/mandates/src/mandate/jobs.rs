//! The mandate's timed transitions on the store kit's scheduler (once with several replicas,
//! caught up after downtime): the appointment overdue (announced once), the reminder that the
//! renewal window closes soon, the renewal window closed with no renewal (the workout is set to
//! close at expiry), and the expiry (the registry closes the workout). Each handler re-reads the
//! mandate under its row lock and does nothing when the state moved on (a renewal moved the term,
//! a withdrawal ended it).
//!
//! The renewal window is open from the appointment until the end of the cut-off day
//! (`MANDATE_RENEWAL_CUTOFF`, 1 month before the term's end): it "opens" with the appointment,
//! which is announced already, so the reminder is of its close. `mandates.renewal_window_closing`
//! goes out [`RENEWAL_CLOSING_BEFORE`] (14 calendar days) before the window closes (00:00 in the
//! workout calendar's time zone, 14 whole days before the end of the cut-off day: time for a
//! proposal and a consent round), once per term: only while the term it was scheduled for runs
//! (`active`) and a renewal is still allowed (`MANDATE_RENEWALS_ALLOWED`), not when the window
//! closed before the job ran (after downtime: the close follows at once). A renewal re-arms it for
//! the new term (when one more is allowed), a withdrawal cancels it.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::registry_api::StatusChange;
use workout_domain::{MandatesTopic, WorkoutId, WorkoutStatus};
use workout_http::ApiError;
use workout_http::registry_client::RegistryClient;
use workout_store::audit::Actor;
use workout_store::scheduler::{Job, JobFuture, Scheduler};

use super::{State, announce, load_mandate};
use crate::schema::{mandates, renewals};

/// The job keeping the mandate of a workout that opened (keyed by the workout; scheduled by the
/// `registry.workout_opened` event, [`crate::events`]).
pub const OPEN_JOB: &str = "mandate_open";

/// The job announcing a late appointment (keyed by the mandate).
pub const OVERDUE_JOB: &str = "mandate_appointment_overdue";

/// The job closing the renewal window (keyed by the mandate).
pub const CUTOFF_JOB: &str = "mandate_renewal_cutoff";

/// The job ending the term (keyed by the mandate).
pub const EXPIRY_JOB: &str = "mandate_expiry";

/// The job announcing the renewal window closes soon (keyed by the mandate).
pub const RENEWAL_CLOSING_JOB: &str = "mandate_renewal_window_closing";

/// How long before the renewal window closes (the end of the cut-off day) the reminder goes out.
pub const RENEWAL_CLOSING_BEFORE: TimeDelta = TimeDelta::days(14);

#[derive(Debug, Deserialize)]
struct Payload {
    workout_id: Uuid,
    mandate_id: Uuid,
    term_end: Option<NaiveDate>,
}

/// The payload of [`OPEN_JOB`] and of the agent's job.
#[derive(Debug, Deserialize)]
struct Opened {
    workout_id: Uuid,
}

fn fault(error: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}

fn service() -> Actor {
    Actor::service("mandates")
}

/// [`OVERDUE_JOB`]: announces `mandates.appointment_overdue` unless a coordinator was appointed.
pub fn overdue_job<'a>(
    conn: &'a mut AsyncPgConnection,
    job: &'a Job,
    _now: DateTime<Utc>,
) -> JobFuture<'a> {
    Box::pin(async move {
        let payload: Payload = serde_json::from_value(job.payload.clone())?;
        let workout = WorkoutId::from_uuid(payload.workout_id);
        let mandate = load_mandate(conn, workout, true).await.map_err(fault)?;
        if mandate.id != payload.mandate_id || mandate.appointed_on.is_some() {
            return Ok(());
        }
        let due = mandate.appointment_due().map_err(fault)?;
        announce(
            conn,
            workout,
            &service(),
            MandatesTopic::AppointmentOverdue,
            &serde_json::json!({
                "mandate_id": mandate.id, "appointment_due": due, "state": mandate.state,
                "nominee_id": mandate.nominee_id,
            }),
        )
        .await
        .map_err(fault)?;
        Ok(())
    })
}

/// [`RENEWAL_CLOSING_JOB`]: when the term it was scheduled for still runs, a renewal is still
/// allowed and the window has not closed as of `now`, `mandates.renewal_window_closing` tells
/// the lenders when it closes.
pub fn renewal_closing_job<'a>(
    conn: &'a mut AsyncPgConnection,
    job: &'a Job,
    now: DateTime<Utc>,
) -> JobFuture<'a> {
    Box::pin(async move {
        let payload: Payload = serde_json::from_value(job.payload.clone())?;
        let workout = WorkoutId::from_uuid(payload.workout_id);
        let mandate = load_mandate(conn, workout, true).await.map_err(fault)?;
        let term_end = mandate.term_end().map_err(fault)?;
        let allowed = mandate.settings().map_err(fault)?.rules.renewals_allowed;
        let window_closes = job.due_at + RENEWAL_CLOSING_BEFORE;
        if mandate.id != payload.mandate_id
            || mandate.state().map_err(fault)? != State::Active
            || term_end.as_ref().map(|t| t.due) != payload.term_end
            || i64::from(allowed) <= i64::from(mandate.renewals)
            || now >= window_closes
        {
            return Ok(());
        }
        announce(
            conn,
            workout,
            &service(),
            MandatesTopic::RenewalWindowClosing,
            &serde_json::json!({
                "mandate_id": mandate.id, "coordinator_id": mandate.coordinator_id,
                "term_end": term_end, "renewals": mandate.renewals, "renewals_allowed": allowed,
                "window_closes_at": window_closes,
            }),
        )
        .await
        .map_err(fault)?;
        Ok(())
    })
}

/// [`CUTOFF_JOB`]: when the term it was scheduled for still runs unrenewed, the mandate moves to
/// `closing` (the workout closes at expiry), any open proposal fails, and
/// `mandates.renewal_window_closed` tells every participant.
pub fn cutoff_job<'a>(
    conn: &'a mut AsyncPgConnection,
    job: &'a Job,
    now: DateTime<Utc>,
) -> JobFuture<'a> {
    Box::pin(async move {
        let payload: Payload = serde_json::from_value(job.payload.clone())?;
        let workout = WorkoutId::from_uuid(payload.workout_id);
        let mandate = load_mandate(conn, workout, true).await.map_err(fault)?;
        let term_end = mandate.term_end().map_err(fault)?;
        if mandate.id != payload.mandate_id
            || mandate.state().map_err(fault)? != State::Active
            || term_end.as_ref().map(|t| t.due) != payload.term_end
        {
            return Ok(());
        }
        diesel::update(renewals::table)
            .filter(renewals::mandate_id.eq(mandate.id))
            .filter(renewals::state.eq("open"))
            .set((
                renewals::state.eq("failed"),
                renewals::decided_at.eq(Some(now)),
            ))
            .execute(conn)
            .await?;
        diesel::update(mandates::table.find(mandate.id))
            .set((
                mandates::state.eq(State::Closing.as_str()),
                mandates::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        announce(
            conn,
            workout,
            &service(),
            MandatesTopic::RenewalWindowClosed,
            &serde_json::json!({
                "mandate_id": mandate.id, "coordinator_id": mandate.coordinator_id,
                "term_end": term_end, "renewals": mandate.renewals,
                "consequence": "the restructuring process is completed: the workout closes at the mandate's expiry",
            }),
        )
        .await
        .map_err(fault)?;
        Ok(())
    })
}

/// [`EXPIRY_JOB`]: a mandate in `closing` at the end of its term expires and the registry closes
/// the workout (idempotently, keyed by the mandate and term), announced as
/// `mandates.mandate_expired`.
pub async fn expire(
    conn: &mut AsyncPgConnection,
    job: &Job,
    now: DateTime<Utc>,
    registry: &RegistryClient,
) -> anyhow::Result<()> {
    let payload: Payload = serde_json::from_value(job.payload.clone())?;
    let workout = WorkoutId::from_uuid(payload.workout_id);
    let mandate = load_mandate(conn, workout, true).await.map_err(fault)?;
    let term_end = mandate.term_end().map_err(fault)?;
    if mandate.id != payload.mandate_id
        || mandate.state().map_err(fault)? != State::Closing
        || term_end.as_ref().map(|t| t.due) != payload.term_end
    {
        return Ok(());
    }
    let reason = format!(
        "the coordinator's mandate expired on {} with no renewal decided 1 month before: the \
         restructuring process is completed (MANDATE_RENEWAL_CUTOFF)",
        payload.term_end.map_or_else(String::new, |d| d.to_string())
    );
    registry
        .set_status(
            workout,
            &StatusChange {
                status: WorkoutStatus::Closed,
                reason: Some(reason.clone()),
            },
            &format!("mandate-{}-expiry", mandate.id),
        )
        .await
        .map_err(fault)?;
    diesel::update(mandates::table.find(mandate.id))
        .set((
            mandates::state.eq(State::Expired.as_str()),
            mandates::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    announce(
        conn,
        workout,
        &service(),
        MandatesTopic::MandateExpired,
        &serde_json::json!({
            "mandate_id": mandate.id, "coordinator_id": mandate.coordinator_id,
            "term_end": term_end, "workout_status": "closed", "reason": reason,
        }),
    )
    .await
    .map_err(fault)?;
    Ok(())
}

/// Registers the mandates service's jobs on `scheduler`; the expiry reaches the registry through
/// `registry`.
pub fn register_jobs(scheduler: Scheduler, registry: Arc<RegistryClient>) -> Scheduler {
    let opener = registry.clone();
    scheduler
        .register(super::agent::AGENT_JOB, |conn, job, now| {
            Box::pin(async move {
                let payload: Opened = serde_json::from_value(job.payload.clone())?;
                super::agent::appoint_agent(conn, WorkoutId::from_uuid(payload.workout_id), now)
                    .await
                    .map_err(fault)
            })
        })
        .register(OPEN_JOB, move |conn, job, now| {
            let registry = opener.clone();
            Box::pin(async move {
                let payload: Opened = serde_json::from_value(job.payload.clone())?;
                super::start::open_mandate(
                    conn,
                    &registry,
                    WorkoutId::from_uuid(payload.workout_id),
                    now,
                )
                .await
                .map_err(fault)
            })
        })
        .register(OVERDUE_JOB, overdue_job)
        .register(RENEWAL_CLOSING_JOB, renewal_closing_job)
        .register(CUTOFF_JOB, cutoff_job)
        .register(EXPIRY_JOB, move |conn, job, now| {
            let registry = registry.clone();
            Box::pin(async move { expire(conn, job, now, &registry).await })
        })
}
