//! Ballots: a question put to a workout's creditors, decided under a voting rule of the domain's
//! engine by the creditors and weights of a frozen record-date snapshot.
//!
//! Rules:
//! - The coordinator opens a ballot on a frozen snapshot of the registry; the eligible creditors
//!   and their weights (one row per creditor and class) are copied from it once, with the
//!   snapshot's id and content hash, and never read again. The closing time is given, or counted
//!   in business days on the workout's calendar (the ballot keeps the deadline and the rule that
//!   produced it): the ballot closes at the end of that day in the calendar's time zone.
//! - A user of an eligible creditor votes for its institution only: for, against or abstain, with
//!   an optional comment; it may change its vote until the close (every vote is kept, the last
//!   counts; the database holds one effective vote per creditor). Related parties and creditors
//!   with a declared conflict are excluded and cannot vote.
//! - A ballot closes at its deadline (a job of the kit's scheduler, which also catches up after
//!   downtime), by the coordinator, or, if it was opened with `close_early`, as soon as its outcome
//!   can no longer change whatever the creditors who have not voted do. A vote takes the ballot's
//!   row in share mode and a close in update mode, so a vote racing with the close is either
//!   counted (it committed first) or refused with 409 `ballot_closed`; a vote after the deadline
//!   is refused even before the job has run.
//! - The close tallies the effective votes with the domain's engine and stores a result
//!   certificate (snapshot hash, rule, voters, votes, result and a SHA-256 over its canonical
//!   text), recomputable from itself alone.
//! - Visibility: while open, a creditor sees its own vote and the turnout, the coordinator who
//!   voted how and the live position; after the close every participant sees the result and the
//!   individual votes unless the ballot hides votes (then only the coordinator does); the
//!   certificate, which shows every creditor's weight, goes to those who see positions.
//! - Every decision (open, vote, close) is one transaction that records its audit entry on the
//!   workout's chain and its event (`voting.*`) through the outbox.

pub mod close;
pub mod open;
pub mod read;
pub mod vote;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::voting::{Certificate, Choice, Rule, Voter};
use workout_domain::{CreditorClass, InstitutionId, WorkoutId};
use workout_http::ApiError;

use crate::schema::{ballot_closures, ballot_voters, ballots, votes};

/// What a ballot decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A standstill agreement.
    Standstill,
    /// The extension of a standstill.
    StandstillExtension,
    /// A version of the term sheet.
    TermSheetVersion,
    /// The nomination of a coordinator.
    MandateNomination,
    /// The renewal of a coordinator's mandate.
    MandateRenewal,
    /// A waiver.
    Waiver,
    /// Any other resolution.
    OtherResolution,
}

impl SubjectKind {
    /// The wire (and database) name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Standstill => "standstill",
            Self::StandstillExtension => "standstill_extension",
            Self::TermSheetVersion => "term_sheet_version",
            Self::MandateNomination => "mandate_nomination",
            Self::MandateRenewal => "mandate_renewal",
            Self::Waiver => "waiver",
            Self::OtherResolution => "other_resolution",
        }
    }

    /// Whether the subject is a document, whose content hash the ballot must name. A standstill's
    /// extension is not: its `subject_ref` (`{standstill_id}/ends-on/{date}`) names all of it, the
    /// standstill's terms being immutable.
    pub const fn is_document(self) -> bool {
        matches!(
            self,
            Self::Standstill | Self::TermSheetVersion | Self::Waiver
        )
    }
}

/// How a ballot's closing time was set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClosingDeadline {
    /// A time given by the coordinator.
    Given {
        /// The time.
        closes_at: DateTime<Utc>,
    },
    /// A number of business days after the opening day, on the workout's calendar; the ballot
    /// closes at the end of the due day in the calendar's time zone.
    BusinessDays {
        /// The rule's name (`BALLOT_CLOSE`).
        rule: String,
        /// The number of business days.
        business_days: u32,
        /// The opening day (in the calendar's time zone) counted from.
        from: NaiveDate,
        /// The last day of voting.
        due: NaiveDate,
        /// The calendar.
        calendar: String,
    },
}

