//! Creditors' facilities in a workout, with a dated history.
//!
//! Rules: a creditor enters and edits only its own facilities (another creditor's facility answers
//! 404); every edit closes the current version and opens a new one at the same instant, so the
//! terms in force at the end of any past date can be read back (`?as_of=`); an edit must name the
//! version it replaces (`If-Match`), a stale one answers 412. The coordinator and the borrower see
//! every creditor's facilities; a creditor sees its own; other participants get 403. A CSV schedule
//! is validated whole and written whole: one bad row and nothing is written. Facility changes are
//! audited on the workout's chain and announced as `registry.facility_changed`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Days, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{
    Action, CreditorClass, FacilityInput, FacilityTerms, ParticipantRole, PositionView,
    RegistryTopic, parse_facility_csv,
};
use workout_http::precondition::{check_version, etag, if_match};
use workout_http::{ApiError, Caller, FieldError, JsonBody, Page, PageQuery, Window};
use workout_store::Reply;
use workout_store::record::to_json;

use crate::RegistryState;
use crate::schema::{facilities, facility_versions};
use crate::workouts::{Membership, decide, membership};

/// A facility as answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Facility {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// The creditor holding it.
    pub creditor_id: Uuid,
    /// The version of these terms (send it back in `If-Match` to edit).
    pub version: i32,
    /// When these terms took effect.
    pub valid_from: DateTime<Utc>,
    /// When they were replaced (absent: current).
    pub valid_to: Option<DateTime<Utc>>,
    /// The terms.
    pub terms: FacilityTerms,
    /// `outstanding_principal + accrued_interest + fees_and_penalties`, in the facility's currency.
    pub exposure: workout_domain::Money,
}

/// The columns of a [`VersionRow`].
const VERSION_COLUMNS: (
    facilities::id,
    facilities::workout_id,
    facilities::creditor_id,
    facility_versions::version,
    facility_versions::valid_from,
    facility_versions::valid_to,
    facility_versions::terms,
) = (
    facilities::id,
    facilities::workout_id,
    facilities::creditor_id,
    facility_versions::version,
    facility_versions::valid_from,
    facility_versions::valid_to,
    facility_versions::terms,
);

type VersionRow = (
    Uuid,
    Uuid,
    Uuid,
    i32,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<serde_json::Value>,
);

fn classes_of(member: &Membership) -> Vec<CreditorClass> {
    member
        .workout
        .classes
        .iter()
        .filter_map(|c| CreditorClass::parse(c).ok())
        .collect()
}

fn validate(input: &FacilityInput, classes: &[CreditorClass]) -> Result<FacilityTerms, ApiError> {
    input.validate(classes).map_err(|issues| {
        ApiError::Validation(
            issues
                .into_iter()
                .map(|i| FieldError::new(i.field, i.message))
                .collect(),
        )
    })
}

