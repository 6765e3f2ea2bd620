//! FX rates per workout and date, kept as history: the coordinator enters them, participants read
//! them, and nothing entered is ever overwritten.
//!
//! Rules: a rate is the number of units of the workout's base currency per unit of a currency,
//! positive, below 10^14 with at most 10 decimal places (the column is `numeric(24, 10)`; see
//! `workout_domain::exposure::parse_rate`: more places are refused, never rounded). The date in
//! the path is a date from 1900-01-01 to 9999-12-31. Rates are entered per date; every `PUT` of a date's rates makes a new **version** of
//! that date's whole rate set (1 for the first, then 2, 3, …): the currencies named take their new
//! rate, the others keep the rate of the previous version. A version records who entered it, when,
//! the rates' `source` (required, e.g. `SAMA reference rate`) and a `reason` — required for every
//! version after the first (a correction says why). The base currency is 1 and never stored.
//! Reading a date's rates gives its current (latest) version; its versions are listed, oldest
//! first, a page at a time. A snapshot as of D uses the versions *recorded by the end of D* (UTC,
//! as facilities do): among them the latest rate date on or before D, in its latest version then.
//! So a correction entered after D never changes a snapshot as of D, nor its `content_hash`.

use std::collections::BTreeMap;
use workout_domain::registry_api::Workout;
use workout_domain::registry_api::events::FxRatesSet;

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::exposure::{FxTable, parse_rate};
use workout_domain::{Action, Currency, RegistryTopic, WorkoutId, text};
use workout_http::input::{Query, path_date, text_to};
use workout_http::{ApiError, Caller, FieldError, JsonBody, Page, PageQuery};
use workout_store::Reply;

use crate::RegistryState;
use crate::facilities::versions::end_of;
use crate::schema::{fx_rate_versions, fx_rates};
use crate::workouts::membership::{Decider, load_workout, membership};

/// Rates to set for one date.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatesOfDay {
    /// Units of the base currency per one unit of each currency, e.g. `{"USD": "3.75"}`: a plain
    /// decimal above 0 and below 10^14 with at most 10 decimal places. Currencies not named keep
    /// the rate of the date's previous version.
    pub rates: BTreeMap<String, String>,
    /// Where the rates come from, e.g. `SAMA reference rate` (one line of 1 to 200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub source: String,
    /// Why the rates are set again: required when the date already has rates (a correction),
    /// optional for its first rates (prose of 1 to 2000 characters).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
}

/// One version of a date's rates.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RatesVersion {
    /// The version's id.
    pub id: Uuid,
    /// The date of the rates.
    pub date: NaiveDate,
    /// 1 for the date's first rates, then 2, 3, …
    pub version: i32,
    /// The whole rate set of this version: units of the base currency per unit of each currency.
    pub rates: BTreeMap<String, String>,
    /// Where the rates come from.
    pub source: String,
    /// Why the rates were set again (absent if none was given for a first version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The user who entered it.
    pub entered_by: Uuid,
    /// When it was recorded.
    pub entered_at: DateTime<Utc>,
}

/// A stored version, without its rates.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = fx_rate_versions)]
struct VersionRow {
    id: Uuid,
    rate_date: NaiveDate,
    version: i32,
    source: String,
    reason: Option<String>,
    entered_by: Uuid,
    entered_at: DateTime<Utc>,
}

/// `/workouts/{workout_id}/fx-rates/{date}`.
#[derive(Debug, Deserialize)]
pub struct RatesPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The date of the rates, as written: read by [`RatesPath::parts`].
    date: String,
}

impl RatesPath {
    /// The workout and the date (`YYYY-MM-DD`, 1900-01-01 to 9999-12-31; 400 naming `date`
    /// otherwise).
    pub fn parts(self) -> Result<(WorkoutId, NaiveDate), ApiError> {
        Ok((self.workout_id, path_date("date", &self.date)?))
    }
}

/// The table of `rows` (stored rates of `date`) over `base`.
pub(super) fn table_of(
    base: Currency,
    date: NaiveDate,
    rows: &[(String, Decimal)],
) -> Result<FxTable, ApiError> {
    let mut table = FxTable::new(base, date);
    for (currency, rate) in rows {
        let currency = Currency::parse(currency)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored currency: {e}")))?;
        table
            .insert(currency, *rate)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored rate: {e}")))?;
    }
    Ok(table)
}

