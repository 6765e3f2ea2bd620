//! Opening a ballot (the coordinator): the question, the rule, the deadline, and the eligible
//! creditors with their weights from a frozen record-date snapshot. See the module rules in
//! [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::calendar::{end_of_day, zone_of};
use workout_domain::deadline::{Direction, Period, Roll};
use workout_domain::text::{self, TextRule};
use workout_domain::voting::{Preset, Rule, Voter};
use workout_domain::{
    Action, BusinessCalendar, DeadlineRule, Disclosure, InstitutionId, Snapshot, VotingTopic,
    WorkoutId,
};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, FieldError, JsonBody};
use workout_store::audit::Actor;
use workout_store::scheduler;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::close::{CLOSE_JOB, CLOSING_SOON_BEFORE, CLOSING_SOON_JOB};
use super::read::{BallotSummary, BallotView, view_of};
use super::{BallotOptions, BallotRow, ClosingDeadline, SubjectKind, VoterRow};
use crate::schema::{ballot_voters, ballots};

/// The deadline rule of a ballot closed a number of business days after it opened.
pub const BALLOT_CLOSE: &str = "BALLOT_CLOSE";

/// The rule of a ballot: a named preset, or a rule spelled out.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleChoice {
    /// A named preset.
    Preset(Preset),
    /// A rule spelled out.
    Custom(Rule),
}

/// `POST .../ballots`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBallot {
    /// What is decided.
    pub subject_kind: SubjectKind,
    /// The thing voted on (its id or reference), 1–200 characters.
    pub subject_ref: String,
    /// The SHA-256 (64 lowercase hex digits) of the document voted on; required for a standstill,
    /// a term sheet version (`subject_ref` `{term_sheet_id}/versions/{n}`) and a waiver. A
    /// standstill's extension names the standstill and the new end date in `subject_ref`
    /// (`{standstill_id}/ends-on/{YYYY-MM-DD}`).
    pub content_hash: Option<String>,
    /// The question as the creditors read it, 1–500 characters.
    pub title: String,
    /// `{"preset": "majority_lenders"}` or `{"custom": {...}}`.
    pub rule: RuleChoice,
    /// The frozen record-date snapshot (of the registry) that fixes the voters and weights.
    pub snapshot_id: Uuid,
    /// When the ballot closes (after now); or give `closes_after_business_days`.
    pub closes_at: Option<DateTime<Utc>>,
    /// The ballot closes at the end of the N-th business day (1–60) after today, on the
    /// workout's calendar.
    pub closes_after_business_days: Option<u32>,
    /// Creditors that declared a conflict of interest on this question (excluded if the rule
    /// excludes the conflicted).
    #[serde(default)]
    pub conflicted: Vec<Uuid>,
    /// Options.
    #[serde(default, flatten)]
    pub options: BallotOptions,
}

/// `POST /voting/v1/workouts/{workout_id}/ballots` (the coordinator): opens a ballot. Answers 201
/// with the ballot.
#[utoipa::path(tag = "ballots", security(("bearer" = [])),
    request_body = OpenBallot,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = BallotView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/ballots")]
