//! Vote casting over HTTP under load, next to pgbench running the same SQL transaction in the same
//! run. It prints its figures and asserts none (a timing is reported, never asserted), and
//! `cargo test` does not build it (a bench target without `test = true`).
//!
//! `cargo bench -p workout-tests --bench vote_load` (the bench profile: an optimized build).
//!
//! What it does, in order:
//! 1. Starts the whole platform in this process on a fresh database (the test harness, with the
//!    production defaults for the pool, the HTTP workers and the relays' and schedulers' polls)
//!    and seeds a workout with 50 creditor banks, one facility each, a frozen snapshot and one
//!    open ballot (simple majority by value, closing in two hours, not early).
//! 2. The API: 8 clients, each a reqwest client of its own on one keep-alive connection, send
//!    `PUT .../vote` back to back (a closed loop) as the banks, round robin: the n-th vote is bank
//!    `n mod 50`'s, its choice turning `for`, `against`, `abstain` with each round, so that from the
//!    second round on every vote changes one. A warm-up, then the measured window: votes per
//!    second and the client-side latency (p50, p99) of the requests sent and answered in it. Every
//!    answer must be 200; any other is counted and the first is shown.
//! 3. The platform is stopped (its outbox relays with it: during the API run they deliver every
//!    vote's event, which is part of the platform's cost), then pgbench runs `vote_txn.sql`, the
//!    same transaction in SQL, against the same database and ballot with `-c 8 -j 2 -M prepared`
//!    for as long: its tps, average latency, and p50 and p99 from its per-transaction log.
//! 4. The ratio API / pgbench, next to the targets: at least 0.8, and an API p99 under 50 ms.
//!
//! Settings (environment): `VOTE_LOAD_SECONDS` (the measured window, default 15),
//! `VOTE_LOAD_WARMUP_SECONDS` (default 3), `WORKERS` (the HTTP worker threads, as for `workoutd`;
//! default one per core), `PGBENCH` (the pgbench binary; default `pgbench` on
//! the `PATH`, else the newest `/usr/lib/postgresql/*/bin/pgbench`; Debian's `postgresql` package
//! has it). Without pgbench the API's figures are printed alone.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::{TestApp, id_of};

/// Creditor banks voting.
const BANKS: usize = 50;
/// Concurrent clients, one connection each (pgbench's `-c`).
const CONNECTIONS: usize = 8;
/// pgbench's threads (`-j`).
const PGBENCH_THREADS: usize = 2;
/// The vote bodies, by choice; the n-th vote's choice is `BODIES[(n / BANKS) % 3]`.
const BODIES: [&str; 3] = [
    r#"{"choice":"for"}"#,
    r#"{"choice":"against"}"#,
    r#"{"choice":"abstain"}"#,
];
/// The targets, printed next to the figures.
const TARGET_RATIO: f64 = 0.8;
const TARGET_P99_MS: f64 = 50.0;

/// The seeded ballot and the tokens of its voters.
struct Seeded {
    workout: Uuid,
    ballot: Uuid,
    tokens: Vec<String>,
}

/// What one client measured in the window.
#[derive(Default)]
struct ClientRun {
    latencies_us: Vec<u64>,
    errors: usize,
    first_error: Option<String>,
}

/// The API's figures.
struct ApiRun {
    votes: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    errors: usize,
    first_error: Option<String>,
}

