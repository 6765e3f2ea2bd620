//! A workout's coordinator mandate: nomination rounds, consent, appointment, term, renewals,
//! withdrawal and expiry (guideline 5.3.1 E; the rules are the domain's
//! [`workout_domain::mandates`]).
//!
//! Rules:
//! - One mandate per workout, started on request by the coordinator of record (the acting
//!   coordinator: the bank that opened the workout) with the guideline's numbers or the workout's
//!   choices (consent rule, renewals allowed, a first term of at most 6 months).
//! - A nomination opens a consent round: the nominee is the largest creditor of the registry's
//!   snapshot of the day (see the domain for the measure and the tie-break), the next largest
//!   after a decline or a withdrawal, or the creditor the coordinator of record names with a
//!   rationale. The round's voters (the other creditors, weighted by exposure) are copied from
//!   the same snapshot and kept with the round.
//! - A consent or a renewal answer takes the mandate's row `FOR UPDATE`, records the answer (one
//!   per creditor per round: the database refuses a second), and asks the voting engine whether
//!   the rule is decided. When it passes, the registry appoints the nominee inside the same
//!   transaction (idempotently, keyed by the mandate and round), so that concurrent last answers
//!   appoint exactly once; when it fails, the round ends with no coordinator.
//! - Due dates are the domain's `Deadline`s, each naming its rule; the day ends in the workout
//!   calendar's time zone. Timed transitions (appointment overdue, renewal window closed,
//!   expiry) are jobs of the store kit's scheduler ([`jobs`]).
//! - Every transition is one transaction that records its audit entry on the workout's chain and
//!   its `mandates.*` event through the outbox.

pub mod agent;
pub mod duties;
pub mod jobs;
pub mod nomination;
pub mod read;
pub mod renewal;
pub mod start;
pub mod withdrawal;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone as _, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::calendar::zone_of;
use workout_domain::mandates::{Candidate, MandateBreach, MandateRules, nomination_order};
use workout_domain::voting::Voter;
use workout_domain::{
    BusinessCalendar, CreditorExposure, Deadline, Disclosure, InstitutionId, MandatesTopic,
    WorkoutId,
};
use workout_http::ApiError;
use workout_store::audit::Actor;
use workout_store::{Chain, record};

use crate::schema::mandates;

/// A mandate's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Kept since the workout opened (the registry's event), with the appointment's due date and
    /// the guideline's rules: no nomination until the coordinator of record starts the mandate.
    Opened,
    /// A nominee is named; the other creditors answer.
    Nominating,
    /// The last consent round failed: the coordinator of record nominates another creditor.
    Failed,
    /// No creditor is left to nominate by default: the coordinator of record nominates one.
    Vacant,
    /// A coordinator is appointed and its term runs.
    Active,
    /// The renewal window closed with no renewal: the workout closes at expiry.
    Closing,
    /// The term ended and the workout was closed.
    Expired,
}

impl State {
    /// The wire (and database) name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Nominating => "nominating",
            Self::Failed => "failed",
            Self::Vacant => "vacant",
            Self::Active => "active",
            Self::Closing => "closing",
            Self::Expired => "expired",
        }
    }

    fn parse(text: &str) -> Result<Self, ApiError> {
        [
            Self::Opened,
            Self::Nominating,
            Self::Failed,
            Self::Vacant,
            Self::Active,
            Self::Closing,
            Self::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown mandate state {text:?}")))
    }

    /// Whether a nomination may be made (before any appointment of this mandate's coordinator).
    pub const fn is_open_for_nomination(self) -> bool {
        matches!(self, Self::Nominating | Self::Failed | Self::Vacant)
    }
}

/// The settings a mandate runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// The rules (the guideline's numbers unless the workout chose otherwise).
    pub rules: MandateRules,
    /// The first term, in months (at most `rules.max_term_months`).
    pub term_months: u32,
}

/// How a nominee was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NominatedHow {
    /// The largest creditor of the snapshot.
    LargestExposure,
    /// The next largest, after the previous nominee declined.
    AfterDecline,
    /// The next largest, after the coordinator withdrew.
    AfterWithdrawal,
    /// Named by the coordinator of record, with a rationale.
    ByCoordinator,
}

