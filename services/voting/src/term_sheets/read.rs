//! Reading term sheets: the list, one term sheet with its current version (`ETag`), a version,
//! the diff between two versions and the completeness check of a version. See the module rules
//! in [`super`].

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::term_sheet::{Completeness, FieldChange, completeness, diff};
use workout_domain::{Action, WorkoutId};
use workout_http::precondition::etag;
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, Page, PageQuery};
use workout_store::Pool;

use super::{TermSheetPath, TermSheetView, VersionView, load_term_sheet, load_version};
use crate::schema::term_sheets;

/// `/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}`.
#[derive(Debug, Deserialize)]
pub struct VersionPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The term sheet.
    pub term_sheet_id: Uuid,
    /// The version's number.
    pub version: i32,
}

/// A term sheet in a list.
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = term_sheets)]
pub struct TermSheetItem {
    /// Id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// `draft`.
    pub state: String,
    /// The current version's number.
    pub current_version: i32,
    /// When its last version was saved.
    pub updated_at: DateTime<Utc>,
}

/// `?from=&to=` of the diff.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The earlier version's number.
    pub from: i32,
    /// The later version's number.
    pub to: i32,
}

/// The changed fields between two versions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TermSheetDiff {
    /// The earlier version.
    pub from: i32,
    /// Its content hash.
    pub from_hash: String,
    /// The later version.
    pub to: i32,
    /// Its content hash.
    pub to_hash: String,
    /// Each changed leaf, by path.
    pub changes: Vec<FieldChange>,
}

/// `?version=` of the completeness check.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompletenessQuery {
    /// The version checked; the current one when left out.
    pub version: Option<i32>,
}

/// The completeness check of one version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionCompleteness {
    /// The version checked.
    pub version: i32,
    /// Its content hash.
    pub content_hash: String,
    /// Missing elements and warnings.
    #[serde(flatten)]
    pub check: Completeness,
}

/// `GET /voting/v1/workouts/{workout_id}/term-sheets` (creditors and the coordinator): the
/// workout's term sheets, oldest first, a page.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<TermSheetItem>), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/term-sheets")]
pub async fn list_term_sheets(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ReadTermSheets)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let rows: Vec<TermSheetItem> = term_sheets::table
        .filter(term_sheets::workout_id.eq(workout.into_uuid()))
        .filter(term_sheets::id.gt(window.after))
        .order(term_sheets::id.asc())
        .limit(window.fetch())
        .select(TermSheetItem::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |s: &TermSheetItem| s.id)))
}

/// `GET /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}` (creditors and the
/// coordinator): the term sheet with its current version; `ETag` is that version's number.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    responses((status = 200, body = TermSheetView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}")]
pub async fn get_term_sheet(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
) -> Result<HttpResponse, ApiError> {
    let TermSheetPath {
        workout_id: workout,
        term_sheet_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ReadTermSheets)?;
    let mut conn = pool.get().await?;
    let row = load_term_sheet(&mut conn, workout, id, false).await?;
    let current = load_version(&mut conn, id, row.current_version).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.current_version)))
        .json(TermSheetView::of(&row, &current)?))
}

/// `GET /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}`
/// (creditors and the coordinator): one version, as saved.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    responses((status = 200, body = VersionView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}")]
pub async fn get_term_sheet_version(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<VersionPath>,
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
    let mut conn = pool.get().await?;
    load_term_sheet(&mut conn, workout, id, false).await?;
    let row = load_version(&mut conn, id, version).await?;
    Ok(HttpResponse::Ok().json(VersionView::of(&row)?))
}

/// `GET /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/diff?from=&to=` (creditors
/// and the coordinator): the fields that changed from one version to another.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    params(DiffQuery),
    responses((status = 200, body = TermSheetDiff), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/diff")]
pub async fn diff_term_sheet(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
    query: web::Query<DiffQuery>,
) -> Result<HttpResponse, ApiError> {
    let TermSheetPath {
        workout_id: workout,
        term_sheet_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ReadTermSheets)?;
    let mut conn = pool.get().await?;
    load_term_sheet(&mut conn, workout, id, false).await?;
    let from = load_version(&mut conn, id, query.from).await?;
    let to = load_version(&mut conn, id, query.to).await?;
    let changes = diff(&from.sheet()?, &to.sheet()?).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok().json(TermSheetDiff {
        from: from.number,
        from_hash: from.content_hash,
        to: to.number,
        to_hash: to.content_hash,
        changes,
    }))
}

/// `GET /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/completeness?version=`
/// (creditors and the coordinator): the missing elements by name and the guideline's warnings.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    params(CompletenessQuery),
    responses((status = 200, body = VersionCompleteness), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/completeness")]
pub async fn term_sheet_completeness(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
    query: web::Query<CompletenessQuery>,
) -> Result<HttpResponse, ApiError> {
    let TermSheetPath {
        workout_id: workout,
        term_sheet_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ReadTermSheets)?;
    let mut conn = pool.get().await?;
    let row = load_term_sheet(&mut conn, workout, id, false).await?;
    let version = load_version(&mut conn, id, query.version.unwrap_or(row.current_version)).await?;
    Ok(HttpResponse::Ok().json(VersionCompleteness {
        version: version.number,
        content_hash: version.content_hash.clone(),
        check: completeness(&version.sheet()?),
    }))
}
