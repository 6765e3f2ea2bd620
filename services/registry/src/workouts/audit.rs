//! The export of a workout's audit chain: every change of the case as JSON lines.
//!
//! Rules: any participant may export it (404 for anyone else); the export ends with the chain's
//! head, so that it can be verified offline and a cut tail is detected.

use actix_web::{HttpResponse, get, web};
use workout_domain::{Action, WorkoutId};
use workout_http::{ApiError, Caller};
use workout_store::audit;

use super::membership::membership;
use crate::RegistryState;

/// `GET /registry/v1/workouts/{workout_id}/audit` (any participant): the workout's audit chain as
/// JSON lines ending with its head.
#[utoipa::path(tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "JSON lines: entries, then the head", content_type = "application/x-ndjson")))]
#[get("/v1/workouts/{workout_id}/audit")]
pub async fn export_workout_audit(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller)
        .await?
        .require(Action::ExportAudit)?;
    let lines = audit::export(&mut conn, workout.into_uuid()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .body(audit::to_json_lines(&lines)))
}
