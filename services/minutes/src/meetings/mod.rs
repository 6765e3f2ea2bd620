//! Creditor meetings: when and where, the ordered agenda, who is invited, the iCalendar
//! invitation, who attended and whether they made the quorum.
//!
//! Rules:
//! - The coordinator convenes ([`Action::ConveneMeeting`]): schedules, reschedules or updates
//!   (`If-Match` on the meeting's `sequence`, which is its version), and cancels with a reason.
//!   A cancelled meeting takes no change any more (409 `meeting_cancelled`), nor does a held one
//!   (409 `meeting_held`). Every change is kept in order with what it was before and after.
//! - A meeting is read by its invitees and the coordinator only ([`Action::ReadMeetings`],
//!   narrowed here): the list shows a participant the meetings its institution is invited to,
//!   and any other meeting answers 404 `not_found` exactly as a missing one, so a participant
//!   not invited learns nothing of it (its invitation included). An outsider gets 404 for the
//!   workout.
//! - Invitees are participants of the workout: by default every creditor and the coordinator;
//!   when listed, exactly those (the borrower only when listed), the coordinator always added.
//!   Agenda owners are participants too. The time zone is an IANA name (default
//!   `Asia/Riyadh`); the meeting's date is its local date there.
//! - The invitation keeps one `UID` for the meeting's life (`meeting-{id}@workout-platform`);
//!   its `SEQUENCE` is 0 when scheduled and raised by every change calendars must see (each
//!   update, the cancellation), so a calendar replaces its entry.
//! - Attendance is recorded by the coordinator ([`Action::RecordAttendance`]) as a whole list
//!   (each person for an invited institution, optionally holding a proxy for another invitee);
//!   recording it marks the meeting `held`. The quorum is the domain's
//!   [`AttendanceQuorum`](workout_domain::voting::AttendanceQuorum), weighted by the registry's
//!   snapshot of the meeting's date.
//! - Every change is one transaction that appends its audit entry on the workout's chain and
//!   enqueues its `minutes.meeting_*` event; the scheduling, change and cancellation events carry
//!   the meeting's invitation (`invitation`, a [`MeetingInvitation`](workout_domain::minutes::MeetingInvitation)),
//!   from which a receiver holding the workout's participants writes the same `.ics` as
//!   `GET .../invite.ics`.

pub mod attendance;
pub mod change;
pub mod invite;
pub mod read;
pub mod schedule;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::registry_api::Participant;
use workout_domain::text::{self, TextRule};
use workout_domain::{Action, ParticipantRole, WorkoutId};
use workout_http::{Access, ApiError, FieldError};

use crate::schema::{
    agenda_items, attendance as attendance_table, meeting_changes, meeting_invitees, meetings,
};

/// The time zone of a meeting when none is given.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Riyadh";

/// At most this many agenda items, attachments per item, and invitees.
const MAX_AGENDA_ITEMS: usize = 50;
const MAX_ATTACHMENTS: usize = 20;

/// An attachment's reference: a document id or a URL, one line.
const ATTACHMENT_REFERENCE: TextRule = TextRule::line(500);

/// `/workouts/{workout_id}/meetings/{meeting_id}`.
#[derive(Debug, Deserialize)]
pub struct MeetingPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The meeting.
    pub meeting_id: Uuid,
}

/// An attachment by reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// Its name, 1–200 characters.
    pub name: String,
    /// Where it is: a document id or a URL, 1–500 characters.
    pub reference: String,
}

/// An agenda item as given.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemInput {
    /// Its title, 1–200 characters.
    pub title: String,
    /// The participant institution that presents it.
    pub owner_id: Uuid,
    /// Attachments by reference (at most 20).
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// A meeting as the coordinator gives it (to schedule it, or to replace it whole).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    /// Its title, 1–200 characters.
    pub title: String,
    /// When it starts (RFC 3339), not in the past.
    pub starts_at: DateTime<Utc>,
    /// When it ends, after it starts.
    pub ends_at: DateTime<Utc>,
    /// The IANA time zone it is held in; `Asia/Riyadh` by default.
    pub time_zone: Option<String>,
    /// Where, 1–200 characters; a location, a video link or both.
    pub location: Option<String>,
    /// The video link (`https://`, at most 500 characters).
    pub video_link: Option<String>,
    /// The ordered agenda (at most 50 items).
    #[serde(default)]
    pub agenda: Vec<AgendaItemInput>,
    /// The participant institutions invited; every creditor and the coordinator by default. The
    /// coordinator is always invited.
    pub invitees: Option<Vec<Uuid>>,
}

