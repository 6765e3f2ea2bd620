//! The coordinator's duties checklist (5.3.1 E): each item with its status, date and note, kept by
//! the appointed coordinator and read by every participant (all creditors among them).

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::mandates::{DutyItem, DutyStatus};
use workout_domain::text;
use workout_domain::{Action, MandatesTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody, input};
use workout_store::audit::Actor;
use workout_store::{Pool, Reply, idempotency};

use super::announce;
use super::load_mandate;
use super::withdrawal::as_coordinator;
use crate::schema::duties;

/// A stored item: item, status, date, note, by, when.
type DutyRow = (
    String,
    String,
    Option<NaiveDate>,
    Option<String>,
    Uuid,
    DateTime<Utc>,
);

/// One item of the checklist.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Duty {
    /// The item.
    pub item: DutyItem,
    /// Its status (`open` until first touched).
    pub status: String,
    /// Its date (e.g. when an assessment was made, a consultant appointed).
    pub on_date: Option<NaiveDate>,
    /// A note.
    pub note: Option<String>,
    /// Last changed by (user).
    pub updated_by: Option<Uuid>,
    /// When.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The checklist, in its order (its six items: a fixed, short list, not paged).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Duties {
    /// The items.
    pub items: Vec<Duty>,
}

/// `PUT .../mandate/duties/{item}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDuty {
    /// The status.
    pub status: DutyStatus,
    /// Its date.
    pub on_date: Option<NaiveDate>,
    /// A note, up to 2,000 characters.
    pub note: Option<String>,
}

/// A duty's path.
#[derive(Debug, Deserialize)]
pub struct DutyPath {
    /// Workout.
    pub workout_id: WorkoutId,
    /// Item (wire name).
    pub item: String,
}

/// `GET /mandates/v1/workouts/{workout_id}/mandate/duties` (any participant): the checklist.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    responses((status = 200, body = Duties), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/mandate/duties")]
pub async fn list_duties(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ReadMandate)?;
    let mut conn = pool.get().await?;
    let mandate = load_mandate(&mut conn, workout, false).await?;
    let rows: Vec<DutyRow> = duties::table
        .filter(duties::mandate_id.eq(mandate.id))
        .select((
            duties::item,
            duties::status,
            duties::on_date,
            duties::note,
            duties::updated_by,
            duties::updated_at,
        ))
        .load(&mut conn)
        .await?;
    let items = DutyItem::ALL
        .into_iter()
        .map(
            |item| match rows.iter().find(|row| row.0 == item.as_str()) {
                Some((_, status, on_date, note, by, at)) => Duty {
                    item,
                    status: status.clone(),
                    on_date: *on_date,
                    note: note.clone(),
                    updated_by: Some(*by),
                    updated_at: Some(*at),
                },
                None => Duty {
                    item,
                    status: DutyStatus::Open.as_str().to_owned(),
                    on_date: None,
                    note: None,
                    updated_by: None,
                    updated_at: None,
                },
            },
        )
        .collect();
    Ok(HttpResponse::Ok().json(Duties { items }))
}

/// `PUT /mandates/v1/workouts/{workout_id}/mandate/duties/{item}` (the appointed coordinator):
/// sets an item's status, date and note. Answers 200 with the item.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    request_body = UpdateDuty,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = Duty), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/mandate/duties/{item}")]
pub async fn update_duty(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<DutyPath>,
    body: JsonBody<UpdateDuty>,
) -> Result<HttpResponse, ApiError> {
    let DutyPath {
        workout_id: workout,
        item,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ActOnMandate)?;
    let item = DutyItem::parse(&item).ok_or(ApiError::NotFound("duty"))?;
    let body = body.parse()?;
    let note = body
        .value
        .note
        .as_deref()
        .map(|n| input::text("note", text::NOTE, n))
        .transpose()?
        .filter(|n| !n.is_empty());
    let status = body.value.status;
    let on_date = body.value.on_date;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mandate = as_coordinator(conn, workout, &caller, &access).await?;
        let now = Utc::now();
        diesel::insert_into(duties::table)
            .values((
                duties::mandate_id.eq(mandate.id),
                duties::item.eq(item.as_str()),
                duties::status.eq(status.as_str()),
                duties::on_date.eq(on_date),
                duties::note.eq(&note),
                duties::updated_by.eq(caller.user_id.into_uuid()),
                duties::updated_at.eq(now),
            ))
            .on_conflict((duties::mandate_id, duties::item))
            .do_update()
            .set((
                duties::status.eq(excluded(duties::status)),
                duties::on_date.eq(excluded(duties::on_date)),
                duties::note.eq(excluded(duties::note)),
                duties::updated_by.eq(excluded(duties::updated_by)),
                duties::updated_at.eq(excluded(duties::updated_at)),
            ))
            .execute(conn)
            .await?;
        let duty = Duty {
            item,
            status: status.as_str().to_owned(),
            on_date,
            note,
            updated_by: Some(caller.user_id.into_uuid()),
            updated_at: Some(now),
        };
        announce(
            conn,
            workout,
            &Actor::from(&caller),
            MandatesTopic::DutyUpdated,
            &serde_json::json!({ "mandate_id": mandate.id, "duty": duty }),
        )
        .await?;
        Reply::ok(&duty)
    })
    .await
}
