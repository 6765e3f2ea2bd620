//! The minutes of a meeting (guideline section E): evidence in a later dispute, so they are
//! versioned, approved and sealed.
//!
//! Rules:
//! - One minutes per meeting, drafted by the coordinator ([`Action::DraftMinutes`]): the content is
//!   the domain's [`MinutesContent`]; every save is a new immutable version with its content hash
//!   (`ETag` = the version number, `If-Match` through `workout_http::precondition`: 428 missing,
//!   412 stale).
//! - Readers: those who read the meeting (the coordinator and the institutions invited to it,
//!   [`crate::meetings::readable_meeting`]); they comment on a version. Any other participant, an
//!   outsider, or a meeting of another workout gets 404 as for a missing meeting.
//! - The coordinator circulates the current version for approval (only a draft): approved when
//!   every invited creditor approves (`approvals`), or when no invited creditor objects by the end
//!   of the N-th business day after circulation on the workout's calendar (`no_objection`, default
//!   5, rule `MINUTES_NO_OBJECTION`; a job of the kit's scheduler). An invited creditor objects
//!   with reasons: the minutes go back to draft and the deadline is cancelled. Only invited
//!   creditors answer ([`Action::AnswerMinutes`] and an invitation): an invitee that is not a
//!   creditor cannot approve.
//! - Approved minutes are sealed: immutable (any change, circulation or answer → 409
//!   `minutes_sealed`), the sealed version's content hash recorded in the workout's audit chain
//!   (`minutes.approved`), and their action items tracked from then on ([`actions`]); they are
//!   exported as Markdown or PDF, in English or Arabic ([`export`]).
//! - Every change is one transaction with its audit entry and its event (`minutes.*`).

pub mod actions;
pub mod approval;
pub mod draft;
pub mod export;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::WorkoutId;
use workout_domain::minutes::MinutesContent;
use workout_http::ApiError;

use crate::schema::{minutes, minutes_versions};

/// `/workouts/{workout_id}/meetings/{meeting_id}`.
#[derive(Debug, Deserialize)]
pub struct MeetingPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The meeting.
    pub meeting_id: Uuid,
}

/// Where minutes stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Being drafted by the coordinator.
    Draft,
    /// A version is out for approval.
    Circulated,
    /// Approved and sealed: immutable.
    Sealed,
}

impl State {
    /// The wire (and database) name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Circulated => "circulated",
            Self::Sealed => "sealed",
        }
    }

    fn parse(text: &str) -> Result<Self, ApiError> {
        [Self::Draft, Self::Circulated, Self::Sealed]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown minutes state {text:?}")))
    }
}

/// Stored minutes.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = minutes)]
pub struct MinutesRow {
    /// Id.
    pub id: Uuid,
    /// The meeting.
    pub meeting_id: Uuid,
    /// The workout.
    pub workout_id: Uuid,
    /// [`State`].
    pub state: String,
    /// The current version.
    pub current_version: i32,
    /// The version out for approval.
    pub circulated_version: Option<i32>,
    /// When it was circulated.
    pub circulated_at: Option<DateTime<Utc>>,
    /// How it is approved ([`approval::Approval`]).
    pub approval: Option<serde_json::Value>,
    /// When it was sealed.
    pub sealed_at: Option<DateTime<Utc>>,
    /// How: `approvals` or `no_objection`.
    pub sealed_how: Option<String>,
    /// The sealed version's content hash.
    pub sealed_hash: Option<String>,
    /// By (the coordinator's user).
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When its last version was saved or its state changed.
    pub updated_at: DateTime<Utc>,
}

impl MinutesRow {
    /// Its state.
    pub fn state(&self) -> Result<State, ApiError> {
        State::parse(&self.state)
    }

    /// 409 `minutes_sealed` once sealed.
    pub fn require_unsealed(&self) -> Result<State, ApiError> {
        match self.state()? {
            State::Sealed => Err(ApiError::conflict(
                "minutes_sealed",
                "the minutes are approved and sealed: they cannot be changed",
            )),
            state => Ok(state),
        }
    }
}

