//! Optimistic concurrency for versioned resources (`ETag` / `If-Match`): the one helper every
//! versioned resource uses (facilities now; term sheets and minutes next).
//!
//! Rules: a resource's ETag is its version as a strong entity tag (`"3"`). A change to it must
//! send `If-Match` with the version it replaces: missing → 428 `if_match_required`; not a version
//! → 400 `invalid_if_match`; a weak tag (`W/"3"`) never matches (RFC 9110 compares `If-Match`
//! strongly) and, like a version that is no longer current, answers 412 `precondition_failed`.

use actix_web::HttpRequest;
use actix_web::http::{StatusCode, header};

use crate::ApiError;

/// The strong ETag of `version`: `"3"`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The version a change replaces, from `If-Match`.
pub fn if_match(req: &HttpRequest) -> Result<i32, ApiError> {
    let value = req.headers().get(header::IF_MATCH).ok_or_else(|| {
        ApiError::status(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            "send the version you are replacing in If-Match (the resource's ETag)",
        )
    })?;
    let text = value.to_str().unwrap_or_default().trim();
    if text.starts_with("W/") {
        return Err(ApiError::PreconditionFailed(
            "a weak ETag never matches: send the strong ETag, e.g. \"3\"".to_owned(),
        ));
    }
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .parse()
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_if_match",
                "If-Match must be the resource's ETag, a version such as \"3\"",
            )
        })
}

/// 412 unless `expected` (from `If-Match`) is the `current` version of `what`.
pub fn check_version(what: &str, expected: i32, current: i32) -> Result<(), ApiError> {
    if expected == current {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(format!(
            "the {what} is at version {current}, not {expected}; read it again and reapply your change"
        )))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;
    use actix_web::test::TestRequest;

    use super::*;

    fn with(value: Option<&str>) -> Result<i32, ApiError> {
        let mut req = TestRequest::default();
        if let Some(value) = value {
            req = req.insert_header((header::IF_MATCH, value));
        }
        if_match(&req.to_http_request())
    }

    #[test]
    fn strong_tags_match_and_everything_else_is_refused_with_its_own_status() {
        assert_eq!(with(Some("\"3\"")).ok(), Some(3));
        assert_eq!(with(Some("3")).ok(), Some(3));
        let status = |r: Result<i32, ApiError>| r.err().map(|e| e.status_code().as_u16());
        assert_eq!(status(with(None)), Some(428));
        assert_eq!(status(with(Some("W/\"3\""))), Some(412));
        assert_eq!(status(with(Some("\"three\""))), Some(400));
        assert_eq!(
            status(check_version("facility", 2, 3).map(|()| 0)),
            Some(412)
        );
        assert!(check_version("facility", 3, 3).is_ok());
        assert_eq!(etag(7), "\"7\"");
    }
}
