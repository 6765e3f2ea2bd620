//! The transactional outbox, its relay and event routing, and the receivers' side: deduplication
//! and the one intake handler every service mounts.
//!
//! Rules:
//! - An event is written by [`enqueue`] in the same transaction as the change it describes, so
//!   there is never a change without its event or an event without its change.
//! - Each subscriber is a URL and the topic prefixes it wants ([`Subscriber`]; none: every topic).
//!   The [`Relay`] routes each new event once: in one short transaction it makes a row in
//!   `outbox_deliveries` for every subscriber that wants its topic and marks the event routed (an
//!   event nobody wants is done at once). A subscriber added later receives the events routed after
//!   it came; one removed keeps its undelivered rows, which no relay takes any more.
//! - Delivery state is per (event, subscriber): each subscriber is served by a loop of its own that
//!   retries it with exponential backoff ([`backoff`]: 1 s doubling, at most 10 min) on its own
//!   rows only, so a subscriber that is down or slow neither delays nor causes redelivery to the
//!   others. `outbox.delivered_at` is set once every subscriber the event was routed to accepted it.
//! - No transaction is open while a subscriber is called: a batch of due rows is claimed with a
//!   lease (`FOR UPDATE SKIP LOCKED`, then `lease_token` and `lease_until` set, committed), the
//!   batch is posted in one call to the subscriber's `<url>/batch` ([`intake_batch`]; one event at
//!   a time when the batch holds one, or when the subscriber refuses the batch as such with a 4xx,
//!   so that an event it refuses holds up no other), then the outcome is recorded under the lease
//!   (delivered; or attempts + 1, the next attempt and the error). A relay stops calling before its
//!   lease could run out (each call has a time limit shorter than the lease), so two replicas never
//!   deliver one (event, subscriber) at the same time; the lease of a replica that crashed expires
//!   and another takes the row. After a failure the rest of the batch is released untried, to be
//!   tried at the next poll.
//! - Delivery is at least once and in no guaranteed order. A subscriber answering 2xx has accepted
//!   the event; receivers deduplicate by event id with [`accept`], or mount [`intake`], which also
//!   checks the sending service and runs the receiver's reaction in the same transaction.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use diesel::dsl::AsExprOf;
use diesel::expression::{SqlLiteral, UncheckedBind};
use diesel::pg::data_types::PgInterval;
use diesel::prelude::*;
use diesel::sql_types::{Interval, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;
use workout_http::registry_client::ServiceTokens;
use workout_http::{ApiError, ServiceCaller};

use crate::idempotency::transaction;
use crate::pool::Pool;
use crate::schema::{inbox, outbox, outbox_deliveries as deliveries};

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
struct EventRow {
    id: Uuid,
    topic: String,
    workout_id: Option<Uuid>,
    payload: Value,
    created_at: DateTime<Utc>,
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

/// The answer to a delivered event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The event id.
    pub id: Uuid,
    /// `true` when this event had already been received (nothing was done again).
    pub duplicate: bool,
}

/// The most events one batch may carry (`POST /<service>/v1/events/batch`).
pub const MAX_BATCH: usize = 100;

/// The body of `POST /<service>/v1/events/batch`: events of one source, received together.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// From 1 to 100 events.
    pub events: Vec<Event>,
}

/// The answer to a delivered batch: one receipt per event, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchReceipt {
    /// The receipts.
    pub receipts: Vec<Receipt>,
}

/// The body of `POST /<service>/v1/events` for any service: checks that the calling service (its
/// token, already verified by the [`ServiceCaller`] extractor) is the event's `source`, records the
/// event once ([`accept`]) and runs `react` in that same transaction; a redelivery does nothing.
/// Answers 202 with a [`Receipt`], 422 `source_mismatch`, or 422 `validation_failed` for an
/// event no outbox writes ([`check_event`]).
pub async fn intake(
    pool: &Pool,
    service: &ServiceCaller,
    event: Event,
    react: impl AsyncFn(&mut AsyncPgConnection, &Event) -> Result<(), ApiError>,
) -> Result<HttpResponse, ApiError> {
    check_event(&event)?;
    let receipts = receive(pool, service, std::slice::from_ref(&event), react).await?;
    Ok(HttpResponse::Accepted().json(&receipts[0]))
}

