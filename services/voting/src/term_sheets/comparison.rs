//! Option comparisons of a term sheet's version (guideline 5.2.6 and 5.3.1 I): the NPV of
//! restructuring on the version's repayment schedule against enforcement, insolvency and a loan
//! sale, per creditor and in total, and the restructuring's IRR, computed by the domain's
//! [`valuation::compare`] and kept with everything it was computed from. See the module rules in
//! [`super`].
//!
//! Rules:
//! - Only the coordinator compares ([`Action::CompareOptions`]); creditors and the coordinator
//!   read comparisons ([`Action::ReadTermSheets`]), the borrower and the other participants do not
//!   (as for drafts); an outsider gets 404.
//! - The creditors and their weights are those of a frozen record-date snapshot of the workout
//!   (`snapshot_id`): each creditor's exposure in it; the comparison's currency is the snapshot's
//!   base currency; the insolvency claim is the snapshot's total unless the caller names one.
//! - The restructuring's flows are the version's `repayment_schedule`: each instalment's `amount`
//!   is taken as principal received on its due date, with zero interest (the schedule carries no
//!   interest split; interest income is not valued). A version without a schedule answers 422
//!   naming `repayment_schedule`; an instalment in another currency than the base answers 422
//!   naming it. `restructuring_costs` are the banks' costs of it.
//! - Enforcement values every collateral item of the workout's facilities in force at the end of
//!   the snapshot's record date, as the registry lists them (never given by the caller), each
//!   converted to the base currency at the snapshot's rate for its currency (rounded once to the
//!   base's minor unit, as the snapshot converts exposures); a currency the snapshot has no rate
//!   for answers 422 naming the item and the currency. The items are pooled (ranking is recorded,
//!   not applied) and the recovery is shared by exposure like every option.
//! - Every input problem, the domain's included, answers 422 naming the field of the request or
//!   of the version (`repayment_schedule[1].amount`, `assumptions.discount.note`); nothing is
//!   stored then.
//! - A comparison is one transaction: its row (the request, the snapshot's id, hash, date and
//!   rates, the collateral as read and converted, and the domain's result, which echoes the
//!   inputs), its audit entry and its event `voting.term_sheet_compared`, disclosed to those who
//!   read term sheets; `Idempotency-Key` replays the first answer. Comparisons are never updated
//!   or deleted.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::exposure::{self, FxTable, RateUsed};
use workout_domain::registry_api::{CollateralItem, FrozenSnapshot};
use workout_domain::term_sheet::TermSheet;
use workout_domain::valuation::{
    self, Assumptions, CollateralValue, ComparisonInput, CreditorWeight, DatedAmount, DayCount,
    DiscountRate, Enforcement, Insolvency, LoanSale, OptionComparison, OptionKind, RecoveryTiming,
    Restructuring, ValuationError,
};
use workout_domain::{Action, BoundedDate, Currency, Money, Percentage, VotingTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody, Page, PageQuery};
use workout_store::audit::Actor;
use workout_store::record::to_json;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::read::VersionPath;
use super::{READERS, load_term_sheet, load_version};
use crate::schema::term_sheet_comparisons;

/// What every option is valued with; the currency is the snapshot's base currency.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComparisonAssumptions {
    /// The date the values are as at (no flow may fall before it).
    pub valuation_date: BoundedDate,
    /// The day count of the discounting (`ACT/365F`).
    pub day_count: DayCount,
    /// The annual discount rate, its basis and a note (not blank).
    pub discount: DiscountRate,
}

/// The enforcement option, less its collateral (the registry's, as of the snapshot's date).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnforcementAssumptions {
    /// The haircut on the collateral's total, in percent.
    #[schema(value_type = String, example = "30")]
    pub haircut: Percentage,
    /// Litigation and enforcement costs, in the base currency.
    pub legal_costs: Money,
    /// When the recovery arrives.
    pub time_to_recovery: RecoveryTiming,
}

/// The insolvency option.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InsolvencyAssumptions {
    /// The banks' claim in the procedure, in the base currency; the snapshot's total exposure
    /// when left out.
    #[serde(default)]
    pub claim: Option<Money>,
    /// The share of the claim expected to be recovered, in percent.
    #[schema(value_type = String, example = "35")]
    pub recovery_rate: Percentage,
    /// The costs of the procedure, in the base currency.
    pub costs: Money,
    /// When the procedure ends.
    pub duration: RecoveryTiming,
}