/// Every guarantee must name an active guarantor of the workout.
async fn check_guarantors(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    terms: &FacilityTerms,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, guarantee) in terms.guarantees().iter().enumerate() {
        let roles =
            crate::workouts::roles_of(conn, workout, guarantee.guarantor.into_uuid()).await?;
        if !roles.contains(&ParticipantRole::Guarantor) {
            errors.push(FieldError::new(
                format!("guarantees[{i}].guarantor"),
                "is not a guarantor taking part in this workout",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn stored_terms(
    value: serde_json::Value,
    classes: &[CreditorClass],
) -> Result<FacilityTerms, ApiError> {
    let input: FacilityInput = serde_json::from_value(value).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!("stored facility terms are unreadable: {e}"))
    })?;
    // Terms were valid when stored; a class later dropped from the workout must not hide them.
    let class = CreditorClass::parse(&input.class).ok();
    let mut allowed = classes.to_vec();
    allowed.extend(class);
    input.validate(&allowed).map_err(|issues| {
        ApiError::Internal(anyhow::anyhow!(
            "stored facility terms no longer validate: {issues:?}"
        ))
    })
}

fn to_facility(row: VersionRow, classes: &[CreditorClass]) -> Result<Option<Facility>, ApiError> {
    let (id, workout_id, creditor_id, version, valid_from, valid_to, terms) = row;
    let Some(terms) = terms else { return Ok(None) };
    let terms = stored_terms(terms, classes)?;
    Ok(Some(Facility {
        id,
        workout_id,
        creditor_id,
        version,
        valid_from,
        valid_to,
        exposure: terms.exposure(),
        terms,
    }))
}

/// The instant that ends `date` (UTC): "as of a date" reads the terms in force then.
pub fn end_of(date: NaiveDate) -> DateTime<Utc> {
    date.checked_add_days(Days::new(1))
        .unwrap_or(date)
        .and_hms_opt(0, 0, 0)
        .map_or_else(Utc::now, |t| t.and_utc())
}

/// Facilities of `workout` in force at `at` (current ones when `None`), of one creditor or all,
/// ordered by id; withdrawn ones are not in force. `window` reads one page.
pub async fn facilities_at(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    creditor: Option<Uuid>,
    at: Option<DateTime<Utc>>,
    classes: &[CreditorClass],
    window: Option<Window>,
) -> Result<Vec<Facility>, ApiError> {
    let mut query = facilities::table
        .inner_join(facility_versions::table)
        .filter(facilities::workout_id.eq(workout))
        .filter(facility_versions::terms.is_not_null())
        .order(facilities::id.asc())
        .select(VERSION_COLUMNS)
        .into_boxed();
    if let Some(window) = window {
        query = query
            .filter(facilities::id.gt(window.after))
            .limit(window.fetch());
    }
    if let Some(creditor) = creditor {
        query = query.filter(facilities::creditor_id.eq(creditor));
    }
    query = match at {
        None => query.filter(facility_versions::valid_to.is_null()),
        Some(at) => query.filter(facility_versions::valid_from.lt(at)).filter(
            facility_versions::valid_to
                .is_null()
                .or(facility_versions::valid_to.ge(at)),
        ),
    };
    let rows: Vec<VersionRow> = query.load(conn).await?;
    let mut out = Vec::new();
    for row in rows {
        out.extend(to_facility(row, classes)?);
    }
    Ok(out)
}

/// The caller's institution, which must be a creditor to enter facilities (403 otherwise).
fn creditor_of(member: &Membership) -> Result<Uuid, ApiError> {
    member.require(Action::EnterFacilities)?;
    Ok(member.institution.into_uuid())
}

/// Writes `terms` as the new current version of the creditor's facility with that reference
/// (creating the facility if new); `expected` is the version the caller replaces, if it named one.
async fn write_version(
    conn: &mut AsyncPgConnection,
    workout: Uuid,
    creditor: Uuid,
    terms: &FacilityTerms,
    expected: Option<i32>,
    recorded_by: Uuid,
) -> Result<(Option<serde_json::Value>, Facility), ApiError> {
    let now = Utc::now();
    let existing: Option<Uuid> = facilities::table
        .filter(facilities::workout_id.eq(workout))
        .filter(facilities::creditor_id.eq(creditor))
        .filter(facilities::reference.eq(terms.reference()))
        .select(facilities::id)
        .first(conn)
        .await
        .optional()?;
    let (id, version, before) = match existing {
        None => {
            let id = Uuid::now_v7();
            diesel::insert_into(facilities::table)
                .values((
                    facilities::id.eq(id),
                    facilities::workout_id.eq(workout),
                    facilities::creditor_id.eq(creditor),
                    facilities::reference.eq(terms.reference()),
                ))
                .execute(conn)
                .await?;
            (id, 1, None)
        }
        Some(id) => {
            let (version, before) = supersede(conn, id, expected, now).await?;
            (id, version, Some(before))
        }
    };
    diesel::insert_into(facility_versions::table)
        .values((
            facility_versions::facility_id.eq(id),
            facility_versions::version.eq(version),
            facility_versions::valid_from.eq(now),
            facility_versions::terms.eq(to_json(&terms.to_input())?),
            facility_versions::recorded_by.eq(recorded_by),
        ))
        .execute(conn)
        .await?;
    let after = Facility {
        id,
        workout_id: workout,
        creditor_id: creditor,
        version,
        valid_from: now,
        valid_to: None,
        exposure: terms.exposure(),
        terms: terms.clone(),
    };
    Ok((before, after))
}

/// Closes facility `id`'s current version at `now` (checking `expected` against it, if given);
/// returns the next version number and the closed version, as recorded for the audit.
async fn supersede(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(i32, serde_json::Value), ApiError> {
    let (version, valid_from, terms): (i32, DateTime<Utc>, Option<serde_json::Value>) =
        facility_versions::table
            .filter(facility_versions::facility_id.eq(id))
            .filter(facility_versions::valid_to.is_null())
            .select((
                facility_versions::version,
                facility_versions::valid_from,
                facility_versions::terms,
            ))
            .for_update()
            .first(conn)
            .await?;
    if let Some(expected) = expected {
        check_version("facility", expected, version)?;
    }
    diesel::update(facility_versions::table.find((id, version)))
        .set(facility_versions::valid_to.eq(now))
        .execute(conn)
        .await?;
    let closed = serde_json::json!({
        "id": id, "version": version, "valid_from": valid_from, "valid_to": now, "terms": terms,
    });
    Ok((version + 1, closed))
}

/// `POST /registry/v1/workouts/{workout_id}/facilities` (creditor, its own): a new facility.
#[utoipa::path(post, path = "/registry/v1/workouts/{workout_id}/facilities", tag = "facilities", security(("bearer" = [])),
    request_body = FacilityInput,
    responses((status = 201, body = Facility), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
pub async fn create_facility(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: JsonBody<FacilityInput>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    decide(
        &state,
        &req,
        &caller,
        &body.fingerprint,
        workout,
        None,
        async |conn, member| {
            let creditor = creditor_of(&member)?;
            let terms = validate(&body.value, &classes_of(&member))?;
            check_guarantors(conn, workout, &terms).await?;
            let taken: i64 = facilities::table
                .filter(facilities::workout_id.eq(workout))
                .filter(facilities::creditor_id.eq(creditor))
                .filter(facilities::reference.eq(terms.reference()))
                .count()
                .get_result(conn)
                .await?;
            if taken > 0 {
                return Err(ApiError::conflict(
                    "already_exists",
                    "you already have a facility with this reference; edit it instead",
                ));
            }
            let (_, facility) = write_version(
                conn,
                workout,
                creditor,
                &terms,
                None,
                caller.user_id.into_uuid(),
            )
            .await?;
            member
                .record(conn, RegistryTopic::FacilityChanged, None, &facility)
                .await?;
            Reply::created(
                format!("/registry/v1/workouts/{workout}/facilities/{}", facility.id),
                &facility,
            )
        },
    )
    .await
}

/// `PUT /registry/v1/workouts/{workout_id}/facilities/{facility_id}` (its creditor, `If-Match`):
/// new terms; the old ones stay in the history.
#[utoipa::path(put, path = "/registry/v1/workouts/{workout_id}/facilities/{facility_id}", tag = "facilities", security(("bearer" = [])),
    request_body(content = FacilityInput, description = "The full new terms (same reference)"),
    params(("If-Match" = String, Header, description = "The version being replaced")),
    responses((status = 200, body = Facility), (status = 403, body = workout_http::Problem), (status = 412, body = workout_http::Problem),
        (status = 428, body = workout_http::Problem)))]
pub async fn update_facility(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: JsonBody<FacilityInput>,
) -> Result<HttpResponse, ApiError> {
    let (workout, facility) = path.into_inner();
    let expected = if_match(&req)?;
    decide(
        &state,
        &req,
        &caller,
        &body.fingerprint,
        workout,
        None,
        async |conn, member| {
            let creditor = creditor_of(&member)?;
            // Another creditor's facility, or one of another workout: not found.
            let reference: String = facilities::table
                .find(facility)
                .filter(facilities::workout_id.eq(workout))
                .filter(facilities::creditor_id.eq(creditor))
                .select(facilities::reference)
                .first(conn)
                .await
                .map_err(|e| workout_http::problem::from_diesel("facility", e))?;
            let terms = validate(&body.value, &classes_of(&member))?;
            check_guarantors(conn, workout, &terms).await?;
            if terms.reference() != reference {
                return Err(ApiError::invalid_field(
                    "reference",
                    "cannot change; it names the facility",
                ));
            }
            let (before, after) = write_version(
                conn,
                workout,
                creditor,
                &terms,
                Some(expected),
                caller.user_id.into_uuid(),
            )
            .await?;
            member
                .record(conn, RegistryTopic::FacilityChanged, before, &after)
                .await?;
            Ok(Reply::ok(&after)?.with_etag(etag(after.version)))
        },
    )
    .await
}

/// `?as_of=DATE`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AsOf {
    /// Read the terms in force at the end of this date (UTC); default: now.
    pub as_of: Option<NaiveDate>,
}