/// The body of `POST /<service>/v1/events/batch` for any service (what a [`Relay`] sends): as
/// [`intake`] for each event, all in one transaction, so that the batch is received whole or not
/// at all. Answers 202 with a [`BatchReceipt`]; 422 for an empty batch, one of more than
/// [`MAX_BATCH`] events, an event of another source or one no outbox writes (the field named
/// `events[i].<field>`), before anything is stored.
pub async fn intake_batch(
    pool: &Pool,
    service: &ServiceCaller,
    batch: EventBatch,
    react: impl AsyncFn(&mut AsyncPgConnection, &Event) -> Result<(), ApiError>,
) -> Result<HttpResponse, ApiError> {
    if batch.events.is_empty() || batch.events.len() > MAX_BATCH {
        return Err(ApiError::Validation(vec![workout_http::FieldError::new(
            "events",
            format!("holds from 1 to {MAX_BATCH} events"),
        )]));
    }
    let errors: Vec<_> = batch
        .events
        .iter()
        .enumerate()
        .flat_map(|(i, event)| event_errors(event, &format!("events[{i}].")))
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let receipts = receive(pool, service, &batch.events, react).await?;
    Ok(HttpResponse::Accepted().json(BatchReceipt { receipts }))
}

/// Receives checked `events` of `service` in one transaction: each recorded once and reacted to.
async fn receive(
    pool: &Pool,
    service: &ServiceCaller,
    events: &[Event],
    react: impl AsyncFn(&mut AsyncPgConnection, &Event) -> Result<(), ApiError>,
) -> Result<Vec<Receipt>, ApiError> {
    if let Some(event) = events.iter().find(|e| e.source != service.client) {
        return Err(ApiError::unprocessable(
            "source_mismatch",
            format!(
                "a {} token cannot deliver events of {}",
                service.client, event.source
            ),
        ));
    }
    let receipts = transaction(pool, async |conn| {
        let mut receipts = Vec::with_capacity(events.len());
        for event in events {
            let duplicate = !accept(conn, event).await?;
            if !duplicate {
                react(conn, event).await?;
            }
            receipts.push(Receipt {
                id: event.id,
                duplicate,
            });
        }
        Ok(receipts)
    })
    .await?;
    for (event, receipt) in events.iter().zip(&receipts) {
        if !receipt.duplicate {
            tracing::info!(event.id = %event.id, event.topic = %event.topic, event.source = %event.source, "event received");
        }
    }
    Ok(receipts)
}

/// Checks what an outbox always writes: a topic `<service>.<name>` (lowercase letters, digits and
/// `_`, at most 100 characters) and a time between 1900 and 9999; anything else answers 422
/// naming the field, before anything is stored.
pub fn check_event(event: &Event) -> Result<(), ApiError> {
    let errors = event_errors(event, "");
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// What [`check_event`] finds wrong with `event`, each field named after `prefix`.
fn event_errors(event: &Event, prefix: &str) -> Vec<workout_http::FieldError> {
    let mut errors = Vec::new();
    let word = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    let topic_ok = event.topic.len() <= 100
        && event
            .topic
            .split_once('.')
            .is_some_and(|(service, name)| word(service) && word(name));
    if !topic_ok {
        errors.push(workout_http::FieldError::new(
            format!("{prefix}topic"),
            "is <service>.<name> in lowercase letters, digits and '_', at most 100 characters",
        ));
    }
    let year = chrono::Datelike::year(&event.occurred_at);
    if !(1900..=9999).contains(&year) {
        errors.push(workout_http::FieldError::new(
            format!("{prefix}occurred_at"),
            "is a time from 1900 to 9999",
        ));
    }
    errors
}

/// The delay before retry number `attempts` (1-based): 1 s doubling, capped at 10 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(10);
    Duration::from_secs(1_u64 << exponent).min(Duration::from_secs(600))
}

/// Where events go: a URL that receives them (`POST`, JSON body [`Event`], service token) and the
/// topic prefixes it wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The URL events are posted to; it names the subscriber in `outbox_deliveries`.
    pub url: String,
    /// Topic prefixes, e.g. `registry.`; empty: every topic.
    pub prefixes: Vec<String>,
}

