//! Adding a participant to a workout (the coordinator).
//!
//! Rules: the institution must be registered and its kind must allow the role; the coordinator
//! role is never added here (the mandates service appoints it); a closed workout takes no new
//! participants; the participant comes with at least one notice contact.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::registry_api::{NoticeContact, Participant};
use workout_domain::{Action, InstitutionId, ParticipantRole, RegistryTopic, WorkoutId};
use workout_http::{ApiError, FieldError, JsonBody};
use workout_store::Reply;

use super::contacts::{insert_contacts, valid_contacts};
use super::roster::load_participant;
use crate::identity::institutions::institution_kind;
use crate::workouts::membership::{Decider, add_role};

/// A request to add a participant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    /// The institution.
    pub institution_id: Uuid,
    /// Its role (not `coordinator`, which the mandates service sets).
    pub role: ParticipantRole,
    /// Where its notices go (at least one).
    pub contacts: Vec<NoticeContact>,
}

/// `POST /registry/v1/workouts/{workout_id}/participants` (coordinator).
#[utoipa::path(tag = "workouts", security(("bearer" = [])),
    request_body = NewParticipant,
    responses((status = 201, body = Participant), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/participants")]
pub async fn add_participant_to_workout(
    decider: Decider,
    path: web::Path<WorkoutId>,
    body: JsonBody<NewParticipant>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let workout = path.into_inner();
    let input = body.value;
    let institution = InstitutionId::from_uuid(input.institution_id);
    let mut errors = Vec::new();
    let contacts = valid_contacts("contacts", &input.contacts, &mut errors);
    if !input.role.is_added_directly() {
        errors.push(FieldError::new(
            "role",
            "the coordinator is appointed through the mandates service",
        ));
    }
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::AddParticipant),
            async |conn, member| {
                if !errors.is_empty() {
                    return Err(ApiError::Validation(errors));
                }
                if member.workout.status.is_final() {
                    return Err(ApiError::conflict(
                        "workout_closed",
                        "the workout is closed",
                    ));
                }
                let Some(kind) = institution_kind(conn, institution).await? else {
                    return Err(ApiError::invalid_field(
                        "institution_id",
                        "is not a registered institution",
                    ));
                };
                if !kind.may_take(input.role) {
                    return Err(ApiError::invalid_field(
                        "role",
                        format!("an institution of kind {kind} cannot take this role"),
                    ));
                }
                let id = add_role(conn, workout, institution, input.role).await?;
                insert_contacts(conn, id, &contacts).await?;
                let participant = load_participant(conn, workout, id).await?;
                member
                    .record(conn, RegistryTopic::ParticipantAdded, None, &participant)
                    .await?;
                Reply::created(
                    format!("/registry/v1/workouts/{workout}/participants/{id}"),
                    &participant,
                )
            },
        )
        .await
}
