//! Related parties: whether a creditor is related to the borrower (a shareholder, a group company)
//! is a property of the creditor, decided by the coordinator with a reason, not declared by the
//! creditor facility by facility.
//!
//! Rules: the coordinator decides for an active creditor of the workout (422 otherwise), with a
//! reason of 1 to 500 characters; a decision that changes nothing is still recorded (it confirms).
//! Decisions are kept in order and never changed, so the status at the end of any past date can
//! be read back (`related_parties_at`); a creditor without a decision is not related. Readable by
//! those who see positions (coordinator, borrower, creditors). Audited on the workout's chain and
//! announced (`registry.related_party_decided`).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::text;
use workout_domain::{Action, InstitutionId, ParticipantRole, RegistryTopic, WorkoutId};
use workout_http::input;
use workout_http::{ApiError, Caller, JsonBody, Page, PageQuery, Query};
use workout_store::Reply;

use crate::RegistryState;
use crate::schema::related_party_decisions as decisions;
use crate::workouts::membership::{Decider, membership, roles_of};

/// One decision of the coordinator on a creditor's related-party status.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = decisions)]
pub struct RelatedPartyDecision {
    /// Id.
    pub id: Uuid,
    /// The creditor.
    pub institution_id: Uuid,
    /// Whether it is a related party of the borrower.
    pub related_party: bool,
    /// Why (e.g. "holds 35% of the borrower's shares").
    pub reason: String,
    /// The coordinator's user who decided.
    pub decided_by: Uuid,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// The creditors of `workout` decided to be related parties as of `at` (now when `None`): the
/// latest decision before `at` for each creditor.
pub async fn related_parties_at(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    at: Option<DateTime<Utc>>,
) -> Result<Vec<InstitutionId>, ApiError> {
    let mut query = decisions::table
        .filter(decisions::workout_id.eq(workout.into_uuid()))
        .order((decisions::decided_at.asc(), decisions::id.asc()))
        .select((decisions::institution_id, decisions::related_party))
        .into_boxed();
    if let Some(at) = at {
        query = query.filter(decisions::decided_at.lt(at));
    }
    let rows: Vec<(Uuid, bool)> = query.load(conn).await?;
    let latest: BTreeMap<Uuid, bool> = rows.into_iter().collect();
    Ok(latest
        .into_iter()
        .filter(|(_, related)| *related)
        .map(|(institution, _)| InstitutionId::from_uuid(institution))
        .collect())
}

/// `/workouts/{workout_id}/related-parties/{institution_id}`.
#[derive(Debug, Deserialize)]
pub struct CreditorPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// A creditor of it.
    pub institution_id: Uuid,
}

/// The coordinator's decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelatedPartyStatus {
    /// Whether the creditor is a related party of the borrower.
    pub related_party: bool,
    /// Why, 1 to 500 characters.
    pub reason: String,
}

/// `PUT /registry/v1/workouts/{workout_id}/related-parties/{institution_id}` (coordinator):
/// decides whether a creditor is a related party of the borrower.
#[utoipa::path(tag = "workouts", security(("bearer" = [])),
    request_body = RelatedPartyStatus,
    responses((status = 200, body = RelatedPartyDecision), (status = 403, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/related-parties/{institution_id}")]
pub async fn decide_related_party(
    decider: Decider,
    path: web::Path<CreditorPath>,
    body: JsonBody<RelatedPartyStatus>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let CreditorPath {
        workout_id: workout,
        institution_id: creditor,
    } = path.into_inner();
    let reason = &body.value.reason;
    let related_party = body.value.related_party;
    let decided_by = decider.caller.user_id.into_uuid();
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::DecideRelatedParty),
            async |conn, member| {
                let reason = input::text("reason", text::REASON, reason)?;
                let roles = roles_of(conn, workout, InstitutionId::from_uuid(creditor)).await?;
                if !roles.contains(&ParticipantRole::Creditor) {
                    return Err(ApiError::invalid_field(
                        "institution_id",
                        "is not an active creditor of this workout",
                    ));
                }
                let decision: RelatedPartyDecision = diesel::insert_into(decisions::table)
                    .values((
                        decisions::id.eq(Uuid::now_v7()),
                        decisions::workout_id.eq(workout.into_uuid()),
                        decisions::institution_id.eq(creditor),
                        decisions::related_party.eq(related_party),
                        decisions::reason.eq(&reason),
                        decisions::decided_by.eq(decided_by),
                    ))
                    .returning(RelatedPartyDecision::as_returning())
                    .get_result(conn)
                    .await?;
                member
                    .record(conn, RegistryTopic::RelatedPartyDecided, None, &decision)
                    .await?;
                Reply::ok(&decision)
            },
        )
        .await
}

/// `GET /registry/v1/workouts/{workout_id}/related-parties` (coordinator, borrower, creditors):
/// every decision, oldest first, a page.
#[utoipa::path(tag = "workouts", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<RelatedPartyDecision>), (status = 403, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/related-parties")]
pub async fn list_related_party_decisions(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let window = page.window()?;
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    member.require(Action::ReadRelatedParties)?;
    let rows: Vec<RelatedPartyDecision> = decisions::table
        .filter(decisions::workout_id.eq(workout.into_uuid()))
        .filter(decisions::id.gt(window.after))
        .order(decisions::id.asc())
        .limit(window.fetch())
        .select(RelatedPartyDecision::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |d: &RelatedPartyDecision| d.id)))
}
