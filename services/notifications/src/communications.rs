//! Written communications from the borrower, which the bank acknowledges in writing within 5
//! business days (5.3.2 B v).
//!
//! Rules: the borrower records its letter here (or the coordinator records one received on
//! paper, with the day it was received, never after today); the coordinator is told, and the
//! acknowledgement is due 5 business days after receipt on the workout's calendar, reported to the
//! coordinator once if still missing at the end of that day. The coordinator acknowledges it once
//! (again: 409 `already_acknowledged`), which sends the borrower a formal written acknowledgement
//! in the coordinator's name. The coordinator reads every communication, the borrower its own;
//! others get 403, outsiders 404. Recording and acknowledging honour `Idempotency-Key`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::text;
use workout_domain::{Action, BoundedDate, ParticipantRole, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody, Page, PageQuery};
use workout_store::Pool;
use workout_store::idempotency::{self, Reply};

use crate::duties::{self, DutyKind};
use crate::letters::{self, NewLetter};
use crate::notices::{self, Checks, WorkoutPath};
use crate::schema::communications;

/// A communication to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommunication {
    /// Its subject.
    pub subject: String,
    /// What it says (or a summary of a paper letter and where it is filed).
    pub body: String,
    /// The day it was received (default: today on the workout's calendar; never later).
    pub received_on: Option<BoundedDate>,
}

/// A recorded communication.
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = communications)]
pub struct Communication {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// The borrower's institution.
    pub institution_id: Uuid,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// Received.
    pub received_on: NaiveDate,
    /// Recorded by.
    pub recorded_by: Uuid,
    /// Recorded.
    pub recorded_at: DateTime<Utc>,
    /// Acknowledged (absent: not yet).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Acknowledged by.
    pub acknowledged_by: Option<Uuid>,
    /// The written acknowledgement sent to the borrower.
    pub letter_id: Option<Uuid>,
}

/// `POST /notifications/v1/workouts/{workout_id}/communications` (the borrower, or the coordinator
/// for a letter received on paper): records a written communication from the borrower; its
/// acknowledgement falls due 5 business days after receipt. Answers 201 with it.
#[utoipa::path(tag = "communications", security(("bearer" = [])),
    request_body = NewCommunication,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = Communication), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/communications")]
pub async fn record_communication(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutPath>,
    body: JsonBody<NewCommunication>,
) -> Result<HttpResponse, ApiError> {
    let workout_id = path.into_inner().workout_id;
    let access = registry.access(workout_id, &caller).await?;
    access.require(Action::RecordCommunication)?;
    let body = body.parse()?;
    let input = &body.value;
    let workout = registry.workout(workout_id).await?;
    let today = duties::today_in(&workout.calendar, Utc::now());
    let mut checks = Checks::default();
    let subject = checks.text("subject", text::SUBJECT, &input.subject);
    let text = checks.text("body", text::STATEMENT, &input.body);
    let received_on = input.received_on.map_or(today, BoundedDate::get);
    if received_on > today {
        checks.fail("received_on", "is not after today");
    }
    checks.finish()?;
    // The borrower's institution: the caller's own, or the workout's borrower when the
    // coordinator records a paper letter.
    let institution = if access.has(ParticipantRole::Borrower) {
        caller.institution_id.into_uuid()
    } else {
        workout.borrower_id
    };
    let id = Uuid::now_v7();
    let calendar = workout.calendar.clone();
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        diesel::insert_into(communications::table)
            .values((
                communications::id.eq(id),
                communications::workout_id.eq(workout.id),
                communications::institution_id.eq(institution),
                communications::subject.eq(&subject),
                communications::body.eq(&text),
                communications::received_on.eq(received_on),
                communications::recorded_by.eq(caller.user_id.into_uuid()),
            ))
            .execute(conn)
            .await?;
        let duty = duties::open(
            conn,
            workout.id,
            DutyKind::CommunicationAcknowledgement,
            id,
            received_on,
            &calendar,
        )
        .await?;
        letters::write(
            conn,
            &NewLetter::to_roles(
                workout.id,
                "communication_received",
                &[ParticipantRole::Coordinator],
                serde_json::json!({
                    "subject": subject,
                    "received_on": received_on,
                    "due_on": duty.due_on,
                }),
            ),
        )
        .await?;
        let row: Communication = communications::table
            .find(id)
            .select(Communication::as_select())
            .first(conn)
            .await?;
        Reply::created(
            format!(
                "/notifications/v1/workouts/{}/communications/{id}",
                workout.id
            ),
            &row,
        )
    })
    .await
}