pub async fn open_ballot(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<OpenBallot>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::RunBallots)?;
    let body = body.parse()?;
    let input = &body.value;
    let checked = check(input)?;
    let facts = registry.workout(workout).await?;
    let frozen = registry
        .frozen_snapshot(workout, input.snapshot_id)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::invalid_field(
                "snapshot_id",
                "no frozen snapshot of this workout has this id (freeze one in the registry first)",
            ),
            other => other,
        })?;
    let now = Utc::now();
    let (closes_at, deadline) = closing(input, &facts.calendar, now)?;
    let voters = voters_of(&frozen.snapshot, &input.conflicted)?;
    let id = Uuid::now_v7();
    let row = BallotRow {
        id,
        workout_id: workout.into_uuid(),
        subject_kind: input.subject_kind.as_str().to_owned(),
        subject_ref: checked.subject_ref,
        content_hash: input.content_hash.clone(),
        title: checked.title,
        rule: to_json(&checked.rule)?,
        preset: checked.preset.map(|p| to_wire(&p)).transpose()?,
        snapshot_id: frozen.id,
        snapshot_hash: frozen.content_hash.clone(),
        record_date: frozen.as_of,
        opened_at: now,
        opened_by: caller.user_id.into_uuid(),
        closes_at,
        deadline: to_json(&deadline)?,
        options: to_json(&input.options)?,
    };
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        match input.subject_kind {
            SubjectKind::TermSheetVersion => {
                crate::term_sheets::lifecycle::check_ballot_subject(conn, workout, &row).await?;
            }
            SubjectKind::StandstillExtension => {
                crate::standstills::extend::check_ballot_subject(conn, workout, &row).await?;
            }
            _ => {}
        }
        insert(conn, &row, &voters).await?;
        schedule_jobs(conn, &row, now).await?;
        let view = view_of(conn, &row, &access).await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::BallotOpened,
            Disclosure::Participants,
            None,
            &BallotSummary::of(&row, None),
        )
        .await?;
        Reply::created(format!("/voting/v1/workouts/{workout}/ballots/{id}"), &view)
    })
    .await
}

/// The fields checked on their own.
struct Checked {
    subject_ref: String,
    title: String,
    rule: Rule,
    preset: Option<Preset>,
}

fn check(input: &OpenBallot) -> Result<Checked, ApiError> {
    let mut errors = Vec::new();
    let subject_ref = text_field(&mut errors, "subject_ref", text::NAME, &input.subject_ref);
    let title = text_field(&mut errors, "title", text::SUBJECT, &input.title);
    match (&input.content_hash, input.subject_kind.is_document()) {
        (Some(hash), _) if !is_sha256(hash) => errors.push(FieldError::new(
            "content_hash",
            "must be a SHA-256: 64 lowercase hexadecimal digits",
        )),
        (None, true) => errors.push(FieldError::new(
            "content_hash",
            "is required: the ballot must name the exact document voted on",
        )),
        _ => {}
    }
    let (rule, preset) = match &input.rule {
        RuleChoice::Preset(preset) => (preset.rule(), Some(*preset)),
        RuleChoice::Custom(rule) => (*rule, None),
    };
    if let Err(e) = rule.validate() {
        errors.push(FieldError::new("rule", e.to_string()));
    }
    match (input.closes_at, input.closes_after_business_days) {
        (Some(_), Some(_)) | (None, None) => errors.push(FieldError::new(
            "closes_at",
            "give exactly one of closes_at and closes_after_business_days",
        )),
        (None, Some(days)) if !(1..=60).contains(&days) => errors.push(FieldError::new(
            "closes_after_business_days",
            "must be 1 to 60",
        )),
        _ => {}
    }
    match (subject_ref, title) {
        (Some(subject_ref), Some(title)) if errors.is_empty() => Ok(Checked {
            subject_ref,
            title,
            rule,
            preset,
        }),
        _ => Err(ApiError::Validation(errors)),
    }
}

