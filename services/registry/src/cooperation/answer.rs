//! Recording the borrower's answer to an information request (the coordinator or the borrower).
//!
//! Rules: a request is answered once, on a day between its sending and today, with a response of
//! 1 to 5000 characters. A late answer is still a missed request: it may complete a run of two and
//! flag the borrower.

use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::registry_api::events::InformationRequestAnswered;
use workout_domain::{Action, RegistryTopic, WorkoutId};
use workout_http::{ApiError, JsonBody};
use workout_store::Reply;

use super::view::{CooperationView, cooperation_view};
use super::watch::flag_if_non_cooperative;
use crate::schema::information_requests;
use crate::workouts::membership::Decider;

/// `/workouts/{workout_id}/information-requests/{request_id}`.
#[derive(Debug, Deserialize)]
pub struct RequestPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// One of its information requests.
    pub request_id: Uuid,
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

/// `POST /registry/v1/workouts/{workout_id}/information-requests/{request_id}/answer`
/// (coordinator or borrower): records the borrower's answer.
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
                let (sent_on, answered_on): (NaiveDate, Option<NaiveDate>) =
                    information_requests::table
                        .find(request)
                        .filter(information_requests::workout_id.eq(workout.into_uuid()))
                        .select((
                            information_requests::sent_on,
                            information_requests::answered_on,
                        ))
                        .for_update()
                        .first(conn)
                        .await
                        .map_err(|e| {
                            workout_http::problem::from_diesel("information request", e)
                        })?;
                if answered_on.is_some() {
                    return Err(ApiError::conflict(
                        "already_answered",
                        "this request already has an answer",
                    ));
                }
                let today = super::watch::today_in(&member.workout.calendar)?;
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
                flag_if_non_cooperative(conn, workout, today).await?;
                let view = cooperation_view(conn, workout, today).await?;
                member
                    .record(
                        conn,
                        RegistryTopic::InformationRequestAnswered,
                        None,
                        &InformationRequestAnswered {
                            id: request,
                            answered_on: answer.answered_on,
                        },
                    )
                    .await?;
                Reply::ok(&view)
            },
        )
        .await
}
