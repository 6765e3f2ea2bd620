//! FX rates, record-date snapshots of exposures, hold-the-line drift, and the borrower's
//! information requests.
//!
//! Rules: the coordinator enters rates per date (units of the base currency per unit); a snapshot
//! as of a date uses the facilities in force at the end of that date and the rates of the latest
//! date on or before it on which rates were entered — every currency that occurs needs a rate
//! there, and a missing one is a 422 naming the currencies, never a silent 1.0. The coordinator and
//! the borrower see every creditor's line; a creditor sees its own line and the totals. Other
//! services read the full snapshot with a service token (voting weights come from it).
//! Information requests are due 15 calendar days after sending unless the coordinator sets
//! another date; two consecutive missed requests flag the borrower as possibly non-cooperative.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::cooperation::{self, InformationRequest};
use workout_domain::exposure::{
    self, CreditorDrift, CreditorPosition, CreditorSnapshot, FxTable, Snapshot,
};
use workout_domain::{
    Action, CreditorClass, Currency, InstitutionId, PositionView, RegistryTopic, WorkoutId,
};
use workout_http::{ApiError, Caller, FieldError, JsonBody, ServiceCaller};
use workout_store::Reply;

use crate::RegistryState;
use crate::facilities::{end_of, facilities_at};
use crate::schema::{fx_rates, information_requests, workouts};
use crate::workouts::{Membership, decide, membership};

/// Rates for one date.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatesOfDay {
    /// Units of the base currency per one unit of each currency, e.g. `{"USD": "3.75"}`.
    pub rates: BTreeMap<String, String>,
}

fn table_of(
    base: Currency,
    date: NaiveDate,
    rows: &[(String, Decimal)],
) -> Result<FxTable, ApiError> {
    let mut table = FxTable::new(base, date);
    for (currency, rate) in rows {
        let currency = Currency::parse(currency)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored currency: {e}")))?;
        table
            .insert(currency, *rate)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored rate: {e}")))?;
    }
    Ok(table)
}

fn base_of(member: &Membership) -> Result<Currency, ApiError> {
    Currency::parse(&member.workout.base_currency)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored base currency: {e}")))
}

/// `PUT /registry/v1/workouts/{workout_id}/fx-rates/{date}` (coordinator): sets the rates of a date
/// (currencies not named keep their rate).
#[utoipa::path(put, path = "/registry/v1/workouts/{workout_id}/fx-rates/{date}", tag = "exposures", security(("bearer" = [])),
    request_body = RatesOfDay,
    responses((status = 200, body = RatesOfDay), (status = 403, body = workout_http::Problem)))]
pub async fn set_rates(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, NaiveDate)>,
    body: JsonBody<RatesOfDay>,
) -> Result<HttpResponse, ApiError> {
    let (workout, date) = path.into_inner();
    let action = Some(Action::SetFxRates);
    decide(
        &state,
        &req,
        &caller,
        &body.fingerprint,
        workout,
        action,
        async |conn, member| {
            let base = base_of(&member)?;
            let mut errors = Vec::new();
            let mut table = FxTable::new(base, date);
            for (code, text) in &body.value.rates {
                let field = format!("rates.{code}");
                let currency = match Currency::parse(code) {
                    Ok(c) => c,
                    Err(e) => {
                        errors.push(FieldError::new(field, e.to_string()));
                        continue;
                    }
                };
                match text.trim().parse::<Decimal>() {
                    Ok(rate) => {
                        if let Err(e) = table.insert(currency, rate) {
                            errors.push(FieldError::new(field, e.to_string()));
                        }
                    }
                    Err(_) => errors.push(FieldError::new(
                        field,
                        "must be a decimal number such as 3.75",
                    )),
                }
            }
            if body.value.rates.is_empty() {
                errors.push(FieldError::new("rates", "name at least one currency"));
            }
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            for (currency, rate) in table.rates().filter(|(c, _)| *c != base) {
                diesel::insert_into(fx_rates::table)
                    .values((
                        fx_rates::workout_id.eq(workout),
                        fx_rates::currency.eq(currency.as_str()),
                        fx_rates::rate_date.eq(date),
                        fx_rates::rate.eq(rate),
                        fx_rates::entered_by.eq(caller.user_id.into_uuid()),
                    ))
                    .on_conflict((
                        fx_rates::workout_id,
                        fx_rates::currency,
                        fx_rates::rate_date,
                    ))
                    .do_update()
                    .set((
                        fx_rates::rate.eq(rate),
                        fx_rates::entered_by.eq(caller.user_id.into_uuid()),
                        fx_rates::entered_at.eq(Utc::now()),
                    ))
                    .execute(conn)
                    .await?;
            }
            let stored = rates_on(conn, workout, date).await?;
            let after = RatesOfDay {
                rates: stored
                    .iter()
                    .map(|(c, r)| (c.clone(), r.normalize().to_string()))
                    .collect(),
            };
            member
                .record(
                    conn,
                    RegistryTopic::FxRatesSet,
                    None,
                    &serde_json::json!({"date": date, "rates": after.rates}),
                )
                .await?;
            Reply::ok(&after)
        },
    )
    .await
}

