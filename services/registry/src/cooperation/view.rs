//! A workout's information requests and what they say about the borrower's cooperation.
//!
//! Rules: requests in the order sent; each one's status is as of a given day (`pending`,
//! `answered_on_time`, `answered_late` or `overdue`); two consecutive missed requests make the
//! borrower possibly non-cooperative, with the trail of the requests in that run.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;
use workout_domain::WorkoutId;
use workout_domain::cooperation::{self, InformationRequest};
use workout_http::ApiError;

use crate::schema::information_requests;

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

/// An `information_requests` row as the view reads it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = information_requests, check_for_backend(diesel::pg::Pg))]
struct RequestRow {
    id: Uuid,
    subject: String,
    sent_on: NaiveDate,
    due_on: NaiveDate,
    answered_on: Option<NaiveDate>,
    response: Option<String>,
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
    let mut domain = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut request = InformationRequest::with_due_on(row.sent_on, row.due_on)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored request: {e}")))?;
        if let Some(on) = row.answered_on {
            request = request
                .with_answer(on)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored answer: {e}")))?;
        }
        domain.push(request);
    }
    let assessment = cooperation::assess(&domain, today);
    let requests = rows
        .iter()
        .zip(&domain)
        .map(|(row, request)| RecordedRequest {
            id: row.id,
            subject: row.subject.clone(),
            sent_on: row.sent_on,
            due_on: row.due_on,
            answered_on: row.answered_on,
            response: row.response.clone(),
            status: serde_json::to_value(request.status(today))
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
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
