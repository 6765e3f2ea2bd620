//! Errors at the HTTP boundary, rendered as `application/problem+json` (RFC 9457).
//!
//! Rules: every error answer carries a stable snake_case `code` and a human `detail`; validation
//! errors list the offending fields; a 429 says in `Retry-After` when to try again; a 5xx never
//! carries its internal cause, which is logged once, here, inside the request's span (so the log
//! line has the request id).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// Where the field is: a JSON pointer-like dotted path (`lei`, `users.0.email`) or a parameter name.
    pub field: String,
    /// What is wrong with it, for a person.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:workout:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem (the HTTP reason phrase).
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened, for a person.
    pub detail: String,
    /// A stable machine code in snake_case.
    pub code: String,
    /// The invalid fields, for validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The error type of every handler.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (400).
    #[error("{detail}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// Human detail.
        detail: String,
    },
    /// The request body or parameters failed validation (422 with field errors).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// No or an invalid credential (401).
    #[error("{detail}")]
    Unauthorized {
        /// Stable code.
        code: &'static str,
        /// Human detail.
        detail: String,
    },
    /// The caller is known and may see the resource but may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The resource does not exist, or the caller may not know that it does (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (409).
    #[error("{detail}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Human detail.
        detail: String,
    },
    /// An `If-Match` precondition failed (412).
    #[error("{0}")]
    PreconditionFailed(String),
    /// The request is well-formed but cannot be processed as asked (422).
    #[error("{detail}")]
    Unprocessable {
        /// Stable code.
        code: &'static str,
        /// Human detail.
        detail: String,
    },
    /// Another status decided by the kit itself (405, 413, 415, ...).
    #[error("{detail}")]
    Status {
        /// The status to answer.
        status: StatusCode,
        /// Stable code.
        code: &'static str,
        /// Human detail.
        detail: String,
    },
    /// The caller must wait before trying again (429 with `Retry-After`).
    #[error("{detail}")]
    TooManyRequests {
        /// Stable code.
        code: &'static str,
        /// Human detail.
        detail: String,
        /// How long to wait; sent as `Retry-After` in whole seconds, rounded up, at least 1.
        retry_after: std::time::Duration,
    },
    /// A dependency (database pool, another service, the key set) is unavailable (503).
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected (500); the cause is logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 400 with a code and a detail.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    /// A 422 with a single invalid field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A 401 with a code and a detail.
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unauthorized {
            code,
            detail: detail.into(),
        }
    }

    /// A 409 with a code and a detail.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// A 422 that is not about one field.
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unprocessable {
            code,
            detail: detail.into(),
        }
    }

    /// Any other status with a code and a detail.
    pub fn status(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self::Status {
            status,
            code,
            detail: detail.into(),
        }
    }

    /// A 429 whose `Retry-After` says to wait `retry_after`.
    pub fn too_many_requests(
        code: &'static str,
        detail: impl Into<String>,
        retry_after: std::time::Duration,
    ) -> Self {
        Self::TooManyRequests {
            code,
            detail: detail.into(),
            retry_after,
        }
    }

    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::TooManyRequests { code, .. }
            | Self::Status { code, .. } => code,
            Self::Validation(_) => "validation_failed",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::PreconditionFailed(_) => "stale_version",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The problem body of this error, as a client will see it.
    /// The error for a person at a command line: the detail, then each field and what is wrong.
    pub fn for_command_line(&self) -> String {
        let problem = self.problem();
        match self {
            Self::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            Self::Internal(cause) => format!("{cause:#}"),
            _ => problem.detail,
        }
    }

    /// The problem+json body of this error.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (detail, errors) = match self {
            Self::Validation(errors) => (
                "The request has invalid fields; see `errors`.".to_owned(),
                errors.clone(),
            ),
            Self::Internal(_) => (
                "An unexpected error occurred; it has been logged with the request id.".to_owned(),
                Vec::new(),
            ),
            other => (other.to_string(), Vec::new()),
        };
        Problem {
            kind: format!("urn:workout:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code().to_owned(),
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) | Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::Status { status, .. } => *status,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => {
                tracing::error!(
                    error.cause = format!("{cause:#}"),
                    "request failed unexpectedly"
                );
            }
            Self::Unavailable(detail) => {
                tracing::warn!(error.detail = %detail, "a dependency is unavailable");
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if matches!(self, Self::Unauthorized { .. }) {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let Self::TooManyRequests { retry_after, .. } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_seconds(*retry_after)));
        }
        response.json(self.problem())
    }
}

/// `wait` in whole seconds for `Retry-After`: rounded up (a client that waits as told is not
/// refused again for a fraction of a second) and at least 1.
pub fn retry_after_seconds(wait: std::time::Duration) -> u64 {
    let whole = wait.as_secs();
    let rounded = if wait.subsec_nanos() > 0 {
        whole.saturating_add(1)
    } else {
        whole
    };
    rounded.max(1)
}

/// PostgreSQL's messages for a value it cannot store (its data exceptions, SQLSTATE class 22,
/// which diesel does not expose as a kind): a date outside its range, a number too large, text
/// with a NUL character.
const UNSTORABLE: [&str; 6] = [
    "date out of range",
    "date/time field value out of range",
    "timestamp out of range",
    "numeric field overflow",
    "value out of range",
    "invalid byte sequence",
];

/// Turns a diesel error into an [`ApiError`]: a missing row is 404, a unique violation 409,
/// serialization failures 409 (the client may retry), a value the database cannot store 422
/// (whatever the way it came in: body, path or query), anything else 500.
pub fn from_diesel(what: &'static str, error: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::NotFound => ApiError::NotFound(what),
        Error::DatabaseError(_, info)
            if UNSTORABLE.iter().any(|m| info.message().starts_with(m)) =>
        {
            ApiError::unprocessable(
                "value_out_of_range",
                "a value of the request cannot be stored: dates lie between 4713 BC and \
                 5874897 AD, numbers within their column's precision, and text holds no NUL \
                 character",
            )
        }
        // The constraint's name is the schema's business, not the caller's: it is logged only.
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            tracing::info!(constraint = info.constraint_name(), "{what} already exists");
            ApiError::conflict("already_exists", format!("{what} already exists"))
        }
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => ApiError::conflict(
            "concurrent_update",
            "a concurrent change got there first; retry the request",
        ),
        // A deadlock the database broke: this request lost, nothing was written; a retry runs.
        Error::DatabaseError(_, info) if info.message().starts_with("deadlock detected") => {
            ApiError::conflict(
                "concurrent_update",
                "a concurrent change got there first; retry the request",
            )
        }
        other => ApiError::Internal(
            anyhow::Error::new(other).context(format!("database access to {what}")),
        ),
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        from_diesel("resource", error)
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::warn!(error.cause = %error, "database pool unavailable");
        ApiError::Unavailable("the database is unavailable; retry shortly".to_owned())
    }
}

/// A stored value that no variant names is a fault of the data, never a default: a 500, logged.
impl From<workout_domain::UnknownName> for ApiError {
    fn from(error: workout_domain::UnknownName) -> Self {
        Self::Internal(anyhow::anyhow!("stored value: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_never_zero() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(60)), 60);
    }

    #[test]
    fn a_429_carries_retry_after() {
        let error =
            ApiError::too_many_requests("too_many_attempts", "wait", Duration::from_millis(2500));
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .map(HeaderValue::as_bytes),
            Some(&b"3"[..])
        );
        assert_eq!(error.problem().code, "too_many_attempts");
    }
}
