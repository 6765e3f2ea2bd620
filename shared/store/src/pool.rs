//! Database pools and readiness: one pool per service, whose connections see the service's own
//! schema first on the `search_path`, and a database created when missing (local mode).
//!
//! Rules: schema and database names are plain identifiers (checked, never quoted from input);
//! an exhausted or unreachable pool is a 503, never a hang (the pool waits at most 5 s).

use std::time::Duration;

use actix_web::{HttpResponse, web};
use anyhow::{Context as _, bail};
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::Pool as DeadPool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::FutureExt;
use workout_http::ApiError;
use workout_http::ops::Health;

/// A pool of connections to one service's schema.
pub type Pool = DeadPool<AsyncPgConnection>;

/// Whether `name` is a safe SQL identifier: lowercase ASCII letters, digits and `_`, not starting
/// with a digit, at most 63 bytes.
pub fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

/// A pool of at most `size` connections to `database_url` whose `search_path` is `schema, public`.
pub fn connect(database_url: &str, schema: &str, size: usize) -> anyhow::Result<Pool> {
    if !is_plain_identifier(schema) {
        bail!("schema name {schema:?} is not a plain identifier");
    }
    let set_path = format!("SET search_path TO {schema}, public");
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    config.custom_setup = Box::new(move |url| {
        let set_path = set_path.clone();
        let url = url.to_owned();
        async move {
            let mut conn = AsyncPgConnection::establish(&url).await?;
            conn.batch_execute(&set_path)
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(database_url, config);
    DeadPool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("building the database pool")
}

/// The database name in a `postgres://` URL, and the URL of the server's `postgres` database.
fn split_database(database_url: &str) -> anyhow::Result<(String, String)> {
    let mut url = url::Url::parse(database_url).context("DATABASE_URL is not a URL")?;
    let name = url.path().trim_start_matches('/').to_owned();
    if !is_plain_identifier(&name) {
        bail!("database name {name:?} must be lowercase letters, digits and underscores");
    }
    url.set_path("/postgres");
    Ok((name, url.to_string()))
}

/// Creates the database named in `database_url` if it does not exist.
pub async fn ensure_database(database_url: &str) -> anyhow::Result<()> {
    let (name, maintenance_url) = split_database(database_url)?;
    let mut conn = AsyncPgConnection::establish(&maintenance_url)
        .await
        .with_context(|| format!("connecting to the PostgreSQL server of {name}"))?;
    // Two processes starting together must not both try to create it: serialize on a lock of the
    // server's maintenance database.
    conn.batch_execute("SELECT pg_advisory_lock(7707001)")
        .await?;
    let created = create_if_missing(&mut conn, &name).await;
    conn.batch_execute("SELECT pg_advisory_unlock(7707001)")
        .await?;
    created
}

async fn create_if_missing(conn: &mut AsyncPgConnection, name: &str) -> anyhow::Result<()> {
    let exists: i64 = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Count>(conn)
        .await
        .context("looking for the database")?
        .n;
    if exists == 0 {
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .context("creating the database")?;
        tracing::info!(database = %name, "database created");
    }
    Ok(())
}

/// Drops the database named in `database_url` (tests and tooling), closing its connections.
pub async fn drop_database(database_url: &str) -> anyhow::Result<()> {
    let (name, maintenance_url) = split_database(database_url)?;
    let mut conn = AsyncPgConnection::establish(&maintenance_url).await?;
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .context("dropping the database")
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `GET /<service>/readyz`: the service can reach its database.
pub async fn readyz(pool: web::Data<Pool>) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    conn.batch_execute("SELECT 1")
        .await
        .map_err(|_| ApiError::Unavailable("the database does not answer".to_owned()))?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
