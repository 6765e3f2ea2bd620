//! Option comparison (guideline 5.2.6 and 5.3.1 I): the net present value of restructuring,
//! enforcement, insolvency and a loan sale, per creditor and in total, and the internal rate of
//! return of the restructuring, with the assumptions kept next to the numbers.
//!
//! Rules:
//! - Every option is a list of dated net cash flows in the comparison's currency (a flow in
//!   another currency is an error naming the field, never converted). Costs are negative flows.
//! - Discounting: each flow is multiplied by `df = (1 + r)^(-t)`, with `r` the stated annual rate
//!   and `t` the year fraction under the stated day count. The one day count is
//!   [`DayCount::Actual365Fixed`]: `t = days / 365`, days counted from the valuation date to the
//!   flow's date (2027-11-24 to 2028-11-24 is 366 days, so `t = 366/365`). The power is taken
//!   as `(1 + r)^n` for the `n` whole 365-day years (exact decimal multiplication) times
//!   `exp((d / 365) · ln(1 + r))` for the `d` remaining days (`rust_decimal`'s `ln` and `exp`,
//!   about 28 significant digits), so a flow whole years away is discounted exactly
//!   (`1.1^-1 = 0.9090…`) and a flow on the valuation date has `df = 1`.
//! - A flow before the valuation date is an error (the comparison is a forward view).
//! - Money is rounded once, at the end: an option's NPV is the exact sum of the exact present
//!   values, rounded to the currency's minor unit, midpoints away from zero (as the exposure
//!   snapshot rounds). A creditor's NPV is the exact NPV times its weight (its exposure over the
//!   total), rounded the same way; creditors' rounded NPVs may therefore differ from the rounded
//!   total by up to half a minor unit each. The present values shown per flow are rounded the
//!   same way for reading only.
//! - Enforcement: the collateral values are summed, reduced by the haircut and capped at the
//!   total exposure (a creditor cannot recover more than it is owed: the excess goes back to the
//!   borrower), less legal costs; that one net flow falls at the recovery date (a number of
//!   months after the valuation date, or a date).
//! - Insolvency: the claim times the expected recovery rate, less the costs of the procedure,
//!   as one net flow at the end of the procedure.
//! - Loan sale: the stated price, received at the settlement date (the valuation date if none).
//! - The IRR is the annual rate (same day count) at which the restructuring's flows, less the
//!   total exposure paid out at the valuation date, have an NPV of zero; found by bisection
//!   between [`IRR_LOWEST`] and [`IRR_HIGHEST`] until the bracket is narrower than
//!   [`IRR_TOLERANCE`], and given in percent rounded to [`IRR_DECIMAL_PLACES`] places. No sign
//!   change over that range is an error; flows whose sign changes more than once may have
//!   several IRRs, and the one found is then one of them. Every creditor shares the flows pro
//!   rata, so each creditor's IRR is the total's.
//! - Inputs are checked before anything is computed: amounts below zero, an empty list of
//!   instalments, collateral or creditors, a total exposure of zero and a blank note on the
//!   rate's basis are errors naming the field (`enforcement.collateral[1].value`).

use chrono::NaiveDate;
use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::calendar::add_months;
use crate::date::BoundedDate;
use crate::ids::InstitutionId;
use crate::money::{Currency, Money};
use crate::percentage::Percentage;

/// The lowest IRR searched, as a fraction (−99 % a year).
pub const IRR_LOWEST: Decimal = Decimal::from_parts(99, 0, 0, true, 2);
/// The highest IRR searched, as a fraction (+1,000 % a year).
pub const IRR_HIGHEST: Decimal = Decimal::TEN;
/// The bisection stops when the bracket is narrower than this (as a fraction: 1e-10).
pub const IRR_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 10);
/// Decimal places of the IRR in percent.
pub const IRR_DECIMAL_PLACES: u32 = 6;
/// Decimal places of a discount factor shown per flow.
pub const DISCOUNT_FACTOR_DECIMAL_PLACES: u32 = 10;

