//! Hold-the-line drift: each creditor's exposure change between a reference date (e.g. the
//! standstill's) and another date.
//!
//! Rules: the coordinator only; both dates are snapshots under the same rules (a missing rate is a
//! 422); `reduced` flags a creditor whose exposure went down.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use workout_domain::exposure::{self, CreditorDrift};
use workout_domain::{Action, WorkoutId};
use workout_http::{ApiError, Caller};

use super::snapshots::snapshot_of;
use crate::RegistryState;
use crate::workouts::membership::membership;

/// `?reference=DATE&as_of=DATE`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DriftQuery {
    /// The baseline date (e.g. the standstill's reference date).
    pub reference: NaiveDate,
    /// The date compared with it.
    pub as_of: NaiveDate,
}

/// `GET /registry/v1/workouts/{workout_id}/exposures/drift` (coordinator): each creditor's change
/// since the reference date; `reduced` flags a creditor whose exposure went down (hold the line).
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    params(DriftQuery),
    responses((status = 200, body = [CreditorDrift], description = "Per creditor: reference and current exposure, change, reduced"), (status = 403, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/exposures/drift")]
pub async fn get_drift(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: web::Query<DriftQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    member.require(Action::ReadDrift)?;
    if query.reference > query.as_of {
        return Err(ApiError::bad_request(
            "invalid_query_parameter",
            "reference must not be after as_of: drift is measured from the reference date forward",
        ));
    }
    let reference = snapshot_of(&mut conn, &member.workout, query.reference).await?;
    let current = snapshot_of(&mut conn, &member.workout, query.as_of).await?;
    let drift = exposure::drift(&reference, &current)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("drift: {e}")))?;
    Ok(HttpResponse::Ok().json(drift))
}
