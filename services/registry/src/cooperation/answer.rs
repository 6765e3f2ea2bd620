//! Recording the borrower's answer to an information request (the coordinator or the borrower).
//!
//! Rules: a request is answered once, with a response of 1 to 5000 characters; a cancelled request
//! cannot be answered. The registry stamps the answer with the time it records it (server time)
//! and dates it on the workout's local date at that time (Asia/Riyadh for `SA`): nobody gives an
//! answer date, so an answer cannot be backdated. The body has no `answered_on`; a body that still
//! sends one is refused (422 naming `answered_on`). When the borrower answered earlier than it was
//! recorded (a letter recorded a few days later), the coordinator corrects the date with a reason
//! ([`correct`](super::correct)). A late answer is still a missed request: it may complete a run
//! of two and flag the borrower.

use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use workout_domain::registry_api::events::InformationRequestAnswered;
use workout_domain::text;
use workout_domain::{Action, RegistryTopic};
use workout_http::input;
use workout_http::{ApiError, JsonBody};
use workout_store::Reply;

use super::RequestPath;
use super::view::{CooperationView, cooperation_view, lock_request};
use super::watch::{date_in, flag_if_non_cooperative};
use crate::schema::information_requests;
use crate::workouts::membership::Decider;

/// The borrower's answer. Its date is the day the registry records it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The answer, summarised.
    pub response: String,
    /// Not accepted: present only to refuse it with a clear reason.
    #[schema(ignore)]
    pub answered_on: Option<serde_json::Value>,
}

/// `POST /registry/v1/workouts/{workout_id}/information-requests/{request_id}/answer`
/// (coordinator or borrower): records the borrower's answer, dated the day it is recorded.
#[utoipa::path(tag = "cooperation",
    security(("bearer" = [])), request_body = Answer,
    responses((status = 200, body = CooperationView), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/information-requests/{request_id}/answer")]
pub async fn answer_information_request(
    decider: Decider,
    path: web::Path<RequestPath>,
    body: JsonBody<Answer>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let RequestPath {
        workout_id: workout,
        request_id: request,
    } = path.into_inner();
    let answer = &body.value;
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::AnswerInformationRequest),
            async |conn, member| {
                if answer.answered_on.is_some() {
                    return Err(ApiError::invalid_field(
                        "answered_on",
                        "cannot be given: an answer is dated the day the registry records it; the \
                         coordinator may correct that date with a reason \
                         (POST .../information-requests/{request_id}/answer-date)",
                    ));
                }
                let row = lock_request(conn, workout, request).await?;
                if row.cancelled_at.is_some() {
                    return Err(ApiError::conflict(
                        "request_cancelled",
                        "this request was cancelled and takes no answer",
                    ));
                }
                if row.answered_on.is_some() {
                    return Err(ApiError::conflict(
                        "already_answered",
                        "this request already has an answer",
                    ));
                }
                let response = input::text("response", text::STATEMENT, &answer.response)?;
                let recorded_at = Utc::now();
                let today = date_in(&member.workout.calendar, recorded_at)?;
                diesel::update(information_requests::table.find(request))
                    .set((
                        information_requests::answered_on.eq(today),
                        information_requests::response.eq(&response),
                        information_requests::answer_recorded_at.eq(recorded_at),
                        information_requests::answer_recorded_on.eq(today),
                        information_requests::answer_recorded_by
                            .eq(decider.caller.user_id.into_uuid()),
                    ))
                    .execute(conn)
                    .await?;
                // A late answer is still a missed request: it may complete a run of two.
                flag_if_non_cooperative(conn, workout, today).await?;
                let view = cooperation_view(conn, workout, today).await?;
                member
                    .record(
                        conn,
                        RegistryTopic::InformationRequestAnswered,
                        None,
                        &InformationRequestAnswered {
                            id: request,
                            answered_on: today,
                            recorded_at,
                        },
                    )
                    .await?;
                Reply::ok(&view)
            },
        )
        .await
}