/// An agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgendaItem {
    /// Its place, from 1.
    pub position: i32,
    /// Its title.
    pub title: String,
    /// The institution that presents it.
    pub owner_id: Uuid,
    /// Attachments by reference.
    pub attachments: Vec<Attachment>,
}

/// What a meeting is (the part a change replaces): kept before and after every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeetingDetails {
    /// Title.
    pub title: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// IANA time zone.
    pub time_zone: String,
    /// Location.
    pub location: Option<String>,
    /// Video link.
    pub video_link: Option<String>,
    /// The ordered agenda.
    pub agenda: Vec<AgendaItem>,
    /// The institutions invited, by id.
    pub invitees: Vec<Uuid>,
}

impl MeetingDetails {
    /// Whether the time changed (a reschedule) from `before`.
    pub fn rescheduled_from(&self, before: &Self) -> bool {
        self.starts_at != before.starts_at
            || self.ends_at != before.ends_at
            || self.time_zone != before.time_zone
    }
}

/// Where a meeting stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Scheduled: invitations out.
    Scheduled,
    /// Its attendance is recorded.
    Held,
    /// Cancelled.
    Cancelled,
}

impl State {
    /// The wire (and database) name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Held => "held",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Result<Self, ApiError> {
        [Self::Scheduled, Self::Held, Self::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown meeting state {text:?}")))
    }
}

