//! Fan-out at intake: a received event of a topic that tells someone (see [`crate::routing`]) and
//! names a workout becomes one `deliveries` row per recipient address, written in the intake's
//! transaction, beside the record of the event.
//!
//! Rules: recipients are the notice contacts of the workout's current participants whose role the
//! table names, as the registry's `participants(workout)` lists them; they are resolved before the
//! intake's transaction opens (no HTTP call holds a connection) and kept [`CACHE_TTL`] in memory,
//! forgotten at once when a participant event of that workout arrives. If the registry cannot
//! answer, the intake fails (503) and the sender's relay retries: recipients are never lost. A
//! workout the registry does not know has no recipients. One row per (event, address): a
//! redelivered event, or an address two participants share, adds nothing. Each row's `Message-ID`
//! is fixed when written ([`message_id`]) so that a resend is recognisably the same message.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use workout_domain::WorkoutId;
use workout_domain::registry_api::Participant;
use workout_http::ApiError;
use workout_http::registry_client::RegistryClient;
use workout_store::outbox::Event;

use crate::routing;
use crate::schema::deliveries;

/// How long a workout's participants are reused before the registry is asked again.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

/// Topics after which a workout's cached participants are stale.
const PARTICIPANT_TOPICS: &[&str] = &[
    "registry.participant_added",
    "registry.participant_removed",
    "registry.participant_contacts_changed",
    "registry.coordinator_appointed",
    "mandates.coordinator_appointed",
];

/// A workout's participants as listed at an instant.
type Listed = (Instant, Arc<Vec<Participant>>);

/// Workouts' participants as the registry last listed them, each kept for a while.
#[derive(Debug)]
pub struct ParticipantsCache {
    ttl: Duration,
    entries: Mutex<HashMap<Uuid, Listed>>,
}

impl Default for ParticipantsCache {
    fn default() -> Self {
        Self::new(CACHE_TTL)
    }
}

impl ParticipantsCache {
    /// A cache keeping each workout's participants for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, workout: Uuid) -> Option<Arc<Vec<Participant>>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&workout)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, participants)| participants.clone())
    }

    fn keep(&self, workout: Uuid, participants: Arc<Vec<Participant>>) {
        if let Ok(mut entries) = self.entries.lock() {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            entries.insert(workout, (Instant::now(), participants));
        }
    }

    /// Forgets `workout`'s participants.
    pub fn forget(&self, workout: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&workout);
        }
    }

    /// `workout`'s participants, from the cache or the registry (none if it does not know it).
    pub async fn participants(
        &self,
        registry: &RegistryClient,
        workout: Uuid,
    ) -> Result<Arc<Vec<Participant>>, ApiError> {
        if let Some(participants) = self.cached(workout) {
            return Ok(participants);
        }
        let participants = match registry.participants(WorkoutId::from_uuid(workout)).await {
            Ok(participants) => participants,
            Err(ApiError::NotFound(_)) => {
                tracing::warn!(workout.id = %workout, "the registry does not know the workout of an event: no recipients");
                Vec::new()
            }
            Err(error) => return Err(error),
        };
        let participants = Arc::new(participants);
        self.keep(workout, participants.clone());
        Ok(participants)
    }
}

/// The participants of every workout that `events` tell someone of, by workout id (asked before
/// the intake's transaction).
pub async fn resolve(
    cache: &ParticipantsCache,
    registry: &RegistryClient,
    events: &[Event],
) -> Result<HashMap<Uuid, Arc<Vec<Participant>>>, ApiError> {
    for event in events {
        if let Some(workout) = event.workout_id
            && PARTICIPANT_TOPICS.contains(&event.topic.as_str())
        {
            cache.forget(workout);
        }
    }
    let mut resolved = HashMap::new();
    for event in events {
        let Some(workout) = event.workout_id else {
            continue;
        };
        if routing::told(&event.topic).is_empty() || resolved.contains_key(&workout) {
            continue;
        }
        resolved.insert(workout, cache.participants(registry, workout).await?);
    }
    Ok(resolved)
}

/// The `Message-ID` of `event`'s message to `email`: the same whenever it is sent again.
pub fn message_id(event: Uuid, email: &str) -> String {
    let digest = hex::encode(Sha256::digest(email.as_bytes()));
    format!("<{event}.{}@workout-platform>", &digest[..16])
}

/// Writes `event`'s deliveries (inside the intake's transaction); `resolved` is what [`resolve`]
/// found for the same events.
pub async fn write_deliveries(
    conn: &mut AsyncPgConnection,
    event: &Event,
    resolved: &HashMap<Uuid, Arc<Vec<Participant>>>,
) -> Result<usize, ApiError> {
    let roles = routing::told(&event.topic);
    let Some(workout) = event.workout_id else {
        return Ok(0);
    };
    if roles.is_empty() {
        return Ok(0);
    }
    let participants = resolved.get(&workout).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "the participants of workout {workout} were not resolved before the intake"
        ))
    })?;
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for participant in participants.iter() {
        if participant.removed_at.is_some() || !roles.contains(&participant.role) {
            continue;
        }
        for contact in &participant.contacts {
            let email = contact.email.trim().to_lowercase();
            if email.is_empty() || !seen.insert(email.clone()) {
                continue;
            }
            rows.push((
                deliveries::event_id.eq(event.id),
                deliveries::topic.eq(event.topic.clone()),
                deliveries::workout_id.eq(workout),
                deliveries::message_id.eq(message_id(event.id, &email)),
                deliveries::recipient_email.eq(email),
                deliveries::recipient_name.eq(contact.name.clone()),
                deliveries::institution_id.eq(participant.institution_id),
                deliveries::language.eq(contact.language.clone()),
            ));
        }
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let written = diesel::insert_into(deliveries::table)
        .values(rows)
        .on_conflict((deliveries::event_id, deliveries::recipient_email))
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_id_depends_on_the_event_and_the_address_alone() {
        let event = Uuid::nil();
        let id = message_id(event, "desk@bank.test");
        assert_eq!(id, message_id(event, "desk@bank.test"));
        assert_ne!(id, message_id(event, "other@bank.test"));
        assert!(id.starts_with(&format!("<{event}.")), "{id}");
        assert!(id.ends_with("@workout-platform>"), "{id}");
    }
}
