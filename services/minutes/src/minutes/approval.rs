//! Circulating minutes for approval, the invited creditors' answers, approval by no objection at
//! the deadline (a job of the kit's scheduler), and sealing. See the module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::calendar::{end_of_day, zone_of};
use workout_domain::deadline::{Deadline, DeadlineRule, Period};
use workout_domain::{Action, BusinessCalendar, MinutesTopic, ParticipantRole, WorkoutId, text};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::scheduler::{self, Job, Scheduler};
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::actions::track_actions;
use super::{
    MeetingPath, MinutesRow, MinutesSummary, MinutesView, State, load_minutes, load_version,
};
use crate::meetings::{invitees_of, load_meeting, readable_meeting, to_json};
use crate::schema::{minutes, minutes_responses};

/// The job that approves circulated minutes when no one objected by the deadline (keyed by the
/// minutes).
pub const NO_OBJECTION_JOB: &str = "minutes_no_objection";

/// The most business days a circulation may run.
pub const MAX_BUSINESS_DAYS: u32 = 20;

/// How circulated minutes are approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Approval {
    /// Every invited creditor approves.
    Approvals {
        /// The workout's business calendar (its time zone ends the action items' due days).
        calendar: String,
    },
    /// No invited creditor objects before the end of the deadline's due day in the workout
    /// calendar's time zone.
    NoObjection {
        /// The deadline: its rule, the day counted from, the due day, the calendar.
        #[schema(value_type = Object)]
        deadline: Deadline,
        /// The instant the minutes are approved unless someone objects.
        approved_at: DateTime<Utc>,
    },
}

/// How the coordinator asks for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    /// By no objection within the business days (the default).
    #[default]
    NoObjection,
    /// By every invited creditor's approval.
    Approvals,
}

/// `POST .../minutes/circulate`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Circulate {
    /// How the minutes are approved (`no_objection` by default).
    #[serde(default)]
    pub approval: ApprovalMode,
    /// For `no_objection`: business days on the workout's calendar (1–20, default 5).
    #[serde(default)]
    pub business_days: Option<u32>,
}

/// The no-objection deadline of minutes circulated at `at` on `calendar`: the `days`-th business
/// day after the day of circulation (in the calendar's time zone), and the instant that day ends.
pub fn no_objection_deadline(
    at: DateTime<Utc>,
    days: u32,
    calendar: &str,
) -> Result<(Deadline, DateTime<Utc>), ApiError> {
    let zone = zone_of(calendar).ok_or_else(|| {
        ApiError::unprocessable(
            "calendar_without_zone",
            format!("the workout's calendar {calendar} has no time zone to end a day in"),
        )
    })?;
    let business = BusinessCalendar::builtin(calendar)
        .map_err(|e| ApiError::unprocessable("calendar_unknown", e.to_string()))?;
    let rule = DeadlineRule {
        period: Period::BusinessDays(days),
        ..DeadlineRule::MINUTES_NO_OBJECTION
    };
    let from: NaiveDate = at.with_timezone(&zone).date_naive();
    let deadline = rule
        .deadline(from, business)
        .map_err(|e| ApiError::unprocessable("calendar_unknown", e.to_string()))?;
    let ends = end_of_day(deadline.due, zone)
        .ok_or_else(|| ApiError::invalid_field("business_days", "out of range"))?;
    Ok((deadline, ends))
}

