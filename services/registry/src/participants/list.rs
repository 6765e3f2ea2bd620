//! Listing a workout's participants: for its participants, and for other services (with notice
//! contacts, to address notices).
//!
//! Rules: any participant reads the list (404 for anyone else); removed participants only with
//! `?include_removed=true`. A service token reads the active participants of any existing workout.

use actix_web::{HttpResponse, get, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use workout_domain::WorkoutId;
use workout_domain::registry_api::Participant;
use workout_http::{ApiError, Caller, Page, PageQuery, Query, ServiceCaller};

use super::roster::{ParticipantFilter, load_participants};
use crate::RegistryState;
use crate::schema::workouts;
use crate::workouts::membership::membership;

/// `?include_removed=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ParticipantQuery {
    /// Also list removed participants (their history stays).
    #[serde(default)]
    pub include_removed: bool,
}

/// `GET /registry/v1/workouts/{workout_id}/participants` (any participant).
#[utoipa::path(tag = "workouts", security(("bearer" = [])),
    params(ParticipantQuery, PageQuery),
    responses((status = 200, body = Page<Participant>)))]
#[get("/v1/workouts/{workout_id}/participants")]
pub async fn list_participants(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: Query<ParticipantQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let window = page.window()?;
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller).await?;
    let filter = ParticipantFilter {
        include_removed: query.include_removed,
        window: Some(window),
        ..ParticipantFilter::default()
    };
    let rows = load_participants(&mut conn, workout, filter).await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |p: &Participant| p.id)))
}

/// `GET /registry/v1/internal/workouts/{workout_id}/participants` (service token): participants
/// with their notice contacts, for recipients.
#[utoipa::path(tag = "internal", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<Participant>)))]
#[get("/v1/internal/workouts/{workout_id}/participants")]
pub async fn internal_participants(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<WorkoutId>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let exists: i64 = workouts::table
        .find(workout.into_uuid())
        .count()
        .get_result(&mut conn)
        .await?;
    if exists == 0 {
        return Err(ApiError::NotFound("workout"));
    }
    let window = page.window()?;
    let all = ParticipantFilter {
        window: Some(window),
        ..ParticipantFilter::default()
    };
    let rows = load_participants(&mut conn, workout, all).await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |p: &Participant| p.id)))
}
