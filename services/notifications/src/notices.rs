//! Formal notices to the borrower and guarantors, issued by the coordinator in its own name (one
//! channel to the borrower, 5.3.1 E vii).
//!
//! Rules: the kinds are those the guideline requires: the notice that the relationship moved to
//! the workout unit (`transfer`, to the borrower and each guarantor, listing every obligation
//! from the registry's facilities as of the issuing day: principal, interest, fees and penalties,
//! past-due amounts with the date they fell due, and the covenant violations the coordinator
//! lists; due within 5 business days of the opening, 5.1.1), the written decline of a borrower
//! proposal with its reasons (`proposal_declined`, 5.3.2 B viii), the approved restructuring
//! terms with covenants and costs (`approved_terms`, to the borrower and guarantors, 5.3.2 B vii),
//! and the approximate timetable for approval or a delay in it (`timetable`, 5.3.2 B vi). A notice
//! is a formal letter: its content is written when it is issued (what it said stays as it was),
//! its recipients are resolved when it is sent, it cannot be switched off, and each recipient's
//! copy carries an acknowledgement link. Only the coordinator issues and lists every notice; the
//! borrower and a guarantor list the notices sent to their institution; others get 404 for a
//! workout they take no part in and 403 otherwise. Issuing honours `Idempotency-Key`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::registry_api::{Obligation, Participant, Workout};
use workout_domain::text::{self, TextRule};
use workout_domain::{Action, BoundedDate, ParticipantRole, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, FieldError, JsonBody, Page, PageQuery};
use workout_store::Pool;
use workout_store::idempotency::{self, Reply};

use crate::duties::{self, DutyKind};
use crate::letters::{self, NewLetter};
use crate::schema::{deliveries, letters as letters_table};

/// A covenant violation observed when the information was collected.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CovenantViolation {
    /// The facility's reference.
    pub facility_reference: String,
    /// What was violated, e.g. `DSCR 0.9 against a minimum of 1.2 at 31 December`.
    pub description: String,
}

/// A cost the borrower bears under the approved terms.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// What it is, e.g. `restructuring fee`.
    pub description: String,
    /// The amount, a decimal string.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

/// One step of the approximate timetable.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The step, e.g. `credit approvals of the five banks`.
    pub step: String,
    /// When it is expected.
    pub expected_on: BoundedDate,
}

/// What to issue.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum NoticeRequest {
    /// The relationship moved to the workout unit (the obligations come from the registry).
    Transfer {
        /// Covenant violations observed (none: an empty list).
        #[serde(default)]
        covenant_violations: Vec<CovenantViolation>,
    },
    /// A borrower proposal is declined.
    ProposalDeclined {
        /// Which proposal, e.g. `counter-proposal of 3 March (term sheet version 3)`.
        proposal: Option<String>,
        /// Why.
        reasons: String,
    },
    /// The approved restructuring terms.
    ApprovedTerms {
        /// Which terms, e.g. `term sheet TS-1 version 4`.
        term_sheet: Option<String>,
        /// The terms.
        summary: String,
        /// The covenants the borrower undertakes.
        #[serde(default)]
        covenants: Vec<String>,
        /// The costs the borrower bears.
        #[serde(default)]
        costs: Vec<Cost>,
    },
    /// The approximate timetable for approval, or a delay in it.
    Timetable {
        /// The steps ahead.
        steps: Vec<Step>,
        /// What is delayed and why (a delay notice).
        delay: Option<String>,
    },
}

impl NoticeRequest {
    const fn kind(&self) -> &'static str {
        match self {
            Self::Transfer { .. } => "transfer",
            Self::ProposalDeclined { .. } => "proposal_declined",
            Self::ApprovedTerms { .. } => "approved_terms",
            Self::Timetable { .. } => "timetable",
        }
    }

    /// Who receives it.
    const fn roles(&self) -> &'static [ParticipantRole] {
        match self {
            Self::Transfer { .. } | Self::ApprovedTerms { .. } => {
                &[ParticipantRole::Borrower, ParticipantRole::Guarantor]
            }
            Self::ProposalDeclined { .. } | Self::Timetable { .. } => &[ParticipantRole::Borrower],
        }
    }
}

/// Collects the fields that do not fit.
#[derive(Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    /// `value` by `rule`, or an error on `field`.
    pub fn text(&mut self, field: &str, rule: TextRule, value: &str) -> String {
        match rule.parse(value) {
            Ok(text) => text.into_string(),
            Err(e) => {
                self.0.push(FieldError::new(field, e.to_string()));
                String::new()
            }
        }
    }

    /// An error on `field`.
    pub fn fail(&mut self, field: &str, message: &str) {
        self.0.push(FieldError::new(field, message));
    }

    /// 422 with every error, if any.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// The content of a notice other than a transfer notice, checked.
