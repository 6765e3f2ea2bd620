//! Each creditor's own negotiating positions: its minimum acceptable terms for the workout
//! (5.3.1 O ii) and its internal credit approval of the version the creditors agreed by ballot
//! (5.3.2 B vi). See the module rules in [`super`].
//!
//! Rules:
//! - A creditor records its own, for its institution only; recording again replaces it (minimum
//!   terms count a revision; a credit decision may change, e.g. a decline turned approval). Every
//!   record is an audit entry and an event, both shown to that creditor and the coordinator.
//! - The coordinator reads every creditor's; a creditor reads only its own (a list holds its row
//!   alone); the borrower, guarantors, advisors and observers read none (403).
//! - A credit approval is of the agreed version, while the term sheet is `creditor_agreed` (409
//!   `term_sheet_state` otherwise); submission needs one `approved` from each creditor that voted
//!   for that version ([`super::lifecycle`]).

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::BoundedDate;
use workout_domain::percentage::Percentage;
use workout_domain::{Action, InstitutionId, VotingTopic, WorkoutId, text};
use workout_http::access::Access;
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody, Page, PageQuery};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::lifecycle::state_conflict;
use super::{State, TermSheetPath, load_term_sheet};
use crate::schema::{minimum_terms, term_sheet_credit_approvals};

/// A creditor's minimum acceptable terms (every field optional; at least one given).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinimumTerms {
    /// The lowest recovery, in percent of its exposure, it can accept.
    #[schema(value_type = Option<String>, example = "85")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_recovery: Option<Percentage>,
    /// The longest tenor, in months, it can accept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_tenor_months: Option<u32>,
    /// The lowest margin, in percent a year.
    #[schema(value_type = Option<String>, example = "2.5")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_margin: Option<Percentage>,
    /// Security it requires (each 1–200 characters).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_security: Vec<String>,
    /// Anything else, 1–5000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_terms: Option<String>,
}

impl MinimumTerms {
    /// The terms with their texts trimmed and checked; 422 naming the field.
    fn checked(&self) -> Result<Self, ApiError> {
        let required_security = self
            .required_security
            .iter()
            .enumerate()
            .map(|(i, s)| {
                text::NAME
                    .parse(s)
                    .map(text::Text::into_string)
                    .map_err(|e| {
                        ApiError::invalid_field(format!("required_security[{i}]"), e.to_string())
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let other_terms = self
            .other_terms
            .as_deref()
            .map(|t| text::STATEMENT.parse(t).map(text::Text::into_string))
            .transpose()
            .map_err(|e| ApiError::invalid_field("other_terms", e.to_string()))?;
        if self.maximum_tenor_months == Some(0) {
            return Err(ApiError::invalid_field(
                "maximum_tenor_months",
                "at least one month",
            ));
        }
        let checked = Self {
            minimum_recovery: self.minimum_recovery,
            maximum_tenor_months: self.maximum_tenor_months,
            minimum_margin: self.minimum_margin,
            required_security,
            other_terms,
        };
        if checked == Self::default() {
            return Err(ApiError::invalid_field(
                "minimum_recovery",
                "record at least one minimum term",
            ));
        }
        Ok(checked)
    }
}

/// A creditor's recorded minimum terms.
#[derive(Debug, Serialize, Queryable, Selectable, Insertable, utoipa::ToSchema)]
#[diesel(table_name = minimum_terms)]
pub struct MinimumTermsRecord {
    /// The workout.
    pub workout_id: Uuid,
    /// The creditor.
    pub creditor_id: Uuid,
    /// Its terms ([`MinimumTerms`]).
    #[schema(value_type = MinimumTerms)]
    pub terms: serde_json::Value,
    /// 1, 2, … each time it records them.
    pub revision: i32,
    /// By (user).
    pub recorded_by: Uuid,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// `PUT /voting/v1/workouts/{workout_id}/minimum-terms` (a creditor, for its own institution):
/// records its minimum acceptable terms, replacing earlier ones. Answers 200 with the record.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    request_body = MinimumTerms,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = MinimumTermsRecord), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/minimum-terms")]
pub async fn record_minimum_terms(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<MinimumTerms>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::RecordCreditPosition)?;
    let body = body.parse()?;
    let terms =
        serde_json::to_value(body.value.checked()?).map_err(|e| ApiError::Internal(e.into()))?;
    let creditor = caller.institution_id;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let row = MinimumTermsRecord {
            workout_id: workout.into_uuid(),
            creditor_id: creditor.into_uuid(),
            terms: terms.clone(),
            revision: 1,
            recorded_by: caller.user_id.into_uuid(),
            recorded_at: Utc::now(),
        };
        let saved: MinimumTermsRecord = diesel::insert_into(minimum_terms::table)
            .values(&row)
            .on_conflict((minimum_terms::workout_id, minimum_terms::creditor_id))
            .do_update()
            .set((
                minimum_terms::terms.eq(excluded(minimum_terms::terms)),
                minimum_terms::revision.eq(minimum_terms::revision + 1),
                minimum_terms::recorded_by.eq(excluded(minimum_terms::recorded_by)),
                minimum_terms::recorded_at.eq(excluded(minimum_terms::recorded_at)),
            ))
            .returning(MinimumTermsRecord::as_returning())
            .get_result(conn)
            .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::MinimumTermsRecorded,
            VotingTopic::MinimumTermsRecorded.disclosure(Some(creditor)),
            None,
            &saved,
        )
        .await?;
        Reply::ok(&saved)
    })
    .await
}

/// Whose positions the caller reads: every creditor's, or its own only.
fn own_only(access: &Access, caller: &Caller) -> Result<Option<Uuid>, ApiError> {
    if access.require(Action::ReadCreditPositions).is_ok() {
        Ok(None)
    } else {
        access.require(Action::RecordCreditPosition)?;
        Ok(Some(caller.institution_id.into_uuid()))
    }
}

/// `GET /voting/v1/workouts/{workout_id}/minimum-terms` (the coordinator: every creditor's; a
/// creditor: its own): by creditor, a page.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<MinimumTermsRecord>), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/minimum-terms")]
pub async fn list_minimum_terms(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let only = own_only(&access, &caller)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let mut rows = minimum_terms::table
        .filter(minimum_terms::workout_id.eq(workout.into_uuid()))
        .filter(minimum_terms::creditor_id.gt(window.after))
        .into_boxed();
    if let Some(own) = only {
        rows = rows.filter(minimum_terms::creditor_id.eq(own));
    }
    let rows: Vec<MinimumTermsRecord> = rows
        .order(minimum_terms::creditor_id.asc())
        .limit(window.fetch())
        .select(MinimumTermsRecord::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |r: &MinimumTermsRecord| r.creditor_id)))
}

