//! Record-date snapshots of exposures: each creditor's exposure in the base currency as of a date,
//! per class, with totals, the rates used and a content hash; for participants, and in full for
//! other services (voting weights come from it).
//!
//! Rules: a snapshot as of a date uses the facilities in force at the end of that date and the
//! rates as recorded by the end of that date (see [`super::fx_rates`]: the latest rate date on or
//! before it, in the version then current), so corrections made later never change it — every
//! currency that occurs needs a rate there, and a missing one is a 422 naming the currencies, never a silent
//! 1.0. Each creditor line names the creditor's institution (its name when the snapshot is
//! computed) and gives its share of the total and of each of its classes (exact decimal
//! percentages, 10 places). The coordinator and the borrower see every creditor's line; a creditor sees its own line
//! and the totals; other participants get 403.

use std::collections::BTreeMap;
use workout_domain::registry_api::Workout;

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use workout_domain::exposure::{
    self, CreditorPosition, CreditorSnapshot, Extras, FxTable, Snapshot,
};
use workout_domain::{BoundedDate, Currency, InstitutionId, PositionView, WorkoutId};
use workout_http::{ApiError, Caller, Query, ServiceCaller};

use super::fx_rates::{base_of, rates_as_recorded, table_of};
use crate::RegistryState;
use crate::claims::claims_at;
use crate::facilities::terms::known_classes;
use crate::facilities::versions::{end_of, facilities_at};
use crate::participants::related::related_parties_at;
use crate::schema::institutions;
use crate::workouts::membership::{load_workout, membership};
use crate::workouts::settings::settings_at;

/// The snapshot of `workout` as of `as_of`, in its base currency and classes.
pub(super) async fn snapshot_of(
    conn: &mut AsyncPgConnection,
    workout: &Workout,
    as_of: NaiveDate,
) -> Result<Snapshot, ApiError> {
    let id = WorkoutId::from_uuid(workout.id);
    snapshot(conn, id, base_of(workout)?, &workout.classes, as_of).await
}
/// The snapshot of `workout` as of `as_of`.
pub async fn snapshot(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    base: Currency,
    classes: &[String],
    as_of: NaiveDate,
) -> Result<Snapshot, ApiError> {
    let classes = known_classes(classes);
    let facilities =
        facilities_at(conn, workout, None, Some(end_of(as_of)), &classes, None).await?;
    let fx = rates_as_of(conn, workout, base, as_of).await?;
    let mut positions: BTreeMap<InstitutionId, Vec<_>> = BTreeMap::new();
    for facility in facilities {
        positions
            .entry(InstitutionId::from_uuid(facility.creditor_id))
            .or_default()
            .push(facility.terms);
    }
    let ids: Vec<uuid::Uuid> = positions.keys().map(|id| id.into_uuid()).collect();
    let names: BTreeMap<uuid::Uuid, String> = institutions::table
        .filter(institutions::id.eq_any(&ids))
        .select((institutions::id, institutions::name))
        .load(conn)
        .await?
        .into_iter()
        .collect();
    let related = related_parties_at(conn, workout, Some(end_of(as_of))).await?;
    let positions: Vec<CreditorPosition> = positions
        .into_iter()
        .map(|(creditor, facilities)| CreditorPosition {
            name: names
                .get(&creditor.into_uuid())
                .cloned()
                .unwrap_or_default(),
            related_party: related.contains(&creditor),
            creditor,
            facilities,
        })
        .collect();
    let extras = Extras {
        settings: settings_at(conn, workout, Some(end_of(as_of))).await?,
        other_claims: claims_at(conn, workout, Some(end_of(as_of)), false, None)
            .await?
            .into_iter()
            .map(|recorded| recorded.claim)
            .collect(),
    };
    Snapshot::compute_with(workout, as_of, base, &fx, &positions, &extras).map_err(|error| {
        match error {
            exposure::ExposureError::MissingRates(_)
            | exposure::ExposureError::MissingRate { .. } => missing_rates(&error, as_of),
            exposure::ExposureError::Inexact { .. } | exposure::ExposureError::Overflow => {
                not_computable(&error)
            }
            other => ApiError::Internal(anyhow::anyhow!("computing the snapshot: {other}")),
        }
    })
}