const DAYS_PER_YEAR: i64 = 365;

/// Why a rate was chosen to discount (guideline 5.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscountBasis {
    /// An appropriate market-based discount rate.
    MarketBased,
    /// The original effective interest rate used for IFRS 9 provisioning.
    OriginalEffectiveInterestRate,
    /// The bank's standard risk-adjusted discount rate.
    RiskAdjusted,
}

/// How the time between two dates becomes a fraction of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum DayCount {
    /// Actual/365 Fixed: actual calendar days over 365, leap years included.
    #[serde(rename = "ACT/365F")]
    Actual365Fixed,
}

/// The annual discount rate with its basis and a recorded note (who set it, from what).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountRate {
    /// Why this rate.
    pub basis: DiscountBasis,
    /// The annual rate in percent (`10` is 10 % a year).
    #[schema(value_type = String, example = "10")]
    pub annual_rate: Percentage,
    /// The note recorded with the rate; not blank.
    pub note: String,
}

/// What every option of one comparison is valued with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assumptions {
    /// The date the values are as at.
    pub valuation_date: BoundedDate,
    /// The day count of the discounting.
    pub day_count: DayCount,
    /// The discount rate.
    pub discount: DiscountRate,
    /// The currency of every amount.
    pub currency: Currency,
}

/// A creditor's exposure, its weight in every option's flows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditorWeight {
    /// The creditor.
    pub creditor: InstitutionId,
    /// Its exposure at the valuation date.
    pub exposure: Money,
}

/// One instalment of a repayment schedule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
// Named apart from the term sheet's `Instalment` in the API documents that show both.
#[schema(as = RestructuringInstalment)]
pub struct Instalment {
    /// When it is due.
    pub date: BoundedDate,
    /// Principal repaid.
    pub principal: Money,
    /// Interest paid.
    pub interest: Money,
}

/// A dated amount, e.g. a cost the banks pay.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatedAmount {
    /// When it is paid.
    pub date: BoundedDate,
    /// How much (not below zero).
    pub amount: Money,
}

/// The restructuring option: the term sheet's repayment schedule and the banks' costs of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Restructuring {
    /// The instalments (at least one); fees received may be given as interest.
    pub instalments: Vec<Instalment>,
    /// The banks' out-of-pocket costs (advisers, legal fees), each paid on its date.
    #[serde(default)]
    pub costs: Vec<DatedAmount>,
}

/// One collateral's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollateralValue {
    /// What it is.
    pub description: String,
    /// Its current value (not below zero).
    pub value: Money,
}

/// When a recovery arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecoveryTiming {
    /// A number of calendar months after the valuation date (day clamped to the month's end).
    AfterMonths {
        /// The months.
        months: u32,
    },
    /// On a date.
    OnDate {
        /// The date.
        date: BoundedDate,
    },
}

/// The enforcement option (including legal proceedings).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enforcement {
    /// The collateral's current values (at least one).
    pub collateral: Vec<CollateralValue>,
    /// The haircut on their sum, in percent.
    #[schema(value_type = String, example = "30")]
    pub haircut: Percentage,
    /// Litigation and enforcement costs, deducted from the recovery.
    pub legal_costs: Money,
    /// When the recovery arrives.
    pub time_to_recovery: RecoveryTiming,
}

/// The insolvency option.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Insolvency {
    /// The banks' claim in the procedure.
    pub claim: Money,
    /// The share of the claim expected to be recovered, in percent.
    #[schema(value_type = String, example = "35")]
    pub recovery_rate: Percentage,
    /// The costs of the procedure, deducted from the recovery.
    pub costs: Money,
    /// When the procedure ends and the recovery arrives.
    pub duration: RecoveryTiming,
}

