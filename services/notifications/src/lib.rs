//! The notifications service: it receives the other services' events and tells the workouts'
//! participants by e-mail, in their language; it issues the formal notices the guideline requires
//! to the borrower and guarantors, tracks their acknowledgements and deadlines, and keeps the
//! delivery log.
//!
//! Rules: events arrive at `POST /notifications/v1/events` with a service token, at least once,
//! through the store kit's intake ([`outbox::intake`]: the token's service must be the event's
//! source); each is recorded once, by id, whatever the number of deliveries. Platform admins see
//! what arrived and how the e-mails fare (counts per topic and source, e-mails per kind and
//! status, and the events' envelopes: ids, topics, workout ids, times) but never an event's
//! payload, a recipient or a notice, which hold the workouts' contents (facility terms,
//! collateral) that a platform admin may not read; how the senders' deliveries fare is each
//! sender's `GET /<service>/v1/deliveries`. Routes are listed by [`routes`], used alike by its
//! binary, `workoutd` and tests.
//!
//! An event of a topic that tells someone ([`routing`]) becomes, in the intake's transaction, a
//! [`letters`] row; so do formal [`notices`], [`communications`]' acknowledgements, and the reports
//! and reminders of late [`duties`]. In the background the [`sender`] first expands each letter into
//! one delivery per recipient, with the participants the registry lists then ([`expander`]), and
//! sends them; formal notices carry [`acknowledgements`] links. The [`log`] shows what went to whom.

pub mod acknowledgements;
pub mod communications;
pub mod duties;
pub mod expander;
pub mod fan_out;
pub mod invitation;
pub mod letters;
pub mod log;
pub mod mail;
pub mod message;
pub mod notices;
pub mod preferences;
pub mod routing;
pub mod schema;
pub mod sender;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use serde::Serialize;
use std::sync::Arc;
use utoipa::OpenApi;
use uuid::Uuid;

use workout_domain::events::{RegistryTopic, Topic as _};
use workout_http::registry_client::{RegistryClient, ServiceCredentials};
use workout_http::{ApiError, JsonBody, PageQuery, PlatformAdmin, ServiceCaller};
use workout_runtime::{IntoTask as _, Routes, Service, ServiceContext, remote_service};
use workout_store::Pool;
use workout_store::migrate::ServiceMigrations;
use workout_store::outbox::{self, BatchReceipt, Event, EventBatch};

use crate::fan_out::ParticipantsCache;
use crate::schema::{deliveries, received_events};

/// The notifications service's own migrations.
pub const OWN_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/notifications");
/// Everything its schema needs.
pub const MIGRATIONS: ServiceMigrations = ServiceMigrations {
    schema: "notifications",
    own: Some(&OWN_MIGRATIONS),
};

/// The answer to a delivered event (the store kit's).
pub use workout_store::outbox::Receipt;

/// `POST /notifications/v1/events` (service token): an event from another service's outbox.
#[utoipa::path(tag = "events", security(("bearer" = [])),
    request_body = Event,
    responses((status = 202, body = Receipt), (status = 422, body = workout_http::Problem)))]
#[post("/v1/events")]
pub async fn receive_event(
    pool: web::Data<Pool>,
    service: ServiceCaller,
    cache: web::Data<ParticipantsCache>,
    body: JsonBody<Event>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    fan_out::forget_changed(&cache, std::slice::from_ref(&body.value));
    outbox::intake(&pool, &service, body.value, keep_event).await
}

/// `POST /notifications/v1/events/batch` (service token): up to 100 events of one service's
/// outbox, received together in one transaction (how the relays deliver).
#[utoipa::path(tag = "events", security(("bearer" = [])),
    request_body = EventBatch,
    responses((status = 202, body = BatchReceipt), (status = 422, body = workout_http::Problem)))]
#[post("/v1/events/batch")]
pub async fn receive_events(
    pool: web::Data<Pool>,
    service: ServiceCaller,
    cache: web::Data<ParticipantsCache>,
    body: JsonBody<EventBatch>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    fan_out::forget_changed(&cache, &body.value.events);
    outbox::intake_batch(&pool, &service, body.value, keep_event).await
}

/// Keeps a received event and writes its letter, and for a workout just opened the transfer
/// notice's duty (inside the intake's transaction).
async fn keep_event(conn: &mut AsyncPgConnection, event: &Event) -> Result<(), ApiError> {
    diesel::insert_into(received_events::table)
        .values((
            received_events::id.eq(event.id),
            received_events::topic.eq(&event.topic),
            received_events::source.eq(&event.source),
            received_events::workout_id.eq(event.workout_id),
            received_events::occurred_at.eq(event.occurred_at),
            received_events::payload.eq(&event.payload),
        ))
        .execute(conn)
        .await?;
    if let Some(letter) = letters::of_event(event) {
        letters::write(conn, &letter).await?;
    }
    if event.topic == RegistryTopic::WorkoutOpened.name() {
        duties::on_workout_opened(conn, &event.payload).await?;
    }
    Ok(())
}

/// A received event's envelope: what arrived and when, never its payload.
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = received_events)]
pub struct ReceivedEvent {
    /// Event id.
    pub id: Uuid,
    /// Topic.
    pub topic: String,
    /// Sending service.
    pub source: String,
    /// Workout concerned.
    pub workout_id: Option<Uuid>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it first arrived.
    pub received_at: DateTime<Utc>,
}

