//! The offer to the borrower: the version submitted to it, read by the borrower, guarantors,
//! creditors and the coordinator; and the borrower's answer (5.3.1 O v–vi). See the module rules
//! in [`super`] and [`super::lifecycle`].
//!
//! Rules:
//! - Only the borrower answers, only an offer that is out (`submitted`) and only before it lapses
//!   (409 `offer_not_open`, 409 `offer_lapsed` from the lapse instant on, even before the lapse job
//!   has run).
//! - `accept` agrees the terms: the registry moves the workout to `agreed`, in the same use case.
//!   `reject` needs reasons. `counter_propose` gives the full content of a counter-proposal, saved
//!   as the next version (by the borrower's user), state `countered`: it is negotiated among the
//!   creditors again and needs its own ballot before a new offer.
//! - Before the first submission there is no offer: 404 `offer`, as for a missing term sheet.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::term_sheet::TermSheet;
use workout_domain::{Action, VotingTopic, WorkoutStatus, text};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record, scheduler};

use super::lifecycle::{LAPSE_JOB, LAPSING_JOB, OFFER_READERS, move_workout};
use super::steps::{Step, steps_of};
use super::{
    State, TermSheetPath, TermSheetRow, TermSheetSummary, VersionRow, VersionView, load_term_sheet,
    load_version, save_version,
};
use crate::schema::term_sheets;

/// The borrower's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The terms are agreed.
    Accept,
    /// The offer is refused, with reasons.
    Reject,
    /// A counter-proposal: a new version.
    CounterPropose,
}

/// `POST .../offer/response`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondToOffer {
    /// The decision.
    pub decision: Decision,
    /// Why (required to reject), 1–2000 characters.
    #[serde(default)]
    pub reasons: Option<String>,
    /// The full content of the counter-proposal (only, and required, to counter-propose).
    #[serde(default)]
    pub counter_proposal: Option<TermSheet>,
}

/// The borrower's answer as it is kept.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Response {
    /// The decision.
    pub decision: Decision,
    /// The reasons given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
    /// The version of the counter-proposal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_version: Option<i32>,
    /// By (the borrower's user).
    pub by: Uuid,
    /// When.
    pub at: DateTime<Utc>,
}

/// Where the offer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Out, waiting for the borrower's answer.
    Open,
    /// Accepted: the terms are agreed (see `steps` for what followed).
    Accepted,
    /// Rejected with reasons.
    Rejected,
    /// Answered with a counter-proposal.
    Countered,
    /// Not accepted in time.
    Lapsed,
}

/// The last offer made to the borrower.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OfferView {
    /// The term sheet.
    pub term_sheet_id: Uuid,
    /// Its title.
    pub title: String,
    /// Where the offer stands.
    pub status: OfferStatus,
    /// The version offered (content and content hash).
    pub version: VersionView,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
    /// When it lapses (or lapsed) unless accepted.
    pub lapses_at: DateTime<Utc>,
    /// The borrower's answer.
    pub response: Option<Response>,
    /// After acceptance: initialled, documented, signed, effective.
    pub steps: Vec<Step>,
}

fn response_of(row: &TermSheetRow) -> Result<Option<Response>, ApiError> {
    row.response
        .clone()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("term sheet {}: response: {e}", row.id)))
}

fn offer_view(row: &TermSheetRow, version: &VersionRow) -> Result<OfferView, ApiError> {
    let (Some(submitted_at), Some(lapses_at)) = (row.submitted_at, row.lapses_at) else {
        return Err(ApiError::NotFound("offer"));
    };
    let response = response_of(row)?;
    let status = match (row.state()?, &response) {
        (State::Submitted, _) => OfferStatus::Open,
        (State::Lapsed, _) => OfferStatus::Lapsed,
        (_, Some(r)) => match r.decision {
            Decision::Accept => OfferStatus::Accepted,
            Decision::Reject => OfferStatus::Rejected,
            Decision::CounterPropose => OfferStatus::Countered,
        },
        // Revised after a lapse: the last offer lapsed.
        (_, None) => OfferStatus::Lapsed,
    };
    Ok(OfferView {
        term_sheet_id: row.id,
        title: row.title.clone(),
        status,
        version: VersionView::of(version)?,
        submitted_at,
        lapses_at,
        response,
        steps: steps_of(row)?,
    })
}