/// A stored version.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = minutes_versions)]
pub struct VersionRow {
    /// The minutes.
    pub minutes_id: Uuid,
    /// 1, 2, …
    pub number: i32,
    /// The canonical content.
    pub content: serde_json::Value,
    /// SHA-256 of the canonical JSON.
    pub content_hash: String,
    /// By (user).
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl VersionRow {
    /// A new version of `content` (already checked).
    pub fn new(
        minutes_id: Uuid,
        number: i32,
        content: &MinutesContent,
        by: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            minutes_id,
            number,
            content: serde_json::to_value(content).map_err(|e| ApiError::Internal(e.into()))?,
            content_hash: content.content_hash(),
            created_by: by,
            created_at: at,
        })
    }

    /// Its content.
    pub fn content(&self) -> Result<MinutesContent, ApiError> {
        serde_json::from_value(self.content.clone()).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!(
                "minutes {} version {}: stored content: {e}",
                self.minutes_id,
                self.number
            ))
        })
    }
}

/// A version as it is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    /// Its number.
    pub number: i32,
    /// SHA-256 of the canonical JSON of `content`.
    pub content_hash: String,
    /// The content.
    pub content: MinutesContent,
    /// By (user).
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl VersionView {
    /// Of `row`.
    pub fn of(row: &VersionRow) -> Result<Self, ApiError> {
        Ok(Self {
            number: row.number,
            content_hash: row.content_hash.clone(),
            content: row.content()?,
            created_by: row.created_by,
            created_at: row.created_at,
        })
    }
}

/// Minutes with their current version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MinutesView {
    /// Id.
    pub id: Uuid,
    /// The meeting.
    pub meeting_id: Uuid,
    /// `draft`, `circulated` or `sealed`.
    pub state: String,
    /// The version out for approval, when circulated.
    pub circulated_version: Option<i32>,
    /// When.
    pub circulated_at: Option<DateTime<Utc>>,
    /// How the circulated version is approved, with its deadline.
    #[schema(value_type = Option<approval::Approval>)]
    pub approval: Option<serde_json::Value>,
    /// When sealed.
    pub sealed_at: Option<DateTime<Utc>>,
    /// How: `approvals` or `no_objection`.
    pub sealed_how: Option<String>,
    /// The sealed version's content hash, as in the audit chain.
    pub sealed_hash: Option<String>,
    /// The current version (its number is the `ETag`).
    pub current: VersionView,
}

impl MinutesView {
    /// Of `row` and its current version.
    pub fn of(row: &MinutesRow, current: &VersionRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id,
            meeting_id: row.meeting_id,
            state: row.state.clone(),
            circulated_version: row.circulated_version,
            circulated_at: row.circulated_at,
            approval: row.approval.clone(),
            sealed_at: row.sealed_at,
            sealed_how: row.sealed_how.clone(),
            sealed_hash: row.sealed_hash.clone(),
            current: VersionView::of(current)?,
        })
    }
}

/// What an event or audit entry says of a version.
#[derive(Debug, Serialize)]
pub struct MinutesSummary {
    /// The minutes.
    pub minutes_id: Uuid,
    /// The meeting.
    pub meeting_id: Uuid,
    /// The version.
    pub version: i32,
    /// Its content hash.
    pub content_hash: String,
}

impl MinutesSummary {
    /// Of version `version` of `row`.
    pub fn of(row: &MinutesRow, version: &VersionRow) -> Self {
        Self {
            minutes_id: row.id,
            meeting_id: row.meeting_id,
            version: version.number,
            content_hash: version.content_hash.clone(),
        }
    }
}

/// The minutes of `meeting` (404 `minutes` before any draft), locked for update if `lock`.
pub async fn load_minutes(
    conn: &mut AsyncPgConnection,
    meeting: Uuid,
    lock: bool,
) -> Result<MinutesRow, ApiError> {
    let query = minutes::table
        .filter(minutes::meeting_id.eq(meeting))
        .select(MinutesRow::as_select());
    let found = if lock {
        query.for_update().first(conn).await
    } else {
        query.first(conn).await
    };
    found.optional()?.ok_or(ApiError::NotFound("minutes"))
}

/// Version `number` of `minutes` (404 `minutes_version` otherwise).
pub async fn load_version(
    conn: &mut AsyncPgConnection,
    minutes: Uuid,
    number: i32,
) -> Result<VersionRow, ApiError> {
    minutes_versions::table
        .find((minutes, number))
        .select(VersionRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(ApiError::NotFound("minutes_version"))
}
