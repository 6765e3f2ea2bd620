//! Proposing a standstill (the coordinator): the baseline from a frozen snapshot of the reference
//! date, the dates, both parties' undertakings, the termination events and the accession rule.
//! See the module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::text;
use workout_domain::voting::Preset;
use workout_domain::{Action, Disclosure, Snapshot, VotingTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, FieldError, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::end::{expires_at, schedule_end};
use super::read::{StandstillView, view_of};
use super::{
    AccessionRule, BaselineClass, BaselineLine, BorrowerUndertaking, CreditorUndertaking,
    StandstillRow, StandstillSummary, State, Undertakings, to_json,
};
use crate::ballots::open::RuleChoice;
use crate::schema::standstills;

/// `POST .../standstills`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeStandstill {
    /// The frozen record-date snapshot (of the registry) whose record date is the reference date
    /// and whose creditors' exposures are the baseline.
    pub snapshot_id: Uuid,
    /// The first day (not before the reference date).
    pub starts_on: NaiveDate,
    /// The last day (not before the first, not in the past); it expires at the end of it.
    pub ends_on: NaiveDate,
    /// The creditors' undertakings; all three by default.
    pub creditor_undertakings: Option<Vec<CreditorUndertaking>>,
    /// The borrower's undertakings; all three by default.
    pub borrower_undertakings: Option<Vec<BorrowerUndertaking>>,
    /// The termination events, 1–20, each 1–500 characters.
    pub termination_events: Vec<String>,
    /// The accession rule: `{"preset": "unanimity"}` (the default: every creditor bank),
    /// `{"preset": "majority_lenders"}` or `{"custom": {...}}`.
    pub accession_rule: Option<RuleChoice>,
}

/// `POST /voting/v1/workouts/{workout_id}/standstills` (the coordinator): proposes a standstill.
/// Answers 201 with it; 409 `standstill_live` while another one is proposed or effective.
#[utoipa::path(tag = "standstills", security(("bearer" = [])),
    request_body = ProposeStandstill,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = StandstillView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/standstills")]
pub async fn propose_standstill(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<ProposeStandstill>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ManageStandstill)?;
    let body = body.parse()?;
    let input = &body.value;
    let (events, rule) = check(input)?;
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
    if input.starts_on < frozen.as_of {
        return Err(ApiError::invalid_field(
            "starts_on",
            format!("must not be before the reference date {}", frozen.as_of),
        ));
    }
    let facts = registry.workout(workout).await?;
    let expires_at = expires_at(input.ends_on, &facts.calendar)?;
    if expires_at <= now {
        return Err(ApiError::invalid_field(
            "ends_on",
            "must not be in the past",
        ));
    }
    let baseline = baseline_of(&frozen.snapshot)?;
    let id = Uuid::now_v7();
    let row = StandstillRow {
        id,
        workout_id: workout.into_uuid(),
        snapshot_id: frozen.id,
        snapshot_hash: frozen.content_hash.clone(),
        reference_date: frozen.as_of,
        baseline: to_json(&baseline)?,
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        undertakings: to_json(&Undertakings {
            creditors: distinct(
                input.creditor_undertakings.as_deref(),
                &CreditorUndertaking::ALL,
            ),
            borrower: distinct(
                input.borrower_undertakings.as_deref(),
                &BorrowerUndertaking::ALL,
            ),
        })?,
        termination_events: to_json(&events)?,
        accession_rule: to_json(&rule)?,
        state: State::Proposed.as_str().to_owned(),
        proposed_by: caller.user_id.into_uuid(),
        proposed_at: now,
        effective_at: None,
        ended: None,
    };
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        refuse_a_second_live(conn, workout).await?;
        diesel::insert_into(standstills::table)
            .values(&row)
            .execute(conn)
            .await?;
        schedule_end(conn, workout, id, row.ends_on, expires_at, now).await?;
        let view = view_of(conn, &row, &access).await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::StandstillProposed,
            Disclosure::Participants,
            None,
            &StandstillSummary::of(&row),
        )
        .await?;
        Reply::created(
            format!("/voting/v1/workouts/{workout}/standstills/{id}"),
            &view,
        )
    })
    .await
}

fn check(input: &ProposeStandstill) -> Result<(Vec<String>, AccessionRule), ApiError> {
    let mut errors = Vec::new();
    if input.ends_on < input.starts_on {
        errors.push(FieldError::new("ends_on", "must not be before starts_on"));
    }
    if !(1..=20).contains(&input.termination_events.len()) {
        errors.push(FieldError::new(
            "termination_events",
            "name 1 to 20 termination events",
        ));
    }
    let mut events = Vec::new();
    for (n, event) in input.termination_events.iter().enumerate() {
        match text::REASON.parse(event) {
            Ok(text) => events.push(text.into_string()),
            Err(e) => errors.push(FieldError::new(
                format!("termination_events[{n}]"),
                e.to_string(),
            )),
        }
    }
    for (field, empty) in [
        (
            "creditor_undertakings",
            input
                .creditor_undertakings
                .as_ref()
                .is_some_and(Vec::is_empty),
        ),
        (
            "borrower_undertakings",
            input
                .borrower_undertakings
                .as_ref()
                .is_some_and(Vec::is_empty),
        ),
    ] {
        if empty {
            errors.push(FieldError::new(
                field,
                "name at least one undertaking (or leave it out for all)",
            ));
        }
    }
    let (rule, preset) = match &input.accession_rule {
        None => (Preset::Unanimity.rule(), Some(Preset::Unanimity)),
        Some(RuleChoice::Preset(preset)) => (preset.rule(), Some(*preset)),
        Some(RuleChoice::Custom(rule)) => (*rule, None),
    };
    if let Err(e) = rule.validate() {
        errors.push(FieldError::new("accession_rule", e.to_string()));
    }
    if errors.is_empty() {
        Ok((events, AccessionRule { preset, rule }))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The given undertakings without repeats, in a fixed order; all of them when none are given.
fn distinct<T: Copy + Ord>(given: Option<&[T]>, all: &[T]) -> Vec<T> {
    let mut list = given.unwrap_or(all).to_vec();
    list.sort_unstable();
    list.dedup();
    list
}

/// Each creditor's exposure in the snapshot, by class.
fn baseline_of(snapshot: &Snapshot) -> Result<Vec<BaselineLine>, ApiError> {
    let lines: Vec<BaselineLine> = snapshot
        .creditors()
        .iter()
        .map(|line| BaselineLine {
            creditor_id: line.creditor.into_uuid(),
            name: line.name.clone(),
            exposure: line.exposure.amount,
            related_party: line.related_party,
            classes: line
                .by_class
                .iter()
                .map(|class| BaselineClass {
                    class: class.class.as_str().to_owned(),
                    amount: class.amount.amount,
                })
                .collect(),
        })
        .collect();
    if lines.is_empty() {
        return Err(ApiError::invalid_field(
            "snapshot_id",
            "the snapshot has no creditor with an exposure: nobody could accede",
        ));
    }
    Ok(lines)
}

async fn refuse_a_second_live(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
) -> Result<(), ApiError> {
    let live: i64 = standstills::table
        .filter(standstills::workout_id.eq(workout.into_uuid()))
        .filter(standstills::state.eq_any([State::Proposed.as_str(), State::Effective.as_str()]))
        .count()
        .get_result(conn)
        .await?;
    if live > 0 {
        return Err(ApiError::conflict(
            "standstill_live",
            "this workout has a standstill proposed or in force: terminate it first",
        ));
    }
    Ok(())
}