/// `GET /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/offer` (the borrower,
/// guarantors, creditors and the coordinator): the last offer made to the borrower and what
/// became of it; 404 `offer` before the first submission.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    responses((status = 200, body = OfferView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/offer")]
pub async fn get_offer(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
) -> Result<HttpResponse, ApiError> {
    let TermSheetPath {
        workout_id: workout,
        term_sheet_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ReadOffer)?;
    let mut conn = pool.get().await?;
    let row = load_term_sheet(&mut conn, workout, id, false).await?;
    let number = row.submitted_version.ok_or(ApiError::NotFound("offer"))?;
    let version = load_version(&mut conn, id, number).await?;
    Ok(HttpResponse::Ok().json(offer_view(&row, &version)?))
}

/// `POST /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/offer/response` (the
/// borrower): accepts, rejects with reasons, or counter-proposes the offer while it is open.
/// Answers 200 with the offer.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    request_body = RespondToOffer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = OfferView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/offer/response")]
pub async fn respond_to_offer(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
    body: JsonBody<RespondToOffer>,
) -> Result<HttpResponse, ApiError> {
    let TermSheetPath {
        workout_id: workout,
        term_sheet_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::RespondToOffer)?;
    let body = body.parse()?;
    let input = &body.value;
    let reasons = checked(input)?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mut row = load_term_sheet(conn, workout, id, true).await?;
        let number = row.submitted_version.ok_or(ApiError::NotFound("offer"))?;
        let state = row.state()?;
        if state != State::Submitted {
            return Err(ApiError::conflict(
                "offer_not_open",
                format!(
                    "the term sheet is {}: no offer is waiting for an answer",
                    state.as_str()
                ),
            ));
        }
        let now = Utc::now();
        if let Some(lapses_at) = row.lapses_at
            && now >= lapses_at
        {
            return Err(ApiError::conflict(
                "offer_lapsed",
                format!("the offer lapsed at {lapses_at}"),
            ));
        }
        let offered = load_version(conn, id, number).await?;
        let by = caller.user_id.into_uuid();
        let (next, counter, topic) = match (input.decision, &input.counter_proposal) {
            (Decision::CounterPropose, Some(content)) => {
                let version = save_version(conn, &mut row, content, by, State::Countered).await?;
                (
                    State::Countered,
                    Some(version),
                    VotingTopic::TermSheetCounterProposed,
                )
            }
            (Decision::Accept, _) => (State::Accepted, None, VotingTopic::TermSheetAccepted),
            _ => (State::Rejected, None, VotingTopic::TermSheetRejected),
        };
        let response = Response {
            decision: input.decision,
            reasons: reasons.clone(),
            counter_version: counter.as_ref().map(|v| v.number),
            by,
            at: now,
        };
        let stored = serde_json::to_value(&response).map_err(|e| ApiError::Internal(e.into()))?;
        diesel::update(term_sheets::table.find(id))
            .set((
                term_sheets::state.eq(next.as_str()),
                term_sheets::response.eq(&stored),
            ))
            .execute(conn)
            .await?;
        row.state = next.as_str().to_owned();
        row.response = Some(stored);
        scheduler::cancel(conn, LAPSE_JOB, &id.to_string()).await?;
        scheduler::cancel(conn, LAPSING_JOB, &id.to_string()).await?;
        let workout_status = if next == State::Accepted {
            Some(move_workout(&registry, workout, id, WorkoutStatus::Agreed).await?)
        } else {
            None
        };
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            topic,
            OFFER_READERS,
            None,
            &serde_json::json!({
                "term_sheet": TermSheetSummary::of(&row, &offered),
                "response": response,
                "counter_proposal": counter.as_ref().map(|v| TermSheetSummary::of(&row, v)),
                "workout_status": workout_status,
            }),
        )
        .await?;
        Reply::ok(&offer_view(&row, &offered)?)
    })
    .await
}

/// The reasons, checked against the decision: required to reject; the counter-proposal's content
/// required to counter-propose and refused otherwise.
fn checked(input: &RespondToOffer) -> Result<Option<String>, ApiError> {
    match (input.decision, &input.counter_proposal) {
        (Decision::CounterPropose, None) => {
            return Err(ApiError::invalid_field(
                "counter_proposal",
                "give the full content of the counter-proposal",
            ));
        }
        (Decision::Accept | Decision::Reject, Some(_)) => {
            return Err(ApiError::invalid_field(
                "counter_proposal",
                "only a counter-proposal has content",
            ));
        }
        _ => {}
    }
    let reasons = input
        .reasons
        .as_deref()
        .map(|r| text::LONG_REASON.parse(r).map(text::Text::into_string))
        .transpose()
        .map_err(|e| ApiError::invalid_field("reasons", e.to_string()))?;
    if input.decision == Decision::Reject && reasons.is_none() {
        return Err(ApiError::invalid_field(
            "reasons",
            "a rejection gives its reasons",
        ));
    }
    Ok(reasons)
}
