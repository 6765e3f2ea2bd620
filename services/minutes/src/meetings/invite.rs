//! The iCalendar (RFC 5545) invitation of a meeting: the meeting as a
//! [`MeetingInvitation`] (which its `minutes.meeting_*` events carry too), written by
//! [`workout_documents::invitation`] with the registry's participants: one `VEVENT` with the
//! meeting's stable `UID` and its `SEQUENCE`, `METHOD:REQUEST` while it stands and
//! `METHOD:CANCEL` with `STATUS:CANCELLED` once cancelled, the coordinator's notice contact as
//! `ORGANIZER` and one `ATTENDEE` per notice contact of each invitee. See the module rules in
//! [`super`].
//!
//! Times are written in UTC (`...Z`), which every calendar reads; the meeting's own time zone is
//! named in the description. `DTSTAMP` is the meeting's last change, so the same sequence always
//! gives the same invitation.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use workout_documents::invitation::{
    self as ics, InvitationAttachment, InvitationError, InvitationItem, MeetingInvitation,
};
use workout_domain::registry_api::Participant;
use workout_http::precondition::etag;
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller};
use workout_store::Pool;

use super::read::uid_of;
use super::{MeetingDetails, MeetingPath, MeetingRow, State, details_of, readable_meeting};

/// The `PRODID` of every invitation.
pub use workout_documents::invitation::PRODID;

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

/// The meeting `row` with `details` as its invitation (what its events carry).
pub fn invitation_of(
    row: &MeetingRow,
    details: &MeetingDetails,
) -> Result<MeetingInvitation, ApiError> {
    let sequence = u32::try_from(row.sequence)
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("negative sequence")))?;
    Ok(MeetingInvitation {
        meeting_id: row.id,
        uid: uid_of(row.id),
        sequence,
        cancelled: row.state()? == State::Cancelled,
        title: details.title.clone(),
        starts_at: details.starts_at,
        ends_at: details.ends_at,
        time_zone: details.time_zone.clone(),
        location: details.location.clone(),
        video_link: details.video_link.clone(),
        agenda: details
            .agenda
            .iter()
            .map(|item| InvitationItem {
                position: item.position,
                title: item.title.clone(),
                owner_id: item.owner_id,
                attachments: item
                    .attachments
                    .iter()
                    .map(|a| InvitationAttachment {
                        name: a.name.clone(),
                        reference: a.reference.clone(),
                    })
                    .collect(),
            })
            .collect(),
        invitees: details.invitees.clone(),
        changed_at: row.updated_at,
    })
}

/// The invitation's text; 409 `no_organizer_contact` when no coordinator has a notice contact.
pub fn invitation(
    row: &MeetingRow,
    details: &MeetingDetails,
    participants: &[Participant],
) -> Result<String, ApiError> {
    ics::render_for(&invitation_of(row, details)?, participants).map_err(|e| match e {
        InvitationError::NoOrganizer => ApiError::conflict("no_organizer_contact", e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};
    use uuid::Uuid;
    use workout_domain::ParticipantRole;
    use workout_domain::registry_api::NoticeContact;

    use super::*;
    use crate::meetings::{AgendaItem, Attachment};

    #[test]
    fn a_meeting_becomes_its_invitation_with_its_agenda_state_and_last_change() {
        let (coordinator, bank) = (Uuid::now_v7(), Uuid::now_v7());
        let starts = Utc.with_ymd_and_hms(2026, 12, 6, 7, 0, 0).unwrap();
        let mut row = MeetingRow {
            id: Uuid::now_v7(),
            workout_id: Uuid::now_v7(),
            title: "Creditors' meeting".to_owned(),
            starts_at: starts,
            ends_at: starts + chrono::Duration::hours(2),
            time_zone: "Asia/Riyadh".to_owned(),
            location: None,
            video_link: Some("https://meet.example.test/x".to_owned()),
            state: "scheduled".to_owned(),
            sequence: 3,
            organizer: Uuid::now_v7(),
            created_at: starts,
            updated_at: starts + chrono::Duration::minutes(5),
        };
        let details = MeetingDetails {
            title: row.title.clone(),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            time_zone: row.time_zone.clone(),
            location: None,
            video_link: row.video_link.clone(),
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
        let carried = invitation_of(&row, &details).unwrap();
        assert_eq!(carried.uid, uid_of(row.id));
        assert_eq!(carried.sequence, 3);
        assert!(!carried.cancelled);
        assert_eq!(carried.changed_at, row.updated_at);
        assert_eq!(carried.agenda[0].attachments[0].reference, "DOC-1");
        assert_eq!(carried.invitees, details.invitees);
        row.state = "cancelled".to_owned();
        assert!(invitation_of(&row, &details).unwrap().cancelled);

        let creditor_only = [Participant {
            id: Uuid::now_v7(),
            institution_id: bank,
            institution_name: "Other Bank".to_owned(),
            role: ParticipantRole::Creditor,
            contacts: vec![NoticeContact {
                name: "Desk".to_owned(),
                email: "desk@other.test".to_owned(),
                language: "en".to_owned(),
            }],
            added_at: starts,
            removed_at: None,
            removed_reason: None,
        }];
        let refused = invitation(&row, &details, &creditor_only).unwrap_err();
        assert!(matches!(refused, ApiError::Conflict { .. }), "{refused:?}");
    }
}