/// A ballot's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BallotOptions {
    /// Individual votes are never shown to anyone but the coordinator (and each creditor its
    /// own), not even after the close.
    #[serde(default)]
    pub hidden_votes: bool,
    /// The ballot closes as soon as its outcome can no longer change.
    #[serde(default)]
    pub close_early: bool,
}

/// A stored ballot.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ballots)]
pub struct BallotRow {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// Subject kind (wire name).
    pub subject_kind: String,
    /// What is voted on.
    pub subject_ref: String,
    /// The document's content hash.
    pub content_hash: Option<String>,
    /// Title.
    pub title: String,
    /// The rule (JSON of [`Rule`]).
    pub rule: serde_json::Value,
    /// The preset it came from.
    pub preset: Option<String>,
    /// The frozen snapshot.
    pub snapshot_id: Uuid,
    /// Its content hash.
    pub snapshot_hash: String,
    /// Its record date.
    pub record_date: NaiveDate,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// By (user).
    pub opened_by: Uuid,
    /// Closes.
    pub closes_at: DateTime<Utc>,
    /// How `closes_at` was set (JSON of [`ClosingDeadline`]).
    pub deadline: serde_json::Value,
    /// Options (JSON of [`BallotOptions`]).
    pub options: serde_json::Value,
}

impl BallotRow {
    /// The rule, read back.
    pub fn rule(&self) -> Result<Rule, ApiError> {
        read_json(&self.rule, "rule", self.id)
    }

    /// The options, read back.
    pub fn options(&self) -> Result<BallotOptions, ApiError> {
        read_json(&self.options, "options", self.id)
    }

    /// The deadline, read back.
    pub fn deadline(&self) -> Result<ClosingDeadline, ApiError> {
        read_json(&self.deadline, "deadline", self.id)
    }

    /// The workout.
    pub fn workout(&self) -> WorkoutId {
        WorkoutId::from_uuid(self.workout_id)
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
    what: &str,
    ballot: Uuid,
) -> Result<T, ApiError> {
    serde_json::from_value(value.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("ballot {ballot}: its {what}: {e}")))
}

/// A stored voter row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ballot_voters)]
pub struct VoterRow {
    /// Ballot.
    pub ballot_id: Uuid,
    /// Creditor.
    pub creditor_id: Uuid,
    /// Class.
    pub class: String,
    /// Weight.
    pub weight: Decimal,
    /// Related party.
    pub related_party: bool,
    /// Declared a conflict.
    pub conflicted: bool,
}

impl VoterRow {
    /// As the engine reads it.
    pub fn voter(&self) -> Result<Voter, ApiError> {
        Ok(Voter {
            creditor: InstitutionId::from_uuid(self.creditor_id),
            class: self.class.parse::<CreditorClass>().map_err(|e| {
                ApiError::Internal(anyhow::anyhow!("ballot {}: class: {e}", self.ballot_id))
            })?,
            weight: self.weight,
            related_party: self.related_party,
            conflicted: self.conflicted,
        })
    }
}

/// A stored effective vote.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = votes)]
pub struct VoteRow {
    /// Ballot.
    pub ballot_id: Uuid,
    /// Creditor.
    pub creditor_id: Uuid,
    /// Choice (wire name).
    pub choice: String,
    /// Comment.
    pub comment: Option<String>,
    /// Cast by (user).
    pub cast_by: Uuid,
    /// When.
    pub cast_at: DateTime<Utc>,
    /// How often it was changed.
    pub changes: i32,
}

/// A ballot's close.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ballot_closures)]
pub struct ClosureRow {
    /// Ballot.
    pub ballot_id: Uuid,
    /// When.
    pub closed_at: DateTime<Utc>,
    /// How: `deadline`, `coordinator` or `decided`.
    pub closed_how: String,
    /// The certificate (JSON).
    pub certificate: serde_json::Value,
}

