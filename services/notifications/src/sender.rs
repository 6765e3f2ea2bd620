//! The sender: a background worker that sends the pending `deliveries`, one at a time.
//!
//! Rules: a delivery is claimed with `FOR UPDATE SKIP LOCKED` and its row stays locked while its
//! e-mail is sent and its outcome written, in one transaction; so several replicas send in
//! parallel and never the same message at once, and a sender that dies mid-way leaves the row
//! pending, to be sent again with the same `Message-ID` (at least once, recognisably the same).
//! An accepted message is `sent` with its time; a temporary failure (an SMTP 4xx, a refused or
//! broken connection, a file not written) counts an attempt, keeps the error and waits the store
//! kit's [`backoff`]; a permanent one (an SMTP 5xx, an address that does not parse) is `failed`,
//! with its error, and never retried; so is one still failing after [`MAX_ATTEMPTS`] tries (about
//! three and a half hours). A formal notice's delivery that fails for good is reported to the
//! coordinator. No e-mail is sent inside an HTTP request. Each pass first expands the letters due
//! ([`Expander`]), so recipients are resolved when their e-mails are about to go.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, RunQueryDsl};
use lettre::message::Mailbox;
use tokio::sync::watch;
use uuid::Uuid;
use workout_runtime::{BackgroundTask, IntoTask};
use workout_store::Pool;
use workout_store::outbox::backoff;

use anyhow::Context as _;
use workout_domain::ParticipantRole;

use crate::acknowledgements;
use crate::expander::Expander;
use crate::letters::{self as letters_mod, NewLetter};
use crate::mail::Mailer;
use crate::message::{self, Letter};
use crate::schema::{deliveries, letters};

/// Temporary failures after which a delivery is given up (`failed`).
pub const MAX_ATTEMPTS: i32 = 30;

/// A pending delivery, as the sender reads it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
struct Pending {
    id: Uuid,
    letter_id: Uuid,
    topic: String,
    workout_id: Uuid,
    recipient_email: String,
    recipient_name: String,
    language: String,
    attempts: i32,
    message_id: String,
    formal: bool,
    from_name: Option<String>,
    acknowledges: Option<Uuid>,
}

/// What became of one claimed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server accepted the message.
    Sent,
    /// A temporary failure: tried again after the backoff.
    Retried,
    /// A permanent failure: never tried again.
    Failed,
}

/// Sends pending deliveries through a [`Mailer`].
#[derive(Clone)]
pub struct Sender {
    pool: Pool,
    mailer: Mailer,
    from: Mailbox,
    public_url: String,
    idle: Duration,
    expander: Expander,
}

/// Whether a failure to send will not pass if tried again: the SMTP server refused for good (5xx).
fn is_permanent(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<lettre::transport::smtp::Error>()
        .is_some_and(lettre::transport::smtp::Error::is_permanent)
}

