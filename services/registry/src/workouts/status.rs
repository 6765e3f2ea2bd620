//! A workout's status, changed by the service that owns each step (service token).
//!
//! Rules: only the allowed transitions (`WorkoutStatus::may_become`); a closed or failed workout
//! changes no more; closing or failing needs a reason (prose of 1 to 2000 characters, the domain's
//! rule of long reasons; an empty one counts as none). The change is audited on the workout's chain
//! as done by the calling service, and the event names it.

use actix_web::{HttpRequest, HttpResponse, post, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use workout_domain::registry_api::events::WorkoutStatusChanged;
use workout_domain::registry_api::{StatusChange, Workout};
use workout_domain::{RegistryTopic, WorkoutId, text};
use workout_http::{ApiError, JsonBody, ServiceCaller, input};
use workout_store::audit::Actor;
use workout_store::record::to_json;
use workout_store::{Reply, idempotency, record};

use super::membership::{WorkoutRow, chain, load_workout};
use crate::RegistryState;
use crate::schema::workouts;

/// `POST /registry/v1/internal/workouts/{workout_id}/status` (service token).
#[utoipa::path(tag = "internal", security(("bearer" = [])),
    request_body = StatusChange, responses((status = 200, body = Workout),
        (status = 409, body = workout_http::Problem)))]
#[post("/v1/internal/workouts/{workout_id}/status")]
pub async fn change_status(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    service: ServiceCaller,
    path: web::Path<WorkoutId>,
    body: JsonBody<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let workout = path.into_inner();
    let change = body.value;
    let reason = match change.reason.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(reason) => Some(input::text("reason", text::LONG_REASON, reason)?),
    };
    if change.status.needs_reason() && reason.is_none() {
        return Err(ApiError::invalid_field(
            "reason",
            "is required to close or fail a workout",
        ));
    }
    idempotency::run(
        &state.pool,
        &req,
        &service,
        &body.fingerprint,
        async |conn| {
            let before = load_workout(conn, workout, true).await?;
            if before.status.is_final() {
                return Err(ApiError::conflict(
                    "workout_closed",
                    "the workout is closed",
                ));
            }
            if !before.status.may_become(change.status) {
                return Err(ApiError::conflict(
                    "status_transition_not_allowed",
                    format!(
                        "a workout in status {} cannot move to {}",
                        before.status, change.status
                    ),
                ));
            }
            let after = Workout::try_from(
                diesel::update(workouts::table.find(workout.into_uuid()))
                    .set((
                        workouts::status.eq(change.status.as_str()),
                        workouts::status_reason.eq(&reason),
                    ))
                    .returning(WorkoutRow::as_returning())
                    .get_result(conn)
                    .await?,
            )?;
            let event = WorkoutStatusChanged {
                workout: after.clone(),
                changed_by_service: service.client.clone(),
            };
            record(
                conn,
                chain(workout),
                &Actor::from(&service),
                RegistryTopic::WorkoutStatusChanged,
                RegistryTopic::WorkoutStatusChanged.disclosure(None),
                Some(to_json(&before)?),
                &event,
            )
            .await?;
            Reply::ok(&after)
        },
    )
    .await
}
