//! Operational endpoints and process setup shared by every service: liveness, Prometheus metrics,
//! the OpenAPI document and its offline docs page, and logging.
//!
//! Rules: `/healthz` answers while the process runs; readiness (which needs the database) lives in
//! the store kit; metrics are process-wide (one recorder per process, whatever the number of
//! services mounted in it); the docs page's assets are compiled into the binary.

use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// The answer of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` when healthy.
    pub status: &'static str,
}

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

fn metrics_handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::warn!(error.cause = %error, "metrics recorder not installed");
                None
            }
        })
        .as_ref()
}

/// Installs the process-wide metrics recorder (idempotent).
pub fn install_metrics() {
    let _ = metrics_handle();
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics() -> HttpResponse {
    let body = metrics_handle()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

/// Mounts the process-level endpoints: `/healthz` and `/metrics`.
pub fn process_endpoints(cfg: &mut web::ServiceConfig) {
    install_metrics();
    cfg.route("/healthz", web::get().to(healthz))
        .route("/metrics", web::get().to(metrics));
}

/// Mounts `/<service>/openapi.json` and the docs page at `/<service>/docs/`; the document gets the
/// bearer scheme and the problems every operation can answer ([`ProblemResponses`]).
pub fn api_docs(cfg: &mut web::ServiceConfig, service: &str, mut openapi: OpenApi) {
    use utoipa::Modify;
    BearerAuth.modify(&mut openapi);
    ProblemResponses.modify(&mut openapi);
    // No outside call from a bank's network: Swagger UI's online validator is off.
    cfg.service(
        SwaggerUi::new(format!("/{service}/docs/{{_:.*}}"))
            .url(format!("/{service}/openapi.json"), openapi)
            .config(utoipa_swagger_ui::Config::default().validator_url("none")),
    );
}

/// Starts logging: `RUST_LOG` filters (default `info`); `json` for JSON lines (`LOG_FORMAT`).
pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

/// OpenAPI modifier that declares the `bearer` security scheme (JWT access tokens).
pub struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// OpenAPI modifier that documents what every operation shares, so that no operation lists it by
/// hand: its path parameters (taken from the path template: `…_id` are UUIDs, `date` a date,
/// anything else a string), the `Idempotency-Key` header of every POST, and the problems it can
/// answer: 400 (malformed JSON, a bad path or query value), 401 (secured operations),
/// 404 (operations with path parameters), 413, 415 and 422 (operations with a body), 500 and 503
/// (any). Problems an operation declares itself (403, 409, 412, 428, …) are kept. Every problem
/// is documented as `application/problem+json` with the [`crate::Problem`] schema, and every
/// response gets a description (the status's reason phrase when the operation gave none).
pub struct ProblemResponses;

impl ProblemResponses {
    fn problem(description: &str) -> utoipa::openapi::Response {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        ResponseBuilder::new()
            .description(description)
            .content(
                crate::problem::PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    }

    fn parameters(path: &str, post: bool, operation: &mut utoipa::openapi::path::Operation) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        use utoipa::openapi::{RefOr, Required};
        let declared: Vec<String> = operation
            .parameters
            .iter()
            .flatten()
            .filter_map(|p| match p {
                RefOr::T(p) => Some(p.name.clone()),
                RefOr::Ref(_) => None,
            })
            .collect();
        let string = |format: Option<KnownFormat>| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(format.map(SchemaFormat::KnownFormat))
                .build()
        };
        let mut added = Vec::new();
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .filter(|name| !declared.iter().any(|d| d == name))
        {
            let format = if name.ends_with("_id") {
                Some(KnownFormat::Uuid)
            } else if name == "date" {
                Some(KnownFormat::Date)
            } else {
                None
            };
            added.push(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(string(format)))
                    .build(),
            );
        }
        if post && !declared.iter().any(|d| d == "Idempotency-Key") {
            added.push(
                ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "1 to 255 visible ASCII characters; a retry with the same key replays \
                         the first answer and changes nothing",
                    ))
                    .schema(Some(string(None)))
                    .build(),
            );
        }
        if !added.is_empty() {
            let parameters = operation.parameters.get_or_insert_with(Vec::new);
            // Path parameters first, in template order, as a reader expects.
            let rest = std::mem::take(parameters);
            parameters.extend(added.into_iter().map(RefOr::T));
            parameters.extend(rest);
        }
    }

    fn fix(path: &str, operation: &mut utoipa::openapi::path::Operation) {
        use utoipa::openapi::RefOr;
        let has_body = operation.request_body.is_some();
        let has_params =
            path.contains('{') || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
        let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
        let mut added: Vec<(u16, &str)> = vec![
            (
                500,
                "Unexpected failure; the cause is logged with the request id",
            ),
            (
                503,
                "A dependency (database, registry) is unavailable; retry",
            ),
        ];
        if has_body || has_params {
            added.push((
                400,
                "Malformed request: invalid JSON, or a bad path or query value",
            ));
        }
        if secured {
            added.push((401, "No, an expired or an invalid access token"));
        }
        if path.contains('{') {
            added.push((
                404,
                "Not found, or not visible to the caller (outsiders get 404, never 403)",
            ));
        }
        if has_body {
            added.push((413, "The body is larger than 256 KiB"));
            added.push((415, "The body is not of the documented media type"));
            added.push((
                422,
                "The body does not fit: validation_failed with errors[] naming each field",
            ));
        }
        let responses = &mut operation.responses.responses;
        for (status, description) in added {
            responses
                .entry(status.to_string())
                .or_insert_with(|| RefOr::T(Self::problem(description)));
        }
        for (status, response) in responses.iter_mut() {
            let RefOr::T(response) = response else {
                continue;
            };
            if response.description.is_empty() {
                response.description = status
                    .parse::<u16>()
                    .ok()
                    .and_then(|s| actix_web::http::StatusCode::from_u16(s).ok())
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Answer")
                    .to_owned();
            }
            let is_problem = status.starts_with('4') || status.starts_with('5');
            if is_problem && let Some(content) = response.content.shift_remove("application/json") {
                response
                    .content
                    .insert(crate::problem::PROBLEM_JSON.to_owned(), content);
            }
        }
    }
}

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            if let Some(post) = item.post.as_mut() {
                Self::parameters(path, true, post);
            }
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                Self::parameters(path, false, operation);
            }
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                Self::fix(path, operation);
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .schemas
            .entry("Problem".to_owned())
            .or_insert_with(<crate::Problem as utoipa::PartialSchema>::schema);
        components
            .schemas
            .entry("FieldError".to_owned())
            .or_insert_with(<crate::FieldError as utoipa::PartialSchema>::schema);
    }
}
