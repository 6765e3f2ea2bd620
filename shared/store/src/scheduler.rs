//! Timed work of a service: jobs with a due time, kept in the service's own schema
//! (`scheduled_jobs`), written in the transaction of the change that calls for them and run once
//! each by a worker.
//!
//! Rules:
//! - [`schedule`] writes a job inside the caller's transaction, so a change and its future work
//!   commit together or not at all. A job is named by its kind and key: scheduling the same kind,
//!   key, due time and payload again changes nothing; another due time or payload reschedules it
//!   (attempts and error cleared, even if it already ran). [`cancel`] removes a job not yet run.
//! - A [`Scheduler`] claims one due job at a time with `FOR UPDATE SKIP LOCKED` and runs the
//!   handler registered for its kind in that same transaction, where it also marks the job done:
//!   what the handler records (audit entries, outbox events) and the done mark commit together.
//!   The row stays locked until that commit and a done job is never claimed again, so several
//!   replicas never run one job twice. A handler may reschedule its own job (a recurring job):
//!   with another due time it stays pending instead of being marked done.
//! - A handler that fails is rolled back to a savepoint taken before it ran (none of its writes
//!   remain); the failure is stored on the row (`attempts`, `last_error`) and the job is retried
//!   after [`backoff`] (1 s doubling, at most 10 min). A job of a kind without a handler is such a
//!   failure, kept and retried (a newer replica may know the kind), never dropped or marked done.
//! - Time is an argument: [`Scheduler::run_due`] runs what is due as of the instant it is given
//!   (the worker passes the clock, tests a simulated instant). Jobs that fell due while no worker
//!   ran are run as soon as one starts, oldest first.
//! - The worker ([`Scheduler::run`]) stops when its stop signal turns true, after the job in
//!   progress.
//! - Handlers run inside a database transaction holding the job's lock: they change this service's
//!   own data only and tell others through the outbox, never by calling them.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;

use crate::outbox::backoff;
use crate::pool::Pool;
use crate::schema::scheduled_jobs;

/// A job as its handler sees it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = scheduled_jobs)]
pub struct Job {
    /// Job id.
    pub id: Uuid,
    /// What to do; selects the handler.
    pub kind: String,
    /// What it concerns, unique within its kind.
    pub key: String,
    /// When it fell due.
    pub due_at: DateTime<Utc>,
    /// Job data.
    pub payload: Value,
    /// Failed attempts before this one.
    pub attempts: i32,
    /// When it was first scheduled.
    pub created_at: DateTime<Utc>,
}

/// What a handler returns: a future that does the job's work on the connection it was given.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// A job handler: the connection (inside the job's transaction), the job, and "now".
type Handler = Arc<
    dyn for<'a> Fn(&'a mut AsyncPgConnection, &'a Job, DateTime<Utc>) -> JobFuture<'a>
        + Send
        + Sync,
>;

/// Schedules a job inside the caller's transaction; returns its id. The same `kind`, `key`,
/// `due_at` and `payload` again change nothing; another due time or payload reschedules the job.
pub async fn schedule(
    conn: &mut AsyncPgConnection,
    kind: &str,
    key: &str,
    due_at: DateTime<Utc>,
    payload: Value,
) -> QueryResult<Uuid> {
    use crate::schema::scheduled_jobs::dsl as job;
    let upsert = diesel::insert_into(job::scheduled_jobs)
        .values((
            job::id.eq(Uuid::now_v7()),
            job::kind.eq(kind),
            job::key.eq(key),
            job::due_at.eq(due_at),
            job::payload.eq(&payload),
            job::next_attempt_at.eq(due_at),
        ))
        .on_conflict((job::kind, job::key))
        .do_update()
        .set((
            job::due_at.eq(excluded(job::due_at)),
            job::payload.eq(excluded(job::payload)),
            job::next_attempt_at.eq(excluded(job::due_at)),
            job::attempts.eq(0),
            job::last_error.eq(None::<String>),
            job::done_at.eq(None::<DateTime<Utc>>),
        ));
    // Only when something changed: the same job scheduled again stays as it is (even if done).
    diesel::query_dsl::methods::FilterDsl::filter(
        upsert,
        job::due_at
            .is_distinct_from(excluded(job::due_at))
            .or(job::payload.is_distinct_from(excluded(job::payload))),
    )
    .execute(conn)
    .await?;
    job::scheduled_jobs
        .filter(job::kind.eq(kind))
        .filter(job::key.eq(key))
        .select(job::id)
        .first(conn)
        .await
}

/// Cancels the job `kind`/`key` inside the caller's transaction if it has not run; returns whether
/// there was one to cancel.
pub async fn cancel(conn: &mut AsyncPgConnection, kind: &str, key: &str) -> QueryResult<bool> {
    let removed = diesel::delete(
        scheduled_jobs::table
            .filter(scheduled_jobs::kind.eq(kind))
            .filter(scheduled_jobs::key.eq(key))
            .filter(scheduled_jobs::done_at.is_null()),
    )
    .execute(conn)
    .await?;
    Ok(removed > 0)
}

