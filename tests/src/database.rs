//! Test databases: each test gets its own database, copied from a template that already holds
//! every migration, instead of migrating a new database every time.
//!
//! Rules:
//! - The template is named after a hash of the migration folders' contents (every service's and the
//!   store kit's): `wt_template_<hash>`. A name that exists is complete, so it is reused as it is;
//!   a changed migration gives a new name, hence a new template.
//! - It is built under a PostgreSQL advisory lock (one per hash), so test binaries running in
//!   parallel processes build it once: it is migrated under a test database's name and renamed when
//!   done, so a crashed build leaves only a `wt_test_` leftover, never a half-built template.
//! - Nobody stays connected to a template: it refuses connections (`ALLOW_CONNECTIONS false`), as
//!   PostgreSQL copies a template only while no one is connected to it.
//! - Every process that uses a template holds a shared advisory lock on it for as long as it runs,
//!   on a connection to the `postgres` database. The sweeper drops a template of another hash only
//!   when it can take that lock exclusively, i.e. when no running process uses it.
//! - The sweeper also drops `wt_test_<time>_<random>` databases older than two hours (leftovers of
//!   crashed runs). It runs once per process.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use uuid::Uuid;

/// Leftover test databases older than this many seconds are dropped.
const LEFTOVER_AGE_SECS: u64 = 2 * 3600;

/// The PostgreSQL server tests use: `TEST_DATABASE_SERVER`, default `postgres://localhost:5432`.
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://localhost:5432".to_owned())
}

fn maintenance_url() -> String {
    format!("{}/postgres", server_url())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A fresh, unique test database name, `wt_test_<time>_<random>`; the time is for the sweeper.
pub fn fresh_database_name() -> String {
    let suffix = Uuid::new_v4().simple().to_string();
    format!("wt_test_{}_{}", now_secs(), &suffix[..12])
}

/// The URL of a fresh, uniquely named database that does not exist yet (an empty one is created by
/// whoever migrates it, e.g. `workoutd::migrate_all`).
pub fn fresh_database_url() -> String {
    format!("{}/{}", server_url(), fresh_database_name())
}

/// Creates a fresh test database from the migrated template; returns its URL.
pub async fn migrated_database_url() -> anyhow::Result<String> {
    let template = tokio::task::spawn_blocking(template)
        .await
        .context("the template task")?
        .map_err(|e| anyhow::anyhow!("preparing the template database: {e}"))?;
    let name = fresh_database_name();
    let mut conn = AsyncPgConnection::establish(&maintenance_url())
        .await
        .context("connecting to the PostgreSQL server")?;
    conn.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .await
        .with_context(|| format!("creating {name} from {template}"))?;
    Ok(format!("{}/{name}", server_url()))
}

/// The name of this run's template database, prepared once per process; the thread that prepared
/// it keeps the connection that holds the "in use" lock for as long as the process runs.
fn template() -> Result<String, String> {
    static TEMPLATE: OnceLock<Result<String, String>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let (sender, receiver) = std::sync::mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name("wt-template".to_owned())
                .spawn(move || {
                    let runtime = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => runtime,
                        Err(e) => {
                            let _ = sender.send(Err(e.to_string()));
                            return;
                        }
                    };
                    runtime.block_on(async move {
                        match prepare().await {
                            Ok((name, holder)) => {
                                let _ = sender.send(Ok(name));
                                // Keep the lock's connection open until the process ends.
                                let _holder = holder;
                                std::future::pending::<()>().await;
                            }
                            Err(e) => {
                                let _ = sender.send(Err(format!("{e:#}")));
                            }
                        }
                    });
                });
            if let Err(e) = spawned {
                return Err(e.to_string());
            }
            receiver
                .recv()
                .map_err(|_| "the template thread ended without an answer".to_owned())?
        })
        .clone()
}

/// Takes the "in use" lock, sweeps, builds the template if missing; returns its name and the
/// connection that holds the lock.
async fn prepare() -> anyhow::Result<(String, AsyncPgConnection)> {
    let hash = migrations_hash()?;
    let name = template_name(&hash);
    let mut conn = AsyncPgConnection::establish(&maintenance_url())
        .await
        .context("connecting to the PostgreSQL server")?;
    conn.batch_execute(&format!(
        "SELECT pg_advisory_lock_shared({})",
        template_in_use_lock(&hash)
    ))
    .await?;
    sweep_with(&mut conn, &hash).await;
    conn.batch_execute(&format!(
        "SELECT pg_advisory_lock({})",
        lock_key("build", &hash)
    ))
    .await?;
    let built = build_if_missing(&mut conn, &name).await;
    conn.batch_execute(&format!(
        "SELECT pg_advisory_unlock({})",
        lock_key("build", &hash)
    ))
    .await?;
    built?;
    Ok((name, conn))
}

