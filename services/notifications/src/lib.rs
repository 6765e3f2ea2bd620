//! The notifications service: it receives the other services' events and (in later work) turns
//! them into formal notices, delivered by e-mail and acknowledged.
//!
//! Rules: events arrive at `POST /notifications/v1/events` with a service token, at least once,
//! through the store kit's intake ([`outbox::intake`]: the token's service must be the event's
//! source); each is recorded once, by id, whatever the number of deliveries. Platform admins can
//! read what was received. Routes are listed by [`routes`], used alike by its binary, `workoutd` and tests.

pub mod mail;
pub mod schema;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use serde::Serialize;
use utoipa::OpenApi;
use uuid::Uuid;
use workout_http::registry_client::ServiceCredentials;
use workout_http::{ApiError, JsonBody, Page, PageQuery, PlatformAdmin, ServiceCaller};
use workout_runtime::{Routes, Service, ServiceContext, remote_service};
use workout_store::Pool;
use workout_store::migrate::ServiceMigrations;
use workout_store::outbox::{self, Event};

use crate::schema::received_events;

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
    responses((status = 202, body = Receipt)))]
#[post("/v1/events")]
pub async fn receive_event(
    pool: web::Data<Pool>,
    service: ServiceCaller,
    body: JsonBody<Event>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    outbox::intake(&pool, &service, body.value, async |conn, event| {
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
        Ok(())
    })
    .await
}

/// An event as received.
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
    /// Data.
    pub payload: serde_json::Value,
    /// When it first arrived.
    pub received_at: DateTime<Utc>,
}

/// `GET /notifications/v1/events` (platform admin): received events, oldest first.
#[utoipa::path(tag = "events", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<ReceivedEvent>), (status = 403, body = workout_http::Problem)))]
#[get("/v1/events")]
pub async fn list_events(
    pool: web::Data<Pool>,
    _admin: PlatformAdmin,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = (query.limit()?, query.after()?);
    let mut conn = pool.get().await?;
    let rows: Vec<ReceivedEvent> = received_events::table
        .filter(received_events::id.gt(after))
        .order(received_events::id.asc())
        .limit(limit + 1)
        .select(ReceivedEvent::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |e: &ReceivedEvent| e.id)))
}

/// The notifications service's OpenAPI document: its title and description; the paths come from
/// [`routes`].
#[derive(OpenApi)]
#[openapi(info(
    title = "Workout notifications",
    description = "Event intake; notices, delivery and acknowledgements to come."
))]
pub struct ApiDoc;

/// The routes inside `/notifications`, each documented as it is routed.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(receive_event).service(list_events);
}

/// The notifications service of a running process.
pub fn service(ctx: &ServiceContext, credentials: ServiceCredentials) -> anyhow::Result<Service> {
    remote_service(ctx, "notifications", credentials, ApiDoc::openapi(), routes)
}
