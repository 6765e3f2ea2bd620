//! The platform audit chain's export: identity changes (institutions, users, signing keys) as
//! JSON lines.
//!
//! Rules: platform admins only; the export ends with the chain's head, so that it can be verified
//! offline (`workoutd audit-verify`) and a cut tail is detected.

use actix_web::{HttpResponse, get, web};
use workout_http::{ApiError, PlatformAdmin};
use workout_store::audit::{self, PLATFORM_CHAIN, Reader};

use crate::RegistryState;

/// `GET /registry/v1/audit/platform` (platform admin): the platform chain as JSON lines, ending
/// with its head; verify it offline with `workoutd audit-verify`.
#[utoipa::path(tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "JSON lines: entries, then the signed head", content_type = "application/x-ndjson"), (status = 403, body = workout_http::Problem)))]
#[get("/v1/audit/platform")]
pub async fn export_platform_audit(
    state: web::Data<RegistryState>,
    _admin: PlatformAdmin,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let lines = audit::export(&mut conn, PLATFORM_CHAIN, Reader::Everything).await?;
    crate::workouts::audit::signed_export(&mut conn, lines).await
}