/// pgbench's figures.
struct PgbenchRun {
    version: String,
    transactions: u64,
    failed: u64,
    tps: f64,
    average_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let measured = env_seconds("VOTE_LOAD_SECONDS", 15)?;
    let warmup = env_seconds("VOTE_LOAD_WARMUP_SECONDS", 3)?;
    let pgbench = pgbench_binary();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);

    let workers: Option<usize> = match std::env::var("WORKERS") {
        Ok(text) => Some(
            text.trim()
                .parse()
                .context("WORKERS must be a number of threads")?,
        ),
        Err(_) => None,
    };
    let mut app = TestApp::spawn_with(|settings| {
        // `Settings::local` polls every 100 ms so that tests run fast; a deployment polls at the
        // defaults of `Settings::from_env`, and so does this benchmark.
        settings.outbox_poll = Duration::from_millis(500);
        settings.scheduler_poll = Duration::from_millis(1000);
        // Like a deployment's `WORKERS` (without it, as many as the machine has cores).
        settings.workers = workers;
    })
    .await;
    println!("vote_load: seeding {BANKS} creditor banks, a frozen snapshot and an open ballot");
    let seeded = seed(&app).await?;

    println!(
        "vote_load: API, {CONNECTIONS} connections, {}s warm-up then {}s measured",
        warmup.as_secs(),
        measured.as_secs()
    );
    let api = cast_votes(&app.url, &seeded, warmup, measured).await?;
    let (events, delivered) = outbox_counts(&app).await?;
    app.stop().await;

    let baseline = match &pgbench {
        Some(binary) => {
            println!(
                "vote_load: pgbench ({}), -c {CONNECTIONS} -j {PGBENCH_THREADS} -T {}",
                binary.display(),
                measured.as_secs()
            );
            let binary = binary.clone();
            let url = app.database_url.clone();
            let (workout, ballot) = (seeded.workout, seeded.ballot);
            Some(
                tokio::task::spawn_blocking(move || {
                    run_pgbench(&binary, &url, workout, ballot, measured)
                })
                .await??,
            )
        }
        None => None,
    };

    println!();
    println!(
        "vote_load: {BANKS} banks, {CONNECTIONS} connections, {}s measured after {}s warm-up, {cores} cores",
        measured.as_secs(),
        warmup.as_secs()
    );
    println!(
        "  API      {:>8.1} votes/s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms   ({} votes, {} errors)",
        api.per_second, api.p50_ms, api.p99_ms, api.max_ms, api.votes, api.errors
    );
    if let Some(error) = &api.first_error {
        println!("           first error: {error}");
    }
    println!(
        "           the voting outbox held {events} events by the end, {delivered} of them delivered by its relay"
    );
    match &baseline {
        Some(pg) => {
            println!(
                "  pgbench  {:>8.1} tps       p50 {:>6.2} ms   p99 {:>6.2} ms   avg {:>7.2} ms   ({} transactions, {} failed; {})",
                pg.tps, pg.p50_ms, pg.p99_ms, pg.average_ms, pg.transactions, pg.failed, pg.version
            );
            let ratio = api.per_second / pg.tps;
            println!(
                "  API / pgbench = {ratio:.2} (target at least {TARGET_RATIO}: {})",
                verdict(ratio >= TARGET_RATIO)
            );
        }
        None => println!(
            "  pgbench  not found (set PGBENCH, or install PostgreSQL's server package): no baseline"
        ),
    }
    println!(
        "  API p99 = {:.2} ms (target under {TARGET_P99_MS} ms: {})",
        api.p99_ms,
        verdict(api.p99_ms < TARGET_P99_MS)
    );
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// A whole number of seconds from the environment variable `name`, or `default`.
fn env_seconds(name: &str, default: u64) -> anyhow::Result<Duration> {
    match std::env::var(name) {
        Ok(text) => {
            let seconds: u64 = text
                .trim()
                .parse()
                .with_context(|| format!("{name} must be a whole number of seconds"))?;
            ensure!(seconds > 0, "{name} must be at least 1");
            Ok(Duration::from_secs(seconds))
        }
        Err(_) => Ok(Duration::from_secs(default)),
    }
}

/// One unsecured term loan of `amount` SAR.
fn facility(reference: &str, amount: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR", "committed": amount,
        "outstanding_principal": amount, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": false, "class": "unsecured", "related_party": false,
        "collateral": [], "guarantees": []
    })
}

