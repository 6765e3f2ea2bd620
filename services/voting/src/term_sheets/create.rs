//! Creating a term sheet (the coordinator): a title and the first version's content, which may be
//! empty. See the module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::term_sheet::TermSheet;
use workout_domain::{Action, VotingTopic, WorkoutId, text};
use workout_http::precondition::etag;
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::{READERS, TermSheetRow, TermSheetSummary, TermSheetView, VersionRow};
use crate::schema::{term_sheet_versions, term_sheets};

/// `POST .../term-sheets`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTermSheet {
    /// Its title, 1–200 characters.
    pub title: String,
    /// The first version's content (every element optional); empty when left out.
    #[serde(default)]
    pub content: TermSheet,
}

/// `POST /voting/v1/workouts/{workout_id}/term-sheets` (the coordinator): creates a draft term
/// sheet with its first version. Answers 201 with it, `ETag` `"1"`.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    request_body = CreateTermSheet,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = TermSheetView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/term-sheets")]
pub async fn create_term_sheet(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<CreateTermSheet>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::DraftTermSheet)?;
    let body = body.parse()?;
    let title = text::NAME
        .parse(&body.value.title)
        .map_err(|e| ApiError::invalid_field("title", e.to_string()))?
        .into_string();
    let now = Utc::now();
    let id = Uuid::now_v7();
    let user = caller.user_id.into_uuid();
    let row = TermSheetRow {
        id,
        workout_id: workout.into_uuid(),
        title,
        state: super::State::Draft.as_str().to_owned(),
        current_version: 1,
        created_by: user,
        created_at: now,
        updated_at: now,
        agreed_version: None,
        agreement_ballot: None,
        submitted_version: None,
        submitted_at: None,
        lapses_at: None,
        response: None,
        steps: serde_json::json!([]),
    };
    let version = VersionRow::new(id, 1, &body.value.content, user, now)?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        diesel::insert_into(term_sheets::table)
            .values(&row)
            .execute(conn)
            .await?;
        diesel::insert_into(term_sheet_versions::table)
            .values(&version)
            .execute(conn)
            .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::TermSheetCreated,
            READERS,
            None,
            &TermSheetSummary::of(&row, &version),
        )
        .await?;
        Ok(Reply::created(
            format!("/voting/v1/workouts/{workout}/term-sheets/{id}"),
            &TermSheetView::of(&row, &version)?,
        )?
        .with_etag(etag(1)))
    })
    .await
}
