//! Appointing the coordinator: the mandates service (service token) names the active creditor that
//! coordinates the workout.
//!
//! Rules: only an active creditor of an open workout is appointed; the previous coordinator (the
//! acting one, or an earlier mandate) loses the role, its row marked removed with the reason.
//! Appointing the current coordinator again changes nothing. The change is audited on the workout's
//! chain as done by the calling service.

use actix_web::{HttpRequest, HttpResponse, put, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use workout_domain::registry_api::events::CoordinatorAppointed;
use workout_domain::registry_api::{Appointment, Participant};
use workout_domain::text;
use workout_domain::{InstitutionId, ParticipantRole, RegistryTopic, WorkoutId};
use workout_http::input;
use workout_http::{ApiError, JsonBody, ServiceCaller};
use workout_store::audit::Actor;
use workout_store::{Reply, idempotency, record};

use super::roster::{ParticipantFilter, load_participants};
use crate::RegistryState;
use crate::schema::participants;
use crate::workouts::membership::{add_role, chain, load_workout, roles_of};

/// `PUT /registry/v1/internal/workouts/{workout_id}/coordinator` (service token): the mandates
/// service appoints the coordinator; the previous one (the acting coordinator, or an earlier
/// mandate) is removed from that role, with the reason.
#[utoipa::path(tag = "internal", security(("bearer" = [])),
    request_body = Appointment, responses((status = 200, body = [Participant]),
        (status = 409, body = workout_http::Problem)))]
#[put("/v1/internal/workouts/{workout_id}/coordinator")]
pub async fn appoint_coordinator(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    service: ServiceCaller,
    path: web::Path<WorkoutId>,
    body: JsonBody<Appointment>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let workout = path.into_inner();
    let appointment = body.value;
    let appointee = InstitutionId::from_uuid(appointment.institution_id);
    let reason = input::text("reason", text::REASON, &appointment.reason)?;
    idempotency::run(
        &state.pool,
        &req,
        &service,
        &body.fingerprint,
        async |conn| {
            if load_workout(conn, workout, true).await?.status.is_final() {
                return Err(ApiError::conflict(
                    "workout_closed",
                    "the workout is closed",
                ));
            }
            let roles = roles_of(conn, workout, appointee).await?;
            if !roles.contains(&ParticipantRole::Creditor) {
                return Err(ApiError::invalid_field(
                    "institution_id",
                    "is not an active creditor of this workout",
                ));
            }
            let before = load_participants(conn, workout, ParticipantFilter::default()).await?;
            if roles.contains(&ParticipantRole::Coordinator) {
                return Reply::ok(&before);
            }
            diesel::update(participants::table)
                .filter(participants::workout_id.eq(workout.into_uuid()))
                .filter(participants::role.eq(ParticipantRole::Coordinator.as_str()))
                .filter(participants::removed_at.is_null())
                .set((
                    participants::removed_at.eq(diesel::dsl::now),
                    participants::removed_reason.eq(&reason),
                ))
                .execute(conn)
                .await?;
            add_role(conn, workout, appointee, ParticipantRole::Coordinator).await?;
            let after = load_participants(conn, workout, ParticipantFilter::default()).await?;
            let event = CoordinatorAppointed {
                workout_id: workout.into_uuid(),
                coordinator: appointment.institution_id,
                reason: reason.clone(),
                appointed_by_service: service.client.clone(),
            };
            let previous: Vec<Uuid> = before
                .iter()
                .filter(|p| p.role == ParticipantRole::Coordinator)
                .map(|p| p.institution_id)
                .collect();
            record(
                conn,
                chain(workout),
                &Actor::from(&service),
                RegistryTopic::CoordinatorAppointed,
                RegistryTopic::CoordinatorAppointed.disclosure(None),
                Some(serde_json::json!({"coordinators": previous})),
                &event,
            )
            .await?;
            Reply::ok(&after)
        },
    )
    .await
}
