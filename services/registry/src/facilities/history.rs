//! A facility's history: every version, withdrawals included.
//!
//! Rules: the same visibility as the list (a creditor reads only its own facilities' histories;
//! another's answers 404); a facility without versions is not found. A withdrawal shows the reason
//! its creditor gave.

use actix_web::{HttpResponse, get, web};
use workout_http::{ApiError, Caller};

use super::terms::classes_of;
use super::versions::{FacilityVersion, history, to_facility};
use super::{FacilityPath, visible_creditor};
use crate::RegistryState;
use crate::workouts::membership::membership;

/// `GET /registry/v1/workouts/{workout_id}/facilities/{facility_id}/history`: every version.
#[utoipa::path(tag = "facilities",
    security(("bearer" = [])),
    responses((status = 200, body = [FacilityVersion]), (status = 403, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/facilities/{facility_id}/history")]
pub async fn facility_history(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<FacilityPath>,
) -> Result<HttpResponse, ApiError> {
    let FacilityPath {
        workout_id: workout,
        facility_id: facility,
    } = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    let rows = history(&mut conn, workout, facility, visible_creditor(&member)?).await?;
    if rows.is_empty() {
        return Err(ApiError::NotFound("facility"));
    }
    let classes = classes_of(&member);
    let mut versions = Vec::new();
    for row in rows {
        let (version, valid_from, valid_to) = (row.version, row.valid_from, row.valid_to);
        let reason = row.withdrawal_reason.clone();
        versions.push(FacilityVersion {
            version,
            valid_from,
            valid_to,
            withdrawn: row.terms.is_none(),
            reason,
            facility: to_facility(row, &classes)?,
        });
    }
    Ok(HttpResponse::Ok().json(versions))
}
