//! The registry service: identity (institutions, users, sign-in, tokens, signing keys) and the
//! workouts' case file (participants, facilities, exposures, the borrower's cooperation).
//!
//! The source is laid out by resource, one folder each, and by use case, one file each (or a close
//! group): [`identity`], [`workouts`] (with the [`membership`](workouts::membership) shell every
//! workout use case runs in), [`participants`], [`facilities`], [`exposures`] and [`cooperation`].
//! A resource depends only on those before it in that list (cooperation only on workouts). Each
//! handler names its route with its actix macro (`#[get("/v1/...")]`) under `#[utoipa::path]`;
//! each folder's `routes` lists its handlers, and [`api`] mounts them and documents them from that
//! one list.
//!
//! Rules: it alone holds the signing keys and issues tokens; it verifies its own tokens from its own
//! key table; everything it changes is audited (on the platform chain, or the workout's) and
//! announced through its outbox. Routes are mounted by [`configure`], used alike by its binary,
//! `workoutd` and the tests.

pub mod api;
pub mod claims;
pub mod cooperation;
pub mod exposures;
pub mod facilities;
pub mod identity;
pub mod participants;
pub mod schema;
pub mod workouts;

use std::sync::Arc;

use actix_web::web;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use workout_http::auth::TokenVerifier;
use workout_http::registry_client::ServiceCredentials;
use workout_runtime::{IntoTask, Service, ServiceContext};
use workout_store::Pool;
use workout_store::migrate::ServiceMigrations;
use workout_store::scheduler::Scheduler;

pub use api::configure;
use cooperation::watch;
use identity::{auth, keys};

/// The registry's own migrations.
pub const OWN_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/registry");
/// Everything the registry's schema needs.
pub const MIGRATIONS: ServiceMigrations = ServiceMigrations {
    schema: "registry",
    own: Some(&OWN_MIGRATIONS),
};

/// Token lifetimes, issuer, the service secrets' key and the sign-in throttle.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// The `iss` of every token.
    pub issuer: String,
    /// Access token lifetime.
    pub access_token_ttl: chrono::Duration,
    /// Session (refresh) lifetime.
    pub refresh_token_ttl: chrono::Duration,
    /// Service token lifetime.
    pub service_token_ttl: chrono::Duration,
    /// The key service clients' secrets are derived from (see [`auth::service_secret`]).
    pub service_secrets_key: Option<String>,
    /// How failed sign-ins slow further attempts down.
    pub sign_in: identity::throttle::SignInLimits,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self::from_settings(&workout_runtime::Settings::local(""))
    }
}

impl RegistryConfig {
    /// The registry's part of the process's settings.
    pub fn from_settings(settings: &workout_runtime::Settings) -> Self {
        let duration =
            |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        Self {
            issuer: settings.issuer.clone(),
            access_token_ttl: duration(settings.registry.access_token_ttl),
            refresh_token_ttl: duration(settings.registry.refresh_token_ttl),
            service_token_ttl: duration(settings.registry.service_token_ttl),
            service_secrets_key: settings.registry.service_secrets_key.clone(),
            sign_in: identity::throttle::SignInLimits {
                window: settings.registry.sign_in_window,
                per_email: settings.registry.sign_in_failures_per_email,
                per_address: settings.registry.sign_in_failures_per_address,
                first_delay: settings.registry.sign_in_first_delay,
                max_delay: settings.registry.sign_in_max_delay,
                trusted_proxies: settings.trusted_proxies.clone(),
            },
        }
    }
}

/// What the registry's handlers share.
#[derive(Clone)]
pub struct RegistryState {
    /// Pool on schema `registry`.
    pub pool: Pool,
    /// Token settings.
    pub config: Arc<RegistryConfig>,
    /// The verifier of the registry's own endpoints (one per process, shared by all workers).
    pub verifier: web::Data<TokenVerifier>,
}

impl RegistryState {
    /// The registry's state over `pool`; it verifies its own tokens from its own tables.
    pub fn new(pool: Pool, config: RegistryConfig) -> Self {
        let verifier = TokenVerifier::new(
            config.issuer.clone(),
            Arc::new(keys::DbKeySource(pool.clone())),
            Arc::new(auth::DbSessionCheck(pool.clone())),
        )
        .with_refetch_cooldown(std::time::Duration::ZERO);
        Self {
            pool,
            config: Arc::new(config),
            verifier: web::Data::new(verifier),
        }
    }
}

/// Registers the registry's timed jobs (overdue information requests, the borrower's notice
/// contacts when the first notice is due, the audit chains' signed checkpoints) on `scheduler`.
pub fn register_jobs(scheduler: Scheduler) -> Scheduler {
    scheduler
        .register(watch::OVERDUE_JOB, watch::overdue_job)
        .register(
            workouts::audit::CHECKPOINT_JOB,
            workouts::audit::checkpoint_job,
        )
        .register(
            participants::notice_check::NOTICE_CONTACTS_JOB,
            participants::notice_check::notice_contacts_job,
        )
}

/// The registry as a service of a running process: its pool, an active signing key, its own
/// service client (for its relay), its job scheduler and its routes. Migrations are applied
/// beforehand.
pub async fn service(
    ctx: &ServiceContext,
    config: RegistryConfig,
) -> anyhow::Result<(Service, Pool)> {
    let pool = ctx.pool("registry")?;
    keys::ensure_active(&pool).await?;
    auth::prepare_dummy_password_hash()?;
    let key = config.service_secrets_key.as_deref();
    let secret = auth::set_keyed_service_client(&pool, "registry", key).await?;
    let tokens = ctx.tokens(ServiceCredentials {
        client_id: "registry".to_owned(),
        client_secret: secret,
    });
    watch::schedule_open_requests(&pool).await?;
    workouts::audit::schedule_checkpoints(&mut *pool.get().await?).await?;
    let scheduler = register_jobs(ctx.scheduler("registry", pool.clone()));
    let state = RegistryState::new(pool.clone(), config);
    let relay = ctx.relay("registry", pool.clone(), tokens);
    let service = Service {
        name: "registry",
        mount: Arc::new(move |cfg: &mut web::ServiceConfig| configure(cfg, state.clone())),
        tasks: vec![relay.into_task(), scheduler.into_task()],
    };
    Ok((service, pool))
}
