//! Starting a workout's mandate (the coordinator of record): the rules in force, the appointment's
//! due date and the first nomination. See the module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::mandates::{ConsentRule, MandateRules};
use workout_domain::{Action, MandatesTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Pool, Reply, idempotency, scheduler};

use super::jobs::OVERDUE_JOB;
use super::read::{MandateView, view_of};
use super::{
    MandateRow, NominatedHow, Settings, State, announce, announce_round, breach, calendar_fault,
    calendar_of, default_nomination, end_of, to_json, today,
};
use crate::schema::mandates;

/// `POST .../mandate`: the workout's choices; every field defaults to the guideline.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartMandate {
    /// The first term in months, at most 6 (`MANDATE_MAX_TERM`); default 6.
    pub term_months: Option<u32>,
    /// How consent is decided; default `all_other_creditors`.
    pub consent_rule: Option<ConsentRule>,
    /// How many renewals are allowed (`MANDATE_RENEWALS_ALLOWED`), 0 to 12; default 1.
    pub renewals_allowed: Option<u32>,
}

/// `POST /mandates/v1/workouts/{workout_id}/mandate` (the coordinator of record): starts the
/// mandate of a workout (one opened before the service ran, or any not started yet) and nominates
/// the largest creditor. Answers 201 with the mandate; 409 `mandate_exists` if it was started;
/// 422 `mandate_max_term` for a first term over the rule.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    request_body = StartMandate,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = MandateView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/mandate")]
pub async fn start_mandate(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<StartMandate>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ManageNomination)?;
    let body = body.parse()?;
    let input = &body.value;
    let defaults = MandateRules::default();
    let renewals_allowed = input.renewals_allowed.unwrap_or(defaults.renewals_allowed);
    if renewals_allowed > 12 {
        return Err(ApiError::invalid_field(
            "renewals_allowed",
            "must be 0 to 12",
        ));
    }
    let rules = MandateRules {
        renewals_allowed,
        consent_rule: input.consent_rule.unwrap_or_default(),
        ..defaults
    };
    let term_months = input.term_months.unwrap_or(rules.max_term_months);
    rules.check_term(term_months).map_err(|e| breach(&e))?;
    let settings = Settings { rules, term_months };
    let facts = registry.workout(workout).await?;
    if facts.status.is_final() {
        return Err(ApiError::conflict(
            "workout_closed",
            "the workout is closed",
        ));
    }
    let calendar = calendar_of(&facts.calendar)?;
    let now = Utc::now();
    let day = today(&facts.calendar, now);
    let due = rules
        .appointment_due(facts.opened_on, calendar)
        .map_err(calendar_fault)?;
    let snapshot = registry.snapshot(workout, day).await?;
    let (nominee, nomination) = default_nomination(
        snapshot.creditors(),
        day,
        snapshot.content_hash(),
        &[],
        NominatedHow::LargestExposure,
        None,
    );
    let row = MandateRow {
        id: Uuid::now_v7(),
        workout_id: workout.into_uuid(),
        state: if nominee.is_some() {
            State::Nominating
        } else {
            State::Vacant
        }
        .as_str()
        .to_owned(),
        round: 1,
        nominee_id: nominee.map(workout_domain::InstitutionId::into_uuid),
        nomination: to_json(&nomination)?,
        coordinator_id: None,
        opened_on: facts.opened_on,
        appointment_due: to_json(&due)?,
        appointed_on: None,
        term_end: None,
        renewals: 0,
        rules: to_json(&settings)?,
        passed_over: serde_json::json!([]),
        updated_at: now,
    };
    let overdue_at = end_of(due.due, &facts.calendar)?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        // A mandate kept since the workout opened is started with these choices, keeping its id;
        // one started already is not started again.
        let id = insert_or_start(conn, &row).await?;
        let Some(id) = id else {
            return Err(ApiError::conflict(
                "mandate_exists",
                "this workout's mandate was started already",
            ));
        };
        let row = MandateRow { id, ..row.clone() };
        scheduler::schedule(
            conn,
            OVERDUE_JOB,
            &row.id.to_string(),
            overdue_at,
            serde_json::json!({ "workout_id": row.workout_id, "mandate_id": row.id }),
        )
        .await?;
        let actor = Actor::from(&caller);
        announce(
            conn,
            workout,
            &actor,
            MandatesTopic::MandateStarted,
            &serde_json::json!({
                "mandate_id": row.id, "opened_on": row.opened_on, "appointment_due": due,
                "settings": settings,
            }),
        )
        .await?;
        announce_round(conn, &row, &nomination, &actor, serde_json::Value::Null).await?;
        let view = view_of(conn, &row, day).await?;
        Reply::created(format!("/mandates/v1/workouts/{workout}/mandate"), &view)
    })
    .await
}

