//! The cooperation watcher: announces information requests that became overdue and flags the
//! borrower as possibly non-cooperative after two consecutive missed requests (guideline 5.1.2).
//!
//! Rules: time makes a request overdue, so a background pass looks for them every
//! `COOPERATION_WATCH_SECS` (default 300). Each overdue request is announced once
//! (`registry.information_request_overdue`), each workout's borrower flagged once
//! (`registry.borrower_flagged`, with the trail of missed requests); rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, so several replicas never announce the same request twice. Every
//! announcement is audited on the workout's chain, by the system (no user).

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::watch;
use uuid::Uuid;
use workout_domain::RegistryTopic;
use workout_http::ApiError;
use workout_store::audit::Actor;
use workout_store::{Pool, record, transaction};

use crate::exposures::cooperation_view;
use crate::schema::{information_requests, workouts};
use crate::workouts::chain;

/// Flags the workout's borrower if its requests now show two consecutive misses and it is not
/// flagged yet; returns whether it flagged now.
pub async fn flag_if_non_cooperative(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    today: NaiveDate,
) -> Result<bool, ApiError> {
    let (borrower, flagged_at): (Uuid, Option<chrono::DateTime<Utc>>) = workouts::table
        .find(workout)
        .select((workouts::borrower_id, workouts::borrower_flagged_at))
        .for_update()
        .first(conn)
        .await?;
    if flagged_at.is_some() {
        return Ok(false);
    }
    let view = cooperation_view(conn, workout, today).await?;
    if !view.possibly_non_cooperative {
        return Ok(false);
    }
    diesel::update(workouts::table.find(workout))
        .set(workouts::borrower_flagged_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    let trail: Vec<_> = view
        .requests
        .iter()
        .filter(|r| view.trail.contains(&r.id))
        .collect();
    record(
        conn,
        chain(workout),
        &Actor::service("registry"),
        RegistryTopic::BorrowerFlagged,
        None,
        &serde_json::json!({
            "workout_id": workout, "borrower_id": borrower, "consecutive_missed": view.consecutive_missed, "trail": trail,
        }),
    )
    .await?;
    Ok(true)
}

/// The background watcher.
pub struct CooperationWatch {
    pool: Pool,
    interval: Duration,
}

impl CooperationWatch {
    /// A watcher over the registry's pool, passing every `interval`.
    pub fn new(pool: Pool, interval: Duration) -> Self {
        Self { pool, interval }
    }

    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            if let Err(error) = self.pass(Utc::now().date_naive()).await {
                tracing::warn!(error.cause = %error, "cooperation watch pass failed");
            }
            tokio::select! {
                () = tokio::time::sleep(self.interval) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// One pass as of `today`: announces newly overdue requests and flags borrowers; returns how
    /// many requests it announced.
    pub async fn pass(&self, today: NaiveDate) -> Result<usize, ApiError> {
        transaction(&self.pool, async |conn| {
            let overdue: Vec<(Uuid, Uuid, String, NaiveDate, NaiveDate)> = information_requests::table
                .filter(information_requests::answered_on.is_null())
                .filter(information_requests::overdue_announced_at.is_null())
                .filter(information_requests::due_on.lt(today))
                .order(information_requests::due_on.asc())
                .select((
                    information_requests::id,
                    information_requests::workout_id,
                    information_requests::subject,
                    information_requests::sent_on,
                    information_requests::due_on,
                ))
                .limit(200)
                .for_update()
                .skip_locked()
                .load(conn)
                .await?;
            let mut touched = BTreeSet::new();
            for (id, workout, subject, sent_on, due_on) in &overdue {
                diesel::update(information_requests::table.find(id))
                    .set(information_requests::overdue_announced_at.eq(Utc::now()))
                    .execute(conn)
                    .await?;
                record(
                    conn,
                    chain(*workout),
                    &Actor::service("registry"),
                    RegistryTopic::InformationRequestOverdue,
                    None,
                    &serde_json::json!({"id": id, "workout_id": workout, "subject": subject, "sent_on": sent_on, "due_on": due_on}),
                )
                .await?;
                touched.insert(*workout);
            }
            for workout in touched {
                flag_if_non_cooperative(conn, workout, today).await?;
            }
            Ok(overdue.len())
        })
        .await
    }
}
