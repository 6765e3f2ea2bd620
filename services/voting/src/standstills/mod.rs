//! Standstill agreements: the creditors' undertaking, for a stated period, not to enforce, not to
//! accelerate and to hold the line (keep their exposure), against the borrower's undertakings
//! (information, no new security to others, no disposals), while a restructuring is worked out.
//!
//! Rules:
//! - The coordinator proposes a standstill on a frozen record-date snapshot of the registry: its
//!   record date is the reference date, and each creditor's exposure on it is copied once, with the
//!   snapshot's id and content hash, as the baseline; the creditors of the baseline are those who
//!   accede. One live (proposed or effective) standstill per workout.
//! - A user of a creditor of the baseline accedes or declines for its institution only; its answer
//!   may change while the standstill is proposed (one answer per creditor is kept). The accession
//!   rule is a rule of the domain's voting engine (default: the unanimity preset, every creditor
//!   bank; or any other rule, e.g. `majority_lenders`), weighted by the baseline: an accession
//!   counts as a vote for, a refusal as a vote against. The standstill becomes effective as soon
//!   as the engine says the rule passes whatever the others do ([`decided`]); then the registry
//!   moves the workout to `standstill`, in the same use case.
//! - Breaches are reported by any participant; a borrower's breach is recorded by the coordinator
//!   only. A creditor's breach stores its exposure that day (the registry's snapshot of today)
//!   against its baseline. The `drift` view computes, on request, each baseline creditor's
//!   exposure today against its baseline and flags a reduction as a breach. It compares totals in
//!   the base currency at each date's rates (the registry's snapshots, as the baseline is one), not
//!   the registry's facility-by-facility hold-the-line report, which has no internal endpoint: an
//!   exchange-rate move or lower accrued interest can show as a reduction, so a flag is confirmed
//!   by reporting the breach.
//! - A ballot of the creditors extends a live standstill to a later end date ([`extend`]).
//! - The coordinator terminates a proposed or effective standstill with a reason (a termination
//!   event); at the end of its end date (in the workout calendar's time zone) it expires, a job of
//!   the kit's scheduler. When an effective standstill ends and the workout is still in
//!   `standstill`, the registry moves it back to `coordinated`. Three calendar days before a live
//!   standstill's end, `voting.standstill_expiring` reminds everyone, once per end date ([`end`]).
//! - Every decision is one transaction that records its audit entry on the workout's chain and its
//!   event (`voting.standstill_*`) through the outbox. The baseline shows positions: each reader
//!   sees the lines the domain's position rule lets it see.

pub mod accede;
pub mod breach;
pub mod end;
pub mod extend;
pub mod propose;
pub mod read;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::registry_api::StatusChange;
use workout_domain::voting::{Choice, Preset, Rule, Voter, decided};
use workout_domain::{CreditorClass, InstitutionId, WorkoutId, WorkoutStatus};
use workout_http::ApiError;
use workout_http::registry_client::RegistryClient;

use crate::schema::{standstill_accessions, standstill_breaches, standstills};

/// A creditor's undertaking under a standstill.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CreditorUndertaking {
    /// No enforcement of security or claims against the borrower.
    NoEnforcement,
    /// No acceleration of facilities.
    NoAcceleration,
    /// Hold the line: keep its exposure (no reduction of limits or outstanding amounts).
    HoldTheLine,
}

impl CreditorUndertaking {
    /// All of them, the default.
    pub const ALL: [Self; 3] = [Self::NoEnforcement, Self::NoAcceleration, Self::HoldTheLine];
}

/// A borrower's undertaking under a standstill.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BorrowerUndertaking {
    /// Provide the information the creditors request.
    Information,
    /// Grant no new security to other creditors.
    NoNewSecurity,
    /// Dispose of no assets.
    NoDisposals,
}

impl BorrowerUndertaking {
    /// All of them, the default.
    pub const ALL: [Self; 3] = [Self::Information, Self::NoNewSecurity, Self::NoDisposals];
}

/// Both parties' undertakings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Undertakings {
    /// The creditors'.
    pub creditors: Vec<CreditorUndertaking>,
    /// The borrower's.
    pub borrower: Vec<BorrowerUndertaking>,
}

/// The accession rule: a rule of the domain's engine, and the preset it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessionRule {
    /// The preset, if the rule is one.
    pub preset: Option<Preset>,
    /// The rule.
    pub rule: Rule,
}

/// A creditor's exposure on the reference date, as the snapshot showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BaselineLine {
    /// The creditor.
    pub creditor_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its exposure in the base currency.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String)]
    pub exposure: Decimal,
    /// A related party of the borrower.
    pub related_party: bool,
    /// By class (the engine's weights).
    pub classes: Vec<BaselineClass>,
}

/// A creditor's exposure in one class on the reference date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BaselineClass {
    /// The class.
    pub class: String,
    /// The amount in the base currency.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String)]
    pub amount: Decimal,
}

