//! Importing the collateral and guarantees of a creditor's facilities as a second CSV
//! (`text/csv`), since the schedule has no columns for them.
//!
//! Rules: one row per collateral item or guarantee, naming the facility by its reference (see
//! [`workout_domain::facility::parse_security_csv`] for the columns). Each facility the file names
//! gets exactly the file's items (a `none` row: neither), as a new version; the creditor's
//! facilities the file does not name keep theirs. Every reference must name one of the caller's
//! facilities in force; every guarantor must take part in the workout as a guarantor; every
//! amount is checked as in the facility's terms (its currency's minor unit, not negative, a
//! guarantee above 0). Every row is checked first; if any is bad, nothing is written and the answer (422)
//! lists every bad row as `line N: column`. Bodies up to 4 MiB, 5,000 rows.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, post, web};
use workout_domain::facility::{CoverItem, CoverRow, parse_security_csv};
use workout_domain::{
    Collateral, GuaranteeCover, InstitutionId, ParticipantRole, RegistryTopic, RowIssue, WorkoutId,
};
use workout_http::ApiError;
use workout_store::Reply;

use super::creditor_of;
use super::import::{csv_text, read_csv_body, row_errors};
use super::terms::classes_of;
use super::versions::{Facility, facilities_at, write_versions};
use crate::workouts::membership::{Decider, roles_of};

/// The answer to a security import.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SecurityImportResult {
    /// Facilities whose collateral and guarantees were replaced.
    pub updated: usize,
    /// Those facilities as now in force.
    pub facilities: Vec<Facility>,
}

/// One facility's items from the file, with the line of each.
#[derive(Default)]
struct Cover {
    collateral: Vec<(usize, Collateral)>,
    guarantees: Vec<(usize, GuaranteeCover)>,
}

/// `POST /registry/v1/workouts/{workout_id}/facilities/security/import` (creditor, `text/csv`):
/// the collateral and guarantees of the facilities the file names, which replace theirs; the
/// creditor's other facilities keep theirs. Every row is checked first; if any is bad, nothing is
/// written and the answer (422) lists every bad row.
#[utoipa::path(tag = "facilities", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv",
        description = "Header: reference,cover,kind,description,amount,currency,valued_on,ranking,guarantor (cover: collateral, guarantee or none)"),
    responses((status = 200, body = SecurityImportResult), (status = 403, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/facilities/security/import")]
pub async fn import_security(
    decider: Decider,
    path: web::Path<WorkoutId>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let body = read_csv_body(&decider.req, payload).await?;
    let text = csv_text(&body)?;
    let fingerprint = workout_http::boundary::digest(&body);
    decider
        .decide(&fingerprint, workout, None, async |conn, member| {
            let creditor = creditor_of(&member)?;
            let rows = parse_security_csv(text).map_err(row_errors)?;
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
            let mut issues = Vec::new();
            let issue = |line: usize, field: &str, message: String| RowIssue {
                line,
                field: Some(field.to_owned()),
                message,
            };
            let mut covers: BTreeMap<String, Cover> = BTreeMap::new();
            let mut guarantors: BTreeMap<InstitutionId, Vec<usize>> = BTreeMap::new();
            for CoverRow {
                line,
                reference,
                item,
            } in rows
            {
                if !current.contains_key(&reference) {
                    issues.push(issue(
                        line,
                        "reference",
                        format!("{reference:?} is not one of your facilities in force"),
                    ));
                    continue;
                }
                let cover = covers.entry(reference).or_default();
                match item {
                    CoverItem::Collateral(item) => cover.collateral.push((line, item)),
                    CoverItem::Guarantee(item) => {
                        guarantors.entry(item.guarantor).or_default().push(line);
                        cover.guarantees.push((line, item));
                    }
                    CoverItem::None => {}
                }
            }
            for (guarantor, lines) in guarantors {
                if !roles_of(conn, workout, guarantor)
                    .await?
                    .contains(&ParticipantRole::Guarantor)
                {
                    for line in lines {
                        issues.push(issue(
                            line,
                            "guarantor",
                            "is not a guarantor taking part in this workout".to_owned(),
                        ));
                    }
                }
            }
            let mut terms = Vec::new();
            for (reference, cover) in covers {
                let Some(facility) = current.get(&reference) else {
                    continue;
                };
                let lines_of = |field: &str| -> Option<usize> {
                    // `collateral[i].x` or `guarantees[i].x`: the line of item i.
                    let (list, rest) = field.split_once('[')?;
                    let index: usize = rest.split_once(']')?.0.parse().ok()?;
                    match list {
                        "collateral" => cover.collateral.get(index).map(|(line, _)| *line),
                        "guarantees" => cover.guarantees.get(index).map(|(line, _)| *line),
                        _ => None,
                    }
                };
                let collateral = cover.collateral.iter().map(|(_, c)| c.clone()).collect();
                let guarantees = cover.guarantees.iter().map(|(_, g)| *g).collect();
                match facility.terms.with_security(collateral, guarantees) {
                    Ok(new) => terms.push((new, facility.version)),
                    Err(problems) => {
                        for problem in problems {
                            // The item's own column: a valuation or amount is `amount` here.
                            let column = match problem.field.rsplit('.').next() {
                                Some("valuation") => "amount",
                                Some(column) if problem.field.contains('.') => column,
                                _ => "reference",
                            };
                            let line = lines_of(&problem.field).unwrap_or_else(|| {
                                cover
                                    .collateral
                                    .first()
                                    .map(|(line, _)| *line)
                                    .or_else(|| cover.guarantees.first().map(|(line, _)| *line))
                                    .unwrap_or(1)
                            });
                            issues.push(issue(line, column, problem.message));
                        }
                    }
                }
            }
            if !issues.is_empty() {
                issues.sort_by_key(|issue| issue.line);
                return Err(row_errors(issues));
            }
            let items: Vec<_> = terms
                .iter()
                .map(|(terms, version)| (terms, Some(*version)))
                .collect();
            let written = write_versions(
                conn,
                workout,
                creditor,
                &items,
                decider.caller.user_id.into_uuid(),
            )
            .await?;
            let mut facilities = Vec::with_capacity(written.len());
            for (before, after) in written {
                member
                    .record_position(
                        conn,
                        RegistryTopic::FacilityChanged,
                        Some(creditor),
                        before,
                        &after,
                    )
                    .await?;
                facilities.push(after);
            }
            Reply::ok(&SecurityImportResult {
                updated: facilities.len(),
                facilities,
            })
        })
        .await
}