/// `POST /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes/circulate` (the
/// coordinator): circulates the current version for approval. Answers 200 with the minutes; 409
/// `minutes_circulated` while a version is out, `minutes_sealed` once sealed.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    request_body = Circulate,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = MinutesView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes/circulate")]
pub async fn circulate_minutes(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
    body: JsonBody<Circulate>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: meeting,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::DraftMinutes)?;
    let body = body.parse()?;
    let days =
        body.value
            .business_days
            .unwrap_or(match DeadlineRule::MINUTES_NO_OBJECTION.period {
                Period::BusinessDays(days) => days,
                _ => 5,
            });
    if !(1..=MAX_BUSINESS_DAYS).contains(&days) {
        return Err(ApiError::invalid_field(
            "business_days",
            format!("from 1 to {MAX_BUSINESS_DAYS} business days"),
        ));
    }
    let now = Utc::now();
    let facts = registry.workout(workout).await?;
    if zone_of(&facts.calendar).is_none() {
        return Err(ApiError::unprocessable(
            "calendar_without_zone",
            format!(
                "the workout's calendar {} has no time zone to end a day in",
                facts.calendar
            ),
        ));
    }
    let approval = match body.value.approval {
        ApprovalMode::Approvals => Approval::Approvals {
            calendar: facts.calendar.clone(),
        },
        ApprovalMode::NoObjection => {
            let (deadline, approved_at) = no_objection_deadline(now, days, &facts.calendar)?;
            Approval::NoObjection {
                deadline,
                approved_at,
            }
        }
    };
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        load_meeting(conn, workout, meeting, false).await?;
        let mut row = load_minutes(conn, meeting, true).await?;
        if row.require_unsealed()? == State::Circulated {
            return Err(ApiError::conflict(
                "minutes_circulated",
                "a version of the minutes is out for approval already",
            ));
        }
        let version = load_version(conn, row.id, row.current_version).await?;
        let stored = to_json(&approval)?;
        diesel::update(minutes::table.find(row.id))
            .set((
                minutes::state.eq(State::Circulated.as_str()),
                minutes::circulated_version.eq(version.number),
                minutes::circulated_at.eq(now),
                minutes::approval.eq(&stored),
                minutes::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        row.state = State::Circulated.as_str().to_owned();
        row.circulated_version = Some(version.number);
        row.circulated_at = Some(now);
        row.approval = Some(stored);
        row.updated_at = now;
        if let Approval::NoObjection { approved_at, .. } = &approval {
            scheduler::schedule(
                conn,
                NO_OBJECTION_JOB,
                &row.id.to_string(),
                *approved_at,
                serde_json::json!({
                    "workout_id": workout,
                    "meeting_id": meeting,
                    "version": version.number,
                }),
            )
            .await?;
        }
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            MinutesTopic::Circulated,
            MinutesTopic::Circulated.disclosure(),
            None,
            &serde_json::json!({
                "minutes": MinutesSummary::of(&row, &version),
                "approval": approval,
            }),
        )
        .await?;
        Reply::ok(&MinutesView::of(&row, &version)?)
    })
    .await
}

/// An invited creditor's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// It approves the circulated version.
    Approve,
    /// It objects, with reasons: the minutes go back to draft.
    Object,
}

impl Answer {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Object => "object",
        }
    }
}

/// `POST .../minutes/responses`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Respond {
    /// The version answered: the circulated one.
    pub version: i32,
    /// Approve or object.
    pub answer: Answer,
    /// Why (required to object), 1–2000 characters.
    #[serde(default)]
    pub reasons: Option<String>,
}

