//! Hold the line: how each creditor's facilities moved between a reference date (e.g. the
//! standstill's) and another date, facility by facility.
//!
//! Rules: the coordinator only; the facilities in force at the end of each date are compared by
//! the rules of `workout_domain::hold_the_line` (own currency, principal and commitment apart
//! from interest and fees, totals at the reference date's rates so that FX moves are never a
//! reduction). The reference date's rates must cover every currency on either date (else 422
//! `missing_fx_rates`); the reference may not be after `as_of` (400).

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use workout_domain::hold_the_line::{self, Comparison, HeldFacility, HoldTheLine};
use workout_domain::{Action, BoundedDate, ExposureError, FacilityId, InstitutionId, WorkoutId};
use workout_http::{ApiError, Caller, Query};

use super::fx_rates::base_of;
use super::snapshots::{missing_rates, not_computable, rates_as_of};
use crate::RegistryState;
use crate::facilities::terms::known_classes;
use crate::facilities::versions::{end_of, facilities_at};
use crate::workouts::membership::membership;

/// `?reference=DATE&as_of=DATE`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DriftQuery {
    /// The baseline date (e.g. the standstill's reference date).
    pub reference: BoundedDate,
    /// The date compared with it.
    pub as_of: BoundedDate,
}

/// `GET /registry/v1/workouts/{workout_id}/exposures/drift` (coordinator): each creditor's
/// facilities on the reference date and on `as_of`, with the reductions found (hold the line).
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    params(DriftQuery),
    responses((status = 200, body = HoldTheLine, description = "Per creditor and facility: commitment, principal and interest with fees on both dates, the reductions, and totals at the reference date's rates"), (status = 400, body = workout_http::Problem), (status = 403, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/exposures/drift")]
pub async fn get_drift(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: Query<DriftQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    member.require(Action::ReadDrift)?;
    let (reference, as_of) = (query.reference.get(), query.as_of.get());
    if reference > as_of {
        return Err(ApiError::bad_request(
            "invalid_query_parameter",
            "reference must not be after as_of: drift is measured from the reference date forward",
        ));
    }
    let classes = known_classes(&member.workout.classes);
    let mut held = Vec::with_capacity(2);
    for date in [reference, as_of] {
        let facilities =
            facilities_at(&mut conn, workout, None, Some(end_of(date)), &classes, None).await?;
        held.push(
            facilities
                .into_iter()
                .map(|facility| HeldFacility {
                    id: FacilityId::from_uuid(facility.id),
                    creditor: InstitutionId::from_uuid(facility.creditor_id),
                    terms: facility.terms,
                })
                .collect::<Vec<_>>(),
        );
    }
    let rates = rates_as_of(&mut conn, workout, base_of(&member.workout)?, reference).await?;
    let comparison = Comparison {
        workout,
        reference,
        as_of,
        rates: &rates,
    };
    let report =
        hold_the_line::hold_the_line(comparison, &held[0], &held[1]).map_err(
            |error| match error {
                ExposureError::MissingRates(_) => missing_rates(&error, reference),
                ExposureError::Inexact { .. } | ExposureError::Overflow => not_computable(&error),
                other => ApiError::Internal(anyhow::anyhow!("hold the line: {other}")),
            },
        )?;
    Ok(HttpResponse::Ok().json(report))
}
