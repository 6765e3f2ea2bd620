//! A creditor of the baseline accedes to or declines a standstill; the answer that makes the
//! accession rule pass makes the standstill effective and moves the workout to `standstill` in the
//! registry. See the module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::registry_api::StatusChange;
use workout_domain::{Action, Disclosure, VotingTopic, WorkoutStatus, text};
use workout_http::registry_client::RegistryClient;
use workout_http::{Access, ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::read::{StandstillPath, view_of};
use super::{Answer, StandstillSummary, State, accession_decided, accessions_of, load_standstill};
use crate::schema::{standstill_accessions, standstills};

/// `POST .../accede` or `.../decline`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerStandstill {
    /// Why, up to 2,000 characters.
    pub comment: Option<String>,
}

/// What an event announces of an answer.
#[derive(Debug, Serialize)]
struct Answered {
    standstill_id: Uuid,
    creditor_id: Uuid,
    answer: Answer,
    comment: Option<String>,
    answered_by: Uuid,
}

/// `POST /voting/v1/workouts/{workout_id}/standstills/{standstill_id}/accede` (a user of a
/// creditor of the baseline): its institution accedes. Answers 200 with the standstill (effective
/// once the accession rule passes); 409 `standstill_not_proposed` once it is no longer proposed.
#[utoipa::path(tag = "standstills", security(("bearer" = [])),
    request_body = AnswerStandstill,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = super::read::StandstillView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/standstills/{standstill_id}/accede")]
pub async fn accede_standstill(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<StandstillPath>,
    body: JsonBody<AnswerStandstill>,
) -> Result<HttpResponse, ApiError> {
    answer(req, pool, registry, caller, path, body, Answer::Acceded).await
}

/// `POST /voting/v1/workouts/{workout_id}/standstills/{standstill_id}/decline` (a user of a
/// creditor of the baseline): its institution declines (it may still accede while the standstill
/// is proposed). Answers 200 with the standstill.
#[utoipa::path(tag = "standstills", security(("bearer" = [])),
    request_body = AnswerStandstill,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = super::read::StandstillView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/standstills/{standstill_id}/decline")]
pub async fn decline_standstill(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<StandstillPath>,
    body: JsonBody<AnswerStandstill>,
) -> Result<HttpResponse, ApiError> {
    answer(req, pool, registry, caller, path, body, Answer::Declined).await
}

async fn answer(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<StandstillPath>,
    body: JsonBody<AnswerStandstill>,
    answer: Answer,
) -> Result<HttpResponse, ApiError> {
    let StandstillPath {
        workout_id: workout,
        standstill_id,
    } = path.into_inner();
    let access: Access = registry.access(workout, &caller).await?;
    access.require(Action::AccedeStandstill)?;
    let body = body.parse()?;
    let comment = body
        .value
        .comment
        .as_deref()
        .map(|c| text::NOTE.parse(c))
        .transpose()
        .map_err(|e| ApiError::invalid_field("comment", e.to_string()))?
        .map(text::Text::into_string)
        .filter(|c| !c.is_empty());
    let creditor = caller.institution_id.into_uuid();
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        // Answers take turns (the row's update lock): the one that decides it sees every other.
        let mut row = load_standstill(conn, workout, standstill_id, true).await?;
        if row.state()? != State::Proposed {
            return Err(ApiError::conflict(
                "standstill_not_proposed",
                format!(
                    "the standstill is {}: it takes no accession any more",
                    row.state
                ),
            ));
        }
        let rule = row.accession_rule()?.rule;
        let baseline = row.baseline()?;
        let Some(line) = baseline.iter().find(|l| l.creditor_id == creditor) else {
            return Err(ApiError::Forbidden(
                "your institution is not among this standstill's creditors (its baseline)"
                    .to_owned(),
            ));
        };
        if line.related_party && rule.exclusions.related_parties {
            return Err(ApiError::Forbidden(
                "a related party of the borrower does not accede under this accession rule"
                    .to_owned(),
            ));
        }
        let now = Utc::now();
        diesel::insert_into(standstill_accessions::table)
            .values((
                standstill_accessions::standstill_id.eq(row.id),
                standstill_accessions::creditor_id.eq(creditor),
                standstill_accessions::answer.eq(answer.as_str()),
                standstill_accessions::comment.eq(&comment),
                standstill_accessions::answered_by.eq(caller.user_id.into_uuid()),
                standstill_accessions::answered_at.eq(now),
            ))
            .on_conflict((
                standstill_accessions::standstill_id,
                standstill_accessions::creditor_id,
            ))
            .do_update()
            .set((
                standstill_accessions::answer.eq(excluded(standstill_accessions::answer)),
                standstill_accessions::comment.eq(excluded(standstill_accessions::comment)),
                standstill_accessions::answered_by.eq(excluded(standstill_accessions::answered_by)),
                standstill_accessions::answered_at.eq(excluded(standstill_accessions::answered_at)),
            ))
            .execute(conn)
            .await?;
        // The registry is asked before the audit entries lock the workout's chain head, so that
        // lock is held only for the appends and the commit.
        let accessions = accessions_of(conn, row.id).await?;
        let effective = if accession_decided(&row, &accessions)? == Some(true) {
            Some(enter_standstill(&registry, &row).await?)
        } else {
            None
        };
        let topic = match answer {
            Answer::Acceded => VotingTopic::StandstillAcceded,
            Answer::Declined => VotingTopic::StandstillDeclined,
        };
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            topic,
            Disclosure::Participants,
            None,
            &Answered {
                standstill_id: row.id,
                creditor_id: creditor,
                answer,
                comment: comment.clone(),
                answered_by: caller.user_id.into_uuid(),
            },
        )
        .await?;
        if let Some(status) = effective {
            diesel::update(standstills::table.find(row.id))
                .set((
                    standstills::state.eq(State::Effective.as_str()),
                    standstills::effective_at.eq(now),
                ))
                .execute(conn)
                .await?;
            row.state = State::Effective.as_str().to_owned();
            row.effective_at = Some(now);
            record(
                conn,
                Chain::Workout(workout),
                &Actor::service("voting"),
                VotingTopic::StandstillEffective,
                Disclosure::Participants,
                None,
                &serde_json::json!({
                    "standstill": StandstillSummary::of(&row),
                    "effective_at": now,
                    "workout_status": status,
                }),
            )
            .await?;
        }
        Reply::ok(&view_of(conn, &row, &access).await?)
    })
    .await
}

/// Moves the workout to `standstill` in the registry (idempotently, keyed by the standstill),
/// unless it is there already; 409 `workout_status` when its status cannot move there.
async fn enter_standstill(
    registry: &RegistryClient,
    row: &super::StandstillRow,
) -> Result<WorkoutStatus, ApiError> {
    let workout = registry.workout(row.workout()).await?;
    if workout.status == WorkoutStatus::Standstill {
        return Ok(workout.status);
    }
    if !workout.status.may_become(WorkoutStatus::Standstill) {
        return Err(ApiError::conflict(
            "workout_status",
            format!(
                "the workout is {}: it cannot enter a standstill",
                workout.status
            ),
        ));
    }
    let change = StatusChange {
        status: WorkoutStatus::Standstill,
        reason: Some(format!(
            "standstill {} effective: its accession rule passed",
            row.id
        )),
    };
    registry
        .set_status(
            row.workout(),
            &change,
            &format!("standstill-{}-effective", row.id),
        )
        .await?;
    Ok(WorkoutStatus::Standstill)
}
