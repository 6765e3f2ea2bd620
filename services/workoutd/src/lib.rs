//! All five services in one process, on one port, each under its prefix: the default way to run
//! the platform, and what the end-to-end tests start. With `INTERNAL_BIND_ADDR`, the internal
//! surfaces (`/internal` routes, `/metrics`) are served on a second port alone.
//!
//! Rules: local defaults need no configuration (database created and migrated at start, service
//! clients made afresh at every start with secrets that never leave the process); the services are
//! mounted by the same `configure`/`service` functions their own binaries use, and talk to each
//! other over HTTP exactly as they would apart.

use anyhow::Context as _;
use workout_http::registry_client::ServiceCredentials;
use workout_runtime::{self as runtime, Running, Settings};
use workout_store::migrate::ServiceMigrations;
use workout_store::{migrate, pool};

/// Every service's migrations, in the order they are applied.
pub const ALL_MIGRATIONS: [ServiceMigrations; 5] = [
    workout_registry::MIGRATIONS,
    workout_mandates::MIGRATIONS,
    workout_voting::MIGRATIONS,
    workout_minutes::MIGRATIONS,
    workout_notifications::MIGRATIONS,
];

/// Creates the database if missing and applies every service's pending migrations.
pub async fn migrate_all(database_url: &str) -> anyhow::Result<()> {
    pool::ensure_database(database_url).await?;
    for migrations in ALL_MIGRATIONS {
        let applied = migrate::run(database_url, migrations).await?;
        if !applied.is_empty() {
            tracing::info!(schema = migrations.schema, applied = ?applied, "migrations applied");
        }
    }
    Ok(())
}

/// The running platform.
pub struct Platform {
    /// The server and relays.
    pub running: Running,
}

impl Platform {
    /// The base URL, e.g. `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.running.address)
    }

    /// The internal listener's base URL, when `INTERNAL_BIND_ADDR` set one.
    pub fn internal_url(&self) -> Option<String> {
        self.running
            .internal_address
            .map(|address| format!("http://{address}"))
    }
}

/// Starts every service on `settings.bind` (and the internal surfaces on
/// `settings.internal_bind` alone, when set).
pub async fn start(settings: &Settings, handle_signals: bool) -> anyhow::Result<Platform> {
    if settings.migrate_on_start {
        migrate_all(&settings.database_url).await?;
    }
    let listeners = runtime::bind(settings)?;
    let ctx = runtime::context(settings, &listeners)?;
    let config = workout_registry::RegistryConfig::from_settings(settings);
    let (registry, registry_pool) = workout_registry::service(&ctx, config).await?;
    let mut services = vec![registry];
    type Build =
        fn(&runtime::ServiceContext, ServiceCredentials) -> anyhow::Result<runtime::Service>;
    let others: [(&str, Build); 4] = [
        ("mandates", workout_mandates::service),
        ("voting", workout_voting::service),
        ("minutes", workout_minutes::service),
        ("notifications", workout_notifications::service),
    ];
    for (name, build) in others {
        let key = settings.registry.service_secrets_key.as_deref();
        let secret =
            workout_registry::identity::auth::set_keyed_service_client(&registry_pool, name, key)
                .await
                .with_context(|| format!("creating the {name} service client"))?;
        let credentials = ServiceCredentials {
            client_id: name.to_owned(),
            client_secret: secret,
        };
        services.push(build(&ctx, credentials)?);
    }
    let running = runtime::serve(settings, listeners, services, handle_signals)?;
    Ok(Platform { running })
}
