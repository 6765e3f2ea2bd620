//! Term sheets as structured, versioned documents (guideline 5.3.1 N): the coordinator drafts
//! them, creditors and the coordinator read and comment.
//!
//! Rules:
//! - The content is the domain's [`TermSheet`]: every element optional in a draft; the
//!   completeness check and its warnings are the domain's ([`workout_domain::term_sheet`]).
//! - Every edit makes a new immutable version (number 1, 2, …) with its content hash (SHA-256 of
//!   the canonical JSON); versions are never updated or deleted. An edit names the version it
//!   replaces in `If-Match` through the one precondition helper (`workout_http::precondition`):
//!   the `ETag` is the current version **number** (`"2"`), as for every versioned resource of the
//!   platform, and the version's content hash is in the body (`content_hash`); a missing
//!   `If-Match` answers 428, a stale one 412. The term sheet row is locked for the edit, so two
//!   concurrent edits of one version cannot both pass.
//! - Who: only the coordinator creates and edits ([`Action::DraftTermSheet`]); creditors and the
//!   coordinator read and comment ([`Action::ReadTermSheets`], [`Action::CommentTermSheet`]).
//!   The borrower does not see drafts (they are negotiated among the creditors before being
//!   submitted, 5.3.1 O iv–v): it reads the offer submitted to it ([`offer`]); guarantors read
//!   that offer too; advisors and observers see neither. A term sheet of another workout, or a workout the caller
//!   takes no part in, answers 404.
//! - The coordinator compares the options for a version (NPV and IRR, [`comparison`],
//!   [`Action::CompareOptions`]); those who read drafts read the comparisons.
//! - Every change is one transaction that records its audit entry on the workout's chain and its
//!   event (`voting.term_sheet_*`) through the outbox, disclosed to those who may read drafts.

pub mod comments;
pub mod comparison;
pub mod create;
pub mod edit;
pub mod lifecycle;
pub mod offer;
pub mod positions;
pub mod read;
pub mod steps;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::term_sheet::{CanonicalError, TermSheet, canonical_value, content_hash};
use workout_domain::{Action, Disclosure, WorkoutId};
use workout_http::ApiError;

use crate::schema::{term_sheet_versions, term_sheets};

/// Who may read drafts, for the events and audit entries of term sheets.
pub const READERS: Disclosure = Disclosure::Permitted(Action::ReadTermSheets);

/// `/workouts/{workout_id}/term-sheets/{term_sheet_id}`.
#[derive(Debug, Deserialize)]
pub struct TermSheetPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The term sheet.
    pub term_sheet_id: Uuid,
}

/// A stored term sheet.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = term_sheets)]
pub struct TermSheetRow {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// Its title.
    pub title: String,
    /// Its [`State`] (wire name).
    pub state: String,
    /// The current version's number.
    pub current_version: i32,
    /// The coordinator's user who created it.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When its last version was saved.
    pub updated_at: DateTime<Utc>,
    /// The version the creditors agreed by ballot, while that agreement holds.
    pub agreed_version: Option<i32>,
    /// That ballot.
    pub agreement_ballot: Option<Uuid>,
    /// The version last offered to the borrower.
    pub submitted_version: Option<i32>,
    /// When it was offered.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When the offer lapses unless accepted.
    pub lapses_at: Option<DateTime<Utc>>,
    /// The borrower's answer to the last offer ([`offer::Response`]).
    pub response: Option<serde_json::Value>,
    /// The steps after acceptance ([`steps::Step`]s, in order).
    pub steps: serde_json::Value,
}

impl TermSheetRow {
    /// Its state.
    pub fn state(&self) -> Result<State, ApiError> {
        State::ALL
            .into_iter()
            .find(|s| s.as_str() == self.state)
            .ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!(
                    "term sheet {}: unknown stored state {:?}",
                    self.id,
                    self.state
                ))
            })
    }
}

