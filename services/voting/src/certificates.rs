//! Checking a result certificate: the tally and the hash are recomputed from the certificate
//! alone, so anyone holding one can tell whether it holds, without the platform's data.

use actix_web::{HttpResponse, post};
use serde::Serialize;
use workout_domain::voting::{Certificate, CertificateError, Discrepancy};
use workout_http::{ApiError, Caller, JsonBody};

/// What the check found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CertificateCheck {
    /// Whether the certificate holds: its result is what its rule, voters and votes give, and its
    /// hash is the SHA-256 of its canonical text.
    pub holds: bool,
    /// Why not: each discrepancy found.
    pub discrepancies: Vec<Discrepancy>,
    /// Why it could not be tallied at all, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untallied: Option<String>,
}

/// Checks `certificate`.
pub fn check(certificate: &Certificate) -> CertificateCheck {
    match certificate.verify() {
        Ok(()) => CertificateCheck {
            holds: true,
            discrepancies: Vec::new(),
            untallied: None,
        },
        Err(CertificateError::DoesNotHold(discrepancies)) => CertificateCheck {
            holds: false,
            discrepancies,
            untallied: None,
        },
        Err(CertificateError::Untallied(error)) => CertificateCheck {
            holds: false,
            discrepancies: Vec::new(),
            untallied: Some(error.to_string()),
        },
    }
}

/// `POST /voting/v1/certificates/verify` (any signed-in user): recomputes the tally and the hash
/// of the certificate in the body and says whether it holds (200 either way).
#[utoipa::path(tag = "ballots", security(("bearer" = [])),
    request_body = Certificate,
    responses((status = 200, body = CertificateCheck), (status = 422, body = workout_http::Problem)))]
#[post("/v1/certificates/verify")]
pub async fn verify_certificate(
    _caller: Caller,
    body: JsonBody<Certificate>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    Ok(HttpResponse::Ok().json(check(&body.value)))
}
