//! Letters: what is to be told in a workout, before anyone is named.
//!
//! Rules: a letter has a kind (a received event's topic, a formal notice's kind, a report's or a
//! reminder's), the participant roles it is for and, when it concerns only some institutions,
//! their ids. It is written in the transaction of the change that calls for it (the intake of an
//! event, the issue of a notice, a scheduler job) and turned into deliveries later, by the
//! [`crate::expander`], with the participants the registry lists at that moment: recipients are
//! resolved when the letter is sent, not when it is written. A received event of a topic that tells
//! someone ([`crate::routing`]) becomes one letter with the event's id, so a redelivered event adds
//! nothing.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;
use workout_domain::ParticipantRole;
use workout_http::ApiError;
use workout_store::outbox::Event;

use crate::routing;
use crate::schema::letters;

/// A letter to write.
#[derive(Debug, Clone)]
pub struct NewLetter {
    /// Its id (the event's for an event's letter).
    pub id: Uuid,
    /// Workout concerned.
    pub workout_id: Uuid,
    /// What it says: a topic, or the kind of a notice, report or reminder (its templates' folder).
    pub kind: String,
    /// The event it tells of.
    pub event_id: Option<Uuid>,
    /// The roles told.
    pub roles: Vec<ParticipantRole>,
    /// Only the participants of these institutions, when given.
    pub institutions: Option<Vec<Uuid>>,
    /// A formal notice: never switched off, acknowledged by its recipients.
    pub formal: bool,
    /// What its templates read.
    pub content: serde_json::Value,
    /// The user who issued it (formal notices).
    pub issued_by: Option<(Uuid, Uuid)>,
}

impl NewLetter {
    /// An informational letter of `kind` to `roles` of `workout`, with a new id.
    pub fn to_roles(
        workout: Uuid,
        kind: &str,
        roles: &[ParticipantRole],
        content: serde_json::Value,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            workout_id: workout,
            kind: kind.to_owned(),
            event_id: None,
            roles: roles.to_vec(),
            institutions: None,
            formal: false,
            content,
            issued_by: None,
        }
    }
}

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

/// Writes `letter` (once: a second letter with the same id adds nothing); whether it was new.
pub async fn write(conn: &mut AsyncPgConnection, letter: &NewLetter) -> Result<bool, ApiError> {
    let (issued_by, issued_by_institution) = letter.issued_by.unzip();
    let written = diesel::insert_into(letters::table)
        .values((
            letters::id.eq(letter.id),
            letters::workout_id.eq(letter.workout_id),
            letters::kind.eq(&letter.kind),
            letters::event_id.eq(letter.event_id),
            letters::roles.eq(json(&letter.roles)?),
            letters::institutions.eq(letter.institutions.as_ref().map(json).transpose()?),
            letters::formal.eq(letter.formal),
            letters::content.eq(&letter.content),
            letters::issued_by.eq(issued_by),
            letters::issued_by_institution.eq(issued_by_institution),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(written == 1)
}

/// The letter of a received `event`, if its topic tells someone and it names a workout. The
/// content is the topic alone: an e-mail says that something happened and invites the reader to
/// sign in; it never carries the event's payload (a mailbox is not the platform's access rule).
pub fn of_event(event: &Event) -> Option<NewLetter> {
    let workout = event.workout_id?;
    if let Some(letter) = invitation_letter(workout, event) {
        return Some(letter);
    }
    let roles = routing::told(&event.topic);
    if roles.is_empty() {
        return None;
    }
    Some(NewLetter {
        id: event.id,
        event_id: Some(event.id),
        ..NewLetter::to_roles(
            workout,
            &event.topic,
            roles,
            serde_json::json!({ "topic": event.topic }),
        )
    })
}

/// The topics whose events carry a meeting's invitation.
pub const MEETING_TOPICS: &[&str] = &[
    "minutes.meeting_scheduled",
    "minutes.meeting_changed",
    "minutes.meeting_cancelled",
];

/// A meeting event's letter: to every participant of the invited institutions (the invitees
/// alone read a meeting), carrying the invitation from which its `.ics` is written when the
/// letter is expanded (with the participants of that moment, for the attendees).
fn invitation_letter(workout: Uuid, event: &Event) -> Option<NewLetter> {
    if !MEETING_TOPICS.contains(&event.topic.as_str()) {
        return None;
    }
    let invitation = event.payload.get("invitation").filter(|i| !i.is_null())?;
    let invitees: Vec<Uuid> = serde_json::from_value(invitation.get("invitees")?.clone()).ok()?;
    Some(NewLetter {
        id: event.id,
        event_id: Some(event.id),
        institutions: Some(invitees),
        ..NewLetter::to_roles(
            workout,
            &event.topic,
            ParticipantRole::ALL,
            serde_json::json!({ "topic": event.topic, "invitation": invitation }),
        )
    })
}