/// Where a term sheet stands in its lifecycle (guideline 5.3.1 O).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Drafted and negotiated among the creditors; the coordinator saves new versions.
    Draft,
    /// A ballot on the current version passed: the creditors' tentative agreement; each bank
    /// records its credit approval. A new version returns it to `draft` (a new ballot is needed).
    CreditorAgreed,
    /// Offered to the borrower; lapses unless accepted in time.
    Submitted,
    /// The borrower accepted: the terms are agreed.
    Accepted,
    /// The borrower rejected the offer with reasons; the coordinator may revise it.
    Rejected,
    /// The borrower counter-proposed a new version; it needs a new creditor ballot.
    Countered,
    /// The offer was not accepted in time; the coordinator may revise it.
    Lapsed,
    /// The agreed term sheet was initialled.
    Initialled,
    /// The legal documentation based on it was prepared.
    Documented,
    /// The legal documents were signed.
    Signed,
    /// Every condition of effectiveness was met: the restructuring is effective.
    Effective,
}

impl State {
    /// Every state.
    pub const ALL: [Self; 11] = [
        Self::Draft,
        Self::CreditorAgreed,
        Self::Submitted,
        Self::Accepted,
        Self::Rejected,
        Self::Countered,
        Self::Lapsed,
        Self::Initialled,
        Self::Documented,
        Self::Signed,
        Self::Effective,
    ];

    /// Its wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::CreditorAgreed => "creditor_agreed",
            Self::Submitted => "submitted",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Countered => "countered",
            Self::Lapsed => "lapsed",
            Self::Initialled => "initialled",
            Self::Documented => "documented",
            Self::Signed => "signed",
            Self::Effective => "effective",
        }
    }

    /// Whether the coordinator may save a new version: while negotiating among the creditors, or
    /// after the borrower's answer other than acceptance (or a lapse). Never while an offer is
    /// out, nor once the terms are agreed.
    pub const fn editable(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::CreditorAgreed | Self::Rejected | Self::Countered | Self::Lapsed
        )
    }
}

/// A stored version.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = term_sheet_versions)]
pub struct VersionRow {
    /// The term sheet.
    pub term_sheet_id: Uuid,
    /// 1, 2, …
    pub number: i32,
    /// The canonical JSON of the [`TermSheet`].
    pub content: serde_json::Value,
    /// SHA-256 of the canonical JSON, lowercase hex.
    pub content_hash: String,
    /// By (user).
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl VersionRow {
    /// A new version of `sheet`.
    pub fn new(
        term_sheet_id: Uuid,
        number: i32,
        sheet: &TermSheet,
        by: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            term_sheet_id,
            number,
            content: canonical_value(sheet).map_err(internal)?,
            content_hash: content_hash(sheet).map_err(internal)?,
            created_by: by,
            created_at: at,
        })
    }

    /// The content as the domain's term sheet.
    pub fn sheet(&self) -> Result<TermSheet, ApiError> {
        serde_json::from_value(self.content.clone()).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!(
                "term sheet {} version {}: stored content: {e}",
                self.term_sheet_id,
                self.number
            ))
        })
    }
}

fn internal(e: CanonicalError) -> ApiError {
    ApiError::Internal(e.into())
}

/// A version as it is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    /// The term sheet.
    pub term_sheet_id: Uuid,
    /// Its number.
    pub number: i32,
    /// SHA-256 of the canonical JSON of `content`, lowercase hex.
    pub content_hash: String,
    /// The content.
    pub content: TermSheet,
    /// By (user).
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl VersionView {
    /// Of `row`.
    pub fn of(row: &VersionRow) -> Result<Self, ApiError> {
        Ok(Self {
            term_sheet_id: row.term_sheet_id,
            number: row.number,
            content_hash: row.content_hash.clone(),
            content: row.sheet()?,
            created_by: row.created_by,
            created_at: row.created_at,
        })
    }
}

