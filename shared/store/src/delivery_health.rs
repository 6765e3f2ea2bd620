//! The delivery health of a service's outbox, for whoever operates the platform: how many events
//! of each topic are delivered, pending or failing for each subscriber, and which deliveries fail,
//! with the error and the times, never what the events say.
//!
//! Rules: only the envelope is read (ids, topic, workout id, subscriber, attempts, last error,
//! times): no payload leaves the outbox through here, so an operator sees that deliveries flow
//! without reading a workout's contents. `last_error` is the relay's own description of the call
//! (a connection error or an HTTP status), which never holds a body. A delivery is `delivered`
//! once its subscriber accepted it, `failing` while undelivered after at least one failed attempt,
//! `pending` before its first attempt; an event not yet routed to its subscribers is `unrouted`.
//! The failures are a page of events (by event id), each with its failing deliveries, so that a
//! page never splits one event's deliveries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;
use workout_http::{Page, Window};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// The event is not routed to its subscribers yet (no subscriber is named).
    Unrouted,
    /// Not tried yet.
    Pending,
    /// Tried and refused or unreachable at least once; retried with backoff.
    Failing,
    /// Accepted by its subscriber.
    Delivered,
}

impl DeliveryStatus {
    fn parse(text: &str) -> Self {
        match text {
            "unrouted" => Self::Unrouted,
            "pending" => Self::Pending,
            "failing" => Self::Failing,
            _ => Self::Delivered,
        }
    }
}

/// How many deliveries of one topic to one subscriber stand at one status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryCount {
    /// The events' topic, e.g. `registry.facility_changed`.
    pub topic: String,
    /// The subscriber's URL (absent for unrouted events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriber: Option<String>,
    /// Where these deliveries stand.
    pub status: DeliveryStatus,
    /// How many.
    pub count: i64,
    /// When the oldest of their events was written.
    pub oldest_event_at: DateTime<Utc>,
    /// When the newest of their events was written.
    pub newest_event_at: DateTime<Utc>,
}

/// One failing delivery of an event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FailingDelivery {
    /// The subscriber's URL.
    pub subscriber: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The last attempt's error (a connection error or an HTTP status; never a body).
    pub last_error: Option<String>,
    /// When it is tried next.
    pub next_attempt_at: DateTime<Utc>,
}

/// An event with at least one failing delivery: its envelope, never its payload.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryFailure {
    /// The event's id.
    pub event_id: Uuid,
    /// Its topic.
    pub topic: String,
    /// The workout concerned, if any.
    pub workout_id: Option<Uuid>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Its failing deliveries, by subscriber.
    pub deliveries: Vec<FailingDelivery>,
}

/// The delivery health of a service's outbox: counts per topic, subscriber and status, and a page
/// of the failures (`?limit=&cursor=` page the failures; the counts are whole).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryHealth {
    /// Counts per topic, subscriber and status, ordered by topic, subscriber and status.
    pub counts: Vec<DeliveryCount>,
    /// Events with failing deliveries, ordered by event id (oldest first).
    pub failures: Vec<DeliveryFailure>,
    /// Pass as `cursor` to get the next page of failures; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Nullable<Text>)]
    subscriber: Option<String>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = Timestamptz)]
    oldest_event_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    newest_event_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct FailureRow {
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    workout_id: Option<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    subscriber: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Text>)]
    last_error: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    next_attempt_at: DateTime<Utc>,
}

const COUNTS: &str = "
    SELECT o.topic, d.subscriber,
           CASE WHEN d.delivered_at IS NOT NULL THEN 'delivered'
                WHEN d.attempts > 0 THEN 'failing'
                ELSE 'pending' END AS status,
           count(*) AS count, min(o.created_at) AS oldest_event_at, max(o.created_at) AS newest_event_at
      FROM outbox_deliveries d JOIN outbox o ON o.id = d.event_id
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT topic, NULL, 'unrouted', count(*), min(created_at), max(created_at)
      FROM outbox WHERE routed_at IS NULL
     GROUP BY topic";

const FAILURES: &str = "
    SELECT d.event_id, o.topic, o.workout_id, o.created_at, d.subscriber, d.attempts, d.last_error,
           d.next_attempt_at
      FROM outbox_deliveries d JOIN outbox o ON o.id = d.event_id
     WHERE d.delivered_at IS NULL AND d.attempts > 0
       AND d.event_id IN (SELECT DISTINCT event_id FROM outbox_deliveries
                           WHERE delivered_at IS NULL AND attempts > 0 AND event_id > $1
                           ORDER BY event_id LIMIT $2)
     ORDER BY d.event_id, d.subscriber";

/// The delivery health of the outbox of the schema `conn` works in, with the page of failures
/// `window` names.
pub async fn delivery_health(
    conn: &mut AsyncPgConnection,
    window: Window,
) -> QueryResult<DeliveryHealth> {
    let counts: Vec<CountRow> = diesel::sql_query(COUNTS).load(conn).await?;
    let mut counts: Vec<DeliveryCount> = counts
        .into_iter()
        .map(|row| DeliveryCount {
            topic: row.topic,
            subscriber: row.subscriber,
            status: DeliveryStatus::parse(&row.status),
            count: row.count,
            oldest_event_at: row.oldest_event_at,
            newest_event_at: row.newest_event_at,
        })
        .collect();
    counts.sort_by(|a, b| {
        (&a.topic, &a.subscriber, a.status).cmp(&(&b.topic, &b.subscriber, b.status))
    });
    let rows: Vec<FailureRow> = diesel::sql_query(FAILURES)
        .bind::<SqlUuid, _>(window.after)
        .bind::<BigInt, _>(window.fetch())
        .load(conn)
        .await?;
    let mut failures: Vec<DeliveryFailure> = Vec::new();
    for row in rows {
        let delivery = FailingDelivery {
            subscriber: row.subscriber,
            attempts: row.attempts,
            last_error: row.last_error,
            next_attempt_at: row.next_attempt_at,
        };
        match failures.last_mut() {
            Some(last) if last.event_id == row.event_id => last.deliveries.push(delivery),
            _ => failures.push(DeliveryFailure {
                event_id: row.event_id,
                topic: row.topic,
                workout_id: row.workout_id,
                created_at: row.created_at,
                deliveries: vec![delivery],
            }),
        }
    }
    let page: Page<DeliveryFailure> = window.page(failures, |f| f.event_id);
    Ok(DeliveryHealth {
        counts,
        failures: page.items,
        next_cursor: page.next_cursor,
    })
}