fn template_name(hash: &str) -> String {
    format!("wt_template_{hash}")
}

/// The advisory lock (on the `postgres` database) that a process holds shared while it uses the
/// template of `hash`; the sweeper drops that template only if it can take this lock exclusively.
pub fn template_in_use_lock(hash: &str) -> i64 {
    lock_key("use", hash)
}

/// A stable advisory lock key for `kind` (`build` or `use`) of the template of `hash`.
fn lock_key(kind: &str, hash: &str) -> i64 {
    let text = format!("wt_template:{kind}:{hash}");
    let folded = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    i64::from_ne_bytes(folded.to_ne_bytes())
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
}

#[derive(diesel::QueryableByName)]
struct Flag {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    flag: bool,
}

async fn exists(conn: &mut AsyncPgConnection, name: &str) -> anyhow::Result<bool> {
    let found: Vec<Name> =
        diesel::sql_query("SELECT datname::text FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(name)
            .load(conn)
            .await
            .context("looking for the template")?;
    Ok(!found.is_empty())
}

/// Migrates a new database under a test name and renames it to `name`, unless `name` exists.
async fn build_if_missing(conn: &mut AsyncPgConnection, name: &str) -> anyhow::Result<()> {
    if exists(conn, name).await? {
        return Ok(());
    }
    let build = fresh_database_name();
    let build_url = format!("{}/{build}", server_url());
    let result = async {
        workoutd::migrate_all(&build_url)
            .await
            .context("migrating the template")?;
        conn.batch_execute(&format!("ALTER DATABASE {build} RENAME TO {name}"))
            .await
            .context("renaming the migrated database")?;
        conn.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
            .await
            .context("closing the template to connections")
    }
    .await;
    if result.is_err() {
        let _ = conn
            .batch_execute(&format!("DROP DATABASE IF EXISTS {build} WITH (FORCE)"))
            .await;
    }
    result
}

/// Sweeps now (tests of the sweeper; the harness sweeps once per process by itself): see
/// [`sweep_with`].
pub async fn sweep() -> anyhow::Result<()> {
    let hash = migrations_hash()?;
    let mut conn = AsyncPgConnection::establish(&maintenance_url())
        .await
        .context("connecting to the PostgreSQL server")?;
    sweep_with(&mut conn, &hash).await;
    Ok(())
}

/// Drops leftover test databases older than two hours, and templates of hashes other than
/// `current_hash` that no running process uses. Best effort: a failure leaves them for the next
/// sweep.
async fn sweep_with(conn: &mut AsyncPgConnection, current_hash: &str) {
    let names: Vec<Name> = diesel::sql_query(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'wt\\_test\\_%' OR datname LIKE 'wt\\_template\\_%'",
    )
    .load(conn)
    .await
    .unwrap_or_default();
    let now = now_secs();
    for Name { datname } in names {
        if let Some(hash) = datname.strip_prefix("wt_template_") {
            if hash != current_hash {
                drop_unused_template(conn, &datname, hash).await;
            }
            continue;
        }
        let created: u64 = datname
            .split('_')
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(now);
        if now.saturating_sub(created) > LEFTOVER_AGE_SECS {
            let _ = conn
                .batch_execute(&format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)"))
                .await;
        }
    }
}

async fn drop_unused_template(conn: &mut AsyncPgConnection, name: &str, hash: &str) {
    if !workout_store::pool::is_plain_identifier(name) {
        return;
    }
    let key = template_in_use_lock(hash);
    let taken = diesel::sql_query(format!("SELECT pg_try_advisory_lock({key}) AS flag"))
        .get_result::<Flag>(conn)
        .await
        .is_ok_and(|f| f.flag);
    if taken {
        let _ = conn
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await;
        let _ = conn
            .batch_execute(&format!("SELECT pg_advisory_unlock({key})"))
            .await;
    }
}

/// SHA-256 (first 16 hex digits) of every file under the workspace's `migrations/` folder (each
/// service's and the store kit's), by relative path and content, in path order.
pub fn migrations_hash() -> anyhow::Result<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut files = Vec::new();
    collect(&root, &mut files)?;
    if files.is_empty() {
        bail!("no migrations under {}", root.display());
    }
    files.sort();
    let mut digest = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for file in files {
        let relative = file.strip_prefix(&root).unwrap_or(&file);
        let content =
            std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        digest.update(relative.to_string_lossy().as_bytes());
        digest.update(&[0]);
        digest.update(&(content.len() as u64).to_le_bytes());
        digest.update(&content);
    }
    Ok(hex_prefix(digest.finish().as_ref()))
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