/// The loan-sale option.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoanSale {
    /// The stated price.
    pub price: Money,
    /// When the price is received; the valuation date if absent.
    #[serde(default)]
    pub settlement_date: Option<BoundedDate>,
}

/// Everything a comparison is computed from; echoed in its result.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComparisonInput {
    /// Date, day count, rate and currency.
    pub assumptions: Assumptions,
    /// The creditors and their exposures (at least one, total above zero).
    pub creditors: Vec<CreditorWeight>,
    /// The restructuring.
    pub restructuring: Restructuring,
    /// Enforcement.
    pub enforcement: Enforcement,
    /// Insolvency.
    pub insolvency: Insolvency,
    /// A loan sale, if one is offered.
    #[serde(default)]
    pub loan_sale: Option<LoanSale>,
}

/// The options compared.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OptionKind {
    /// Restructuring on the term sheet's schedule.
    Restructuring,
    /// Enforcement of the collateral.
    Enforcement,
    /// Insolvency.
    Insolvency,
    /// Sale of the loan.
    LoanSale,
}

/// What a flow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    /// An instalment (principal and interest).
    Instalment,
    /// A cost the banks pay.
    Cost,
    /// The net recovery from collateral, after haircut, cap and legal costs.
    NetEnforcementRecovery,
    /// The net recovery in insolvency, after its costs.
    NetInsolvencyRecovery,
    /// The price of a loan sale.
    SalePrice,
}

/// One flow, discounted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DiscountedFlow {
    /// What it is.
    pub kind: FlowKind,
    /// When it falls.
    pub date: NaiveDate,
    /// Its amount (negative for a cost).
    pub amount: Money,
    /// Days from the valuation date.
    pub days: i64,
    /// `(1 + r)^(-days/365)`, rounded to [`DISCOUNT_FACTOR_DECIMAL_PLACES`] for reading.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.9090909091")]
    pub discount_factor: Decimal,
    /// `amount × df`, rounded to the minor unit for reading (the NPV sums the exact values).
    pub present_value: Money,
}

/// A creditor's share of an option.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreditorValue {
    /// The creditor.
    pub creditor: InstitutionId,
    /// Its exposure over the total, exact.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.6")]
    pub weight: Decimal,
    /// Its share of the option's NPV.
    pub npv: Money,
}

/// One option's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OptionValue {
    /// The option.
    pub option: OptionKind,
    /// Its flows, discounted, in date order.
    pub flows: Vec<DiscountedFlow>,
    /// The NPV of the whole option.
    pub npv: Money,
    /// Each creditor's share, in the order given.
    pub per_creditor: Vec<CreditorValue>,
}

/// The IRR of the restructuring against the exposure today.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RestructuringIrr {
    /// The annual rate in percent, rounded to [`IRR_DECIMAL_PLACES`] places.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "10")]
    pub annual_rate: Decimal,
    /// The total exposure taken as paid out at the valuation date.
    pub outlay: Money,
}

/// The comparison: every option's value, the restructuring's IRR, and the inputs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OptionComparison {
    /// The options, restructuring first, loan sale last when offered.
    pub options: Vec<OptionValue>,
    /// The IRR of the restructuring (each creditor's as well).
    pub restructuring_irr: RestructuringIrr,
    /// The option of the highest total NPV (the first in `options` on a tie).
    pub highest: OptionKind,
    /// Everything the numbers were computed from.
    pub inputs: ComparisonInput,
}

