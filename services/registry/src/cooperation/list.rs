//! Listing a workout's information requests with the cooperation assessment as of today.
//!
//! Rules: the coordinator and the borrower read them; other participants get 403, outsiders 404.

use actix_web::{HttpResponse, get, web};
use workout_domain::{Action, WorkoutId};
use workout_http::{ApiError, Caller};

use super::view::{CooperationView, cooperation_view};
use crate::RegistryState;
use crate::workouts::membership::membership;

/// `GET /registry/v1/workouts/{workout_id}/information-requests` (coordinator or borrower).
#[utoipa::path(tag = "cooperation", security(("bearer" = [])),
    responses((status = 200, body = CooperationView), (status = 403, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/information-requests")]
pub async fn list_information_requests(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    member.require(Action::ReadInformationRequests)?;
    let today = super::watch::today_in(&member.workout.calendar)?;
    Ok(HttpResponse::Ok().json(cooperation_view(&mut conn, workout, today).await?))
}
