//! A facility's dated history: its versions, reading the terms in force at an instant, and writing
//! a new version.
//!
//! Rules: every edit closes the current version and opens the next at the same instant, so the
//! terms in force at the end of any past date can be read back; a version without terms is a
//! withdrawal (the facility no longer counts from then on). A version is written only over the one
//! the caller named, when it named one (a stale one answers 412).

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;
use workout_domain::{CreditorClass, FacilityInput, FacilityTerms, InstitutionId, WorkoutId};
use workout_http::precondition::check_version;
use workout_http::{ApiError, Window};
use workout_store::record::to_json;

use crate::schema::{facilities, facility_versions};

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
    /// What the coordinator should look at, e.g. `secured_without_collateral` (declared secured,
    /// no collateral listed).
    pub warnings: Vec<&'static str>,
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
    /// Why it was withdrawn, as its creditor said (withdrawals only; absent for withdrawals
    /// recorded before reasons were kept here, whose reason is in the audit chain).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The facility as it stood (absent for a withdrawal).
    pub facility: Option<Facility>,
}

/// A `facility_versions` row with its facility's keys.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = facility_versions, check_for_backend(diesel::pg::Pg))]
pub(super) struct VersionRow {
    #[diesel(select_expression = facilities::id)]
    id: Uuid,
    #[diesel(select_expression = facilities::workout_id)]
    workout_id: Uuid,
    #[diesel(select_expression = facilities::creditor_id)]
    creditor_id: Uuid,
    pub(super) version: i32,
    pub(super) valid_from: DateTime<Utc>,
    pub(super) valid_to: Option<DateTime<Utc>>,
    pub(super) terms: Option<serde_json::Value>,
    pub(super) withdrawal_reason: Option<String>,
}

