//! The coordinator's steps in a term sheet's lifecycle (guideline 5.3.1 O iv–ix): recording the
//! creditors' tentative agreement (a passed ballot on one exact version), submitting the agreed
//! version to the borrower, and, once the borrower accepted, recording initialling, the legal
//! documentation, the signature and the conditions of effectiveness met; and the lapse of an
//! offer not accepted in time (a job of the kit's scheduler). See the module rules in [`super`].
//!
//! Rules:
//! - The agreement names a ballot of the workout whose subject is this term sheet's current
//!   version (`subject_kind` `term_sheet_version`, `subject_ref` `{term_sheet_id}/versions/{n}`,
//!   `content_hash` that version's): closed and passed. A ballot on another version, even of the
//!   same term sheet, does not count (409 `ballot_other_version`); an open one 409 `ballot_open`,
//!   a failed one 409 `ballot_failed`. A new version ends the agreement ([`super::save_version`]).
//! - Submission needs the agreement on the current version and an `approved` credit approval of
//!   that version from every creditor that voted for it (5.3.2 B vi; [`super::positions`]): 409
//!   `credit_approvals_missing` names those without one, a `declined` one is also missing. The
//!   offer is open for `valid_for_days` calendar days (default 30) counted in the workout
//!   calendar's time zone: submitted on day 0, it lapses at the first instant of day 31
//!   ([`offer_lapses_at`]); a scheduled job marks it `lapsed` then, unless the borrower answered.
//!   [`LAPSING_BEFORE`] (3 calendar days) earlier, at 00:00 of day 28 for a 30-day offer, another
//!   job announces `voting.term_sheet_offer_lapsing` to those who read the offer, once, if the
//!   offer is still open (not when it runs only after the lapse, after downtime); an offer open
//!   for 3 days or less gets no reminder (the submission just announced names its lapse instant).
//!   The borrower's answer cancels both jobs; a later submission re-arms them for its own offer.
//! - After acceptance the steps follow in order ([`super::steps`]).

use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, SubsecRound as _, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::calendar::zone_of;
use workout_domain::registry_api::StatusChange;
use workout_domain::term_sheet::{OFFER_OPEN_DAYS, offer_lapses_at};
use workout_domain::{Action, VotingTopic, WorkoutId, WorkoutStatus};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::scheduler::{self, Job, Scheduler};
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::positions::approvals_of;
use super::{
    READERS, State, TermSheetPath, TermSheetSummary, TermSheetView, load_term_sheet, load_version,
};
use crate::ballots::{Lock, SubjectKind, load_ballot, passed_certificate, votes_of};
use crate::schema::term_sheets;

/// The job that lapses an offer not accepted in time (keyed by the term sheet).
pub const LAPSE_JOB: &str = "term_sheet_offer_lapse";

/// The job that announces an open offer lapses soon (keyed by the term sheet).
pub const LAPSING_JOB: &str = "term_sheet_offer_lapsing";

/// How long before an offer lapses the reminder goes out.
pub const LAPSING_BEFORE: TimeDelta = TimeDelta::days(3);

/// The longest an offer may be left open, in calendar days.
pub const MAX_OFFER_DAYS: u32 = 90;

/// Who may read the offer and what becomes of it (the borrower and guarantors included).
pub const OFFER_READERS: workout_domain::Disclosure =
    workout_domain::Disclosure::Permitted(Action::ReadOffer);

/// The `subject_ref` of a ballot on version `number` of the term sheet `id`.
pub fn ballot_subject(id: Uuid, number: i32) -> String {
    format!("{id}/versions/{number}")
}

