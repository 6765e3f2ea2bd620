//! Action items of sealed minutes: tracked from the seal on, each with its owner institution, due
//! date and status; an item still open when its due day ends (in the workout calendar's time zone)
//! is announced overdue once (`minutes.action_overdue`, a job of the kit's scheduler).
//!
//! An item still open when its due day begins (00:00 in the workout calendar's time zone) is
//! reminded once (`minutes.action_item_due`, another job, written with the overdue one when the
//! minutes are sealed): not when it is done or cancelled by then, not when the minutes were sealed
//! on or after that instant (the seal itself lists the item), and not when the job runs only after
//! the due day ended (after downtime: the overdue announcement follows at once).
//!
//! Rules: the coordinator reads every action item of the workout, a creditor those of the
//! meetings it was invited to; the coordinator or the owner institution changes an item's status
//! (`open`, `done`, `cancelled`), others get 403.

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::calendar::{end_of_day, start_of_day};
use workout_domain::minutes::MinutesContent;
use workout_domain::{Action, MinutesTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody, Page, PageQuery};
use workout_store::audit::Actor;
use workout_store::scheduler::{self, Job, Scheduler};
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::MinutesRow;
use crate::schema::{action_items, meeting_invitees};

/// The job that announces an action item overdue (keyed by the item).
pub const OVERDUE_JOB: &str = "minutes_action_overdue";

/// The job that reminds an open action item at the start of its due day (keyed by the item).
pub const DUE_JOB: &str = "minutes_action_item_due";

/// An action item.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, Insertable, utoipa::ToSchema)]
#[diesel(table_name = action_items)]
pub struct ActionItemRow {
    /// Id.
    pub id: Uuid,
    /// The workout.
    pub workout_id: Uuid,
    /// The meeting it was agreed at.
    pub meeting_id: Uuid,
    /// The sealed minutes that record it.
    pub minutes_id: Uuid,
    /// The agenda item's position.
    pub position: i32,
    /// What is to be done.
    pub text: String,
    /// The owner institution.
    pub owner: Uuid,
    /// When it is due.
    pub due_on: NaiveDate,
    /// `open`, `done` or `cancelled`.
    pub status: String,
    /// When it was announced overdue.
    pub overdue_at: Option<DateTime<Utc>>,
    /// Last changed by (user).
    pub updated_by: Uuid,
    /// When.
    pub updated_at: DateTime<Utc>,
}

/// Records the action items of sealed `content` and schedules their reminders and overdue jobs;
/// answers them.
pub async fn track_actions(
    conn: &mut AsyncPgConnection,
    row: &MinutesRow,
    content: &MinutesContent,
    at: DateTime<Utc>,
    actor: &Actor,
    zone: FixedOffset,
) -> Result<Vec<ActionItemRow>, ApiError> {
    let by = match actor {
        Actor::User { user, .. } => user.into_uuid(),
        Actor::Service { .. } => row.created_by,
    };
    let mut items = Vec::new();
    for item in &content.items {
        for action in &item.actions {
            items.push(ActionItemRow {
                id: Uuid::now_v7(),
                workout_id: row.workout_id,
                meeting_id: row.meeting_id,
                minutes_id: row.id,
                position: i32::try_from(item.position).unwrap_or(i32::MAX),
                text: action.text.clone(),
                owner: action.owner,
                due_on: action.due_on,
                status: "open".to_owned(),
                overdue_at: None,
                updated_by: by,
                updated_at: at,
            });
        }
    }
    diesel::insert_into(action_items::table)
        .values(&items)
        .execute(conn)
        .await?;
    for item in &items {
        let due = end_of_day(item.due_on, zone)
            .ok_or_else(|| ApiError::invalid_field("due_on", "out of range"))?;
        let key = item.id.to_string();
        scheduler::schedule(
            conn,
            OVERDUE_JOB,
            &key,
            due,
            serde_json::json!({ "action_item_id": item.id }),
        )
        .await?;
        let starts = start_of_day(item.due_on, zone)
            .ok_or_else(|| ApiError::invalid_field("due_on", "out of range"))?;
        if starts > at {
            scheduler::schedule(
                conn,
                DUE_JOB,
                &key,
                starts,
                serde_json::json!({ "action_item_id": item.id, "ends_at": due }),
            )
            .await?;
        }
    }
    Ok(items)
}

/// `GET /minutes/v1/workouts/{workout_id}/action-items` (the coordinator: all; a creditor: those
/// of the meetings it was invited to): the workout's action items, oldest first, a page.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<ActionItemRow>), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/action-items")]
pub async fn list_action_items(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ReadMinutes)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let mut rows = action_items::table
        .filter(action_items::workout_id.eq(workout.into_uuid()))
        .filter(action_items::id.gt(window.after))
        .into_boxed();
    // As for the minutes: a meeting's items are read by its invitees and the coordinator.
    if !access.may(Action::ConveneMeeting) {
        rows = rows.filter(
            action_items::meeting_id.eq_any(
                meeting_invitees::table
                    .filter(meeting_invitees::institution_id.eq(access.institution.into_uuid()))
                    .select(meeting_invitees::meeting_id),
            ),
        );
    }
    let rows: Vec<ActionItemRow> = rows
        .order(action_items::id.asc())
        .limit(window.fetch())
        .select(ActionItemRow::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |a: &ActionItemRow| a.id)))
}

