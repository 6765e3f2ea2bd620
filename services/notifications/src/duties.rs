//! Duties: what is due by a date on the workout's calendar, known to the service, reported when
//! late.
//!
//! Rules: a duty is opened in the transaction of what starts its clock: the workout's opening (the
//! transfer notice to the borrower and guarantors, due within 5 business days, 5.1.1), a formal
//! notice's delivery (its acknowledgement by the recipient, [`DeadlineRule::NOTICE_ACKNOWLEDGEMENT`]),
//! a written communication from the borrower (its acknowledgement by the bank, 5 business days,
//! 5.3.2 B v). The due date is counted on the workout's business calendar; the duty is late from
//! the end of that day in the calendar's zone (so "due on the fifth business day" is still in time
//! all that day and reported late at 00:00 the day after), when a scheduler job (one per duty, run
//! once whatever the replicas) marks it late and writes the report: to the coordinator always, and
//! for an unacknowledged notice a reminder to its recipient carrying the same acknowledgement link.
//! Meeting a duty after its date keeps it reported late.

use chrono::{DateTime, NaiveDate, Offset as _, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::ParticipantRole;
use workout_domain::calendar::{BusinessCalendar, end_of_day, zone_of};
use workout_domain::deadline::DeadlineRule;
use workout_http::ApiError;
use workout_store::scheduler::{self, Job, Scheduler};

use crate::letters::{self, NewLetter};
use crate::schema::{deliveries, duties};

/// The scheduler's job that reports a duty late.
pub const DUE_JOB: &str = "notification_duty_due";

/// What is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DutyKind {
    /// The written notice to the borrower and guarantors that their case moved to the workout
    /// unit (subject: the workout).
    TransferNotice,
    /// A formal notice's acknowledgement by its recipient (subject: the delivery).
    NoticeAcknowledgement,
    /// The bank's acknowledgement of a written communication from the borrower (subject: the
    /// communication).
    CommunicationAcknowledgement,
}

impl DutyKind {
    /// Its name in the `duties` table.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TransferNotice => "transfer_notice",
            Self::NoticeAcknowledgement => "notice_acknowledgement",
            Self::CommunicationAcknowledgement => "communication_acknowledgement",
        }
    }

    const fn rule(self) -> DeadlineRule {
        match self {
            Self::TransferNotice => DeadlineRule::WORKOUT_TRANSFER_NOTICE,
            Self::NoticeAcknowledgement => DeadlineRule::NOTICE_ACKNOWLEDGEMENT,
            Self::CommunicationAcknowledgement => DeadlineRule::BORROWER_COMMUNICATION_ACK,
        }
    }

    fn parse(name: &str) -> anyhow::Result<Self> {
        [
            Self::TransferNotice,
            Self::NoticeAcknowledgement,
            Self::CommunicationAcknowledgement,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
        .ok_or_else(|| anyhow::anyhow!("unknown duty kind {name:?}"))
    }
}

/// A duty as listed.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = duties)]
pub struct DutyRow {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// `transfer_notice`, `notice_acknowledgement` or `communication_acknowledgement`.
    pub kind: String,
    /// The workout, the delivery or the communication it concerns.
    pub subject_id: Uuid,
    /// The date its clock started.
    pub from_on: NaiveDate,
    /// The last day on which it is met in time.
    pub due_on: NaiveDate,
    /// The business calendar counted on.
    pub calendar: String,
    /// The instant it becomes late (the end of `due_on` in the calendar's zone).
    pub due_at: DateTime<Utc>,
    /// When it was met.
    pub met_at: Option<DateTime<Utc>>,
    /// When it was reported late.
    pub late_at: Option<DateTime<Utc>>,
    /// Opened.
    pub created_at: DateTime<Utc>,
}

/// `calendar`'s business calendar (a name the registry accepted), as an API error otherwise.
pub fn calendar_of(calendar: &str) -> Result<&'static BusinessCalendar, ApiError> {
    BusinessCalendar::builtin(calendar).map_err(|e| ApiError::Internal(e.into()))
}

/// Today in `calendar`'s zone.
pub use workout_domain::calendar::today_in;

/// Opens the duty `kind` about `subject` counted from `from_on` on `calendar` (once: opening it
/// again changes nothing) and schedules its report; its row.
pub async fn open(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    kind: DutyKind,
    subject: Uuid,
    from_on: NaiveDate,
    calendar: &str,
) -> Result<DutyRow, ApiError> {
    let deadline = kind
        .rule()
        .deadline(from_on, calendar_of(calendar)?)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let zone = zone_of(calendar).unwrap_or_else(|| Utc.fix());
    let due_at = end_of_day(deadline.due, zone)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a due date out of range")))?;
    diesel::insert_into(duties::table)
        .values((
            duties::id.eq(Uuid::now_v7()),
            duties::workout_id.eq(workout),
            duties::kind.eq(kind.as_str()),
            duties::subject_id.eq(subject),
            duties::from_on.eq(from_on),
            duties::due_on.eq(deadline.due),
            duties::calendar.eq(calendar),
            duties::due_at.eq(due_at),
        ))
        .on_conflict((duties::kind, duties::subject_id))
        .do_nothing()
        .execute(conn)
        .await?;
    let duty: DutyRow = duties::table
        .filter(duties::kind.eq(kind.as_str()))
        .filter(duties::subject_id.eq(subject))
        .select(DutyRow::as_select())
        .first(conn)
        .await?;
    scheduler::schedule(
        conn,
        DUE_JOB,
        &duty.id.to_string(),
        duty.due_at,
        serde_json::json!({ "duty_id": duty.id }),
    )
    .await?;
    Ok(duty)
}