impl Sender {
    /// A sender working `pool`'s deliveries through `mailer`, from `from` (an address such as
    /// `Name <notices@bank.example>`), its acknowledgement links under `public_url` (the
    /// platform's address as recipients reach it), expanding letters with `expander` and looking
    /// again every `idle` when nothing is due.
    pub fn new(
        pool: Pool,
        mailer: Mailer,
        from: &str,
        public_url: &str,
        idle: Duration,
        expander: Expander,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            pool,
            mailer,
            from: from.parse().context("MAIL_FROM is not a valid address")?,
            public_url: public_url.trim_end_matches('/').to_owned(),
            idle,
            expander,
        })
    }

    /// Claims the oldest due pending delivery (skipping those other senders hold), sends it and
    /// records the outcome; `None` when nothing is due.
    pub async fn send_next(&self) -> anyhow::Result<Option<Outcome>> {
        let mut conn = self.pool.get().await?;
        conn.transaction::<Option<Outcome>, anyhow::Error, _>(async |conn| {
            let pending: Option<Pending> = deliveries::table
                .filter(deliveries::status.eq("pending"))
                .filter(deliveries::next_attempt_at.le(diesel::dsl::now))
                .order((deliveries::next_attempt_at.asc(), deliveries::id.asc()))
                .select(Pending::as_select())
                .limit(1)
                .for_update()
                .skip_locked()
                .first(conn)
                .await
                .optional()?;
            let Some(pending) = pending else {
                return Ok(None);
            };
            let content: serde_json::Value = letters::table
                .find(pending.letter_id)
                .select(letters::content)
                .first(conn)
                .await?;
            let ack_url = match pending.acknowledges {
                Some(delivery) => {
                    let token = acknowledgements::token(&acknowledgements::key(conn).await?, delivery);
                    Some(format!(
                        "{}/notifications/v1/acknowledgements/{delivery}?token={token}",
                        self.public_url
                    ))
                }
                None => None,
            };
            let letter = Letter {
                kind: &pending.topic,
                workout_id: pending.workout_id,
                email: &pending.recipient_email,
                name: &pending.recipient_name,
                language: &pending.language,
                message_id: &pending.message_id,
                content: &content,
                from_name: pending.from_name.as_deref(),
                ack_url: ack_url.as_deref(),
            };
            let invitation = content["ics"]
                .as_str()
                .map(|ics| (ics, content["ics_content_type"].as_str().unwrap_or("text/calendar")));
            // An e-mail that cannot be built (an address that does not parse) never will be.
            let sent = match message::compose(&letter, &self.from, invitation) {
                Ok(email) => self.mailer.send(email).await.map_err(|error| {
                    let permanent = is_permanent(&error);
                    (error, permanent)
                }),
                Err(error) => Err((error, true)),
            };
            let attempts = pending.attempts.saturating_add(1);
            let sent = sent.map_err(|(error, permanent)| (error, permanent || attempts >= MAX_ATTEMPTS));
            let row = diesel::update(deliveries::table.find(pending.id));
            let outcome = match sent {
                Ok(()) => {
                    row.set((
                        deliveries::status.eq("sent"),
                        deliveries::attempts.eq(attempts),
                        deliveries::sent_at.eq(Some(Utc::now())),
                        deliveries::last_error.eq(None::<String>),
                    ))
                    .execute(conn)
                    .await?;
                    tracing::info!(delivery.id = %pending.id, delivery.topic = %pending.topic, "e-mail sent");
                    Outcome::Sent
                }
                Err((error, true)) => {
                    row.set((
                        deliveries::status.eq("failed"),
                        deliveries::attempts.eq(attempts),
                        deliveries::last_error.eq(Some(format!("{error:#}"))),
                    ))
                    .execute(conn)
                    .await?;
                    tracing::warn!(delivery.id = %pending.id, error.cause = format!("{error:#}"), "e-mail refused for good");
                    if pending.formal {
                        letters_mod::write(
                            conn,
                            &NewLetter::to_roles(
                                pending.workout_id,
                                "notice_undeliverable",
                                &[ParticipantRole::Coordinator],
                                serde_json::json!({
                                    "notice": pending.topic,
                                    "letter_id": pending.letter_id,
                                    "recipient": { "name": pending.recipient_name, "email": pending.recipient_email },
                                }),
                            ),
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    }
                    Outcome::Failed
                }
                Err((error, false)) => {
                    let wait = chrono::Duration::from_std(backoff(attempts))?;
                    let next: DateTime<Utc> = Utc::now() + wait;
                    row.set((
                        deliveries::attempts.eq(attempts),
                        deliveries::next_attempt_at.eq(next),
                        deliveries::last_error.eq(Some(format!("{error:#}"))),
                    ))
                    .execute(conn)
                    .await?;
                    tracing::warn!(delivery.id = %pending.id, delivery.attempts = attempts, error.cause = format!("{error:#}"), "e-mail not sent; will retry");
                    Outcome::Retried
                }
            };
            Ok(Some(outcome))
        })
        .await
    }

    /// Sends what is due until `stop` turns true; the delivery in progress is finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(mailer = ?self.mailer, "notification sender started");
        while !*stop.borrow() {
            let mut pause = self.idle;
            while !*stop.borrow() {
                match self.expander.expand_next().await {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(error) => {
                        tracing::warn!(
                            error.cause = format!("{error:#}"),
                            "letter expansion failed"
                        );
                        pause = pause.max(Duration::from_secs(1));
                    }
                }
                match self.send_next().await {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(error) => {
                        tracing::warn!(
                            error.cause = format!("{error:#}"),
                            "notification sender pass failed"
                        );
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
        tracing::info!("notification sender stopped");
    }
}

impl IntoTask for Sender {
    fn into_task(self) -> BackgroundTask {
        Box::new(|stop| Box::pin(self.run(stop)))
    }
}
