//! The iCalendar (RFC 5545) invitation of a meeting, built with the `icalendar` crate from a
//! [`MeetingInvitation`] (what the minutes service's meeting events carry) and the workout's
//! participants: one `VEVENT` with the meeting's stable `UID` and its `SEQUENCE`,
//! `METHOD:REQUEST` while it stands and `METHOD:CANCEL` with `STATUS:CANCELLED` once cancelled,
//! the coordinator's notice contact as `ORGANIZER` and one `ATTENDEE` per notice contact of each
//! invitee. The minutes service answers it at `GET .../invite.ics`; the notifications service
//! attaches the same text to the invitations it e-mails.
//!
//! Times are written in UTC (`...Z`), which every calendar reads; the meeting's own time zone is
//! named in the description. `DTSTAMP` is the meeting's last change, so the same sequence always
//! gives the same invitation: the text depends on the invitation and the participants alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use icalendar::{
    Attendee, CUType, Calendar, Component as _, Event, EventLike as _, EventStatus, PartStat,
    Property, Role,
};
use uuid::Uuid;
use workout_domain::ParticipantRole;
use workout_domain::registry_api::Participant;

pub use workout_domain::minutes::{InvitationAttachment, InvitationItem, MeetingInvitation};

/// The `PRODID` of every invitation.
pub const PRODID: &str = "-//Workout platform//Minutes service//EN";

/// A person named in an invitation: a notice contact of a participant institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The contact's name.
    pub name: String,
    /// The contact's e-mail address.
    pub email: String,
    /// The institution's name (the `CN` reads "name (institution)").
    pub institution: String,
}

/// The people of an invitation, found among the workout's participants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parties {
    /// The `ORGANIZER`: the first notice contact of the first coordinator listed.
    pub organizer: Contact,
    /// One `ATTENDEE` per notice contact of each invitee, each address once (compared without
    /// case), in the participants' order.
    pub attendees: Vec<Contact>,
    /// The institutions' names by id, for the agenda items' owners.
    pub names: BTreeMap<Uuid, String>,
}

/// Why an invitation cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvitationError {
    /// No coordinator of the workout has a notice contact to name as `ORGANIZER`.
    #[error("the coordinator has no notice contact to name as the invitation's organizer")]
    NoOrganizer,
}

impl Parties {
    /// The parties of `invitation` among `participants` (as the registry lists a workout's).
    pub fn of(
        invitation: &MeetingInvitation,
        participants: &[Participant],
    ) -> Result<Self, InvitationError> {
        let organizer = participants
            .iter()
            .filter(|p| p.role == ParticipantRole::Coordinator)
            .find_map(|p| {
                p.contacts.first().map(|c| Contact {
                    name: c.name.clone(),
                    email: c.email.clone(),
                    institution: p.institution_name.clone(),
                })
            })
            .ok_or(InvitationError::NoOrganizer)?;
        let mut seen = BTreeSet::new();
        let mut attendees = Vec::new();
        for participant in participants {
            if !invitation.invitees.contains(&participant.institution_id) {
                continue;
            }
            for contact in &participant.contacts {
                if seen.insert(contact.email.to_lowercase()) {
                    attendees.push(Contact {
                        name: contact.name.clone(),
                        email: contact.email.clone(),
                        institution: participant.institution_name.clone(),
                    });
                }
            }
        }
        let names = participants
            .iter()
            .map(|p| (p.institution_id, p.institution_name.clone()))
            .collect();
        Ok(Self {
            organizer,
            attendees,
            names,
        })
    }
}

/// The invitation's text with the parties found among `participants`.
pub fn render_for(
    invitation: &MeetingInvitation,
    participants: &[Participant],
) -> Result<String, InvitationError> {
    Ok(render(invitation, &Parties::of(invitation, participants)?))
}

/// The invitation's text (CRLF lines folded at 75 octets).
pub fn render(invitation: &MeetingInvitation, parties: &Parties) -> String {
    let cancelled = invitation.cancelled;
    let mut event = Event::with_uid(&invitation.uid);
    event
        .sequence(invitation.sequence)
        .timestamp(invitation.changed_at)
        .starts(invitation.starts_at)
        .ends(invitation.ends_at)
        .summary(&invitation.title)
        .description(&description(invitation, &parties.names))
        .status(if cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    if let Some(location) = &invitation.location {
        event.location(location);
    } else if let Some(link) = &invitation.video_link {
        event.location(link);
    }
    if let Some(link) = &invitation.video_link {
        event.url(link);
    }
    let organizer = &parties.organizer;
    event.append_property(
        Property::new("ORGANIZER", format!("mailto:{}", organizer.email))
            .add_parameter(
                "CN",
                &format!("{} ({})", organizer.name, organizer.institution),
            )
            .done(),
    );
    for contact in &parties.attendees {
        let mut attendee = Attendee::new(format!("mailto:{}", contact.email))
            .cutype(CUType::Individual)
            .role(Role::ReqParticipant)
            .partstat(PartStat::NeedsAction)
            .rsvp(!cancelled);
        attendee.cn = Some(format!("{} ({})", contact.name, contact.institution));
        event.attendee(attendee);
    }

    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new(
            "METHOD",
            if cancelled { "CANCEL" } else { "REQUEST" },
        ))
        .push(event.done());
    calendar.to_string()
}

