//! The steps after the borrower's acceptance (guideline 5.3.1 O vi–ix): `initialled`,
//! `documented` (the legal documents listed), `signed`, `effective` (every condition of
//! effectiveness of the accepted version listed as met, with its evidence), in that order; each
//! dated, not in the future nor before the previous step. At `effective` the registry moves the
//! workout to `effective`, in the same use case. See the rules in [`super::lifecycle`].

use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::calendar::zone_of;
use workout_domain::{Action, BoundedDate, VotingTopic, WorkoutStatus, text};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::lifecycle::{OFFER_READERS, move_workout};
use super::{
    State, TermSheetPath, TermSheetRow, TermSheetSummary, TermSheetView, load_term_sheet,
    load_version,
};
use crate::schema::term_sheets;

/// A step after acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The agreed term sheet was initialled.
    Initialled,
    /// Lawyers prepared the legal documents based on it.
    Documented,
    /// The legal documents were signed.
    Signed,
    /// Every condition of effectiveness was met.
    Effective,
}

impl StepKind {
    /// The state the step follows, and the state it leads to.
    const fn transition(self) -> (State, State) {
        match self {
            Self::Initialled => (State::Accepted, State::Initialled),
            Self::Documented => (State::Initialled, State::Documented),
            Self::Signed => (State::Documented, State::Signed),
            Self::Effective => (State::Signed, State::Effective),
        }
    }

    const fn topic(self) -> VotingTopic {
        match self {
            Self::Initialled => VotingTopic::TermSheetInitialled,
            Self::Documented => VotingTopic::TermSheetDocumented,
            Self::Signed => VotingTopic::TermSheetSigned,
            Self::Effective => VotingTopic::TermSheetEffective,
        }
    }
}

/// A condition of effectiveness met, with its evidence.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionMet {
    /// The condition, as the accepted version words it.
    pub condition: String,
    /// What shows it is met (a document, a registration, a payment), 1–5000 characters.
    pub evidence: String,
}

/// `POST .../steps`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordStep {
    /// Which step.
    pub step: StepKind,
    /// Its date (not in the future, not before the previous step's).
    pub on: NaiveDate,
    /// For `documented`: the legal documents (loan agreement, security documents, …), each 1–200
    /// characters, at least one.
    #[serde(default)]
    pub documents: Vec<String>,
    /// For `effective`: every condition of effectiveness of the accepted version, met.
    #[serde(default)]
    pub conditions_met: Vec<ConditionMet>,
    /// A note, 1–500 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// A step as it is kept and shown.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Step {
    /// Which step.
    pub step: StepKind,
    /// Its date.
    pub on: NaiveDate,
    /// The legal documents (for `documented`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<String>,
    /// The conditions met (for `effective`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions_met: Vec<ConditionMet>,
    /// The note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Recorded by (user).
    pub recorded_by: Uuid,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// The steps recorded on `row`.
pub fn steps_of(row: &TermSheetRow) -> Result<Vec<Step>, ApiError> {
    serde_json::from_value(row.steps.clone()).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!("term sheet {}: stored steps: {e}", row.id))
    })
}

