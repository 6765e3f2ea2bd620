//! An institution's roles in a workout and the workout's status, for other services (service
//! token): the mandates, voting and minutes services authorize their callers with it; and the
//! workout itself, for the calendar its deadlines are counted on.
//!
//! Rules: 404 when the workout does not exist; an institution that takes no part gets no roles
//! (not an error: the asking service decides).

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use workout_domain::registry_api::{MemberRoles, Workout};
use workout_domain::{InstitutionId, WorkoutId};
use workout_http::{ApiError, ServiceCaller};

use super::membership::{load_workout, roles_of};
use crate::RegistryState;

/// `/internal/workouts/{workout_id}/members/{institution_id}`.
#[derive(Debug, Deserialize)]
pub struct MemberPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The institution asked about.
    pub institution_id: InstitutionId,
}

/// `GET /registry/v1/internal/workouts/{workout_id}/members/{institution_id}` (service token).
#[utoipa::path(tag = "internal",
    security(("bearer" = [])),
    responses((status = 200, body = MemberRoles)))]
#[get("/v1/internal/workouts/{workout_id}/members/{institution_id}")]
pub async fn member_roles(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<MemberPath>,
) -> Result<HttpResponse, ApiError> {
    let MemberPath {
        workout_id: workout,
        institution_id: institution,
    } = path.into_inner();
    let mut conn = state.pool.get().await?;
    let status = load_workout(&mut conn, workout, false).await?.status;
    let roles = roles_of(&mut conn, workout, institution).await?;
    Ok(HttpResponse::Ok().json(MemberRoles {
        workout_id: workout.into_uuid(),
        institution_id: institution.into_uuid(),
        roles,
        status,
    }))
}

/// `GET /registry/v1/internal/workouts/{workout_id}` (service token): the workout itself (its
/// calendar, base currency, status), for services that count deadlines on its calendar.
#[utoipa::path(tag = "internal",
    security(("bearer" = [])),
    responses((status = 200, body = Workout), (status = 404, body = workout_http::Problem)))]
#[get("/v1/internal/workouts/{workout_id}")]
pub async fn internal_workout(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<WorkoutId>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let workout = load_workout(&mut conn, path.into_inner(), false).await?;
    Ok(HttpResponse::Ok().json(workout))
}
