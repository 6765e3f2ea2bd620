//! The store kit's scheduler, on a schema of its own in a real database: each job runs once however
//! many replicas work, jobs that fell due while nothing ran are caught up when a worker starts, a
//! failing job is retried later with backoff and its error kept, and a job's effects commit with
//! its done mark or not at all.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use tokio::sync::{Notify, mpsc, watch};
use workout_domain::{Disclosure, Topic, WorkoutId};
use workout_store::Pool;
use workout_store::audit::Actor;
use workout_store::scheduler::{self, Job, JobFuture, Scheduler, SchedulerConfig};
use workout_store::schema::{audit_log, outbox as outbox_table, scheduled_jobs};
use workout_store::{Chain, record};
use workout_tests::{TestApp, eventually};

/// A job's row as the tests look at it: attempts, last error, next attempt, done.
type Row = (i32, Option<String>, DateTime<Utc>, Option<DateTime<Utc>>);

async fn row(pool: &Pool, kind: &str, key: &str) -> Row {
    let mut conn = pool.get().await.unwrap();
    scheduled_jobs::table
        .filter(scheduled_jobs::kind.eq(kind))
        .filter(scheduled_jobs::key.eq(key))
        .select((
            scheduled_jobs::attempts,
            scheduled_jobs::last_error,
            scheduled_jobs::next_attempt_at,
            scheduled_jobs::done_at,
        ))
        .first(&mut conn)
        .await
        .unwrap()
}

/// Schedules jobs of `kind` in one transaction, as a change would.
async fn schedule(pool: &Pool, kind: &str, jobs: &[(&str, DateTime<Utc>)]) {
    let mut conn = pool.get().await.unwrap();
    conn.transaction::<(), diesel::result::Error, _>(async |conn| {
        for (key, due_at) in jobs {
            scheduler::schedule(conn, kind, key, *due_at, json!({"key": key})).await?;
        }
        Ok(())
    })
    .await
    .unwrap();
}

fn scheduler(pool: Pool) -> Scheduler {
    let mut config = SchedulerConfig::new("jobs");
    config.idle = Duration::from_millis(50);
    Scheduler::new(pool, config)
}

/// Outbox events written by jobs, by job key.
async fn events_by_key(pool: &Pool) -> BTreeMap<String, usize> {
    let mut conn = pool.get().await.unwrap();
    let payloads: Vec<serde_json::Value> = outbox_table::table
        .select(outbox_table::payload)
        .load(&mut conn)
        .await
        .unwrap();
    let mut counts = BTreeMap::new();
    for payload in payloads {
        *counts
            .entry(payload["key"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

/// What the test jobs record.
#[derive(Debug, Clone, Copy)]
enum JobTopic {
    Ran,
    Recorded,
}

impl Topic for JobTopic {
    fn name(self) -> &'static str {
        match self {
            Self::Ran => "jobs.ran",
            Self::Recorded => "jobs.recorded",
        }
    }
}

/// Records the change "job `key` ran" (an audit entry and an outbox event) as the test service.
async fn ran(
    conn: &mut AsyncPgConnection,
    topic: JobTopic,
    chain: Chain,
    key: &str,
) -> anyhow::Result<()> {
    let actor = Actor::service("jobs");
    record(
        conn,
        chain,
        &actor,
        topic,
        Disclosure::Participants,
        None,
        &json!({ "key": key }),
    )
    .await?;
    Ok(())
}

/// A handler that records an outbox event naming its job.
fn record_event<'a>(
    conn: &'a mut AsyncPgConnection,
    job: &'a Job,
    _: DateTime<Utc>,
) -> JobFuture<'a> {
    Box::pin(async move {
        ran(conn, JobTopic::Ran, Chain::Platform, &job.key).await?;
        Ok(())
    })
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

#[tokio::test]
async fn two_replicas_over_one_table_run_each_of_many_jobs_exactly_once() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("jobs_replicas").await;
    let keys: Vec<String> = (0..60).map(|n| format!("job-{n}")).collect();
    let due = now() - chrono::Duration::minutes(1);
    let jobs: Vec<(&str, DateTime<Utc>)> = keys.iter().map(|k| (k.as_str(), due)).collect();
    schedule(&pool, "replicated", &jobs).await;

    let runs: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let replica = || {
        let runs = runs.clone();
        scheduler(app.pool("jobs_replicas")).register("replicated", move |conn, job, _now| {
            let runs = runs.clone();
            Box::pin(async move {
                // Slow enough for the two replicas to work side by side.
                tokio::time::sleep(Duration::from_millis(10)).await;
                ran(conn, JobTopic::Ran, Chain::Platform, &job.key).await?;
                *runs.lock().unwrap().entry(job.key.clone()).or_default() += 1;
                Ok(())
            })
        })
    };
    let (a, b) = (replica(), replica());
    let at = now();
    let (from_a, from_b) = tokio::join!(a.run_due(at), b.run_due(at));
    let (from_a, from_b) = (from_a.unwrap(), from_b.unwrap());

    assert_eq!(from_a + from_b, keys.len(), "every job ran");
    assert!(
        from_a > 0 && from_b > 0,
        "both replicas worked ({from_a} and {from_b})"
    );
    let runs = runs.lock().unwrap().clone();
    let events = events_by_key(&pool).await;
    for key in &keys {
        assert_eq!(runs.get(key), Some(&1), "{key} ran once");
        assert_eq!(events.get(key), Some(&1), "{key} recorded its event once");
        assert!(
            row(&pool, "replicated", key).await.3.is_some(),
            "{key} is done"
        );
    }
    assert_eq!(a.run_due(now()).await.unwrap(), 0, "nothing runs twice");
}

#[tokio::test]
async fn jobs_that_fell_due_while_no_worker_ran_are_run_when_one_starts() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("jobs_catch_up").await;
    let start = now();
    schedule(
        &pool,
        "catch_up",
        &[
            ("an hour ago", start - chrono::Duration::hours(1)),
            ("a day ago", start - chrono::Duration::days(1)),
            ("a second ago", start - chrono::Duration::seconds(1)),
            ("in an hour", start + chrono::Duration::hours(1)),
        ],
    )
    .await;

    let order: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = order.clone();
    let worker = scheduler(pool.clone()).register("catch_up", move |conn, job, now| {
        let seen = seen.clone();
        Box::pin(async move {
            seen.lock().unwrap().push(job.key.clone());
            record_event(conn, job, now).await
        })
    });
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));

    let caught_up = eventually(Duration::from_secs(10), || async {
        (order.lock().unwrap().len() >= 3).then_some(())
    })
    .await;
    assert!(caught_up.is_some(), "the worker runs what fell due");
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the worker stops when told")
        .unwrap();

    assert_eq!(
        *order.lock().unwrap(),
        ["a day ago", "an hour ago", "a second ago"],
        "oldest first"
    );
    assert!(
        row(&pool, "catch_up", "in an hour").await.3.is_none(),
        "a job not yet due waits"
    );
    let events = events_by_key(&pool).await;
    assert_eq!(events.len(), 3);
}