/// The rates a snapshot as of `as_of` uses: those of the latest date on or before it with rates,
/// as recorded by the end of `as_of` (an empty table, only the base currency, if there is none).
pub(super) async fn rates_as_of(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    base: Currency,
    as_of: NaiveDate,
) -> Result<FxTable, ApiError> {
    match rates_as_recorded(conn, workout, as_of).await? {
        Some((date, rates)) => table_of(base, date, &rates),
        None => Ok(FxTable::new(base, as_of)),
    }
}

/// The 422 for rates missing on or before `as_of`.
pub(super) fn missing_rates(error: &exposure::ExposureError, as_of: NaiveDate) -> ApiError {
    ApiError::unprocessable(
        "missing_fx_rates",
        format!(
            "{error} on or before {as_of}; the coordinator must enter it before a snapshot can be taken"
        ),
    )
}

/// The 422 for amounts and rates whose products or sums do not fit in a decimal (28 significant
/// digits): each amount and rate was accepted within its own bounds, but together they cannot be
/// computed exactly, and a snapshot is never rounded twice.
pub(super) fn not_computable(error: &exposure::ExposureError) -> ApiError {
    ApiError::unprocessable(
        "exposure_not_computable",
        format!(
            "{error}: the amounts and FX rates of this date cannot be converted exactly (28 \
             significant digits at most); correct the rate or the amount"
        ),
    )
}

/// 422 `record_date_in_future` if `as_of` lies after today in `workout`'s calendar: such a
/// snapshot would change as the days up to it are recorded, so none is given (nor frozen).
pub(super) fn refuse_future(workout: &Workout, as_of: NaiveDate) -> Result<(), ApiError> {
    let today = crate::cooperation::watch::today_in(&workout.calendar)?;
    if as_of > today {
        return Err(ApiError::unprocessable(
            "record_date_in_future",
            format!(
                "as_of {as_of} lies in the future (today is {today} in the workout's calendar): \
                 a snapshot is only given for a day that has begun"
            ),
        ));
    }
    Ok(())
}

/// `?as_of=DATE` (required).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RecordDate {
    /// The record date.
    pub as_of: BoundedDate,
}

/// A snapshot as a participant sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SnapshotAnswer {
    /// The coordinator and the borrower see every creditor's line.
    Whole(Snapshot),
    /// A creditor sees its own line and the totals (`view: own_line_and_totals`).
    OwnLine(CreditorSnapshot),
}

/// `GET /registry/v1/workouts/{workout_id}/exposures?as_of=DATE`: the record-date snapshot.
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    params(RecordDate),
    responses((status = 200, body = SnapshotAnswer, description = "The snapshot: per creditor (all, or only the caller's for a creditor), totals, rates used, content hash"), (status = 403, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/exposures")]
pub async fn get_snapshot(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: Query<RecordDate>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    let view = member.positions()?;
    let as_of = query.as_of.get();
    refuse_future(&member.workout, as_of)?;
    let snapshot = snapshot_of(&mut conn, &member.workout, as_of).await?;
    Ok(HttpResponse::Ok().json(match view {
        PositionView::Own(creditor) => SnapshotAnswer::OwnLine(snapshot.for_creditor(creditor)),
        PositionView::All | PositionView::None => SnapshotAnswer::Whole(snapshot),
    }))
}

/// `GET /registry/v1/internal/workouts/{workout_id}/exposures?as_of=DATE` (service token): the full
/// snapshot, for voting weights.
#[utoipa::path(tag = "internal", security(("bearer" = [])),
    params(RecordDate),
    responses((status = 200, body = Snapshot, description = "The full snapshot"), (status = 422, body = workout_http::Problem)))]
#[get("/v1/internal/workouts/{workout_id}/exposures")]
pub async fn internal_snapshot(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<WorkoutId>,
    query: Query<RecordDate>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let workout = load_workout(&mut conn, workout, false).await?;
    Ok(HttpResponse::Ok().json(snapshot_of(&mut conn, &workout, query.as_of.get()).await?))
}
