//! The iCalendar (RFC 5545) invitation of a meeting, built with the `icalendar` crate: one
//! `VEVENT` with the meeting's stable `UID` and its `SEQUENCE`, `METHOD:REQUEST` while it stands
//! and `METHOD:CANCEL` with `STATUS:CANCELLED` once cancelled, the coordinator's notice contact
//! as `ORGANIZER` and one `ATTENDEE` per notice contact of each invitee. See the module rules in
//! [`super`].
//!
//! Times are written in UTC (`...Z`), which every calendar reads; the meeting's own time zone is
//! named in the description. `DTSTAMP` is the meeting's last change, so the same sequence always
//! gives the same invitation.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use icalendar::{
    Attendee, CUType, Calendar, Component as _, Event, EventLike as _, EventStatus, PartStat,
    Property, Role,
};
use uuid::Uuid;
use workout_domain::ParticipantRole;
use workout_domain::registry_api::Participant;
use workout_http::precondition::etag;
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller};
use workout_store::Pool;

use super::read::uid_of;
use super::{MeetingDetails, MeetingPath, MeetingRow, State, details_of, readable_meeting};

/// The `PRODID` of every invitation.
pub const PRODID: &str = "-//Workout platform//Minutes service//EN";

/// `GET /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}/invite.ics` (its invitees and
/// the coordinator): the meeting's iCalendar invitation, `text/calendar; method=REQUEST` (or
/// `CANCEL` once cancelled). A participant not invited gets 404 as for a missing meeting.
#[utoipa::path(tag = "meetings", security(("bearer" = [])),
    responses((status = 200, description = "The invitation (RFC 5545)", content_type = "text/calendar"),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/meetings/{meeting_id}/invite.ics")]
pub async fn get_invitation(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let (row, details) = {
        let mut conn = pool.get().await?;
        let row = readable_meeting(&mut conn, &access, id).await?;
        let details = details_of(&mut conn, &row).await?;
        (row, details)
    };
    let participants = registry.participants(workout).await?;
    let cancelled = row.state()? == State::Cancelled;
    let text = invitation(&row, &details, &participants)?;
    let method = if cancelled { "CANCEL" } else { "REQUEST" };
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            format!("text/calendar; charset=utf-8; method={method}"),
        ))
        .insert_header((header::ETAG, etag(row.sequence)))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"meeting-{id}.ics\""),
        ))
        .body(text))
}

/// The invitation's text.
pub fn invitation(
    row: &MeetingRow,
    details: &MeetingDetails,
    participants: &[Participant],
) -> Result<String, ApiError> {
    let cancelled = row.state()? == State::Cancelled;
    let names: BTreeMap<Uuid, &str> = participants
        .iter()
        .map(|p| (p.institution_id, p.institution_name.as_str()))
        .collect();
    let organizer = participants
        .iter()
        .filter(|p| p.role == ParticipantRole::Coordinator)
        .find_map(|p| p.contacts.first().map(|c| (c, p.institution_name.as_str())))
        .ok_or_else(|| {
            ApiError::conflict(
                "no_organizer_contact",
                "the coordinator has no notice contact to name as the invitation's organizer",
            )
        })?;
    let sequence = u32::try_from(row.sequence)
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("negative sequence")))?;

    let mut event = Event::with_uid(&uid_of(row.id));
    event
        .sequence(sequence)
        .timestamp(row.updated_at)
        .starts(details.starts_at)
        .ends(details.ends_at)
        .summary(&details.title)
        .description(&description(details, &names))
        .status(if cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    if let Some(location) = &details.location {
        event.location(location);
    } else if let Some(link) = &details.video_link {
        event.location(link);
    }
    if let Some(link) = &details.video_link {
        event.url(link);
    }
    let (contact, institution) = organizer;
    event.append_property(
        Property::new("ORGANIZER", format!("mailto:{}", contact.email))
            .add_parameter("CN", &format!("{} ({institution})", contact.name))
            .done(),
    );
    // Every notice contact of every invitee still taking part, each address once.
    let mut seen = std::collections::BTreeSet::new();
    for participant in participants {
        if !details.invitees.contains(&participant.institution_id) {
            continue;
        }
        for contact in &participant.contacts {
            if !seen.insert(contact.email.to_lowercase()) {
                continue;
            }
            let mut attendee = Attendee::new(format!("mailto:{}", contact.email))
                .cutype(CUType::Individual)
                .role(Role::ReqParticipant)
                .partstat(PartStat::NeedsAction)
                .rsvp(!cancelled);
            attendee.cn = Some(format!(
                "{} ({})",
                contact.name, participant.institution_name
            ));
            event.attendee(attendee);
        }
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
    Ok(calendar.to_string())
}

/// The description: the time zone, the video link and the agenda with its owners and
/// attachments.
fn description(details: &MeetingDetails, names: &BTreeMap<Uuid, &str>) -> String {
    let mut text = format!("Time zone: {}\n", details.time_zone);
    if let Some(link) = &details.video_link {
        let _ = writeln!(text, "Video link: {link}");
    }
    if !details.agenda.is_empty() {
        text.push_str("\nAgenda:\n");
    }
    for item in &details.agenda {
        let owner = names
            .get(&item.owner_id)
            .copied()
            .unwrap_or("a participant");
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
    use crate::meetings::{AgendaItem, Attachment};

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
        let mut row = MeetingRow {
            id: Uuid::now_v7(),
            workout_id: Uuid::now_v7(),
            title: "Creditors' meeting, Riyadh; first".to_owned(),
            starts_at: starts,
            ends_at: starts + chrono::Duration::hours(2),
            time_zone: "Asia/Riyadh".to_owned(),
            location: Some("Room 4, Riyadh".to_owned()),
            video_link: None,
            state: "scheduled".to_owned(),
            sequence: 3,
            organizer: Uuid::now_v7(),
            created_at: starts,
            updated_at: starts,
        };
        let details = MeetingDetails {
            title: row.title.clone(),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            time_zone: row.time_zone.clone(),
            location: row.location.clone(),
            video_link: None,
            agenda: vec![AgendaItem {
                position: 1,
                title: "Standstill".to_owned(),
                owner_id: bank,
                attachments: vec![Attachment {
                    name: "Report".to_owned(),
                    reference: "DOC-1".to_owned(),
                }],
            }],
            invitees: vec![coordinator, bank],
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
        let text = invitation(&row, &details, &participants).unwrap();
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
        assert!(lines.contains(&format!("UID:meeting-{}@workout-platform", row.id).as_str()));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("ORGANIZER;") && l.ends_with(":mailto:desk@lead.test"))
        );
        let attendees: Vec<&&str> = lines.iter().filter(|l| l.starts_with("ATTENDEE")).collect();
        assert_eq!(attendees.len(), 2, "{text}");
        assert!(text.lines().all(|l| l.len() <= 76), "folded at 75 octets");

        row.state = "cancelled".to_owned();
        let cancelled = invitation(&row, &details, &participants).unwrap();
        assert!(cancelled.contains("METHOD:CANCEL\r\n"));
        assert!(cancelled.contains("STATUS:CANCELLED\r\n"));
    }
}
