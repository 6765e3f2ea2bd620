//! The transactional outbox and its relay, and the receivers' deduplication.
//!
//! Rules: an event is written by [`enqueue`] in the same transaction as the change it describes, so
//! there is never a change without its event or an event without its change. The [`Relay`] delivers
//! pending events over HTTP to every subscriber, at least once: it locks a batch with
//! `FOR UPDATE SKIP LOCKED` (so replicas never deliver the same row at the same time), keeps the lock
//! while it calls the subscribers, and marks each event delivered or schedules a retry with
//! exponential backoff (1 s doubling, at most 10 min). A subscriber answering 2xx has accepted the
//! event; receivers deduplicate by event id with [`accept`], so a redelivery changes nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;
use workout_http::registry_client::ServiceTokens;

use crate::pool::Pool;
use crate::schema::{inbox, outbox};

/// An event as it travels from a service's outbox to a subscriber.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    /// Event id (receivers deduplicate on it).
    pub id: Uuid,
    /// What happened, e.g. `registry.institution_created`.
    pub topic: String,
    /// The service that emitted it.
    pub source: String,
    /// The workout concerned, if any.
    pub workout_id: Option<Uuid>,
    /// When the change was committed.
    pub occurred_at: DateTime<Utc>,
    /// Event data.
    pub payload: Value,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = outbox)]
struct PendingRow {
    id: Uuid,
    topic: String,
    workout_id: Option<Uuid>,
    payload: Value,
    created_at: DateTime<Utc>,
    attempts: i32,
}

/// Writes an event inside the caller's transaction (through [`crate::record::record`], which also
/// audits it); returns its id.
pub(crate) async fn enqueue(
    conn: &mut AsyncPgConnection,
    topic: &str,
    workout_id: Option<Uuid>,
    payload: Value,
) -> QueryResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(id),
            outbox::topic.eq(topic),
            outbox::workout_id.eq(workout_id),
            outbox::payload.eq(payload),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// Records an incoming event inside the receiver's transaction: `true` the first time, `false` for a
/// redelivery (which the receiver must then ignore).
pub async fn accept(conn: &mut AsyncPgConnection, event: &Event) -> QueryResult<bool> {
    let inserted = diesel::insert_into(inbox::table)
        .values((
            inbox::event_id.eq(event.id),
            inbox::topic.eq(&event.topic),
            inbox::source.eq(&event.source),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// The delay before retry number `attempts` (1-based): 1 s doubling, capped at 10 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(10);
    Duration::from_secs(1_u64 << exponent).min(Duration::from_secs(600))
}

/// Settings of a relay.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The emitting service's name, sent as the event's `source`.
    pub source: String,
    /// URLs that receive every event (`POST`, JSON body [`Event`], service token).
    pub subscribers: Vec<String>,
    /// Events per batch.
    pub batch_size: i64,
    /// Wait between polls when there is nothing to deliver.
    pub idle: Duration,
}

/// Delivers a service's pending outbox events.
pub struct Relay {
    pool: Pool,
    client: reqwest::Client,
    tokens: Arc<ServiceTokens>,
    config: RelayConfig,
}

impl Relay {
    /// A relay over `pool`'s outbox.
    pub fn new(
        pool: Pool,
        client: reqwest::Client,
        tokens: Arc<ServiceTokens>,
        config: RelayConfig,
    ) -> Self {
        Self {
            pool,
            client,
            tokens,
            config,
        }
    }

    /// Runs until `shutdown` turns true; a batch in progress is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(source = %self.config.source, "outbox relay started");
        while !*shutdown.borrow() {
            let pause = match self.deliver_batch().await {
                Ok(0) => self.config.idle,
                Ok(_) => Duration::ZERO,
                Err(error) => {
                    tracing::warn!(
                        error.cause = format!("{error:#}"),
                        "outbox relay batch failed"
                    );
                    self.config.idle.max(Duration::from_secs(1))
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!(source = %self.config.source, "outbox relay stopped");
    }

    /// Delivers one batch of due events; returns how many were attempted.
    pub async fn deliver_batch(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.get().await?;
        conn.transaction::<usize, anyhow::Error, _>(async |conn| {
                let rows: Vec<PendingRow> = outbox::table
                    .filter(outbox::delivered_at.is_null())
                    .filter(outbox::next_attempt_at.le(diesel::dsl::now))
                    .order((outbox::created_at.asc(), outbox::id.asc()))
                    .limit(self.config.batch_size)
                    .select(PendingRow::as_select())
                    .for_update()
                    .skip_locked()
                    .load(conn)
                    .await?;
                let count = rows.len();
                for row in rows {
                    let id = row.id;
                    let attempts = row.attempts;
                    match self.deliver(row).await {
                        Ok(()) => {
                            diesel::update(outbox::table.find(id))
                                .set(outbox::delivered_at.eq(diesel::dsl::now))
                                .execute(conn)
                                .await?;
                            metrics::counter!("outbox_delivered_total", "source" => self.config.source.clone()).increment(1);
                        }
                        Err(error) => {
                            let attempts = attempts.saturating_add(1);
                            let next = Utc::now()
                                + chrono::Duration::from_std(backoff(attempts)).unwrap_or(chrono::Duration::MAX);
                            tracing::warn!(event.id = %id, attempts, error.cause = format!("{error:#}"), "event delivery failed; will retry");
                            diesel::update(outbox::table.find(id))
                                .set((
                                    outbox::attempts.eq(attempts),
                                    outbox::next_attempt_at.eq(next),
                                    outbox::last_error.eq(format!("{error:#}")),
                                ))
                                .execute(conn)
                                .await?;
                            metrics::counter!("outbox_delivery_failures_total", "source" => self.config.source.clone()).increment(1);
                        }
                    }
                }
                Ok(count)
        })
        .await
    }

    async fn deliver(&self, row: PendingRow) -> anyhow::Result<()> {
        let event = Event {
            id: row.id,
            topic: row.topic,
            source: self.config.source.clone(),
            workout_id: row.workout_id,
            occurred_at: row.created_at,
            payload: row.payload,
        };
        let token = self.tokens.token().await?;
        for subscriber in &self.config.subscribers {
            self.client
                .post(subscriber)
                .bearer_auth(&token)
                .json(&event)
                .send()
                .await?
                .error_for_status()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(30), Duration::from_secs(600));
        assert_eq!(backoff(0), Duration::from_secs(1));
    }
}
