//! Where a process listens: the public listener (`BIND_ADDR`) and, when `INTERNAL_BIND_ADDR` is
//! set, an internal one, so that a public ingress never routes to the internal surfaces.
//!
//! Rules: the internal surfaces are every service's `/<service>/v1/internal/…` (what services ask
//! each other with service tokens) and `/metrics`. With an internal listener, the public listener
//! answers 404 `route_not_found` for them, exactly as for a path no endpoint serves, so it does not
//! even tell that they exist; the internal listener serves every route, because it is also where
//! the services call each other (keys, service tokens, sessions, event intake): `REGISTRY_URL` and
//! the default event subscriber then point at it. Without one (the local default), one listener
//! serves everything. The rule reads the path as the router matches it (percent-decoded), so an
//! encoded spelling of `internal` is kept out too.

use std::net::{SocketAddr, TcpListener};

use actix_web::HttpResponse;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use anyhow::Context as _;

use crate::Settings;

/// The sockets a process serves on.
#[derive(Debug)]
pub struct Listeners {
    /// `BIND_ADDR`: what an ingress may route to.
    pub public: TcpListener,
    /// `INTERNAL_BIND_ADDR`: the internal surfaces (and every other route), for the services and
    /// the metrics scraper only.
    pub internal: Option<TcpListener>,
}

impl Listeners {
    /// The public listener's address.
    pub fn public_address(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.public.local_addr()?)
    }

    /// The internal listener's address, when there is one.
    pub fn internal_address(&self) -> anyhow::Result<Option<SocketAddr>> {
        self.internal
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()
            .context("the internal listener's address")
    }

    /// Where the services of this process reach each other: the internal listener when there is
    /// one, else the public one.
    pub fn services_address(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.internal_address()?.unwrap_or(self.public_address()?))
    }
}

/// Binds `settings.bind` and, when set, `settings.internal_bind` (port 0 picks a free port).
pub fn bind(settings: &Settings) -> anyhow::Result<Listeners> {
    let public =
        TcpListener::bind(&settings.bind).with_context(|| format!("binding {}", settings.bind))?;
    let internal = settings
        .internal_bind
        .as_ref()
        .map(|addr| {
            TcpListener::bind(addr).with_context(|| format!("binding INTERNAL_BIND_ADDR {addr}"))
        })
        .transpose()?;
    Ok(Listeners { public, internal })
}

/// Whether `path` (as the router matches it) is an internal surface: `/metrics`, or
/// `/<service>/<version>/internal` and below.
pub fn is_internal_surface(path: &str) -> bool {
    if path == "/metrics" || path.starts_with("/metrics/") {
        return true;
    }
    let mut segments = path.split('/').skip(1);
    matches!(
        (segments.next(), segments.next(), segments.next()),
        (Some(service), Some(version), Some("internal"))
            if !service.is_empty() && version.starts_with('v')
    )
}

/// Middleware: when there is an `internal` listener, an internal surface reached through any other
/// listener answers a plain 404 (made problem+json by the boundary, as for an unknown route).
pub async fn keep_internal_apart(
    internal: Option<SocketAddr>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let elsewhere =
        internal.is_some_and(|internal| req.request().app_config().local_addr() != internal);
    if elsewhere && is_internal_surface(req.match_info().as_str()) {
        let response = HttpResponse::NotFound().finish();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::is_internal_surface;

    #[test]
    fn internal_surfaces_are_the_metrics_and_every_services_internal_paths() {
        for path in [
            "/metrics",
            "/registry/v1/internal/workouts/1/members/2",
            "/registry/v1/internal",
            "/voting/v2/internal/x",
        ] {
            assert!(is_internal_surface(path), "{path}");
        }
        for path in [
            "/healthz",
            "/registry/healthz",
            "/registry/v1/workouts/1/audit",
            "/registry/v1/institutions/internal",
            "/notifications/v1/events",
            "/metricsx",
            "/internal",
            "//v1/internal",
        ] {
            assert!(!is_internal_surface(path), "{path}");
        }
    }
}
