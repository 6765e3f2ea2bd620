//! The input of a minutes document: sealed minutes as plain data, filled by the minutes
//! service. Nothing here is interpreted: every text is shown as given, in either language.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Sealed minutes of one meeting, as the document shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinutesDocument {
    /// The workout's reference, e.g. `WO-2026-0012`.
    pub workout_reference: String,
    /// The meeting's title.
    pub meeting_title: String,
    /// When the meeting started.
    pub starts_at: DateTime<Utc>,
    /// When the meeting ended.
    pub ends_at: DateTime<Utc>,
    /// The IANA time zone the times are shown in (local time with its offset), e.g.
    /// `Asia/Riyadh`; an unknown name fails deserialization.
    pub time_zone: Tz,
    /// Where the meeting took place, if anywhere physical.
    pub location: Option<String>,
    /// The meeting's video link, if any.
    pub video_link: Option<String>,
    /// Who attended, for which institution.
    pub attendance: Vec<Attendee>,
    /// The statement that the meeting was quorate (or not), as recorded.
    pub quorum_statement: String,
    /// The agenda items in order.
    pub agenda_items: Vec<AgendaItem>,
    /// The minutes' version number.
    pub version: u32,
    /// When the minutes were approved.
    pub approved_at: DateTime<Utc>,
    /// When the minutes were sealed; also the PDF's creation date.
    pub sealed_at: DateTime<Utc>,
    /// The SHA-256 of the sealed content, as in the audit chain.
    pub content_hash: ContentHash,
}

/// One person present at the meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    /// The institution the person attended for.
    pub institution: String,
    /// The person's name.
    pub person: String,
    /// The person's role, as text.
    pub role: String,
    /// The institution the person also represented by proxy, if any.
    pub proxy_for: Option<String>,
}

/// One agenda item with what was discussed, decided and assigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaItem {
    /// The item's number on the agenda.
    pub number: u32,
    /// The item's title.
    pub title: String,
    /// A summary of the discussion.
    pub discussion_summary: String,
    /// The decisions taken under this item.
    pub decisions: Vec<Decision>,
    /// The action items assigned under this item.
    pub action_items: Vec<ActionItem>,
}

/// A decision recorded in the minutes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The decision's text.
    pub text: String,
    /// The ballot it was taken by, if it was voted on.
    pub ballot_reference: Option<String>,
}

/// Something an institution is to do by a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    /// What is to be done.
    pub text: String,
    /// The institution responsible.
    pub owner_institution: String,
    /// When it is due.
    pub due_date: NaiveDate,
    /// Where it stands.
    pub status: ActionStatus,
}

/// Where an action item stands; shown in the document's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Not started.
    Open,
    /// Started, not finished.
    InProgress,
    /// Finished.
    Done,
    /// Will not be done.
    Cancelled,
}

/// A SHA-256 content hash as 64 lowercase hex digits, the form the audit chain records; read
/// from text in either case, anything else is refused.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash(String);

impl ContentHash {
    /// The hash as 64 lowercase hex digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ContentHash {
    type Error = InvalidContentHash;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(text.to_ascii_lowercase()))
        } else {
            Err(InvalidContentHash)
        }
    }
}

impl std::str::FromStr for ContentHash {
    type Err = InvalidContentHash;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::try_from(text.to_owned())
    }
}

impl From<ContentHash> for String {
    fn from(hash: ContentHash) -> Self {
        hash.0
    }
}

impl std::fmt::Display for ContentHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text is not a SHA-256 hash in hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a content hash is 64 hex digits (SHA-256)")]
pub struct InvalidContentHash;
