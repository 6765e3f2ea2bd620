//! Sending an information request to the borrower (the coordinator).
//!
//! Rules: a subject of 1 to 500 characters; sent today or earlier (the workout's local date); due
//! 15 calendar days after sending unless the coordinator sets a later date, never an earlier one
//! (guideline 5.1.2 ii gives the borrower 15 calendar days: a shorter `due_on` is refused with a
//! 422 naming it, and nothing is stored). Sending schedules the job that announces the request if
//! it is still unanswered once its due date is over ([`watch`](super::watch)).

use actix_web::{HttpResponse, post, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::cooperation::InformationRequest;
use workout_domain::registry_api::events::InformationRequestSent;
use workout_domain::text;
use workout_domain::{Action, BoundedDate, RegistryTopic, WorkoutId};
use workout_http::input;
use workout_http::{ApiError, JsonBody};
use workout_store::Reply;

use super::view::{CooperationView, cooperation_view};
use super::watch::schedule_overdue_check;
use crate::schema::information_requests;
use crate::workouts::membership::Decider;

/// A request for information sent to the borrower.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInformationRequest {
    /// What is asked.
    pub subject: String,
    /// When it was sent.
    pub sent_on: BoundedDate,
    /// When it is due: 15 calendar days after `sent_on` (the default) or later.
    pub due_on: Option<BoundedDate>,
}

/// `POST /registry/v1/workouts/{workout_id}/information-requests` (coordinator).
#[utoipa::path(tag = "cooperation", security(("bearer" = [])),
    request_body = NewInformationRequest,
    responses((status = 201, body = CooperationView), (status = 403, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/information-requests")]
pub async fn create_information_request(
    decider: Decider,
    path: web::Path<WorkoutId>,
    body: JsonBody<NewInformationRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let workout = path.into_inner();
    let input = &body.value;
    let subject = &input.subject;
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::SendInformationRequest),
            async |conn, member| {
                let subject = input::text("subject", text::SUBJECT, subject)?;
                let today = super::watch::today_in(&member.workout.calendar)?;
                let sent_on = input.sent_on.get();
                if sent_on > today {
                    return Err(ApiError::invalid_field(
                        "sent_on",
                        format!(
                            "cannot lie in the future: today is {today} in the workout's time zone"
                        ),
                    ));
                }
                let request = match input.due_on {
                    Some(due_on) => InformationRequest::with_due_on(sent_on, due_on.get()),
                    None => InformationRequest::new(sent_on),
                }
                .map_err(|e| ApiError::invalid_field("due_on", e.to_string()))?;
                let id = Uuid::now_v7();
                diesel::insert_into(information_requests::table)
                    .values((
                        information_requests::id.eq(id),
                        information_requests::workout_id.eq(workout.into_uuid()),
                        information_requests::subject.eq(&subject),
                        information_requests::sent_on.eq(request.sent_on()),
                        information_requests::due_on.eq(request.due_on()),
                        information_requests::recorded_by.eq(decider.caller.user_id.into_uuid()),
                    ))
                    .execute(conn)
                    .await?;
                schedule_overdue_check(conn, workout, id, request.due_on()).await?;
                let view = cooperation_view(conn, workout, today).await?;
                member
                    .record(
                        conn,
                        RegistryTopic::InformationRequestSent,
                        None,
                        &InformationRequestSent {
                            id,
                            subject: subject.clone(),
                            sent_on: request.sent_on(),
                            due_on: request.due_on(),
                        },
                    )
                    .await?;
                Reply::created(
                    format!("/registry/v1/workouts/{workout}/information-requests/{id}"),
                    &view,
                )
            },
        )
        .await
}
