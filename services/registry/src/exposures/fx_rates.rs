//! FX rates per workout and date: the coordinator enters them, participants read them.
//!
//! Rules: a rate is the number of units of the workout's base currency per unit of a currency,
//! positive; rates are entered per date, and currencies not named keep their rate for that date.
//! The base currency is 1 and never stored.

use std::collections::BTreeMap;
use workout_domain::registry_api::Workout;
use workout_domain::registry_api::events::FxRatesSet;

use actix_web::{HttpResponse, get, put, web};
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use workout_domain::exposure::FxTable;
use workout_domain::{Action, Currency, RegistryTopic, WorkoutId};
use workout_http::{ApiError, Caller, FieldError, JsonBody};
use workout_store::Reply;

use crate::RegistryState;
use crate::schema::fx_rates;
use crate::workouts::membership::{Decider, membership};

/// Rates for one date.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatesOfDay {
    /// Units of the base currency per one unit of each currency, e.g. `{"USD": "3.75"}`.
    pub rates: BTreeMap<String, String>,
}

/// `/workouts/{workout_id}/fx-rates/{date}`.
#[derive(Debug, Deserialize)]
pub struct RatesPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The date of the rates.
    pub date: NaiveDate,
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

/// The rates stored for `date`, by currency.
pub(super) async fn rates_on(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    date: NaiveDate,
) -> QueryResult<Vec<(String, Decimal)>> {
    fx_rates::table
        .filter(fx_rates::workout_id.eq(workout.into_uuid()))
        .filter(fx_rates::rate_date.eq(date))
        .order(fx_rates::currency.asc())
        .select((fx_rates::currency, fx_rates::rate))
        .load(conn)
        .await
}

/// `PUT /registry/v1/workouts/{workout_id}/fx-rates/{date}` (coordinator): sets the rates of a date
/// (currencies not named keep their rate).
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    request_body = RatesOfDay,
    responses((status = 200, body = RatesOfDay), (status = 403, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/fx-rates/{date}")]
pub async fn set_rates(
    decider: Decider,
    path: web::Path<RatesPath>,
    body: JsonBody<RatesOfDay>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let RatesPath {
        workout_id: workout,
        date,
    } = path.into_inner();
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
                match text.trim().parse::<Decimal>() {
                    Ok(rate) => {
                        if let Err(e) = table.insert(currency, rate) {
                            errors.push(FieldError::new(field, e.to_string()));
                        }
                    }
                    Err(_) => errors.push(FieldError::new(
                        field,
                        "must be a decimal number such as 3.75",
                    )),
                }
            }
            if body.value.rates.is_empty() {
                errors.push(FieldError::new("rates", "name at least one currency"));
            }
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            for (currency, rate) in table.rates().filter(|(c, _)| *c != base) {
                diesel::insert_into(fx_rates::table)
                    .values((
                        fx_rates::workout_id.eq(workout.into_uuid()),
                        fx_rates::currency.eq(currency.as_str()),
                        fx_rates::rate_date.eq(date),
                        fx_rates::rate.eq(rate),
                        fx_rates::entered_by.eq(decider.caller.user_id.into_uuid()),
                    ))
                    .on_conflict((
                        fx_rates::workout_id,
                        fx_rates::currency,
                        fx_rates::rate_date,
                    ))
                    .do_update()
                    .set((
                        fx_rates::rate.eq(rate),
                        fx_rates::entered_by.eq(decider.caller.user_id.into_uuid()),
                        fx_rates::entered_at.eq(Utc::now()),
                    ))
                    .execute(conn)
                    .await?;
            }
            let stored = rates_on(conn, workout, date).await?;
            let after = RatesOfDay {
                rates: stored
                    .iter()
                    .map(|(c, r)| (c.clone(), r.normalize().to_string()))
                    .collect(),
            };
            member
                .record(
                    conn,
                    RegistryTopic::FxRatesSet,
                    None,
                    &FxRatesSet {
                        date,
                        rates: after.rates.clone(),
                    },
                )
                .await?;
            Reply::ok(&after)
        })
        .await
}

/// `GET /registry/v1/workouts/{workout_id}/fx-rates/{date}` (any participant).
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    responses((status = 200, body = RatesOfDay)))]
#[get("/v1/workouts/{workout_id}/fx-rates/{date}")]
pub async fn get_rates(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<RatesPath>,
) -> Result<HttpResponse, ApiError> {
    let RatesPath {
        workout_id: workout,
        date,
    } = path.into_inner();
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller)
        .await?
        .require(Action::ReadFxRates)?;
    let rates = rates_on(&mut conn, workout, date).await?;
    Ok(HttpResponse::Ok().json(RatesOfDay {
        rates: rates
            .into_iter()
            .map(|(c, r)| (c, r.normalize().to_string()))
            .collect(),
    }))
}