/// 422 unless a ballot on a `term_sheet_version` names one (`subject_ref`
/// `{term_sheet_id}/versions/{n}`) of a term sheet of its workout, with that version's content
/// hash; the version need not be the current one (the agreement checks that).
pub async fn check_ballot_subject(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    ballot: &crate::ballots::BallotRow,
) -> Result<(), ApiError> {
    let unknown = || {
        ApiError::invalid_field(
            "subject_ref",
            "a term sheet version is named {term_sheet_id}/versions/{number}, of a term sheet \
             of this workout",
        )
    };
    let (sheet, number) = ballot
        .subject_ref
        .split_once("/versions/")
        .and_then(|(sheet, n)| Some((sheet.parse::<Uuid>().ok()?, n.parse::<i32>().ok()?)))
        .ok_or_else(unknown)?;
    load_term_sheet(conn, workout, sheet, false)
        .await
        .map_err(|_| unknown())?;
    let version = load_version(conn, sheet, number)
        .await
        .map_err(|_| unknown())?;
    if ballot.content_hash.as_deref() != Some(version.content_hash.as_str()) {
        return Err(ApiError::invalid_field(
            "content_hash",
            format!(
                "not the content hash of version {number} of the term sheet ({})",
                version.content_hash
            ),
        ));
    }
    Ok(())
}

/// `POST .../agreement`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordAgreement {
    /// The closed ballot that passed on the current version.
    pub ballot_id: Uuid,
}

/// `POST /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/agreement` (the
/// coordinator): records the creditors' tentative agreement on the current version, from a
/// passed ballot on exactly that version. Answers 200 with the term sheet, now `creditor_agreed`.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    request_body = RecordAgreement,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = TermSheetView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/agreement")]
pub async fn record_agreement(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
    body: JsonBody<RecordAgreement>,
) -> Result<HttpResponse, ApiError> {
    let TermSheetPath {
        workout_id: workout,
        term_sheet_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::AdvanceTermSheet)?;
    let body = body.parse()?;
    let ballot_id = body.value.ballot_id;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mut row = load_term_sheet(conn, workout, id, true).await?;
        let state = row.state()?;
        if !matches!(state, State::Draft | State::Countered) {
            return Err(state_conflict(state, "record the creditors' agreement"));
        }
        let current = load_version(conn, id, row.current_version).await?;
        let ballot = load_ballot(conn, workout, ballot_id, Lock::Share)
            .await
            .map_err(|_| {
                ApiError::invalid_field("ballot_id", "no ballot of this workout has this id")
            })?;
        if ballot.subject_kind != SubjectKind::TermSheetVersion.as_str()
            || ballot.subject_ref != ballot_subject(id, current.number)
            || ballot.content_hash.as_deref() != Some(current.content_hash.as_str())
        {
            return Err(ApiError::conflict(
                "ballot_other_version",
                format!(
                    "the ballot was on {} {:?}, not on version {} of this term sheet ({}): \
                     open a ballot on the current version",
                    ballot.subject_kind,
                    ballot.subject_ref,
                    current.number,
                    ballot_subject(id, current.number)
                ),
            ));
        }
        let certificate = passed_certificate(conn, &ballot, "this version").await?;
        diesel::update(term_sheets::table.find(id))
            .set((
                term_sheets::state.eq(State::CreditorAgreed.as_str()),
                term_sheets::agreed_version.eq(current.number),
                term_sheets::agreement_ballot.eq(ballot_id),
            ))
            .execute(conn)
            .await?;
        row.state = State::CreditorAgreed.as_str().to_owned();
        row.agreed_version = Some(current.number);
        row.agreement_ballot = Some(ballot_id);
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::TermSheetCreditorsAgreed,
            READERS,
            None,
            &serde_json::json!({
                "term_sheet": TermSheetSummary::of(&row, &current),
                "ballot_id": ballot_id,
                "certificate_hash": certificate.hash,
            }),
        )
        .await?;
        Reply::ok(&TermSheetView::of(&row, &current)?)
    })
    .await
}

/// `POST .../submission`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitOffer {
    /// Calendar days the offer stays open after the day of submission (1–90; default 30).
    #[serde(default)]
    pub valid_for_days: Option<u32>,
}