fn content_of(request: &NoticeRequest) -> Result<serde_json::Value, ApiError> {
    let mut checks = Checks::default();
    let content = match request {
        NoticeRequest::Transfer { .. } => serde_json::json!({}),
        NoticeRequest::ProposalDeclined { proposal, reasons } => serde_json::json!({
            "proposal": proposal.as_deref().map(|p| checks.text("proposal", text::SUBJECT, p)),
            "reasons": checks.text("reasons", text::LONG_REASON, reasons),
        }),
        NoticeRequest::ApprovedTerms {
            term_sheet,
            summary,
            covenants,
            costs,
        } => {
            let covenants: Vec<String> = covenants
                .iter()
                .enumerate()
                .map(|(n, c)| checks.text(&format!("covenants[{n}]"), text::SUBJECT, c))
                .collect();
            let costs: Vec<serde_json::Value> = costs
                .iter()
                .enumerate()
                .map(|(n, cost)| {
                    let amount = match cost.amount.trim().parse::<Decimal>() {
                        Ok(amount) if amount >= Decimal::ZERO => amount.to_string(),
                        _ => {
                            checks.fail(&format!("costs[{n}].amount"), "is a decimal amount of 0 or more, e.g. \"2500.00\"");
                            String::new()
                        }
                    };
                    let currency = cost.currency.trim().to_uppercase();
                    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
                        checks.fail(&format!("costs[{n}].currency"), "is an ISO 4217 code, e.g. SAR");
                    }
                    serde_json::json!({
                        "description": checks.text(&format!("costs[{n}].description"), text::NAME, &cost.description),
                        "amount": amount,
                        "currency": currency,
                    })
                })
                .collect();
            serde_json::json!({
                "term_sheet": term_sheet.as_deref().map(|t| checks.text("term_sheet", text::NAME, t)),
                "summary": checks.text("summary", text::STATEMENT, summary),
                "covenants": covenants,
                "costs": costs,
            })
        }
        NoticeRequest::Timetable { steps, delay } => {
            if steps.is_empty() {
                checks.fail("steps", "lists at least one step");
            }
            let steps: Vec<serde_json::Value> = steps
                .iter()
                .enumerate()
                .map(|(n, s)| {
                    serde_json::json!({
                        "step": checks.text(&format!("steps[{n}].step"), text::SUBJECT, &s.step),
                        "expected_on": s.expected_on.get(),
                    })
                })
                .collect();
            serde_json::json!({
                "steps": steps,
                "delay": delay.as_deref().map(|d| checks.text("delay", text::LONG_REASON, d)),
            })
        }
    };
    checks.finish()?;
    Ok(content)
}

/// The covenant violations of a transfer notice, checked.
fn violations_of(violations: &[CovenantViolation]) -> Result<Vec<CovenantViolation>, ApiError> {
    let mut checks = Checks::default();
    let checked = violations
        .iter()
        .enumerate()
        .map(|(n, v)| CovenantViolation {
            facility_reference: checks.text(
                &format!("covenant_violations[{n}].facility_reference"),
                text::REFERENCE,
                &v.facility_reference,
            ),
            description: checks.text(
                &format!("covenant_violations[{n}].description"),
                text::SUBJECT,
                &v.description,
            ),
        })
        .collect();
    checks.finish()?;
    Ok(checked)
}

/// One obligation as the transfer notice lists it.
fn obligation_line(obligation: &Obligation, participants: &[Participant]) -> serde_json::Value {
    let terms = &obligation.terms;
    let creditor = participants
        .iter()
        .find(|p| p.institution_id == obligation.creditor.into_uuid())
        .map_or_else(
            || obligation.creditor.to_string(),
            |p| p.institution_name.clone(),
        );
    let past_due = terms.past_due.parse::<Decimal>().unwrap_or_default();
    let position_date = NaiveDate::parse_from_str(&terms.position_date, "%Y-%m-%d").ok();
    let days = terms.days_past_due.unwrap_or(0);
    let since = position_date
        .and_then(|d| d.checked_sub_signed(chrono::Duration::days(days)))
        .map(|d| d.to_string());
    serde_json::json!({
        "creditor": creditor,
        "reference": terms.reference,
        "facility_type": terms.facility_type.replace('_', " "),
        "currency": terms.currency,
        "position_date": terms.position_date,
        "outstanding_principal": terms.outstanding_principal,
        "accrued_interest": terms.accrued_interest,
        "fees_and_penalties": terms.fees_and_penalties,
        "penalties": terms.penalties,
        "past_due_any": past_due > Decimal::ZERO,
        "past_due": terms.past_due,
        "past_due_principal": terms.past_due_principal,
        "past_due_interest": terms.past_due_interest,
        "past_due_fees": terms.past_due_fees,
        "days_past_due": days,
        "past_due_since": since,
    })
}

