//! Cancelling an information request (the coordinator only).
//!
//! Rules: the coordinator cancels a request with a written reason of 1 to 2000 characters (sent
//! by mistake, overtaken by a meeting, ...), answered or not; a request is cancelled once (409
//! after). A cancelled request shows as `cancelled`, takes no answer and no answer-date
//! correction, is never announced overdue (its job is dropped; a job already queued finds it
//! cancelled), and counts for nothing in the assessment: neither as missed nor as answered.
//! Cancelling an answer in time may leave two counted misses next to each other, so it may flag
//! the borrower. Audited on the workout's chain and announced
//! (`registry.information_request_cancelled`).

use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use workout_domain::registry_api::events::InformationRequestCancelled;
use workout_domain::text;
use workout_domain::{Action, RegistryTopic};
use workout_http::input;
use workout_http::{ApiError, JsonBody};
use workout_store::{Reply, scheduler};

use super::RequestPath;
use super::view::{CooperationView, cooperation_view, lock_request};
use super::watch::{OVERDUE_JOB, flag_if_non_cooperative, today_in};
use crate::schema::information_requests;
use crate::workouts::membership::Decider;

/// Why a request is cancelled.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestCancellation {
    /// E.g. "sent by mistake" or "superseded by the meeting of 4 March"; recorded in the audit
    /// chain.
    pub reason: String,
}

/// `POST /registry/v1/workouts/{workout_id}/information-requests/{request_id}/cancel`
/// (coordinator): cancels a request, which then counts for nothing.
#[utoipa::path(tag = "cooperation",
    security(("bearer" = [])), request_body = RequestCancellation,
    responses((status = 200, body = CooperationView), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/information-requests/{request_id}/cancel")]
pub async fn cancel_information_request(
    decider: Decider,
    path: web::Path<RequestPath>,
    body: JsonBody<RequestCancellation>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let RequestPath {
        workout_id: workout,
        request_id: request,
    } = path.into_inner();
    let input = &body.value;
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::CancelInformationRequest),
            async |conn, member| {
                let row = lock_request(conn, workout, request).await?;
                if row.cancelled_at.is_some() {
                    return Err(ApiError::conflict(
                        "already_cancelled",
                        "this request is already cancelled",
                    ));
                }
                let reason = input::text("reason", text::LONG_REASON, &input.reason)?;
                diesel::update(information_requests::table.find(request))
                    .set((
                        information_requests::cancelled_at.eq(Utc::now()),
                        information_requests::cancelled_by.eq(decider.caller.user_id.into_uuid()),
                        information_requests::cancel_reason.eq(&reason),
                    ))
                    .execute(conn)
                    .await?;
                scheduler::cancel(conn, OVERDUE_JOB, &request.to_string()).await?;
                let today = today_in(&member.workout.calendar)?;
                // Without an answer in time between them, two counted misses may now be a run.
                flag_if_non_cooperative(conn, workout, today).await?;
                let view = cooperation_view(conn, workout, today).await?;
                member
                    .record(
                        conn,
                        RegistryTopic::InformationRequestCancelled,
                        Some(serde_json::json!({
                            "id": request, "subject": row.subject, "sent_on": row.sent_on,
                            "due_on": row.due_on, "answered_on": row.answered_on,
                        })),
                        &InformationRequestCancelled {
                            id: request,
                            workout_id: workout.into_uuid(),
                            subject: row.subject.clone(),
                            sent_on: row.sent_on,
                            reason,
                        },
                    )
                    .await?;
                Reply::ok(&view)
            },
        )
        .await
}