/// `POST /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/submission` (the
/// coordinator): offers the agreed version to the borrower. Answers 200 with the term sheet, now
/// `submitted`, with the instant its offer lapses.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    request_body = SubmitOffer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = TermSheetView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/submission")]
pub async fn submit_term_sheet(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
    body: JsonBody<SubmitOffer>,
) -> Result<HttpResponse, ApiError> {
    let TermSheetPath {
        workout_id: workout,
        term_sheet_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::AdvanceTermSheet)?;
    let body = body.parse()?;
    let days = body.value.valid_for_days.unwrap_or(OFFER_OPEN_DAYS);
    if !(1..=MAX_OFFER_DAYS).contains(&days) {
        return Err(ApiError::invalid_field(
            "valid_for_days",
            format!("from 1 to {MAX_OFFER_DAYS} calendar days"),
        ));
    }
    let facts = registry.workout(workout).await?;
    let zone = zone_of(&facts.calendar).ok_or_else(|| {
        ApiError::unprocessable(
            "calendar_without_zone",
            format!(
                "the workout's calendar {} has no time zone to count the offer's days in",
                facts.calendar
            ),
        )
    })?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mut row = load_term_sheet(conn, workout, id, true).await?;
        let state = row.state()?;
        let (State::CreditorAgreed, Some(agreed), Some(ballot)) =
            (state, row.agreed_version, row.agreement_ballot)
        else {
            return Err(state_conflict(state, "submit it to the borrower"));
        };
        let version = load_version(conn, id, agreed).await?;
        require_credit_approvals(conn, id, agreed, ballot).await?;
        // As the database keeps it (microseconds): the lapse job names its offer by this instant.
        let now = Utc::now().trunc_subsecs(6);
        let lapses_at = offer_lapses_at(now, days, zone)
            .ok_or_else(|| ApiError::invalid_field("valid_for_days", "out of range"))?;
        diesel::update(term_sheets::table.find(id))
            .set((
                term_sheets::state.eq(State::Submitted.as_str()),
                term_sheets::submitted_version.eq(agreed),
                term_sheets::submitted_at.eq(now),
                term_sheets::lapses_at.eq(lapses_at),
                term_sheets::response.eq(None::<serde_json::Value>),
            ))
            .execute(conn)
            .await?;
        row.state = State::Submitted.as_str().to_owned();
        row.submitted_version = Some(agreed);
        row.submitted_at = Some(now);
        row.lapses_at = Some(lapses_at);
        row.response = None;
        let payload = serde_json::to_value(LapsePayload {
            workout_id: workout.into_uuid(),
            term_sheet_id: id,
            submitted_at: now,
        })
        .map_err(|e| ApiError::Internal(e.into()))?;
        let key = id.to_string();
        scheduler::schedule(conn, LAPSE_JOB, &key, lapses_at, payload.clone()).await?;
        let reminder = lapses_at - LAPSING_BEFORE;
        if reminder > now {
            scheduler::schedule(conn, LAPSING_JOB, &key, reminder, payload).await?;
        } else {
            scheduler::cancel(conn, LAPSING_JOB, &key).await?;
        }
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::TermSheetSubmitted,
            OFFER_READERS,
            None,
            &serde_json::json!({
                "term_sheet": TermSheetSummary::of(&row, &version),
                "valid_for_days": days,
                "lapses_at": lapses_at,
            }),
        )
        .await?;
        Reply::ok(&TermSheetView::of(&row, &version)?)
    })
    .await
}

/// 409 `credit_approvals_missing` unless every creditor that voted for `version` on `ballot` has
/// approved it.
async fn require_credit_approvals(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    version: i32,
    ballot: Uuid,
) -> Result<(), ApiError> {
    let approved: BTreeSet<Uuid> = approvals_of(conn, id, version)
        .await?
        .into_iter()
        .filter(|a| a.decision == "approved")
        .map(|a| a.creditor_id)
        .collect();
    let missing: Vec<String> = votes_of(conn, ballot)
        .await?
        .into_iter()
        .filter(|v| v.choice == "for" && !approved.contains(&v.creditor_id))
        .map(|v| v.creditor_id.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "credit_approvals_missing",
            format!(
                "every creditor that voted for version {version} must record its credit \
                 approval before the offer goes out; none approved yet: {}",
                missing.join(", ")
            ),
        ))
    }
}