/// A notice as listed.
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = letters_table)]
pub struct Notice {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// `transfer`, `proposal_declined`, `approved_terms`, `timetable` or
    /// `communication_acknowledged`.
    pub kind: String,
    /// What it says, as issued.
    pub content: serde_json::Value,
    /// The user who issued it.
    pub issued_by: Option<Uuid>,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// When its recipients were resolved (absent: not yet).
    pub expanded_at: Option<DateTime<Utc>>,
    /// Why it reached no one, if it did not.
    pub last_error: Option<String>,
}

/// `/workouts/{workout_id}`.
#[derive(Debug, Deserialize)]
pub struct WorkoutPath {
    /// The workout.
    pub workout_id: WorkoutId,
}

/// The coordinator's institution's name, for the notices in its name.
pub fn coordinator_name(participants: &[Participant], institution: Uuid) -> String {
    participants
        .iter()
        .find(|p| p.institution_id == institution && p.removed_at.is_none())
        .map_or_else(|| institution.to_string(), |p| p.institution_name.clone())
}

/// The common part of every notice's content.
pub fn header(workout: &Workout, coordinator: &str) -> serde_json::Value {
    serde_json::json!({
        "calendar": workout.calendar,
        "workout_reference": workout.reference,
        "coordinator": coordinator,
        "opened_on": workout.opened_on,
    })
}

/// Issues `letter` (a formal notice) in the caller's transaction and answers 201 with it.
pub async fn issue(
    conn: &mut diesel_async::AsyncPgConnection,
    letter: &NewLetter,
) -> Result<Reply, ApiError> {
    letters::write(conn, letter).await?;
    let notice: Notice = letters_table::table
        .find(letter.id)
        .select(Notice::as_select())
        .first(conn)
        .await?;
    Reply::created(
        format!(
            "/notifications/v1/workouts/{}/notices/{}",
            letter.workout_id, letter.id
        ),
        &notice,
    )
}

/// `POST /notifications/v1/workouts/{workout_id}/notices` (the coordinator): issues a formal
/// notice to the borrower (and the guarantors for a transfer notice and the approved terms).
/// Answers 201 with the notice; its e-mails go out in the background.
#[utoipa::path(tag = "notices", security(("bearer" = [])),
    request_body = NoticeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = Notice), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/notices")]
pub async fn issue_notice(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutPath>,
    body: JsonBody<NoticeRequest>,
) -> Result<HttpResponse, ApiError> {
    let workout_id = path.into_inner().workout_id;
    let access = registry.access(workout_id, &caller).await?;
    access.require(Action::IssueNotices)?;
    let body = body.parse()?;
    let request = body.value;
    let workout = registry.workout(workout_id).await?;
    let participants = registry.participants(workout_id).await?;
    let coordinator = coordinator_name(&participants, caller.institution_id.into_uuid());
    let mut content = header(&workout, &coordinator);
    if let NoticeRequest::Transfer {
        covenant_violations,
    } = &request
    {
        let violations = violations_of(covenant_violations)?;
        let as_of = duties::today_in(&workout.calendar, Utc::now());
        let obligations = registry.obligations(workout_id, as_of).await?;
        content["as_of"] = as_of.to_string().into();
        content["obligations"] = obligations
            .iter()
            .map(|o| obligation_line(o, &participants))
            .collect();
        content["covenant_violations"] =
            serde_json::to_value(violations).map_err(|e| ApiError::Internal(e.into()))?;
    } else if let serde_json::Value::Object(fields) = content_of(&request)? {
        for (name, value) in fields {
            content[name] = value;
        }
    }
    let letter = NewLetter {
        formal: true,
        issued_by: Some((
            caller.user_id.into_uuid(),
            caller.institution_id.into_uuid(),
        )),
        ..NewLetter::to_roles(workout.id, request.kind(), request.roles(), content)
    };
    let transfer = matches!(request, NoticeRequest::Transfer { .. });
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        if transfer {
            duties::meet(conn, DutyKind::TransferNotice, workout.id, Utc::now()).await?;
        }
        issue(conn, &letter).await
    })
    .await
}

/// `GET /notifications/v1/workouts/{workout_id}/notices` (the coordinator: every notice; the
/// borrower and a guarantor: those sent to their institution): formal notices, oldest first, a
/// page.
#[utoipa::path(tag = "notices", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<Notice>), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/notices")]
pub async fn list_notices(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner().workout_id;
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ReadDeliveries)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let mut rows = letters_table::table
        .filter(letters_table::workout_id.eq(workout.into_uuid()))
        .filter(letters_table::formal.eq(true))
        .filter(letters_table::id.gt(window.after))
        .into_boxed();
    if !access.may(Action::IssueNotices) {
        rows = rows.filter(
            letters_table::id.eq_any(
                deliveries::table
                    .filter(deliveries::institution_id.eq(access.institution.into_uuid()))
                    .select(deliveries::letter_id),
            ),
        );
    }
    let rows: Vec<Notice> = rows
        .order(letters_table::id.asc())
        .limit(window.fetch())
        .select(Notice::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |n: &Notice| n.id)))
}