async fn rates_on(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    date: NaiveDate,
) -> QueryResult<Vec<(String, Decimal)>> {
    fx_rates::table
        .filter(fx_rates::workout_id.eq(workout))
        .filter(fx_rates::rate_date.eq(date))
        .order(fx_rates::currency.asc())
        .select((fx_rates::currency, fx_rates::rate))
        .load(conn)
        .await
}

/// `GET /registry/v1/workouts/{workout_id}/fx-rates/{date}` (any participant).
#[utoipa::path(get, path = "/registry/v1/workouts/{workout_id}/fx-rates/{date}", tag = "exposures", security(("bearer" = [])),
    responses((status = 200, body = RatesOfDay)))]
pub async fn get_rates(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, NaiveDate)>,
) -> Result<HttpResponse, ApiError> {
    let (workout, date) = path.into_inner();
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller)
        .await?
        .require(Action::ReadFxRates)?;
    let rates = rates_on(&mut conn, workout, date).await?;
    Ok(HttpResponse::Ok().json(RatesOfDay {
        rates: rates
            .into_iter()
            .map(|(c, r)| (c, r.normalize().to_string()))
            .collect(),
    }))
}

/// The snapshot of `workout` as of `as_of`.
pub async fn snapshot(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    base: Currency,
    classes: &[String],
    as_of: NaiveDate,
) -> Result<Snapshot, ApiError> {
    let classes: Vec<CreditorClass> = classes
        .iter()
        .filter_map(|c| CreditorClass::parse(c).ok())
        .collect();
    let facilities =
        facilities_at(conn, workout, None, Some(end_of(as_of)), &classes, None).await?;
    let rates_date: Option<NaiveDate> = fx_rates::table
        .filter(fx_rates::workout_id.eq(workout))
        .filter(fx_rates::rate_date.le(as_of))
        .select(diesel::dsl::max(fx_rates::rate_date))
        .first(conn)
        .await?;
    let fx = match rates_date {
        Some(date) => table_of(base, date, &rates_on(conn, workout, date).await?)?,
        None => FxTable::new(base, as_of),
    };
    let mut positions: BTreeMap<Uuid, Vec<_>> = BTreeMap::new();
    for facility in facilities {
        positions
            .entry(facility.creditor_id)
            .or_default()
            .push(facility.terms);
    }
    let positions: Vec<CreditorPosition> = positions
        .into_iter()
        .map(|(creditor, facilities)| CreditorPosition {
            creditor: InstitutionId::from_uuid(creditor),
            facilities,
        })
        .collect();
    Snapshot::compute(WorkoutId::from_uuid(workout), as_of, base, &fx, &positions).map_err(|error| match error {
        exposure::ExposureError::MissingRates(_) | exposure::ExposureError::MissingRate { .. } => ApiError::unprocessable(
            "missing_fx_rates",
            format!("{error} on or before {as_of}; the coordinator must enter it before a snapshot can be taken"),
        ),
        other => ApiError::Internal(anyhow::anyhow!("computing the snapshot: {other}")),
    })
}

