//! The workouts' participants as the registry lists them, kept briefly: whom a letter reaches.
//!
//! Rules: the [`crate::expander`] asks for a workout's participants when it expands a letter (at
//! sending time); they are kept [`CACHE_TTL`] in memory and forgotten at once when a participant
//! event of that workout arrives. A workout the registry does not know has no participants. Each
//! message's `Message-ID` is derived from its letter and the address ([`message_id`]), so that a
//! resend is recognisably the same message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use uuid::Uuid;
use workout_domain::WorkoutId;
use workout_domain::registry_api::Participant;
use workout_http::ApiError;
use workout_http::registry_client::RegistryClient;
use workout_store::outbox::Event;

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

/// Forgets the cached participants of the workouts whose participants `events` changed (at
/// intake, so that the next letters of those workouts go to the participants as they are now).
pub fn forget_changed(cache: &ParticipantsCache, events: &[Event]) {
    for event in events {
        if let Some(workout) = event.workout_id
            && PARTICIPANT_TOPICS.contains(&event.topic.as_str())
        {
            cache.forget(workout);
        }
    }
}

/// The `Message-ID` of `letter`'s message to `email`: the same whenever it is sent again.
pub fn message_id(letter: Uuid, email: &str) -> String {
    let digest = hex::encode(Sha256::digest(email.as_bytes()));
    format!("<{letter}.{}@workout-platform>", &digest[..16])
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
