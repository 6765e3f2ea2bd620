//! Importing a creditor's schedule of facilities as CSV (`text/csv`).
//!
//! Rules: the request states its mode, `?mode=merge` or `?mode=replace` (without one it answers
//! 400 `import_mode_required`: a schedule that silently merged where its sender meant to replace,
//! or the other way round, would misstate the creditor's claims). Every row is checked first; if
//! any is bad, nothing is written and the answer (422) lists every bad row as `line N` or
//! `line N: column`. Rows with a new reference create facilities; rows with an existing one
//! replace the columns the CSV has (a new version, the old one kept): the facility's collateral
//! and guarantees, which the CSV has no columns for, stay unless the request asks to drop them.
//! In `replace` mode the file is the creditor's whole schedule: each of its facilities in force
//! whose reference the file does not have is withdrawn, in the same transaction, with the reason
//! [`REPLACED_REASON`], audited and announced like any withdrawal. Another creditor's facilities
//! are never touched. A schedule may have the 5,000 rows the domain allows: this endpoint reads
//! bodies up to [`MAX_IMPORT_BYTES`] (4 MiB), above the platform's 256 KiB for JSON bodies.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use workout_domain::facility::{MAX_CSV_BYTES, MAX_CSV_ROWS};
use workout_domain::registry_api::events::FacilityWithdrawn;
use workout_domain::{RegistryTopic, RowIssue, WorkoutId, parse_facility_csv};
use workout_http::Query;
use workout_http::{ApiError, FieldError};
use workout_store::Reply;

use super::creditor_of;
use super::terms::classes_of;
use super::versions::{Facility, facilities_at, write_versions, write_withdrawal};
use crate::cooperation::watch::today_in;
use crate::workouts::membership::Decider;

/// The largest schedule this endpoint reads, in bytes: 4 MiB. It is the one endpoint whose body
/// may exceed the platform's JSON limit ([`workout_http::boundary::MAX_BODY_BYTES`], 256 KiB),
/// because a creditor's schedule may have [`MAX_CSV_ROWS`] rows: a file of that many rows, each
/// value as long as a valid value can be, is [`MAX_CSV_BYTES`] (about 3.07 MB), and a file of
/// ordinary rows (about 100 bytes) with far more rows than allowed still fits, so that it gets the
/// clearer answer "more than 5000 data rows; split it" rather than this limit's 413.
pub const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

const _: () = assert!(MAX_IMPORT_BYTES >= MAX_CSV_BYTES);

/// One field error per bad row: `field` is `line N` or `line N: column`.
pub(super) fn row_errors(issues: Vec<RowIssue>) -> ApiError {
    ApiError::Validation(
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
    )
}

/// A `text/csv` request body (415 otherwise), up to [`MAX_IMPORT_BYTES`].
pub(super) async fn read_csv_body(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<web::BytesMut, ApiError> {
    let is_csv = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    if !is_csv {
        return Err(ApiError::status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file as text/csv",
        ));
    }
    read_schedule(payload).await
}

/// The body as UTF-8 text without control characters (but tab and line breaks).
pub(super) fn csv_text(body: &[u8]) -> Result<&str, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("invalid_encoding", "the CSV must be UTF-8"))?;
    if let Some(at) = text.find(workout_http::boundary::is_forbidden_control) {
        let line = text[..at].matches('\n').count() + 1;
        return Err(ApiError::Validation(vec![FieldError::new(
            format!("line {line}"),
            "contains a control character (only tab and line breaks are allowed)",
        )]));
    }
    Ok(text)
}

/// The request body, up to [`MAX_IMPORT_BYTES`] (413 `payload_too_large` beyond).
async fn read_schedule(mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    let too_large = || {
        ApiError::status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "a schedule is at most {MAX_IMPORT_BYTES} bytes (4 MiB) and {MAX_CSV_ROWS} rows; \
                 split it into several files and import them with mode=merge"
            ),
        )
    };
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::bad_request(
                "unreadable_body",
                format!("the request body could not be read: {error}"),
            )
        })?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The reason recorded for a facility that a `replace` import withdraws.
pub const REPLACED_REASON: &str = "not in the schedule its creditor imported with mode=replace";

/// What an import does with the creditor's facilities that the file does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Keep them: the file adds and updates facilities only.
    Merge,
    /// Withdraw them: the file is the creditor's whole schedule.
    Replace,
}

/// The answer to an import.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Facilities created.
    pub created: usize,
    /// Facilities whose terms were replaced (same reference).
    pub updated: usize,
    /// Facilities withdrawn because the file left them out (`replace` mode only).
    pub withdrawn: usize,
    /// The facilities as now in force.
    pub facilities: Vec<Facility>,
    /// The references of the withdrawn facilities, sorted.
    pub withdrawn_references: Vec<String>,
}