/// The base currency of `workout`.
pub(super) fn base_of(workout: &Workout) -> Result<Currency, ApiError> {
    Currency::parse(&workout.base_currency)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored base currency: {e}")))
}

/// The rates of version `version` of `date`, by currency.
async fn rates_of_version(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    date: NaiveDate,
    version: i32,
) -> QueryResult<Vec<(String, Decimal)>> {
    fx_rates::table
        .filter(fx_rates::workout_id.eq(workout.into_uuid()))
        .filter(fx_rates::rate_date.eq(date))
        .filter(fx_rates::version.eq(version))
        .order(fx_rates::currency.asc())
        .select((fx_rates::currency, fx_rates::rate))
        .load(conn)
        .await
}

/// The rates a snapshot as of `as_of` uses: among the versions recorded before the end of
/// `as_of`, the latest rate date on or before `as_of`, in its latest such version. `None` if no
/// rates had been recorded for any such date by then.
pub(super) async fn rates_as_recorded(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    as_of: NaiveDate,
) -> QueryResult<Option<(NaiveDate, Vec<(String, Decimal)>)>> {
    let recorded_by = end_of(as_of);
    let found: Option<(NaiveDate, i32)> = fx_rate_versions::table
        .filter(fx_rate_versions::workout_id.eq(workout.into_uuid()))
        .filter(fx_rate_versions::rate_date.le(as_of))
        .filter(fx_rate_versions::entered_at.lt(recorded_by))
        .order((
            fx_rate_versions::rate_date.desc(),
            fx_rate_versions::version.desc(),
        ))
        .select((fx_rate_versions::rate_date, fx_rate_versions::version))
        .first(conn)
        .await
        .optional()?;
    match found {
        None => Ok(None),
        Some((date, version)) => Ok(Some((
            date,
            rates_of_version(conn, workout, date, version).await?,
        ))),
    }
}