/// `POST .../versions/{version}/comparisons`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareOptions {
    /// A frozen record-date snapshot of this workout: its creditors' exposures are the weights,
    /// its base currency the comparison's, its rates convert the collateral.
    pub snapshot_id: Uuid,
    /// Valuation date, day count and discount rate.
    pub assumptions: ComparisonAssumptions,
    /// Haircut, legal costs and time to recovery of enforcement.
    pub enforcement: EnforcementAssumptions,
    /// Claim, recovery rate, costs and duration of insolvency.
    pub insolvency: InsolvencyAssumptions,
    /// The banks' costs of the restructuring (advisers, legal fees), each on its date.
    #[serde(default)]
    pub restructuring_costs: Vec<DatedAmount>,
    /// A loan sale, if one is offered.
    #[serde(default)]
    pub loan_sale: Option<LoanSale>,
}

/// The frozen snapshot a comparison used.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapshotBasis {
    /// Its id.
    pub id: Uuid,
    /// Its record date (the collateral is read as of it).
    pub as_of: NaiveDate,
    /// Its content hash.
    pub content_hash: String,
    /// Its base currency: the comparison's.
    pub base: Currency,
    /// The date of its FX rates.
    pub rates_date: NaiveDate,
    /// Its FX rates, by currency (units of the base per unit).
    pub rates: Vec<RateUsed>,
    /// Its total exposure.
    pub total: Money,
}

/// A collateral item as the registry listed it, with the rate that converted it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CollateralUsed {
    /// The item.
    #[serde(flatten)]
    pub item: CollateralItem,
    /// The snapshot's rate for its currency (1 for the base currency).
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "3.75")]
    pub rate: Decimal,
    /// Its valuation in the base currency, rounded to the minor unit.
    pub value: Money,
}

/// Where a comparison's inputs came from: the request as given, the snapshot, the collateral.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComparisonSources {
    /// The request.
    pub request: CompareOptions,
    /// The content hash of the term sheet's version whose schedule was valued.
    pub version_hash: String,
    /// The snapshot.
    pub snapshot: SnapshotBasis,
    /// Every collateral item of the workout's facilities as of the snapshot's date.
    pub collateral: Vec<CollateralUsed>,
}