/// The current version of a facility, as [`supersede`] closes it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = facility_versions, check_for_backend(diesel::pg::Pg))]
struct CurrentVersion {
    version: i32,
    valid_from: DateTime<Utc>,
    terms: Option<serde_json::Value>,
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

/// The facility a version row shows; `None` for a withdrawal.
pub(super) fn to_facility(
    row: VersionRow,
    classes: &[CreditorClass],
) -> Result<Option<Facility>, ApiError> {
    let Some(terms) = row.terms else {
        return Ok(None);
    };
    let terms = stored_terms(terms, classes)?;
    Ok(Some(Facility {
        id: row.id,
        workout_id: row.workout_id,
        creditor_id: row.creditor_id,
        version: row.version,
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        exposure: terms.exposure(),
        warnings: terms.warnings(),
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
    workout: WorkoutId,
    creditor: Option<InstitutionId>,
    at: Option<DateTime<Utc>>,
    classes: &[CreditorClass],
    window: Option<Window>,
) -> Result<Vec<Facility>, ApiError> {
    let mut query = facilities::table
        .inner_join(facility_versions::table)
        .filter(facilities::workout_id.eq(workout.into_uuid()))
        .filter(facility_versions::terms.is_not_null())
        .order(facilities::id.asc())
        .select(VersionRow::as_select())
        .into_boxed();
    if let Some(window) = window {
        query = query
            .filter(facilities::id.gt(window.after))
            .limit(window.fetch());
    }
    if let Some(creditor) = creditor {
        query = query.filter(facilities::creditor_id.eq(creditor.into_uuid()));
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

/// Every version of facility `facility` of `workout` (of `creditor`'s, when given), oldest first.
pub(super) async fn history(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    facility: Uuid,
    creditor: Option<InstitutionId>,
) -> Result<Vec<VersionRow>, ApiError> {
    let mut query = facilities::table
        .inner_join(facility_versions::table)
        .filter(facilities::id.eq(facility))
        .filter(facilities::workout_id.eq(workout.into_uuid()))
        .order(facility_versions::version.asc())
        .select(VersionRow::as_select())
        .into_boxed();
    if let Some(creditor) = creditor {
        query = query.filter(facilities::creditor_id.eq(creditor.into_uuid()));
    }
    Ok(query.load(conn).await?)
}

/// The version of facility `facility` of `workout` (of `creditor`'s, when given) in force now: its
/// terms, or none when it was withdrawn; `None` when there is no such facility.
pub(super) async fn current_version(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    facility: Uuid,
    creditor: Option<InstitutionId>,
) -> Result<Option<VersionRow>, ApiError> {
    let mut query = facilities::table
        .inner_join(facility_versions::table)
        .filter(facilities::id.eq(facility))
        .filter(facilities::workout_id.eq(workout.into_uuid()))
        .filter(facility_versions::valid_to.is_null())
        .select(VersionRow::as_select())
        .into_boxed();
    if let Some(creditor) = creditor {
        query = query.filter(facilities::creditor_id.eq(creditor.into_uuid()));
    }
    Ok(query.first(conn).await.optional()?)
}

/// Writes `terms` as the new current version of the creditor's facility with that reference
/// (creating the facility if new); `expected` is the version the caller replaces, if it named one.
/// Returns the closed version (as recorded for the audit) and the facility as now in force.
pub(super) async fn write_version(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    creditor: InstitutionId,
    terms: &FacilityTerms,
    expected: Option<i32>,
    recorded_by: Uuid,
) -> Result<(Option<serde_json::Value>, Facility), ApiError> {
    let mut written =
        write_versions(conn, workout, creditor, &[(terms, expected)], recorded_by).await?;
    written
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a written version went missing")))
}

/// Rows per multi-row statement: far below PostgreSQL's 65,535 bind parameters.
const ROWS_PER_STATEMENT: usize = 1_000;

/// [`write_version`] for many facilities of one creditor at once (their references distinct), in
/// a few statements whatever their number: a 5,000-row schedule must not take 5,000 round trips
/// per step. Returns, in the order given, each closed version and the facility as now in force.
pub(super) async fn write_versions(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    creditor: InstitutionId,
    items: &[(&FacilityTerms, Option<i32>)],
    recorded_by: Uuid,
) -> Result<Vec<(Option<serde_json::Value>, Facility)>, ApiError> {
    let now = Utc::now();
    let references: Vec<&str> = items.iter().map(|(terms, _)| terms.reference()).collect();
    let mut ids: HashMap<String, Uuid> = HashMap::new();
    for chunk in references.chunks(ROWS_PER_STATEMENT) {
        let found: Vec<(String, Uuid)> = facilities::table
            .filter(facilities::workout_id.eq(workout.into_uuid()))
            .filter(facilities::creditor_id.eq(creditor.into_uuid()))
            .filter(facilities::reference.eq_any(chunk))
            .select((facilities::reference, facilities::id))
            .load(conn)
            .await?;
        ids.extend(found);
    }
    let existing: Vec<Uuid> = ids.values().copied().collect();
    // Close the current versions of the facilities that exist, checking `expected`.
    let mut closed: HashMap<Uuid, CurrentVersion> = HashMap::new();
    for chunk in existing.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<(Uuid, CurrentVersion)> = diesel::update(
            facility_versions::table
                .filter(facility_versions::facility_id.eq_any(chunk))
                .filter(facility_versions::valid_to.is_null()),
        )
        .set(facility_versions::valid_to.eq(now))
        .returning((
            facility_versions::facility_id,
            CurrentVersion::as_returning(),
        ))
        .get_results(conn)
        .await?;
        closed.extend(rows);
    }
    let mut new_facilities = Vec::new();
    let mut versions = Vec::with_capacity(items.len());
    let mut written = Vec::with_capacity(items.len());
    for (terms, expected) in items {
        let (id, version, before) = match ids.get(terms.reference()) {
            None => {
                let id = Uuid::now_v7();
                new_facilities.push((
                    facilities::id.eq(id),
                    facilities::workout_id.eq(workout.into_uuid()),
                    facilities::creditor_id.eq(creditor.into_uuid()),
                    facilities::reference.eq(terms.reference()),
                ));
                (id, 1, None)
            }
            Some(&id) => {
                let current = closed.remove(&id).ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("facility {id} has no current version"))
                })?;
                if let Some(expected) = expected {
                    // An error here rolls the whole use case back, the closing included.
                    check_version("facility", *expected, current.version)?;
                }
                let before = serde_json::json!({
                    "id": id, "version": current.version, "valid_from": current.valid_from,
                    "valid_to": now, "terms": current.terms,
                });
                (id, current.version + 1, Some(before))
            }
        };
        versions.push((
            facility_versions::facility_id.eq(id),
            facility_versions::version.eq(version),
            facility_versions::valid_from.eq(now),
            facility_versions::terms.eq(to_json(&terms.to_input())?),
            facility_versions::recorded_by.eq(recorded_by),
        ));
        written.push((
            before,
            Facility {
                id,
                workout_id: workout.into_uuid(),
                creditor_id: creditor.into_uuid(),
                version,
                valid_from: now,
                valid_to: None,
                exposure: terms.exposure(),
                warnings: terms.warnings(),
                terms: (*terms).clone(),
            },
        ));
    }
    for chunk in new_facilities.chunks(ROWS_PER_STATEMENT) {
        diesel::insert_into(facilities::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    for chunk in versions.chunks(ROWS_PER_STATEMENT) {
        diesel::insert_into(facility_versions::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(written)
}

/// Withdraws facility `id` (checking `expected` against its current version, if given): closes
/// the current version and opens one without terms that keeps `reason`. Returns the withdrawing
/// version and the closed one, as recorded for the audit; 409 if it is already withdrawn.
pub(super) async fn write_withdrawal(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected: Option<i32>,
    reason: &str,
    recorded_by: Uuid,
) -> Result<(i32, DateTime<Utc>, serde_json::Value), ApiError> {
    let now = Utc::now();
    let (version, before) = supersede(conn, id, expected, now).await?;
    if before["terms"].is_null() {
        return Err(ApiError::conflict(
            "already_withdrawn",
            "this facility is already withdrawn",
        ));
    }
    diesel::insert_into(facility_versions::table)
        .values((
            facility_versions::facility_id.eq(id),
            facility_versions::version.eq(version),
            facility_versions::valid_from.eq(now),
            facility_versions::terms.eq(None::<serde_json::Value>),
            facility_versions::recorded_by.eq(recorded_by),
            facility_versions::withdrawal_reason.eq(Some(reason)),
        ))
        .execute(conn)
        .await?;
    Ok((version, now, before))
}

/// Closes facility `id`'s current version at `now` (checking `expected` against it, if given);
/// returns the next version number and the closed version, as recorded for the audit.
async fn supersede(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(i32, serde_json::Value), ApiError> {
    let current: CurrentVersion = facility_versions::table
        .filter(facility_versions::facility_id.eq(id))
        .filter(facility_versions::valid_to.is_null())
        .select(CurrentVersion::as_select())
        .for_update()
        .first(conn)
        .await?;
    if let Some(expected) = expected {
        check_version("facility", expected, current.version)?;
    }
    diesel::update(facility_versions::table.find((id, current.version)))
        .set(facility_versions::valid_to.eq(now))
        .execute(conn)
        .await?;
    let closed = serde_json::json!({
        "id": id, "version": current.version, "valid_from": current.valid_from, "valid_to": now,
        "terms": current.terms,
    });
    Ok((current.version + 1, closed))
}
