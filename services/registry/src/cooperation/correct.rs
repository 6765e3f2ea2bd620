//! Correcting the date of the borrower's answer (the coordinator only).
//!
//! Rules: the registry dates an answer the day it records it; when the borrower in fact answered
//! earlier (a letter recorded days later), the coordinator corrects the date with a written reason
//! of 1 to 2000 characters. The corrected date lies between the day the request was sent and the
//! day the answer was recorded (today, for an answer recorded before answers were stamped), and
//! differs from the date as it stands. A cancelled or unanswered request has no answer date to
//! correct (409). The original stamp never changes; every correction is kept, audited on the
//! workout's chain and announced (`registry.information_request_answer_corrected`). A correction
//! may make an answer late, so it may flag the borrower.

use actix_web::{HttpResponse, post, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::registry_api::events::InformationRequestAnswerCorrected;
use workout_domain::text;
use workout_domain::{Action, BoundedDate, RegistryTopic};
use workout_http::input;
use workout_http::{ApiError, JsonBody};
use workout_store::Reply;

use super::RequestPath;
use super::view::{CooperationView, cooperation_view, lock_request};
use super::watch::{flag_if_non_cooperative, today_in};
use crate::schema::{answer_date_corrections, information_requests};
use crate::workouts::membership::Decider;

/// A corrected answer date and why.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerDateCorrection {
    /// The day the borrower in fact answered.
    pub answered_on: BoundedDate,
    /// Why the recorded date is wrong (e.g. "letter of 3 March, received by courier").
    pub reason: String,
}

/// `POST /registry/v1/workouts/{workout_id}/information-requests/{request_id}/answer-date`
/// (coordinator): corrects the date of the borrower's answer, with a reason.
#[utoipa::path(tag = "cooperation",
    security(("bearer" = [])), request_body = AnswerDateCorrection,
    responses((status = 200, body = CooperationView), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/information-requests/{request_id}/answer-date")]
pub async fn correct_answer_date(
    decider: Decider,
    path: web::Path<RequestPath>,
    body: JsonBody<AnswerDateCorrection>,
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
            Some(Action::CorrectAnswerDate),
            async |conn, member| {
                let row = lock_request(conn, workout, request).await?;
                if row.cancelled_at.is_some() {
                    return Err(ApiError::conflict(
                        "request_cancelled",
                        "this request was cancelled: its answer no longer counts",
                    ));
                }
                let Some(before) = row.answered_on else {
                    return Err(ApiError::conflict(
                        "not_answered",
                        "this request has no answer whose date could be corrected",
                    ));
                };
                let today = today_in(&member.workout.calendar)?;
                let latest = row.answer_recorded_on.unwrap_or(today);
                let answered_on = input.answered_on.get();
                if answered_on < row.sent_on || answered_on > latest {
                    return Err(ApiError::invalid_field(
                        "answered_on",
                        format!(
                            "must lie between the day the request was sent ({}) and the day the \
                             answer was recorded ({latest})",
                            row.sent_on
                        ),
                    ));
                }
                if answered_on == before {
                    return Err(ApiError::invalid_field(
                        "answered_on",
                        format!("is already the answer date ({before})"),
                    ));
                }
                let reason = input::text("reason", text::LONG_REASON, &input.reason)?;
                diesel::insert_into(answer_date_corrections::table)
                    .values((
                        answer_date_corrections::id.eq(Uuid::now_v7()),
                        answer_date_corrections::request_id.eq(request),
                        answer_date_corrections::answered_on_before.eq(before),
                        answer_date_corrections::answered_on.eq(answered_on),
                        answer_date_corrections::reason.eq(&reason),
                        answer_date_corrections::corrected_by
                            .eq(decider.caller.user_id.into_uuid()),
                    ))
                    .execute(conn)
                    .await?;
                diesel::update(information_requests::table.find(request))
                    .set(information_requests::answered_on.eq(answered_on))
                    .execute(conn)
                    .await?;
                // A later date may make the answer late: it may complete a run of two.
                flag_if_non_cooperative(conn, workout, today).await?;
                let view = cooperation_view(conn, workout, today).await?;
                member
                    .record(
                        conn,
                        RegistryTopic::InformationRequestAnswerCorrected,
                        Some(serde_json::json!({"id": request, "answered_on": before})),
                        &InformationRequestAnswerCorrected {
                            id: request,
                            workout_id: workout.into_uuid(),
                            answered_on_before: before,
                            answered_on,
                            recorded_at: row.answer_recorded_at,
                            reason,
                        },
                    )
                    .await?;
                Reply::ok(&view)
            },
        )
        .await
}