/// Whose positions the member may see: `None` for all (coordinator, borrower), `Some(itself)` for
/// a creditor; 403 for other participants. Facilities and snapshots follow the same rule.
pub fn visible_creditor(member: &Membership) -> Result<Option<Uuid>, ApiError> {
    Ok(match member.positions()? {
        PositionView::Own(creditor) => Some(creditor.into_uuid()),
        PositionView::All | PositionView::None => None,
    })
}

/// `GET /registry/v1/workouts/{workout_id}/facilities`
#[utoipa::path(get, path = "/registry/v1/workouts/{workout_id}/facilities", tag = "facilities", security(("bearer" = [])),
    params(AsOf, PageQuery),
    responses((status = 200, body = Page<Facility>), (status = 403, body = workout_http::Problem)))]
pub async fn list_facilities(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: web::Query<AsOf>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let window = page.window()?;
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    let creditor = visible_creditor(&member)?;
    let at = query.as_of.map(end_of);
    let classes = classes_of(&member);
    let rows = facilities_at(&mut conn, workout, creditor, at, &classes, Some(window)).await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |f: &Facility| f.id)))
}

/// `GET /registry/v1/workouts/{workout_id}/facilities/{facility_id}/history`: every version.
#[utoipa::path(get, path = "/registry/v1/workouts/{workout_id}/facilities/{facility_id}/history", tag = "facilities",
    security(("bearer" = [])),
    responses((status = 200, body = [FacilityVersion]), (status = 403, body = workout_http::Problem)))]
