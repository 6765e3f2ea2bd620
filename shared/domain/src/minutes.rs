//! The minutes of a creditor meeting as a structured document (guideline section E: minutes
//! record the decisions and the direction of the process): attendance, and per agenda item the
//! discussion summary, the decisions (each linked to its ballot where voted) and the action items
//! (each with an owner institution and a due date).
//!
//! Rules:
//! - Texts are trimmed and checked when a version is saved ([`MinutesContent::checked`]); an
//!   error names the field (`items[1].decisions[0].text`).
//! - The content hash is the SHA-256 (lowercase hex) of the canonical JSON: serde's field order of
//!   these types, objects with sorted keys, no insignificant whitespace. The same content always
//!   has the same hash, which is what the audit chain records when the minutes are sealed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::text;

/// Who attended, as the minutes record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceLine {
    /// The institution the person attended for.
    pub institution_id: Uuid,
    /// The person, 1–200 characters.
    pub person_name: String,
    /// In what capacity (e.g. "Head of Workout"), 1–200 characters.
    pub capacity: String,
    /// The institution this person held a proxy for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_for: Option<Uuid>,
}

/// A decision taken on an agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// What was decided, 1–2000 characters.
    pub text: String,
    /// The ballot of the voting service that decided it, where voted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballot_id: Option<Uuid>,
}

/// An action item agreed on an agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    /// What is to be done, 1–2000 characters.
    pub text: String,
    /// The institution that owns it.
    pub owner: Uuid,
    /// When it is due (1900-01-01 to 9999-12-31).
    pub due_on: NaiveDate,
}

/// The minutes of one agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemMinutes {
    /// The agenda item's position (1, 2, …).
    pub position: u32,
    /// Its title, 1–200 characters.
    pub title: String,
    /// The summary of the discussion, 1–5000 characters.
    pub discussion: String,
    /// The decisions taken.
    #[serde(default)]
    pub decisions: Vec<Decision>,
    /// The action items agreed.
    #[serde(default)]
    pub actions: Vec<ActionItem>,
}

/// The content of one version of the minutes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesContent {
    /// Who attended.
    #[serde(default)]
    pub attendance: Vec<AttendanceLine>,
    /// The quorum as the meeting established it (e.g. "Quorate: 4 of 5 creditors, 82 % of the
    /// exposure, present"), 1–500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<String>,
    /// Per agenda item, in order.
    #[serde(default)]
    pub items: Vec<ItemMinutes>,
}

/// A field of the minutes that is not acceptable, named as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ContentError {
    /// The field, e.g. `items[0].discussion`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn checked_text(rule: text::TextRule, value: &str, field: String) -> Result<String, ContentError> {
    rule.parse(value)
        .map(text::Text::into_string)
        .map_err(|e| ContentError {
            field,
            message: e.to_string(),
        })
}

impl MinutesContent {
    /// The content with every text trimmed and checked, and agenda positions strictly
    /// increasing.
    pub fn checked(&self) -> Result<Self, ContentError> {
        let attendance = self
            .attendance
            .iter()
            .enumerate()
            .map(|(i, a)| {
                Ok(AttendanceLine {
                    institution_id: a.institution_id,
                    person_name: checked_text(
                        text::NAME,
                        &a.person_name,
                        format!("attendance[{i}].person_name"),
                    )?,
                    capacity: checked_text(
                        text::NAME,
                        &a.capacity,
                        format!("attendance[{i}].capacity"),
                    )?,
                    proxy_for: a.proxy_for,
                })
            })
            .collect::<Result<Vec<_>, ContentError>>()?;
        let mut items = Vec::with_capacity(self.items.len());
        let mut last = 0;
        for (i, item) in self.items.iter().enumerate() {
            if item.position <= last {
                return Err(ContentError {
                    field: format!("items[{i}].position"),
                    message: "positions start at 1 and increase".to_owned(),
                });
            }
            last = item.position;
            let decisions = item
                .decisions
                .iter()
                .enumerate()
                .map(|(j, d)| {
                    Ok(Decision {
                        text: checked_text(
                            text::LONG_REASON,
                            &d.text,
                            format!("items[{i}].decisions[{j}].text"),
                        )?,
                        ballot_id: d.ballot_id,
                    })
                })
                .collect::<Result<Vec<_>, ContentError>>()?;
            let actions = item
                .actions
                .iter()
                .enumerate()
                .map(|(j, a)| {
                    Ok(ActionItem {
                        text: checked_text(
                            text::LONG_REASON,
                            &a.text,
                            format!("items[{i}].actions[{j}].text"),
                        )?,
                        owner: a.owner,
                        due_on: crate::date::BoundedDate::new(a.due_on)
                            .map_err(|e| ContentError {
                                field: format!("items[{i}].actions[{j}].due_on"),
                                message: e.to_string(),
                            })?
                            .get(),
                    })
                })
                .collect::<Result<Vec<_>, ContentError>>()?;
            items.push(ItemMinutes {
                position: item.position,
                title: checked_text(text::NAME, &item.title, format!("items[{i}].title"))?,
                discussion: checked_text(
                    text::STATEMENT,
                    &item.discussion,
                    format!("items[{i}].discussion"),
                )?,
                decisions,
                actions,
            });
        }
        let quorum = self
            .quorum
            .as_deref()
            .map(|q| checked_text(text::REASON, q, "quorum".to_owned()))
            .transpose()?;
        Ok(Self {
            attendance,
            quorum,
            items,
        })
    }

