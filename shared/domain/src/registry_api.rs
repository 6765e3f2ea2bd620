//! The registry's API as other services see it: the workout, its participants with their notice
//! contacts, an institution's roles, the collateral of its facilities, and the decisions other services send (a status change, an
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

/// A frozen record-date snapshot as the registry's internal API answers it (the fields other
/// services read; the signature is checkable with the registry's document keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenSnapshot {
    /// Its id.
    pub id: Uuid,
    /// The record date.
    pub as_of: NaiveDate,
    /// The content hash of the whole snapshot.
    pub content_hash: String,
    /// When it was frozen.
    pub frozen_at: DateTime<Utc>,
    /// Compact JWS over the snapshot's claims.
    pub signature: String,
    /// Every line (read back, so its totals and content hash are checked on arrival).
    pub snapshot: crate::exposure::Snapshot,
}

/// One collateral item of a facility in force on a date, as the registry's internal API answers
/// it (`GET .../internal/workouts/{id}/collateral?as_of=`): the option comparison values
/// enforcement with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CollateralItem {
    /// The creditor holding the facility the asset is pledged for.
    pub creditor: crate::InstitutionId,
    /// The facility.
    pub facility_id: Uuid,
    /// What the asset is, e.g. `real_estate_mortgage`.
    pub kind: String,
    /// A free description (may be empty).
    pub description: String,
    /// The valuation, in its own currency.
    pub valuation: crate::Money,
    /// The date of the valuation.
    pub valued_on: crate::BoundedDate,
    /// The rank of the creditor's charge: 1 is first ranking.
    pub ranking: u16,
}

/// A facility in force on a date with its collateral (an empty list when it has none): one item
/// of the internal collateral list, paginated by facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FacilityCollateral {
    /// The facility (the page's cursor).
    pub facility_id: Uuid,
    /// The creditor holding it.
    pub creditor: crate::InstitutionId,
    /// The creditor's reference for it.
    pub reference: String,
    /// Its collateral, in the order the creditor listed it.
    pub collateral: Vec<CollateralItem>,
}

/// A facility in force on a date as the borrower owes it: one item of the internal obligations
/// list (paginated by facility), from which the notifications service writes the borrower's
/// transfer notice (all obligations, past-due amounts with their dates, fees and penalties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Obligation {
    /// The facility (the page's cursor).
    pub facility_id: Uuid,
    /// The creditor holding it.
    pub creditor: crate::InstitutionId,
    /// Its terms as recorded (amounts as decimal strings in the facility's currency; collateral
    /// and guarantees included).
    pub terms: crate::facility::FacilityInput,
}

/// The payloads of the registry's events whose state is not one of the types above (topics in
/// [`crate::RegistryTopic`]; a workout, participant, facility, institution or user change carries
/// that record as it is after the change).
pub mod events {
    use std::collections::BTreeMap;

    use chrono::{DateTime, NaiveDate, Utc};
    use serde::{Deserialize, Serialize};
    use uuid::Uuid;

    use super::Workout;