pub async fn facility_history(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (workout, facility) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    let mut query = facilities::table
        .inner_join(facility_versions::table)
        .filter(facilities::id.eq(facility))
        .filter(facilities::workout_id.eq(workout))
        .order(facility_versions::version.asc())
        .select(VERSION_COLUMNS)
        .into_boxed();
    if let Some(creditor) = visible_creditor(&member)? {
        query = query.filter(facilities::creditor_id.eq(creditor));
    }
    let rows: Vec<VersionRow> = query.load(&mut conn).await?;
    if rows.is_empty() {
        return Err(ApiError::NotFound("facility"));
    }
    let classes = classes_of(&member);
    let mut versions = Vec::new();
    for row in rows {
        let (version, valid_from, valid_to) = (row.3, row.4, row.5);
        versions.push(FacilityVersion {
            version,
            valid_from,
            valid_to,
            withdrawn: row.6.is_none(),
            facility: to_facility(row, &classes)?,
        });
    }
    Ok(HttpResponse::Ok().json(versions))
}

/// One version in a facility's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FacilityVersion {
    /// The version.
    pub version: i32,
    /// When it took effect.
    pub valid_from: DateTime<Utc>,
    /// When it was replaced (absent: current).
    pub valid_to: Option<DateTime<Utc>>,
    /// Whether this version withdrew the facility.
    pub withdrawn: bool,
    /// The facility as it stood (absent for a withdrawal).
    pub facility: Option<Facility>,
}

