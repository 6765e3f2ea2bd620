//! Reading one facility as now in force, with the `ETag` an edit or a withdrawal sends back in
//! `If-Match`.
//!
//! Rules: the same visibility as the list (the coordinator and the borrower read every creditor's
//! facilities, a creditor its own; another creditor's facility answers 404, other participants
//! get 403); the `ETag` is the version in force (`"3"`). A withdrawn facility answers 410
//! `facility_withdrawn`, naming the withdrawing version; its history stays readable.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, web};
use workout_http::precondition::etag;
use workout_http::{ApiError, Caller};

use super::terms::classes_of;
use super::versions::{Facility, current_version, to_facility};
use super::{FacilityPath, visible_creditor};
use crate::RegistryState;
use crate::workouts::membership::membership;

/// `GET /registry/v1/workouts/{workout_id}/facilities/{facility_id}`: the facility as now in
/// force; its `ETag` is what `If-Match` needs to edit or withdraw it.
#[utoipa::path(tag = "facilities", security(("bearer" = [])),
    responses(
        (status = 200, body = Facility, headers(("ETag" = String, description = "The version in force, e.g. \"3\": send it in If-Match"))),
        (status = 403, body = workout_http::Problem), (status = 404, body = workout_http::Problem),
        (status = 410, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/facilities/{facility_id}")]
pub async fn show_facility(
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
    let creditor = visible_creditor(&member)?;
    let row = current_version(&mut conn, workout, facility, creditor)
        .await?
        .ok_or(ApiError::NotFound("facility"))?;
    let version = row.version;
    let Some(facility) = to_facility(row, &classes_of(&member))? else {
        return Err(ApiError::status(
            StatusCode::GONE,
            "facility_withdrawn",
            format!(
                "this facility was withdrawn (version {version}); its history shows every version"
            ),
        ));
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(facility))
}