/// Why a comparison cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValuationError {
    /// An input is missing, negative or otherwise unusable.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as a path (`enforcement.collateral[1].value`).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The NPV of the restructuring against the exposure does not change sign between the
    /// lowest and highest rate searched: no IRR in that range.
    #[error("the restructuring's cash flows have no IRR between -99 % and 1000 % a year")]
    NoSignChange,
    /// A number left the range of a decimal.
    #[error("a value overflowed")]
    Overflow,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ValuationError {
    ValuationError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A flow before discounting.
#[derive(Debug, Clone, Copy)]
struct Flow {
    kind: FlowKind,
    date: NaiveDate,
    amount: Decimal,
}

/// Compares the options of `input`.
///
/// # Errors
/// [`ValuationError::Invalid`] naming the field for an unusable input (see the module rules),
/// [`ValuationError::NoSignChange`] if the restructuring has no IRR in the searched range,
/// [`ValuationError::Overflow`] if a number does not fit.
pub fn compare(input: &ComparisonInput) -> Result<OptionComparison, ValuationError> {
    let assumptions = &input.assumptions;
    let weights = creditor_weights(assumptions, &input.creditors)?;
    let total_exposure = total_exposure(&input.creditors)?;
    let restructuring = restructuring_flows(assumptions, &input.restructuring)?;
    let enforcement = enforcement_flows(assumptions, &input.enforcement, total_exposure)?;
    let insolvency = insolvency_flows(assumptions, &input.insolvency)?;
    let sale = input
        .loan_sale
        .as_ref()
        .map(|sale| loan_sale_flows(assumptions, sale))
        .transpose()?;

    let mut options = vec![
        value(
            assumptions,
            OptionKind::Restructuring,
            &restructuring,
            &weights,
        )?,
        value(assumptions, OptionKind::Enforcement, &enforcement, &weights)?,
        value(assumptions, OptionKind::Insolvency, &insolvency, &weights)?,
    ];
    if let Some(flows) = sale {
        options.push(value(assumptions, OptionKind::LoanSale, &flows, &weights)?);
    }
    let highest = options
        .iter()
        .fold(None::<&OptionValue>, |best, option| match best {
            Some(best) if best.npv.amount >= option.npv.amount => Some(best),
            _ => Some(option),
        })
        .map_or(OptionKind::Restructuring, |best| best.option);

    let outlay = Flow {
        kind: FlowKind::Cost,
        date: assumptions.valuation_date.get(),
        amount: -total_exposure,
    };
    let mut irr_flows = vec![outlay];
    irr_flows.extend(restructuring);
    let annual_rate = irr(assumptions.valuation_date.get(), &irr_flows)?;

    Ok(OptionComparison {
        options,
        restructuring_irr: RestructuringIrr {
            annual_rate,
            outlay: Money::new(total_exposure, assumptions.currency),
        },
        highest,
        inputs: input.clone(),
    })
}

/// The NPV of the restructuring alone, in total and per creditor.
///
/// # Errors
/// As [`compare`], for the fields it reads.
pub fn value_restructuring(
    assumptions: &Assumptions,
    creditors: &[CreditorWeight],
    restructuring: &Restructuring,
) -> Result<OptionValue, ValuationError> {
    let weights = creditor_weights(assumptions, creditors)?;
    let flows = restructuring_flows(assumptions, restructuring)?;
    value(assumptions, OptionKind::Restructuring, &flows, &weights)
}

/// The NPV of enforcement alone, in total and per creditor (the cap is the creditors' total
/// exposure).
///
/// # Errors
/// As [`compare`], for the fields it reads.
pub fn value_enforcement(
    assumptions: &Assumptions,
    creditors: &[CreditorWeight],
    enforcement: &Enforcement,
) -> Result<OptionValue, ValuationError> {
    let weights = creditor_weights(assumptions, creditors)?;
    let flows = enforcement_flows(assumptions, enforcement, total_exposure(creditors)?)?;
    value(assumptions, OptionKind::Enforcement, &flows, &weights)
}

/// The NPV of insolvency alone, in total and per creditor.
///
/// # Errors
/// As [`compare`], for the fields it reads.
pub fn value_insolvency(
    assumptions: &Assumptions,
    creditors: &[CreditorWeight],
    insolvency: &Insolvency,
) -> Result<OptionValue, ValuationError> {
    let weights = creditor_weights(assumptions, creditors)?;
    let flows = insolvency_flows(assumptions, insolvency)?;
    value(assumptions, OptionKind::Insolvency, &flows, &weights)
}

/// The NPV of a loan sale alone, in total and per creditor.
///
/// # Errors
/// As [`compare`], for the fields it reads.
pub fn value_loan_sale(
    assumptions: &Assumptions,
    creditors: &[CreditorWeight],
    sale: &LoanSale,
) -> Result<OptionValue, ValuationError> {
    let weights = creditor_weights(assumptions, creditors)?;
    let flows = loan_sale_flows(assumptions, sale)?;
    value(assumptions, OptionKind::LoanSale, &flows, &weights)
}

/// `(1 + rate)^(-days/365)` (Actual/365 Fixed), `rate` a fraction (`0.1` for 10 %), exact for
/// whole 365-day years; see the module rules. A factor below the smallest positive decimal
/// (1e-28, e.g. 100 % a year over a century) is zero.
///
/// # Errors
/// [`ValuationError::Invalid`] (field `rate`) if `rate` is −1 or below;
/// [`ValuationError::Overflow`] if a negative rate makes the factor too large for a decimal.
pub fn discount_factor(rate: Decimal, days: u32) -> Result<Decimal, ValuationError> {
    let base = Decimal::ONE + rate;
    if base <= Decimal::ZERO {
        return Err(invalid("rate", "must be above -100 %"));
    }
    match growth(base, days) {
        Some(growth) => Decimal::ONE
            .checked_div(growth)
            .ok_or(ValuationError::Overflow),
        None if base > Decimal::ONE => Ok(Decimal::ZERO),
        None => Err(ValuationError::Overflow),
    }
}

/// `base^(days/365)` for a `base` above zero: whole years by multiplication, the remaining days
/// by `exp` and `ln`. `None` when the power leaves the range of a decimal (above its largest
/// value for a base above 1, below its smallest positive value for a base below 1).
fn growth(base: Decimal, days: u32) -> Option<Decimal> {
    if days == 0 || base == Decimal::ONE {
        return Some(Decimal::ONE);
    }
    let years = u64::from(days) / DAYS_PER_YEAR.unsigned_abs();
    let rest = u64::from(days) % DAYS_PER_YEAR.unsigned_abs();
    let whole = base.checked_powu(years)?;
    let part = if rest == 0 {
        Decimal::ONE
    } else {
        let fraction = Decimal::from(rest).checked_div(Decimal::from(DAYS_PER_YEAR))?;
        base.checked_ln()?.checked_mul(fraction)?.checked_exp()?
    };
    whole.checked_mul(part)
}

/// Days from `from` to `to`, refusing a date before `from`.
fn days_between(from: NaiveDate, to: NaiveDate, field: &str) -> Result<u32, ValuationError> {
    let days = (to - from).num_days();
    u32::try_from(days)
        .map_err(|_| invalid(field, format!("{to} is before the valuation date {from}")))
}

fn round_money(amount: Decimal, currency: Currency) -> Money {
    Money::new(
        amount.round_dp_with_strategy(
            currency.minor_units(),
            RoundingStrategy::MidpointAwayFromZero,
        ),
        currency,
    )
}

/// Discounts `flows` (sorted by date) and shares the exact NPV by `weights`.
fn value(
    assumptions: &Assumptions,
    option: OptionKind,
    flows: &[Flow],
    weights: &[(InstitutionId, Decimal)],
) -> Result<OptionValue, ValuationError> {
    let rate = assumptions.discount.annual_rate.as_fraction();
    let currency = assumptions.currency;
    let start = assumptions.valuation_date.get();
    let mut flows = flows.to_vec();
    flows.sort_by_key(|flow| flow.date);
    let mut npv = Decimal::ZERO;
    let mut discounted = Vec::with_capacity(flows.len());
    for flow in &flows {
        let days = days_between(start, flow.date, "date")?;
        let df = discount_factor(rate, days)?;
        let present = flow
            .amount
            .checked_mul(df)
            .ok_or(ValuationError::Overflow)?;
        npv = npv.checked_add(present).ok_or(ValuationError::Overflow)?;
        discounted.push(DiscountedFlow {
            kind: flow.kind,
            date: flow.date,
            amount: Money::new(flow.amount, currency),
            days: i64::from(days),
            discount_factor: df.round_dp_with_strategy(
                DISCOUNT_FACTOR_DECIMAL_PLACES,
                RoundingStrategy::MidpointAwayFromZero,
            ),
            present_value: round_money(present, currency),
        });
    }
    let per_creditor = weights
        .iter()
        .map(|(creditor, weight)| {
            npv.checked_mul(*weight)
                .map(|share| CreditorValue {
                    creditor: *creditor,
                    weight: *weight,
                    npv: round_money(share, currency),
                })
                .ok_or(ValuationError::Overflow)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OptionValue {
        option,
        flows: discounted,
        npv: round_money(npv, currency),
        per_creditor,
    })
}

/// `money`'s amount, if it is in the comparison's currency and not below zero.
fn amount(assumptions: &Assumptions, money: Money, field: &str) -> Result<Decimal, ValuationError> {
    if money.currency != assumptions.currency {
        return Err(invalid(
            field,
            format!(
                "is in {}, the comparison is in {}",
                money.currency, assumptions.currency
            ),
        ));
    }
    if money.is_negative() {
        return Err(invalid(field, "must not be below zero"));
    }
    Ok(money.amount)
}

fn check_note(assumptions: &Assumptions) -> Result<(), ValuationError> {
    if assumptions.discount.note.trim().is_empty() {
        Err(invalid(
            "assumptions.discount.note",
            "the basis of the rate is recorded with a note; it is blank",
        ))
    } else {
        Ok(())
    }
}

fn total_exposure(creditors: &[CreditorWeight]) -> Result<Decimal, ValuationError> {
    creditors.iter().try_fold(Decimal::ZERO, |sum, creditor| {
        sum.checked_add(creditor.exposure.amount)
            .ok_or(ValuationError::Overflow)
    })
}

/// Each creditor's exposure over the total, exact to 28 digits.
fn creditor_weights(
    assumptions: &Assumptions,
    creditors: &[CreditorWeight],
) -> Result<Vec<(InstitutionId, Decimal)>, ValuationError> {
    check_note(assumptions)?;
    if creditors.is_empty() {
        return Err(invalid("creditors", "at least one creditor is needed"));
    }
    for (index, creditor) in creditors.iter().enumerate() {
        amount(
            assumptions,
            creditor.exposure,
            &format!("creditors[{index}].exposure"),
        )?;
        if creditors[..index]
            .iter()
            .any(|earlier| earlier.creditor == creditor.creditor)
        {
            return Err(invalid(
                format!("creditors[{index}].creditor"),
                "is given twice",
            ));
        }
    }
    let total = total_exposure(creditors)?;
    if total.is_zero() {
        return Err(invalid("creditors", "the total exposure is zero"));
    }
    creditors
        .iter()
        .map(|creditor| {
            creditor
                .exposure
                .amount
                .checked_div(total)
                .map(|weight| (creditor.creditor, weight.normalize()))
                .ok_or(ValuationError::Overflow)
        })
        .collect()
}

fn on_or_after(
    assumptions: &Assumptions,
    date: BoundedDate,
    field: &str,
) -> Result<NaiveDate, ValuationError> {
    days_between(assumptions.valuation_date.get(), date.get(), field)?;
    Ok(date.get())
}

fn recovery_date(
    assumptions: &Assumptions,
    timing: RecoveryTiming,
    field: &str,
) -> Result<NaiveDate, ValuationError> {
    match timing {
        RecoveryTiming::AfterMonths { months } => {
            let months = i32::try_from(months)
                .map_err(|_| invalid(format!("{field}.months"), "is too large"))?;
            add_months(assumptions.valuation_date.get(), months)
                .map_err(|_| invalid(format!("{field}.months"), "is too large"))
        }
        RecoveryTiming::OnDate { date } => on_or_after(assumptions, date, &format!("{field}.date")),
    }
}

fn restructuring_flows(
    assumptions: &Assumptions,
    restructuring: &Restructuring,
) -> Result<Vec<Flow>, ValuationError> {
    check_note(assumptions)?;
    if restructuring.instalments.is_empty() {
        return Err(invalid(
            "restructuring.instalments",
            "at least one instalment is needed",
        ));
    }
    let mut flows = Vec::new();
    for (index, instalment) in restructuring.instalments.iter().enumerate() {
        let field = format!("restructuring.instalments[{index}]");
        let date = on_or_after(assumptions, instalment.date, &format!("{field}.date"))?;
        let principal = amount(
            assumptions,
            instalment.principal,
            &format!("{field}.principal"),
        )?;
        let interest = amount(
            assumptions,
            instalment.interest,
            &format!("{field}.interest"),
        )?;
        flows.push(Flow {
            kind: FlowKind::Instalment,
            date,
            amount: principal
                .checked_add(interest)
                .ok_or(ValuationError::Overflow)?,
        });
    }
    for (index, cost) in restructuring.costs.iter().enumerate() {
        let field = format!("restructuring.costs[{index}]");
        let date = on_or_after(assumptions, cost.date, &format!("{field}.date"))?;
        let paid = amount(assumptions, cost.amount, &format!("{field}.amount"))?;
        flows.push(Flow {
            kind: FlowKind::Cost,
            date,
            amount: -paid,
        });
    }
    Ok(flows)
}

fn enforcement_flows(
    assumptions: &Assumptions,
    enforcement: &Enforcement,
    total_exposure: Decimal,
) -> Result<Vec<Flow>, ValuationError> {
    check_note(assumptions)?;
    if enforcement.collateral.is_empty() {
        return Err(invalid(
            "enforcement.collateral",
            "at least one collateral value is needed",
        ));
    }
    let mut collateral = Decimal::ZERO;
    for (index, item) in enforcement.collateral.iter().enumerate() {
        let value = amount(
            assumptions,
            item.value,
            &format!("enforcement.collateral[{index}].value"),
        )?;
        collateral = collateral
            .checked_add(value)
            .ok_or(ValuationError::Overflow)?;
    }
    let legal_costs = amount(
        assumptions,
        enforcement.legal_costs,
        "enforcement.legal_costs",
    )?;
    let date = recovery_date(
        assumptions,
        enforcement.time_to_recovery,
        "enforcement.time_to_recovery",
    )?;
    let kept = Decimal::ONE - enforcement.haircut.as_fraction();
    let realised = collateral
        .checked_mul(kept)
        .ok_or(ValuationError::Overflow)?
        .min(total_exposure);
    Ok(vec![Flow {
        kind: FlowKind::NetEnforcementRecovery,
        date,
        amount: realised - legal_costs,
    }])
}

fn insolvency_flows(
    assumptions: &Assumptions,
    insolvency: &Insolvency,
) -> Result<Vec<Flow>, ValuationError> {
    check_note(assumptions)?;
    let claim = amount(assumptions, insolvency.claim, "insolvency.claim")?;
    let costs = amount(assumptions, insolvency.costs, "insolvency.costs")?;
    let date = recovery_date(assumptions, insolvency.duration, "insolvency.duration")?;
    let recovered = claim
        .checked_mul(insolvency.recovery_rate.as_fraction())
        .ok_or(ValuationError::Overflow)?;
    Ok(vec![Flow {
        kind: FlowKind::NetInsolvencyRecovery,
        date,
        amount: recovered - costs,
    }])
}

fn loan_sale_flows(
    assumptions: &Assumptions,
    sale: &LoanSale,
) -> Result<Vec<Flow>, ValuationError> {
    check_note(assumptions)?;
    let price = amount(assumptions, sale.price, "loan_sale.price")?;
    let date = match sale.settlement_date {
        Some(date) => on_or_after(assumptions, date, "loan_sale.settlement_date")?,
        None => assumptions.valuation_date.get(),
    };
    Ok(vec![Flow {
        kind: FlowKind::SalePrice,
        date,
        amount: price,
    }])
}

/// The sign of the NPV of `flows` at `rate`, scaled by a positive factor so that no power
/// overflows: discounted to `start` for a rate of zero or more (every factor at most 1),
/// compounded to the last flow's date for a negative rate (again every factor at most 1).
fn npv_sign(last: u32, flows: &[(u32, Decimal)], rate: Decimal) -> Result<Decimal, ValuationError> {
    let base = Decimal::ONE + rate;
    let mut sum = Decimal::ZERO;
    for (days, amount) in flows {
        let factor = if rate >= Decimal::ZERO {
            discount_factor(rate, *days)?
        } else {
            // Below the smallest positive decimal: nothing left of the flow.
            growth(base, last - days).unwrap_or(Decimal::ZERO)
        };
        let present = amount.checked_mul(factor).ok_or(ValuationError::Overflow)?;
        sum = sum.checked_add(present).ok_or(ValuationError::Overflow)?;
    }
    Ok(sum)
}

/// The IRR of `flows` from `start`, in percent; see the module rules.
fn irr(start: NaiveDate, flows: &[Flow]) -> Result<Decimal, ValuationError> {
    let dated = flows
        .iter()
        .map(|flow| Ok((days_between(start, flow.date, "date")?, flow.amount)))
        .collect::<Result<Vec<_>, ValuationError>>()?;
    let last = dated.iter().map(|(days, _)| *days).max().unwrap_or(0);
    let mut low = IRR_LOWEST;
    let mut high = IRR_HIGHEST;
    let at_low = npv_sign(last, &dated, low)?;
    let at_high = npv_sign(last, &dated, high)?;
    let root = if at_low.is_zero() {
        low
    } else if at_high.is_zero() {
        high
    } else if at_low.is_sign_negative() == at_high.is_sign_negative() {
        return Err(ValuationError::NoSignChange);
    } else {
        let low_negative = at_low.is_sign_negative();
        while high - low >= IRR_TOLERANCE {
            let middle = (low + high) / Decimal::TWO;
            let at_middle = npv_sign(last, &dated, middle)?;
            if at_middle.is_zero() {
                low = middle;
                high = middle;
            } else if at_middle.is_sign_negative() == low_negative {
                low = middle;
            } else {
                high = middle;
            }
        }
        (low + high) / Decimal::TWO
    };
    Ok((root * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(IRR_DECIMAL_PLACES, RoundingStrategy::MidpointAwayFromZero)
        .normalize())
}

/// The IRR, in percent a year (Actual/365 Fixed), of `flows` dated from `start`: the rate at
/// which their NPV is zero. Outlays are negative amounts.
///
/// # Errors
/// [`ValuationError::Invalid`] for a flow before `start`, [`ValuationError::NoSignChange`] if
/// the NPV does not change sign between [`IRR_LOWEST`] and [`IRR_HIGHEST`].
pub fn internal_rate_of_return(
    start: NaiveDate,
    flows: &[(NaiveDate, Decimal)],
) -> Result<Decimal, ValuationError> {
    let flows = flows
        .iter()
        .map(|(date, amount)| Flow {
            kind: FlowKind::Instalment,
            date: *date,
            amount: *amount,
        })
        .collect::<Vec<_>>();
    irr(start, &flows)
}

#[cfg(test)]
mod tests;
