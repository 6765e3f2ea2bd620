//! The minutes service: meetings, agenda, attendance, minutes and their approval, decisions and actions.
//!
//! Rules: it has its own schema, authenticates users with the registry's keys and emits events
//! through its outbox. Its domain endpoints arrive with its own issue; today it answers its health,
//! readiness, OpenAPI and docs endpoints.

use utoipa::OpenApi;
use workout_http::registry_client::ServiceCredentials;
use workout_runtime::{Routes, Service, ServiceContext, remote_service};
use workout_store::migrate::ServiceMigrations;

/// Everything its schema needs.
pub const MIGRATIONS: ServiceMigrations = ServiceMigrations {
    schema: "minutes",
    own: None,
};

/// The minutes service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(info(
    title = "Workout minutes",
    description = "Meetings, agenda, attendance, minutes and their approval, decisions and actions."
))]
pub struct ApiDoc;

/// The routes inside `/minutes`.
pub fn routes(_cfg: &mut Routes<'_>) {}

/// The minutes service of a running process.
pub fn service(ctx: &ServiceContext, credentials: ServiceCredentials) -> anyhow::Result<Service> {
    remote_service(ctx, "minutes", credentials, ApiDoc::openapi(), routes)
}
