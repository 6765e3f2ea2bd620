//! The export of a workout's audit chain, and the chains' signed checkpoints.
//!
//! Rules: any participant may export the chain (404 for anyone else); the export shows the caller
//! the details of each change that it may read by the change's disclosure — the same rule as the
//! endpoints that show that record (a creditor reads its own facilities, not another's) — and only
//! the hash committing to the rest, so every participant can verify the whole chain. The export
//! ends with the chain's head signed by the registry's signing key, checkable with the document
//! keys (`/registry/v1/.well-known/document-keys.json`), so that a cut tail with a rewritten head
//! is detected offline. Every [`CHECKPOINT_EVERY`], [`CHECKPOINT_JOB`] stores a signed head in
//! each chain that changed since its last checkpoint: a participant who kept an export can later
//! prove that no entry before it was removed.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use diesel_async::AsyncPgConnection;
use workout_domain::{Action, WorkoutId};
use workout_http::{ApiError, Caller};
use workout_store::audit::{self, Actor, ExportLine, Reader};
use workout_store::scheduler::{self, Job, JobFuture};

use super::membership::membership;
use crate::RegistryState;
use crate::identity::keys;

/// The job that stores signed checkpoints in the chains (one job, rescheduled as it runs).
pub const CHECKPOINT_JOB: &str = "audit_checkpoints";

/// How often the chains that changed receive a signed checkpoint.
pub const CHECKPOINT_EVERY: TimeDelta = TimeDelta::hours(1);

/// At most this many chains are checkpointed in one run (the rest in the next).
const CHAINS_PER_RUN: i64 = 500;

/// `GET /registry/v1/workouts/{workout_id}/audit` (any participant): the workout's audit chain as
/// JSON lines ending with its signed head; the details the caller may not read are withheld.
#[utoipa::path(tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "JSON lines: entries, then the signed head", content_type = "application/x-ndjson")))]
#[get("/v1/workouts/{workout_id}/audit")]
pub async fn export_workout_audit(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    member.require(Action::ExportAudit)?;
    let reader = Reader::Participant {
        institution: member.institution,
        roles: &member.roles,
    };
    let lines = audit::export(&mut conn, workout.into_uuid(), reader).await?;
    signed_export(&mut conn, lines).await
}

/// The export lines as JSON lines, their head signed now.
pub(crate) async fn signed_export(
    conn: &mut AsyncPgConnection,
    mut lines: Vec<ExportLine>,
) -> Result<HttpResponse, ApiError> {
    if let Some(ExportLine::Head(head)) = lines.pop() {
        lines.push(ExportLine::Head(
            keys::sign_head(conn, head, Utc::now()).await?,
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .body(audit::to_json_lines(&lines)))
}

/// The next checkpoint time after `now`: the next full interval.
pub fn next_checkpoint(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(CHECKPOINT_EVERY).unwrap_or(now) + CHECKPOINT_EVERY
}

/// Schedules the checkpoint job for the next full interval (at start; the job reschedules itself).
pub async fn schedule_checkpoints(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    let due = next_checkpoint(Utc::now());
    scheduler::schedule(conn, CHECKPOINT_JOB, "all", due, serde_json::json!({})).await?;
    Ok(())
}

/// The handler of [`CHECKPOINT_JOB`]: a signed checkpoint in every chain whose last entry is not
/// one (a chain another transaction is writing is skipped and done next time); then the next run.
pub fn checkpoint_job<'a>(
    conn: &'a mut AsyncPgConnection,
    _job: &'a Job,
    now: DateTime<Utc>,
) -> JobFuture<'a> {
    Box::pin(async move {
        let actor = Actor::service("registry");
        for chain in audit::chains_to_checkpoint(conn, CHAINS_PER_RUN).await? {
            audit::checkpoint(conn, chain, &actor, now, async |conn, claims| {
                keys::sign(conn, claims).await
            })
            .await?;
        }
        let due = next_checkpoint(now);
        scheduler::schedule(conn, CHECKPOINT_JOB, "all", due, serde_json::json!({})).await?;
        Ok(())
    })
}
