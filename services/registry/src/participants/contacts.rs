//! Where a participant's formal notices go: checking notice contacts, storing them, and replacing
//! them.
//!
//! Rules: at least one contact, each with a name (one line of 1 to 200 characters, the domain's
//! rule of names), a valid e-mail (stored in lower case) and a language (`en` or `ar`). The coordinator replaces anyone's contacts; a
//! participant replaces its own; a removed participant's contacts no longer change.

use actix_web::{HttpResponse, put, web};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::registry_api::{NoticeContact, Participant};
use workout_domain::{Action, Email, RegistryTopic, text};
use workout_http::input::text_to;
use workout_http::{ApiError, FieldError, JsonBody};
use workout_store::Reply;
use workout_store::record::to_json;

use super::ParticipantPath;
use super::roster::load_participant;
use crate::schema::notice_contacts;
use crate::workouts::membership::Decider;

/// The checked contacts (trimmed name, lower-case e-mail) given in the body's field `field`;
/// what is wrong goes to `errors`, named below `field`.
pub(crate) fn valid_contacts(
    field: &str,
    contacts: &[NoticeContact],
    errors: &mut Vec<FieldError>,
) -> Vec<NoticeContact> {
    if contacts.is_empty() {
        errors.push(FieldError::new(field, "needs at least one notice contact"));
    }
    contacts
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let name = text_to(errors, format!("{field}.{i}.name"), text::NAME, &c.name);
            let mut ok = true;
            let email = Email::parse(&c.email.to_lowercase())
                .map_err(|e| {
                    errors.push(FieldError::new(format!("{field}.{i}.email"), e.to_string()))
                })
                .ok();
            if !matches!(c.language.as_str(), "en" | "ar") {
                errors.push(FieldError::new(
                    format!("{field}.{i}.language"),
                    "must be en or ar",
                ));
                ok = false;
            }
            let (email, name) = (email?, name?);
            ok.then(|| NoticeContact {
                name,
                email: email.as_str().to_owned(),
                language: c.language.clone(),
            })
        })
        .collect()
}

/// Stores `contacts` as participant `participant`'s.
pub(crate) async fn insert_contacts(
    conn: &mut AsyncPgConnection,
    participant: Uuid,
    contacts: &[NoticeContact],
) -> Result<(), ApiError> {
    for contact in contacts {
        diesel::insert_into(notice_contacts::table)
            .values((
                notice_contacts::id.eq(Uuid::now_v7()),
                notice_contacts::participant_id.eq(participant),
                notice_contacts::name.eq(&contact.name),
                notice_contacts::email.eq(&contact.email),
                notice_contacts::language.eq(&contact.language),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// New notice contacts for a participant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    /// The contacts that replace the current ones (at least one).
    pub contacts: Vec<NoticeContact>,
}

/// `PUT /registry/v1/workouts/{workout_id}/participants/{participant_id}/contacts` (the coordinator,
/// or the participant's own institution): replaces where its notices go.
#[utoipa::path(tag = "workouts",
    security(("bearer" = [])), request_body = Contacts,
    responses((status = 200, body = Participant), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/participants/{participant_id}/contacts")]
pub async fn replace_contacts(
    decider: Decider,
    path: web::Path<ParticipantPath>,
    body: JsonBody<Contacts>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let ParticipantPath {
        workout_id: workout,
        participant_id: participant,
    } = path.into_inner();
    let mut errors = Vec::new();
    let contacts = valid_contacts("contacts", &body.value.contacts, &mut errors);
    decider
        .decide(&body.fingerprint, workout, None, async |conn, member| {
            let before = load_participant(conn, workout, participant).await?;
            if before.institution_id != member.institution.into_uuid() {
                member.require(Action::ChangeOthersContacts)?;
            }
            if before.removed_at.is_some() {
                return Err(ApiError::conflict(
                    "already_removed",
                    "this participant was removed",
                ));
            }
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            diesel::delete(
                notice_contacts::table.filter(notice_contacts::participant_id.eq(participant)),
            )
            .execute(conn)
            .await?;
            insert_contacts(conn, participant, &contacts).await?;
            let after = load_participant(conn, workout, participant).await?;
            member
                .record(
                    conn,
                    RegistryTopic::ParticipantContactsChanged,
                    Some(to_json(&before)?),
                    &after,
                )
                .await?;
            Reply::ok(&after)
        })
        .await
}