/// Marks the duty `kind` about `subject` met at `at` (if it is open); whether there was one.
pub async fn meet(
    conn: &mut AsyncPgConnection,
    kind: DutyKind,
    subject: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let met = diesel::update(
        duties::table
            .filter(duties::kind.eq(kind.as_str()))
            .filter(duties::subject_id.eq(subject))
            .filter(duties::met_at.is_null()),
    )
    .set(duties::met_at.eq(at))
    .execute(conn)
    .await?;
    Ok(met > 0)
}

/// The recipient of a formal notice's delivery, as the reminder copies it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
struct Recipient {
    id: Uuid,
    letter_id: Uuid,
    topic: String,
    recipient_email: String,
    recipient_name: String,
    institution_id: Uuid,
    language: String,
    role: Option<String>,
    from_name: Option<String>,
    acknowledged_at: Option<DateTime<Utc>>,
}

/// The report of a late duty, and for an unacknowledged notice the reminder to its recipient.
async fn report(conn: &mut AsyncPgConnection, duty: &DutyRow) -> anyhow::Result<()> {
    let kind = DutyKind::parse(&duty.kind)?;
    let mut content = serde_json::json!({
        "duty": duty.kind,
        "due_on": duty.due_on,
        "calendar": duty.calendar,
    });
    if kind == DutyKind::NoticeAcknowledgement {
        let recipient: Recipient = deliveries::table
            .find(duty.subject_id)
            .select(Recipient::as_select())
            .first(conn)
            .await?;
        if recipient.acknowledged_at.is_some() {
            return Ok(());
        }
        content["notice"] = recipient.topic.clone().into();
        content["recipient"] = serde_json::json!({
            "name": recipient.recipient_name,
            "email": recipient.recipient_email,
            "institution_id": recipient.institution_id,
        });
        let reminder = NewLetter {
            formal: true,
            institutions: Some(vec![recipient.institution_id]),
            ..NewLetter::to_roles(
                duty.workout_id,
                "acknowledgement_reminder",
                &[],
                content.clone(),
            )
        };
        letters::write(conn, &reminder).await?;
        // Already expanded: the reminder goes to this recipient alone, with its notice's link.
        diesel::update(crate::schema::letters::table.find(reminder.id))
            .set(crate::schema::letters::expanded_at.eq(Utc::now()))
            .execute(conn)
            .await?;
        diesel::insert_into(deliveries::table)
            .values((
                deliveries::letter_id.eq(reminder.id),
                deliveries::topic.eq("acknowledgement_reminder"),
                deliveries::workout_id.eq(duty.workout_id),
                deliveries::message_id.eq(crate::fan_out::message_id(
                    reminder.id,
                    &recipient.recipient_email,
                )),
                deliveries::recipient_email.eq(&recipient.recipient_email),
                deliveries::recipient_name.eq(&recipient.recipient_name),
                deliveries::institution_id.eq(recipient.institution_id),
                deliveries::language.eq(&recipient.language),
                deliveries::role.eq(&recipient.role),
                deliveries::formal.eq(true),
                deliveries::from_name.eq(&recipient.from_name),
                deliveries::acknowledges.eq(Some(recipient.id)),
            ))
            .execute(conn)
            .await?;
        content["letter_id"] = recipient.letter_id.to_string().into();
    }
    let kind_name = match kind {
        DutyKind::TransferNotice => "transfer_notice_late",
        DutyKind::NoticeAcknowledgement => "acknowledgement_overdue",
        DutyKind::CommunicationAcknowledgement => "communication_unacknowledged",
    };
    letters::write(
        conn,
        &NewLetter::to_roles(
            duty.workout_id,
            kind_name,
            &[ParticipantRole::Coordinator],
            content,
        ),
    )
    .await?;
    Ok(())
}

/// The handler of [`DUE_JOB`]: reports the duty late if it is still open (once: the job runs once,
/// and a duty already reported is left alone).
async fn report_late(conn: &mut AsyncPgConnection, job: &Job) -> anyhow::Result<()> {
    #[derive(Deserialize)]
    struct Payload {
        duty_id: Uuid,
    }
    let payload: Payload = serde_json::from_value(job.payload.clone())?;
    let Some(duty) = duties::table
        .find(payload.duty_id)
        .select(DutyRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
    else {
        return Ok(());
    };
    if duty.met_at.is_some() || duty.late_at.is_some() {
        return Ok(());
    }
    diesel::update(duties::table.find(duty.id))
        .set(duties::late_at.eq(job.due_at))
        .execute(conn)
        .await?;
    report(conn, &duty).await
}

/// Registers the duties' job on `scheduler`.
pub fn register_jobs(scheduler: Scheduler) -> Scheduler {
    scheduler.register(DUE_JOB, |conn, job, _now| Box::pin(report_late(conn, job)))
}

/// Opens the transfer-notice duty of a workout just opened (from `registry.workout_opened`, whose
/// payload is the workout).
pub async fn on_workout_opened(
    conn: &mut AsyncPgConnection,
    payload: &serde_json::Value,
) -> Result<(), ApiError> {
    let workout: workout_domain::registry_api::Workout = serde_json::from_value(payload.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("a workout_opened payload: {e}")))?;
    open(
        conn,
        workout.id,
        DutyKind::TransferNotice,
        workout.id,
        workout.opened_on,
        &workout.calendar,
    )
    .await?;
    Ok(())
}