/// `?as_of=DATE` (required).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RecordDate {
    /// The record date.
    pub as_of: NaiveDate,
}

/// A snapshot as a participant sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SnapshotAnswer {
    /// The coordinator and the borrower see every creditor's line.
    Whole(Snapshot),
    /// A creditor sees its own line and the totals (`view: own_line_and_totals`).
    OwnLine(CreditorSnapshot),
}

/// `GET /registry/v1/workouts/{workout_id}/exposures?as_of=DATE`: the record-date snapshot.
#[utoipa::path(get, path = "/registry/v1/workouts/{workout_id}/exposures", tag = "exposures", security(("bearer" = [])),
    params(RecordDate),
    responses((status = 200, body = SnapshotAnswer, description = "The snapshot: per creditor (all, or only the caller's for a creditor), totals, rates used, content hash"), (status = 403, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
pub async fn get_snapshot(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: web::Query<RecordDate>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    let view = member.positions()?;
    let base = base_of(&member)?;
    let snapshot = snapshot(
        &mut conn,
        workout,
        base,
        &member.workout.classes,
        query.as_of,
    )
    .await?;
    Ok(HttpResponse::Ok().json(match view {
        PositionView::Own(creditor) => SnapshotAnswer::OwnLine(snapshot.for_creditor(creditor)),
        PositionView::All | PositionView::None => SnapshotAnswer::Whole(snapshot),
    }))
}

/// `GET /registry/v1/internal/workouts/{workout_id}/exposures?as_of=DATE` (service token): the full
/// snapshot, for voting weights.
#[utoipa::path(get, path = "/registry/v1/internal/workouts/{workout_id}/exposures", tag = "internal", security(("bearer" = [])),
    params(RecordDate),
    responses((status = 200, body = Snapshot, description = "The full snapshot"), (status = 422, body = workout_http::Problem)))]
pub async fn internal_snapshot(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<Uuid>,
    query: web::Query<RecordDate>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let (base, classes): (String, Vec<Option<String>>) = workouts::table
        .find(workout)
        .select((workouts::base_currency, workouts::classes))
        .first(&mut conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("workout", e))?;
    let classes: Vec<String> = classes.into_iter().flatten().collect();
    let base = Currency::parse(&base)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored base currency: {e}")))?;
    Ok(HttpResponse::Ok().json(snapshot(&mut conn, workout, base, &classes, query.as_of).await?))
}

/// `?reference=DATE&as_of=DATE`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DriftQuery {
    /// The baseline date (e.g. the standstill's reference date).
    pub reference: NaiveDate,
    /// The date compared with it.
    pub as_of: NaiveDate,
}

/// `GET /registry/v1/workouts/{workout_id}/exposures/drift` (coordinator): each creditor's change
/// since the reference date; `reduced` flags a creditor whose exposure went down (hold the line).
#[utoipa::path(get, path = "/registry/v1/workouts/{workout_id}/exposures/drift", tag = "exposures", security(("bearer" = [])),
    params(DriftQuery),
    responses((status = 200, body = [CreditorDrift], description = "Per creditor: reference and current exposure, change, reduced"), (status = 403, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
pub async fn get_drift(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: web::Query<DriftQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    member.require(Action::ReadDrift)?;
    let base = base_of(&member)?;
    let reference = snapshot(
        &mut conn,
        workout,
        base,
        &member.workout.classes,
        query.reference,
    )
    .await?;
    let current = snapshot(
        &mut conn,
        workout,
        base,
        &member.workout.classes,
        query.as_of,
    )
    .await?;
    let drift = exposure::drift(&reference, &current)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("drift: {e}")))?;
    Ok(HttpResponse::Ok().json(drift))
}

/// A request for information sent to the borrower.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInformationRequest {
    /// What is asked.
    pub subject: String,
    /// When it was sent.
    pub sent_on: NaiveDate,
    /// When it is due; default 15 calendar days after `sent_on`.
    pub due_on: Option<NaiveDate>,
}

