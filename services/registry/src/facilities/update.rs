//! Editing a facility's terms (its creditor, `If-Match`).
//!
//! Rules: only the facility's own creditor edits it (another creditor's answers 404); the edit
//! names the version it replaces (428 without, 412 when stale); the reference names the facility
//! and cannot change. The old terms stay in the history.

use actix_web::{HttpResponse, put, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use workout_domain::{FacilityInput, RegistryTopic};
use workout_http::precondition::{etag, if_match};
use workout_http::{ApiError, JsonBody};
use workout_store::Reply;

use super::terms::{check_guarantors, validate};
use super::versions::{Facility, write_version};
use super::{FacilityPath, creditor_of};
use crate::schema::facilities;
use crate::workouts::membership::Decider;

/// `PUT /registry/v1/workouts/{workout_id}/facilities/{facility_id}` (its creditor, `If-Match`):
/// new terms; the old ones stay in the history.
#[utoipa::path(tag = "facilities", security(("bearer" = [])),
    request_body(content = FacilityInput, description = "The full new terms (same reference)"),
    params(("If-Match" = String, Header, description = "The version being replaced")),
    responses((status = 200, body = Facility), (status = 403, body = workout_http::Problem), (status = 412, body = workout_http::Problem),
        (status = 428, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/facilities/{facility_id}")]
pub async fn update_facility(
    decider: Decider,
    path: web::Path<FacilityPath>,
    body: JsonBody<FacilityInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let FacilityPath {
        workout_id: workout,
        facility_id: facility,
    } = path.into_inner();
    let expected = if_match(&decider.req)?;
    decider
        .decide(&body.fingerprint, workout, None, async |conn, member| {
            let creditor = creditor_of(&member)?;
            // Another creditor's facility, or one of another workout: not found.
            let reference: String = facilities::table
                .find(facility)
                .filter(facilities::workout_id.eq(workout.into_uuid()))
                .filter(facilities::creditor_id.eq(creditor.into_uuid()))
                .select(facilities::reference)
                .first(conn)
                .await
                .map_err(|e| workout_http::problem::from_diesel("facility", e))?;
            let terms = validate(&body.value, &member)?;
            check_guarantors(conn, workout, &terms).await?;
            if terms.reference() != reference {
                return Err(ApiError::invalid_field(
                    "reference",
                    "cannot change; it names the facility",
                ));
            }
            let (before, after) = write_version(
                conn,
                workout,
                creditor,
                &terms,
                Some(expected),
                decider.caller.user_id.into_uuid(),
            )
            .await?;
            member
                .record_position(
                    conn,
                    RegistryTopic::FacilityChanged,
                    Some(creditor),
                    before,
                    &after,
                )
                .await?;
            Ok(Reply::ok(&after)?.with_etag(etag(after.version)))
        })
        .await
}
