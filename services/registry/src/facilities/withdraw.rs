//! Withdrawing a facility (its creditor, `If-Match`): repaid, sold, or otherwise no longer owed.
//!
//! Rules: only the facility's own creditor withdraws it (another creditor's answers 404), naming
//! the version it replaces and a reason (1 to 500 characters); a facility is withdrawn once. It
//! stops counting from now on; its history stays, ending with a version without terms that shows
//! the reason.

use actix_web::{HttpResponse, post, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use workout_domain::RegistryTopic;
use workout_domain::registry_api::events::FacilityWithdrawn;
use workout_domain::text;
use workout_http::input;
use workout_http::precondition::{etag, if_match};
use workout_http::{ApiError, JsonBody};
use workout_store::Reply;

use super::versions::{FacilityVersion, write_withdrawal};
use super::{FacilityPath, creditor_of};
use crate::schema::facilities;
use crate::workouts::membership::Decider;

/// Why a facility is withdrawn.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// E.g. "repaid in full" or "claim sold to Bank X"; recorded in the audit chain.
    pub reason: String,
}

/// `POST /registry/v1/workouts/{workout_id}/facilities/{facility_id}/withdraw` (its creditor,
/// `If-Match`): the facility no longer counts from now on; its history stays.
#[utoipa::path(tag = "facilities",
    security(("bearer" = [])), request_body = Withdrawal,
    params(("If-Match" = String, Header, description = "The version being replaced")),
    responses((status = 200, body = FacilityVersion), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem), (status = 412, body = workout_http::Problem), (status = 428, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/facilities/{facility_id}/withdraw")]
pub async fn withdraw_facility(
    decider: Decider,
    path: web::Path<FacilityPath>,
    body: JsonBody<Withdrawal>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let FacilityPath {
        workout_id: workout,
        facility_id: facility,
    } = path.into_inner();
    let expected = if_match(&decider.req)?;
    let reason = &body.value.reason;
    decider
        .decide(&body.fingerprint, workout, None, async |conn, member| {
            let creditor = creditor_of(&member)?;
            let owned: i64 = facilities::table
                .find(facility)
                .filter(facilities::workout_id.eq(workout.into_uuid()))
                .filter(facilities::creditor_id.eq(creditor.into_uuid()))
                .count()
                .get_result(conn)
                .await?;
            if owned == 0 {
                return Err(ApiError::NotFound("facility"));
            }
            let reason = input::text("reason", text::REASON, reason)?;
            let (version, now, before) = write_withdrawal(
                conn,
                facility,
                Some(expected),
                &reason,
                decider.caller.user_id.into_uuid(),
            )
            .await?;
            let after = FacilityWithdrawn {
                id: facility,
                version,
                withdrawn: true,
                reason: reason.clone(),
            };
            member
                .record_position(
                    conn,
                    RegistryTopic::FacilityWithdrawn,
                    Some(creditor),
                    Some(before),
                    &after,
                )
                .await?;
            Ok(Reply::ok(&FacilityVersion {
                version,
                valid_from: now,
                valid_to: None,
                withdrawn: true,
                reason: Some(reason.clone()),
                facility: None,
            })?
            .with_etag(etag(version)))
        })
        .await
}