/// A nomination round as kept with the mandate.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Nomination {
    /// How the nominee was chosen.
    pub how: NominatedHow,
    /// Why (a nomination by the coordinator of record; a decline's reason).
    pub rationale: Option<String>,
    /// The snapshot's record date (the nomination date).
    pub as_of: NaiveDate,
    /// Its content hash.
    pub snapshot_hash: String,
    /// The nomination order of that snapshot (passed-over creditors left out).
    pub order: Vec<Candidate>,
    /// The consent round's voters: the other creditors, weighted by exposure.
    pub voters: Vec<Voter>,
}

/// A stored mandate.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mandates)]
pub struct MandateRow {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// State (wire name).
    pub state: String,
    /// Nomination round.
    pub round: i32,
    /// Nominee.
    pub nominee_id: Option<Uuid>,
    /// The round (JSON of [`Nomination`]).
    pub nomination: serde_json::Value,
    /// Appointed coordinator.
    pub coordinator_id: Option<Uuid>,
    /// The workout's opening date.
    pub opened_on: NaiveDate,
    /// JSON of the appointment's [`Deadline`].
    pub appointment_due: serde_json::Value,
    /// The appointment's date.
    pub appointed_on: Option<NaiveDate>,
    /// JSON of the term end's [`Deadline`].
    pub term_end: Option<serde_json::Value>,
    /// Renewals made.
    pub renewals: i32,
    /// JSON of [`Settings`].
    pub rules: serde_json::Value,
    /// JSON array of passed-over creditors.
    pub passed_over: serde_json::Value,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl MandateRow {
    /// The state.
    pub fn state(&self) -> Result<State, ApiError> {
        State::parse(&self.state)
    }

    /// The settings.
    pub fn settings(&self) -> Result<Settings, ApiError> {
        from_json(&self.rules, "rules")
    }

    /// The current round.
    pub fn nomination(&self) -> Result<Nomination, ApiError> {
        from_json(&self.nomination, "nomination")
    }

    /// The appointment's deadline.
    pub fn appointment_due(&self) -> Result<Deadline, ApiError> {
        from_json(&self.appointment_due, "appointment_due")
    }

    /// The term's end, once appointed.
    pub fn term_end(&self) -> Result<Option<Deadline>, ApiError> {
        self.term_end
            .as_ref()
            .map(|v| from_json(v, "term_end"))
            .transpose()
    }

    /// The passed-over creditors.
    pub fn passed_over(&self) -> Result<Vec<InstitutionId>, ApiError> {
        from_json(&self.passed_over, "passed_over")
    }

    /// The workout.
    pub fn workout(&self) -> WorkoutId {
        WorkoutId::from_uuid(self.workout_id)
    }
}

/// Reads a stored JSON column back.
pub fn from_json<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
    what: &str,
) -> Result<T, ApiError> {
    serde_json::from_value(value.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("mandate: its {what}: {e}")))
}

/// Writes a value as JSON.
pub fn to_json(value: &impl Serialize) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

/// The mandate of `workout` (404 `mandate` when none was started), locked for update if `lock`.
pub async fn load_mandate(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    lock: bool,
) -> Result<MandateRow, ApiError> {
    let query = mandates::table
        .filter(mandates::workout_id.eq(workout.into_uuid()))
        .select(MandateRow::as_select());
    let found = if lock {
        query.for_update().first(conn).await
    } else {
        query.first(conn).await
    };
    found.optional()?.ok_or(ApiError::NotFound("mandate"))
}

/// The workout's business calendar (for month arithmetic and the day's time zone).
pub fn calendar_of(name: &str) -> Result<&'static BusinessCalendar, ApiError> {
    BusinessCalendar::builtin(name)
        .map_err(|e| ApiError::unprocessable("calendar_unknown", e.to_string()))
}

/// Today in the calendar's time zone (UTC for a calendar without one).
pub use workout_domain::calendar::today_in as today;