impl Subscriber {
    /// A subscriber to every topic.
    pub fn all(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefixes: Vec::new(),
        }
    }

    /// A subscriber to the topics that start with one of `prefixes`.
    pub fn with_prefixes(
        url: impl Into<String>,
        prefixes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            url: url.into(),
            prefixes: prefixes.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether it wants events of `topic`.
    pub fn wants(&self, topic: &str) -> bool {
        self.prefixes.is_empty() || self.prefixes.iter().any(|p| topic.starts_with(p.as_str()))
    }

    /// Parses `OUTBOX_SUBSCRIBERS`: comma-separated entries, each `URL` (every topic) or
    /// `URL#PREFIX` (topics starting with `PREFIX`); an entry without `://` is one more prefix of
    /// the subscriber before it. `http://a/events,http://b/events#registry.,mandates.` sends
    /// everything to `a` and the `registry.` and `mandates.` topics to `b`. A list that names no
    /// subscriber is an error (events would wait forever).
    pub fn parse_list(text: &str) -> anyhow::Result<Vec<Self>> {
        let mut list: Vec<Self> = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry.contains("://") {
                let (url, prefix) = match entry.split_once('#') {
                    Some((url, prefix)) => (url.trim(), Some(prefix.trim())),
                    None => (entry, None),
                };
                anyhow::ensure!(
                    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")),
                    "OUTBOX_SUBSCRIBERS: {url:?} is not an http(s) URL"
                );
                anyhow::ensure!(
                    list.iter().all(|s| s.url != url),
                    "OUTBOX_SUBSCRIBERS: {url:?} is listed twice"
                );
                let mut subscriber = Self::all(url);
                if let Some(prefix) = prefix {
                    anyhow::ensure!(
                        !prefix.is_empty(),
                        "OUTBOX_SUBSCRIBERS: {url:?} has an empty topic prefix after '#'"
                    );
                    subscriber.prefixes.push(prefix.to_owned());
                }
                list.push(subscriber);
            } else {
                match list.last_mut() {
                    Some(last) if !last.prefixes.is_empty() => {
                        last.prefixes.push(entry.to_owned());
                    }
                    _ => anyhow::bail!(
                        "OUTBOX_SUBSCRIBERS: {entry:?} is neither a URL nor a topic prefix following `URL#prefix`"
                    ),
                }
            }
        }
        anyhow::ensure!(!list.is_empty(), "OUTBOX_SUBSCRIBERS names no subscriber");
        Ok(list)
    }
}

/// Settings of a relay.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The emitting service's name, sent as the event's `source`.
    pub source: String,
    /// Who receives which events.
    pub subscribers: Vec<Subscriber>,
    /// Events routed, and deliveries claimed per subscriber, per batch.
    pub batch_size: i64,
    /// Wait between polls when there is nothing to deliver, and after a failed delivery.
    pub idle: Duration,
    /// How long a claimed batch is reserved for the replica that claimed it.
    pub lease: Duration,
    /// The time limit of one call to a subscriber (well under `lease`).
    pub call_timeout: Duration,
}

impl RelayConfig {
    /// The settings of `source`'s relay to `subscribers`: batches of 100 (at most [`MAX_BATCH`]),
    /// polls every 500 ms, leases of 60 s, calls of at most 10 s.
    pub fn new(source: &str, subscribers: Vec<Subscriber>) -> Self {
        Self {
            source: source.to_owned(),
            subscribers,
            batch_size: 100,
            idle: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            call_timeout: Duration::from_secs(10),
        }
    }
}

/// The time a relay keeps in hand between its last call of a batch and the end of its lease (for
/// recording the outcome).
const LEASE_MARGIN: Duration = Duration::from_secs(2);

/// What one delivery pass to a subscriber did.
#[derive(Debug, Clone, Copy, Default)]
struct Pass {
    /// Events newly routed (to any subscriber).
    routed: usize,
    /// Calls made to the subscriber.
    attempted: usize,
    /// Whether a call failed (the rest of the batch was released).
    failed: bool,
}

