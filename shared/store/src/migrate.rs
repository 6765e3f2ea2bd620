//! Embedded migrations, applied by an explicit step: the store kit's tables and then the service's
//! own, into the service's schema.
//!
//! Rules: diesel takes no lock of its own, so a migration run holds a PostgreSQL advisory lock for
//! its schema: two replicas starting at once migrate one after the other, never together.
//! Versions of the kit and of each service are distinct, so one `__diesel_schema_migrations` table
//! per schema records both.

use anyhow::{Context as _, bail};
use diesel::Connection as _;
use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::pool::is_plain_identifier;

/// The store kit's own tables (outbox, inbox, idempotency keys, audit log).
pub const STORE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/store");

/// A service's migrations: the kit's, then its own.
#[derive(Clone, Copy)]
pub struct ServiceMigrations {
    /// The service's schema, e.g. `registry`.
    pub schema: &'static str,
    /// The service's own migrations (none until it has tables of its own).
    pub own: Option<&'static EmbeddedMigrations>,
}

impl MigrationSource<Pg> for ServiceMigrations {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<Pg>>>> {
        let mut all = MigrationSource::<Pg>::migrations(&STORE_MIGRATIONS)?;
        if let Some(own) = self.own {
            all.extend(MigrationSource::<Pg>::migrations(own)?);
        }
        Ok(all)
    }
}

type Wrapper = AsyncConnectionWrapper<AsyncPgConnection>;

fn lock_key(schema: &str) -> i64 {
    // A stable key per schema: FNV-1a of the name.
    let hash = schema.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

fn with_schema<T>(
    database_url: &str,
    schema: &str,
    work: impl FnOnce(&mut Wrapper) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    use diesel::connection::SimpleConnection as _;
    if !is_plain_identifier(schema) {
        bail!("schema name {schema:?} is not a plain identifier");
    }
    let mut conn = Wrapper::establish(database_url).context("connecting to migrate")?;
    conn.batch_execute(&format!(
        "SELECT pg_advisory_lock({key}); CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}, public;",
        key = lock_key(schema)
    ))
    .context("preparing the schema")?;
    let result = work(&mut conn);
    let _ = conn.batch_execute(&format!("SELECT pg_advisory_unlock({})", lock_key(schema)));
    result
}

/// Applies the pending migrations of `migrations` to `database_url`; returns their versions.
pub async fn run(database_url: &str, migrations: ServiceMigrations) -> anyhow::Result<Vec<String>> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        with_schema(&url, migrations.schema, |conn| {
            let applied = conn
                .run_pending_migrations(migrations)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("migrating schema {}", migrations.schema))?;
            Ok(applied.iter().map(ToString::to_string).collect())
        })
    })
    .await
    .context("the migration task")?
}

/// Reverts every applied migration of `migrations` (used to prove migrations are reversible).
pub async fn revert_all(database_url: &str, migrations: ServiceMigrations) -> anyhow::Result<()> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        with_schema(&url, migrations.schema, |conn| {
            conn.revert_all_migrations(migrations)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("reverting schema {}", migrations.schema))?;
            Ok(())
        })
    })
    .await
    .context("the migration task")?
}