/// A stored meeting.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = meetings)]
pub struct MeetingRow {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// Title.
    pub title: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// IANA time zone.
    pub time_zone: String,
    /// Location.
    pub location: Option<String>,
    /// Video link.
    pub video_link: Option<String>,
    /// [`State`] wire name.
    pub state: String,
    /// The iCalendar `SEQUENCE` (and the version of `If-Match`).
    pub sequence: i32,
    /// The coordinator's user who convened it.
    pub organizer: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl MeetingRow {
    /// The state.
    pub fn state(&self) -> Result<State, ApiError> {
        State::parse(&self.state)
    }

    /// The workout.
    pub fn workout(&self) -> WorkoutId {
        WorkoutId::from_uuid(self.workout_id)
    }

    /// The meeting's local date in its time zone (the snapshot's record date).
    pub fn local_date(&self) -> Result<NaiveDate, ApiError> {
        let zone: chrono_tz::Tz = self.time_zone.parse().map_err(|_| {
            ApiError::Internal(anyhow::anyhow!(
                "meeting {}: unknown stored time zone {:?}",
                self.id,
                self.time_zone
            ))
        })?;
        Ok(self.starts_at.with_timezone(&zone).date_naive())
    }

    /// 409 unless the meeting still takes changes (scheduled).
    pub fn require_changeable(&self) -> Result<(), ApiError> {
        match self.state()? {
            State::Scheduled => Ok(()),
            State::Cancelled => Err(ApiError::conflict(
                "meeting_cancelled",
                "the meeting is cancelled: it takes no change any more",
            )),
            State::Held => Err(ApiError::conflict(
                "meeting_held",
                "the meeting was held (its attendance is recorded): it can no longer be changed",
            )),
        }
    }
}

/// A stored agenda item.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agenda_items)]
pub struct AgendaRow {
    /// Meeting.
    pub meeting_id: Uuid,
    /// Place, from 1.
    pub position: i32,
    /// Title.
    pub title: String,
    /// Owner institution.
    pub owner: Uuid,
    /// JSON of `Vec<Attachment>`.
    pub attachments: serde_json::Value,
}

/// A stored change.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = meeting_changes)]
pub struct ChangeRow {
    /// Id.
    pub id: Uuid,
    /// Meeting.
    pub meeting_id: Uuid,
    /// `scheduled`, `rescheduled`, `updated`, `cancelled` or `held`.
    pub kind: String,
    /// Before (none when scheduled).
    pub before: Option<serde_json::Value>,
    /// After.
    pub after: serde_json::Value,
    /// Why (a cancellation).
    pub reason: Option<String>,
    /// By (user).
    pub changed_by: Uuid,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// A stored attendee.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attendance_table)]
pub struct AttendanceRow {
    /// Meeting.
    pub meeting_id: Uuid,
    /// The institution the person attended for.
    pub institution_id: Uuid,
    /// The person.
    pub person_name: String,
    /// In what capacity.
    pub capacity: String,
    /// The institution the person holds a proxy for.
    pub proxy_for: Option<Uuid>,
    /// Recorded by (user).
    pub recorded_by: Uuid,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// A value as JSON.
pub fn to_json(value: &impl Serialize) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

/// The meeting `id` of `workout` (404 `not_found` otherwise), locked for update if `lock`.
pub async fn load_meeting(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    id: Uuid,
    lock: bool,
) -> Result<MeetingRow, ApiError> {
    let query = meetings::table
        .find(id)
        .filter(meetings::workout_id.eq(workout.into_uuid()))
        .select(MeetingRow::as_select());
    let found = if lock {
        query.for_update().first(conn).await
    } else {
        query.first(conn).await
    };
    found.optional()?.ok_or(ApiError::NotFound("meeting"))
}

/// The institutions invited to `meeting`, in id order.
pub async fn invitees_of(
    conn: &mut AsyncPgConnection,
    meeting: Uuid,
) -> Result<Vec<Uuid>, ApiError> {
    Ok(meeting_invitees::table
        .filter(meeting_invitees::meeting_id.eq(meeting))
        .order(meeting_invitees::institution_id.asc())
        .select(meeting_invitees::institution_id)
        .load(conn)
        .await?)
}

/// The meeting `id` of `workout` as `access` may read it: the coordinator reads every meeting,
/// an invitee its meetings; any other answers 404 as a missing meeting.
pub async fn readable_meeting(
    conn: &mut AsyncPgConnection,
    access: &Access,
    id: Uuid,
) -> Result<MeetingRow, ApiError> {
    access.require(Action::ReadMeetings)?;
    let row = load_meeting(conn, access.workout, id, false).await?;
    if access.may(Action::ConveneMeeting)
        || invitees_of(conn, id)
            .await?
            .contains(&access.institution.into_uuid())
    {
        Ok(row)
    } else {
        Err(ApiError::NotFound("meeting"))
    }
}

/// The meeting's agenda, in order.
pub async fn agenda_of(
    conn: &mut AsyncPgConnection,
    meeting: Uuid,
) -> Result<Vec<AgendaItem>, ApiError> {
    let rows: Vec<AgendaRow> = agenda_items::table
        .filter(agenda_items::meeting_id.eq(meeting))
        .order(agenda_items::position.asc())
        .select(AgendaRow::as_select())
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(AgendaItem {
                position: row.position,
                title: row.title,
                owner_id: row.owner,
                attachments: serde_json::from_value(row.attachments).map_err(|e| {
                    ApiError::Internal(anyhow::anyhow!("meeting {meeting}: attachments: {e}"))
                })?,
            })
        })
        .collect()
}

/// The meeting's details as stored.
pub async fn details_of(
    conn: &mut AsyncPgConnection,
    row: &MeetingRow,
) -> Result<MeetingDetails, ApiError> {
    Ok(MeetingDetails {
        title: row.title.clone(),
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        time_zone: row.time_zone.clone(),
        location: row.location.clone(),
        video_link: row.video_link.clone(),
        agenda: agenda_of(conn, row.id).await?,
        invitees: invitees_of(conn, row.id).await?,
    })
}

/// Replaces the meeting's agenda and invitees with those of `details`.
pub async fn store_agenda_and_invitees(
    conn: &mut AsyncPgConnection,
    meeting: Uuid,
    details: &MeetingDetails,
) -> Result<(), ApiError> {
    diesel::delete(agenda_items::table.filter(agenda_items::meeting_id.eq(meeting)))
        .execute(conn)
        .await?;
    diesel::delete(meeting_invitees::table.filter(meeting_invitees::meeting_id.eq(meeting)))
        .execute(conn)
        .await?;
    let agenda = details
        .agenda
        .iter()
        .map(|item| {
            Ok(AgendaRow {
                meeting_id: meeting,
                position: item.position,
                title: item.title.clone(),
                owner: item.owner_id,
                attachments: to_json(&item.attachments)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    diesel::insert_into(agenda_items::table)
        .values(&agenda)
        .execute(conn)
        .await?;
    let invitees: Vec<_> = details
        .invitees
        .iter()
        .map(|institution| {
            (
                meeting_invitees::meeting_id.eq(meeting),
                meeting_invitees::institution_id.eq(*institution),
            )
        })
        .collect();
    diesel::insert_into(meeting_invitees::table)
        .values(&invitees)
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends a change to the meeting's history.
pub async fn store_change(
    conn: &mut AsyncPgConnection,
    change: &ChangeRow,
) -> Result<(), ApiError> {
    diesel::insert_into(meeting_changes::table)
        .values(change)
        .execute(conn)
        .await?;
    Ok(())
}

/// The institutions taking part in the workout, each with its roles.
pub fn roles_by_institution(
    participants: &[Participant],
) -> BTreeMap<Uuid, BTreeSet<ParticipantRole>> {
    let mut roles: BTreeMap<Uuid, BTreeSet<ParticipantRole>> = BTreeMap::new();
    for participant in participants {
        roles
            .entry(participant.institution_id)
            .or_default()
            .insert(participant.role);
    }
    roles
}

/// Checks `input` against the workout's `participants` and `now`, and answers the meeting's
/// details, or 422 with every field that does not fit.
pub fn parse_input(
    input: &MeetingInput,
    participants: &[Participant],
    now: DateTime<Utc>,
) -> Result<MeetingDetails, ApiError> {
    let roles = roles_by_institution(participants);
    let mut errors = Vec::new();
    let mut line = |field: String, rule: TextRule, value: &str| match rule.parse(value) {
        Ok(text) => Some(text.into_string()),
        Err(e) => {
            errors.push(FieldError::new(field, e.to_string()));
            None
        }
    };
    let title = line("title".to_owned(), text::NAME, &input.title);
    let location = input
        .location
        .as_deref()
        .and_then(|l| line("location".to_owned(), text::NAME, l));
    let mut agenda = Vec::new();
    for (n, item) in input.agenda.iter().enumerate() {
        let title = line(format!("agenda[{n}].title"), text::NAME, &item.title);
        let mut attachments = Vec::new();
        for (a, attachment) in item.attachments.iter().enumerate() {
            let name = line(
                format!("agenda[{n}].attachments[{a}].name"),
                text::NAME,
                &attachment.name,
            );
            let reference = line(
                format!("agenda[{n}].attachments[{a}].reference"),
                ATTACHMENT_REFERENCE,
                &attachment.reference,
            );
            if let (Some(name), Some(reference)) = (name, reference) {
                attachments.push(Attachment { name, reference });
            }
        }
        if let Some(title) = title {
            agenda.push(AgendaItem {
                position: i32::try_from(n + 1).unwrap_or(i32::MAX),
                title,
                owner_id: item.owner_id,
                attachments,
            });
        }
    }
    if input.agenda.len() > MAX_AGENDA_ITEMS {
        errors.push(FieldError::new(
            "agenda",
            format!("at most {MAX_AGENDA_ITEMS} agenda items"),
        ));
    }
    for (n, item) in input.agenda.iter().enumerate() {
        if item.attachments.len() > MAX_ATTACHMENTS {
            errors.push(FieldError::new(
                format!("agenda[{n}].attachments"),
                format!("at most {MAX_ATTACHMENTS} attachments per item"),
            ));
        }
        if !roles.contains_key(&item.owner_id) {
            errors.push(FieldError::new(
                format!("agenda[{n}].owner_id"),
                "the owner must be a participant institution of this workout",
            ));
        }
    }
    if input.ends_at <= input.starts_at {
        errors.push(FieldError::new("ends_at", "must be after starts_at"));
    }
    if input.starts_at <= now {
        errors.push(FieldError::new("starts_at", "must not be in the past"));
    }
    let time_zone = input
        .time_zone
        .clone()
        .unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned());
    if time_zone.parse::<chrono_tz::Tz>().is_err() {
        errors.push(FieldError::new(
            "time_zone",
            "must be an IANA time zone name, e.g. Asia/Riyadh",
        ));
    }
    let video_link = input.video_link.clone();
    if let Some(link) = &video_link
        && !(link.starts_with("https://")
            && link.len() > "https://".len()
            && link.len() <= 500
            && !link.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        errors.push(FieldError::new(
            "video_link",
            "must be an https:// link of at most 500 characters without spaces",
        ));
    }
    if input.location.is_none() && input.video_link.is_none() {
        errors.push(FieldError::new(
            "location",
            "give a location, a video link or both",
        ));
    }
    let coordinators: Vec<Uuid> = roles
        .iter()
        .filter(|(_, r)| r.contains(&ParticipantRole::Coordinator))
        .map(|(id, _)| *id)
        .collect();
    let mut invitees: BTreeSet<Uuid> = match &input.invitees {
        None => roles
            .iter()
            .filter(|(_, r)| r.contains(&ParticipantRole::Creditor))
            .map(|(id, _)| *id)
            .collect(),
        Some(listed) => {
            for (n, institution) in listed.iter().enumerate() {
                if !roles.contains_key(institution) {
                    errors.push(FieldError::new(
                        format!("invitees[{n}]"),
                        "an invitee must be a participant institution of this workout",
                    ));
                }
            }
            listed.iter().copied().collect()
        }
    };
    invitees.extend(coordinators);
    match (title, errors.is_empty()) {
        (Some(title), true) => Ok(MeetingDetails {
            title,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            time_zone,
            location,
            video_link,
            agenda,
            invitees: invitees.into_iter().collect(),
        }),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// What an event announces of a meeting.
#[derive(Debug, Serialize)]
pub struct MeetingSummary<'a> {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// State.
    pub state: &'a str,
    /// The invitation's `SEQUENCE`.
    pub sequence: i32,
    /// What it is.
    #[serde(flatten)]
    pub details: &'a MeetingDetails,
}

impl<'a> MeetingSummary<'a> {
    /// Of `row` with `details`.
    pub fn of(row: &'a MeetingRow, details: &'a MeetingDetails) -> Self {
        Self {
            id: row.id,
            workout_id: row.workout_id,
            state: &row.state,
            sequence: row.sequence,
            details,
        }
    }
}

/// What a `minutes.meeting_scheduled` or `minutes.meeting_changed` event carries: the meeting
/// and, as `invitation`, everything its `.ics` needs but the people (see [`invite`]);
/// `minutes.meeting_cancelled` carries `{"meeting", "reason", "invitation"}`.
#[derive(Debug, Serialize)]
pub struct MeetingAnnouncement<'a> {
    /// The meeting.
    #[serde(flatten)]
    pub meeting: MeetingSummary<'a>,
    /// Its invitation.
    pub invitation: workout_domain::minutes::MeetingInvitation,
}

impl<'a> MeetingAnnouncement<'a> {
    /// Of `row` with `details`.
    pub fn of(row: &'a MeetingRow, details: &'a MeetingDetails) -> Result<Self, ApiError> {
        Ok(Self {
            meeting: MeetingSummary::of(row, details),
            invitation: invite::invitation_of(row, details)?,
        })
    }
}
