//! A meeting's invitation from its event: the `minutes.meeting_scheduled`,
//! `minutes.meeting_changed` and `minutes.meeting_cancelled` events carry the meeting's
//! [`MeetingInvitation`] as `invitation`; with the workout's participants (as the registry lists
//! them) it becomes the invitees and the very `.ics` text that the minutes service answers at
//! `GET .../invite.ics`, written by [`workout_documents::invitation`], without asking the minutes
//! service.

use anyhow::Context as _;
use serde::Deserialize as _;
use uuid::Uuid;
use workout_documents::invitation::{self as ics, MeetingInvitation};
use workout_domain::registry_api::Participant;

/// A meeting's invitation as an e-mail attaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The meeting.
    pub meeting_id: Uuid,
    /// The institutions invited, by id (each notice contact of each is an attendee).
    pub invitees: Vec<Uuid>,
    /// Whether it cancels the meeting (`METHOD:CANCEL`), else `METHOD:REQUEST`.
    pub cancelled: bool,
    /// The iCalendar text (RFC 5545, CRLF lines).
    pub ics: String,
}

impl Invitation {
    /// The MIME type of the attachment, with its method.
    pub fn content_type(&self) -> String {
        let method = if self.cancelled { "CANCEL" } else { "REQUEST" };
        format!("text/calendar; charset=utf-8; method={method}")
    }
}

/// The invitation an event's `payload` carries, written for the workout's `participants`; none
/// when the payload has no `invitation`. An `invitation` that does not read as one, or a workout
/// whose coordinator has no notice contact, is an error.
pub fn invitation_of(
    payload: &serde_json::Value,
    participants: &[Participant],
) -> anyhow::Result<Option<Invitation>> {
    let Some(carried) = payload.get("invitation").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let invitation = MeetingInvitation::deserialize(carried)
        .context("the event's invitation does not read as one")?;
    let text = ics::render_for(&invitation, participants)
        .with_context(|| format!("the invitation of meeting {}", invitation.meeting_id))?;
    Ok(Some(Invitation {
        meeting_id: invitation.meeting_id,
        invitees: invitation.invitees,
        cancelled: invitation.cancelled,
        ics: text,
    }))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};
    use serde_json::json;
    use workout_domain::ParticipantRole;
    use workout_domain::registry_api::NoticeContact;

    use super::*;

    fn participant(
        institution: Uuid,
        name: &str,
        role: ParticipantRole,
        emails: &[&str],
    ) -> Participant {
        Participant {
            id: Uuid::now_v7(),
            institution_id: institution,
            institution_name: name.to_owned(),
            role,
            contacts: emails
                .iter()
                .map(|email| NoticeContact {
                    name: "Desk".to_owned(),
                    email: (*email).to_owned(),
                    language: "en".to_owned(),
                })
                .collect(),
            added_at: Utc::now(),
            removed_at: None,
            removed_reason: None,
        }
    }

    #[test]
    fn a_meeting_event_carries_an_invitation_that_renders_for_its_invitees_and_others_none() {
        let (coordinator, bank, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let meeting = Uuid::now_v7();
        let starts = Utc.with_ymd_and_hms(2026, 12, 6, 7, 0, 0).unwrap();
        let payload = json!({
            "id": meeting, "state": "scheduled", "sequence": 1, "title": "Creditors' meeting",
            "invitation": {
                "meeting_id": meeting, "uid": format!("meeting-{meeting}@workout-platform"),
                "sequence": 1, "cancelled": false, "title": "Creditors' meeting",
                "starts_at": starts, "ends_at": starts + chrono::Duration::hours(2),
                "time_zone": "Asia/Riyadh", "location": "Room 4", "video_link": null,
                "agenda": [{"position": 1, "title": "Standstill", "owner_id": bank,
                            "attachments": [{"name": "Report", "reference": "DOC-1"}]}],
                "invitees": [coordinator, bank], "changed_at": starts,
            }
        });
        let participants = [
            participant(
                coordinator,
                "Lead Bank",
                ParticipantRole::Coordinator,
                &["desk@lead.test"],
            ),
            participant(
                bank,
                "Other Bank",
                ParticipantRole::Creditor,
                &["a@other.test", "b@other.test"],
            ),
            participant(
                other,
                "Third Bank",
                ParticipantRole::Creditor,
                &["desk@third.test"],
            ),
        ];
        let invitation = invitation_of(&payload, &participants).unwrap().unwrap();
        assert_eq!(invitation.meeting_id, meeting);
        assert_eq!(invitation.invitees, vec![coordinator, bank]);
        assert_eq!(
            invitation.content_type(),
            "text/calendar; charset=utf-8; method=REQUEST"
        );
        let unfolded = invitation.ics.replace("\r\n ", "");
        assert!(unfolded.contains("METHOD:REQUEST\r\n"), "{unfolded}");
        assert!(unfolded.contains("SEQUENCE:1\r\n"), "{unfolded}");
        assert!(unfolded.contains(&format!("UID:meeting-{meeting}@workout-platform\r\n")));
        assert!(
            unfolded.contains("1. Standstill (Other Bank)"),
            "{unfolded}"
        );
        let attendees = unfolded
            .lines()
            .filter(|l| l.starts_with("ATTENDEE"))
            .count();
        assert_eq!(attendees, 3, "{unfolded}");
        assert!(!unfolded.contains("desk@third.test"), "{unfolded}");

        // An event without an invitation has none; one that does not read is an error, as is a
        // workout without a coordinator's contact.
        assert_eq!(
            invitation_of(&json!({"id": meeting}), &participants).unwrap(),
            None
        );
        assert!(invitation_of(&json!({"invitation": {"uid": 1}}), &participants).is_err());
        assert!(invitation_of(&payload, &participants[1..]).is_err());
    }
}