/// `POST /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes/responses` (an invited
/// creditor, for its own institution): approves or objects to the circulated version. An objection
/// sends the minutes back to draft; with `approvals`, the last approval seals them. Answers 200
/// with the minutes; 409 `minutes_not_circulated`, `minutes_sealed`.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    request_body = Respond,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = MinutesView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes/responses")]
pub async fn respond_to_minutes(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
    body: JsonBody<Respond>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: meeting,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let body = body.parse()?;
    let input = &body.value;
    let reasons = input
        .reasons
        .as_deref()
        .map(|r| text::LONG_REASON.parse(r).map(text::Text::into_string))
        .transpose()
        .map_err(|e| ApiError::invalid_field("reasons", e.to_string()))?;
    if input.answer == Answer::Object && reasons.is_none() {
        return Err(ApiError::invalid_field(
            "reasons",
            "an objection gives its reasons",
        ));
    }
    let institution = caller.institution_id.into_uuid();
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        readable_meeting(conn, &access, meeting).await?;
        access.require(Action::AnswerMinutes)?;
        if !invitees_of(conn, meeting).await?.contains(&institution) {
            return Err(ApiError::Forbidden(
                "only a creditor invited to the meeting answers its minutes".to_owned(),
            ));
        }
        let mut row = load_minutes(conn, meeting, true).await?;
        if row.require_unsealed()? != State::Circulated {
            return Err(ApiError::conflict(
                "minutes_not_circulated",
                "the minutes are not out for approval",
            ));
        }
        let circulated = row.circulated_version.unwrap_or(row.current_version);
        if input.version != circulated {
            return Err(ApiError::invalid_field(
                "version",
                format!("version {circulated} is the one out for approval"),
            ));
        }
        let version = load_version(conn, row.id, circulated).await?;
        let now = Utc::now();
        diesel::insert_into(minutes_responses::table)
            .values((
                minutes_responses::minutes_id.eq(row.id),
                minutes_responses::version.eq(circulated),
                minutes_responses::institution_id.eq(institution),
                minutes_responses::response.eq(input.answer.as_str()),
                minutes_responses::reasons.eq(&reasons),
                minutes_responses::answered_by.eq(caller.user_id.into_uuid()),
                minutes_responses::answered_at.eq(now),
            ))
            .on_conflict((
                minutes_responses::minutes_id,
                minutes_responses::version,
                minutes_responses::institution_id,
            ))
            .do_update()
            .set((
                minutes_responses::response.eq(input.answer.as_str()),
                minutes_responses::reasons.eq(&reasons),
                minutes_responses::answered_by.eq(caller.user_id.into_uuid()),
                minutes_responses::answered_at.eq(now),
            ))
            .execute(conn)
            .await?;
        match input.answer {
            Answer::Object => {
                back_to_draft(conn, &mut row, now).await?;
                record(
                    conn,
                    Chain::Workout(workout),
                    &Actor::from(&caller),
                    MinutesTopic::Objection,
                    MinutesTopic::Objection.disclosure(),
                    None,
                    &serde_json::json!({
                        "minutes": MinutesSummary::of(&row, &version),
                        "institution_id": institution,
                        "reasons": reasons,
                    }),
                )
                .await?;
            }
            Answer::Approve => {
                let all_approved = matches!(row.approval()?, Some(Approval::Approvals { .. }))
                    && every_invited_creditor_approved(conn, &registry, &row, circulated).await?;
                if all_approved {
                    seal(conn, &mut row, "approvals", now, &Actor::from(&caller)).await?;
                }
            }
        }
        Reply::ok(&MinutesView::of(&row, &version)?)
    })
    .await
}

impl Approval {
    /// The workout's business calendar at circulation.
    pub fn calendar(&self) -> &str {
        match self {
            Self::Approvals { calendar } => calendar,
            Self::NoObjection { deadline, .. } => &deadline.calendar,
        }
    }
}

impl MinutesRow {
    /// How the circulated version is approved.
    pub fn approval(&self) -> Result<Option<Approval>, ApiError> {
        self.approval
            .clone()
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("minutes {}: approval: {e}", self.id)))
    }
}

/// Back to draft after an objection: the deadline job is cancelled.
async fn back_to_draft(
    conn: &mut AsyncPgConnection,
    row: &mut MinutesRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    diesel::update(minutes::table.find(row.id))
        .set((
            minutes::state.eq(State::Draft.as_str()),
            minutes::circulated_version.eq(None::<i32>),
            minutes::circulated_at.eq(None::<DateTime<Utc>>),
            minutes::approval.eq(None::<serde_json::Value>),
            minutes::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    scheduler::cancel(conn, NO_OBJECTION_JOB, &row.id.to_string()).await?;
    row.state = State::Draft.as_str().to_owned();
    row.circulated_version = None;
    row.circulated_at = None;
    row.approval = None;
    row.updated_at = now;
    Ok(())
}

/// Whether every creditor invited to the meeting approved `version`.
async fn every_invited_creditor_approved(
    conn: &mut AsyncPgConnection,
    registry: &RegistryClient,
    row: &MinutesRow,
    version: i32,
) -> Result<bool, ApiError> {
    let workout = WorkoutId::from_uuid(row.workout_id);
    let creditors: Vec<Uuid> = registry
        .participants(workout)
        .await?
        .into_iter()
        .filter(|p| p.role == ParticipantRole::Creditor && p.removed_at.is_none())
        .map(|p| p.institution_id)
        .collect();
    let invited = invitees_of(conn, row.meeting_id).await?;
    let approved: Vec<Uuid> = minutes_responses::table
        .filter(minutes_responses::minutes_id.eq(row.id))
        .filter(minutes_responses::version.eq(version))
        .filter(minutes_responses::response.eq("approve"))
        .select(minutes_responses::institution_id)
        .load(conn)
        .await?;
    Ok(invited
        .iter()
        .filter(|i| creditors.contains(i))
        .all(|i| approved.contains(i)))
}

/// Seals `row`'s circulated version: immutable, its content hash recorded in the workout's audit
/// chain, its action items tracked.
async fn seal(
    conn: &mut AsyncPgConnection,
    row: &mut MinutesRow,
    how: &str,
    at: DateTime<Utc>,
    actor: &Actor,
) -> Result<(), ApiError> {
    let number = row.circulated_version.unwrap_or(row.current_version);
    let version = load_version(conn, row.id, number).await?;
    diesel::update(minutes::table.find(row.id))
        .set((
            minutes::state.eq(State::Sealed.as_str()),
            minutes::sealed_at.eq(at),
            minutes::sealed_how.eq(how),
            minutes::sealed_hash.eq(&version.content_hash),
            minutes::updated_at.eq(at),
        ))
        .execute(conn)
        .await?;
    scheduler::cancel(conn, NO_OBJECTION_JOB, &row.id.to_string()).await?;
    row.state = State::Sealed.as_str().to_owned();
    row.sealed_at = Some(at);
    row.sealed_how = Some(how.to_owned());
    row.sealed_hash = Some(version.content_hash.clone());
    row.updated_at = at;
    let calendar = row
        .approval()?
        .map(|a| a.calendar().to_owned())
        .unwrap_or_default();
    let zone = zone_of(&calendar).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "minutes {}: calendar {calendar:?} without a time zone",
            row.id
        ))
    })?;
    let actions = track_actions(conn, row, &version.content()?, at, actor, zone).await?;
    record(
        conn,
        Chain::Workout(WorkoutId::from_uuid(row.workout_id)),
        actor,
        MinutesTopic::Approved,
        MinutesTopic::Approved.disclosure(),
        None,
        &serde_json::json!({
            "minutes": MinutesSummary::of(row, &version),
            "sealed_how": how,
            "sealed_at": at,
            "action_items": actions,
        }),
    )
    .await?;
    Ok(())
}

