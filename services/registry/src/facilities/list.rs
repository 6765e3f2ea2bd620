//! Listing a workout's facilities in force, now or at the end of a past date.
//!
//! Rules: the coordinator and the borrower see every creditor's facilities, a creditor its own,
//! other participants get 403; withdrawn facilities are not in force. A page ordered by id.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use workout_domain::{BoundedDate, WorkoutId};
use workout_http::{ApiError, Caller, Page, PageQuery, Query};

use super::terms::classes_of;
use super::versions::{Facility, end_of, facilities_at};
use super::visible_creditor;
use crate::RegistryState;
use crate::workouts::membership::membership;

/// `?as_of=DATE`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AsOf {
    /// Read the terms in force at the end of this date (UTC); default: now.
    pub as_of: Option<BoundedDate>,
}

/// `GET /registry/v1/workouts/{workout_id}/facilities`
#[utoipa::path(tag = "facilities", security(("bearer" = [])),
    params(AsOf, PageQuery),
    responses((status = 200, body = Page<Facility>), (status = 403, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/facilities")]
pub async fn list_facilities(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: Query<AsOf>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let window = page.window()?;
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    let creditor = visible_creditor(&member)?;
    let at = query.as_of.map(|date| end_of(date.get()));
    let classes = classes_of(&member);
    let rows = facilities_at(&mut conn, workout, creditor, at, &classes, Some(window)).await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |f: &Facility| f.id)))
}
