//! The caller's workouts: those its institution takes part in (removed participations excluded).
//!
//! Rules: a page ordered by id; nobody, platform admins included, lists workouts they take no part
//! in.

use actix_web::{HttpResponse, get, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use workout_domain::registry_api::Workout;
use workout_http::{ApiError, Caller, Page, PageQuery, Query};

use super::membership::WorkoutRow;
use crate::RegistryState;
use crate::schema::{participants, workouts};

/// `GET /registry/v1/workouts`: the workouts the caller's institution takes part in.
#[utoipa::path(tag = "workouts", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<Workout>)))]
#[get("/v1/workouts")]
pub async fn list_workouts(
    state: web::Data<RegistryState>,
    caller: Caller,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after()?);
    let mut conn = state.pool.get().await?;
    let mine = participants::table
        .filter(participants::institution_id.eq(caller.institution_id.into_uuid()))
        .filter(participants::removed_at.is_null())
        .select(participants::workout_id);
    let rows: Vec<WorkoutRow> = workouts::table
        .filter(workouts::id.eq_any(mine))
        .filter(workouts::id.gt(after))
        .order(workouts::id.asc())
        .limit(limit + 1)
        .select(WorkoutRow::as_select())
        .load(&mut conn)
        .await?;
    let items = rows
        .into_iter()
        .map(Workout::try_from)
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(Page::from_rows(items, limit, |w: &Workout| w.id)))
}