#[tokio::test]
async fn a_stopping_worker_finishes_the_job_in_progress_and_starts_no_other() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("jobs_stop").await;
    let due = now() - chrono::Duration::minutes(1);
    schedule(&pool, "slow", &[("first", due), ("second", due)]).await;

    let (started_tx, mut started) = mpsc::unbounded_channel::<String>();
    let proceed = Arc::new(Notify::new());
    let go = proceed.clone();
    let worker = scheduler(pool.clone()).register("slow", move |conn, job, now| {
        let (started_tx, go) = (started_tx.clone(), go.clone());
        Box::pin(async move {
            started_tx.send(job.key.clone())?;
            go.notified().await;
            record_event(conn, job, now).await
        })
    });
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));

    let first = started.recv().await.unwrap();
    stop.send(true).unwrap();
    proceed.notify_one();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the worker stops after the job in progress")
        .unwrap();

    assert!(
        row(&pool, "slow", &first).await.3.is_some(),
        "the job in progress was finished"
    );
    assert_eq!(events_by_key(&pool).await.get(&first), Some(&1));
    let other = if first == "first" { "second" } else { "first" };
    assert!(
        row(&pool, "slow", other).await.3.is_none(),
        "no other job was started"
    );
    assert!(started.try_recv().is_err());
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_and_its_error_kept_until_it_succeeds() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("jobs_retry").await;
    let t0 = now();
    schedule(
        &pool,
        "flaky",
        &[("ledger", t0 - chrono::Duration::seconds(1))],
    )
    .await;
    let jobs = scheduler(pool.clone()).register("flaky", |conn, job, now| {
        Box::pin(async move {
            if job.attempts < 2 {
                anyhow::bail!("the ledger is closed (attempt {})", job.attempts + 1);
            }
            record_event(conn, job, now).await
        })
    });
    let at = |millis: i64| t0 + chrono::Duration::milliseconds(millis);

    assert_eq!(jobs.run_due(t0).await.unwrap(), 0);
    let (attempts, error, next, done) = row(&pool, "flaky", "ledger").await;
    assert_eq!(attempts, 1);
    assert!(error.unwrap().contains("the ledger is closed (attempt 1)"));
    assert_eq!(next, at(1000), "retried 1 s later");
    assert!(done.is_none());

    assert_eq!(jobs.run_due(at(999)).await.unwrap(), 0);
    assert_eq!(
        row(&pool, "flaky", "ledger").await.0,
        1,
        "not retried early"
    );

    assert_eq!(jobs.run_due(at(1000)).await.unwrap(), 0);
    let (attempts, error, next, _) = row(&pool, "flaky", "ledger").await;
    assert_eq!(attempts, 2);
    assert!(error.unwrap().contains("attempt 2"));
    assert_eq!(next, at(3000), "then 2 s after that");

    assert_eq!(jobs.run_due(at(2999)).await.unwrap(), 0);
    assert_eq!(
        jobs.run_due(at(3000)).await.unwrap(),
        1,
        "the third attempt succeeds"
    );
    assert!(row(&pool, "flaky", "ledger").await.3.is_some());
    assert_eq!(events_by_key(&pool).await.get("ledger"), Some(&1));
    assert_eq!(
        jobs.run_due(at(600_000)).await.unwrap(),
        0,
        "a done job does not run again"
    );
}