/// A credit decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CreditDecision {
    /// The bank's credit committee approved the agreed version.
    Approved,
    /// It declined.
    Declined,
}

impl CreditDecision {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Declined => "declined",
        }
    }
}

/// `POST .../credit-approvals`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCreditApproval {
    /// The version decided on: the agreed one.
    pub version: i32,
    /// The decision.
    pub decision: CreditDecision,
    /// The bank's own reference of the decision (e.g. its credit committee minute), 1–60
    /// characters.
    pub reference: String,
    /// When it was decided (not in the future).
    pub decided_on: NaiveDate,
    /// Conditions or remarks, 1–2000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// A creditor's credit decision on a version.
#[derive(Debug, Serialize, Queryable, Selectable, Insertable, utoipa::ToSchema)]
#[diesel(table_name = term_sheet_credit_approvals)]
pub struct CreditApproval {
    /// The term sheet.
    pub term_sheet_id: Uuid,
    /// The version.
    pub version: i32,
    /// The creditor.
    pub creditor_id: Uuid,
    /// `approved` or `declined`.
    pub decision: String,
    /// The bank's reference.
    pub reference: String,
    /// When it was decided.
    pub decided_on: NaiveDate,
    /// Conditions or remarks.
    pub note: Option<String>,
    /// Recorded by (user).
    pub recorded_by: Uuid,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// The credit decisions recorded on `version` of the term sheet `id`.
pub async fn approvals_of(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    version: i32,
) -> Result<Vec<CreditApproval>, ApiError> {
    Ok(term_sheet_credit_approvals::table
        .filter(term_sheet_credit_approvals::term_sheet_id.eq(id))
        .filter(term_sheet_credit_approvals::version.eq(version))
        .order(term_sheet_credit_approvals::creditor_id.asc())
        .select(CreditApproval::as_select())
        .load(conn)
        .await?)
}

/// `POST /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/credit-approvals` (a
/// creditor, for its own institution): records its credit committee's decision on the agreed
/// version, replacing an earlier one. Answers 200 with the decision.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    request_body = RecordCreditApproval,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = CreditApproval), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/credit-approvals")]
pub async fn record_credit_approval(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
    body: JsonBody<RecordCreditApproval>,
) -> Result<HttpResponse, ApiError> {
    let TermSheetPath {
        workout_id: workout,
        term_sheet_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::RecordCreditPosition)?;
    let body = body.parse()?;
    let input = &body.value;
    let reference = text::REFERENCE
        .parse(&input.reference)
        .map_err(|e| ApiError::invalid_field("reference", e.to_string()))?
        .into_string();
    let note = input
        .note
        .as_deref()
        .map(|n| text::LONG_REASON.parse(n).map(text::Text::into_string))
        .transpose()
        .map_err(|e| ApiError::invalid_field("note", e.to_string()))?;
    BoundedDate::new(input.decided_on)
        .map_err(|e| ApiError::invalid_field("decided_on", e.to_string()))?;
    if input.decided_on > Utc::now().date_naive() + chrono::Days::new(1) {
        return Err(ApiError::invalid_field(
            "decided_on",
            "a decision cannot be dated in the future",
        ));
    }
    let creditor: InstitutionId = caller.institution_id;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let row = load_term_sheet(conn, workout, id, true).await?;
        let state = row.state()?;
        let agreed = match (state, row.agreed_version) {
            (State::CreditorAgreed, Some(agreed)) => agreed,
            _ => return Err(state_conflict(state, "record a credit approval")),
        };
        if input.version != agreed {
            return Err(ApiError::invalid_field(
                "version",
                format!("the creditors agreed version {agreed}: a credit approval is of it"),
            ));
        }
        let approval = CreditApproval {
            term_sheet_id: id,
            version: agreed,
            creditor_id: creditor.into_uuid(),
            decision: input.decision.as_str().to_owned(),
            reference: reference.clone(),
            decided_on: input.decided_on,
            note: note.clone(),
            recorded_by: caller.user_id.into_uuid(),
            recorded_at: Utc::now(),
        };
        diesel::insert_into(term_sheet_credit_approvals::table)
            .values(&approval)
            .on_conflict((
                term_sheet_credit_approvals::term_sheet_id,
                term_sheet_credit_approvals::version,
                term_sheet_credit_approvals::creditor_id,
            ))
            .do_update()
            .set((
                term_sheet_credit_approvals::decision
                    .eq(excluded(term_sheet_credit_approvals::decision)),
                term_sheet_credit_approvals::reference
                    .eq(excluded(term_sheet_credit_approvals::reference)),
                term_sheet_credit_approvals::decided_on
                    .eq(excluded(term_sheet_credit_approvals::decided_on)),
                term_sheet_credit_approvals::note.eq(excluded(term_sheet_credit_approvals::note)),
                term_sheet_credit_approvals::recorded_by
                    .eq(excluded(term_sheet_credit_approvals::recorded_by)),
                term_sheet_credit_approvals::recorded_at
                    .eq(excluded(term_sheet_credit_approvals::recorded_at)),
            ))
            .execute(conn)
            .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::TermSheetCreditApproval,
            VotingTopic::TermSheetCreditApproval.disclosure(Some(creditor)),
            None,
            &approval,
        )
        .await?;
        Reply::ok(&approval)
    })
    .await
}