/// A stored comparison.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = term_sheet_comparisons)]
pub struct ComparisonRow {
    /// Id.
    pub id: Uuid,
    /// The term sheet.
    pub term_sheet_id: Uuid,
    /// The version compared.
    pub version: i32,
    /// The frozen snapshot.
    pub snapshot_id: Uuid,
    /// Its content hash.
    pub snapshot_hash: String,
    /// The [`ComparisonSources`].
    pub input: serde_json::Value,
    /// The [`OptionComparison`].
    pub result: serde_json::Value,
    /// By (user).
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A comparison as it is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TermSheetComparison {
    /// Id.
    pub id: Uuid,
    /// The term sheet.
    pub term_sheet_id: Uuid,
    /// The version compared.
    pub version: i32,
    /// The frozen snapshot.
    pub snapshot_id: Uuid,
    /// Its content hash.
    pub snapshot_hash: String,
    /// Where the inputs came from.
    pub input: ComparisonSources,
    /// Every option's NPV (total and per creditor), the restructuring's IRR, the highest option
    /// and the inputs as valued.
    pub result: OptionComparison,
    /// By (user).
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl TermSheetComparison {
    /// Of `row`.
    pub fn of(row: &ComparisonRow) -> Result<Self, ApiError> {
        let stored = |what: &str, e: serde_json::Error| {
            ApiError::Internal(anyhow::anyhow!("comparison {}: stored {what}: {e}", row.id))
        };
        Ok(Self {
            id: row.id,
            term_sheet_id: row.term_sheet_id,
            version: row.version,
            snapshot_id: row.snapshot_id,
            snapshot_hash: row.snapshot_hash.clone(),
            input: serde_json::from_value(row.input.clone()).map_err(|e| stored("input", e))?,
            result: serde_json::from_value(row.result.clone()).map_err(|e| stored("result", e))?,
            created_by: row.created_by,
            created_at: row.created_at,
        })
    }
}

/// One option's total NPV, as the event announces it.
#[derive(Debug, Serialize)]
struct OptionNpv {
    option: OptionKind,
    npv: Money,
}

/// What the event and the audit entry carry.
#[derive(Debug, Serialize)]
struct ComparisonSummary {
    comparison_id: Uuid,
    workout_id: WorkoutId,
    term_sheet_id: Uuid,
    version: i32,
    snapshot_id: Uuid,
    snapshot_hash: String,
    options: Vec<OptionNpv>,
    highest: OptionKind,
    #[serde(with = "rust_decimal::serde::str")]
    restructuring_irr: Decimal,
}

/// `/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comparisons/{comparison_id}`.
#[derive(Debug, Deserialize)]
pub struct ComparisonPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The term sheet.
    pub term_sheet_id: Uuid,
    /// The version's number.
    pub version: i32,
    /// The comparison.
    pub comparison_id: Uuid,
}

/// `POST /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comparisons`
/// (the coordinator): compares the options for the version (restructuring on its repayment
/// schedule, each instalment's amount as principal with zero interest; enforcement of the
/// registry's collateral as of the snapshot's date; insolvency; a loan sale if offered) with the
/// frozen snapshot's creditors as weights. Answers 201 with the stored comparison.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    request_body = CompareOptions,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = TermSheetComparison), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comparisons")]
pub async fn compare_term_sheet_options(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<VersionPath>,
    body: JsonBody<CompareOptions>,
) -> Result<HttpResponse, ApiError> {
    let VersionPath {
        workout_id: workout,
        term_sheet_id: id,
        version,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::CompareOptions)?;
    let body = body.parse()?;
    let request = body.value;
    let stored_version = {
        let mut conn = pool.get().await?;
        load_term_sheet(&mut conn, workout, id, false).await?;
        load_version(&mut conn, id, version).await?
    };
    let sheet = stored_version.sheet()?;
    let frozen = registry
        .frozen_snapshot(workout, request.snapshot_id)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::invalid_field(
                "snapshot_id",
                "no frozen snapshot of this workout has this id (freeze one in the registry first)",
            ),
            other => other,
        })?;
    let basis = basis_of(&frozen);
    let collateral = converted(&basis, registry.collateral(workout, frozen.as_of).await?)?;
    let input = comparison_input(&request, &sheet, &frozen, &collateral)?;
    let result = valuation::compare(&input).map_err(refused)?;
    let sources = ComparisonSources {
        request,
        version_hash: stored_version.content_hash.clone(),
        snapshot: basis,
        collateral,
    };
    let row = ComparisonRow {
        id: Uuid::now_v7(),
        term_sheet_id: id,
        version,
        snapshot_id: frozen.id,
        snapshot_hash: frozen.content_hash.clone(),
        input: to_json(&sources)?,
        result: to_json(&result)?,
        created_by: caller.user_id.into_uuid(),
        created_at: Utc::now(),
    };
    let summary = ComparisonSummary {
        comparison_id: row.id,
        workout_id: workout,
        term_sheet_id: id,
        version,
        snapshot_id: row.snapshot_id,
        snapshot_hash: row.snapshot_hash.clone(),
        options: result
            .options
            .iter()
            .map(|option| OptionNpv {
                option: option.option,
                npv: option.npv,
            })
            .collect(),
        highest: result.highest,
        restructuring_irr: result.restructuring_irr.annual_rate,
    };
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        diesel::insert_into(term_sheet_comparisons::table)
            .values(&row)
            .execute(conn)
            .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::TermSheetCompared,
            READERS,
            None,
            &summary,
        )
        .await?;
        Reply::created(
            format!(
                "/voting/v1/workouts/{workout}/term-sheets/{id}/versions/{version}/comparisons/{}",
                row.id
            ),
            &TermSheetComparison::of(&row)?,
        )
    })
    .await
}