/// Settings of a scheduler.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// The service whose jobs these are (for logs).
    pub service: String,
    /// Wait between looks for due jobs when there is nothing to run.
    pub idle: Duration,
}

impl SchedulerConfig {
    /// The settings of `service`'s scheduler, looking for due jobs every second.
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            idle: Duration::from_secs(1),
        }
    }
}

/// What became of a job that was claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Its handler succeeded; its effects and its done mark are committed.
    Done,
    /// Its handler failed (or there was none); the error is stored and a retry scheduled.
    Failed,
}

/// Runs a service's due jobs with the handlers registered per kind.
pub struct Scheduler {
    pool: Pool,
    config: SchedulerConfig,
    handlers: BTreeMap<String, Handler>,
}

impl Scheduler {
    /// A scheduler over `pool`'s `scheduled_jobs`, with no handlers yet.
    pub fn new(pool: Pool, config: SchedulerConfig) -> Self {
        Self {
            pool,
            config,
            handlers: BTreeMap::new(),
        }
    }

    /// Registers the handler of jobs of `kind` (replacing any earlier one).
    #[must_use]
    pub fn register<F>(mut self, kind: &str, handler: F) -> Self
    where
        F: for<'a> Fn(&'a mut AsyncPgConnection, &'a Job, DateTime<Utc>) -> JobFuture<'a>
            + Send
            + Sync
            + 'static,
    {
        self.handlers.insert(kind.to_owned(), Arc::new(handler));
        self
    }

    /// Runs every job due as of `now`, one transaction each; returns how many were done (failed
    /// attempts are stored on their rows and not counted).
    pub async fn run_due(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let mut done = 0;
        while let Some(outcome) = self.run_next(now).await? {
            if outcome == Outcome::Done {
                done += 1;
            }
        }
        Ok(done)
    }

    /// Claims the oldest job due as of `now` (skipping jobs other workers hold) and runs it; `None`
    /// when no job is due.
    pub async fn run_next(&self, now: DateTime<Utc>) -> anyhow::Result<Option<Outcome>> {
        let mut conn = self.pool.get().await?;
        conn.transaction::<Option<Outcome>, anyhow::Error, _>(async |conn| {
            let job: Option<Job> = scheduled_jobs::table
                .filter(scheduled_jobs::done_at.is_null())
                .filter(scheduled_jobs::next_attempt_at.le(now))
                .order((
                    scheduled_jobs::next_attempt_at.asc(),
                    scheduled_jobs::id.asc(),
                ))
                .select(Job::as_select())
                .limit(1)
                .for_update()
                .skip_locked()
                .first(conn)
                .await
                .optional()?;
            let Some(job) = job else {
                return Ok(None);
            };
            let ran = match self.handlers.get(&job.kind) {
                // A nested transaction: a savepoint, rolled back if the handler fails.
                Some(handler) => {
                    conn.transaction::<(), anyhow::Error, _>(async |conn| {
                        handler(conn, &job, now).await
                    })
                    .await
                }
                None => Err(anyhow::anyhow!(
                    "no handler for jobs of kind {:?} in {}",
                    job.kind,
                    self.config.service
                )),
            };
            match ran {
                Ok(()) => {
                    // A handler that rescheduled its own job (another due time) leaves it pending.
                    diesel::update(scheduled_jobs::table.find(job.id))
                        .filter(scheduled_jobs::due_at.eq(job.due_at))
                        .set(scheduled_jobs::done_at.eq(diesel::dsl::now))
                        .execute(conn)
                        .await?;
                    tracing::debug!(service = %self.config.service, job.id = %job.id, job.kind = %job.kind, job.key = %job.key, "job done");
                    Ok(Some(Outcome::Done))
                }
                Err(error) => {
                    let attempts = job.attempts.saturating_add(1);
                    let next = now
                        + chrono::Duration::from_std(backoff(attempts))
                            .unwrap_or(chrono::Duration::MAX);
                    tracing::warn!(service = %self.config.service, job.id = %job.id, job.kind = %job.kind, job.key = %job.key,
                        attempts, error.cause = format!("{error:#}"), "job failed; will retry");
                    diesel::update(scheduled_jobs::table.find(job.id))
                        .set((
                            scheduled_jobs::attempts.eq(attempts),
                            scheduled_jobs::next_attempt_at.eq(next),
                            scheduled_jobs::last_error.eq(format!("{error:#}")),
                        ))
                        .execute(conn)
                        .await?;
                    Ok(Some(Outcome::Failed))
                }
            }
        })
        .await
    }

    /// Runs due jobs as the clock advances until `stop` turns true; the job in progress is
    /// finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(service = %self.config.service, kinds = ?self.handlers.keys().collect::<Vec<_>>(), "scheduler started");
        while !*stop.borrow() {
            let mut pause = self.config.idle;
            while !*stop.borrow() {
                match self.run_next(Utc::now()).await {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(error) => {
                        tracing::warn!(service = %self.config.service, error.cause = format!("{error:#}"), "scheduler pass failed");
                        pause = pause.max(Duration::from_secs(1));
                        break;
                    }
                }
            }
            if *stop.borrow() {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        tracing::info!(service = %self.config.service, "scheduler stopped");
    }
}
