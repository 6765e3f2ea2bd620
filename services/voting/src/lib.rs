//! The voting service: standstill agreements, term sheets, ballots, votes and tallies.
//!
//! Rules: it has its own schema, authenticates users with the registry's keys and emits events
//! through its outbox. Its domain endpoints arrive with its own issue; today it answers its health,
//! readiness, OpenAPI and docs endpoints.

pub mod schema;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use utoipa::OpenApi;
use workout_http::registry_client::ServiceCredentials;
use workout_runtime::{Routes, Service, ServiceContext, remote_service};
use workout_store::migrate::ServiceMigrations;

/// The voting service's own tables (ballots, voters, votes).
pub const OWN_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/voting");

/// Everything its schema needs.
pub const MIGRATIONS: ServiceMigrations = ServiceMigrations {
    schema: "voting",
    own: Some(&OWN_MIGRATIONS),
};

/// The voting service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(info(
    title = "Workout voting",
    description = "Standstill agreements, term sheets, ballots, votes and tallies."
))]
pub struct ApiDoc;

/// The routes inside `/voting`.
pub fn routes(_cfg: &mut Routes<'_>) {}

/// The voting service of a running process.
pub fn service(ctx: &ServiceContext, credentials: ServiceCredentials) -> anyhow::Result<Service> {
    remote_service(ctx, "voting", credentials, ApiDoc::openapi(), routes)
}
