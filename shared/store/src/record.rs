//! Recording a change: the one way any service writes its audit entry and its event.
//!
//! Rules: every state change calls [`record`] once, inside the use case's transaction, so the
//! change, its audit entry on the right chain and its outbox event commit together or not at all.
//! The event's topic is a typed [`Topic`] of the emitting service; the audit action is the topic's
//! action; the event's payload is the state after the change; who may read the change's details
//! is its [`Disclosure`]. No other code appends to the audit chain (but the chain's own signed
//! checkpoints, [`crate::audit::checkpoint`], which are no change and announce nothing) or writes to
//! the outbox.

use diesel_async::AsyncPgConnection;
use serde::Serialize;
use uuid::Uuid;
use workout_domain::{Disclosure, Topic, WorkoutId};
use workout_http::ApiError;

use crate::audit::{self, Actor, Change, PLATFORM_CHAIN};
use crate::outbox;

/// The audit chain a change belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// The platform's own chain (institutions, users, signing keys).
    Platform,
    /// A workout's chain.
    Workout(WorkoutId),
}

impl Chain {
    fn id(self) -> Uuid {
        match self {
            Self::Platform => PLATFORM_CHAIN,
            Self::Workout(workout) => workout.into_uuid(),
        }
    }

    fn workout(self) -> Option<Uuid> {
        match self {
            Self::Platform => None,
            Self::Workout(workout) => Some(workout.into_uuid()),
        }
    }
}

/// Serializes a value for an audit entry or an event payload.
pub fn to_json(value: &impl Serialize) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

/// Records one change in the caller's transaction: appends `before` and `after` to `chain` as
/// done by `actor`, readable as `disclosure` says, and enqueues the event `topic` carrying
/// `after`; returns the event's id.
pub async fn record(
    conn: &mut AsyncPgConnection,
    chain: Chain,
    actor: &Actor,
    topic: impl Topic,
    disclosure: Disclosure,
    before: Option<serde_json::Value>,
    after: &impl Serialize,
) -> Result<Uuid, ApiError> {
    let after = to_json(after)?;
    let event = outbox::enqueue(conn, topic.name(), chain.workout(), after.clone()).await?;
    audit::append(
        conn,
        Change {
            chain_id: chain.id(),
            actor: actor.clone(),
            action: topic.action().to_owned(),
            disclosure,
            before,
            after: Some(after),
        },
    )
    .await?;
    Ok(event)
}