/// A workout with [`BANKS`] creditor banks (one facility each), a frozen snapshot of today and
/// one open ballot on it.
async fn seed(app: &TestApp) -> anyhow::Result<Seeded> {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-LOAD", "borrower_id": borrower, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    ensure!(
        opened.status == 201,
        "opening the workout: {}",
        opened.json()
    );
    let workout = id_of(&opened.json());
    let mut tokens = Vec::with_capacity(BANKS);
    for n in 0..BANKS {
        let bank = app.bank_admin(&format!("Creditor Bank {n}")).await;
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": bank.institution_id, "role": "creditor",
                        "contacts": [{"name": "Desk", "email": format!("desk{n}@member.test"), "language": "en"}]}),
            )
            .await;
        ensure!(added.status == 201, "adding bank {n}: {}", added.json());
        let amount = (100_000 + n * 1_000).to_string();
        let created = app
            .create_facility(&bank, workout, &facility(&format!("F-{n}"), &amount))
            .await;
        ensure!(
            created.status == 201,
            "bank {n}'s facility: {}",
            created.json()
        );
        tokens.push(bank.token);
    }
    let today = Utc::now().date_naive().to_string();
    let frozen = app.freeze_snapshot(&coordinator, workout, &today).await;
    ensure!(
        frozen.status == 201,
        "freezing the snapshot: {}",
        frozen.json()
    );
    let ballot = app
        .post(
            &format!("/voting/v1/workouts/{workout}/ballots"),
            &coordinator,
            &json!({
                "subject_kind": "waiver", "subject_ref": "W-1",
                "content_hash": "a".repeat(64), "title": "Waive the information covenant",
                "rule": {"preset": "simple_majority_by_value"}, "snapshot_id": id_of(&frozen.json()),
                "closes_at": (Utc::now() + chrono::Duration::hours(2)).to_rfc3339(),
            }),
        )
        .await;
    ensure!(
        ballot.status == 201,
        "opening the ballot: {}",
        ballot.json()
    );
    Ok(Seeded {
        workout,
        ballot: id_of(&ballot.json()),
        tokens,
    })
}

/// [`CONNECTIONS`] clients voting back to back for `warmup` and then `measured`; the figures of
/// the requests sent and answered within the measured window.
async fn cast_votes(
    url: &str,
    seeded: &Seeded,
    warmup: Duration,
    measured: Duration,
) -> anyhow::Result<ApiRun> {
    let path: Arc<str> = format!(
        "{url}/voting/v1/workouts/{}/ballots/{}/vote",
        seeded.workout, seeded.ballot
    )
    .into();
    let tokens: Arc<[String]> = seeded.tokens.clone().into();
    let next = Arc::new(AtomicUsize::new(0));
    let window_start = Instant::now() + warmup;
    let window_end = window_start + measured;
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        // One keep-alive connection per client: its requests follow one another.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .context("an HTTP client")?;
        let (path, tokens, next) = (path.clone(), tokens.clone(), next.clone());
        clients.spawn(async move {
            let mut run = ClientRun::default();
            loop {
                let sent = Instant::now();
                if sent >= window_end {
                    return run;
                }
                let n = next.fetch_add(1, Ordering::Relaxed);
                let answer = client
                    .put(&*path)
                    .bearer_auth(&tokens[n % BANKS])
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(BODIES[(n / BANKS) % BODIES.len()])
                    .send()
                    .await;
                let outcome = match answer {
                    Ok(response) => {
                        let status = response.status();
                        match response.bytes().await {
                            Ok(_) if status == 200 => Ok(()),
                            Ok(body) => {
                                Err(format!("{status}: {}", String::from_utf8_lossy(&body)))
                            }
                            Err(error) => Err(format!("{status}, reading the body: {error}")),
                        }
                    }
                    Err(error) => Err(error.to_string()),
                };
                let answered = Instant::now();
                if sent < window_start || answered > window_end {
                    continue;
                }
                match outcome {
                    Ok(()) => run
                        .latencies_us
                        .push(u64::try_from((answered - sent).as_micros()).unwrap_or(u64::MAX)),
                    Err(error) => {
                        run.errors += 1;
                        run.first_error.get_or_insert(error);
                    }
                }
            }
        });
    }
    let mut latencies = Vec::new();
    let (mut errors, mut first_error) = (0, None);
    while let Some(run) = clients.join_next().await {
        let run = run.context("a client task")?;
        latencies.extend(run.latencies_us);
        errors += run.errors;
        first_error = first_error.or(run.first_error);
    }
    latencies.sort_unstable();
    Ok(ApiRun {
        votes: latencies.len(),
        per_second: latencies.len() as f64 / measured.as_secs_f64(),
        p50_ms: percentile_ms(&latencies, 50.0),
        p99_ms: percentile_ms(&latencies, 99.0),
        max_ms: latencies.last().map_or(f64::NAN, |us| *us as f64 / 1000.0),
        errors,
        first_error,
    })
}