/// Delivers a service's outbox events to its subscribers.
pub struct Relay {
    pool: Pool,
    client: reqwest::Client,
    tokens: Arc<ServiceTokens>,
    config: RelayConfig,
}

fn interval(duration: Duration) -> PgInterval {
    PgInterval::from_microseconds(i64::try_from(duration.as_micros()).unwrap_or(i64::MAX))
}

/// `now() + duration`, on the database's clock (leases and retries compare with `now()` there,
/// whichever replica wrote them).
fn from_now(
    duration: Duration,
) -> UncheckedBind<SqlLiteral<Timestamptz>, AsExprOf<PgInterval, Interval>> {
    diesel::dsl::sql::<Timestamptz>("now() + ").bind::<Interval, _>(interval(duration))
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

    /// Runs until `shutdown` turns true: one delivery loop per subscriber, each finishing the call
    /// in progress (and releasing the rest of its batch) before it stops. (Without subscribers it
    /// has nothing to do and returns at once.)
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        tracing::info!(source = %self.config.source, subscribers = self.config.subscribers.len(), "outbox relay started");
        let loops = self
            .config
            .subscribers
            .iter()
            .map(|subscriber| self.serve(subscriber, shutdown.clone()));
        futures_util::future::join_all(loops).await;
        tracing::info!(source = %self.config.source, "outbox relay stopped");
    }

    async fn serve(&self, subscriber: &Subscriber, mut shutdown: watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            let pause = match self.pass(subscriber, Some(&shutdown)).await {
                Ok(pass) if pass.failed || (pass.attempted == 0 && pass.routed == 0) => {
                    self.config.idle
                }
                Ok(_) => Duration::ZERO,
                Err(error) => {
                    tracing::warn!(source = %self.config.source, subscriber = %subscriber.url,
                        error.cause = format!("{error:#}"), "outbox relay pass failed");
                    self.config.idle.max(Duration::from_secs(1))
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    changed = shutdown.changed() => if changed.is_err() { break },
                }
            }
        }
    }

    /// One pass for every subscriber at once: routes new events, then delivers one batch to each
    /// subscriber; returns how many calls were made.
    pub async fn deliver_batch(&self) -> anyhow::Result<usize> {
        let passes = futures_util::future::join_all(
            self.config
                .subscribers
                .iter()
                .map(|subscriber| self.pass(subscriber, None)),
        )
        .await;
        let mut attempted = 0;
        for pass in passes {
            attempted += pass?.attempted;
        }
        Ok(attempted)
    }

    async fn pass(
        &self,
        subscriber: &Subscriber,
        shutdown: Option<&watch::Receiver<bool>>,
    ) -> anyhow::Result<Pass> {
        let routed = self.route().await?;
        let mut pass = self.deliver_to(subscriber, shutdown).await?;
        pass.routed = routed;
        Ok(pass)
    }

    /// Routes a batch of new events: a delivery row for every subscriber that wants each; returns
    /// how many events were routed.
    pub async fn route(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.get().await?;
        conn.transaction::<usize, anyhow::Error, _>(async |conn| {
            let fresh: Vec<(Uuid, String)> = outbox::table
                .filter(outbox::routed_at.is_null())
                .order((outbox::created_at.asc(), outbox::id.asc()))
                .limit(self.config.batch_size)
                .select((outbox::id, outbox::topic))
                .for_update()
                .skip_locked()
                .load(conn)
                .await?;
            for (id, topic) in &fresh {
                let rows: Vec<_> = self
                    .config
                    .subscribers
                    .iter()
                    .filter(|s| s.wants(topic))
                    .map(|s| {
                        (
                            deliveries::event_id.eq(*id),
                            deliveries::subscriber.eq(&s.url),
                        )
                    })
                    .collect();
                if rows.is_empty() {
                    diesel::update(outbox::table.find(id))
                        .set((
                            outbox::routed_at.eq(diesel::dsl::now),
                            outbox::delivered_at.eq(diesel::dsl::now),
                        ))
                        .execute(conn)
                        .await?;
                } else {
                    diesel::insert_into(deliveries::table)
                        .values(&rows)
                        .on_conflict_do_nothing()
                        .execute(conn)
                        .await?;
                    diesel::update(outbox::table.find(id))
                        .set(outbox::routed_at.eq(diesel::dsl::now))
                        .execute(conn)
                        .await?;
                }
            }
            Ok(fresh.len())
        })
        .await
    }

    /// Claims a batch of `subscriber`'s due deliveries under a new lease; returns the events with
    /// their failed attempts so far, oldest due first.
    async fn claim(
        &self,
        subscriber: &Subscriber,
        lease: Uuid,
    ) -> anyhow::Result<Vec<(Uuid, i32)>> {
        let mut conn = self.pool.get().await?;
        conn.transaction::<Vec<(Uuid, i32)>, anyhow::Error, _>(async |conn| {
            let due: Vec<(Uuid, i32)> = deliveries::table
                .filter(deliveries::subscriber.eq(&subscriber.url))
                .filter(deliveries::delivered_at.is_null())
                .filter(deliveries::next_attempt_at.le(diesel::dsl::now))
                .filter(
                    deliveries::lease_until
                        .is_null()
                        .or(deliveries::lease_until.lt(diesel::dsl::now)),
                )
                .order((
                    deliveries::next_attempt_at.asc(),
                    deliveries::event_id.asc(),
                ))
                .limit(self.config.batch_size)
                .select((deliveries::event_id, deliveries::attempts))
                .for_update()
                .skip_locked()
                .load(conn)
                .await?;
            if !due.is_empty() {
                diesel::update(
                    deliveries::table
                        .filter(deliveries::subscriber.eq(&subscriber.url))
                        .filter(deliveries::event_id.eq_any(due.iter().map(|(id, _)| *id))),
                )
                .set((
                    deliveries::lease_token.eq(lease),
                    deliveries::lease_until.eq(from_now(self.config.lease).nullable()),
                ))
                .execute(conn)
                .await?;
            }
            Ok(due)
        })
        .await
    }

    /// Delivers one claimed batch to `subscriber`: in one call to its batch endpoint (its URL
    /// followed by `/batch`, [`intake_batch`]) when it holds more than one event; one event at a
    /// time when it holds one, or when the subscriber refused the batch as such (a 4xx: an event
    /// it will not take, or no batch endpoint), so that one event it refuses holds up no other.
    /// One at a time stops at the first failure, when `shutdown` turns true, or before a call could
    /// outlast the lease; the rest of the batch is released.
    async fn deliver_to(
        &self,
        subscriber: &Subscriber,
        shutdown: Option<&watch::Receiver<bool>>,
    ) -> anyhow::Result<Pass> {
        let started = Instant::now();
        let lease = Uuid::now_v7();
        let claimed = self.claim(subscriber, lease).await?;
        let mut pass = Pass::default();
        if claimed.is_empty() {
            return Ok(pass);
        }
        let loaded = self.events(claimed.iter().map(|(id, _)| *id)).await;
        let token = self.tokens.token().await;
        let (events, token) = match (loaded, token) {
            (Ok(events), Ok(token)) => (events, token),
            (Err(error), _) | (_, Err(error)) => {
                self.release(subscriber, lease).await?;
                return Err(error);
            }
        };
        let may_call = || {
            let stopping = shutdown.is_some_and(|s| *s.borrow());
            let lease_left = self
                .config
                .lease
                .saturating_sub(started.elapsed())
                .saturating_sub(LEASE_MARGIN);
            !stopping && lease_left >= self.config.call_timeout
        };
        let batch: Vec<&Event> = claimed
            .iter()
            .filter_map(|(id, _)| events.get(id))
            .collect();
        if batch.len() > 1 && batch.len() == claimed.len() && may_call() {
            pass.attempted = batch.len();
            match self.post_batch(subscriber, &token, &batch).await {
                Ok(()) => {
                    let ids: Vec<Uuid> = claimed.iter().map(|(id, _)| *id).collect();
                    self.delivered(subscriber, &ids, lease).await?;
                    self.count_delivered(subscriber, ids.len());
                    return Ok(pass);
                }
                Err(error) if !refused_as_such(&error) => {
                    pass.failed = true;
                    for (id, attempts) in &claimed {
                        self.failed(subscriber, *id, lease, attempts.saturating_add(1), &error)
                            .await?;
                    }
                    return Ok(pass);
                }
                Err(error) => {
                    tracing::info!(subscriber = %subscriber.url, error.cause = format!("{error:#}"),
                        "batch refused; delivering its events one at a time");
                    pass.attempted = 0;
                }
            }
        }
        for (id, attempts) in &claimed {
            if pass.failed || !may_call() {
                break;
            }
            pass.attempted += 1;
            let sent = match events.get(id) {
                Some(event) => self.post(subscriber, &token, event).await,
                None => Err(anyhow::anyhow!("event {id} is not in the outbox")),
            };
            match sent {
                Ok(()) => {
                    self.delivered(subscriber, &[*id], lease).await?;
                    self.count_delivered(subscriber, 1);
                }
                Err(error) => {
                    pass.failed = true;
                    self.failed(subscriber, *id, lease, attempts.saturating_add(1), &error)
                        .await?;
                }
            }
        }
        self.release(subscriber, lease).await?;
        Ok(pass)
    }

    fn count_delivered(&self, subscriber: &Subscriber, events: usize) {
        metrics::counter!("outbox_delivered_total", "source" => self.config.source.clone(), "subscriber" => subscriber.url.clone())
            .increment(u64::try_from(events).unwrap_or(u64::MAX));
    }

    async fn events(
        &self,
        ids: impl Iterator<Item = Uuid>,
    ) -> anyhow::Result<BTreeMap<Uuid, Event>> {
        let mut conn = self.pool.get().await?;
        let rows: Vec<EventRow> = outbox::table
            .filter(outbox::id.eq_any(ids.collect::<Vec<_>>()))
            .select(EventRow::as_select())
            .load(&mut conn)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                (
                    row.id,
                    Event {
                        id: row.id,
                        topic: row.topic,
                        source: self.config.source.clone(),
                        workout_id: row.workout_id,
                        occurred_at: row.created_at,
                        payload: row.payload,
                    },
                )
            })
            .collect())
    }

    async fn post(
        &self,
        subscriber: &Subscriber,
        token: &str,
        event: &Event,
    ) -> anyhow::Result<()> {
        self.client
            .post(&subscriber.url)
            .bearer_auth(token)
            .timeout(self.config.call_timeout)
            .json(event)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    async fn post_batch(
        &self,
        subscriber: &Subscriber,
        token: &str,
        events: &[&Event],
    ) -> anyhow::Result<()> {
        self.client
            .post(format!("{}/batch", subscriber.url))
            .bearer_auth(token)
            .timeout(self.config.call_timeout)
            .json(&serde_json::json!({ "events": events }))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// Records the deliveries of `ids` under `lease`, and each event as delivered when it was the
    /// last one due.
    async fn delivered(
        &self,
        subscriber: &Subscriber,
        ids: &[Uuid],
        lease: Uuid,
    ) -> anyhow::Result<()> {
        let mut conn = self.pool.get().await?;
        let recorded = conn
            .transaction::<usize, anyhow::Error, _>(async |conn| {
                // One delivery of an event at a time decides whether it was the last (the events
                // locked in id order, as every relay does, so that two never wait for each other).
                outbox::table
                    .filter(outbox::id.eq_any(ids))
                    .order(outbox::id.asc())
                    .select(outbox::id)
                    .for_no_key_update()
                    .load::<Uuid>(conn)
                    .await?;
                let updated = diesel::update(
                    deliveries::table
                        .filter(deliveries::event_id.eq_any(ids))
                        .filter(deliveries::subscriber.eq(&subscriber.url))
                        .filter(deliveries::lease_token.eq(lease))
                        .filter(deliveries::delivered_at.is_null()),
                )
                .set((
                    deliveries::delivered_at.eq(diesel::dsl::now),
                    deliveries::lease_token.eq(None::<Uuid>),
                    deliveries::lease_until.eq(None::<DateTime<Utc>>),
                ))
                .execute(conn)
                .await?;
                let undelivered = deliveries::table
                    .filter(deliveries::event_id.eq(outbox::id))
                    .filter(deliveries::delivered_at.is_null());
                diesel::update(
                    outbox::table
                        .filter(outbox::id.eq_any(ids))
                        .filter(outbox::delivered_at.is_null())
                        .filter(diesel::dsl::not(diesel::dsl::exists(undelivered))),
                )
                .set(outbox::delivered_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
                Ok(updated)
            })
            .await?;
        if recorded < ids.len() {
            tracing::warn!(events = ids.len() - recorded, subscriber = %subscriber.url,
                "delivered after the lease was lost; those events may be delivered again");
        }
        Ok(())
    }

    /// Records a failed attempt under `lease` and when to try again.
    async fn failed(
        &self,
        subscriber: &Subscriber,
        id: Uuid,
        lease: Uuid,
        attempts: i32,
        error: &anyhow::Error,
    ) -> anyhow::Result<()> {
        let error = format!("{error:#}");
        tracing::warn!(event.id = %id, subscriber = %subscriber.url, attempts,
            error.cause = error, "event delivery failed; will retry");
        metrics::counter!("outbox_delivery_failures_total", "source" => self.config.source.clone(), "subscriber" => subscriber.url.clone()).increment(1);
        let mut conn = self.pool.get().await?;
        diesel::update(
            deliveries::table
                .find((id, &subscriber.url))
                .filter(deliveries::lease_token.eq(lease)),
        )
        .set((
            deliveries::attempts.eq(attempts),
            deliveries::next_attempt_at.eq(from_now(backoff(attempts))),
            deliveries::last_error.eq(&error),
            deliveries::lease_token.eq(None::<Uuid>),
            deliveries::lease_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(&mut conn)
        .await?;
        Ok(())
    }

    /// Gives back what is left of a batch claimed under `lease`, untried.
    async fn release(&self, subscriber: &Subscriber, lease: Uuid) -> anyhow::Result<()> {
        let mut conn = self.pool.get().await?;
        diesel::update(
            deliveries::table
                .filter(deliveries::subscriber.eq(&subscriber.url))
                .filter(deliveries::lease_token.eq(lease)),
        )
        .set((
            deliveries::lease_token.eq(None::<Uuid>),
            deliveries::lease_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(&mut conn)
        .await?;
        Ok(())
    }
}

/// Whether a subscriber refused a batch as such (a 4xx answer), rather than failing to take it.
fn refused_as_such(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<reqwest::Error>()
        .and_then(reqwest::Error::status)
        .is_some_and(|status| status.is_client_error())
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

    #[test]
    fn a_subscriber_without_prefixes_wants_every_topic_and_one_with_prefixes_only_those() {
        let all = Subscriber::all("http://n/events");
        assert!(all.wants("registry.user_created"));
        assert!(all.wants("voting.ballot_closed"));
        let some = Subscriber::with_prefixes("http://v/events", ["registry.", "mandates."]);
        assert!(some.wants("registry.user_created"));
        assert!(some.wants("mandates.granted"));
        assert!(!some.wants("voting.ballot_closed"));
        assert!(!some.wants("registry"), "a prefix is matched whole");
    }

    #[test]
    fn the_subscriber_list_reads_urls_and_their_prefixes() {
        let list = Subscriber::parse_list(
            " http://a:8080/notifications/v1/events , https://b/voting/v1/events#registry.,mandates. ,http://c/x#voting.",
        )
        .unwrap();
        assert_eq!(
            list,
            vec![
                Subscriber::all("http://a:8080/notifications/v1/events"),
                Subscriber::with_prefixes("https://b/voting/v1/events", ["registry.", "mandates."]),
                Subscriber::with_prefixes("http://c/x", ["voting."]),
            ]
        );
    }

    #[test]
    fn a_malformed_subscriber_list_is_refused_with_the_offending_entry() {
        for (text, named) in [
            (" , ", "no subscriber"),
            ("registry.", "registry."),
            ("http://a/events,mandates.", "mandates."),
            ("http://a/events#", "http://a/events"),
            ("ftp://a/events", "ftp://a/events"),
            ("http://a/events,http://a/events", "http://a/events"),
        ] {
            let error = Subscriber::parse_list(text).unwrap_err().to_string();
            assert!(error.contains(named), "{text}: {error}");
        }
    }
}