/// A no-objection job's payload.
#[derive(Debug, Deserialize)]
struct JobPayload {
    meeting_id: Uuid,
    version: i32,
}

/// The handler of [`NO_OBJECTION_JOB`]: seals the minutes if the version is still out for
/// approval (an objection cancels the job; this guards a job that raced it).
async fn approve_by_no_objection(conn: &mut AsyncPgConnection, job: &Job) -> anyhow::Result<()> {
    let payload: JobPayload = serde_json::from_value(job.payload.clone())?;
    let mut row = load_minutes(conn, payload.meeting_id, true)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if row.state != State::Circulated.as_str() || row.circulated_version != Some(payload.version) {
        return Ok(());
    }
    seal(
        conn,
        &mut row,
        "no_objection",
        job.due_at,
        &Actor::service("minutes"),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Registers the approval jobs on `scheduler`.
pub fn register_jobs(scheduler: Scheduler) -> Scheduler {
    scheduler.register(NO_OBJECTION_JOB, |conn, job, _now| {
        Box::pin(approve_by_no_objection(conn, job))
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn minutes_circulated_on_a_wednesday_are_approved_at_the_end_of_the_fifth_business_day() {
        // Wednesday 11 March 2026, 10:00 in Riyadh. Business days on SA: Thursday 12 (1); Friday
        // and Saturday are the weekend; Sunday 15 (2), Monday 16 (3); Eid al-Fitr runs from
        // Tuesday 17 to Monday 23; Tuesday 24 (4), Wednesday 25 (5).
        let circulated = Utc.with_ymd_and_hms(2026, 3, 11, 7, 0, 0).unwrap();
        let (deadline, approved_at) = no_objection_deadline(circulated, 5, "SA").unwrap();
        assert_eq!(deadline.rule.name, "MINUTES_NO_OBJECTION");
        assert_eq!(deadline.due, NaiveDate::from_ymd_opt(2026, 3, 25).unwrap());
        // The end of 25 March in Riyadh: 21:00 UTC.
        assert_eq!(
            approved_at,
            Utc.with_ymd_and_hms(2026, 3, 25, 21, 0, 0).unwrap()
        );
        // A Wednesday with no holiday in the window: the fifth business day is the next Wednesday.
        let (plain, _) =
            no_objection_deadline(Utc.with_ymd_and_hms(2026, 4, 1, 7, 0, 0).unwrap(), 5, "SA")
                .unwrap();
        assert_eq!(plain.due, NaiveDate::from_ymd_opt(2026, 4, 8).unwrap());
    }
}
