//! Drafting minutes (the coordinator), reading them and their versions, and commenting on a
//! version. See the module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::minutes::MinutesContent;
use workout_domain::{Action, MinutesTopic, WorkoutId, text};
use workout_http::precondition::{check_version, etag, if_match};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody, Page, PageQuery};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::{
    MeetingPath, MinutesRow, MinutesSummary, MinutesView, State, VersionRow, VersionView,
    load_minutes, load_version,
};
use crate::meetings::{load_meeting, readable_meeting};
use crate::schema::{minutes, minutes_comments, minutes_versions};

/// The content checked, or 422 naming the field.
fn checked(content: &MinutesContent) -> Result<MinutesContent, ApiError> {
    content
        .checked()
        .map_err(|e| ApiError::invalid_field(format!("content.{}", e.field), e.message))
}

/// `POST .../minutes`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftMinutes {
    /// The first version's content.
    pub content: MinutesContent,
}

/// `POST /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes` (the coordinator):
/// drafts the meeting's minutes with their version 1. Answers 201, `ETag` `"1"`; 409
/// `minutes_exist` when the meeting has minutes already.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    request_body = DraftMinutes,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = MinutesView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes")]
pub async fn draft_minutes(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
    body: JsonBody<DraftMinutes>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: meeting,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::DraftMinutes)?;
    let body = body.parse()?;
    let content = checked(&body.value.content)?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        load_meeting(conn, workout, meeting, false).await?;
        if load_minutes(conn, meeting, false).await.is_ok() {
            return Err(ApiError::conflict(
                "minutes_exist",
                "the meeting has minutes already: save a new version of them",
            ));
        }
        let now = Utc::now();
        let user = caller.user_id.into_uuid();
        let row = MinutesRow {
            id: Uuid::now_v7(),
            meeting_id: meeting,
            workout_id: workout.into_uuid(),
            state: State::Draft.as_str().to_owned(),
            current_version: 1,
            circulated_version: None,
            circulated_at: None,
            approval: None,
            sealed_at: None,
            sealed_how: None,
            sealed_hash: None,
            created_by: user,
            created_at: now,
            updated_at: now,
        };
        let version = VersionRow::new(row.id, 1, &content, user, now)?;
        diesel::insert_into(minutes::table)
            .values(&row)
            .execute(conn)
            .await?;
        diesel::insert_into(minutes_versions::table)
            .values(&version)
            .execute(conn)
            .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            MinutesTopic::MinutesDrafted,
            MinutesTopic::MinutesDrafted.disclosure(),
            None,
            &MinutesSummary::of(&row, &version),
        )
        .await?;
        Ok(Reply::created(
            format!("/minutes/v1/workouts/{workout}/meetings/{meeting}/minutes"),
            &MinutesView::of(&row, &version)?,
        )?
        .with_etag(etag(1)))
    })
    .await
}

/// `PUT /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes` (the coordinator,
/// `If-Match`): the full new content, saved as the next version of a draft. 428 without
/// `If-Match`, 412 stale; 409 `minutes_circulated` while out for approval, `minutes_sealed` once
/// sealed.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    request_body = DraftMinutes,
    params(("If-Match" = String, Header, description = "The version being replaced (its ETag)")),
    responses((status = 200, body = MinutesView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 412, body = workout_http::Problem), (status = 422, body = workout_http::Problem),
        (status = 428, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes")]
pub async fn edit_minutes(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
    body: JsonBody<DraftMinutes>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: meeting,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::DraftMinutes)?;
    let body = body.parse()?;
    let content = checked(&body.value.content)?;
    let expected = if_match(&req)?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        load_meeting(conn, workout, meeting, false).await?;
        let mut row = load_minutes(conn, meeting, true).await?;
        if row.require_unsealed()? == State::Circulated {
            return Err(ApiError::conflict(
                "minutes_circulated",
                "the minutes are out for approval: an objection sends them back to draft",
            ));
        }
        check_version("minutes", expected, row.current_version)?;
        let now = Utc::now();
        let version = VersionRow::new(
            row.id,
            row.current_version + 1,
            &content,
            caller.user_id.into_uuid(),
            now,
        )?;
        diesel::insert_into(minutes_versions::table)
            .values(&version)
            .execute(conn)
            .await?;
        diesel::update(minutes::table.find(row.id))
            .set((
                minutes::current_version.eq(version.number),
                minutes::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        row.current_version = version.number;
        row.updated_at = now;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            MinutesTopic::MinutesRevised,
            MinutesTopic::MinutesRevised.disclosure(),
            None,
            &MinutesSummary::of(&row, &version),
        )
        .await?;
        Ok(Reply::ok(&MinutesView::of(&row, &version)?)?.with_etag(etag(version.number)))
    })
    .await
}