/// The borrower's answer.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// When the borrower answered.
    pub answered_on: NaiveDate,
    /// The answer, summarised.
    pub response: String,
}

/// A recorded request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordedRequest {
    /// Id.
    pub id: Uuid,
    /// What was asked.
    pub subject: String,
    /// Sent.
    pub sent_on: NaiveDate,
    /// Due.
    pub due_on: NaiveDate,
    /// Answered.
    pub answered_on: Option<NaiveDate>,
    /// The answer.
    pub response: Option<String>,
    /// `pending`, `answered_on_time`, `answered_late` or `overdue`, today.
    pub status: String,
}

/// The requests and what they say about the borrower's cooperation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CooperationView {
    /// Every request, in the order sent.
    pub requests: Vec<RecordedRequest>,
    /// Two consecutive missed requests: the borrower may be classed non-cooperative.
    pub possibly_non_cooperative: bool,
    /// Missed requests in the current run.
    pub consecutive_missed: u32,
    /// The ids of the requests in that run (the audit trail).
    pub trail: Vec<Uuid>,
}

type RequestRow = (
    Uuid,
    String,
    NaiveDate,
    NaiveDate,
    Option<NaiveDate>,
    Option<String>,
);

/// The requests of a workout and the assessment of the borrower's cooperation as of `today`.
pub async fn cooperation_view(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    today: NaiveDate,
) -> Result<CooperationView, ApiError> {
    let rows: Vec<RequestRow> = information_requests::table
        .filter(information_requests::workout_id.eq(workout))
        .order((
            information_requests::sent_on.asc(),
            information_requests::id.asc(),
        ))
        .select((
            information_requests::id,
            information_requests::subject,
            information_requests::sent_on,
            information_requests::due_on,
            information_requests::answered_on,
            information_requests::response,
        ))
        .load(conn)
        .await?;
    let mut domain = Vec::with_capacity(rows.len());
    for (_, _, sent_on, due_on, answered_on, _) in &rows {
        let mut request = InformationRequest::with_due_on(*sent_on, *due_on)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored request: {e}")))?;
        if let Some(on) = answered_on {
            request = request
                .with_answer(*on)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored answer: {e}")))?;
        }
        domain.push(request);
    }
    let assessment = cooperation::assess(&domain, today);
    let requests = rows
        .iter()
        .zip(&domain)
        .map(
            |((id, subject, sent_on, due_on, answered_on, response), request)| RecordedRequest {
                id: *id,
                subject: subject.clone(),
                sent_on: *sent_on,
                due_on: *due_on,
                answered_on: *answered_on,
                response: response.clone(),
                status: serde_json::to_value(request.status(today))
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            },
        )
        .collect();
    Ok(CooperationView {
        requests,
        possibly_non_cooperative: assessment.possibly_non_cooperative,
        consecutive_missed: assessment.consecutive_missed,
        trail: assessment
            .trail
            .iter()
            .filter_map(|i| rows.get(*i).map(|r| r.0))
            .collect(),
    })
}

/// `POST /registry/v1/workouts/{workout_id}/information-requests` (coordinator).
#[utoipa::path(post, path = "/registry/v1/workouts/{workout_id}/information-requests", tag = "cooperation", security(("bearer" = [])),
    request_body = NewInformationRequest,
    responses((status = 201, body = CooperationView), (status = 403, body = workout_http::Problem)))]