/// The description: the time zone, the video link and the agenda with its owners and
/// attachments.
fn description(invitation: &MeetingInvitation, names: &BTreeMap<Uuid, String>) -> String {
    let mut text = format!("Time zone: {}\n", invitation.time_zone);
    if let Some(link) = &invitation.video_link {
        let _ = writeln!(text, "Video link: {link}");
    }
    if !invitation.agenda.is_empty() {
        text.push_str("\nAgenda:\n");
    }
    for item in &invitation.agenda {
        let owner = names
            .get(&item.owner_id)
            .map_or("a participant", String::as_str);
        let _ = writeln!(text, "{}. {} ({owner})", item.position, item.title);
        for attachment in &item.attachments {
            let _ = writeln!(text, "   - {}: {}", attachment.name, attachment.reference);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};
    use workout_domain::registry_api::NoticeContact;

    use super::*;

    fn participant(
        institution: Uuid,
        name: &str,
        role: ParticipantRole,
        email: &str,
    ) -> Participant {
        Participant {
            id: Uuid::now_v7(),
            institution_id: institution,
            institution_name: name.to_owned(),
            role,
            contacts: vec![NoticeContact {
                name: "Desk".to_owned(),
                email: email.to_owned(),
                language: "en".to_owned(),
            }],
            added_at: Utc::now(),
            removed_at: None,
            removed_reason: None,
        }
    }

    #[test]
    fn an_invitation_has_its_method_uid_sequence_organizer_and_one_attendee_per_contact() {
        let (coordinator, bank, advisor) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let starts = Utc.with_ymd_and_hms(2026, 12, 6, 7, 0, 0).unwrap();
        let id = Uuid::now_v7();
        let mut invitation = MeetingInvitation {
            meeting_id: id,
            uid: format!("meeting-{id}@workout-platform"),
            sequence: 3,
            cancelled: false,
            title: "Creditors' meeting, Riyadh; first".to_owned(),
            starts_at: starts,
            ends_at: starts + chrono::Duration::hours(2),
            time_zone: "Asia/Riyadh".to_owned(),
            location: Some("Room 4, Riyadh".to_owned()),
            video_link: None,
            agenda: vec![InvitationItem {
                position: 1,
                title: "Standstill".to_owned(),
                owner_id: bank,
                attachments: vec![InvitationAttachment {
                    name: "Report".to_owned(),
                    reference: "DOC-1".to_owned(),
                }],
            }],
            invitees: vec![coordinator, bank],
            changed_at: starts,
        };
        let participants = [
            participant(
                coordinator,
                "Lead Bank",
                ParticipantRole::Coordinator,
                "desk@lead.test",
            ),
            participant(
                coordinator,
                "Lead Bank",
                ParticipantRole::Creditor,
                "desk@lead.test",
            ),
            participant(
                bank,
                "Other Bank",
                ParticipantRole::Creditor,
                "desk@other.test",
            ),
            participant(
                advisor,
                "Advisers",
                ParticipantRole::Advisor,
                "desk@advisers.test",
            ),
        ];
        let text = render_for(&invitation, &participants).unwrap();
        let unfolded = text.replace("\r\n ", "");
        let lines: Vec<&str> = unfolded.split("\r\n").collect();
        for expected in [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "METHOD:REQUEST",
            "BEGIN:VEVENT",
            "SEQUENCE:3",
            "STATUS:CONFIRMED",
            "DTSTART:20261206T070000Z",
            "DTEND:20261206T090000Z",
            "DTSTAMP:20261206T070000Z",
            "SUMMARY:Creditors' meeting\\, Riyadh\\; first",
            "END:VCALENDAR",
        ] {
            assert!(lines.contains(&expected), "{expected} in\n{text}");
        }
        assert!(lines.contains(&format!("UID:meeting-{id}@workout-platform").as_str()));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("ORGANIZER;") && l.ends_with(":mailto:desk@lead.test"))
        );
        let attendees: Vec<&&str> = lines.iter().filter(|l| l.starts_with("ATTENDEE")).collect();
        assert_eq!(attendees.len(), 2, "{text}");
        assert!(unfolded.contains("1. Standstill (Other Bank)"), "{text}");
        assert!(text.lines().all(|l| l.len() <= 76), "folded at 75 octets");

        // The invitation travels as JSON (in the meeting events) and renders the same.
        let carried: MeetingInvitation =
            serde_json::from_value(serde_json::to_value(&invitation).unwrap()).unwrap();
        assert_eq!(render_for(&carried, &participants).unwrap(), text);

        invitation.cancelled = true;
        let cancelled = render_for(&invitation, &participants).unwrap();
        assert!(cancelled.contains("METHOD:CANCEL\r\n"));
        assert!(cancelled.contains("STATUS:CANCELLED\r\n"));

        let without_coordinator = &participants[1..];
        assert_eq!(
            render_for(&invitation, without_coordinator),
            Err(InvitationError::NoOrganizer)
        );
    }
}