/// Inserts the started mandate `row`, or starts the `opened` mandate of its workout with it
/// (keeping that mandate's id, due date and jobs); `None` when the workout's mandate was started
/// already.
async fn insert_or_start(
    conn: &mut AsyncPgConnection,
    row: &MandateRow,
) -> QueryResult<Option<Uuid>> {
    // The upsert's `WHERE` (PostgreSQL's `ON CONFLICT ... DO UPDATE ... WHERE`).
    use diesel::query_dsl::methods::FilterDsl as _;
    diesel::insert_into(mandates::table)
        .values(row)
        .on_conflict(mandates::workout_id)
        .do_update()
        .set((
            mandates::state.eq(&row.state),
            mandates::round.eq(row.round),
            mandates::nominee_id.eq(row.nominee_id),
            mandates::nomination.eq(&row.nomination),
            mandates::rules.eq(&row.rules),
            mandates::updated_at.eq(row.updated_at),
        ))
        .filter(mandates::state.eq(State::Opened.as_str()))
        .returning(mandates::id)
        .get_result(conn)
        .await
        .optional()
}

/// Keeps the mandate of `workout`, which the registry says opened, from now on: `opened`, with the
/// guideline's rules and the appointment's due date (and the job announcing it overdue), no
/// nomination until the coordinator of record starts it. Nothing when the workout has a mandate
/// already or is closed. (The `registry.workout_opened` event, through [`super::jobs::OPEN_JOB`].)
pub async fn open_mandate(
    conn: &mut AsyncPgConnection,
    registry: &RegistryClient,
    workout: WorkoutId,
    now: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    let kept: i64 = mandates::table
        .filter(mandates::workout_id.eq(workout.into_uuid()))
        .count()
        .get_result(conn)
        .await?;
    if kept > 0 {
        return Ok(());
    }
    let facts = registry.workout(workout).await?;
    if facts.status.is_final() {
        return Ok(());
    }
    let calendar = calendar_of(&facts.calendar)?;
    let rules = MandateRules::default();
    let due = rules
        .appointment_due(facts.opened_on, calendar)
        .map_err(calendar_fault)?;
    let settings = Settings {
        rules,
        term_months: rules.max_term_months,
    };
    let row = MandateRow {
        id: Uuid::now_v7(),
        workout_id: workout.into_uuid(),
        state: State::Opened.as_str().to_owned(),
        round: 1,
        nominee_id: None,
        nomination: serde_json::Value::Null,
        coordinator_id: None,
        opened_on: facts.opened_on,
        appointment_due: to_json(&due)?,
        appointed_on: None,
        term_end: None,
        renewals: 0,
        rules: to_json(&settings)?,
        passed_over: serde_json::json!([]),
        updated_at: now,
    };
    let inserted = diesel::insert_into(mandates::table)
        .values(&row)
        .on_conflict(mandates::workout_id)
        .do_nothing()
        .execute(conn)
        .await?;
    if inserted == 0 {
        return Ok(());
    }
    scheduler::schedule(
        conn,
        OVERDUE_JOB,
        &row.id.to_string(),
        end_of(due.due, &facts.calendar)?,
        serde_json::json!({ "workout_id": row.workout_id, "mandate_id": row.id }),
    )
    .await?;
    announce(
        conn,
        workout,
        &Actor::service("mandates"),
        MandatesTopic::MandateOpened,
        &serde_json::json!({
            "mandate_id": row.id, "opened_on": row.opened_on, "appointment_due": due,
            "settings": settings,
        }),
    )
    .await
}
