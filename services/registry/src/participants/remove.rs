//! Removing a participant from a workout (the coordinator).
//!
//! Rules: a removal names its reason (1 to 500 characters); the coordinator and the borrower are
//! not removed here; a participant is removed once. Its row stays, marked removed with the reason,
//! so the history keeps it.

use actix_web::{HttpResponse, post, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use workout_domain::registry_api::Participant;
use workout_domain::text;
use workout_domain::{Action, RegistryTopic};
use workout_http::input;
use workout_http::{ApiError, JsonBody};
use workout_store::Reply;
use workout_store::record::to_json;

use super::ParticipantPath;
use super::roster::load_participant;
use crate::schema::participants;
use crate::workouts::membership::Decider;

/// Why a participant is removed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Removal {
    /// The reason, recorded.
    pub reason: String,
}

/// `POST /registry/v1/workouts/{workout_id}/participants/{participant_id}/remove` (coordinator).
#[utoipa::path(tag = "workouts",
    security(("bearer" = [])), request_body = Removal,
    responses((status = 200, body = Participant), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/participants/{participant_id}/remove")]
pub async fn remove_participant(
    decider: Decider,
    path: web::Path<ParticipantPath>,
    body: JsonBody<Removal>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let ParticipantPath {
        workout_id: workout,
        participant_id: participant,
    } = path.into_inner();
    let reason = &body.value.reason;
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::RemoveParticipant),
            async |conn, member| {
                let reason = input::text("reason", text::REASON, reason)?;
                let before = load_participant(conn, workout, participant).await?;
                if before.removed_at.is_some() {
                    return Err(ApiError::conflict(
                        "already_removed",
                        "this participant was already removed",
                    ));
                }
                if !before.role.is_removable() {
                    return Err(ApiError::conflict(
                        "role_not_removable",
                        "the coordinator and the borrower cannot be removed here",
                    ));
                }
                diesel::update(participants::table.find(participant))
                    .set((
                        participants::removed_at.eq(diesel::dsl::now),
                        participants::removed_reason.eq(&reason),
                    ))
                    .execute(conn)
                    .await?;
                let after = load_participant(conn, workout, participant).await?;
                member
                    .record(
                        conn,
                        RegistryTopic::ParticipantRemoved,
                        Some(to_json(&before)?),
                        &after,
                    )
                    .await?;
                Reply::ok(&after)
            },
        )
        .await
}
