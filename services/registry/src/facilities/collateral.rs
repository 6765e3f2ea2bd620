//! The collateral of a workout's facilities as of a date, for other services (service token): the
//! voting service values enforcement with it when it compares a term sheet's options.
//!
//! Rules: the facilities are those in force at the end of `as_of` (UTC), as the record-date
//! snapshot of that date reads them (withdrawn ones are not in force), every creditor's, each with
//! its collateral as its version then current lists it (valuation in its own currency, never
//! converted here). A page lists facilities ordered by id, each with its collateral (an empty list
//! for an unsecured one), so that a page boundary never splits a facility's collateral. 404 for an
//! unknown workout.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use workout_domain::registry_api::{CollateralItem, FacilityCollateral};
use workout_domain::{BoundedDate, InstitutionId, WorkoutId};
use workout_http::{ApiError, Page, PageQuery, Query, ServiceCaller};

use super::terms::known_classes;
use super::versions::{Facility, end_of, facilities_at};
use crate::RegistryState;
use crate::workouts::membership::load_workout;

/// `?as_of=DATE` (required).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CollateralDate {
    /// Read the facilities in force at the end of this date (UTC).
    pub as_of: BoundedDate,
}

/// The collateral of `facility`, each item naming its creditor and facility.
fn collateral_of(facility: &Facility) -> FacilityCollateral {
    let creditor = InstitutionId::from_uuid(facility.creditor_id);
    FacilityCollateral {
        facility_id: facility.id,
        creditor,
        reference: facility.terms.reference().to_owned(),
        collateral: facility
            .terms
            .collateral()
            .iter()
            .map(|item| CollateralItem {
                creditor,
                facility_id: facility.id,
                kind: item.kind.clone(),
                description: item.description.clone(),
                valuation: item.valuation,
                valued_on: item.valued_on,
                ranking: item.ranking,
            })
            .collect(),
    }
}

/// `GET /registry/v1/internal/workouts/{workout_id}/collateral?as_of=DATE` (service token): the
/// facilities in force at the end of `as_of`, each with its collateral, a page ordered by facility.
#[utoipa::path(tag = "internal", security(("bearer" = [])),
    params(CollateralDate, PageQuery),
    responses((status = 200, body = Page<FacilityCollateral>),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/internal/workouts/{workout_id}/collateral")]
pub async fn internal_collateral(
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
    let rows: Vec<FacilityCollateral> = facilities.iter().map(collateral_of).collect();
    Ok(HttpResponse::Ok().json(window.page(rows, |f: &FacilityCollateral| f.facility_id)))
}
