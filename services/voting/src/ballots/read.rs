//! Reading ballots: the list, one ballot as the caller may see it, and its certificate. See the
//! visibility rules in [`super`].

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::voting::{Certificate, Choice, Outcome, Position, Rule, position};
use workout_domain::{Action, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{Access, ApiError, Caller, Page, PageQuery};
use workout_store::Pool;

use super::{
    BallotOptions, BallotRow, ClosingDeadline, ClosureRow, Lock, VoteRow, VoterRow, choice_of,
    choices, closure_of, engine_voters, load_ballot, tally_fault, voters_of, votes_of,
};
use crate::schema::ballots;

/// `/workouts/{workout_id}/ballots/{ballot_id}`.
#[derive(Debug, Deserialize)]
pub struct BallotPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The ballot.
    pub ballot_id: Uuid,
}

/// How many eligible creditors have voted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Turnout {
    /// Eligible creditors (related parties and the conflicted excluded as the rule says).
    pub eligible: usize,
    /// Of those, how many have voted.
    pub voted: usize,
}

/// A creditor's effective vote.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoteView {
    /// The creditor.
    pub creditor_id: Uuid,
    /// Its choice.
    pub choice: Choice,
    /// Its comment.
    pub comment: Option<String>,
    /// The user who cast it.
    pub cast_by: Uuid,
    /// When (the last change).
    pub cast_at: DateTime<Utc>,
    /// How often it was changed.
    pub changes: i32,
}

/// How a ballot closed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClosedView {
    /// When.
    pub closed_at: DateTime<Utc>,
    /// `deadline`, `coordinator` or `decided` (its outcome could no longer change).
    pub closed_how: String,
    /// The result: per class (or the pool) and overall, with the numbers behind it.
    pub outcome: Outcome,
    /// The certificate's SHA-256.
    pub certificate_hash: String,
}

/// A ballot as the caller may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BallotView {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// What is decided.
    pub subject_kind: String,
    /// The thing voted on.
    pub subject_ref: String,
    /// The document's SHA-256.
    pub content_hash: Option<String>,
    /// The question.
    pub title: String,
    /// The rule.
    pub rule: Rule,
    /// The preset it came from.
    pub preset: Option<String>,
    /// The frozen snapshot the voters and weights come from.
    pub snapshot_id: Uuid,
    /// Its content hash.
    pub snapshot_hash: String,
    /// Its record date.
    pub record_date: NaiveDate,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// Closes (or closed at the latest).
    pub closes_at: DateTime<Utc>,
    /// How `closes_at` was set.
    pub deadline: ClosingDeadline,
    /// Options.
    pub options: BallotOptions,
    /// `open` or `closed`.
    pub status: String,
    /// How many have voted.
    pub turnout: Turnout,
    /// The caller's institution's own vote, if it is a voter and has voted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_vote: Option<VoteView>,
    /// Every effective vote: for the coordinator, and for everyone after the close unless votes
    /// are hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub votes: Option<Vec<VoteView>>,
    /// The live position (the coordinator, while open): what is still needed and who is pivotal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// The close and result, once closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<ClosedView>,
}

/// What an event announces of a ballot (no votes, no weights).
#[derive(Debug, Serialize)]
pub struct BallotSummary {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// What is decided.
    pub subject_kind: String,
    /// The thing voted on.
    pub subject_ref: String,
    /// The question.
    pub title: String,
    /// Closes.
    pub closes_at: DateTime<Utc>,
    /// Whether it passed, once closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
}

impl BallotSummary {
    /// What an event announces of `ballot` (with its result, once closed).
    pub fn of(ballot: &BallotRow, passed: Option<bool>) -> Self {
        Self {
            id: ballot.id,
            workout_id: ballot.workout_id,
            subject_kind: ballot.subject_kind.clone(),
            subject_ref: ballot.subject_ref.clone(),
            title: ballot.title.clone(),
            closes_at: ballot.closes_at,
            passed,
        }
    }
}

/// A ballot in a list.
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = ballots)]
pub struct BallotItem {
    /// Id.
    pub id: Uuid,
    /// What is decided.
    pub subject_kind: String,
    /// The thing voted on.
    pub subject_ref: String,
    /// The question.
    pub title: String,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// Closes.
    pub closes_at: DateTime<Utc>,
}

/// The ballot `row` as `access` may see it.
pub async fn view_of(
    conn: &mut AsyncPgConnection,
    row: &BallotRow,
    access: &Access,
) -> Result<BallotView, ApiError> {
    let voter_rows = voters_of(conn, row.id).await?;
    let vote_rows = votes_of(conn, row.id).await?;
    let closure = closure_of(conn, row.id).await?;
    view_from(row, access, &voter_rows, &vote_rows, closure)
}