/// How many events of one topic arrived from one service.
#[derive(Debug, Serialize, Queryable, utoipa::ToSchema)]
pub struct ReceivedCount {
    /// Topic.
    pub topic: String,
    /// Sending service.
    pub source: String,
    /// Events received (each counted once, however often it was delivered).
    pub count: i64,
    /// When the last of them arrived.
    pub last_received_at: Option<DateTime<Utc>>,
}

/// How the e-mails of one kind fare: counts per status (never their recipients or contents).
#[derive(Debug, Serialize, Queryable, utoipa::ToSchema)]
pub struct DeliveryHealth {
    /// A topic, or a notice's, report's or reminder's kind.
    pub kind: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// How many.
    pub count: i64,
    /// When the oldest of them was written.
    pub oldest: Option<DateTime<Utc>>,
}

/// What the notifications service received: counts per topic and source, how the e-mails fare per
/// kind, and a page of the events' envelopes (`?limit=&cursor=` page the envelopes; the counts
/// are whole).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReceivedEvents {
    /// Counts per topic and source, ordered by topic and source.
    pub received: Vec<ReceivedCount>,
    /// E-mails per kind and status, ordered by kind and status.
    pub deliveries: Vec<DeliveryHealth>,
    /// The events' envelopes, oldest first.
    pub items: Vec<ReceivedEvent>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /notifications/v1/events` (platform admin): what arrived, without payloads: counts per
/// topic and source, e-mails per kind and status (never recipients or contents: those are the
/// workout's delivery log, read by its participants), and the events' envelopes (ids, topic,
/// source, workout, times), oldest first. How the senders' own deliveries of events fare is each
/// sender's `GET /<service>/v1/deliveries`.
#[utoipa::path(tag = "events", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = ReceivedEvents), (status = 403, body = workout_http::Problem)))]
#[get("/v1/events")]
pub async fn list_events(
    pool: web::Data<Pool>,
    _admin: PlatformAdmin,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let received: Vec<ReceivedCount> = received_events::table
        .group_by((received_events::topic, received_events::source))
        .select((
            received_events::topic,
            received_events::source,
            count_star(),
            max(received_events::received_at),
        ))
        .order((received_events::topic.asc(), received_events::source.asc()))
        .load(&mut conn)
        .await?;
    let health: Vec<DeliveryHealth> = deliveries::table
        .group_by((deliveries::topic, deliveries::status))
        .select((
            deliveries::topic,
            deliveries::status,
            count_star(),
            min(deliveries::created_at),
        ))
        .order((deliveries::topic.asc(), deliveries::status.asc()))
        .load(&mut conn)
        .await?;
    let rows: Vec<ReceivedEvent> = received_events::table
        .filter(received_events::id.gt(window.after))
        .order(received_events::id.asc())
        .limit(window.fetch())
        .select(ReceivedEvent::as_select())
        .load(&mut conn)
        .await?;
    let page = window.page(rows, |e: &ReceivedEvent| e.id);
    Ok(HttpResponse::Ok().json(ReceivedEvents {
        received,
        deliveries: health,
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// The notifications service's OpenAPI document: its title and description; the paths come from
/// [`routes`].
#[derive(OpenApi)]
#[openapi(info(
    title = "Workout notifications",
    description = "Event intake; e-mail to the workouts' participants in their language; formal \
        notices to the borrower and guarantors with one-click acknowledgements; the borrower's \
        written communications; notice deadlines; the delivery log; contacts' preferences. The \
        platform operator sees counts and delivery health, never contents."
))]
pub struct ApiDoc;

/// The routes inside `/notifications`, each documented as it is routed.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(receive_event)
        .service(receive_events)
        .service(list_events)
        .service(notices::issue_notice)
        .service(notices::list_notices)
        .service(log::delivery_log)
        .service(log::list_duties)
        .service(communications::record_communication)
        .service(communications::list_communications)
        .service(communications::acknowledge_communication)
        .service(acknowledgements::acknowledge_by_link)
        .service(acknowledgements::acknowledge_by_post)
        .service(preferences::get_preferences)
        .service(preferences::set_preferences);
}

/// The notifications service of a running process: its routes (with the participants cache the
/// intake and the sender share), relay, job scheduler (duties) and e-mail sender (polling every
/// `SCHEDULER_POLL_MS` when idle).
pub fn service(ctx: &ServiceContext, credentials: ServiceCredentials) -> anyhow::Result<Service> {
    message::check_templates()?;
    let cache = web::Data::new(ParticipantsCache::default());
    let shared = cache.clone().into_inner();
    let registry = Arc::new(RegistryClient::new(
        ctx.client.clone(),
        &ctx.registry_url,
        ctx.tokens(credentials.clone()),
    ));
    let mut service = remote_service(
        ctx,
        "notifications",
        credentials,
        ApiDoc::openapi(),
        move |cfg: &mut Routes<'_>| {
            cfg.app_data(cache.clone());
            routes(cfg);
        },
    )?;
    let pool = ctx.pool("notifications")?;
    let mail = &ctx.settings.mail;
    let public_url = mail
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", ctx.settings.bind));
    let sender = sender::Sender::new(
        pool.clone(),
        mail::Mailer::from_settings(mail)?,
        &mail.from,
        &public_url,
        ctx.settings.scheduler_poll,
        expander::Expander::new(pool.clone(), registry, shared),
    )?;
    service.tasks.push(sender.into_task());
    let scheduler = duties::register_jobs(ctx.scheduler("notifications", pool));
    service.tasks.push(scheduler.into_task());
    Ok(service)
}
