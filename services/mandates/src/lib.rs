//! The mandates service: the coordinator's mandate of a workout with several banks — nomination,
//! consent, appointment, term, renewal, withdrawal, expiry and the coordinator's duties (guideline
//! 5.3.1 E).
//!
//! Rules: it has its own schema, authenticates users with the registry's keys, asks the registry
//! who takes part in a workout (every request) and for the day's exposure snapshot, appoints the
//! coordinator and closes an expired workout through the registry's internal API, and emits its
//! events (`mandates.*`) through its outbox. The rules are the domain's
//! ([`workout_domain::mandates`]), consent is decided by the voting engine, and its timed work
//! runs on the store kit's scheduler ([`mandate::jobs`]). Routes are listed by [`routes`], used
//! alike by its binary, `workoutd` and tests.

pub mod audit;
pub mod events;
pub mod mandate;
pub mod schema;

use std::sync::Arc;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use utoipa::OpenApi;
use workout_http::registry_client::{RegistryClient, ServiceCredentials};
use workout_runtime::{IntoTask as _, Routes, Service, ServiceContext, remote_service};
use workout_store::migrate::ServiceMigrations;

/// The mandates service's own tables.
pub const OWN_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/mandates");

/// Everything its schema needs.
pub const MIGRATIONS: ServiceMigrations = ServiceMigrations {
    schema: "mandates",
    own: Some(&OWN_MIGRATIONS),
};

/// The mandates service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(info(
    title = "Workout mandates",
    description = "Coordinator nomination, consent, appointment, renewal, withdrawal and expiry."
))]
pub struct ApiDoc;

/// The routes inside `/mandates`.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(events::receive_event)
        .service(events::receive_events)
        .service(mandate::start::start_mandate)
        .service(mandate::read::get_mandate)
        .service(mandate::nomination::decline_nomination)
        .service(mandate::nomination::nominate_coordinator)
        .service(mandate::nomination::give_consent)
        .service(mandate::renewal::propose_renewal)
        .service(mandate::renewal::answer_renewal)
        .service(mandate::withdrawal::give_withdrawal_notice)
        .service(mandate::withdrawal::withdraw)
        .service(mandate::duties::list_duties)
        .service(mandate::duties::update_duty)
        .service(mandate::agent::decide_agent)
        .service(audit::export_audit);
}

/// The mandates service of a running process: its routes, relay and job scheduler.
pub fn service(ctx: &ServiceContext, credentials: ServiceCredentials) -> anyhow::Result<Service> {
    let registry = Arc::new(RegistryClient::new(
        ctx.client.clone(),
        &ctx.registry_url,
        ctx.tokens(credentials.clone()),
    ));
    let mut service = remote_service(ctx, "mandates", credentials, ApiDoc::openapi(), routes)?;
    let scheduler =
        mandate::jobs::register_jobs(ctx.scheduler("mandates", ctx.pool("mandates")?), registry);
    service.tasks.push(scheduler.into_task());
    Ok(service)
}