/// The ballot `row` as `access` may see it, from its voters, votes and closure as read.
pub fn view_from(
    row: &BallotRow,
    access: &Access,
    voter_rows: &[VoterRow],
    vote_rows: &[VoteRow],
    closure: Option<ClosureRow>,
) -> Result<BallotView, ApiError> {
    let rule = row.rule()?;
    let options = row.options()?;
    let voters = engine_voters(voter_rows)?;
    let choices = choices(vote_rows)?;
    let live = position(&rule, &voters, &choices).map_err(tally_fault)?;
    let excluded: std::collections::BTreeSet<_> =
        live.outcome.excluded.iter().map(|e| e.creditor).collect();
    let mut eligible: Vec<_> = voters
        .iter()
        .map(|v| v.creditor)
        .filter(|c| !excluded.contains(c))
        .collect();
    eligible.dedup();
    let turnout = Turnout {
        eligible: eligible.len(),
        voted: eligible.iter().filter(|c| choices.contains_key(c)).count(),
    };
    let sees_votes =
        access.may(Action::ReadIndividualVotes) || (closure.is_some() && !options.hidden_votes);
    let views: Vec<VoteView> = vote_rows
        .iter()
        .map(|v| {
            Ok(VoteView {
                creditor_id: v.creditor_id,
                choice: choice_of(&v.choice)?,
                comment: v.comment.clone(),
                cast_by: v.cast_by,
                cast_at: v.cast_at,
                changes: v.changes,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let own = access.institution.into_uuid();
    let own_vote = views.iter().find(|v| v.creditor_id == own).cloned();
    let closed = closure
        .map(|c| {
            let certificate: Certificate = serde_json::from_value(c.certificate).map_err(|e| {
                ApiError::Internal(anyhow::anyhow!("ballot {}: certificate: {e}", row.id))
            })?;
            Ok::<_, ApiError>(ClosedView {
                closed_at: c.closed_at,
                closed_how: c.closed_how,
                outcome: certificate.outcome,
                certificate_hash: certificate.hash,
            })
        })
        .transpose()?;
    Ok(BallotView {
        id: row.id,
        workout_id: row.workout_id,
        subject_kind: row.subject_kind.clone(),
        subject_ref: row.subject_ref.clone(),
        content_hash: row.content_hash.clone(),
        title: row.title.clone(),
        rule,
        preset: row.preset.clone(),
        snapshot_id: row.snapshot_id,
        snapshot_hash: row.snapshot_hash.clone(),
        record_date: row.record_date,
        opened_at: row.opened_at,
        closes_at: row.closes_at,
        deadline: row.deadline()?,
        options,
        status: if closed.is_some() { "closed" } else { "open" }.to_owned(),
        turnout,
        own_vote,
        votes: sees_votes.then_some(views),
        position: (closed.is_none() && access.may(Action::ReadIndividualVotes)).then_some(live),
        closed,
    })
}

/// `GET /voting/v1/workouts/{workout_id}/ballots` (any participant): the workout's ballots,
/// oldest first, a page.
#[utoipa::path(tag = "ballots", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<BallotItem>), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/ballots")]
pub async fn list_ballots(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ReadBallots)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let rows: Vec<BallotItem> = ballots::table
        .filter(ballots::workout_id.eq(workout.into_uuid()))
        .filter(ballots::id.gt(window.after))
        .order(ballots::id.asc())
        .limit(window.fetch())
        .select(BallotItem::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |b: &BallotItem| b.id)))
}

/// `GET /voting/v1/workouts/{workout_id}/ballots/{ballot_id}` (any participant): the ballot as
/// the caller may see it.
#[utoipa::path(tag = "ballots", security(("bearer" = [])),
    responses((status = 200, body = BallotView), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/ballots/{ballot_id}")]
pub async fn get_ballot(
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
    access.require(Action::ReadBallots)?;
    let mut conn = pool.get().await?;
    let row = load_ballot(&mut conn, workout, ballot_id, Lock::None).await?;
    Ok(HttpResponse::Ok().json(view_of(&mut conn, &row, &access).await?))
}

/// `GET /voting/v1/workouts/{workout_id}/ballots/{ballot_id}/certificate` (the coordinator; after
/// the close, the borrower and the creditors too unless votes are hidden: it shows every
/// creditor's weight, so not to advisors, observers or guarantors): the result certificate, 409
/// `ballot_open` before the close. Verify it with `workoutd verify-certificate FILE` or
/// `POST /voting/v1/certificates/verify`.
#[utoipa::path(tag = "ballots", security(("bearer" = [])),
    responses((status = 200, body = Certificate), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/ballots/{ballot_id}/certificate")]
pub async fn get_certificate(
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
    access.require(Action::ReadBallots)?;
    // It shows every creditor's voting weight: only to those who see positions.
    access.positions()?;
    let mut conn = pool.get().await?;
    let row = load_ballot(&mut conn, workout, ballot_id, Lock::None).await?;
    if row.options()?.hidden_votes {
        access.require(Action::ReadIndividualVotes)?;
    }
    let closure = closure_of(&mut conn, row.id).await?.ok_or_else(|| {
        ApiError::conflict(
            "ballot_open",
            "the ballot is open: its certificate is issued at the close",
        )
    })?;
    Ok(HttpResponse::Ok().json(closure.certificate))
}