/// The instant `day` ends in the calendar's time zone (the start of the next day).
pub fn end_of(day: NaiveDate, calendar: &str) -> Result<DateTime<Utc>, ApiError> {
    let next = day
        .succ_opt()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("date out of range")))?
        .and_time(NaiveTime::MIN);
    let at = match zone_of(calendar) {
        Some(zone) => zone
            .from_local_datetime(&next)
            .single()
            .map(|t| t.with_timezone(&Utc)),
        None => Some(Utc.from_utc_datetime(&next)),
    };
    at.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("date out of range")))
}

/// A rule's refusal as problem+json: its code, and a detail that starts with the rule's name.
pub fn breach(error: &MandateBreach) -> ApiError {
    ApiError::unprocessable(error.code(), error.to_string())
}

/// A calendar failure as a fault.
pub fn calendar_fault(error: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("calendar: {error}"))
}

/// A nomination of the largest creditor not passed over, from `lines` of the snapshot of `as_of`.
pub fn default_nomination(
    lines: &[CreditorExposure],
    as_of: NaiveDate,
    snapshot_hash: &str,
    passed_over: &[InstitutionId],
    how: NominatedHow,
    rationale: Option<String>,
) -> (Option<InstitutionId>, Nomination) {
    let order = nomination_order(lines, passed_over);
    let nominee = <[Candidate]>::first(&order).map(|c| c.creditor);
    let voters = nominee
        .map(|n| workout_domain::mandates::consent_voters(lines, n))
        .unwrap_or_default();
    (
        nominee,
        Nomination {
            how,
            rationale,
            as_of,
            snapshot_hash: snapshot_hash.to_owned(),
            order,
            voters,
        },
    )
}

/// Stores a new round on `mandate` (locked): nominee, nomination, round + 1 and the state it
/// leads to; records `mandates.coordinator_nominated` (or nothing when nobody is left).
pub async fn open_round(
    conn: &mut AsyncPgConnection,
    mandate: &MandateRow,
    nominee: Option<InstitutionId>,
    nomination: &Nomination,
    actor: &Actor,
    extra: serde_json::Value,
) -> Result<MandateRow, ApiError> {
    let state = if nominee.is_some() {
        State::Nominating
    } else {
        State::Vacant
    };
    let updated: MandateRow = diesel::update(mandates::table.find(mandate.id))
        .set((
            mandates::state.eq(state.as_str()),
            mandates::round.eq(mandate.round + 1),
            mandates::nominee_id.eq(nominee.map(InstitutionId::into_uuid)),
            mandates::nomination.eq(to_json(nomination)?),
            mandates::updated_at.eq(Utc::now()),
        ))
        .returning(MandateRow::as_returning())
        .get_result(conn)
        .await?;
    announce_round(conn, &updated, nomination, actor, extra).await?;
    Ok(updated)
}

/// Records the nomination of `mandate`'s current round.
pub async fn announce_round(
    conn: &mut AsyncPgConnection,
    mandate: &MandateRow,
    nomination: &Nomination,
    actor: &Actor,
    extra: serde_json::Value,
) -> Result<(), ApiError> {
    let after = serde_json::json!({
        "mandate_id": mandate.id,
        "round": mandate.round,
        "nominee_id": mandate.nominee_id,
        "how": nomination.how,
        "rationale": nomination.rationale,
        "as_of": nomination.as_of,
        "state": mandate.state,
        "context": extra,
    });
    record(
        conn,
        Chain::Workout(mandate.workout()),
        actor,
        MandatesTopic::CoordinatorNominated,
        Disclosure::Participants,
        None,
        &after,
    )
    .await?;
    Ok(())
}

/// Records `topic` on the workout's chain with `after`.
pub async fn announce(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    actor: &Actor,
    topic: MandatesTopic,
    after: &serde_json::Value,
) -> Result<(), ApiError> {
    record(
        conn,
        Chain::Workout(workout),
        actor,
        topic,
        topic.disclosure(),
        None,
        after,
    )
    .await?;
    Ok(())
}
