//! Use cases as one transaction each, and `Idempotency-Key` for the POSTs that create or decide.
//!
//! Rules: a key is scoped to the caller's institution and user. The first request takes a lease on
//! the key (its own short transaction), then runs the use case in one transaction that also stores
//! the answer under the key, so the effect and the stored answer commit together or not at all.
//! A retry with the same key and the same request replays the stored answer byte for byte; the same
//! key with a different request answers 422; a key whose first request is still running answers 409.
//! A 4xx answer is stored and replayed like a success (the request was wrong and stays wrong); after
//! a 5xx the key is released so the client can retry. A lease whose holder died (no answer after
//! [`LEASE`]) can be taken over: the stored-answer update checks the lease, so a late first holder
//! rolls back instead of acting twice.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use diesel::prelude::*;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use workout_http::{ApiError, Caller, ServiceCaller};

use crate::pool::Pool;
use crate::schema::idempotency_keys as keys;

/// The request header.
pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on replayed answers.
pub static IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How long a first request holds its key before another may take it over.
pub const LEASE: Duration = Duration::from_secs(60);

/// The successful result of a use case, before it becomes an HTTP answer.
#[derive(Debug)]
pub struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    location: Option<String>,
    etag: Option<String>,
}

impl Reply {
    /// A JSON answer with `status`.
    pub fn json(status: StatusCode, body: &impl Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            body: serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.into()))?,
            location: None,
            etag: None,
        })
    }

    /// The same answer with an `ETag` (the resource's version, see `workout_http::precondition`);
    /// a replay carries it too.
    #[must_use]
    pub fn with_etag(mut self, etag: String) -> Self {
        self.etag = Some(etag);
        self
    }

    /// A `201 Created` JSON answer with a `Location`.
    pub fn created(location: impl Into<String>, body: &impl Serialize) -> Result<Self, ApiError> {
        let mut reply = Self::json(StatusCode::CREATED, body)?;
        reply.location = Some(location.into());
        Ok(reply)
    }

    /// A `200 OK` JSON answer.
    pub fn ok(body: &impl Serialize) -> Result<Self, ApiError> {
        Self::json(StatusCode::OK, body)
    }

    /// A `204 No Content` answer.
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: Vec::new(),
            location: None,
            etag: None,
        }
    }

    fn content_type(&self) -> Option<&'static str> {
        if self.body.is_empty() {
            None
        } else if self.status.is_success() {
            Some("application/json")
        } else {
            Some(workout_http::problem::PROBLEM_JSON)
        }
    }

    fn into_response(self, replayed: bool) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(content_type) = self.content_type() {
            response.insert_header((header::CONTENT_TYPE, content_type));
        }
        if let Some(location) = self.location {
            response.insert_header((header::LOCATION, location));
        }
        if let Some(etag) = self.etag {
            response.insert_header((header::ETAG, etag));
        }
        if replayed {
            response.insert_header((
                IDEMPOTENT_REPLAYED.clone(),
                HeaderValue::from_static("true"),
            ));
        }
        response.body(self.body)
    }

    fn from_error(error: &ApiError) -> Self {
        Self {
            status: error.status_code(),
            body: serde_json::to_vec(&error.problem()).unwrap_or_default(),
            location: None,
            etag: None,
        }
    }
}

/// Runs `use_case` in one transaction on `conn`: committed if it succeeds, rolled back if it fails.
/// (A connection dropped mid-transaction is discarded by the pool, never reused.)
pub async fn in_transaction<T>(
    conn: &mut AsyncPgConnection,
    use_case: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    AnsiTransactionManager::begin_transaction(conn).await?;
    match use_case(conn).await {
        Ok(value) => match AnsiTransactionManager::commit_transaction(conn).await {
            Ok(()) => Ok(value),
            Err(error) => {
                let _ = AnsiTransactionManager::rollback_transaction(conn).await;
                Err(error.into())
            }
        },
        Err(error) => {
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(conn).await {
                tracing::warn!(error.cause = %rollback, "rollback failed");
            }
            Err(error)
        }
    }
}

/// Runs `use_case` in one transaction on a connection from `pool`.
pub async fn transaction<T>(
    pool: &Pool,
    use_case: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut conn = pool.get().await?;
    in_transaction(&mut conn, use_case).await
}

