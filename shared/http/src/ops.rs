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

/// Mounts `/<service>/openapi.json` and the docs page at `/<service>/docs/`.
pub fn api_docs(cfg: &mut web::ServiceConfig, service: &str, openapi: OpenApi) {
    cfg.service(
        SwaggerUi::new(format!("/{service}/docs/{{_:.*}}"))
            .url(format!("/{service}/openapi.json"), openapi),
    );
}

/// Starts logging: `RUST_LOG` filters (default `info`), `LOG_FORMAT=json` for JSON lines.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
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
