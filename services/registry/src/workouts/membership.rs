//! The shell every workout use case runs in: the workout, the roles each institution holds in it,
//! the caller's [`Membership`] (404 for outsiders), and [`Decider::decide`], which runs a deciding use case
//! under the request's `Idempotency-Key` in one transaction, with the action it needs required
//! first, and records the change as the caller on the workout's chain.
//!
//! Rules: an institution's roles in a workout are its active participant rows (removed ones
//! excluded); holding none is taking no part, and the workout answers 404. Authorization always
//! comes before any input that needs the database to check.

use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use uuid::Uuid;
use workout_domain::registry_api::Workout;
use workout_domain::{Action, InstitutionId, ParticipantRole, RegistryTopic, WorkoutId};
use workout_http::{Access, ApiError, Caller};
use workout_store::audit::Actor;
use workout_store::{Chain, Reply, idempotency, record};

use crate::RegistryState;
use crate::schema::{participants, workouts};

/// A `workouts` row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = workouts, check_for_backend(diesel::pg::Pg))]
pub struct WorkoutRow {
    id: Uuid,
    reference: String,
    borrower_id: Uuid,
    base_currency: String,
    calendar: String,
    governing_law: String,
    opened_on: NaiveDate,
    status: String,
    status_reason: Option<String>,
    classes: Vec<Option<String>>,
    opened_by: Uuid,
    created_at: DateTime<Utc>,
}

impl TryFrom<WorkoutRow> for Workout {
    type Error = ApiError;

    fn try_from(row: WorkoutRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id,
            reference: row.reference,
            borrower_id: row.borrower_id,
            base_currency: row.base_currency,
            calendar: row.calendar,
            governing_law: row.governing_law,
            opened_on: row.opened_on,
            status: row.status.parse()?,
            status_reason: row.status_reason,
            // PostgreSQL arrays may hold NULLs, so diesel reads `text[]` as `Vec<Option<String>>`.
            classes: row
                .classes
                .into_iter()
                .map(|class| {
                    class.ok_or_else(|| {
                        ApiError::Internal(anyhow::anyhow!("stored value: a NULL creditor class"))
                    })
                })
                .collect::<Result<_, _>>()?,
            opened_by: row.opened_by,
            created_at: row.created_at,
        })
    }
}

/// The workout `id`, locked for update when `lock`; 404 when there is none.
pub async fn load_workout(
    conn: &mut AsyncPgConnection,
    id: WorkoutId,
    lock: bool,
) -> Result<Workout, ApiError> {
    let query = workouts::table
        .find(id.into_uuid())
        .select(WorkoutRow::as_select());
    let row = if lock {
        query.for_update().first(conn).await
    } else {
        query.first(conn).await
    };
    row.map_err(|e| workout_http::problem::from_diesel("workout", e))?
        .try_into()
}

/// The active roles of `institution` in `workout`.
pub async fn roles_of(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    institution: InstitutionId,
) -> Result<Vec<ParticipantRole>, ApiError> {
    let roles: Vec<String> = participants::table
        .filter(participants::workout_id.eq(workout.into_uuid()))
        .filter(participants::institution_id.eq(institution.into_uuid()))
        .filter(participants::removed_at.is_null())
        .order(participants::id.asc())
        .select(participants::role)
        .load(conn)
        .await?;
    Ok(roles
        .iter()
        .map(|role| role.parse())
        .collect::<Result<_, _>>()?)
}

/// Gives `institution` the role `role` in `workout` (a new participant row); returns the row's
/// id. 409 when it already holds that role.
pub async fn add_role(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    institution: InstitutionId,
    role: ParticipantRole,
) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    diesel::insert_into(participants::table)
        .values((
            participants::id.eq(id),
            participants::workout_id.eq(workout.into_uuid()),
            participants::institution_id.eq(institution.into_uuid()),
            participants::role.eq(role.as_str()),
        ))
        .execute(conn)
        .await
        .map_err(|e| workout_http::problem::from_diesel("this participant in this role", e))?;
    Ok(id)
}

/// The caller's institution's place in a workout: the workout and the caller's [`Access`]
/// (`member.require(action)`, `member.positions()`).
#[derive(Debug, Clone)]
pub struct Membership {
    /// The workout.
    pub workout: Workout,
    /// The caller's access to it.
    pub access: Access,
}

impl std::ops::Deref for Membership {
    type Target = Access;

    fn deref(&self) -> &Access {
        &self.access
    }
}

