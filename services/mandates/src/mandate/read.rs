//! Reading a mandate: its state, nominee and consent round, coordinator, due dates (each naming its
//! rule) and renewals. Every participant of the workout reads it; an outsider gets 404.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;
use workout_domain::{Action, Deadline, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller};
use workout_store::Pool;

use super::{MandateRow, Nomination, Settings, State, calendar_of, load_mandate};
use crate::schema::{consents, renewal_responses, renewals};

/// A creditor's answer in a round or on a renewal.
#[derive(Debug, Serialize, Queryable, utoipa::ToSchema)]
pub struct Answer {
    /// The creditor.
    pub creditor_id: Uuid,
    /// Accepted (or objected).
    pub accepted: bool,
    /// Why.
    pub reason: Option<String>,
    /// By (user).
    pub given_by: Uuid,
    /// When.
    pub given_at: DateTime<Utc>,
}

/// A stored proposal: id, months, rationale, proposer, when, state, decided, window.
type ProposalRow = (
    Uuid,
    i32,
    String,
    Uuid,
    DateTime<Utc>,
    String,
    Option<DateTime<Utc>>,
    serde_json::Value,
);

/// A renewal proposal.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RenewalView {
    /// Id.
    pub id: Uuid,
    /// Months asked.
    pub months: i32,
    /// Why.
    pub rationale: String,
    /// Proposing institution.
    pub proposer_id: Uuid,
    /// When.
    pub proposed_at: DateTime<Utc>,
    /// `open`, `passed` or `failed`.
    pub state: String,
    /// When decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// The last day it may be decided (`MANDATE_RENEWAL_CUTOFF`).
    #[schema(value_type = Object)]
    pub window_closes: serde_json::Value,
    /// The answers.
    pub answers: Vec<Answer>,
}

/// A mandate as every participant reads it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MandateView {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// State.
    pub state: State,
    /// The nomination round.
    pub round: i32,
    /// The nominee of the round.
    pub nominee_id: Option<Uuid>,
    /// How it was nominated, the snapshot's order and the round's voters; absent while the
    /// mandate is `opened` (not started).
    pub nomination: Option<Nomination>,
    /// The answers of the round.
    pub consents: Vec<Answer>,
    /// The appointed coordinator.
    pub coordinator_id: Option<Uuid>,
    /// The workout's opening date.
    pub opened_on: NaiveDate,
    /// The appointment's due date (`COORDINATOR_APPOINTMENT`).
    #[schema(value_type = Object)]
    pub appointment_due: Deadline,
    /// Whether the appointment is late (not blocked: reported).
    pub appointment_overdue: bool,
    /// The appointment's date.
    pub appointed_on: Option<NaiveDate>,
    /// The term's end (`MANDATE_MAX_TERM`, moved by `MANDATE_RENEWAL_STEP`).
    #[schema(value_type = Option<Object>)]
    pub term_end: Option<Deadline>,
    /// The last day a renewal may be decided (`MANDATE_RENEWAL_CUTOFF`).
    #[schema(value_type = Option<Object>)]
    pub renewal_cutoff: Option<Deadline>,
    /// Renewals made.
    pub renewals: i32,
    /// The rules in force.
    pub settings: Settings,
    /// Renewal proposals, oldest first.
    pub renewal_proposals: Vec<RenewalView>,
    /// The facility agent after completion: the creditors' decision, and the agent once the
    /// workout is effective.
    pub agent: Option<super::agent::AgentView>,
}

/// The view of `row` as of `today`.
pub async fn view_of(
    conn: &mut AsyncPgConnection,
    row: &MandateRow,
    today: NaiveDate,
) -> Result<MandateView, ApiError> {
    let settings = row.settings()?;
    let appointment_due = row.appointment_due()?;
    let term_end = row.term_end()?;
    let renewal_cutoff = match &term_end {
        Some(end) => Some(
            settings
                .rules
                .renewal_cutoff(end.due, calendar_of(&end.calendar)?)
                .map_err(super::calendar_fault)?,
        ),
        None => None,
    };
    let consents = consents::table
        .filter(consents::mandate_id.eq(row.id))
        .filter(consents::round.eq(row.round))
        .order(consents::given_at.asc())
        .select((
            consents::creditor_id,
            consents::accepted,
            consents::reason,
            consents::given_by,
            consents::given_at,
        ))
        .load::<Answer>(conn)
        .await?;
    let proposals = renewals::table
        .filter(renewals::mandate_id.eq(row.id))
        .order(renewals::proposed_at.asc())
        .select((
            renewals::id,
            renewals::months,
            renewals::rationale,
            renewals::proposer_id,
            renewals::proposed_at,
            renewals::state,
            renewals::decided_at,
            renewals::window_closes,
        ))
        .load::<ProposalRow>(conn)
        .await?;
    let mut renewal_proposals = Vec::with_capacity(proposals.len());
    for (id, months, rationale, proposer_id, proposed_at, state, decided_at, window_closes) in
        proposals
    {
        let answers = renewal_responses::table
            .filter(renewal_responses::renewal_id.eq(id))
            .order(renewal_responses::given_at.asc())
            .select((
                renewal_responses::creditor_id,
                renewal_responses::accepted,
                renewal_responses::reason,
                renewal_responses::given_by,
                renewal_responses::given_at,
            ))
            .load::<Answer>(conn)
            .await?;
        renewal_proposals.push(RenewalView {
            id,
            months,
            rationale,
            proposer_id,
            proposed_at,
            state,
            decided_at,
            window_closes,
            answers,
        });
    }
    Ok(MandateView {
        id: row.id,
        workout_id: row.workout_id,
        state: row.state()?,
        round: row.round,
        nominee_id: row.nominee_id,
        nomination: if row.state()? == State::Opened {
            None
        } else {
            Some(row.nomination()?)
        },
        consents,
        coordinator_id: row.coordinator_id,
        opened_on: row.opened_on,
        appointment_overdue: row.appointed_on.is_none() && appointment_due.is_overdue(today),
        appointment_due,
        appointed_on: row.appointed_on,
        term_end,
        renewal_cutoff,
        renewals: row.renewals,
        settings,
        renewal_proposals,
        agent: super::agent::agent_of(conn, row.id).await?,
    })
}

/// `GET /mandates/v1/workouts/{workout_id}/mandate` (any participant): the mandate with its due
/// dates; 404 `mandate` before one was started.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    responses((status = 200, body = MandateView), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/mandate")]
pub async fn get_mandate(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ReadMandate)?;
    let facts = registry.workout(workout).await?;
    let mut conn = pool.get().await?;
    let row = load_mandate(&mut conn, workout, false).await?;
    let view = view_of(&mut conn, &row, super::today(&facts.calendar, Utc::now())).await?;
    Ok(HttpResponse::Ok().json(view))
}
