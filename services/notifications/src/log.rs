//! The delivery log and the notice deadlines of a workout.
//!
//! Rules: the delivery log lists every e-mail of the workout with its recipient, kind, language,
//! status, attempts, last error and acknowledgement; the coordinator reads all of it, every other
//! participant the e-mails sent to its own institution; a caller taking no part in the workout
//! gets 404. The duties (what is due by when, met or late) are the coordinator's. Both are pages,
//! oldest first.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;
use workout_domain::Action;
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, Page, PageQuery};
use workout_store::Pool;

use crate::duties::DutyRow;
use crate::notices::WorkoutPath;
use crate::schema::{deliveries, duties};

/// One e-mail as the log shows it.
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = deliveries)]
pub struct LoggedDelivery {
    /// Id.
    pub id: Uuid,
    /// The letter it belongs to (an event's id for an event's news).
    pub letter_id: Uuid,
    /// What it says: a topic, or a notice's, report's or reminder's kind.
    #[diesel(column_name = topic)]
    pub kind: String,
    /// Recipient's address.
    pub recipient_email: String,
    /// Recipient's name.
    pub recipient_name: String,
    /// Recipient's institution.
    pub institution_id: Uuid,
    /// Recipient's role in the workout.
    pub role: Option<String>,
    /// `en` or `ar`.
    pub language: String,
    /// A formal notice (acknowledged by its recipient).
    pub formal: bool,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Tries so far.
    pub attempts: i32,
    /// The last failure.
    pub last_error: Option<String>,
    /// The e-mail's `Message-ID`.
    pub message_id: String,
    /// Sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Acknowledged by its recipient (formal notices).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Written.
    pub created_at: DateTime<Utc>,
}

/// `GET /notifications/v1/workouts/{workout_id}/deliveries` (the coordinator: every e-mail;
/// another participant: those to its institution): the delivery log, oldest first, a page.
#[utoipa::path(tag = "deliveries", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<LoggedDelivery>), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/deliveries")]
pub async fn delivery_log(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner().workout_id;
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ReadDeliveries)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let mut rows = deliveries::table
        .filter(deliveries::workout_id.eq(workout.into_uuid()))
        .filter(deliveries::id.gt(window.after))
        .into_boxed();
    if !access.may(Action::IssueNotices) {
        rows = rows.filter(deliveries::institution_id.eq(access.institution.into_uuid()));
    }
    let rows: Vec<LoggedDelivery> = rows
        .order(deliveries::id.asc())
        .limit(window.fetch())
        .select(LoggedDelivery::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |d: &LoggedDelivery| d.id)))
}

/// `GET /notifications/v1/workouts/{workout_id}/duties` (the coordinator): what is due by when
/// (the transfer notice, notices' acknowledgements, the borrower's letters' acknowledgements),
/// met or reported late, oldest first, a page.
#[utoipa::path(tag = "notices", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<DutyRow>), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/duties")]
pub async fn list_duties(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner().workout_id;
    let access = registry.access(workout, &caller).await?;
    access.require(Action::IssueNotices)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let rows: Vec<DutyRow> = duties::table
        .filter(duties::workout_id.eq(workout.into_uuid()))
        .filter(duties::id.gt(window.after))
        .order(duties::id.asc())
        .limit(window.fetch())
        .select(DutyRow::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |d: &DutyRow| d.id)))
}