#[tokio::test]
async fn a_job_of_an_unknown_kind_is_kept_with_its_error_not_dropped() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("jobs_unknown").await;
    let t0 = now();
    schedule(&pool, "nobody.handles", &[("x", t0)]).await;
    let jobs = scheduler(pool.clone()).register("known", record_event);

    assert_eq!(jobs.run_due(t0).await.unwrap(), 0);
    let (attempts, error, next, done) = row(&pool, "nobody.handles", "x").await;
    assert_eq!(attempts, 1);
    assert!(
        error
            .unwrap()
            .contains("no handler for jobs of kind \"nobody.handles\"")
    );
    assert!(next > t0, "it is tried again later");
    assert!(done.is_none(), "and not marked done");
}

#[tokio::test]
async fn a_jobs_effects_commit_with_its_done_mark_and_a_failed_attempt_leaves_nothing() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("jobs_atomic").await;
    let t0 = now();
    schedule(&pool, "record", &[("decision", t0)]).await;
    let chain = uuid::Uuid::now_v7();
    let jobs = scheduler(pool.clone()).register("record", move |conn, job, _now| {
        Box::pin(async move {
            let chain = Chain::Workout(WorkoutId::from_uuid(chain));
            ran(conn, JobTopic::Recorded, chain, &job.key).await?;
            if job.attempts == 0 {
                // A statement that fails after the writes: the database aborts the transaction.
                diesel::sql_query("SELECT 1 / 0").execute(conn).await?;
            }
            Ok(())
        })
    });
    let counts = async || {
        let mut conn = pool.get().await.unwrap();
        let events: i64 = outbox_table::table
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        let entries: i64 = audit_log::table
            .filter(audit_log::chain_id.eq(chain))
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        (events, entries)
    };

    assert_eq!(jobs.run_due(t0).await.unwrap(), 0);
    assert_eq!(counts().await, (0, 0), "the failed attempt wrote nothing");
    let (attempts, error, _, done) = row(&pool, "record", "decision").await;
    assert_eq!(attempts, 1, "but its failure is recorded");
    assert!(error.unwrap().contains("division by zero"));
    assert!(done.is_none());

    assert_eq!(
        jobs.run_due(t0 + chrono::Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        counts().await,
        (1, 1),
        "the event and the audit entry are there"
    );
    assert!(
        row(&pool, "record", "decision").await.3.is_some(),
        "with the done mark"
    );
}

#[tokio::test]
async fn the_same_job_scheduled_twice_is_one_job_and_a_new_due_time_reschedules_it() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("jobs_schedule").await;
    let t0 = now();
    let jobs = scheduler(pool.clone()).register("remind", record_event);
    schedule(&pool, "remind", &[("mandate-1", t0)]).await;
    schedule(&pool, "remind", &[("mandate-1", t0)]).await;
    assert_eq!(jobs.run_due(t0).await.unwrap(), 1, "one job");

    schedule(&pool, "remind", &[("mandate-1", t0)]).await;
    assert_eq!(
        jobs.run_due(t0).await.unwrap(),
        0,
        "the same job again does not run again"
    );
    let later = t0 + chrono::Duration::days(7);
    schedule(&pool, "remind", &[("mandate-1", later)]).await;
    assert_eq!(
        jobs.run_due(later - chrono::Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        jobs.run_due(later).await.unwrap(),
        1,
        "rescheduled, it runs at its new time"
    );
    assert_eq!(events_by_key(&pool).await.get("mandate-1"), Some(&2));

    schedule(&pool, "remind", &[("mandate-2", later)]).await;
    let mut conn = pool.get().await.unwrap();
    assert!(
        scheduler::cancel(&mut conn, "remind", "mandate-2")
            .await
            .unwrap()
    );
    assert!(
        !scheduler::cancel(&mut conn, "remind", "mandate-2")
            .await
            .unwrap()
    );
    assert!(
        !scheduler::cancel(&mut conn, "remind", "mandate-1")
            .await
            .unwrap(),
        "a job that ran cannot be cancelled"
    );
    assert_eq!(
        jobs.run_due(later).await.unwrap(),
        0,
        "a cancelled job does not run"
    );
}
