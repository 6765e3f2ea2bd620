//! The export of the minutes service's part of a workout's audit chain: every meeting
//! scheduled, changed, cancelled and held, as JSON lines, for any participant.
//!
//! Rules: the same need-to-know rule as the registry's export (the details of a meeting's change
//! are read by the coordinator; the others get its hash, see
//! [`MinutesTopic::disclosure`](workout_domain::MinutesTopic::disclosure)); the export ends with
//! the chain's head, unsigned: only the registry holds a signing key, so keep the heads you have
//! seen to detect a cut tail (`workoutd audit-verify FILE --since EARLIER`).

use actix_web::{HttpResponse, get, web};
use workout_domain::WorkoutId;
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller};
use workout_store::Pool;
use workout_store::audit;

/// `GET /minutes/v1/workouts/{workout_id}/audit` (any participant): the minutes service's audit
/// chain of the workout as JSON lines ending with its head; the details the caller may not read
/// are withheld.
#[utoipa::path(tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "JSON lines: entries, then the head", content_type = "application/x-ndjson"),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/audit")]
pub async fn export_audit(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
) -> Result<HttpResponse, ApiError> {
    audit::participant_export(&pool, &registry, &caller, path.into_inner()).await
}