/// Moves the workout to `status` in the registry (idempotently, keyed by the term sheet and the
/// status), unless it is there already; 409 `workout_status` when it cannot move there.
pub async fn move_workout(
    registry: &RegistryClient,
    workout: WorkoutId,
    id: Uuid,
    status: WorkoutStatus,
) -> Result<WorkoutStatus, ApiError> {
    let current = registry.workout(workout).await?.status;
    if current == status {
        return Ok(status);
    }
    if !current.may_become(status) {
        return Err(ApiError::conflict(
            "workout_status",
            format!("the workout is {current}: it cannot become {status}"),
        ));
    }
    let change = StatusChange {
        status,
        reason: Some(format!("term sheet {id}: {status}")),
    };
    registry
        .set_status(workout, &change, &format!("term-sheet-{id}-{status}"))
        .await?;
    Ok(status)
}

/// 409 `term_sheet_state`: the term sheet's state does not allow `what`.
pub fn state_conflict(state: State, what: &str) -> ApiError {
    ApiError::conflict(
        "term_sheet_state",
        format!(
            "the term sheet is {}: it is not possible to {what} now",
            state.as_str()
        ),
    )
}

/// A lapse job's payload: the offer it lapses (a later offer has its own `submitted_at`).
#[derive(Debug, Serialize, Deserialize)]
struct LapsePayload {
    workout_id: Uuid,
    term_sheet_id: Uuid,
    submitted_at: DateTime<Utc>,
}

/// The handler of [`LAPSE_JOB`]: the offer lapses unless it was answered (or is another offer).
async fn lapse(conn: &mut AsyncPgConnection, job: &Job) -> anyhow::Result<()> {
    let payload: LapsePayload = serde_json::from_value(job.payload.clone())?;
    let workout = WorkoutId::from_uuid(payload.workout_id);
    let mut row = load_term_sheet(conn, workout, payload.term_sheet_id, true)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if row.state().map_err(|e| anyhow::anyhow!("{e}"))? != State::Submitted
        || row.submitted_at != Some(payload.submitted_at)
    {
        return Ok(());
    }
    diesel::update(term_sheets::table.find(row.id))
        .set(term_sheets::state.eq(State::Lapsed.as_str()))
        .execute(conn)
        .await?;
    row.state = State::Lapsed.as_str().to_owned();
    let version = load_version(
        conn,
        row.id,
        row.submitted_version.unwrap_or(row.current_version),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    record(
        conn,
        Chain::Workout(workout),
        &Actor::service("voting"),
        VotingTopic::TermSheetLapsed,
        OFFER_READERS,
        None,
        &serde_json::json!({
            "term_sheet": TermSheetSummary::of(&row, &version),
            "lapsed_at": row.lapses_at,
        }),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// The handler of [`LAPSING_JOB`]: announces `voting.term_sheet_offer_lapsing` if the offer it
/// was scheduled for is still open (and, run late after downtime, has not lapsed as of `now`).
async fn announce_lapsing(
    conn: &mut AsyncPgConnection,
    job: &Job,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let payload: LapsePayload = serde_json::from_value(job.payload.clone())?;
    let workout = WorkoutId::from_uuid(payload.workout_id);
    let row = load_term_sheet(conn, workout, payload.term_sheet_id, true)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if row.state().map_err(|e| anyhow::anyhow!("{e}"))? != State::Submitted
        || row.submitted_at != Some(payload.submitted_at)
        || row.lapses_at.is_none_or(|at| now >= at)
    {
        return Ok(());
    }
    let version = load_version(
        conn,
        row.id,
        row.submitted_version.unwrap_or(row.current_version),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    record(
        conn,
        Chain::Workout(workout),
        &Actor::service("voting"),
        VotingTopic::TermSheetOfferLapsing,
        OFFER_READERS,
        None,
        &serde_json::json!({
            "term_sheet": TermSheetSummary::of(&row, &version),
            "lapses_at": row.lapses_at,
        }),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Registers the term sheets' jobs on `scheduler`.
pub fn register_jobs(scheduler: Scheduler) -> Scheduler {
    scheduler
        .register(LAPSE_JOB, |conn, job, _now| Box::pin(lapse(conn, job)))
        .register(LAPSING_JOB, |conn, job, now| {
            Box::pin(announce_lapsing(conn, job, now))
        })
}
