//! The registry's API as other services see it: the workout, its participants with their notice
//! contacts, an institution's roles, and the decisions other services send (a status change, an
//! appointment). Shared by the registry, which answers with these types, and by the typed registry
//! client of the HTTP kit, which reads them, so the two cannot drift apart.
//!
//! Rules: plain data, no behaviour beyond (de)serialization; field names are the wire names.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ParticipantRole, WorkoutStatus};

/// A workout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Workout {
    /// Id.
    pub id: Uuid,
    /// Case reference.
    pub reference: String,
    /// Borrower institution.
    pub borrower_id: Uuid,
    /// Base currency.
    pub base_currency: String,
    /// Business calendar (e.g. `SA`).
    pub calendar: String,
    /// Governing law.
    pub governing_law: String,
    /// Opening date.
    pub opened_on: NaiveDate,
    /// Status.
    pub status: WorkoutStatus,
    /// Why (for closed or failed).
    pub status_reason: Option<String>,
    /// Creditor classes used for voting by class.
    pub classes: Vec<String>,
    /// Opening institution.
    pub opened_by: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Where a participant's notices go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeContact {
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// `en` or `ar`.
    pub language: String,
}

/// A participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Participant {
    /// Id.
    pub id: Uuid,
    /// Institution.
    pub institution_id: Uuid,
    /// Institution's name.
    pub institution_name: String,
    /// Role.
    pub role: ParticipantRole,
    /// Notice contacts.
    pub contacts: Vec<NoticeContact>,
    /// Added.
    pub added_at: DateTime<Utc>,
    /// Removed (still listed with `?include_removed=true`).
    pub removed_at: Option<DateTime<Utc>>,
    /// Why removed.
    pub removed_reason: Option<String>,
}

/// The roles of an institution in a workout (for other services).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberRoles {
    /// Workout.
    pub workout_id: Uuid,
    /// Institution.
    pub institution_id: Uuid,
    /// Active roles; empty when it takes no part.
    pub roles: Vec<ParticipantRole>,
    /// The workout's status.
    pub status: WorkoutStatus,
}

/// A status change decided by the service that owns the step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The new status.
    pub status: WorkoutStatus,
    /// Why (required for closed and failed).
    pub reason: Option<String>,
}

/// The coordinator appointed by the mandates service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Appointment {
    /// The institution appointed: an active creditor of the workout.
    pub institution_id: Uuid,
    /// Why the change (e.g. the mandate's id and decision).
    pub reason: String,
}