/// The latest version of `date`, if it has rates.
async fn current_version(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    date: NaiveDate,
) -> QueryResult<Option<VersionRow>> {
    fx_rate_versions::table
        .filter(fx_rate_versions::workout_id.eq(workout.into_uuid()))
        .filter(fx_rate_versions::rate_date.eq(date))
        .order(fx_rate_versions::version.desc())
        .select(VersionRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// `row` with its rates, as answered.
async fn answer_of(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    row: VersionRow,
) -> QueryResult<RatesVersion> {
    let rates = rates_of_version(conn, workout, row.rate_date, row.version).await?;
    Ok(RatesVersion {
        id: row.id,
        date: row.rate_date,
        version: row.version,
        rates: rates
            .into_iter()
            .map(|(c, r)| (c, r.normalize().to_string()))
            .collect(),
        source: row.source,
        reason: row.reason,
        entered_by: row.entered_by,
        entered_at: row.entered_at,
    })
}

/// `PUT /registry/v1/workouts/{workout_id}/fx-rates/{date}` (coordinator): records a new version
/// of the rates of a date (currencies not named keep their rate); a correction needs a `reason`.
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    request_body = RatesOfDay,
    responses((status = 200, body = RatesVersion, description = "The new version of the date's rates"), (status = 403, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/fx-rates/{date}")]
pub async fn set_rates(
    decider: Decider,
    path: web::Path<RatesPath>,
    body: JsonBody<RatesOfDay>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let (workout, date) = path.into_inner().parts()?;
    let action = Some(Action::SetFxRates);
    decider
        .decide(&body.fingerprint, workout, action, async |conn, member| {
            let base = base_of(&member.workout)?;
            let mut errors = Vec::new();
            let mut table = FxTable::new(base, date);
            for (code, text) in &body.value.rates {
                let field = format!("rates.{code}");
                let currency = match Currency::parse(code) {
                    Ok(c) => c,
                    Err(e) => {
                        errors.push(FieldError::new(field, e.to_string()));
                        continue;
                    }
                };
                match parse_rate(text) {
                    Ok(rate) => {
                        if let Err(e) = table.insert(currency, rate) {
                            errors.push(FieldError::new(field, e.to_string()));
                        }
                    }
                    Err(message) => errors.push(FieldError::new(field, message)),
                }
            }
            if body.value.rates.is_empty() {
                errors.push(FieldError::new("rates", "name at least one currency"));
            }
            let source = text_to(&mut errors, "source", text::NAME, &body.value.source);
            let reason = body
                .value
                .reason
                .as_deref()
                .and_then(|r| text_to(&mut errors, "reason", text::LONG_REASON, r));
            // Versions of a date are numbered under the workout's lock.
            load_workout(conn, workout, true).await?;
            let previous = current_version(conn, workout, date).await?;
            if let Some(previous) = &previous
                && body.value.reason.is_none()
            {
                errors.push(FieldError::new(
                    "reason",
                    format!(
                        "required: {date} already has rates (version {}), so this is a \
                         correction and must say why",
                        previous.version
                    ),
                ));
            }
            let Some(source) = source.filter(|_| errors.is_empty()) else {
                return Err(ApiError::Validation(errors));
            };
            let mut rates: BTreeMap<String, Decimal> = BTreeMap::new();
            if let Some(previous) = &previous {
                rates.extend(rates_of_version(conn, workout, date, previous.version).await?);
            }
            for (currency, rate) in table.rates() {
                rates.insert(currency.as_str().to_owned(), rate);
            }
            let version = previous.as_ref().map_or(1, |p| p.version + 1);
            let row: VersionRow = diesel::insert_into(fx_rate_versions::table)
                .values((
                    fx_rate_versions::id.eq(Uuid::now_v7()),
                    fx_rate_versions::workout_id.eq(workout.into_uuid()),
                    fx_rate_versions::rate_date.eq(date),
                    fx_rate_versions::version.eq(version),
                    fx_rate_versions::source.eq(&source),
                    fx_rate_versions::reason.eq(&reason),
                    fx_rate_versions::entered_by.eq(decider.caller.user_id.into_uuid()),
                ))
                .returning(VersionRow::as_returning())
                .get_result(conn)
                .await?;
            let values: Vec<_> = rates
                .iter()
                .map(|(currency, rate)| {
                    (
                        fx_rates::workout_id.eq(workout.into_uuid()),
                        fx_rates::currency.eq(currency.as_str()),
                        fx_rates::rate_date.eq(date),
                        fx_rates::version.eq(version),
                        fx_rates::rate.eq(*rate),
                    )
                })
                .collect();
            diesel::insert_into(fx_rates::table)
                .values(&values)
                .execute(conn)
                .await?;
            let after = answer_of(conn, workout, row).await?;
            member
                .record(
                    conn,
                    RegistryTopic::FxRatesSet,
                    None,
                    &FxRatesSet {
                        date,
                        version: after.version,
                        rates: after.rates.clone(),
                        source: after.source.clone(),
                        reason: after.reason.clone(),
                    },
                )
                .await?;
            Reply::ok(&after)
        })
        .await
}

/// `GET /registry/v1/workouts/{workout_id}/fx-rates/{date}` (any participant): the current
/// version of the date's rates.
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    responses((status = 200, body = RatesVersion, description = "The date's current rates"), (status = 404, body = workout_http::Problem, description = "No rates for this date")))]
#[get("/v1/workouts/{workout_id}/fx-rates/{date}")]
pub async fn get_rates(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<RatesPath>,
) -> Result<HttpResponse, ApiError> {
    let (workout, date) = path.into_inner().parts()?;
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller)
        .await?
        .require(Action::ReadFxRates)?;
    let row = current_version(&mut conn, workout, date)
        .await?
        .ok_or(ApiError::NotFound("FX rates of this date"))?;
    Ok(HttpResponse::Ok().json(answer_of(&mut conn, workout, row).await?))
}

/// `GET /registry/v1/workouts/{workout_id}/fx-rates/{date}/versions` (any participant): every
/// version of the date's rates, oldest first, a page at a time.
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<RatesVersion>, description = "The versions, oldest first")))]
#[get("/v1/workouts/{workout_id}/fx-rates/{date}/versions")]
pub async fn rate_versions(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<RatesPath>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (workout, date) = path.into_inner().parts()?;
    let window = page.window()?;
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller)
        .await?
        .require(Action::ReadFxRates)?;
    let rows: Vec<VersionRow> = fx_rate_versions::table
        .filter(fx_rate_versions::workout_id.eq(workout.into_uuid()))
        .filter(fx_rate_versions::rate_date.eq(date))
        .filter(fx_rate_versions::id.gt(window.after))
        .order(fx_rate_versions::id.asc())
        .limit(window.fetch())
        .select(VersionRow::as_select())
        .load(&mut conn)
        .await?;
    let mut versions = Vec::with_capacity(rows.len());
    for row in rows {
        versions.push(answer_of(&mut conn, workout, row).await?);
    }
    Ok(HttpResponse::Ok().json(window.page(versions, |v: &RatesVersion| v.id)))
}
