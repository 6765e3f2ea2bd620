//! The expander: turns each letter into one delivery per recipient, when it is about to be sent.
//!
//! Rules: a letter not yet expanded is claimed with `FOR UPDATE SKIP LOCKED` (replicas never
//! expand one letter twice); its recipients are the notice contacts of the workout's current
//! participants (the registry's list, [`ParticipantsCache`]) whose role the letter names, only of
//! the institutions it names if it names any; one delivery per address (an address two
//! participants share gets one e-mail). If the registry cannot answer, the letter waits and is tried
//! again with the store kit's backoff: nothing is lost. A contact's preferences apply: its language
//! (else the registry's), and an informational e-mail it switched off is not written (a formal
//! notice always is). E-mails to the borrower and guarantors go out in the coordinator's name (one
//! channel to the borrower, 5.3.1 E vii). Each delivery of a formal notice gets its
//! acknowledgement token's hash and an acknowledgement duty; a formal notice that reaches nobody
//! (no notice contact) keeps the reason on the letter and is reported to the coordinator.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;
use workout_domain::ParticipantRole;
use workout_domain::registry_api::Participant;
use workout_http::registry_client::RegistryClient;
use workout_store::Pool;
use workout_store::outbox::backoff;

use crate::acknowledgements;
use crate::duties::{self, DutyKind};
use crate::fan_out::{ParticipantsCache, message_id};
use crate::invitation;
use crate::letters::{self, NewLetter};
use crate::schema::{deliveries, letters as letters_table, preferences};

/// A letter waiting to be expanded.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = letters_table)]
pub struct Unexpanded {
    id: Uuid,
    workout_id: Uuid,
    kind: String,
    roles: serde_json::Value,
    institutions: Option<serde_json::Value>,
    formal: bool,
    content: serde_json::Value,
    attempts: i32,
}

/// Expands letters with the registry's participants.
#[derive(Clone)]
pub struct Expander {
    pool: Pool,
    registry: Arc<RegistryClient>,
    cache: Arc<ParticipantsCache>,
}

/// One recipient found for a letter.
struct Recipient<'a> {
    participant: &'a Participant,
    email: String,
    name: &'a str,
    language: String,
}

impl Expander {
    /// An expander on `pool` asking `registry`, through `cache`.
    pub fn new(pool: Pool, registry: Arc<RegistryClient>, cache: Arc<ParticipantsCache>) -> Self {
        Self {
            pool,
            registry,
            cache,
        }
    }