    /// The canonical JSON text (see the module rules).
    pub fn canonical_json(&self) -> String {
        // serde_json's `Value` keeps object keys sorted (no `preserve_order`), and these types
        // hold nothing a JSON value cannot.
        serde_json::to_value(self)
            .map(|v| v.to_string())
            .unwrap_or_default()
    }

    /// SHA-256 of the canonical JSON, lowercase hex.
    pub fn content_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_json().as_bytes()))
    }
}

/// A meeting's invitation as the minutes service's meeting events carry it (`invitation` in the
/// payload of `minutes.meeting_scheduled`, `minutes.meeting_changed` and
/// `minutes.meeting_cancelled`): everything its iCalendar text needs except the people, so that a
/// receiver holding the event and the workout's participants builds the same `.ics` as
/// `GET .../invite.ics` (with `workout_documents::invitation::render`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeetingInvitation {
    /// The meeting.
    pub meeting_id: Uuid,
    /// The calendar `UID`, one for the meeting's life (`meeting-{id}@workout-platform`).
    pub uid: String,
    /// The calendar `SEQUENCE`: 0 when scheduled, raised by every change.
    pub sequence: u32,
    /// Whether the meeting is cancelled (`METHOD:CANCEL`, `STATUS:CANCELLED`).
    pub cancelled: bool,
    /// Its title.
    pub title: String,
    /// Start (UTC).
    pub starts_at: DateTime<Utc>,
    /// End (UTC).
    pub ends_at: DateTime<Utc>,
    /// The IANA time zone it is held in (named in the description).
    pub time_zone: String,
    /// Where.
    pub location: Option<String>,
    /// The video link.
    pub video_link: Option<String>,
    /// The ordered agenda.
    pub agenda: Vec<InvitationItem>,
    /// The institutions invited, by id: each notice contact of each is an `ATTENDEE`.
    pub invitees: Vec<Uuid>,
    /// The meeting's last change (`DTSTAMP`).
    pub changed_at: DateTime<Utc>,
}

/// An agenda item of an invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvitationItem {
    /// Its place, from 1.
    pub position: i32,
    /// Its title.
    pub title: String,
    /// The institution that presents it.
    pub owner_id: Uuid,
    /// Attachments by reference: name and reference (a document id or a URL).
    pub attachments: Vec<InvitationAttachment>,
}

/// An attachment of an invitation's agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvitationAttachment {
    /// Its name.
    pub name: String,
    /// Where it is.
    pub reference: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> MinutesContent {
        MinutesContent {
            attendance: vec![AttendanceLine {
                institution_id: Uuid::nil(),
                person_name: "  Sara Al-Harbi ".to_owned(),
                capacity: "Head of Workout".to_owned(),
                proxy_for: None,
            }],
            quorum: Some("Quorate: both creditors present".to_owned()),
            items: vec![ItemMinutes {
                position: 1,
                title: "Standstill".to_owned(),
                discussion: "The banks discussed the standstill.".to_owned(),
                decisions: vec![Decision {
                    text: "Extend the standstill by 60 days".to_owned(),
                    ballot_id: None,
                }],
                actions: vec![ActionItem {
                    text: "Circulate the extension letter".to_owned(),
                    owner: Uuid::nil(),
                    due_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                }],
            }],
        }
    }

    #[test]
    fn texts_are_trimmed_and_the_hash_is_of_the_canonical_json() {
        let checked = content().checked().unwrap();
        assert_eq!(checked.attendance[0].person_name, "Sara Al-Harbi");
        assert_eq!(checked.content_hash(), checked.clone().content_hash());
        assert_eq!(
            checked.content_hash(),
            hex::encode(Sha256::digest(checked.canonical_json().as_bytes()))
        );
        let mut other = checked.clone();
        other.items[0].decisions[0].text = "Extend the standstill by 30 days".to_owned();
        assert_ne!(other.content_hash(), checked.content_hash());
    }

    #[test]
    fn a_bad_field_is_named() {
        let mut bad = content();
        bad.items[0].decisions[0].text = "   ".to_owned();
        assert_eq!(
            bad.checked().unwrap_err().field,
            "items[0].decisions[0].text"
        );
        let mut far = content();
        far.items[0].actions[0].due_on = NaiveDate::MAX;
        assert_eq!(
            far.checked().unwrap_err().field,
            "items[0].actions[0].due_on"
        );
        let mut unordered = content();
        unordered.items.push(unordered.items[0].clone());
        assert_eq!(unordered.checked().unwrap_err().field, "items[1].position");
    }
}