pub async fn create_information_request(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: JsonBody<NewInformationRequest>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let input = &body.value;
    let subject = input.subject.trim().to_owned();
    decide(&state, &req, &caller, &body.fingerprint, workout, Some(Action::SendInformationRequest), async |conn, member| {
        if subject.is_empty() || subject.chars().count() > 500 {
            return Err(ApiError::invalid_field("subject", "must be 1 to 500 characters"));
        }
        let request = match input.due_on {
            Some(due_on) => InformationRequest::with_due_on(input.sent_on, due_on),
            None => InformationRequest::new(input.sent_on),
        }
        .map_err(|e| ApiError::invalid_field("due_on", e.to_string()))?;
        let id = Uuid::now_v7();
        diesel::insert_into(information_requests::table)
            .values((
                information_requests::id.eq(id),
                information_requests::workout_id.eq(workout),
                information_requests::subject.eq(&subject),
                information_requests::sent_on.eq(request.sent_on()),
                information_requests::due_on.eq(request.due_on()),
                information_requests::recorded_by.eq(caller.user_id.into_uuid()),
            ))
            .execute(conn)
            .await?;
        crate::watch::schedule_overdue_check(conn, workout, id, request.due_on()).await?;
        let view = cooperation_view(conn, workout, Utc::now().date_naive()).await?;
        member
            .record(conn, RegistryTopic::InformationRequestSent, None, &serde_json::json!({"id": id, "subject": subject, "sent_on": request.sent_on(), "due_on": request.due_on()}))
            .await?;
        Reply::created(format!("/registry/v1/workouts/{workout}/information-requests/{id}"), &view)
    })
    .await
}

/// `POST /registry/v1/workouts/{workout_id}/information-requests/{request_id}/answer`
/// (coordinator or borrower): records the borrower's answer.
#[utoipa::path(post, path = "/registry/v1/workouts/{workout_id}/information-requests/{request_id}/answer", tag = "cooperation",
    security(("bearer" = [])), request_body = Answer,
    responses((status = 200, body = CooperationView), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
pub async fn answer_information_request(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: JsonBody<Answer>,
) -> Result<HttpResponse, ApiError> {
    let (workout, request) = path.into_inner();
    let answer = &body.value;
    decide(
        &state,
        &req,
        &caller,
        &body.fingerprint,
        workout,
        Some(Action::AnswerInformationRequest),
        async |conn, member| {
            let (sent_on, answered_on): (NaiveDate, Option<NaiveDate>) =
                information_requests::table
                    .find(request)
                    .filter(information_requests::workout_id.eq(workout))
                    .select((
                        information_requests::sent_on,
                        information_requests::answered_on,
                    ))
                    .for_update()
                    .first(conn)
                    .await
                    .map_err(|e| workout_http::problem::from_diesel("information request", e))?;
            if answered_on.is_some() {
                return Err(ApiError::conflict(
                    "already_answered",
                    "this request already has an answer",
                ));
            }
            let today = Utc::now().date_naive();
            if answer.answered_on < sent_on || answer.answered_on > today {
                return Err(ApiError::invalid_field(
                    "answered_on",
                    "must be between the sending date and today",
                ));
            }
            let response = answer.response.trim();
            if response.is_empty() || response.chars().count() > 5000 {
                return Err(ApiError::invalid_field(
                    "response",
                    "must be 1 to 5000 characters",
                ));
            }
            diesel::update(information_requests::table.find(request))
                .set((
                    information_requests::answered_on.eq(answer.answered_on),
                    information_requests::response.eq(response),
                ))
                .execute(conn)
                .await?;
            // A late answer is still a missed request: it may complete a run of two.
            crate::watch::flag_if_non_cooperative(conn, workout, today).await?;
            let view = cooperation_view(conn, workout, today).await?;
            member
                .record(
                    conn,
                    RegistryTopic::InformationRequestAnswered,
                    None,
                    &serde_json::json!({"id": request, "answered_on": answer.answered_on}),
                )
                .await?;
            Reply::ok(&view)
        },
    )
    .await
}

/// `GET /registry/v1/workouts/{workout_id}/information-requests` (coordinator or borrower).
#[utoipa::path(get, path = "/registry/v1/workouts/{workout_id}/information-requests", tag = "cooperation", security(("bearer" = [])),
    responses((status = 200, body = CooperationView), (status = 403, body = workout_http::Problem)))]
pub async fn list_information_requests(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller)
        .await?
        .require(Action::ReadInformationRequests)?;
    Ok(HttpResponse::Ok()
        .json(cooperation_view(&mut conn, workout, Utc::now().date_naive()).await?))
}
