//! What happens at the edge of every request before and after a handler: request ids, the request
//! span and metrics, the limits of bodies, and actix's own failures turned into problem+json.
//!
//! Rules: every answer carries `X-Request-Id` (the caller's, when it is a sane token, else a new
//! UUIDv7); every error answer is `application/problem+json`, including unknown routes (404), wrong
//! methods (405), oversized bodies (413), wrong content types (415), malformed JSON (400) and bad
//! path or query values (400). The client's address is the connection's peer; `X-Forwarded-For`
//! is believed only as far as it was written by proxies the settings name as trusted.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::problem::{ApiError, FieldError, PROBLEM_JSON};

/// The address of the client that sent `req`: the connection's peer, or, when the peer is one of
/// `trusted_proxies`, the nearest address in `X-Forwarded-For` that is not a trusted proxy itself.
/// The header is read from the right: each proxy appends the address it got the request from, so
/// only the entries that trusted proxies appended can be believed, and the first one that is not a
/// trusted proxy is the client (what a client writes into the header itself lies further left and
/// is never read). An entry that is not an address ends the walk at the last one believed. `None`
/// when the peer is not known. IPv4 addresses mapped into IPv6 are shown as IPv4.
pub fn client_address(req: &HttpRequest, trusted_proxies: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|network| network.contains(ip));
    if !trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = req
        .headers()
        .get_all(header::X_FORWARDED_FOR)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(address) = forwarded_address(hop) else {
            break;
        };
        client = address;
        if !trusted(&address) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`192.0.2.7:4711`,
/// `[2001:db8::1]:4711`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

/// The request id header, read and written.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The largest JSON body any endpoint accepts, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The id of the current request, stored in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let sane = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    sane.then(|| text.to_owned())
}

/// Middleware (for `actix_web::middleware::from_fn`): request id, a span per request with the
/// request id, one log line per answer and the `http_requests_total` / `http_request_duration_seconds`
/// metrics labelled by route pattern (never by raw path, which would explode the label set).
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let span = tracing::info_span!(
        "http.request",
        request_id = %request_id,
        http.method = %req.method(),
        http.path = %req.path(),
    );
    let started = Instant::now();
    let method = req.method().to_string();
    let mut response = next.call(req).instrument(span.clone()).await?;
    let status = response.status();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    span.in_scope(|| {
        tracing::info!(
            http.status = status.as_u16(),
            http.route = %route,
            duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "request answered"
        );
    });
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.as_u16().to_string()).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    Ok(response)
}

/// `ErrorHandlers` default handler: any error answer that is not problem+json yet (actix's own 404,
/// 405, 413, ...) is rewritten as problem+json with the same status.
pub fn problem_for_plain_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if already_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let request = res.request();
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => (
            "route_not_found",
            format!(
                "no endpoint answers {} {}",
                request.method(),
                request.path()
            ),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            format!("{} is not allowed on {}", request.method(), request.path()),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the request body must be application/json".to_owned(),
        ),
        status if status.is_server_error() => (
            "internal_error",
            "An unexpected error occurred; it has been logged with the request id.".to_owned(),
        ),
        status => (
            "bad_request",
            status
                .canonical_reason()
                .unwrap_or("the request was not accepted")
                .to_owned(),
        ),
    };
    let problem = ApiError::status(status, code, detail).error_response();
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, problem).map_into_right_body(),
    ))
}

/// App data that makes actix's extractors answer problem+json: path and query values, raw bodies.
pub fn extractor_configs(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(|error, _req| {
        ApiError::bad_request(
            "invalid_path_parameter",
            format!("a path value is invalid: {error}"),
        )
        .into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|error, _req| {
        ApiError::bad_request(
            "invalid_query_parameter",
            format!("a query value is invalid: {error}"),
        )
        .into()
    }))
    .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
    .app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(|error, _req| json_error(error).into()),
    );
}

fn json_error(error: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match error {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ),
        E::ContentType => unsupported_media_type(),
        E::Deserialize(error) => body_parse_error(&error),
        other => ApiError::bad_request(
            "unreadable_body",
            format!("the request body could not be read: {other}"),
        ),
    }
}

fn unsupported_media_type() -> ApiError {
    ApiError::status(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "the request body must be application/json",
    )
}

