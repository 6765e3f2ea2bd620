//! What a document shows, resolved for one language: labels looked up, times converted to the
//! meeting's time zone, statuses translated. Markdown and PDF both render this one view, so the
//! two formats cannot disagree on content.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::labels::{LABELS, Label, Language};
use crate::minutes::{ActionStatus, MinutesDocument};

/// The document's content, ready to lay out; serialized as JSON it is the typst template's input.
#[derive(Debug, Serialize)]
pub(crate) struct DocumentView {
    pub lang: &'static str,
    pub rtl: bool,
    pub labels: BTreeMap<Label, &'static str>,
    pub title: String,
    pub workout_reference: String,
    pub version: String,
    pub starts: String,
    pub ends: String,
    pub location: Option<String>,
    pub video_link: Option<String>,
    pub attendance: Vec<AttendeeView>,
    pub quorum: String,
    pub agenda: Vec<AgendaItemView>,
    pub approved: String,
    pub sealed: String,
    pub content_hash: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct AttendeeView {
    pub institution: String,
    pub person: String,
    pub role: String,
    pub proxy_for: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct AgendaItemView {
    pub number: String,
    pub title: String,
    pub summary: String,
    pub decisions: Vec<DecisionView>,
    pub actions: Vec<ActionView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct DecisionView {
    pub text: String,
    pub ballot: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ActionView {
    pub text: String,
    pub owner: String,
    pub due: String,
    pub status: &'static str,
}

impl DocumentView {
    pub(crate) fn new(doc: &MinutesDocument, lang: Language) -> Self {
        let zone = doc.time_zone;
        Self {
            lang: lang.code(),
            rtl: lang.is_rtl(),
            labels: LABELS
                .iter()
                .map(|&(label, _, _)| (label, label.text(lang)))
                .collect(),
            title: doc.meeting_title.clone(),
            workout_reference: doc.workout_reference.clone(),
            version: doc.version.to_string(),
            starts: local_time(doc.starts_at, zone),
            ends: local_time(doc.ends_at, zone),
            location: doc.location.clone(),
            video_link: doc.video_link.clone(),
            attendance: doc
                .attendance
                .iter()
                .map(|a| AttendeeView {
                    institution: a.institution.clone(),
                    person: a.person.clone(),
                    role: a.role.clone(),
                    proxy_for: a.proxy_for.clone(),
                })
                .collect(),
            quorum: doc.quorum_statement.clone(),
            agenda: doc
                .agenda_items
                .iter()
                .map(|item| AgendaItemView {
                    number: item.number.to_string(),
                    title: item.title.clone(),
                    summary: item.discussion_summary.clone(),
                    decisions: item
                        .decisions
                        .iter()
                        .map(|d| DecisionView {
                            text: d.text.clone(),
                            ballot: d.ballot_reference.clone(),
                        })
                        .collect(),
                    actions: item
                        .action_items
                        .iter()
                        .map(|a| ActionView {
                            text: a.text.clone(),
                            owner: a.owner_institution.clone(),
                            due: a.due_date.format("%Y-%m-%d").to_string(),
                            status: status_label(a.status).text(lang),
                        })
                        .collect(),
                })
                .collect(),
            approved: local_time(doc.approved_at, zone),
            sealed: local_time(doc.sealed_at, zone),
            content_hash: doc.content_hash.to_string(),
        }
    }

    /// The text of `label` in the view's language.
    pub(crate) fn label(&self, label: Label) -> &'static str {
        self.labels.get(&label).copied().unwrap_or("")
    }
}

const fn status_label(status: ActionStatus) -> Label {
    match status {
        ActionStatus::Open => Label::StatusOpen,
        ActionStatus::InProgress => Label::StatusInProgress,
        ActionStatus::Done => Label::StatusDone,
        ActionStatus::Cancelled => Label::StatusCancelled,
    }
}

/// `2026-11-24 14:00 UTC+03:00 (Asia/Riyadh)`: the local wall time a reader recognises, with
/// the offset that makes it unambiguous. Western digits in both languages, as in the data.
fn local_time(at: DateTime<Utc>, zone: Tz) -> String {
    format!(
        "{} ({})",
        at.with_timezone(&zone).format("%Y-%m-%d %H:%M UTC%:z"),
        zone.name()
    )
}