/// Where a standstill stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Proposed, waiting for accessions.
    Proposed,
    /// The accession rule passed: in force.
    Effective,
    /// Ended by a termination event.
    Terminated,
    /// Ended at its end date.
    Expired,
}

impl State {
    /// The wire (and database) name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Effective => "effective",
            Self::Terminated => "terminated",
            Self::Expired => "expired",
        }
    }

    fn parse(text: &str) -> Result<Self, ApiError> {
        [
            Self::Proposed,
            Self::Effective,
            Self::Terminated,
            Self::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown standstill state {text:?}")))
    }

    /// Proposed or effective.
    pub const fn is_live(self) -> bool {
        matches!(self, Self::Proposed | Self::Effective)
    }
}

/// How a standstill ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ended {
    /// When.
    pub at: DateTime<Utc>,
    /// The user who terminated it (none when it expired).
    pub by: Option<Uuid>,
    /// Why.
    pub reason: String,
    /// The workout's status in the registry afterwards, when the standstill ending moved it.
    pub workout_status: Option<WorkoutStatus>,
}

/// A stored standstill.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = standstills)]
pub struct StandstillRow {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// The frozen snapshot of the reference date.
    pub snapshot_id: Uuid,
    /// Its content hash.
    pub snapshot_hash: String,
    /// The reference date (the snapshot's record date).
    pub reference_date: NaiveDate,
    /// JSON of `Vec<BaselineLine>`.
    pub baseline: serde_json::Value,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// JSON of [`Undertakings`].
    pub undertakings: serde_json::Value,
    /// JSON list of the termination events (text).
    pub termination_events: serde_json::Value,
    /// JSON of [`AccessionRule`].
    pub accession_rule: serde_json::Value,
    /// [`State`] wire name.
    pub state: String,
    /// The coordinator's user.
    pub proposed_by: Uuid,
    /// When.
    pub proposed_at: DateTime<Utc>,
    /// When it became effective.
    pub effective_at: Option<DateTime<Utc>>,
    /// JSON of [`Ended`].
    pub ended: Option<serde_json::Value>,
}

impl StandstillRow {
    /// The workout.
    pub fn workout(&self) -> WorkoutId {
        WorkoutId::from_uuid(self.workout_id)
    }

    /// The state.
    pub fn state(&self) -> Result<State, ApiError> {
        State::parse(&self.state)
    }

    /// The baseline.
    pub fn baseline(&self) -> Result<Vec<BaselineLine>, ApiError> {
        read_json(&self.baseline, "baseline", self.id)
    }

    /// The accession rule.
    pub fn accession_rule(&self) -> Result<AccessionRule, ApiError> {
        read_json(&self.accession_rule, "accession rule", self.id)
    }

    /// The undertakings.
    pub fn undertakings(&self) -> Result<Undertakings, ApiError> {
        read_json(&self.undertakings, "undertakings", self.id)
    }

    /// The termination events.
    pub fn termination_events(&self) -> Result<Vec<String>, ApiError> {
        read_json(&self.termination_events, "termination events", self.id)
    }

    /// How it ended.
    pub fn ended(&self) -> Result<Option<Ended>, ApiError> {
        self.ended
            .as_ref()
            .map(|e| read_json(e, "end", self.id))
            .transpose()
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
    what: &str,
    standstill: Uuid,
) -> Result<T, ApiError> {
    serde_json::from_value(value.clone()).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!("standstill {standstill}: its {what}: {e}"))
    })
}

/// A value as JSON.
pub fn to_json(value: &impl Serialize) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

/// A creditor's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// It accedes.
    Acceded,
    /// It declines.
    Declined,
}

impl Answer {
    /// The wire (and database) name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Acceded => "acceded",
            Self::Declined => "declined",
        }
    }

    fn parse(text: &str) -> Result<Self, ApiError> {
        match text {
            "acceded" => Ok(Self::Acceded),
            "declined" => Ok(Self::Declined),
            other => Err(ApiError::Internal(anyhow::anyhow!(
                "unknown stored accession answer {other:?}"
            ))),
        }
    }

    /// As the engine counts it.
    pub const fn choice(self) -> Choice {
        match self {
            Self::Acceded => Choice::For,
            Self::Declined => Choice::Against,
        }
    }
}

/// A stored accession.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = standstill_accessions)]
pub struct AccessionRow {
    /// Standstill.
    pub standstill_id: Uuid,
    /// Creditor.
    pub creditor_id: Uuid,
    /// [`Answer`] wire name.
    pub answer: String,
    /// Comment.
    pub comment: Option<String>,
    /// By (user).
    pub answered_by: Uuid,
    /// When.
    pub answered_at: DateTime<Utc>,
}

