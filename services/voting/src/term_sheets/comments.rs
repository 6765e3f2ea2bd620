//! Comments on a version of a term sheet (creditors and the coordinator). See the module rules in
//! [`super`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{Action, VotingTopic, text};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody, Page, PageQuery};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::read::VersionPath;
use super::{READERS, load_term_sheet, load_version};
use crate::schema::term_sheet_comments;

/// `POST .../versions/{version}/comments`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostComment {
    /// The comment, 1–5000 characters.
    pub body: String,
}

/// A comment.
#[derive(Debug, Serialize, Queryable, Selectable, Insertable, utoipa::ToSchema)]
#[diesel(table_name = term_sheet_comments)]
pub struct Comment {
    /// Id.
    pub id: Uuid,
    /// The term sheet.
    pub term_sheet_id: Uuid,
    /// The version commented on.
    pub version: i32,
    /// The institution the author acts for.
    pub institution_id: Uuid,
    /// The author (user).
    pub author_id: Uuid,
    /// The text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `POST /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comments`
/// (creditors and the coordinator): comments on a version. Answers 201 with the comment.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    request_body = PostComment,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = Comment), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comments")]
pub async fn post_term_sheet_comment(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<VersionPath>,
    body: JsonBody<PostComment>,
) -> Result<HttpResponse, ApiError> {
    let VersionPath {
        workout_id: workout,
        term_sheet_id: id,
        version,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::CommentTermSheet)?;
    let body = body.parse()?;
    let text = text::STATEMENT
        .parse(&body.value.body)
        .map_err(|e| ApiError::invalid_field("body", e.to_string()))?
        .into_string();
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        load_term_sheet(conn, workout, id, false).await?;
        load_version(conn, id, version).await?;
        let comment = Comment {
            id: Uuid::now_v7(),
            term_sheet_id: id,
            version,
            institution_id: access.institution.into_uuid(),
            author_id: caller.user_id.into_uuid(),
            body: text.clone(),
            created_at: Utc::now(),
        };
        diesel::insert_into(term_sheet_comments::table)
            .values(&comment)
            .execute(conn)
            .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::TermSheetCommented,
            READERS,
            None,
            &comment,
        )
        .await?;
        Reply::created(
            format!(
                "/voting/v1/workouts/{workout}/term-sheets/{id}/versions/{version}/comments/{}",
                comment.id
            ),
            &comment,
        )
    })
    .await
}

/// `GET /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comments`
/// (creditors and the coordinator): the comments on a version, oldest first, a page.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<Comment>), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comments")]
pub async fn list_term_sheet_comments(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<VersionPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let VersionPath {
        workout_id: workout,
        term_sheet_id: id,
        version,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ReadTermSheets)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    load_term_sheet(&mut conn, workout, id, false).await?;
    load_version(&mut conn, id, version).await?;
    let rows: Vec<Comment> = term_sheet_comments::table
        .filter(term_sheet_comments::term_sheet_id.eq(id))
        .filter(term_sheet_comments::version.eq(version))
        .filter(term_sheet_comments::id.gt(window.after))
        .order(term_sheet_comments::id.asc())
        .limit(window.fetch())
        .select(Comment::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |c: &Comment| c.id)))
}
