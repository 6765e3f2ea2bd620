//! Participants of a workout: who takes part in a case, in which roles, and where their formal
//! notices go. Adding, listing and removing them, replacing their notice contacts, and the
//! coordinator's appointment by the mandates service.
//!
//! Rules: only the coordinator adds or removes participants; the coordinator role itself comes
//! only from the mandates service (service token). A removed participant keeps its history (rows
//! are marked removed, never deleted). Every participant has at least one notice contact. Every
//! change is one transaction, decided through the workout's membership shell, with its audit entry
//! on the workout's chain and its outbox event.

pub mod add;
pub mod contacts;
pub mod coordinator;
pub mod list;
pub mod notice_check;
pub mod related;
pub mod remove;
pub mod roster;

use serde::Deserialize;
use uuid::Uuid;
use workout_domain::WorkoutId;
use workout_runtime::Routes;

/// `/workouts/{workout_id}/participants/{participant_id}`.
#[derive(Debug, Deserialize)]
pub struct ParticipantPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// One of its participants.
    pub participant_id: Uuid,
}

/// The participant endpoints.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(add::add_participant_to_workout)
        .service(list::list_participants)
        .service(remove::remove_participant)
        .service(contacts::replace_contacts)
        .service(related::decide_related_party)
        .service(related::list_related_party_decisions)
        .service(list::internal_participants)
        .service(coordinator::appoint_coordinator);
}