/// The caller's membership of `workout`: 404 when the caller's institution takes no part in it.
pub async fn membership(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    caller: &Caller,
) -> Result<Membership, ApiError> {
    let roles = roles_of(conn, workout, caller.institution_id).await?;
    let access = Access::new(workout, caller.institution_id, roles)?;
    Ok(Membership {
        workout: load_workout(conn, workout, false).await?,
        access,
    })
}

/// The caller's membership of `workout` with the workout's row locked until the transaction ends:
/// every deciding use case of one workout runs one after the other, so a check it makes (one
/// classification at a time, a facility withdrawn once, …) still holds when it writes, and the
/// workout is always locked before its audit chain. Outsiders get their 404 before any lock; the
/// roles are read again under the lock.
pub async fn locked_membership(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    caller: &Caller,
) -> Result<Membership, ApiError> {
    // The outsider's 404 first, from the roles alone (no lock taken for a stranger).
    Access::new(
        workout,
        caller.institution_id,
        roles_of(conn, workout, caller.institution_id).await?,
    )?;
    let workout_row = load_workout(conn, workout, true).await?;
    let roles = roles_of(conn, workout, caller.institution_id).await?;
    Ok(Membership {
        workout: workout_row,
        access: Access::new(workout, caller.institution_id, roles)?,
    })
}

/// A deciding use case's view of the caller: its membership (`require`, `positions`, the
/// workout) and the means to record the change it decides, as the caller, on the workout's chain.
pub struct Decision {
    member: Membership,
    actor: Actor,
}

impl std::ops::Deref for Decision {
    type Target = Membership;

    fn deref(&self) -> &Membership {
        &self.member
    }
}

impl Decision {
    /// Records the change (audit entry and event `topic` carrying `after`) in `conn`'s transaction.
    pub async fn record(
        &self,
        conn: &mut AsyncPgConnection,
        topic: RegistryTopic,
        before: Option<serde_json::Value>,
        after: &impl Serialize,
    ) -> Result<(), ApiError> {
        self.record_position(conn, topic, None, before, after).await
    }

    /// [`Self::record`] for a change that shows `creditor`'s position (a facility): its details
    /// are readable as the positions are ([`RegistryTopic::disclosure`]).
    pub async fn record_position(
        &self,
        conn: &mut AsyncPgConnection,
        topic: RegistryTopic,
        creditor: Option<InstitutionId>,
        before: Option<serde_json::Value>,
        after: &impl Serialize,
    ) -> Result<(), ApiError> {
        let chain = chain(self.member.access.workout);
        let disclosure = topic.disclosure(creditor);
        record(conn, chain, &self.actor, topic, disclosure, before, after).await?;
        Ok(())
    }
}

/// What every deciding handler of a workout needs, extracted once: the request (its
/// `Idempotency-Key` and fingerprint), the registry's state and the authenticated caller.
pub struct Decider {
    /// The request.
    pub req: HttpRequest,
    /// The registry's state.
    pub state: web::Data<RegistryState>,
    /// The caller.
    pub caller: Caller,
}

impl FromRequest for Decider {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        let state = req.app_data::<web::Data<RegistryState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("the registry's state is not mounted"))
            })?;
            Ok(Self {
                req,
                state,
                caller: caller.await?,
            })
        })
    }
}

impl Decider {
    /// Runs a deciding use case of `workout`: under the request's `Idempotency-Key`, in one
    /// transaction, with the workout's row locked ([`locked_membership`]), the caller's
    /// membership loaded (404 for outsiders) and `action` required
    /// of it (403 otherwise) before `use_case` runs. Inputs that need the database to check are
    /// checked inside `use_case`; authorization always comes first. `body` is the digest of the
    /// request body.
    pub async fn decide(
        &self,
        body: &str,
        workout: WorkoutId,
        action: Option<Action>,
        use_case: impl AsyncFnOnce(&mut AsyncPgConnection, Decision) -> Result<Reply, ApiError>,
    ) -> Result<HttpResponse, ApiError> {
        let caller = &self.caller;
        idempotency::run(&self.state.pool, &self.req, caller, body, async |conn| {
            let member = locked_membership(conn, workout, caller).await?;
            if let Some(action) = action {
                member.require(action)?;
            }
            let actor = Actor::from(caller);
            use_case(conn, Decision { member, actor }).await
        })
        .await
    }
}

/// The audit chain of `workout`.
pub fn chain(workout: WorkoutId) -> Chain {
    Chain::Workout(workout)
}
