//! Renewals: a creditor or the coordinator proposes a renewal of at most 3 months (a count limit,
//! before the window closes); the other creditors answer under the same consent rule, evaluated by
//! the voting engine in-service (the same rule and tally as a ballot, without a ballot's record
//! date and deadline: the window's cut-off is the deadline). See the module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::mandates::consent_voters;
use workout_domain::text;
use workout_domain::voting::{Voter, decided};
use workout_domain::{Action, InstitutionId, MandatesTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody, input};
use workout_store::audit::Actor;
use workout_store::{Pool, Reply, idempotency};

use super::nomination::{Consent, answer_reason, choices, schedule_term_jobs};
use super::read::{MandateView, view_of};
use super::{
    MandateRow, State, announce, breach, calendar_fault, calendar_of, from_json, load_mandate,
    to_json, today,
};
use crate::schema::{mandates, renewal_responses, renewals};

/// `POST .../mandate/renewals`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeRenewal {
    /// Months, at most 3 (`MANDATE_RENEWAL_STEP`).
    pub months: u32,
    /// Why, 1–500 characters.
    pub rationale: String,
}

/// A renewal's path.
#[derive(Debug, Deserialize)]
pub struct RenewalPath {
    /// Workout.
    pub workout_id: WorkoutId,
    /// Renewal proposal.
    pub renewal_id: Uuid,
}

/// `POST /mandates/v1/workouts/{workout_id}/mandate/renewals` (a creditor or the coordinator,
/// during the term): proposes a renewal. Answers 201 with the mandate; 422 naming the rule
/// (`mandate_renewal_step`, `mandate_renewals_allowed`, `mandate_renewal_cutoff`); 409
/// `renewal_open` or `mandate_not_active`.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    request_body = ProposeRenewal,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = MandateView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/mandate/renewals")]
pub async fn propose_renewal(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<ProposeRenewal>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ProposeMandateRenewal)?;
    let body = body.parse()?;
    let rationale = input::text("rationale", text::REASON, &body.value.rationale)?;
    let months = body.value.months;
    let facts = registry.workout(workout).await?;
    let now = Utc::now();
    let day = today(&facts.calendar, now);
    let snapshot = registry.snapshot(workout, day).await?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mandate = load_mandate(conn, workout, true).await?;
        let (Some(coordinator), Some(term_end), State::Active) = (
            mandate.coordinator_id,
            mandate.term_end()?,
            mandate.state()?,
        ) else {
            return Err(ApiError::conflict(
                "mandate_not_active",
                "no coordinator's term is running with its renewal window open",
            ));
        };
        let rules = mandate.settings()?.rules;
        let window = rules
            .check_renewal(
                months,
                u32::try_from(mandate.renewals).unwrap_or(u32::MAX),
                term_end.due,
                day,
                calendar_of(&facts.calendar)?,
            )
            .map_err(|e| breach(&e))?;
        let voters = consent_voters(snapshot.creditors(), InstitutionId::from_uuid(coordinator));
        let id = Uuid::now_v7();
        let inserted = diesel::insert_into(renewals::table)
            .values((
                renewals::id.eq(id),
                renewals::mandate_id.eq(mandate.id),
                renewals::months.eq(i32::try_from(months).unwrap_or(i32::MAX)),
                renewals::rationale.eq(&rationale),
                renewals::proposed_by.eq(caller.user_id.into_uuid()),
                renewals::proposer_id.eq(caller.institution_id.into_uuid()),
                renewals::proposed_at.eq(now),
                renewals::voters.eq(to_json(&voters)?),
                renewals::window_closes.eq(to_json(&window)?),
                renewals::state.eq("open"),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if inserted == 0 {
            return Err(ApiError::conflict(
                "renewal_open",
                "a renewal proposal is open already",
            ));
        }
        announce(
            conn,
            workout,
            &Actor::from(&caller),
            MandatesTopic::RenewalProposed,
            &serde_json::json!({
                "mandate_id": mandate.id, "renewal_id": id, "months": months,
                "rationale": rationale, "window_closes": window,
            }),
        )
        .await?;
        Reply::created(
            format!("/mandates/v1/workouts/{workout}/mandate"),
            &view_of(conn, &mandate, day).await?,
        )
    })
    .await
}

