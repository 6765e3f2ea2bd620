//! The mandates service's event intake: `POST /mandates/v1/events` and `.../events/batch` (the
//! store kit's intake: the sending service checked, each event recorded once).
//!
//! Rules: the registry's `registry.workout_opened` schedules the job that keeps the workout's
//! mandate from its opening ([`crate::mandate::jobs::OPEN_JOB`]), and its
//! `registry.workout_status_changed` to `effective` the job that appoints the facility agent
//! ([`AGENT_JOB`]); each keyed by the workout, so a redelivery or a second replica changes
//! nothing, and run outside the intake's answer. Every other event is recorded and left alone.

use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use diesel_async::AsyncPgConnection;
use workout_domain::registry_api::events::WorkoutStatusChanged;
use workout_domain::{RegistryTopic, Topic as _, WorkoutStatus};
use workout_http::{ApiError, JsonBody, ServiceCaller};
use workout_store::outbox::{self, BatchReceipt, Event, EventBatch, Receipt};
use workout_store::{Pool, scheduler};

use crate::mandate::agent::AGENT_JOB;
use crate::mandate::jobs::OPEN_JOB;

/// `POST /mandates/v1/events` (service token): an event from another service's outbox.
#[utoipa::path(tag = "events", security(("bearer" = [])),
    request_body = Event,
    responses((status = 202, body = Receipt), (status = 422, body = workout_http::Problem)))]
#[post("/v1/events")]
pub async fn receive_event(
    pool: web::Data<Pool>,
    service: ServiceCaller,
    body: JsonBody<Event>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    outbox::intake(&pool, &service, body.value, react).await
}

/// `POST /mandates/v1/events/batch` (service token): up to 100 events of one service's outbox,
/// received together in one transaction (how the relays deliver).
#[utoipa::path(tag = "events", security(("bearer" = [])),
    request_body = EventBatch,
    responses((status = 202, body = BatchReceipt), (status = 422, body = workout_http::Problem)))]
#[post("/v1/events/batch")]
pub async fn receive_events(
    pool: web::Data<Pool>,
    service: ServiceCaller,
    body: JsonBody<EventBatch>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    outbox::intake_batch(&pool, &service, body.value, react).await
}

/// What an event does here (inside the intake's transaction).
async fn react(conn: &mut AsyncPgConnection, event: &Event) -> Result<(), ApiError> {
    let job = if event.topic == RegistryTopic::WorkoutOpened.name() {
        OPEN_JOB
    } else if event.topic == RegistryTopic::WorkoutStatusChanged.name() {
        let changed: WorkoutStatusChanged = serde_json::from_value(event.payload.clone())
            .map_err(|e| ApiError::invalid_field("payload", e.to_string()))?;
        if changed.workout.status != WorkoutStatus::Effective {
            return Ok(());
        }
        AGENT_JOB
    } else {
        return Ok(());
    };
    let Some(workout) = event.workout_id else {
        return Err(ApiError::invalid_field(
            "workout_id",
            format!("a {} event names its workout", event.topic),
        ));
    };
    scheduler::schedule(
        conn,
        job,
        &workout.to_string(),
        Utc::now(),
        serde_json::json!({ "workout_id": workout }),
    )
    .await?;
    Ok(())
}
