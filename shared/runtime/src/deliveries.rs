//! `GET /<service>/v1/deliveries`: the delivery health of a service's outbox, mounted in every
//! service's scope by [`api_scope`](crate::api_scope), for platform admins.
//!
//! Rules: it answers the store kit's [`DeliveryHealth`] (counts per topic, subscriber and status;
//! a page of failing events with their deliveries' attempts, last error and times), never an
//! event's payload: whoever operates the platform sees that events flow, not what the workouts
//! hold.

use actix_web::{HttpResponse, get, web};
use workout_http::{ApiError, PageQuery, PlatformAdmin};
use workout_store::Pool;
use workout_store::delivery_health::{self, DeliveryHealth};

/// `GET /<service>/v1/deliveries` (platform admin): how this service's events are delivered to
/// their subscribers (counts per topic, subscriber and status: `unrouted`, `pending`, `failing`,
/// `delivered`) and the events whose delivery fails, a page at a time, without their payloads.
#[utoipa::path(tag = "operations", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = DeliveryHealth), (status = 403, body = workout_http::Problem)))]
#[get("/v1/deliveries")]
pub async fn deliveries(
    pool: web::Data<Pool>,
    _admin: PlatformAdmin,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let health = delivery_health::delivery_health(&mut conn, window).await?;
    Ok(HttpResponse::Ok().json(health))
}