    /// `registry.signing_key_created` and `registry.signing_key_retired`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SigningKeyChanged {
        /// The key id.
        pub kid: String,
    }

    /// `registry.workout_status_changed`: the workout after the change, and who changed it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct WorkoutStatusChanged {
        /// The workout as it is now.
        #[serde(flatten)]
        pub workout: Workout,
        /// The service that owns the step (its client name).
        pub changed_by_service: String,
    }

    /// `registry.coordinator_appointed`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct CoordinatorAppointed {
        /// The workout.
        pub workout_id: Uuid,
        /// The institution appointed.
        pub coordinator: Uuid,
        /// Why (the mandate's decision).
        pub reason: String,
        /// The service that appointed it (its client name).
        pub appointed_by_service: String,
    }

    /// `registry.fx_rates_set`: a new version of the rates of a date, as they now stand.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct FxRatesSet {
        /// The rate date.
        pub date: NaiveDate,
        /// The version of the date's rates (1 for the first rates of the date).
        pub version: i32,
        /// Units of the base currency per unit of each currency.
        pub rates: BTreeMap<String, String>,
        /// Where the rates come from, e.g. `SAMA reference rate`.
        pub source: String,
        /// Why the rates were set again (absent for a first version without one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reason: Option<String>,
    }

    /// `registry.snapshot_frozen`: a record-date snapshot frozen by the coordinator; other services
    /// read it whole with `GET /registry/v1/internal/workouts/{workout}/snapshots/{id}`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SnapshotFrozen {
        /// The frozen snapshot's id.
        pub id: Uuid,
        /// Its record date.
        pub as_of: NaiveDate,
        /// The snapshot's content hash.
        pub content_hash: String,
        /// The id of the registry key that signed it.
        pub kid: String,
        /// When it was frozen.
        pub frozen_at: DateTime<Utc>,
    }

    /// `registry.facility_withdrawn`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct FacilityWithdrawn {
        /// The facility.
        pub id: Uuid,
        /// The version that withdrew it.
        pub version: i32,
        /// Always true.
        pub withdrawn: bool,
        /// Why (repaid, sold, ...).
        pub reason: String,
    }

    /// `registry.information_request_sent`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct InformationRequestSent {
        /// The request.
        pub id: Uuid,
        /// What was asked.
        pub subject: String,
        /// When it was sent.
        pub sent_on: NaiveDate,
        /// When it is due.
        pub due_on: NaiveDate,
    }

    /// `registry.information_request_answered`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct InformationRequestAnswered {
        /// The request.
        pub id: Uuid,
        /// When the borrower answered: the workout's local date when the answer was recorded.
        pub answered_on: NaiveDate,
        /// When the answer was recorded (server time).
        pub recorded_at: DateTime<Utc>,
    }

    /// `registry.information_request_answer_corrected`: the coordinator corrected an answer date.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct InformationRequestAnswerCorrected {
        /// The request.
        pub id: Uuid,
        /// The workout.
        pub workout_id: Uuid,
        /// The answer date before the correction.
        pub answered_on_before: NaiveDate,
        /// The corrected answer date.
        pub answered_on: NaiveDate,
        /// When the answer was recorded (server time), if the registry stamped it.
        pub recorded_at: Option<DateTime<Utc>>,
        /// Why.
        pub reason: String,
    }

    /// `registry.information_request_cancelled`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct InformationRequestCancelled {
        /// The request.
        pub id: Uuid,
        /// The workout.
        pub workout_id: Uuid,
        /// What was asked.
        pub subject: String,
        /// When it was sent.
        pub sent_on: NaiveDate,
        /// Why it was cancelled.
        pub reason: String,
    }

    /// `registry.borrower_classified`: the coordinator classed the borrower non-cooperative on
    /// grounds of judgement (guideline 5.1.2 i, iii, iv).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct BorrowerClassified {
        /// The classification.
        pub id: Uuid,
        /// The workout.
        pub workout_id: Uuid,
        /// The borrower.
        pub borrower_id: Uuid,
        /// The grounds, in the guideline's order.
        pub grounds: Vec<crate::cooperation::NonCooperationGround>,
        /// The written rationale.
        pub rationale: String,
    }

    /// `registry.borrower_classification_lifted`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct BorrowerClassificationLifted {
        /// The classification lifted.
        pub id: Uuid,
        /// The workout.
        pub workout_id: Uuid,
        /// The borrower.
        pub borrower_id: Uuid,
        /// Why it was lifted.
        pub reason: String,
    }

    /// `registry.information_request_overdue`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct InformationRequestOverdue {
        /// The request.
        pub id: Uuid,
        /// The workout.
        pub workout_id: Uuid,
        /// What was asked.
        pub subject: String,
        /// When it was sent.
        pub sent_on: NaiveDate,
        /// When it was due.
        pub due_on: NaiveDate,
    }

    /// One request of a borrower-flagged trail.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MissedRequest {
        /// The request.
        pub id: Uuid,
        /// What was asked.
        pub subject: String,
        /// When it was sent.
        pub sent_on: NaiveDate,
        /// When it was due.
        pub due_on: NaiveDate,
        /// When it was answered (late), if it was.
        pub answered_on: Option<NaiveDate>,
        /// The answer, if any.
        pub response: Option<String>,
        /// `pending`, `answered_on_time`, `answered_late` or `overdue`, on the day of the flag.
        pub status: String,
    }

    /// `registry.borrower_flagged`: two consecutive missed requests (guideline 5.1.2 ii).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct BorrowerFlagged {
        /// The workout.
        pub workout_id: Uuid,
        /// The borrower.
        pub borrower_id: Uuid,
        /// Missed requests in the run.
        pub consecutive_missed: u32,
        /// The run's requests (the audit trail).
        pub trail: Vec<MissedRequest>,
    }
}
