//! Acknowledgements of formal notices: a one-click link per recipient.
//!
//! Rules: each delivery of a formal notice has its own token, the HMAC-SHA256 of the delivery's
//! id under a key kept in the service's schema (made once by its migration, shared by every
//! replica), so a resend carries the same link; only the token's SHA-256 is stored, beside the
//! delivery. The link (`GET .../acknowledgements/{delivery_id}?token=`, or `POST` with the token in
//! the body) needs no sign-in: the token is the proof. It acknowledges that delivery alone (another
//! recipient's, another notice's: 404, as for a wrong or unknown token, so nothing tells them
//! apart) and works once (again: 409 `already_acknowledged`). The time is recorded and the
//! notice's acknowledgement duty is met. A reminder carries the link of the notice it reminds of.

use actix_web::{HttpResponse, get, post, web};
use aws_lc_rs::{constant_time, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use workout_http::{ApiError, JsonBody};
use workout_store::Pool;

use crate::duties::{self, DutyKind};
use crate::schema::{acknowledgement_key, deliveries};

/// The key tokens are derived from.
pub async fn key(conn: &mut AsyncPgConnection) -> QueryResult<String> {
    acknowledgement_key::table
        .select(acknowledgement_key::key)
        .first(conn)
        .await
}

/// The acknowledgement token of `delivery` under `key`.
pub fn token(key: &str, delivery: Uuid) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    URL_SAFE_NO_PAD.encode(hmac::sign(
        &key,
        format!("acknowledge {delivery}").as_bytes(),
    ))
}

/// What is stored of a token: its SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `?token=` or `{"token": ...}`.
#[derive(Debug, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// The token from the notice's link.
    pub token: String,
}

/// A recorded acknowledgement.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Acknowledged {
    /// The delivery acknowledged (one recipient's copy of a notice).
    pub delivery_id: Uuid,
    /// The notice's kind, e.g. `transfer`.
    pub kind: String,
    /// When it was acknowledged.
    pub acknowledged_at: DateTime<Utc>,
}

async fn acknowledge(pool: &Pool, delivery: Uuid, token: &str) -> Result<Acknowledged, ApiError> {
    let mut conn = pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let row: Option<(String, Option<String>, Option<DateTime<Utc>>)> = deliveries::table
            .find(delivery)
            .filter(deliveries::acknowledges.eq(delivery))
            .select((
                deliveries::topic,
                deliveries::ack_token_hash,
                deliveries::acknowledged_at,
            ))
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some((kind, Some(stored), acknowledged_at)) = row else {
            return Err(ApiError::NotFound("acknowledgement"));
        };
        let presented = token_hash(token);
        if constant_time::verify_slices_are_equal(presented.as_bytes(), stored.as_bytes()).is_err()
        {
            return Err(ApiError::NotFound("acknowledgement"));
        }
        if let Some(at) = acknowledged_at {
            return Err(ApiError::conflict(
                "already_acknowledged",
                format!("this notice was already acknowledged at {at}"),
            ));
        }
        let now = Utc::now();
        diesel::update(deliveries::table.find(delivery))
            .set(deliveries::acknowledged_at.eq(now))
            .execute(conn)
            .await?;
        duties::meet(conn, DutyKind::NoticeAcknowledgement, delivery, now).await?;
        Ok(Acknowledged {
            delivery_id: delivery,
            kind,
            acknowledged_at: now,
        })
    })
    .await
}

/// `GET /notifications/v1/acknowledgements/{delivery_id}?token=` (no sign-in: the token is the
/// proof): the one-click link of a formal notice; records its acknowledgement by that recipient.
#[utoipa::path(tag = "acknowledgements",
    params(("delivery_id" = Uuid, Path, description = "The recipient's copy of the notice"), Token),
    responses((status = 200, body = Acknowledged), (status = 404, body = workout_http::Problem),
        (status = 409, body = workout_http::Problem)))]
#[get("/v1/acknowledgements/{delivery_id}")]
pub async fn acknowledge_by_link(
    pool: web::Data<Pool>,
    path: web::Path<Uuid>,
    query: workout_http::Query<Token>,
) -> Result<HttpResponse, ApiError> {
    let acknowledged = acknowledge(&pool, path.into_inner(), &query.token).await?;
    Ok(HttpResponse::Ok().json(acknowledged))
}

/// `POST /notifications/v1/acknowledgements/{delivery_id}` `{token}` (no sign-in: the token is
/// the proof): as the link, for a client that keeps the token out of URLs.
#[utoipa::path(tag = "acknowledgements",
    params(("delivery_id" = Uuid, Path, description = "The recipient's copy of the notice")),
    request_body = Token,
    responses((status = 200, body = Acknowledged), (status = 404, body = workout_http::Problem),
        (status = 409, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[post("/v1/acknowledgements/{delivery_id}")]
pub async fn acknowledge_by_post(
    pool: web::Data<Pool>,
    path: web::Path<Uuid>,
    body: JsonBody<Token>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let acknowledged = acknowledge(&pool, path.into_inner(), &body.value.token).await?;
    Ok(HttpResponse::Ok().json(acknowledged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_belongs_to_one_delivery_and_one_key() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let token = token("key one", a);
        assert_eq!(token, super::token("key one", a));
        assert_ne!(token, super::token("key one", b));
        assert_ne!(token, super::token("key two", a));
        assert!(token.len() >= 43, "{token}");
        assert_ne!(token_hash(&token), token);
    }
}