fn body_parse_error(error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => ApiError::Validation(vec![FieldError::new(
            field_of("", &message_of(error)),
            message_of(error),
        )]),
        Category::Syntax | Category::Eof | Category::Io => ApiError::bad_request(
            "malformed_json",
            format!("the request body is not valid JSON: {error}"),
        ),
    }
}

/// serde's message without the " at line L column C" that means nothing to a form.
fn message_of(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// The field a message is about: `path` (where parsing stopped), completed by the field that
/// serde names for a missing or unknown field (which it reports at the enclosing object).
fn field_of(path: &str, message: &str) -> String {
    let path = if path == "." { "" } else { path };
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        ("", Some(name)) => name.to_owned(),
        (path, Some(name)) => format!("{path}.{name}"),
        ("", None) => "body".to_owned(),
        (path, None) => path.to_owned(),
    }
}

/// Whether `c` is a control character no text of the platform may hold: C0 controls (NUL among
/// them, which PostgreSQL cannot store) other than tab and line breaks.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r') && c != '\u{7f}'
}

/// Whether the JSON text escapes a forbidden control character (`\u0000`…`\u001f` but tab and
/// line breaks; raw ones are not JSON at all). Backslashes occur only inside strings, so a scan of
/// the escapes is exact.
fn escapes_a_control(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'u') {
            let code = bytes
                .get(i + 2..i + 6)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32);
            if code.is_some_and(is_forbidden_control) {
                return true;
            }
            i += 6;
        } else {
            i += 2;
        }
    }
    false
}

/// The path (`a.b.0.c`) of the first object key that `bytes` gives twice, if it is JSON at all:
/// a duplicated key is refused rather than read as its last value. Malformed JSON is left to the
/// parse that follows.
fn duplicate_key(bytes: &[u8]) -> Option<String> {
    use serde::de::{DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};

    struct Walk<'a> {
        path: String,
        found: &'a mut Option<String>,
    }

    impl Walk<'_> {
        fn at(&self, key: &str) -> String {
            if self.path.is_empty() {
                key.to_owned()
            } else {
                format!("{}.{key}", self.path)
            }
        }
    }

    impl<'de> DeserializeSeed<'de> for Walk<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Walk<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut index = 0_usize;
            loop {
                let path = self.at(&index.to_string());
                let found = &mut *self.found;
                if seq.next_element_seed(Walk { path, found })?.is_none() {
                    return Ok(());
                }
                index += 1;
            }
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                let path = self.at(&key);
                if !seen.insert(key) && self.found.is_none() {
                    *self.found = Some(path.clone());
                }
                let found = &mut *self.found;
                map.next_value_seed(Walk { path, found })?;
            }
            Ok(())
        }
    }

    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let walk = Walk {
        path: String::new(),
        found: &mut found,
    };
    (&mut deserializer).deserialize_any(walk).ok()?;
    found
}

/// The paths of the strings (keys too) in `value` that hold a forbidden control character.
fn control_paths(value: &serde_json::Value, path: &str, found: &mut Vec<FieldError>) {
    let at = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    let problem = |field: String| {
        FieldError::new(
            field,
            "contains a control character (only tab and line breaks are allowed in text)",
        )
    };
    match value {
        serde_json::Value::String(text) if text.chars().any(is_forbidden_control) => {
            found.push(problem(if path.is_empty() {
                "body".to_owned()
            } else {
                path.to_owned()
            }));
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                control_paths(item, &at(&i.to_string()), found);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                if key.chars().any(is_forbidden_control) {
                    found.push(problem(at(key)));
                }
                control_paths(item, &at(key), found);
            }
        }
        _ => {}
    }
}

/// Parses a JSON body; a body that does not fit answers 422 `validation_failed` naming the field
/// and the reason (e.g. `opened_on`: "input is out of range"), malformed JSON 400. Text holding a
/// control character other than tab and line breaks is refused, naming its field, whatever the
/// endpoint: no such text reaches a use case or the database.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(path) = duplicate_key(bytes) {
        return Err(ApiError::Validation(vec![FieldError::new(
            path,
            "is given twice in the same object; give each key once",
        )]));
    }
    if escapes_a_control(bytes)
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
    {
        let mut found = Vec::new();
        control_paths(&value, "", &mut found);
        if !found.is_empty() {
            return Err(ApiError::Validation(found));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = message_of(&inner);
                ApiError::Validation(vec![FieldError::new(field_of(&path, &message), message)])
            }
            _ => body_parse_error(&inner),
        }
    })?;
    deserializer.end().map_err(|e| body_parse_error(&e))?;
    Ok(value)
}