/// The `p`-th percentile (nearest rank) of `sorted` microseconds, in milliseconds.
fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// The voting service's outbox: events written, and of those delivered by its relay.
async fn outbox_counts(app: &TestApp) -> anyhow::Result<(i64, i64)> {
    use workout_store::schema::outbox;
    let pool = app.pool("voting");
    let mut conn = pool.get().await.context("a voting connection")?;
    let events: i64 = outbox::table.count().get_result(&mut conn).await?;
    let delivered: i64 = outbox::table
        .filter(outbox::delivered_at.is_not_null())
        .count()
        .get_result(&mut conn)
        .await?;
    Ok((events, delivered))
}

/// `PGBENCH`, else `pgbench` on the `PATH`, else the newest `/usr/lib/postgresql/*/bin/pgbench`.
fn pgbench_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PGBENCH") {
        return Some(path.into());
    }
    let runs = |binary: &Path| {
        Command::new(binary)
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if runs(Path::new("pgbench")) {
        return Some("pgbench".into());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|version| version.path().join("bin/pgbench"))
        .filter(|binary| runs(binary))
        .collect();
    found.sort_by_key(|binary| {
        binary
            .components()
            .nth(4)
            .and_then(|version| version.as_os_str().to_str()?.parse::<f64>().ok())
            .map_or(0, |version| (version * 100.0) as u64)
    });
    found.pop()
}

/// pgbench on `vote_txn.sql` for `duration`, with a per-transaction log for the percentiles.
fn run_pgbench(
    binary: &Path,
    database_url: &str,
    workout: Uuid,
    ballot: Uuid,
    duration: Duration,
) -> anyhow::Result<PgbenchRun> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/vote_txn.sql");
    let logs = std::env::temp_dir().join(format!("vote_load_{}", std::process::id()));
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let output = Command::new(binary)
        .args(["--no-vacuum", "--protocol=prepared", "--log"])
        .arg(format!("--client={CONNECTIONS}"))
        .arg(format!("--jobs={PGBENCH_THREADS}"))
        .arg(format!("--time={}", duration.as_secs()))
        .arg(format!("--file={}", script.display()))
        .arg(format!("--define=ballot={ballot}"))
        .arg(format!("--define=workout={workout}"))
        .arg(format!("--log-prefix={}", logs.join("txn").display()))
        .arg(database_url)
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let field = |prefix: &str| -> anyhow::Result<f64> {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .with_context(|| format!("no {prefix:?} in pgbench's output:\n{stdout}"))
    };
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(&logs)? {
        let text = std::fs::read_to_string(entry?.path())?;
        // `client_id transaction_no time script_no time_epoch time_us`: `time` is the
        // transaction's latency in microseconds (a word for a failed one).
        latencies.extend(
            text.lines()
                .filter_map(|line| line.split_whitespace().nth(2)?.parse::<u64>().ok()),
        );
    }
    std::fs::remove_dir_all(&logs)?;
    latencies.sort_unstable();
    Ok(PgbenchRun {
        version: stdout.lines().next().unwrap_or("pgbench").trim().to_owned(),
        transactions: field("number of transactions actually processed: ")? as u64,
        failed: field("number of failed transactions: ").unwrap_or(0.0) as u64,
        tps: field("tps = ")?,
        average_ms: field("latency average = ")?,
        p50_ms: percentile_ms(&latencies, 50.0),
        p99_ms: percentile_ms(&latencies, 99.0),
    })
}