    /// Claims the oldest letter due for expansion and expands it (or, the registry failing,
    /// schedules another try); `false` when none is due.
    pub async fn expand_next(&self) -> anyhow::Result<bool> {
        let mut conn = self.pool.get().await?;
        conn.transaction::<bool, anyhow::Error, _>(async |conn| {
            let letter: Option<Unexpanded> = letters_table::table
                .filter(letters_table::expanded_at.is_null())
                .filter(letters_table::next_attempt_at.le(diesel::dsl::now))
                .order((letters_table::next_attempt_at.asc(), letters_table::id.asc()))
                .select(Unexpanded::as_select())
                .limit(1)
                .for_update()
                .skip_locked()
                .first(conn)
                .await
                .optional()?;
            let Some(letter) = letter else {
                return Ok(false);
            };
            let row = diesel::update(letters_table::table.find(letter.id));
            match self
                .cache
                .participants(&self.registry, letter.workout_id)
                .await
            {
                Ok(participants) => {
                    attach_invitation(conn, &letter, &participants).await?;
                    let written = write_deliveries(conn, &letter, &participants).await?;
                    let error = (letter.formal && written == 0)
                        .then(|| "no notice contact among the recipients".to_owned());
                    row.set((
                        letters_table::expanded_at.eq(Some(Utc::now())),
                        letters_table::last_error.eq(&error),
                    ))
                    .execute(conn)
                    .await?;
                    if error.is_some() {
                        letters::write(
                            conn,
                            &NewLetter::to_roles(
                                letter.workout_id,
                                "notice_undeliverable",
                                &[ParticipantRole::Coordinator],
                                serde_json::json!({ "notice": letter.kind, "letter_id": letter.id }),
                            ),
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    }
                }
                Err(error) => {
                    let attempts = letter.attempts.saturating_add(1);
                    let next: DateTime<Utc> =
                        Utc::now() + chrono::Duration::from_std(backoff(attempts))?;
                    row.set((
                        letters_table::attempts.eq(attempts),
                        letters_table::next_attempt_at.eq(next),
                        letters_table::last_error.eq(Some(format!("the registry: {error}"))),
                    ))
                    .execute(conn)
                    .await?;
                    tracing::warn!(letter.id = %letter.id, error.cause = %error, "recipients not resolved; will retry");
                }
            }
            Ok(true)
        })
        .await
    }
}

/// Writes the `.ics` of a letter carrying a meeting's invitation into its content, with the
/// participants of this moment as attendees; an invitation that cannot be written (no notice
/// contact for the coordinator) is logged and the e-mail goes without it.
async fn attach_invitation(
    conn: &mut AsyncPgConnection,
    letter: &Unexpanded,
    participants: &[Participant],
) -> anyhow::Result<()> {
    let invitation = match invitation::invitation_of(&letter.content, participants) {
        Ok(Some(invitation)) => invitation,
        Ok(None) => return Ok(()),
        Err(error) => {
            tracing::warn!(letter.id = %letter.id, error.cause = format!("{error:#}"), "invitation not attached");
            return Ok(());
        }
    };
    let mut content = letter.content.clone();
    content["ics"] = invitation.ics.clone().into();
    content["ics_content_type"] = invitation.content_type().into();
    diesel::update(letters_table::table.find(letter.id))
        .set(letters_table::content.eq(content))
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes `letter`'s deliveries to `participants`; how many were written.
async fn write_deliveries(
    conn: &mut AsyncPgConnection,
    letter: &Unexpanded,
    participants: &[Participant],
) -> anyhow::Result<usize> {
    let roles: Vec<ParticipantRole> = serde_json::from_value(letter.roles.clone())?;
    let institutions: Option<Vec<Uuid>> = letter
        .institutions
        .clone()
        .map(serde_json::from_value)
        .transpose()?;
    let current: Vec<&Participant> = participants
        .iter()
        .filter(|p| p.removed_at.is_none())
        .collect();
    let coordinator = current
        .iter()
        .find(|p| p.role == ParticipantRole::Coordinator)
        .map(|p| p.institution_name.clone());
    let told: Vec<&Participant> = current
        .into_iter()
        .filter(|p| roles.contains(&p.role))
        .filter(|p| {
            institutions
                .as_ref()
                .is_none_or(|only| only.contains(&p.institution_id))
        })
        .collect();
    let ids: Vec<Uuid> = told.iter().map(|p| p.institution_id).collect();
    let chosen: HashMap<(Uuid, String), (Option<String>, bool)> = preferences::table
        .filter(preferences::institution_id.eq_any(&ids))
        .select((
            preferences::institution_id,
            preferences::email,
            preferences::language,
            preferences::informational,
        ))
        .load::<(Uuid, String, Option<String>, bool)>(conn)
        .await?
        .into_iter()
        .map(|(institution, email, language, informational)| {
            ((institution, email), (language, informational))
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut recipients = Vec::new();
    for participant in told {
        for contact in &participant.contacts {
            let email = contact.email.trim().to_lowercase();
            if email.is_empty() || !seen.insert(email.clone()) {
                continue;
            }
            let (language, informational) = chosen
                .get(&(participant.institution_id, email.clone()))
                .cloned()
                .unwrap_or((None, true));
            if !letter.formal && !informational {
                continue;
            }
            recipients.push(Recipient {
                participant,
                language: language.unwrap_or_else(|| contact.language.clone()),
                name: &contact.name,
                email,
            });
        }
    }
    let key = if letter.formal {
        Some(acknowledgements::key(conn).await?)
    } else {
        None
    };
    let calendar = letter.content["calendar"]
        .as_str()
        .unwrap_or("SA")
        .to_owned();
    let rows: Vec<_> = recipients
        .iter()
        .map(|recipient| {
            let id = Uuid::now_v7();
            let role = recipient.participant.role;
            let from_name = matches!(role, ParticipantRole::Borrower | ParticipantRole::Guarantor)
                .then(|| coordinator.clone())
                .flatten();
            let ack = key
                .as_deref()
                .map(|key| acknowledgements::token_hash(&acknowledgements::token(key, id)));
            (
                deliveries::id.eq(id),
                deliveries::letter_id.eq(letter.id),
                deliveries::topic.eq(&letter.kind),
                deliveries::workout_id.eq(letter.workout_id),
                deliveries::message_id.eq(message_id(letter.id, &recipient.email)),
                deliveries::recipient_email.eq(&recipient.email),
                deliveries::recipient_name.eq(recipient.name),
                deliveries::institution_id.eq(recipient.participant.institution_id),
                deliveries::language.eq(&recipient.language),
                deliveries::role.eq(role.as_str()),
                deliveries::formal.eq(letter.formal),
                deliveries::from_name.eq(from_name),
                deliveries::acknowledges.eq(ack.as_ref().map(|_| id)),
                deliveries::ack_token_hash.eq(ack),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    // One statement for every recipient (a fan-out to hundreds is one round trip).
    let written: Vec<Uuid> = diesel::insert_into(deliveries::table)
        .values(rows)
        .on_conflict((deliveries::letter_id, deliveries::recipient_email))
        .do_nothing()
        .returning(deliveries::id)
        .get_results(conn)
        .await?;
    if letter.formal {
        let today = duties::today_in(&calendar, Utc::now());
        for id in &written {
            duties::open(
                conn,
                letter.workout_id,
                DutyKind::NoticeAcknowledgement,
                *id,
                today,
                &calendar,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(written.len())
}
