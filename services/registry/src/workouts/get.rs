//! One workout, with the caller's roles in it.
//!
//! Rules: participants only; anyone else gets 404, exactly as for a workout that does not exist.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use workout_domain::registry_api::Workout;
use workout_domain::{ParticipantRole, WorkoutId};
use workout_http::{ApiError, Caller};

use super::membership::membership;
use crate::RegistryState;

/// A workout with the caller's roles in it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkoutView {
    /// The workout.
    #[serde(flatten)]
    pub workout: Workout,
    /// The caller's institution's roles.
    pub my_roles: Vec<ParticipantRole>,
}

/// `GET /registry/v1/workouts/{workout_id}`
#[utoipa::path(tag = "workouts", security(("bearer" = [])),
    responses((status = 200, body = WorkoutView)))]
#[get("/v1/workouts/{workout_id}")]
pub async fn get_workout(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, path.into_inner(), &caller).await?;
    Ok(HttpResponse::Ok().json(WorkoutView {
        workout: member.workout,
        my_roles: member.access.roles,
    }))
}