/// `?version=` of the credit approvals.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApprovalsQuery {
    /// The version; the agreed one (or else the current one) when left out.
    pub version: Option<i32>,
}

/// `GET /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/credit-approvals` (the
/// coordinator: every creditor's; a creditor: its own): the credit decisions on a version.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    params(ApprovalsQuery),
    responses((status = 200, body = Page<CreditApproval>), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/credit-approvals")]
pub async fn list_credit_approvals(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
    query: web::Query<ApprovalsQuery>,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let TermSheetPath {
        workout_id: workout,
        term_sheet_id: id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let only = own_only(&access, &caller)?;
    let window = paging.window()?;
    let mut conn = pool.get().await?;
    let row = load_term_sheet(&mut conn, workout, id, false).await?;
    let version = query
        .version
        .or(row.agreed_version)
        .unwrap_or(row.current_version);
    let mut rows = term_sheet_credit_approvals::table
        .filter(term_sheet_credit_approvals::term_sheet_id.eq(id))
        .filter(term_sheet_credit_approvals::version.eq(version))
        .filter(term_sheet_credit_approvals::creditor_id.gt(window.after))
        .into_boxed();
    if let Some(own) = only {
        rows = rows.filter(term_sheet_credit_approvals::creditor_id.eq(own));
    }
    let rows: Vec<CreditApproval> = rows
        .order(term_sheet_credit_approvals::creditor_id.asc())
        .limit(window.fetch())
        .select(CreditApproval::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |r: &CreditApproval| r.creditor_id)))
}