/// A term sheet with its current version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TermSheetView {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// Its title.
    pub title: String,
    /// Where it stands: `draft`, `creditor_agreed`, `submitted`, `accepted`, `rejected`,
    /// `countered`, `lapsed`, `initialled`, `documented`, `signed` or `effective`.
    pub state: String,
    /// The coordinator's user who created it.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When its last version was saved.
    pub updated_at: DateTime<Utc>,
    /// The version the creditors agreed by ballot (while that agreement holds), and the ballot.
    pub agreed_version: Option<i32>,
    /// The ballot of that agreement.
    pub agreement_ballot: Option<Uuid>,
    /// The version last offered to the borrower.
    pub submitted_version: Option<i32>,
    /// When the offer lapses unless accepted.
    pub lapses_at: Option<DateTime<Utc>>,
    /// The current version (its number is the `ETag`).
    pub current: VersionView,
}

impl TermSheetView {
    /// Of `row` and its current version.
    pub fn of(row: &TermSheetRow, current: &VersionRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id,
            workout_id: row.workout_id,
            title: row.title.clone(),
            state: row.state.clone(),
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            agreed_version: row.agreed_version,
            agreement_ballot: row.agreement_ballot,
            submitted_version: row.submitted_version,
            lapses_at: row.lapses_at,
            current: VersionView::of(current)?,
        })
    }
}

/// What an event announces of a term sheet's version.
#[derive(Debug, Serialize)]
pub struct TermSheetSummary {
    /// Id.
    pub term_sheet_id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// The version.
    pub version: i32,
    /// Its content hash.
    pub content_hash: String,
}

impl TermSheetSummary {
    /// Of `row`'s version `version`.
    pub fn of(row: &TermSheetRow, version: &VersionRow) -> Self {
        Self {
            term_sheet_id: row.id,
            workout_id: row.workout_id,
            version: version.number,
            content_hash: version.content_hash.clone(),
        }
    }
}

/// The term sheet `id` of `workout` (404 `term_sheet` otherwise), locked for update if `lock`.
pub async fn load_term_sheet(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    id: Uuid,
    lock: bool,
) -> Result<TermSheetRow, ApiError> {
    let query = term_sheets::table
        .find(id)
        .filter(term_sheets::workout_id.eq(workout.into_uuid()))
        .select(TermSheetRow::as_select());
    let found = if lock {
        query.for_update().first(conn).await
    } else {
        query.first(conn).await
    };
    found.optional()?.ok_or(ApiError::NotFound("term_sheet"))
}

/// Saves `content` as the next version of `row` (locked by the caller), by `by`, and puts the
/// term sheet in `state`; any creditors' agreement on an earlier version ends.
pub async fn save_version(
    conn: &mut AsyncPgConnection,
    row: &mut TermSheetRow,
    content: &TermSheet,
    by: Uuid,
    state: State,
) -> Result<VersionRow, ApiError> {
    let now = Utc::now();
    let version = VersionRow::new(row.id, row.current_version + 1, content, by, now)?;
    diesel::insert_into(term_sheet_versions::table)
        .values(&version)
        .execute(conn)
        .await?;
    diesel::update(term_sheets::table.find(row.id))
        .set((
            term_sheets::current_version.eq(version.number),
            term_sheets::updated_at.eq(now),
            term_sheets::state.eq(state.as_str()),
            term_sheets::agreed_version.eq(None::<i32>),
            term_sheets::agreement_ballot.eq(None::<Uuid>),
        ))
        .execute(conn)
        .await?;
    row.current_version = version.number;
    row.updated_at = now;
    row.state = state.as_str().to_owned();
    row.agreed_version = None;
    row.agreement_ballot = None;
    Ok(version)
}

/// Version `number` of the term sheet `id` (404 `term_sheet_version` otherwise).
pub async fn load_version(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    number: i32,
) -> Result<VersionRow, ApiError> {
    term_sheet_versions::table
        .find((id, number))
        .select(VersionRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(ApiError::NotFound("term_sheet_version"))
}
