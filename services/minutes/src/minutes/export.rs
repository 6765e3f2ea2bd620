//! The export of sealed minutes as documents a person files: Markdown or PDF, in English or
//! Arabic, each showing the sealed content hash so that a copy can be checked against the audit
//! chain (`workout_documents`). See the module rules in [`super`].
//!
//! Rules: those who read the meeting export its minutes once sealed (409 `minutes_not_sealed`
//! before); institutions are named as the registry names them; an action item shows its status as
//! tracked today (the sealed text is unchanged, and the hash is the sealed content's).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use workout_documents::{
    ActionItem, ActionStatus, AgendaItem, Attendee, Decision, Language, MinutesDocument,
};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller};
use workout_store::Pool;

use super::{MeetingPath, State, load_minutes, load_version};
use crate::meetings::readable_meeting;
use crate::schema::action_items;

/// The document's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// PDF (the default).
    #[default]
    Pdf,
    /// Markdown.
    Markdown,
}

/// The document's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Arabic, right to left.
    Ar,
}

/// `?format=&lang=` of the export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `pdf` (default) or `markdown`.
    #[serde(default)]
    #[param(inline)]
    pub format: Format,
    /// `en` (default) or `ar`.
    #[serde(default)]
    #[param(inline)]
    pub lang: Lang,
}

/// `GET /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes/export?format=&lang=`
/// (those who read the meeting): the sealed minutes as a PDF (`application/pdf`) or Markdown
/// (`text/markdown`), in English or Arabic; 409 `minutes_not_sealed` before they are sealed.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, description = "The document", content_type = "application/pdf"),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes/export")]
pub async fn export_minutes(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: meeting,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let mut conn = pool.get().await?;
    let meeting_row = readable_meeting(&mut conn, &access, meeting).await?;
    let row = load_minutes(&mut conn, meeting, false).await?;
    let (State::Sealed, Some(sealed_at), Some(hash)) =
        (row.state()?, row.sealed_at, row.sealed_hash.clone())
    else {
        return Err(ApiError::conflict(
            "minutes_not_sealed",
            "only sealed minutes are exported: approve them first",
        ));
    };
    let number = row.circulated_version.unwrap_or(row.current_version);
    let content = load_version(&mut conn, row.id, number).await?.content()?;
    let statuses: Vec<String> = action_items::table
        .filter(action_items::minutes_id.eq(row.id))
        .order(action_items::id.asc())
        .select(action_items::status)
        .load(&mut conn)
        .await?;
    drop(conn);
    let names: BTreeMap<Uuid, String> = registry
        .participants(workout)
        .await?
        .into_iter()
        .map(|p| (p.institution_id, p.institution_name))
        .collect();
    let name = |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let mut statuses = statuses.into_iter();
    let fault = |what: &str| ApiError::Internal(anyhow::anyhow!("minutes {}: {what}", row.id));
    let document = MinutesDocument {
        workout_reference: registry.workout(workout).await?.reference,
        meeting_title: meeting_row.title.clone(),
        starts_at: meeting_row.starts_at,
        ends_at: meeting_row.ends_at,
        time_zone: meeting_row
            .time_zone
            .parse()
            .map_err(|_| fault("the meeting's time zone"))?,
        location: meeting_row.location.clone(),
        video_link: meeting_row.video_link.clone(),
        attendance: content
            .attendance
            .iter()
            .map(|a| Attendee {
                institution: name(&a.institution_id),
                person: a.person_name.clone(),
                role: a.capacity.clone(),
                proxy_for: a.proxy_for.as_ref().map(name),
            })
            .collect(),
        quorum_statement: content.quorum.clone().unwrap_or_default(),
        agenda_items: content
            .items
            .iter()
            .map(|item| AgendaItem {
                number: item.position,
                title: item.title.clone(),
                discussion_summary: item.discussion.clone(),
                decisions: item
                    .decisions
                    .iter()
                    .map(|d| Decision {
                        text: d.text.clone(),
                        ballot_reference: d.ballot_id.map(|b| b.to_string()),
                    })
                    .collect(),
                action_items: item
                    .actions
                    .iter()
                    .map(|a| ActionItem {
                        text: a.text.clone(),
                        owner_institution: name(&a.owner),
                        due_date: a.due_on,
                        status: match statuses.next().as_deref() {
                            Some("done") => ActionStatus::Done,
                            Some("cancelled") => ActionStatus::Cancelled,
                            _ => ActionStatus::Open,
                        },
                    })
                    .collect(),
            })
            .collect(),
        version: u32::try_from(number).map_err(|_| fault("the version number"))?,
        approved_at: sealed_at,
        sealed_at,
        content_hash: hash.parse().map_err(|_| fault("the sealed hash"))?,
    };
    let language = match query.lang {
        Lang::En => Language::En,
        Lang::Ar => Language::Ar,
    };
    let filename = format!("minutes-{meeting}-{}", row.id);
    match query.format {
        Format::Markdown => Ok(HttpResponse::Ok()
            .content_type("text/markdown; charset=utf-8")
            .insert_header((
                "content-disposition",
                format!("attachment; filename=\"{filename}.md\""),
            ))
            .body(workout_documents::markdown(&document, language))),
        Format::Pdf => {
            // Typesetting is CPU work: off the async workers.
            let bytes = web::block(move || workout_documents::pdf(&document, language))
                .await
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("typesetting: {e}")))?
                .map_err(|e| ApiError::Internal(e.into()))?;
            Ok(HttpResponse::Ok()
                .content_type("application/pdf")
                .insert_header((
                    "content-disposition",
                    format!("attachment; filename=\"{filename}.pdf\""),
                ))
                .body(bytes))
        }
    }
}
