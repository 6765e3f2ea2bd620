//! A workout's information requests and what they say about the borrower's cooperation.
//!
//! Rules: requests in the order sent; each one's status is as of a given day (`pending`,
//! `answered_on_time`, `answered_late`, `overdue` or `cancelled`), with whether it counts towards
//! the criterion (sent after the previous counted request was due, not cancelled); an answer shows
//! the stamp the registry gave it when it was recorded and every correction of its date since. Two
//! consecutive missed requests that count make the borrower possibly non-cooperative, with the
//! trail of the requests in that run.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;
use workout_domain::WorkoutId;
use workout_domain::cooperation::{self, InformationRequest};
use workout_http::ApiError;

use crate::schema::{answer_date_corrections, information_requests};

/// When and by whom the registry recorded an answer: its original stamp, which no correction
/// changes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnswerStamp {
    /// When the answer was recorded (server time).
    pub recorded_at: DateTime<Utc>,
    /// The workout's local date at that time: the answer date as recorded.
    pub recorded_on: NaiveDate,
    /// The user who recorded it.
    pub recorded_by: Uuid,
}

/// A correction of an answer date by the coordinator.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnswerCorrection {
    /// The answer date before.
    pub answered_on_before: NaiveDate,
    /// The corrected answer date.
    pub answered_on: NaiveDate,
    /// Why.
    pub reason: String,
    /// The user who corrected it.
    pub corrected_by: Uuid,
    /// When.
    pub corrected_at: DateTime<Utc>,
}

/// The cancellation of a request by the coordinator.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cancellation {
    /// When.
    pub cancelled_at: DateTime<Utc>,
    /// The user who cancelled it.
    pub cancelled_by: Uuid,
    /// Why.
    pub reason: String,
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
    /// The answer date as it stands: the date the answer was recorded, or the coordinator's
    /// latest correction.
    pub answered_on: Option<NaiveDate>,
    /// The answer.
    pub response: Option<String>,
    /// The registry's stamp of the answer (absent for answers recorded before answers were
    /// stamped).
    pub answer_recorded: Option<AnswerStamp>,
    /// Every correction of the answer date, oldest first.
    pub answer_corrections: Vec<AnswerCorrection>,
    /// Present when the coordinator cancelled the request.
    pub cancellation: Option<Cancellation>,
    /// Whether the request counts towards the criterion of two consecutive missed requests: sent
    /// after the due date of the previous request that counts, and not cancelled.
    pub counts_towards_non_cooperation: bool,
    /// `pending`, `answered_on_time`, `answered_late`, `overdue` or `cancelled`, today.
    pub status: String,
}

/// The requests and what they say about the borrower's cooperation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CooperationView {
    /// Every request, in the order sent.
    pub requests: Vec<RecordedRequest>,
    /// Two consecutive missed requests that count: the borrower may be classed non-cooperative.
    pub possibly_non_cooperative: bool,
    /// Missed requests in the current run.
    pub consecutive_missed: u32,
    /// The ids of the requests in that run (the audit trail).
    pub trail: Vec<Uuid>,
}

/// An `information_requests` row as the cooperation use cases read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = information_requests, check_for_backend(diesel::pg::Pg))]
pub struct RequestRow {
    /// Id.
    pub id: Uuid,
    /// What was asked.
    pub subject: String,
    /// Sent.
    pub sent_on: NaiveDate,
    /// Due.
    pub due_on: NaiveDate,
    /// The answer date as it stands.
    pub answered_on: Option<NaiveDate>,
    /// The answer.
    pub response: Option<String>,
    /// When the answer was recorded.
    pub answer_recorded_at: Option<DateTime<Utc>>,
    /// The workout's local date then.
    pub answer_recorded_on: Option<NaiveDate>,
    /// Who recorded it.
    pub answer_recorded_by: Option<Uuid>,
    /// When the request was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Who cancelled it.
    pub cancelled_by: Option<Uuid>,
    /// Why.
    pub cancel_reason: Option<String>,
}