/// Reads a choice's wire name.
pub fn choice_of(text: &str) -> Result<Choice, ApiError> {
    Choice::ALL
        .into_iter()
        .find(|c| c.as_str() == text)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown stored choice {text:?}")))
}

/// The ballot `id` of `workout` (404 `ballot` otherwise), locked as `lock` says.
pub async fn load_ballot(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    id: Uuid,
    lock: Lock,
) -> Result<BallotRow, ApiError> {
    let query = ballots::table
        .find(id)
        .filter(ballots::workout_id.eq(workout.into_uuid()))
        .select(BallotRow::as_select());
    let found = match lock {
        Lock::None => query.first(conn).await,
        Lock::Share => query.for_share().first(conn).await,
        Lock::Update => query.for_update().first(conn).await,
    };
    found.optional()?.ok_or(ApiError::NotFound("ballot"))
}

/// How a ballot's row is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Not locked.
    None,
    /// Shared: votes, which may run together but not with a close.
    Share,
    /// Exclusive: a close.
    Update,
}

/// A ballot's voter rows.
pub async fn voters_of(
    conn: &mut AsyncPgConnection,
    ballot: Uuid,
) -> Result<Vec<VoterRow>, ApiError> {
    Ok(ballot_voters::table
        .filter(ballot_voters::ballot_id.eq(ballot))
        .order((ballot_voters::creditor_id.asc(), ballot_voters::class.asc()))
        .select(VoterRow::as_select())
        .load(conn)
        .await?)
}

/// A ballot's effective votes.
pub async fn votes_of(
    conn: &mut AsyncPgConnection,
    ballot: Uuid,
) -> Result<Vec<VoteRow>, ApiError> {
    Ok(votes::table
        .filter(votes::ballot_id.eq(ballot))
        .order(votes::creditor_id.asc())
        .select(VoteRow::as_select())
        .load(conn)
        .await?)
}

/// The engine's view of the effective votes.
pub fn choices(votes: &[VoteRow]) -> Result<BTreeMap<InstitutionId, Choice>, ApiError> {
    votes
        .iter()
        .map(|v| {
            Ok((
                InstitutionId::from_uuid(v.creditor_id),
                choice_of(&v.choice)?,
            ))
        })
        .collect()
}

/// The engine's view of the voter rows.
pub fn engine_voters(rows: &[VoterRow]) -> Result<Vec<Voter>, ApiError> {
    rows.iter().map(VoterRow::voter).collect()
}

/// A ballot's close, if it closed.
pub async fn closure_of(
    conn: &mut AsyncPgConnection,
    ballot: Uuid,
) -> Result<Option<ClosureRow>, ApiError> {
    Ok(ballot_closures::table
        .find(ballot)
        .select(ClosureRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The certificate of the closed ballot `ballot` if it passed: a decision taken on it (a term
/// sheet's agreement, a standstill's extension) needs it. 409 `ballot_open` before the close,
/// `ballot_failed` when it did not pass; `what` completes the refusal ("… did not agree `what`").
pub async fn passed_certificate(
    conn: &mut AsyncPgConnection,
    ballot: &BallotRow,
    what: &str,
) -> Result<Certificate, ApiError> {
    let Some(closure) = closure_of(conn, ballot.id).await? else {
        return Err(ApiError::conflict(
            "ballot_open",
            "the ballot is still open: its decision counts once it has closed and passed",
        ));
    };
    let certificate: Certificate = serde_json::from_value(closure.certificate)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("ballot {}: {e}", ballot.id)))?;
    if certificate.outcome.passed {
        Ok(certificate)
    } else {
        Err(ApiError::conflict(
            "ballot_failed",
            format!("the ballot did not pass: the creditors did not agree {what}"),
        ))
    }
}

/// A tally failure the engine reports: the stored ballot cannot be counted (a fault).
pub fn tally_fault(error: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("tally: {error}"))
}