/// SHA-256 of a request body, hex-encoded: what idempotency keys compare (with the method, path
/// and `If-Match`, see the store kit's `idempotency::fingerprint`).
pub fn digest(bytes: &[u8]) -> String {
    hex_string(&Sha256::digest(bytes))
}

/// A JSON request body, read but not yet judged: its extraction never fails, so that the
/// handler's other extractors (the caller's token, `PlatformAdmin`) always answer first, whatever
/// order actix completes them in — a caller without the right gets 401 or 403, never a 400 or 422
/// about a body it had no right to send. The handler judges it first thing with
/// [`JsonBody::parse`].
#[derive(Debug)]
pub struct JsonBody<T> {
    parsed: Result<T, ApiError>,
    fingerprint: String,
}

/// A parsed JSON body with the digest of its raw bytes, so that idempotency keys can tell a retry
/// (same bytes) from a different request under the same key.
#[derive(Debug)]
pub struct Parsed<T> {
    /// The parsed body.
    pub value: T,
    /// [`digest`] of the raw body.
    pub fingerprint: String,
}

impl<T> JsonBody<T> {
    /// The body, or why it does not fit: 415 not JSON, 413 too large, 400 malformed, 422 with the
    /// fields that do not fit.
    pub fn parse(self) -> Result<Parsed<T>, ApiError> {
        Ok(Parsed {
            value: self.parsed?,
            fingerprint: self.fingerprint,
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let is_json = req.mime_type().ok().flatten().is_some_and(|mime| {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        });
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let unread = |error: ApiError| Self {
                parsed: Err(error),
                fingerprint: String::new(),
            };
            if !is_json {
                return Ok(unread(unsupported_media_type()));
            }
            let bytes = match bytes.await {
                Ok(bytes) => bytes,
                Err(error)
                    if error.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE =>
                {
                    return Ok(unread(ApiError::status(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
                    )));
                }
                Err(error) => {
                    return Ok(unread(ApiError::bad_request(
                        "unreadable_body",
                        format!("the request body could not be read: {error}"),
                    )));
                }
            };
            Ok(Self {
                parsed: parse_json(&bytes),
                fingerprint: digest(&bytes),
            })
        })
    }
}

fn hex_string(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn request(peer: &str, forwarded: &[&str]) -> HttpRequest {
        let mut request = TestRequest::default().peer_addr(peer.parse().unwrap());
        for value in forwarded {
            request = request.append_header((header::X_FORWARDED_FOR, *value));
        }
        request.to_http_request()
    }

    fn networks(list: &[&str]) -> Vec<ipnet::IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn without_trusted_proxies_the_client_is_the_peer_whatever_the_header_says() {
        let req = request("198.51.100.9:5000", &["203.0.113.1"]);
        assert_eq!(client_address(&req, &[]), ip("198.51.100.9"));
        let proxies = networks(&["10.0.0.0/8"]);
        assert_eq!(client_address(&req, &proxies), ip("198.51.100.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_nearest_untrusted_hop() {
        let proxies = networks(&["10.0.0.0/8"]);
        // The client wrote "1.1.1.1" itself; the outer proxy appended the client's real address,
        // the inner proxy the outer one's.
        let req = request("10.0.0.2:5000", &["1.1.1.1, 203.0.113.7", "10.0.0.1:443"]);
        assert_eq!(client_address(&req, &proxies), ip("203.0.113.7"));
        let v6 = request("10.0.0.2:5000", &["[2001:db8::7]:4711"]);
        assert_eq!(client_address(&v6, &proxies), ip("2001:db8::7"));
        // No header, or one that is not an address: the last hop believed.
        assert_eq!(
            client_address(&request("10.0.0.2:5000", &[]), &proxies),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(&request("10.0.0.2:5000", &["unknown"]), &proxies),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn an_ipv4_peer_mapped_into_ipv6_is_shown_as_ipv4() {
        let req = request("[::ffff:198.51.100.9]:5000", &[]);
        assert_eq!(client_address(&req, &[]), ip("198.51.100.9"));
    }
}