impl RequestRow {
    /// The request as the domain sees it.
    pub fn domain(&self) -> Result<InformationRequest, ApiError> {
        let mut request = InformationRequest::with_due_on(self.sent_on, self.due_on)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored request {}: {e}", self.id)))?;
        if let Some(on) = self.answered_on {
            request = request.with_answer(on).map_err(|e| {
                ApiError::Internal(anyhow::anyhow!("stored answer of {}: {e}", self.id))
            })?;
        }
        Ok(if self.cancelled_at.is_some() {
            request.cancelled()
        } else {
            request
        })
    }

    fn stamp(&self) -> Option<AnswerStamp> {
        Some(AnswerStamp {
            recorded_at: self.answer_recorded_at?,
            recorded_on: self.answer_recorded_on?,
            recorded_by: self.answer_recorded_by?,
        })
    }

    fn cancellation(&self) -> Option<Cancellation> {
        Some(Cancellation {
            cancelled_at: self.cancelled_at?,
            cancelled_by: self.cancelled_by?,
            reason: self.cancel_reason.clone()?,
        })
    }
}

/// Request `request` of `workout`, locked for update; 404 when the workout has no such request.
pub async fn lock_request(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    request: Uuid,
) -> Result<RequestRow, ApiError> {
    information_requests::table
        .find(request)
        .filter(information_requests::workout_id.eq(workout.into_uuid()))
        .select(RequestRow::as_select())
        .for_update()
        .first(conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("information request", e))
}

/// An `answer_date_corrections` row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = answer_date_corrections, check_for_backend(diesel::pg::Pg))]
struct CorrectionRow {
    request_id: Uuid,
    answered_on_before: NaiveDate,
    answered_on: NaiveDate,
    reason: String,
    corrected_by: Uuid,
    corrected_at: DateTime<Utc>,
}

/// The requests of a workout and the assessment of the borrower's cooperation as of `today`.
pub async fn cooperation_view(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    today: NaiveDate,
) -> Result<CooperationView, ApiError> {
    let rows: Vec<RequestRow> = information_requests::table
        .filter(information_requests::workout_id.eq(workout.into_uuid()))
        .order((
            information_requests::sent_on.asc(),
            information_requests::id.asc(),
        ))
        .select(RequestRow::as_select())
        .load(conn)
        .await?;
    let corrections: Vec<CorrectionRow> = answer_date_corrections::table
        .inner_join(information_requests::table)
        .filter(information_requests::workout_id.eq(workout.into_uuid()))
        .order(answer_date_corrections::id.asc())
        .select(CorrectionRow::as_select())
        .load(conn)
        .await?;
    let domain = rows
        .iter()
        .map(RequestRow::domain)
        .collect::<Result<Vec<_>, _>>()?;
    let assessment = cooperation::assess(&domain, today);
    let requests = rows
        .iter()
        .zip(&domain)
        .zip(&assessment.counts)
        .map(|((row, request), counts)| RecordedRequest {
            id: row.id,
            subject: row.subject.clone(),
            sent_on: row.sent_on,
            due_on: row.due_on,
            answered_on: row.answered_on,
            response: row.response.clone(),
            answer_recorded: row.stamp(),
            answer_corrections: corrections
                .iter()
                .filter(|c| c.request_id == row.id)
                .map(|c| AnswerCorrection {
                    answered_on_before: c.answered_on_before,
                    answered_on: c.answered_on,
                    reason: c.reason.clone(),
                    corrected_by: c.corrected_by,
                    corrected_at: c.corrected_at,
                })
                .collect(),
            cancellation: row.cancellation(),
            counts_towards_non_cooperation: *counts,
            status: request.status(today).as_str().to_owned(),
        })
        .collect();
    Ok(CooperationView {
        requests,
        possibly_non_cooperative: assessment.possibly_non_cooperative,
        consecutive_missed: assessment.consecutive_missed,
        trail: assessment
            .trail
            .iter()
            .filter_map(|i| rows.get(*i).map(|r| r.id))
            .collect(),
    })
}