/// `POST /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/steps` (the coordinator):
/// records the next step after the borrower's acceptance: `initialled`, `documented`, `signed`,
/// `effective`, in that order. At `effective` the workout becomes `effective` in the registry.
/// Answers 200 with the term sheet.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    request_body = RecordStep,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = TermSheetView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/steps")]
pub async fn record_step(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
    body: JsonBody<RecordStep>,
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
    let input = &body.value;
    let facts = registry.workout(workout).await?;
    let today = zone_of(&facts.calendar).map_or_else(
        || Utc::now().date_naive(),
        |z| Utc::now().with_timezone(&z).date_naive(),
    );
    if input.on > today {
        return Err(ApiError::invalid_field(
            "on",
            "a step cannot be dated in the future",
        ));
    }
    BoundedDate::new(input.on).map_err(|e| ApiError::invalid_field("on", e.to_string()))?;
    let note = input
        .note
        .as_deref()
        .map(|n| text::REASON.parse(n).map(text::Text::into_string))
        .transpose()
        .map_err(|e| ApiError::invalid_field("note", e.to_string()))?;
    let documents = checked_documents(input)?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mut row = load_term_sheet(conn, workout, id, true).await?;
        let state = row.state()?;
        let (from, to) = input.step.transition();
        if state != from {
            return Err(ApiError::conflict(
                "term_sheet_state",
                format!(
                    "the term sheet is {}: the step {} follows {}",
                    state.as_str(),
                    to.as_str(),
                    from.as_str()
                ),
            ));
        }
        let mut steps = steps_of(&row)?;
        if let Some(last) = steps.last()
            && input.on < last.on
        {
            return Err(ApiError::invalid_field(
                "on",
                format!("before the previous step's date {}", last.on),
            ));
        }
        let accepted = row.submitted_version.ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "term sheet {id}: accepted without an offer"
            ))
        })?;
        let version = load_version(conn, id, accepted).await?;
        let conditions_met = match input.step {
            StepKind::Effective => checked_conditions(&version.sheet()?, &input.conditions_met)?,
            _ if !input.conditions_met.is_empty() => {
                return Err(ApiError::invalid_field(
                    "conditions_met",
                    "only the step effective lists conditions met",
                ));
            }
            _ => Vec::new(),
        };
        steps.push(Step {
            step: input.step,
            on: input.on,
            documents: documents.clone(),
            conditions_met,
            note: note.clone(),
            recorded_by: caller.user_id.into_uuid(),
            recorded_at: Utc::now(),
        });
        let stored = serde_json::to_value(&steps).map_err(|e| ApiError::Internal(e.into()))?;
        diesel::update(term_sheets::table.find(id))
            .set((
                term_sheets::state.eq(to.as_str()),
                term_sheets::steps.eq(&stored),
            ))
            .execute(conn)
            .await?;
        row.state = to.as_str().to_owned();
        row.steps = stored;
        let workout_status = if input.step == StepKind::Effective {
            Some(move_workout(&registry, workout, id, WorkoutStatus::Effective).await?)
        } else {
            None
        };
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            input.step.topic(),
            OFFER_READERS,
            None,
            &serde_json::json!({
                "term_sheet": TermSheetSummary::of(&row, &version),
                "step": steps.last(),
                "workout_status": workout_status,
            }),
        )
        .await?;
        let current = load_version(conn, id, row.current_version).await?;
        Reply::ok(&TermSheetView::of(&row, &current)?)
    })
    .await
}

/// The documents of a `documented` step (at least one, each a name), none for another step.
fn checked_documents(input: &RecordStep) -> Result<Vec<String>, ApiError> {
    if input.step != StepKind::Documented {
        return if input.documents.is_empty() {
            Ok(Vec::new())
        } else {
            Err(ApiError::invalid_field(
                "documents",
                "only the step documented lists documents",
            ))
        };
    }
    if input.documents.is_empty() {
        return Err(ApiError::invalid_field(
            "documents",
            "list the legal documents prepared (at least one)",
        ));
    }
    input
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            text::NAME
                .parse(d)
                .map(text::Text::into_string)
                .map_err(|e| ApiError::invalid_field(format!("documents[{i}]"), e.to_string()))
        })
        .collect()
}

/// The conditions met, checked against the accepted version's conditions of effectiveness: each
/// of them listed once, nothing else.
fn checked_conditions(
    sheet: &workout_domain::term_sheet::TermSheet,
    given: &[ConditionMet],
) -> Result<Vec<ConditionMet>, ApiError> {
    let required: BTreeSet<&str> = sheet
        .conditions_of_effectiveness
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let mut seen = BTreeSet::new();
    let mut checked = Vec::with_capacity(given.len());
    for (i, met) in given.iter().enumerate() {
        let condition = met.condition.trim();
        if !required.contains(condition) {
            return Err(ApiError::invalid_field(
                format!("conditions_met[{i}].condition"),
                "not a condition of effectiveness of the accepted version",
            ));
        }
        if !seen.insert(condition) {
            return Err(ApiError::invalid_field(
                format!("conditions_met[{i}].condition"),
                "listed twice",
            ));
        }
        let evidence = text::STATEMENT
            .parse(&met.evidence)
            .map_err(|e| {
                ApiError::invalid_field(format!("conditions_met[{i}].evidence"), e.to_string())
            })?
            .into_string();
        checked.push(ConditionMet {
            condition: condition.to_owned(),
            evidence,
        });
    }
    let unmet: Vec<&str> = required.difference(&seen).copied().collect();
    if unmet.is_empty() {
        Ok(checked)
    } else {
        Err(ApiError::invalid_field(
            "conditions_met",
            format!("conditions of effectiveness not met: {}", unmet.join("; ")),
        ))
    }
}