/// `?mode=&drop_security=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `merge`: rows add and update facilities, the others stay; `replace`: the file is the
    /// creditor's whole schedule, and its facilities in force that the file does not list are
    /// withdrawn. Required.
    #[param(required = true, inline, value_type = ImportMode)]
    pub mode: Option<ImportMode>,
    /// Drop the collateral and guarantees of the facilities the file updates (default: keep them;
    /// the CSV has no columns for them).
    #[serde(default)]
    pub drop_security: bool,
}

/// `POST /registry/v1/workouts/{workout_id}/facilities/import?mode=merge|replace` (creditor,
/// `text/csv`): the creditor's schedule. Rows with a new reference create facilities; rows with an
/// existing one replace the columns the CSV has, and keep the facility's collateral and guarantees
/// unless `?drop_security=true`. With `mode=replace`, the creditor's facilities in force that the
/// file does not list are withdrawn. Every row is checked first; if any is bad, nothing is written
/// and the answer (422) lists every bad row.
#[utoipa::path(tag = "facilities", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv",
        description = "Header: reference,facility_type,currency,committed,outstanding_principal,accrued_interest,days_past_due,fees_and_penalties,secured,class,related_party and, optional (a missing column or an empty value takes its default), past_due_principal,past_due_interest,past_due_fees (0),penalties (0),position_date (today in the workout's calendar),past_due (their sum; alone only 0)"),
    params(ImportQuery),
    responses((status = 200, body = ImportResult), (status = 403, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/facilities/import")]
pub async fn import_facilities(
    decider: Decider,
    path: web::Path<WorkoutId>,
    query: Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let body = read_csv_body(&decider.req, payload).await?;
    let text = csv_text(&body)?;
    let fingerprint = workout_http::boundary::digest(&body);
    decider
        .decide(&fingerprint, workout, None, async |conn, member| {
            let creditor = creditor_of(&member)?;
            let mode = query.mode.ok_or_else(|| {
                ApiError::bad_request(
                    "import_mode_required",
                    "state the import's mode: ?mode=merge (rows add and update facilities, the \
                     others stay) or ?mode=replace (the file is your whole schedule; your \
                     facilities it does not list are withdrawn)",
                )
            })?;
            let today = today_in(&member.workout.calendar)?;
            let rows = parse_facility_csv(text, &classes_of(&member), today).map_err(row_errors)?;
            // The creditor's facilities as they stand: a row keeps their security, and in
            // `replace` mode those the file leaves out are withdrawn.
            let current: BTreeMap<String, Facility> = facilities_at(
                conn,
                workout,
                Some(creditor),
                None,
                &classes_of(&member),
                None,
            )
            .await?
            .into_iter()
            .map(|f| (f.terms.reference().to_owned(), f))
            .collect();
            let listed: BTreeSet<String> =
                rows.iter().map(|row| row.reference().to_owned()).collect();
            let rows: Vec<_> = rows
                .into_iter()
                .map(|row| match current.get(row.reference()) {
                    Some(current) if !query.drop_security => {
                        row.keeping_security_of(&current.terms)
                    }
                    _ => row,
                })
                .collect();
            let items: Vec<_> = rows.iter().map(|terms| (terms, None)).collect();
            let versions = write_versions(
                conn,
                workout,
                creditor,
                &items,
                decider.caller.user_id.into_uuid(),
            )
            .await?;
            let (mut created, mut updated, mut written) = (0, 0, Vec::new());
            for (before, after) in versions {
                if after.version == 1 {
                    created += 1;
                } else {
                    updated += 1;
                }
                member
                    .record_position(
                        conn,
                        RegistryTopic::FacilityChanged,
                        Some(creditor),
                        before,
                        &after,
                    )
                    .await?;
                written.push(after);
            }
            let mut withdrawn_references = Vec::new();
            if mode == ImportMode::Replace {
                let left_out = current
                    .values()
                    .filter(|f| !listed.contains(f.terms.reference()));
                for facility in left_out {
                    let (version, _, before) = write_withdrawal(
                        conn,
                        facility.id,
                        Some(facility.version),
                        REPLACED_REASON,
                        decider.caller.user_id.into_uuid(),
                    )
                    .await?;
                    let after = FacilityWithdrawn {
                        id: facility.id,
                        version,
                        withdrawn: true,
                        reason: REPLACED_REASON.to_owned(),
                    };
                    member
                        .record_position(
                            conn,
                            RegistryTopic::FacilityWithdrawn,
                            Some(creditor),
                            Some(before),
                            &after,
                        )
                        .await?;
                    // In reference order: `current` is sorted by reference.
                    withdrawn_references.push(facility.terms.reference().to_owned());
                }
            }
            Reply::ok(&ImportResult {
                created,
                updated,
                withdrawn: withdrawn_references.len(),
                facilities: written,
                withdrawn_references,
            })
        })
        .await
}
