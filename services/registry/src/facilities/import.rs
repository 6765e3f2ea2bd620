//! Importing a creditor's schedule of facilities as CSV (`text/csv`).
//!
//! Rules: every row is checked first; if any is bad, nothing is written and the answer (422) lists
//! every bad row as `line N` or `line N: column`. Rows with a new reference create facilities;
//! rows with an existing one replace the columns the CSV has (a new version, the old one kept):
//! the facility's collateral and guarantees, which the CSV has no columns for, stay unless the
//! request asks to drop them.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use workout_domain::{FacilityTerms, RegistryTopic, WorkoutId, parse_facility_csv};
use workout_http::{ApiError, FieldError};
use workout_store::Reply;

use super::creditor_of;
use super::terms::classes_of;
use super::versions::{Facility, facilities_at, write_version};
use crate::workouts::membership::Decider;

/// The answer to an import.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Facilities created.
    pub created: usize,
    /// Facilities whose terms were replaced (same reference).
    pub updated: usize,
    /// The facilities as now in force.
    pub facilities: Vec<Facility>,
}

/// `?drop_security=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Drop the collateral and guarantees of the facilities the file updates (default: keep them;
    /// the CSV has no columns for them).
    #[serde(default)]
    pub drop_security: bool,
}

/// `POST /registry/v1/workouts/{workout_id}/facilities/import` (creditor, `text/csv`): the
/// creditor's schedule. Rows with a new reference create facilities; rows with an existing one
/// replace the columns the CSV has, and keep the facility's collateral and guarantees unless
/// `?drop_security=true`. Every row is checked first; if any is bad, nothing is written and the
/// answer (422) lists every bad row.
#[utoipa::path(tag = "facilities", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv",
        description = "Header: reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees_and_penalties,secured,class,related_party"),
    params(ImportQuery),
    responses((status = 200, body = ImportResult), (status = 403, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/facilities/import")]
pub async fn import_facilities(
    decider: Decider,
    path: web::Path<WorkoutId>,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let is_csv = decider
        .req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    if !is_csv {
        return Err(ApiError::status(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the schedule as text/csv",
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("invalid_encoding", "the CSV must be UTF-8"))?;
    if let Some(at) = text.find(workout_http::boundary::is_forbidden_control) {
        let line = text[..at].matches('\n').count() + 1;
        return Err(ApiError::Validation(vec![FieldError::new(
            format!("line {line}"),
            "contains a control character (only tab and line breaks are allowed)",
        )]));
    }
    let fingerprint = workout_http::boundary::digest(&body);
    decider
        .decide(&fingerprint, workout, None, async |conn, member| {
            let creditor = creditor_of(&member)?;
            let rows = match parse_facility_csv(text, &classes_of(&member)) {
                Ok(rows) => rows,
                Err(issues) => {
                    // One field error per bad row: `field` is `line N` or `line N: column`.
                    return Err(ApiError::Validation(
                        issues
                            .into_iter()
                            .map(|issue| {
                                let at = match issue.field {
                                    Some(column) => format!("line {}: {column}", issue.line),
                                    None => format!("line {}", issue.line),
                                };
                                FieldError::new(at, issue.message)
                            })
                            .collect(),
                    ));
                }
            };
            // The creditor's facilities as they stand, whose security a row keeps.
            let current: BTreeMap<String, FacilityTerms> = facilities_at(
                conn,
                workout,
                Some(creditor),
                None,
                &classes_of(&member),
                None,
            )
            .await?
            .into_iter()
            .map(|f| (f.terms.reference().to_owned(), f.terms))
            .collect();
            let (mut created, mut updated, mut written) = (0, 0, Vec::new());
            for row in rows {
                let terms = match current.get(row.reference()) {
                    Some(current) if !query.drop_security => row.keeping_security_of(current),
                    _ => row,
                };
                let (before, after) = write_version(
                    conn,
                    workout,
                    creditor,
                    &terms,
                    None,
                    decider.caller.user_id.into_uuid(),
                )
                .await?;
                if after.version == 1 {
                    created += 1;
                } else {
                    updated += 1;
                }
                member
                    .record(conn, RegistryTopic::FacilityChanged, before, &after)
                    .await?;
                written.push(after);
            }
            Reply::ok(&ImportResult {
                created,
                updated,
                facilities: written,
            })
        })
        .await
}