/// The `Idempotency-Key` of a request, checked: 1 to 255 visible ASCII characters.
pub fn key_of(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(&IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    let valid = (1..=255).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(Some(text.to_owned()))
}

enum Start {
    Lease(Uuid),
    Replay(HttpResponse),
}

#[derive(Queryable)]
struct StoredKey {
    fingerprint: String,
    lease_until: chrono::DateTime<chrono::Utc>,
    response_status: Option<i16>,
    response_headers: Option<serde_json::Value>,
    response_body: Option<Vec<u8>>,
}

/// Whose keys these are: a user acting for an institution, or a service.
#[derive(Debug, Clone, Copy)]
pub struct KeyScope {
    institution: Uuid,
    user: Uuid,
}

impl From<&Caller> for KeyScope {
    fn from(caller: &Caller) -> Self {
        Self {
            institution: caller.institution_id.into_uuid(),
            user: caller.user_id.into_uuid(),
        }
    }
}

impl From<&ServiceCaller> for KeyScope {
    fn from(service: &ServiceCaller) -> Self {
        // A service has no institution; its name, hashed, stands for the user.
        let digest = Sha256::digest(service.client.as_bytes());
        let mut bytes = [0_u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Self {
            institution: Uuid::nil(),
            user: Uuid::from_bytes(bytes),
        }
    }
}

/// What identifies a request for its `Idempotency-Key`: the method, the path and query, the
/// `If-Match` it was made under and the digest of its body (`JsonBody::fingerprint`, or a digest of
/// raw bytes). The same key sent with another of these is a different request (422), never a replay
/// of an answer about another resource.
pub fn fingerprint(req: &HttpRequest, body: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        req.method().as_str(),
        req.uri()
            .path_and_query()
            .map_or(req.path(), |p| p.as_str()),
        req.headers()
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
        body,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

/// Runs a deciding use case under the request's `Idempotency-Key` (if any), in one transaction.
/// `body` is the digest of the request body (see [`fingerprint`]).
pub async fn run(
    pool: &Pool,
    req: &HttpRequest,
    caller: impl Into<KeyScope>,
    body: &str,
    use_case: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<Reply, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let Some(key) = key_of(req)? else {
        return Ok(transaction(pool, use_case).await?.into_response(false));
    };
    let fingerprint = fingerprint(req, body);
    let fingerprint = fingerprint.as_str();
    let caller = caller.into();
    let scope = (caller.institution, caller.user, key);
    let lease = match start(pool, &scope, fingerprint).await? {
        Start::Replay(response) => return Ok(response),
        Start::Lease(lease) => lease,
    };
    let mut conn = pool.get().await?;
    let outcome = in_transaction(&mut conn, async |conn| {
        let reply = use_case(conn).await?;
        store(conn, &scope, lease, &reply).await?;
        Ok(reply)
    })
    .await;
    match outcome {
        Ok(reply) => Ok(reply.into_response(false)),
        Err(error)
            if error.status_code().is_client_error()
                && !matches!(
                    error,
                    ApiError::Conflict {
                        code: "idempotency_lease_lost",
                        ..
                    }
                ) =>
        {
            let reply = Reply::from_error(&error);
            store(&mut conn, &scope, lease, &reply).await?;
            Err(error)
        }
        Err(error) => {
            diesel::delete(keys::table.find((scope.0, scope.1, &scope.2)))
                .filter(keys::lease_token.eq(lease))
                .execute(&mut conn)
                .await?;
            Err(error)
        }
    }
}

async fn start(
    pool: &Pool,
    scope: &(Uuid, Uuid, String),
    fingerprint: &str,
) -> Result<Start, ApiError> {
    let mut conn = pool.get().await?;
    let lease = Uuid::now_v7();
    let lease_until =
        chrono::Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::MAX);
    let inserted = diesel::insert_into(keys::table)
        .values((
            keys::institution_id.eq(scope.0),
            keys::user_id.eq(scope.1),
            keys::key.eq(&scope.2),
            keys::fingerprint.eq(fingerprint),
            keys::lease_token.eq(lease),
            keys::lease_until.eq(lease_until),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;
    if inserted == 1 {
        return Ok(Start::Lease(lease));
    }
    let stored: StoredKey = keys::table
        .find((scope.0, scope.1, &scope.2))
        .select((
            keys::fingerprint,
            keys::lease_until,
            keys::response_status,
            keys::response_headers,
            keys::response_body,
        ))
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| {
            ApiError::conflict(
                "request_in_progress",
                "a request with this Idempotency-Key is being processed; retry shortly",
            )
        })?;
    if stored.fingerprint != fingerprint {
        return Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request; use a new key",
        ));
    }
    if let (Some(status), Some(body)) = (stored.response_status, stored.response_body) {
        return Ok(Start::Replay(replay(
            status,
            stored.response_headers,
            body,
        )?));
    }
    if stored.lease_until > chrono::Utc::now() {
        return Err(ApiError::conflict(
            "request_in_progress",
            "a request with this Idempotency-Key is being processed; retry shortly",
        ));
    }
    // The first holder gave no answer within its lease: take the key over.
    let taken = diesel::update(keys::table.find((scope.0, scope.1, &scope.2)))
        .filter(keys::response_status.is_null())
        .filter(keys::lease_until.lt(chrono::Utc::now()))
        .set((
            keys::lease_token.eq(lease),
            keys::lease_until.eq(lease_until),
        ))
        .execute(&mut conn)
        .await?;
    if taken == 1 {
        Ok(Start::Lease(lease))
    } else {
        Err(ApiError::conflict(
            "request_in_progress",
            "a request with this Idempotency-Key is being processed; retry shortly",
        ))
    }
}

async fn store(
    conn: &mut AsyncPgConnection,
    scope: &(Uuid, Uuid, String),
    lease: Uuid,
    reply: &Reply,
) -> Result<(), ApiError> {
    let headers = serde_json::json!({
        "content-type": reply.content_type(),
        "location": reply.location,
        "etag": reply.etag,
    });
    let stored = diesel::update(keys::table.find((scope.0, scope.1, &scope.2)))
        .filter(keys::lease_token.eq(lease))
        .set((
            keys::response_status.eq(i16::try_from(reply.status.as_u16()).unwrap_or(500)),
            keys::response_headers.eq(headers),
            keys::response_body.eq(&reply.body),
        ))
        .execute(conn)
        .await?;
    if stored == 1 {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "idempotency_lease_lost",
            "this request took too long and another request with the same Idempotency-Key took over",
        ))
    }
}

fn replay(
    status: i16,
    headers: Option<serde_json::Value>,
    body: Vec<u8>,
) -> Result<HttpResponse, ApiError> {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "stored idempotent status {status} is not a status"
            ))
        })?;
    let headers = headers.unwrap_or_default();
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    Ok(Reply {
        status,
        body,
        location: text("location"),
        etag: text("etag"),
    }
    .into_response(true))
}
