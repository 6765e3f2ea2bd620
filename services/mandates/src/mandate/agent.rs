//! The facility agent after completion (guideline 5.3.1 E): when the workout becomes effective
//! (the registry's `registry.workout_status_changed` to `effective`), the coordinator becomes the
//! agent unless the creditors decided otherwise, a decision the appointed coordinator records
//! beforehand with its reference (a ballot, the minutes of a meeting).
//!
//! Rules: the agent is set once ([`AGENT_JOB`], keyed by the workout, so a redelivered event or a
//! second replica changes nothing); a decision recorded after that is refused; the agent chosen by
//! the creditors is a creditor of the workout (asked of the registry).

use actix_web::{HttpRequest, HttpResponse, put, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{InstitutionId, MandatesTopic, ParticipantRole, WorkoutId, text};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody, input};
use workout_store::audit::Actor;
use workout_store::{Pool, Reply, idempotency};

use super::withdrawal::as_coordinator;
use super::{announce, load_mandate};
use crate::schema::agents;

/// The job that appoints the agent once the workout is effective (keyed by the workout).
pub const AGENT_JOB: &str = "mandate_agent";

/// How the agent was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppointedHow {
    /// The coordinator of the mandate (the guideline's default).
    Coordinator,
    /// The creditor the creditors decided on.
    CreditorsDecision,
    /// No coordinator was appointed and the creditors decided none: no agent.
    None,
}

impl AppointedHow {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Coordinator => "coordinator",
            Self::CreditorsDecision => "creditors_decision",
            Self::None => "none",
        }
    }
}

/// The agent as the mandate shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgentView {
    /// The creditors' choice, when they decided otherwise than the coordinator.
    pub decided_id: Option<Uuid>,
    /// Their decision's reference.
    pub decision: Option<String>,
    /// When it was recorded.
    pub decided_at: Option<DateTime<Utc>>,
    /// The agent, once the workout is effective.
    pub agent_id: Option<Uuid>,
    /// How it was chosen, once appointed.
    pub appointed_how: Option<String>,
    /// When the workout became effective and the agent was appointed.
    pub appointed_at: Option<DateTime<Utc>>,
}

type AgentRow = (
    Option<Uuid>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<Uuid>,
    Option<String>,
    Option<DateTime<Utc>>,
);

/// The agent of `mandate`, if anything was decided or appointed.
pub async fn agent_of(
    conn: &mut AsyncPgConnection,
    mandate: Uuid,
) -> Result<Option<AgentView>, ApiError> {
    let row: Option<AgentRow> = agents::table
        .find(mandate)
        .select((
            agents::decided_id,
            agents::decision,
            agents::decided_at,
            agents::agent_id,
            agents::appointed_how,
            agents::appointed_at,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(
        |(decided_id, decision, decided_at, agent_id, appointed_how, appointed_at)| AgentView {
            decided_id,
            decision,
            decided_at,
            agent_id,
            appointed_how,
            appointed_at,
        },
    ))
}

/// `PUT .../mandate/agent`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideAgent {
    /// The creditor the creditors chose as facility agent after completion.
    pub creditor_id: Uuid,
    /// Their decision: its reference (a ballot, the minutes of a meeting) and substance, 1–500
    /// characters.
    pub decision: String,
}

/// `PUT /mandates/v1/workouts/{workout_id}/mandate/agent` (the appointed coordinator): records the
/// creditors' decision that another creditor, not the coordinator, becomes the facility agent
/// once the workout is effective. Answers 200 with the agent; 409 `agent_appointed` once the
/// workout is effective; 422 when the chosen institution is not a creditor of the workout.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    request_body = DecideAgent,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = AgentView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/mandate/agent")]
pub async fn decide_agent(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<DecideAgent>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let body = body.parse()?;
    let decision = input::text("decision", text::REASON, &body.value.decision)?;
    let chosen = InstitutionId::from_uuid(body.value.creditor_id);
    let roles = registry.member(workout, chosen).await?.roles;
    if !roles.contains(&ParticipantRole::Creditor) {
        return Err(ApiError::invalid_field(
            "creditor_id",
            "is not a creditor of this workout",
        ));
    }
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        // The upsert's `WHERE` (PostgreSQL's `ON CONFLICT ... DO UPDATE ... WHERE`).
        use diesel::query_dsl::methods::FilterDsl as _;
        let mandate = as_coordinator(conn, workout, &caller, &access).await?;
        let now = Utc::now();
        let recorded = diesel::insert_into(agents::table)
            .values((
                agents::mandate_id.eq(mandate.id),
                agents::decided_id.eq(chosen.into_uuid()),
                agents::decision.eq(&decision),
                agents::decided_by.eq(caller.user_id.into_uuid()),
                agents::decided_at.eq(now),
            ))
            .on_conflict(agents::mandate_id)
            .do_update()
            .set((
                agents::decided_id.eq(chosen.into_uuid()),
                agents::decision.eq(&decision),
                agents::decided_by.eq(caller.user_id.into_uuid()),
                agents::decided_at.eq(now),
            ))
            .filter(agents::appointed_at.is_null())
            .execute(conn)
            .await?;
        if recorded == 0 {
            return Err(ApiError::conflict(
                "agent_appointed",
                "the workout is effective and its agent appointed: the decision comes too late",
            ));
        }
        announce(
            conn,
            workout,
            &Actor::from(&caller),
            MandatesTopic::AgentDecided,
            &serde_json::json!({
                "mandate_id": mandate.id, "creditor_id": chosen, "decision": decision,
            }),
        )
        .await?;
        let agent = agent_of(conn, mandate.id).await?;
        Reply::ok(&agent)
    })
    .await
}

/// [`AGENT_JOB`]: the workout is effective; appoints its agent once (the creditors' choice, else
/// the coordinator) and announces `mandates.agent_appointed`. Nothing for a workout without a
/// mandate or whose agent is appointed.
pub async fn appoint_agent(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mandate = match load_mandate(conn, workout, true).await {
        Ok(mandate) => mandate,
        Err(ApiError::NotFound(_)) => return Ok(()),
        Err(error) => return Err(error),
    };
    let current = agent_of(conn, mandate.id).await?;
    if current.as_ref().is_some_and(|a| a.appointed_at.is_some()) {
        return Ok(());
    }
    let (agent, how) = match (current.and_then(|a| a.decided_id), mandate.coordinator_id) {
        (Some(decided), _) => (Some(decided), AppointedHow::CreditorsDecision),
        (None, Some(coordinator)) => (Some(coordinator), AppointedHow::Coordinator),
        (None, None) => (None, AppointedHow::None),
    };
    diesel::insert_into(agents::table)
        .values((
            agents::mandate_id.eq(mandate.id),
            agents::agent_id.eq(agent),
            agents::appointed_how.eq(how.as_str()),
            agents::appointed_at.eq(now),
        ))
        .on_conflict(agents::mandate_id)
        .do_update()
        .set((
            agents::agent_id.eq(agent),
            agents::appointed_how.eq(how.as_str()),
            agents::appointed_at.eq(now),
        ))
        .execute(conn)
        .await?;
    announce(
        conn,
        workout,
        &Actor::service("mandates"),
        MandatesTopic::AgentAppointed,
        &serde_json::json!({
            "mandate_id": mandate.id, "agent_id": agent, "appointed_how": how,
        }),
    )
    .await
}
