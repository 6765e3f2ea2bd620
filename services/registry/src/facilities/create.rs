//! Entering a new facility (its creditor).
//!
//! Rules: the caller's institution must be a creditor of the workout; the terms must be valid for
//! the workout (classes, guarantors); a creditor's references are unique (an existing one is
//! edited, not entered again).

use actix_web::{HttpResponse, post, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use workout_domain::{FacilityInput, RegistryTopic, WorkoutId};
use workout_http::{ApiError, JsonBody};
use workout_store::Reply;

use super::creditor_of;
use super::terms::{check_guarantors, validate};
use super::versions::{Facility, write_version};
use crate::schema::facilities;
use crate::workouts::membership::Decider;

/// `POST /registry/v1/workouts/{workout_id}/facilities` (creditor, its own): a new facility.
#[utoipa::path(tag = "facilities", security(("bearer" = [])),
    request_body = FacilityInput,
    responses((status = 201, body = Facility), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/facilities")]
pub async fn create_facility(
    decider: Decider,
    path: web::Path<WorkoutId>,
    body: JsonBody<FacilityInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let workout = path.into_inner();
    decider
        .decide(&body.fingerprint, workout, None, async |conn, member| {
            let creditor = creditor_of(&member)?;
            let terms = validate(&body.value, &member)?;
            check_guarantors(conn, workout, &terms).await?;
            let taken: i64 = facilities::table
                .filter(facilities::workout_id.eq(workout.into_uuid()))
                .filter(facilities::creditor_id.eq(creditor.into_uuid()))
                .filter(facilities::reference.eq(terms.reference()))
                .count()
                .get_result(conn)
                .await?;
            if taken > 0 {
                return Err(ApiError::conflict(
                    "already_exists",
                    "you already have a facility with this reference; edit it instead",
                ));
            }
            let (_, facility) = write_version(
                conn,
                workout,
                creditor,
                &terms,
                None,
                decider.caller.user_id.into_uuid(),
            )
            .await?;
            member
                .record_position(
                    conn,
                    RegistryTopic::FacilityChanged,
                    Some(creditor),
                    None,
                    &facility,
                )
                .await?;
            Reply::created(
                format!("/registry/v1/workouts/{workout}/facilities/{}", facility.id),
                &facility,
            )
        })
        .await
}