/// `GET /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comparisons`
/// (creditors and the coordinator): the version's comparisons, oldest first, a page.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<TermSheetComparison>), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comparisons")]
pub async fn list_term_sheet_comparisons(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<VersionPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let VersionPath {
        workout_id: workout,
        term_sheet_id: id,
        version,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ReadTermSheets)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    load_term_sheet(&mut conn, workout, id, false).await?;
    load_version(&mut conn, id, version).await?;
    let rows: Vec<ComparisonRow> = term_sheet_comparisons::table
        .filter(term_sheet_comparisons::term_sheet_id.eq(id))
        .filter(term_sheet_comparisons::version.eq(version))
        .filter(term_sheet_comparisons::id.gt(window.after))
        .order(term_sheet_comparisons::id.asc())
        .limit(window.fetch())
        .select(ComparisonRow::as_select())
        .load(&mut conn)
        .await?;
    let views = rows
        .iter()
        .map(TermSheetComparison::of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(window.page(views, |c: &TermSheetComparison| c.id)))
}

/// `GET /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comparisons/{comparison_id}`
/// (creditors and the coordinator): one comparison, as stored.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    responses((status = 200, body = TermSheetComparison), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get(
    "/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}/versions/{version}/comparisons/{comparison_id}"
)]
pub async fn get_term_sheet_comparison(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<ComparisonPath>,
) -> Result<HttpResponse, ApiError> {
    let ComparisonPath {
        workout_id: workout,
        term_sheet_id: id,
        version,
        comparison_id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ReadTermSheets)?;
    let mut conn = pool.get().await?;
    load_term_sheet(&mut conn, workout, id, false).await?;
    let row: ComparisonRow = term_sheet_comparisons::table
        .find(comparison_id)
        .filter(term_sheet_comparisons::term_sheet_id.eq(id))
        .filter(term_sheet_comparisons::version.eq(version))
        .select(ComparisonRow::as_select())
        .first(&mut conn)
        .await
        .optional()?
        .ok_or(ApiError::NotFound("comparison"))?;
    Ok(HttpResponse::Ok().json(TermSheetComparison::of(&row)?))
}

/// The snapshot's facts a comparison keeps.
fn basis_of(frozen: &FrozenSnapshot) -> SnapshotBasis {
    let snapshot = &frozen.snapshot;
    SnapshotBasis {
        id: frozen.id,
        as_of: frozen.as_of,
        content_hash: frozen.content_hash.clone(),
        base: snapshot.base(),
        rates_date: snapshot.rates_date(),
        rates: snapshot.rates().to_vec(),
        total: snapshot.total(),
    }
}

/// Each collateral item converted to the base currency at the snapshot's rate; 422 naming the
/// first item whose currency the snapshot has no rate for.
fn converted(
    basis: &SnapshotBasis,
    items: Vec<CollateralItem>,
) -> Result<Vec<CollateralUsed>, ApiError> {
    let mut fx = FxTable::new(basis.base, basis.rates_date);
    for rate in &basis.rates {
        fx.insert(rate.currency, rate.rate).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("snapshot {}: a stored rate: {e}", basis.id))
        })?;
    }
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let field = format!("enforcement.collateral[{index}]");
            let currency = item.valuation.currency;
            let Some(rate) = fx.rate(currency) else {
                return Err(ApiError::invalid_field(
                    field,
                    format!(
                        "the collateral {:?} of facility {} is valued in {currency}, and snapshot \
                         {} has no {currency} rate to convert it into {}: enter the rate and \
                         freeze a new snapshot",
                        item.kind, item.facility_id, basis.id, basis.base
                    ),
                ));
            };
            let value = exposure::convert(&fx, item.valuation).map_err(|e| {
                ApiError::invalid_field(
                    field,
                    format!("cannot be converted into {}: {e}", basis.base),
                )
            })?;
            Ok(CollateralUsed { item, rate, value })
        })
        .collect()
}