/// `GET /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes` (the coordinator,
/// creditors and the meeting's invitees): the minutes with their current version; `ETag` is that
/// version's number.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    responses((status = 200, body = MinutesView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes")]
pub async fn get_minutes(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: meeting,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let mut conn = pool.get().await?;
    readable_meeting(&mut conn, &access, meeting).await?;
    let row = load_minutes(&mut conn, meeting, false).await?;
    let current = load_version(&mut conn, row.id, row.current_version).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag(current.number)))
        .json(MinutesView::of(&row, &current)?))
}

/// `/workouts/{workout_id}/meetings/{meeting_id}/minutes/versions/{version}`.
#[derive(Debug, Deserialize)]
pub struct VersionPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The meeting.
    pub meeting_id: Uuid,
    /// The version's number.
    pub version: i32,
}

/// `GET .../meetings/{meeting_id}/minutes/versions/{version}` (readers): one version.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    responses((status = 200, body = VersionView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes/versions/{version}")]
pub async fn get_minutes_version(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, ApiError> {
    let VersionPath {
        workout_id: workout,
        meeting_id: meeting,
        version,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let mut conn = pool.get().await?;
    readable_meeting(&mut conn, &access, meeting).await?;
    let row = load_minutes(&mut conn, meeting, false).await?;
    let found = load_version(&mut conn, row.id, version).await?;
    Ok(HttpResponse::Ok().json(VersionView::of(&found)?))
}

/// `POST .../versions/{version}/comments`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostComment {
    /// The comment, 1–5000 characters.
    pub body: String,
}

/// A comment on a version.
#[derive(Debug, Serialize, Queryable, Selectable, Insertable, utoipa::ToSchema)]
#[diesel(table_name = minutes_comments)]
pub struct Comment {
    /// Id.
    pub id: Uuid,
    /// The minutes.
    pub minutes_id: Uuid,
    /// The version.
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

/// `POST .../meetings/{meeting_id}/minutes/versions/{version}/comments` (readers): comments on a
/// version. Answers 201 with the comment; 409 `minutes_sealed` once sealed.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    request_body = PostComment,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = Comment), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes/versions/{version}/comments")]
pub async fn comment_minutes(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<VersionPath>,
    body: JsonBody<PostComment>,
) -> Result<HttpResponse, ApiError> {
    let VersionPath {
        workout_id: workout,
        meeting_id: meeting,
        version,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let body = body.parse()?;
    let text = text::STATEMENT
        .parse(&body.value.body)
        .map_err(|e| ApiError::invalid_field("body", e.to_string()))?
        .into_string();
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        readable_meeting(conn, &access, meeting).await?;
        let row = load_minutes(conn, meeting, false).await?;
        row.require_unsealed()?;
        load_version(conn, row.id, version).await?;
        let comment = Comment {
            id: Uuid::now_v7(),
            minutes_id: row.id,
            version,
            institution_id: caller.institution_id.into_uuid(),
            author_id: caller.user_id.into_uuid(),
            body: text.clone(),
            created_at: Utc::now(),
        };
        diesel::insert_into(minutes_comments::table)
            .values(&comment)
            .execute(conn)
            .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            MinutesTopic::MinutesCommented,
            MinutesTopic::MinutesCommented.disclosure(),
            None,
            &comment,
        )
        .await?;
        Reply::created(
            format!(
                "/minutes/v1/workouts/{workout}/meetings/{meeting}/minutes/versions/{version}/comments"
            ),
            &comment,
        )
    })
    .await
}

/// `GET .../meetings/{meeting_id}/minutes/versions/{version}/comments` (readers): oldest first, a
/// page.
#[utoipa::path(tag = "minutes", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<Comment>), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/meetings/{meeting_id}/minutes/versions/{version}/comments")]
pub async fn list_minutes_comments(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<VersionPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let VersionPath {
        workout_id: workout,
        meeting_id: meeting,
        version,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    readable_meeting(&mut conn, &access, meeting).await?;
    let row = load_minutes(&mut conn, meeting, false).await?;
    let rows: Vec<Comment> = minutes_comments::table
        .filter(minutes_comments::minutes_id.eq(row.id))
        .filter(minutes_comments::version.eq(version))
        .filter(minutes_comments::id.gt(window.after))
        .order(minutes_comments::id.asc())
        .limit(window.fetch())
        .select(Comment::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |c: &Comment| c.id)))
}