/// `/workouts/{workout_id}/action-items/{action_item_id}`.
#[derive(Debug, Deserialize)]
pub struct ActionItemPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The action item.
    pub action_item_id: Uuid,
}

/// An action item's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Still to be done.
    Open,
    /// Done.
    Done,
    /// No longer needed.
    Cancelled,
}

impl Status {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }
}

/// `PUT .../action-items/{id}/status`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    /// The new status.
    pub status: Status,
}

/// `PUT /minutes/v1/workouts/{workout_id}/action-items/{action_item_id}/status` (the coordinator or
/// the owner institution): sets the item's status. Answers 200 with the item.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    request_body = SetStatus,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = ActionItemRow), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/action-items/{action_item_id}/status")]
pub async fn set_action_status(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<ActionItemPath>,
    body: JsonBody<SetStatus>,
) -> Result<HttpResponse, ApiError> {
    let ActionItemPath {
        workout_id: workout,
        action_item_id: id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let body = body.parse()?;
    let status = body.value.status;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mut item = action_items::table
            .find(id)
            .filter(action_items::workout_id.eq(workout.into_uuid()))
            .select(ActionItemRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(ApiError::NotFound("action_item"))?;
        if !access.may(Action::DraftMinutes) && item.owner != access.institution.into_uuid() {
            return Err(ApiError::Forbidden(
                "only the coordinator or the owner institution changes an action item".to_owned(),
            ));
        }
        let now = Utc::now();
        diesel::update(action_items::table.find(id))
            .set((
                action_items::status.eq(status.as_str()),
                action_items::updated_by.eq(caller.user_id.into_uuid()),
                action_items::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        let before = serde_json::to_value(&item).map_err(|e| ApiError::Internal(e.into()))?;
        item.status = status.as_str().to_owned();
        item.updated_by = caller.user_id.into_uuid();
        item.updated_at = now;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            MinutesTopic::ActionUpdated,
            MinutesTopic::ActionUpdated.disclosure(),
            Some(before),
            &item,
        )
        .await?;
        Reply::ok(&item)
    })
    .await
}

/// A job's payload.
#[derive(Debug, Deserialize)]
struct JobPayload {
    action_item_id: Uuid,
}

/// The handler of [`OVERDUE_JOB`]: announces the item overdue if it is still open (once: the job
/// runs once).
async fn announce_overdue(conn: &mut AsyncPgConnection, job: &Job) -> anyhow::Result<()> {
    let payload: JobPayload = serde_json::from_value(job.payload.clone())?;
    let Some(mut item) = action_items::table
        .find(payload.action_item_id)
        .select(ActionItemRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
    else {
        return Ok(());
    };
    if item.status != "open" || item.overdue_at.is_some() {
        return Ok(());
    }
    diesel::update(action_items::table.find(item.id))
        .set(action_items::overdue_at.eq(job.due_at))
        .execute(conn)
        .await?;
    item.overdue_at = Some(job.due_at);
    record(
        conn,
        Chain::Workout(WorkoutId::from_uuid(item.workout_id)),
        &Actor::service("minutes"),
        MinutesTopic::ActionOverdue,
        MinutesTopic::ActionOverdue.disclosure(),
        None,
        &item,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// A reminder job's payload.
#[derive(Debug, Deserialize)]
struct DuePayload {
    action_item_id: Uuid,
    /// When the due day ends.
    ends_at: DateTime<Utc>,
}

/// The handler of [`DUE_JOB`]: reminds that the item is due today if it is still open and its due
/// day has not ended as of `now`.
async fn announce_due(
    conn: &mut AsyncPgConnection,
    job: &Job,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let payload: DuePayload = serde_json::from_value(job.payload.clone())?;
    let Some(item) = action_items::table
        .find(payload.action_item_id)
        .select(ActionItemRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
    else {
        return Ok(());
    };
    if item.status != "open" || item.overdue_at.is_some() || now >= payload.ends_at {
        return Ok(());
    }
    record(
        conn,
        Chain::Workout(WorkoutId::from_uuid(item.workout_id)),
        &Actor::service("minutes"),
        MinutesTopic::ActionItemDue,
        MinutesTopic::ActionItemDue.disclosure(),
        None,
        &item,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Registers the action items' jobs on `scheduler`.
pub fn register_jobs(scheduler: Scheduler) -> Scheduler {
    scheduler
        .register(OVERDUE_JOB, |conn, job, _now| {
            Box::pin(announce_overdue(conn, job))
        })
        .register(DUE_JOB, |conn, job, now| {
            Box::pin(announce_due(conn, job, now))
        })
}
