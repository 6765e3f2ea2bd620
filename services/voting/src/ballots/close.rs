//! Closing a ballot: at its deadline (a job of the kit's scheduler), by the coordinator, or when
//! its outcome can no longer change; and the "closing soon" reminder. See the module rules in
//! [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, TimeDelta, Utc};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::voting::{BallotFacts, Certificate};
use workout_domain::{Action, Disclosure, VotingTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller};
use workout_store::audit::Actor;
use workout_store::scheduler::{self, Job, JobFuture};
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::read::{BallotPath, BallotSummary, view_of};
use super::{
    BallotRow, ClosureRow, Lock, choices, closure_of, engine_voters, load_ballot, tally_fault,
    voters_of, votes_of,
};
use crate::schema::ballot_closures;

/// The job that closes a ballot at its deadline (keyed by the ballot).
pub const CLOSE_JOB: &str = "ballot_close";

/// The job that announces a ballot closes soon (keyed by the ballot).
pub const CLOSING_SOON_JOB: &str = "ballot_closing_soon";

/// How long before the deadline the reminder goes out.
pub const CLOSING_SOON_BEFORE: TimeDelta = TimeDelta::hours(24);

/// How a ballot closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Its deadline passed.
    Deadline,
    /// The coordinator closed it.
    Coordinator,
    /// Its outcome could no longer change (`close_early`).
    Decided,
}

impl Closing {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Deadline => "deadline",
            Self::Coordinator => "coordinator",
            Self::Decided => "decided",
        }
    }
}

/// Closes `ballot` (its row locked for update by the caller's transaction) at `at`, as `actor`:
/// tallies the effective votes, stores the certificate, records `voting.ballot_closed` with the
/// result, and cancels its jobs.
pub async fn close(
    conn: &mut AsyncPgConnection,
    ballot: &BallotRow,
    how: Closing,
    at: DateTime<Utc>,
    actor: &Actor,
) -> Result<Certificate, ApiError> {
    let voters = engine_voters(&voters_of(conn, ballot.id).await?)?;
    let cast = choices(&votes_of(conn, ballot.id).await?)?;
    let facts = BallotFacts {
        ballot_id: ballot.id,
        workout_id: ballot.workout(),
        subject: format!("{}: {}", ballot.subject_kind, ballot.subject_ref),
        snapshot_id: ballot.snapshot_id,
        snapshot_hash: ballot.snapshot_hash.clone(),
        closed_at: at,
    };
    let certificate =
        Certificate::issue(facts, ballot.rule()?, voters, cast).map_err(tally_fault)?;
    diesel::insert_into(ballot_closures::table)
        .values(ClosureRow {
            ballot_id: ballot.id,
            closed_at: at,
            closed_how: how.as_str().to_owned(),
            certificate: serde_json::to_value(&certificate)
                .map_err(|e| ApiError::Internal(e.into()))?,
        })
        .execute(conn)
        .await?;
    let key = ballot.id.to_string();
    scheduler::cancel(conn, CLOSE_JOB, &key).await?;
    scheduler::cancel(conn, CLOSING_SOON_JOB, &key).await?;
    let after = serde_json::json!({
        "ballot": BallotSummary::of(ballot, Some(certificate.outcome.passed)),
        "closed_how": how.as_str(),
        "outcome": certificate.outcome,
        "certificate_hash": certificate.hash,
    });
    record(
        conn,
        Chain::Workout(ballot.workout()),
        actor,
        VotingTopic::BallotClosed,
        Disclosure::Participants,
        None,
        &after,
    )
    .await?;
    Ok(certificate)
}

/// `POST /voting/v1/workouts/{workout_id}/ballots/{ballot_id}/close` (the coordinator): closes
/// the ballot now. Answers 200 with the ballot and its result; 409 `ballot_closed` if it is closed.
#[utoipa::path(tag = "ballots", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = super::read::BallotView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/ballots/{ballot_id}/close")]
pub async fn close_ballot(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<BallotPath>,
) -> Result<HttpResponse, ApiError> {
    let BallotPath {
        workout_id: workout,
        ballot_id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::RunBallots)?;
    idempotency::run(&pool, &req, &caller, "", async |conn| {
        let ballot = load_ballot(conn, workout, ballot_id, Lock::Update).await?;
        if closure_of(conn, ballot.id).await?.is_some() {
            return Err(ApiError::conflict(
                "ballot_closed",
                "the ballot is already closed",
            ));
        }
        // A close after the deadline, before its job ran, closes as of the deadline.
        let at = Utc::now().min(ballot.closes_at);
        close(
            conn,
            &ballot,
            Closing::Coordinator,
            at,
            &Actor::from(&caller),
        )
        .await?;
        Reply::ok(&view_of(conn, &ballot, &access).await?)
    })
    .await
}

/// A job's payload.
#[derive(Debug, Deserialize)]
struct JobPayload {
    workout_id: Uuid,
    ballot_id: Uuid,
}

/// The handler of [`CLOSE_JOB`]: closes the ballot as of its deadline, unless it closed already.
pub fn close_job<'a>(
    conn: &'a mut AsyncPgConnection,
    job: &'a Job,
    _now: DateTime<Utc>,
) -> JobFuture<'a> {
    Box::pin(async move {
        let payload: JobPayload = serde_json::from_value(job.payload.clone())?;
        let workout = WorkoutId::from_uuid(payload.workout_id);
        let ballot = load_ballot(conn, workout, payload.ballot_id, Lock::Update)
            .await
            .map_err(anyhow_of)?;
        if closure_of(conn, ballot.id)
            .await
            .map_err(anyhow_of)?
            .is_none()
        {
            let actor = Actor::service("voting");
            close(conn, &ballot, Closing::Deadline, ballot.closes_at, &actor)
                .await
                .map_err(anyhow_of)?;
        }
        Ok(())
    })
}

/// The handler of [`CLOSING_SOON_JOB`]: announces `voting.ballot_closing_soon` if it is still
/// open (and, run late after downtime, its deadline has not passed as of `now`: the close follows
/// at once).
pub fn closing_soon_job<'a>(
    conn: &'a mut AsyncPgConnection,
    job: &'a Job,
    now: DateTime<Utc>,
) -> JobFuture<'a> {
    Box::pin(async move {
        let payload: JobPayload = serde_json::from_value(job.payload.clone())?;
        let workout = WorkoutId::from_uuid(payload.workout_id);
        let ballot = load_ballot(conn, workout, payload.ballot_id, Lock::Share)
            .await
            .map_err(anyhow_of)?;
        if now >= ballot.closes_at
            || closure_of(conn, ballot.id)
                .await
                .map_err(anyhow_of)?
                .is_some()
        {
            return Ok(());
        }
        let summary = BallotSummary::of(&ballot, None);
        record(
            conn,
            Chain::Workout(workout),
            &Actor::service("voting"),
            VotingTopic::BallotClosingSoon,
            Disclosure::Participants,
            None,
            &summary,
        )
        .await
        .map_err(anyhow_of)?;
        Ok(())
    })
}

fn anyhow_of(error: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}

/// Registers the voting service's jobs on `scheduler`.
pub fn register_jobs(scheduler: scheduler::Scheduler) -> scheduler::Scheduler {
    scheduler
        .register(CLOSE_JOB, close_job)
        .register(CLOSING_SOON_JOB, closing_soon_job)
}
