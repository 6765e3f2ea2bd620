//! What the borrower owes in a workout as of a date, for other services (service token): the
//! notifications service writes the borrower's and guarantors' transfer notice from it (5.1.1: all
//! obligations, past-due amounts with their dates, fees and penalties).
//!
//! Rules: as for [`super::collateral`]: the facilities in force at the end of `as_of` (UTC), every
//! creditor's, each with its terms as its version then current records them, a page ordered by
//! facility id. 404 for an unknown workout.

use actix_web::{HttpResponse, get, web};
use workout_domain::registry_api::Obligation;
use workout_domain::{InstitutionId, WorkoutId};
use workout_http::{ApiError, Page, PageQuery, Query, ServiceCaller};

use super::collateral::CollateralDate;
use super::terms::known_classes;
use super::versions::{end_of, facilities_at};
use crate::RegistryState;
use crate::workouts::membership::load_workout;

/// `GET /registry/v1/internal/workouts/{workout_id}/obligations?as_of=DATE` (service token): the
/// facilities in force at the end of `as_of`, each with its creditor and terms, a page ordered by
/// facility.
#[utoipa::path(tag = "internal", security(("bearer" = [])),
    params(CollateralDate, PageQuery),
    responses((status = 200, body = Page<Obligation>),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/internal/workouts/{workout_id}/obligations")]
pub async fn internal_obligations(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<WorkoutId>,
    query: Query<CollateralDate>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let window = page.window()?;
    let mut conn = state.pool.get().await?;
    let found = load_workout(&mut conn, workout, false).await?;
    let classes = known_classes(&found.classes);
    let at = Some(end_of(query.as_of.get()));
    let facilities = facilities_at(&mut conn, workout, None, at, &classes, Some(window)).await?;
    let rows: Vec<Obligation> = facilities
        .iter()
        .map(|facility| Obligation {
            facility_id: facility.id,
            creditor: InstitutionId::from_uuid(facility.creditor_id),
            terms: facility.terms.to_input(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(window.page(rows, |o: &Obligation| o.facility_id)))
}