/// Why a facility is withdrawn.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// E.g. "repaid in full" or "claim sold to Bank X"; recorded in the audit chain.
    pub reason: String,
}

/// `POST /registry/v1/workouts/{workout_id}/facilities/{facility_id}/withdraw` (its creditor,
/// `If-Match`): the facility no longer counts from now on; its history stays.
#[utoipa::path(post, path = "/registry/v1/workouts/{workout_id}/facilities/{facility_id}/withdraw", tag = "facilities",
    security(("bearer" = [])), request_body = Withdrawal,
    params(("If-Match" = String, Header, description = "The version being replaced")),
    responses((status = 200, body = FacilityVersion), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem), (status = 412, body = workout_http::Problem), (status = 428, body = workout_http::Problem)))]
pub async fn withdraw_facility(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: JsonBody<Withdrawal>,
) -> Result<HttpResponse, ApiError> {
    let (workout, facility) = path.into_inner();
    let expected = if_match(&req)?;
    let reason = body.value.reason.trim().to_owned();
    decide(&state, &req, &caller, &body.fingerprint, workout, None, async |conn, member| {
        let creditor = creditor_of(&member)?;
        let owned: i64 = facilities::table
            .find(facility)
            .filter(facilities::workout_id.eq(workout))
            .filter(facilities::creditor_id.eq(creditor))
            .count()
            .get_result(conn)
            .await?;
        if owned == 0 {
            return Err(ApiError::NotFound("facility"));
        }
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(ApiError::invalid_field("reason", "must be 1 to 500 characters"));
        }
        let now = Utc::now();
        let (version, before) = supersede(conn, facility, Some(expected), now).await?;
        if before["terms"].is_null() {
            return Err(ApiError::conflict("already_withdrawn", "this facility is already withdrawn"));
        }
        diesel::insert_into(facility_versions::table)
            .values((
                facility_versions::facility_id.eq(facility),
                facility_versions::version.eq(version),
                facility_versions::valid_from.eq(now),
                facility_versions::terms.eq(None::<serde_json::Value>),
                facility_versions::recorded_by.eq(caller.user_id.into_uuid()),
            ))
            .execute(conn)
            .await?;
        let after = serde_json::json!({"id": facility, "version": version, "withdrawn": true, "reason": reason});
        member
            .record(conn, RegistryTopic::FacilityWithdrawn, Some(before), &after)
            .await?;
        Ok(Reply::ok(&FacilityVersion {
            version,
            valid_from: now,
            valid_to: None,
            withdrawn: true,
            facility: None,
        })?
        .with_etag(etag(version)))
    })
    .await
}

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

/// `POST /registry/v1/workouts/{workout_id}/facilities/import` (creditor, `text/csv`): the
/// creditor's schedule. Rows with a new reference create facilities; rows with an existing one
/// replace its terms. Every row is checked first; if any is bad, nothing is written and the answer
/// (422) lists every bad row.
#[utoipa::path(post, path = "/registry/v1/workouts/{workout_id}/facilities/import", tag = "facilities", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv",
        description = "Header: reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees_and_penalties,secured,class,related_party"),
    responses((status = 200, body = ImportResult), (status = 403, body = workout_http::Problem)))]
pub async fn import_facilities(
    req: HttpRequest,
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let is_csv = req
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
    let fingerprint = workout_http::boundary::digest(&body);
    decide(
        &state,
        &req,
        &caller,
        &fingerprint,
        workout,
        None,
        async |conn, member| {
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
            let (mut created, mut updated, mut written) = (0, 0, Vec::new());
            for terms in &rows {
                let (before, after) = write_version(
                    conn,
                    workout,
                    creditor,
                    terms,
                    None,
                    caller.user_id.into_uuid(),
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
        },
    )
    .await
}