/// `GET /notifications/v1/workouts/{workout_id}/communications` (the coordinator: all; the
/// borrower: its own): the borrower's written communications, oldest first, a page.
#[utoipa::path(tag = "communications", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<Communication>), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/communications")]
pub async fn list_communications(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner().workout_id;
    let access = registry.access(workout, &caller).await?;
    access.require(Action::RecordCommunication)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let mut rows = communications::table
        .filter(communications::workout_id.eq(workout.into_uuid()))
        .filter(communications::id.gt(window.after))
        .into_boxed();
    if !access.may(Action::IssueNotices) {
        rows = rows.filter(communications::institution_id.eq(access.institution.into_uuid()));
    }
    let rows: Vec<Communication> = rows
        .order(communications::id.asc())
        .limit(window.fetch())
        .select(Communication::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |c: &Communication| c.id)))
}

/// `/workouts/{workout_id}/communications/{communication_id}`.
#[derive(Debug, Deserialize)]
pub struct CommunicationPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The communication.
    pub communication_id: Uuid,
}

/// `POST /notifications/v1/workouts/{workout_id}/communications/{communication_id}/acknowledgement`
/// (the coordinator): acknowledges the communication and sends the borrower a formal written
/// acknowledgement in the coordinator's name. Answers 201 with the notice.
#[utoipa::path(tag = "communications", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = notices::Notice), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/communications/{communication_id}/acknowledgement")]
pub async fn acknowledge_communication(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<CommunicationPath>,
) -> Result<HttpResponse, ApiError> {
    let CommunicationPath {
        workout_id,
        communication_id: id,
    } = path.into_inner();
    let access = registry.access(workout_id, &caller).await?;
    access.require(Action::IssueNotices)?;
    let workout = registry.workout(workout_id).await?;
    let participants = registry.participants(workout_id).await?;
    let coordinator = notices::coordinator_name(&participants, caller.institution_id.into_uuid());
    idempotency::run(&pool, &req, &caller, "", async |conn| {
        let row: Communication = communications::table
            .find(id)
            .filter(communications::workout_id.eq(workout.id))
            .select(Communication::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(ApiError::NotFound("communication"))?;
        if let Some(at) = row.acknowledged_at {
            return Err(ApiError::conflict(
                "already_acknowledged",
                format!("this communication was acknowledged at {at}"),
            ));
        }
        let now = Utc::now();
        let mut content = notices::header(&workout, &coordinator);
        content["subject"] = row.subject.clone().into();
        content["received_on"] = row.received_on.to_string().into();
        let letter = NewLetter {
            formal: true,
            institutions: Some(vec![row.institution_id]),
            issued_by: Some((
                caller.user_id.into_uuid(),
                caller.institution_id.into_uuid(),
            )),
            ..NewLetter::to_roles(
                workout.id,
                "communication_acknowledged",
                &[ParticipantRole::Borrower],
                content,
            )
        };
        let reply = notices::issue(conn, &letter).await?;
        diesel::update(communications::table.find(id))
            .set((
                communications::acknowledged_at.eq(now),
                communications::acknowledged_by.eq(caller.user_id.into_uuid()),
                communications::letter_id.eq(letter.id),
            ))
            .execute(conn)
            .await?;
        duties::meet(conn, DutyKind::CommunicationAcknowledgement, id, now).await?;
        Ok(reply)
    })
    .await
}