fn text_field(
    errors: &mut Vec<FieldError>,
    field: &str,
    rule: TextRule,
    value: &str,
) -> Option<String> {
    match rule.parse(value) {
        Ok(text) => Some(text.into_string()),
        Err(e) => {
            errors.push(FieldError::new(field, e.to_string()));
            None
        }
    }
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// When the ballot closes, and how that was set.
fn closing(
    input: &OpenBallot,
    calendar: &str,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, ClosingDeadline), ApiError> {
    if let Some(closes_at) = input.closes_at {
        if closes_at <= now {
            return Err(ApiError::invalid_field(
                "closes_at",
                "must be in the future",
            ));
        }
        return Ok((closes_at, ClosingDeadline::Given { closes_at }));
    }
    let days = input.closes_after_business_days.unwrap_or(1);
    let zone = zone_of(calendar).ok_or_else(|| {
        ApiError::unprocessable(
            "calendar_without_zone",
            format!("the workout's calendar {calendar} has no time zone to end a day in"),
        )
    })?;
    let business = BusinessCalendar::builtin(calendar)
        .map_err(|e| ApiError::unprocessable("calendar_unknown", e.to_string()))?;
    let today = now.with_timezone(&zone).date_naive();
    let rule = DeadlineRule {
        name: BALLOT_CLOSE.into(),
        period: Period::BusinessDays(days),
        direction: Direction::After,
        roll: Roll::None,
    };
    let deadline = rule
        .deadline(today, business)
        .map_err(|e| ApiError::invalid_field("closes_after_business_days", e.to_string()))?;
    let end_of_due = end_of_day(deadline.due, zone)
        .ok_or_else(|| ApiError::invalid_field("closes_after_business_days", "out of range"))?;
    Ok((
        end_of_due,
        ClosingDeadline::BusinessDays {
            rule: BALLOT_CLOSE.to_owned(),
            business_days: days,
            from: today,
            due: deadline.due,
            calendar: calendar.to_owned(),
        },
    ))
}

/// One voter row per creditor and class of the snapshot, flagged as the snapshot and the declared
/// conflicts say.
fn voters_of(snapshot: &Snapshot, conflicted: &[Uuid]) -> Result<Vec<Voter>, ApiError> {
    if let Some(stranger) = conflicted
        .iter()
        .find(|id| snapshot.creditor(InstitutionId::from_uuid(**id)).is_none())
    {
        return Err(ApiError::invalid_field(
            "conflicted",
            format!("{stranger} is not a creditor of the snapshot"),
        ));
    }
    let voters: Vec<Voter> = snapshot
        .creditors()
        .iter()
        .flat_map(|line| {
            line.by_class.iter().map(|class| Voter {
                creditor: line.creditor,
                class: class.class.clone(),
                weight: class.amount.amount,
                related_party: line.related_party,
                conflicted: conflicted.contains(&line.creditor.into_uuid()),
            })
        })
        .collect();
    if voters.is_empty() {
        return Err(ApiError::invalid_field(
            "snapshot_id",
            "the snapshot has no creditor with an exposure: nobody could vote",
        ));
    }
    Ok(voters)
}

async fn insert(
    conn: &mut AsyncPgConnection,
    row: &BallotRow,
    voters: &[Voter],
) -> Result<(), ApiError> {
    diesel::insert_into(ballots::table)
        .values(row)
        .execute(conn)
        .await?;
    let rows: Vec<VoterRow> = voters
        .iter()
        .map(|v| VoterRow {
            ballot_id: row.id,
            creditor_id: v.creditor.into_uuid(),
            class: v.class.as_str().to_owned(),
            weight: v.weight,
            related_party: v.related_party,
            conflicted: v.conflicted,
        })
        .collect();
    diesel::insert_into(ballot_voters::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// The close at the deadline, and the reminder a day before when there is time for one.
async fn schedule_jobs(
    conn: &mut AsyncPgConnection,
    row: &BallotRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let key = row.id.to_string();
    let payload = serde_json::json!({ "workout_id": row.workout_id, "ballot_id": row.id });
    scheduler::schedule(conn, CLOSE_JOB, &key, row.closes_at, payload.clone()).await?;
    let soon = row.closes_at - CLOSING_SOON_BEFORE;
    if soon > now {
        scheduler::schedule(conn, CLOSING_SOON_JOB, &key, soon, payload).await?;
    }
    Ok(())
}

fn to_json(value: &impl Serialize) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

fn to_wire(value: &impl Serialize) -> Result<String, ApiError> {
    match to_json(value)? {
        serde_json::Value::String(text) => Ok(text),
        other => Err(ApiError::Internal(anyhow::anyhow!(
            "not a wire name: {other}"
        ))),
    }
}