/// The domain's input: the snapshot's creditors, the version's schedule, the registry's
/// collateral and the caller's assumptions, all in the snapshot's base currency.
fn comparison_input(
    request: &CompareOptions,
    sheet: &TermSheet,
    frozen: &FrozenSnapshot,
    collateral: &[CollateralUsed],
) -> Result<ComparisonInput, ApiError> {
    let snapshot = &frozen.snapshot;
    let base = snapshot.base();
    let Some(schedule) = sheet.repayment_schedule.as_ref() else {
        return Err(ApiError::invalid_field(
            "repayment_schedule",
            "this version has no repayment schedule: the restructuring's flows come from it",
        ));
    };
    let instalments = schedule
        .iter()
        .enumerate()
        .map(|(index, instalment)| {
            Ok(valuation::Instalment {
                date: BoundedDate::new(instalment.due).map_err(|e| {
                    ApiError::invalid_field(
                        format!("repayment_schedule[{index}].due"),
                        e.to_string(),
                    )
                })?,
                principal: instalment.amount,
                interest: Money::new(Decimal::ZERO, base),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(ComparisonInput {
        assumptions: Assumptions {
            valuation_date: request.assumptions.valuation_date,
            day_count: request.assumptions.day_count,
            discount: request.assumptions.discount.clone(),
            currency: base,
        },
        creditors: snapshot
            .creditors()
            .iter()
            .map(|line| CreditorWeight {
                creditor: line.creditor,
                exposure: line.exposure,
            })
            .collect(),
        restructuring: Restructuring {
            instalments,
            costs: request.restructuring_costs.clone(),
        },
        enforcement: Enforcement {
            collateral: collateral
                .iter()
                .map(|used| CollateralValue {
                    description: describe(&used.item),
                    value: used.value,
                })
                .collect(),
            haircut: request.enforcement.haircut,
            legal_costs: request.enforcement.legal_costs,
            time_to_recovery: request.enforcement.time_to_recovery,
        },
        insolvency: Insolvency {
            claim: request.insolvency.claim.unwrap_or_else(|| snapshot.total()),
            recovery_rate: request.insolvency.recovery_rate,
            costs: request.insolvency.costs,
            duration: request.insolvency.duration,
        },
        loan_sale: request.loan_sale.clone(),
    })
}

/// A collateral item in words: its kind, its description, its facility.
fn describe(item: &CollateralItem) -> String {
    if item.description.is_empty() {
        format!("{} (facility {})", item.kind, item.facility_id)
    } else {
        format!(
            "{}: {} (facility {})",
            item.kind, item.description, item.facility_id
        )
    }
}

/// The 422 of a valuation error, naming the request's or the version's field.
fn refused(error: ValuationError) -> ApiError {
    match error {
        ValuationError::Invalid { field, reason } => {
            ApiError::invalid_field(request_field(&field), reason)
        }
        ValuationError::NoSignChange => ApiError::invalid_field(
            "repayment_schedule",
            "the schedule's flows against the total exposure have no IRR between -99 % and \
             1000 % a year",
        ),
        ValuationError::Overflow => ApiError::unprocessable(
            "valuation_overflow",
            "the amounts or rates are too large to value exactly",
        ),
    }
}

/// The field of the request (or of the version's content) that a domain field comes from.
fn request_field(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("restructuring.instalments") {
        let rest = rest
            .replace("].principal", "].amount")
            .replace("].interest", "].amount")
            .replace("].date", "].due");
        return format!("repayment_schedule{rest}");
    }
    if let Some(rest) = field.strip_prefix("restructuring.costs") {
        return format!("restructuring_costs{rest}");
    }
    if field.starts_with("creditors") {
        return "snapshot_id".to_owned();
    }
    field.to_owned()
}

#[cfg(test)]
mod tests {
    use super::request_field;

    #[test]
    fn domain_fields_are_named_as_the_request_and_the_version_name_them() {
        assert_eq!(
            request_field("restructuring.instalments[1].principal"),
            "repayment_schedule[1].amount"
        );
        assert_eq!(
            request_field("restructuring.instalments[0].date"),
            "repayment_schedule[0].due"
        );
        assert_eq!(
            request_field("restructuring.instalments"),
            "repayment_schedule"
        );
        assert_eq!(
            request_field("restructuring.costs[2].amount"),
            "restructuring_costs[2].amount"
        );
        assert_eq!(request_field("creditors"), "snapshot_id");
        assert_eq!(
            request_field("assumptions.discount.note"),
            "assumptions.discount.note"
        );
    }
}