/// `POST /mandates/v1/workouts/{workout_id}/mandate/renewals/{renewal_id}/responses` (another
/// creditor than the coordinator): accepts or objects, once; when the rule passes the term is
/// extended. Answers 200 with the mandate; 422 `mandate_renewal_cutoff` after the window closed;
/// 409 `renewal_decided` or `already_answered`.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    request_body = Consent,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = MandateView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/mandate/renewals/{renewal_id}/responses")]
pub async fn answer_renewal(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<RenewalPath>,
    body: JsonBody<Consent>,
) -> Result<HttpResponse, ApiError> {
    let RenewalPath {
        workout_id: workout,
        renewal_id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::AnswerMandate)?;
    let body = body.parse()?;
    let reason = answer_reason(&body.value)?;
    let accepted = body.value.accept;
    let facts = registry.workout(workout).await?;
    let creditor = caller.institution_id;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mandate = load_mandate(conn, workout, true).await?;
        let (state, voters, months): (String, serde_json::Value, i32) = renewals::table
            .find(renewal_id)
            .filter(renewals::mandate_id.eq(mandate.id))
            .select((renewals::state, renewals::voters, renewals::months))
            .first(conn)
            .await
            .optional()?
            .ok_or(ApiError::NotFound("renewal"))?;
        if state != "open" {
            return Err(ApiError::conflict(
                "renewal_decided",
                "this renewal proposal is decided",
            ));
        }
        let voters: Vec<Voter> = from_json(&voters, "renewal voters")?;
        if !voters.iter().any(|v| v.creditor == creditor) {
            return Err(ApiError::Forbidden(
                "only the creditors other than the coordinator answer a renewal".to_owned(),
            ));
        }
        let now = Utc::now();
        let day = today(&facts.calendar, now);
        let calendar = calendar_of(&facts.calendar)?;
        let term_end = mandate
            .term_end()?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("an open renewal without a term")))?;
        let settings = mandate.settings()?;
        settings
            .rules
            .check_window(term_end.due, day, calendar)
            .map_err(|e| breach(&e))?;
        let inserted = diesel::insert_into(renewal_responses::table)
            .values((
                renewal_responses::renewal_id.eq(renewal_id),
                renewal_responses::creditor_id.eq(creditor.into_uuid()),
                renewal_responses::accepted.eq(accepted),
                renewal_responses::reason.eq(&reason),
                renewal_responses::given_by.eq(caller.user_id.into_uuid()),
                renewal_responses::given_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if inserted == 0 {
            return Err(ApiError::conflict(
                "already_answered",
                "your institution answered this renewal proposal already",
            ));
        }
        announce(
            conn,
            workout,
            &Actor::from(&caller),
            MandatesTopic::RenewalAnswered,
            &serde_json::json!({
                "mandate_id": mandate.id, "renewal_id": renewal_id, "creditor_id": creditor,
                "accepted": accepted, "reason": reason,
            }),
        )
        .await?;
        let answers: Vec<(Uuid, bool)> = renewal_responses::table
            .filter(renewal_responses::renewal_id.eq(renewal_id))
            .select((renewal_responses::creditor_id, renewal_responses::accepted))
            .load(conn)
            .await?;
        let rule = settings.rules.consent_rule;
        let result = decided(&rule.rule(), &voters, &choices(&answers))
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("renewal tally: {e}")))?;
        let Some(passed) = result else {
            return Reply::ok(&view_of(conn, &mandate, day).await?);
        };
        diesel::update(renewals::table.find(renewal_id))
            .set((
                renewals::state.eq(if passed { "passed" } else { "failed" }),
                renewals::decided_at.eq(Some(now)),
            ))
            .execute(conn)
            .await?;
        let mut updated = mandate.clone();
        let mut new_end = None;
        if passed {
            let months = u32::try_from(months).unwrap_or(0);
            let end = settings
                .rules
                .renewed_end(term_end.due, months, calendar)
                .map_err(calendar_fault)?;
            updated = diesel::update(mandates::table.find(mandate.id))
                .set((
                    mandates::term_end.eq(Some(to_json(&end)?)),
                    mandates::renewals.eq(mandate.renewals + 1),
                    mandates::updated_at.eq(now),
                ))
                .returning(MandateRow::as_returning())
                .get_result(conn)
                .await?;
            schedule_term_jobs(conn, &updated, &facts.calendar).await?;
            new_end = Some(end);
        }
        announce(
            conn,
            workout,
            &Actor::service("mandates"),
            MandatesTopic::RenewalDecided,
            &serde_json::json!({
                "mandate_id": mandate.id, "renewal_id": renewal_id, "passed": passed,
                "rule": rule.as_str(), "term_end": new_end,
            }),
        )
        .await?;
        Reply::ok(&view_of(conn, &updated, day).await?)
    })
    .await
}