/// A stored breach.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = standstill_breaches)]
pub struct BreachRow {
    /// Id.
    pub id: Uuid,
    /// Standstill.
    pub standstill_id: Uuid,
    /// `creditor` or `borrower`.
    pub party: String,
    /// The creditor in breach.
    pub creditor_id: Option<Uuid>,
    /// The kind (wire name).
    pub kind: String,
    /// What happened.
    pub description: String,
    /// The creditor's baseline exposure.
    pub baseline_exposure: Option<Decimal>,
    /// Its exposure on the day of the report.
    pub detected_exposure: Option<Decimal>,
    /// Reported by (user).
    pub reported_by: Uuid,
    /// Of institution.
    pub reporter_id: Uuid,
    /// When.
    pub reported_at: DateTime<Utc>,
}

/// The standstill `id` of `workout` (404 `standstill` otherwise), locked for update if `lock`.
pub async fn load_standstill(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    id: Uuid,
    lock: bool,
) -> Result<StandstillRow, ApiError> {
    let query = standstills::table
        .find(id)
        .filter(standstills::workout_id.eq(workout.into_uuid()))
        .select(StandstillRow::as_select());
    let found = if lock {
        query.for_update().first(conn).await
    } else {
        query.first(conn).await
    };
    found.optional()?.ok_or(ApiError::NotFound("standstill"))
}

/// A standstill's accessions, by creditor.
pub async fn accessions_of(
    conn: &mut AsyncPgConnection,
    standstill: Uuid,
) -> Result<Vec<AccessionRow>, ApiError> {
    Ok(standstill_accessions::table
        .filter(standstill_accessions::standstill_id.eq(standstill))
        .order(standstill_accessions::creditor_id.asc())
        .select(AccessionRow::as_select())
        .load(conn)
        .await?)
}

/// A standstill's breaches, oldest first.
pub async fn breaches_of(
    conn: &mut AsyncPgConnection,
    standstill: Uuid,
) -> Result<Vec<BreachRow>, ApiError> {
    Ok(standstill_breaches::table
        .filter(standstill_breaches::standstill_id.eq(standstill))
        .order(standstill_breaches::id.asc())
        .select(BreachRow::as_select())
        .load(conn)
        .await?)
}

/// The engine's voters: one row per creditor and class of the baseline.
pub fn voters(baseline: &[BaselineLine]) -> Result<Vec<Voter>, ApiError> {
    baseline
        .iter()
        .flat_map(|line| {
            line.classes.iter().map(|class| {
                Ok(Voter {
                    creditor: InstitutionId::from_uuid(line.creditor_id),
                    class: class
                        .class
                        .parse::<CreditorClass>()
                        .map_err(|e| ApiError::Internal(anyhow::anyhow!("baseline class: {e}")))?,
                    weight: class.amount,
                    related_party: line.related_party,
                    conflicted: false,
                })
            })
        })
        .collect()
}

/// The engine's view of the answers.
pub fn choices(rows: &[AccessionRow]) -> Result<BTreeMap<InstitutionId, Choice>, ApiError> {
    rows.iter()
        .map(|row| {
            Ok((
                InstitutionId::from_uuid(row.creditor_id),
                Answer::parse(&row.answer)?.choice(),
            ))
        })
        .collect()
}

/// `Some(passed)` once the accession rule can no longer change, whatever the others answer.
pub fn accession_decided(
    row: &StandstillRow,
    accessions: &[AccessionRow],
) -> Result<Option<bool>, ApiError> {
    let rule = row.accession_rule()?.rule;
    decided(&rule, &voters(&row.baseline()?)?, &choices(accessions)?)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("accession tally: {e}")))
}

/// What an event announces of a standstill (no positions).
#[derive(Debug, Serialize)]
pub struct StandstillSummary {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// The reference date.
    pub reference_date: NaiveDate,
    /// The baseline snapshot's content hash.
    pub snapshot_hash: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// The state.
    pub state: String,
}

impl StandstillSummary {
    /// Of `row`.
    pub fn of(row: &StandstillRow) -> Self {
        Self {
            id: row.id,
            workout_id: row.workout_id,
            reference_date: row.reference_date,
            snapshot_hash: row.snapshot_hash.clone(),
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            state: row.state.clone(),
        }
    }
}

/// When an effective standstill ends: moves the workout from `standstill` back to `coordinated`
/// (idempotently, keyed by the standstill) if it is still in `standstill`; answers the status
/// set, if any.
pub async fn release_workout(
    registry: &RegistryClient,
    row: &StandstillRow,
    reason: &str,
) -> Result<Option<WorkoutStatus>, ApiError> {
    let workout = registry.workout(row.workout()).await?;
    if workout.status != WorkoutStatus::Standstill {
        return Ok(None);
    }
    let change = StatusChange {
        status: WorkoutStatus::Coordinated,
        reason: Some(reason.to_owned()),
    };
    registry
        .set_status(
            row.workout(),
            &change,
            &format!("standstill-{}-end", row.id),
        )
        .await?;
    Ok(Some(WorkoutStatus::Coordinated))
}
