//! Record-date snapshots: every creditor's exposure in the workout's base currency at the FX
//! rates of the record date, fixed and hashed, so that a ballot can be weighted by it later
//! without asking anyone again. (Hold-the-line monitoring compares facilities, not snapshots:
//! see [`crate::hold_the_line`].)
//!
//! Rules:
//! - An [`FxTable`] holds the rates of one date: for each currency, the units of the base
//!   currency that one unit of it is worth (base SAR, `USD 3.75` means 1 USD = 3.75 SAR). Rates
//!   are > 0 and kept normalized (`3.7500` is `3.75`). The base currency converts at exactly 1
//!   without an entry (an entry for it must be 1). A rate that comes in as text ([`parse_rate`])
//!   is a plain decimal above 0 and below 10^14 with at most [`MAX_RATE_PLACES`] (10) decimal
//!   places, as PostgreSQL's `numeric(24, 10)` holds it: more places are refused, never rounded
//!   (`0.00000000001` would be stored as 0). A currency without a rate is an error
//!   ([`ExposureError::MissingRate`], or [`ExposureError::MissingRates`] listing all of them
//!   for a snapshot), never a silent 1.
//! - Conversion ([`convert`]) multiplies exactly, then rounds **once** to the base currency's ISO
//!   4217 minor unit ([`Currency::minor_units`]: 2 places for SAR, 3 for KWD, 0 for JPY) with
//!   midpoints away from zero (`RoundingStrategy::MidpointAwayFromZero`): 37,500.045 SAR becomes
//!   37,500.05, where banker's rounding would give 37,500.04. If the exact product does not fit in
//!   a decimal (28 significant digits), the conversion fails ([`ExposureError::Inexact`]) rather
//!   than rounding twice.
//! - A snapshot converts each facility's exposure (see [`crate::facility`]: principal + accrued
//!   interest + fees; past due is not added) and rounds it: that is the only rounding. A
//!   creditor's exposure, in all and per class, is the exact sum of its facilities' converted
//!   amounts, and the totals are exact sums of the creditors' amounts, so every total equals the
//!   sum of its lines to the cent.
//! - A creditor with facilities of several classes is reported per class (it votes in each), and
//!   is a related party if any of its facilities is. Class, related-party flag and currency are
//!   read from the facilities, never given twice.
//! - The snapshot records the rates of the currencies that occur, the base currency included (at
//!   1) if a facility is in it, and the date of the rates, which may not be after the record date.
//! - Order: creditors by id, facilities by reference, classes and rates by name. A creditor given
//!   twice, or two facilities of one creditor with the same reference, is an error: either would
//!   make the result depend on how the input was put together.
//! - The content hash is the SHA-256 (lowercase hex) of a canonical text of the workout, the
//!   record date, the base currency, the rates' date, the rates used and every facility line (see
//!   [`Snapshot::canonical_text`]). Decimals are written normalized (`3.75`, base amounts with
//!   exactly the base currency's minor unit, 2 places for SAR), so the same inputs in any order give the same hash, and any change of an
//!   amount, a rate, a class or a reference changes it. The per-creditor amounts and totals are
//!   derived from the lines and are therefore covered by it.
//! - A snapshot read back (deserialized) is recomputed from its facility lines and refused unless
//!   its conversions, sums and hash all match: a stored snapshot cannot be edited unnoticed.
//! - Each creditor line names the creditor (its institution's name, as given to the snapshot) and
//!   gives its **share** of the total and, per class, of that class's total, as [`Percentage`]s:
//!   `amount / total × 100`, computed in decimal (never floats) and rounded once to
//!   [`SHARE_DECIMAL_PLACES`] places, half away from zero (so `25`, `33.3333333333`); a share of
//!   a total of 0 is 0. Shares are derived from the amounts (so covered by the hash through them)
//!   and are for reading: weights are compared by amounts, never by rounded shares. Names are
//!   labels, not content: they are not in the canonical text, so renaming an institution never
//!   changes a hash.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::claims::{ClaimantKind, OtherClaim};
use crate::facility::{
    CreditorClass, DecimalBounds, FacilityTerms, FacilityType, parse_plain_decimal,
};
use crate::ids::{InstitutionId, WorkoutId};
use crate::money::{Currency, Money};
use crate::percentage::Percentage;
use crate::settings::ExposureSettings;

/// Decimal places of the amounts in a base currency with the usual 2 minor units (SAR, USD, EUR);
/// a base currency's own are its [`Currency::minor_units`].
pub const BASE_DECIMAL_PLACES: u32 = 2;

/// Decimal places of a creditor's share of a total, in percent.
pub const SHARE_DECIMAL_PLACES: u32 = 10;

/// The first line of the canonical text; changes whenever the text's format changes.
const CANONICAL_VERSION: &str = "workout-record-date-snapshot v2";

/// Why rates could not be recorded, an amount converted or a snapshot computed or read back.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExposureError {
    /// No rate for a currency.
    #[error("no FX rate for {currency}")]
    MissingRate {
        /// The currency without a rate.
        currency: Currency,
    },
    /// No rate for several currencies (all of them, sorted).
    #[error("no FX rate for {}", .0.iter().map(Currency::as_str).collect::<Vec<_>>().join(", "))]
    MissingRates(Vec<Currency>),
    /// A rate of zero or less.
    #[error("the FX rate of {currency} must be above 0, got {rate}")]
    NonPositiveRate {
        /// The currency.
        currency: Currency,
        /// The rate given.
        rate: Decimal,
    },
    /// A rate other than 1 for the base currency.
    #[error("the base currency {currency} converts at exactly 1, got {rate}")]
    BaseRateNotOne {
        /// The base currency.
        currency: Currency,
        /// The rate given.
        rate: Decimal,
    },
    /// Two base currencies that should be the same differ.
    #[error("base currency {found} where {expected} was expected")]
    BaseMismatch {
        /// The base currency expected.
        expected: Currency,
        /// The base currency found.
        found: Currency,
    },
    /// The rates are of a date after the record date.
    #[error("the FX rates of {rates_date} are later than the record date {as_of}")]
    RatesAfterRecordDate {
        /// The date of the rates.
        rates_date: NaiveDate,
        /// The record date.
        as_of: NaiveDate,
    },
    /// The same creditor appears twice.
    #[error("creditor {0} is given more than once")]
    DuplicateCreditor(InstitutionId),
    /// Two facilities of one creditor have the same reference.
    #[error("creditor {creditor} has two facilities with reference {reference:?}")]
    DuplicateFacility {
        /// The creditor.
        creditor: InstitutionId,
        /// The reference used twice.
        reference: String,
    },
    /// The exact product of an amount and a rate has more than 28 significant digits.
    #[error("{amount} at rate {rate} cannot be converted exactly")]
    Inexact {
        /// The amount to convert.
        amount: Money,
        /// The rate.
        rate: Decimal,
    },
    /// A result does not fit in a decimal.
    #[error("amount overflow")]
    Overflow,
    /// A snapshot read back does not match its own lines.
    #[error("the snapshot is inconsistent: {0}")]
    Inconsistent(String),
}

/// The most decimal places an FX rate may have.
pub const MAX_RATE_PLACES: u32 = 10;

/// FX rates: below 10^14 (0x5AF3_107A_4000) with at most [`MAX_RATE_PLACES`] places, as
/// PostgreSQL's `numeric(24, 10)` holds them.
const RATE: DecimalBounds = DecimalBounds {
    places: MAX_RATE_PLACES,
    limit: Decimal::from_parts(0x107A_4000, 0x5AF3, 0, false, 0),
    limit_text: "10^14",
    what: "a rate",
};

/// An FX rate written as text (e.g. `"3.75"`): a plain decimal above 0 and below 10^14 with at
/// most [`MAX_RATE_PLACES`] decimal places (zeros beyond them are dropped).
///
/// # Errors
/// What is wrong with it, for a person.
pub fn parse_rate(text: &str) -> Result<Decimal, String> {
    let rate = parse_plain_decimal(text, RATE)?;
    if rate.is_zero() {
        return Err("must be above 0".to_owned());
    }
    Ok(rate.normalize())
}

/// The FX rates of one date, towards one base currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FxTableRecord", into = "FxTableRecord")]
pub struct FxTable {
    base: Currency,
    date: NaiveDate,
    rates: BTreeMap<Currency, Decimal>,
}

impl FxTable {
    /// An empty table: only the base currency converts (at 1).
    #[must_use]
    pub const fn new(base: Currency, date: NaiveDate) -> Self {
        Self {
            base,
            date,
            rates: BTreeMap::new(),
        }
    }

    /// Sets the rate of `currency`: units of the base currency per 1 unit of `currency`.
    ///
    /// # Errors
    /// [`ExposureError::NonPositiveRate`] unless `rate > 0`; [`ExposureError::BaseRateNotOne`]
    /// for the base currency at any rate but 1.
    pub fn insert(&mut self, currency: Currency, rate: Decimal) -> Result<(), ExposureError> {
        if rate <= Decimal::ZERO {
            return Err(ExposureError::NonPositiveRate { currency, rate });
        }
        if currency == self.base {
            return if rate == Decimal::ONE {
                Ok(())
            } else {
                Err(ExposureError::BaseRateNotOne { currency, rate })
            };
        }
        self.rates.insert(currency, rate.normalize());
        Ok(())
    }

    /// [`insert`](Self::insert), by value, for building a table in one expression.
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn with_rate(mut self, currency: Currency, rate: Decimal) -> Result<Self, ExposureError> {
        self.insert(currency, rate)?;
        Ok(self)
    }

    /// The base currency.
    #[must_use]
    pub const fn base(&self) -> Currency {
        self.base
    }

    /// The date of the rates.
    #[must_use]
    pub const fn date(&self) -> NaiveDate {
        self.date
    }

    /// The rate of `currency`: 1 for the base currency, `None` if the table has none.
    #[must_use]
    pub fn rate(&self, currency: Currency) -> Option<Decimal> {
        if currency == self.base {
            Some(Decimal::ONE)
        } else {
            self.rates.get(&currency).copied()
        }
    }

    /// The rates of the table (the base currency excluded), by currency.
    pub fn rates(&self) -> impl Iterator<Item = (Currency, Decimal)> + '_ {
        self.rates.iter().map(|(currency, rate)| (*currency, *rate))
    }
}

/// The wire form of an [`FxTable`]: `{"base": "SAR", "date": "2026-03-31", "rates": {"USD":
/// "3.75"}}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FxTableRecord {
    base: Currency,
    date: NaiveDate,
    rates: BTreeMap<Currency, DecimalText>,
}

/// A decimal written as a JSON string.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
struct DecimalText(#[serde(with = "rust_decimal::serde::str")] Decimal);

impl TryFrom<FxTableRecord> for FxTable {
    type Error = ExposureError;

    fn try_from(record: FxTableRecord) -> Result<Self, Self::Error> {
        let mut table = Self::new(record.base, record.date);
        for (currency, DecimalText(rate)) in record.rates {
            table.insert(currency, rate)?;
        }
        Ok(table)
    }
}

impl From<FxTable> for FxTableRecord {
    fn from(table: FxTable) -> Self {
        Self {
            base: table.base,
            date: table.date,
            rates: table
                .rates
                .into_iter()
                .map(|(currency, rate)| (currency, DecimalText(rate)))
                .collect(),
        }
    }
}

/// Converts `money` into the table's base currency, rounded to the base's minor unit (midpoints
/// away from zero).
///
/// # Errors
/// [`ExposureError::MissingRate`] if the table has no rate for the currency;
/// [`ExposureError::Inexact`] or [`ExposureError::Overflow`] if the product does not fit.
pub fn convert(fx: &FxTable, money: Money) -> Result<Money, ExposureError> {
    let rate = fx.rate(money.currency).ok_or(ExposureError::MissingRate {
        currency: money.currency,
    })?;
    convert_at(money, rate, fx.base)
}

/// `money × rate` in `base`, computed exactly, then rounded once to `base`'s minor unit.
fn convert_at(money: Money, rate: Decimal, base: Currency) -> Result<Money, ExposureError> {
    let amount = money.amount.normalize();
    let rate_normalized = rate.normalize();
    let exact = amount
        .checked_mul(rate_normalized)
        .ok_or(ExposureError::Overflow)?;
    // rust_decimal lowers the scale (rounds) when the product has too many digits; an exact
    // product has the sum of the scales. A zero product is exact whatever its scale.
    if !exact.is_zero() && exact.scale() != amount.scale() + rate_normalized.scale() {
        return Err(ExposureError::Inexact {
            amount: money,
            rate,
        });
    }
    let places = base.minor_units();
    let mut rounded = exact.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(places);
    Ok(Money::new(rounded, base))
}

/// The facilities one creditor holds in the workout.
///
/// The creditor's classes and related-party status are those of its facilities (see
/// [`FacilityTerms::class`] and [`FacilityTerms::related_party`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditorPosition {
    /// The creditor.
    pub creditor: InstitutionId,
    /// Its institution's name.
    pub name: String,
    /// Whether the coordinator decided it is a related party of the borrower.
    pub related_party: bool,
    /// Its facilities, each with its own reference.
    pub facilities: Vec<FacilityTerms>,
}

/// What a snapshot shows besides the creditors' facilities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extras {
    /// How contingents and penalties count: the workout's settings at the record date.
    pub settings: ExposureSettings,
    /// Claims of creditors that do not take part on the platform (never weighted, never voting).
    pub other_claims: Vec<OtherClaim>,
}

/// A claim of a creditor that does not take part on the platform, converted: shown in the
/// totals of the debt, never in a creditor's exposure or a vote.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OtherClaimExposure {
    /// Who is owed.
    pub claimant: String,
    /// The kind of claimant.
    pub kind: ClaimantKind,
    /// Whether it is a priority claim (5.1.5 B).
    pub preferential: bool,
    /// The amount owed, in its currency.
    pub amount: Money,
    /// The rate used (1 for the base currency).
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// `amount × rate`, rounded to the base currency's minor unit.
    pub base_amount: Money,
}

/// An amount held in one creditor class.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClassAmount {
    /// The class.
    pub class: CreditorClass,
    /// The amount, in the base currency.
    pub amount: Money,
}

/// An amount one creditor holds in one class, with its share of the class.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreditorClassAmount {
    /// The class.
    pub class: CreditorClass,
    /// The amount, in the base currency.
    pub amount: Money,
    /// `amount` as a percentage of the class's total (see the module documentation).
    #[schema(value_type = String, example = "33.3333333333")]
    pub share_of_class: Percentage,
}

/// A rate a snapshot used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RateUsed {
    /// The currency converted.
    pub currency: Currency,
    /// Units of the base currency per 1 unit of `currency`.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
}

/// One facility in a snapshot, converted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FacilityExposure {
    /// The bank's reference for the facility.
    pub reference: String,
    /// The kind of facility.
    pub facility_type: FacilityType,
    /// The class in which it votes.
    pub class: CreditorClass,
    /// Whether it is held as a related party.
    pub related_party: bool,
    /// The exposure in the facility's currency (principal + accrued interest + fees), exact.
    pub exposure: Money,
    /// The rate used (1 for the base currency).
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// `exposure × rate`, rounded to the base currency's minor unit, in the base currency.
    pub base_exposure: Money,
    /// Late-payment charges within `exposure`, in the facility's currency.
    pub penalties: Money,
    /// The date its balances are as at.
    pub position_date: NaiveDate,
    /// True for a guarantee or letter of credit: its face amount is a contingent exposure.
    pub contingent: bool,
    /// What counts towards the creditor's exposure (its voting weight): `exposure`, less
    /// `penalties` when the workout does not count them, times `rate`, times the contingent
    /// weight for a contingent facility, computed exactly and rounded once to the base currency's
    /// minor unit.
    pub counted: Money,
}

/// One creditor in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreditorExposure {
    /// The creditor.
    pub creditor: InstitutionId,
    /// Its institution's name.
    pub name: String,
    /// What counts (the voting weight): the sum of its facilities' `counted`.
    pub exposure: Money,
    /// The sum of its funded facilities' `base_exposure` (all but guarantees and letters of
    /// credit).
    pub funded: Money,
    /// The face amount of its contingent facilities (guarantees, letters of credit), in the base
    /// currency, before its weight.
    pub contingent: Money,
    /// The oldest position date of its facilities: its balances are as at this date at best.
    pub balances_as_at: Option<NaiveDate>,
    /// True if some of its balances are as at a date before the record date (a stale line).
    pub stale: bool,
    /// `exposure` as a percentage of the snapshot's total (see the module documentation).
    #[schema(value_type = String, example = "25")]
    pub share_of_total: Percentage,
    /// The same sum per class, by class name, with its share of the class; only classes it holds.
    pub by_class: Vec<CreditorClassAmount>,
    /// True if the coordinator decided it is a related party of the borrower (not a creditor's
    /// own declaration on a facility).
    pub related_party: bool,
    /// Its facilities, by reference.
    pub facilities: Vec<FacilityExposure>,
}

/// Every creditor's exposure at a record date, in the base currency, with the rates used and a
/// content hash. See the module documentation for the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "SnapshotRecord")]
pub struct Snapshot {
    workout: WorkoutId,
    as_of: NaiveDate,
    base: Currency,
    rates_date: NaiveDate,
    rates: Vec<RateUsed>,
    settings: ExposureSettings,
    creditors: Vec<CreditorExposure>,
    total: Money,
    total_by_class: Vec<ClassAmount>,
    total_funded: Money,
    total_contingent: Money,
    other_claims: Vec<OtherClaimExposure>,
    total_other_claims: Money,
    total_debt: Money,
    content_hash: String,
}

/// One creditor before conversion and aggregation.
struct CreditorInput {
    creditor: InstitutionId,
    name: String,
    related_party: bool,
    lines: Vec<LineInput>,
}

/// One claim of a creditor not on the platform before conversion.
struct ClaimInput {
    claim: OtherClaim,
    rate: Decimal,
}

/// One facility line before conversion and aggregation.
struct LineInput {
    reference: String,
    facility_type: FacilityType,
    class: CreditorClass,
    related_party: bool,
    exposure: Money,
    penalties: Money,
    position_date: NaiveDate,
    rate: Decimal,
}

impl Snapshot {
    /// Converts every creditor's facilities at `fx` and sums them up.
    ///
    /// # Errors
    /// [`ExposureError::BaseMismatch`] if `fx` is not towards `base`;
    /// [`ExposureError::RatesAfterRecordDate`]; [`ExposureError::DuplicateCreditor`] or
    /// [`ExposureError::DuplicateFacility`]; [`ExposureError::MissingRates`] listing every
    /// currency without a rate; [`ExposureError::Inexact`] or [`ExposureError::Overflow`].
    pub fn compute(
        workout: WorkoutId,
        as_of: NaiveDate,
        base: Currency,
        fx: &FxTable,
        positions: &[CreditorPosition],
    ) -> Result<Self, ExposureError> {
        Self::compute_with(workout, as_of, base, fx, positions, &Extras::default())
    }

    /// [`compute`](Self::compute) with the workout's settings and the claims of creditors not on
    /// the platform.
    ///
    /// # Errors
    /// As [`compute`](Self::compute); a claim's currency without a rate is listed with the
    /// others.
    pub fn compute_with(
        workout: WorkoutId,
        as_of: NaiveDate,
        base: Currency,
        fx: &FxTable,
        positions: &[CreditorPosition],
        extras: &Extras,
    ) -> Result<Self, ExposureError> {
        if fx.base != base {
            return Err(ExposureError::BaseMismatch {
                expected: base,
                found: fx.base,
            });
        }
        if fx.date > as_of {
            return Err(ExposureError::RatesAfterRecordDate {
                rates_date: fx.date,
                as_of,
            });
        }
        let missing: BTreeSet<Currency> = positions
            .iter()
            .flat_map(|position| &position.facilities)
            .map(FacilityTerms::currency)
            .chain(
                extras
                    .other_claims
                    .iter()
                    .map(|claim| claim.amount.currency),
            )
            .filter(|currency| fx.rate(*currency).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(ExposureError::MissingRates(missing.into_iter().collect()));
        }
        let rate_of = |currency: Currency| {
            fx.rate(currency)
                .ok_or(ExposureError::MissingRate { currency })
        };
        let mut creditors = Vec::with_capacity(positions.len());
        for position in positions {
            let mut lines = Vec::with_capacity(position.facilities.len());
            for facility in &position.facilities {
                let currency = facility.currency();
                lines.push(LineInput {
                    reference: facility.reference().to_owned(),
                    facility_type: facility.facility_type(),
                    class: facility.class().clone(),
                    related_party: facility.related_party(),
                    exposure: facility.exposure(),
                    penalties: facility.penalties(),
                    position_date: facility.position_date(),
                    rate: rate_of(currency)?,
                });
            }
            creditors.push(CreditorInput {
                creditor: position.creditor,
                name: position.name.clone(),
                related_party: position.related_party,
                lines,
            });
        }
        let claims = extras
            .other_claims
            .iter()
            .map(|claim| {
                Ok(ClaimInput {
                    claim: claim.clone(),
                    rate: rate_of(claim.amount.currency)?,
                })
            })
            .collect::<Result<_, ExposureError>>()?;
        let dates = (workout, as_of, base, fx.date);
        Self::assemble(dates, extras.settings, creditors, claims)
    }

    /// Sorts, converts, sums and hashes: the one path by which a snapshot is made, whether
    /// computed or read back.
    fn assemble(
        (workout, as_of, base, rates_date): (WorkoutId, NaiveDate, Currency, NaiveDate),
        settings: ExposureSettings,
        mut creditors: Vec<CreditorInput>,
        mut claims: Vec<ClaimInput>,
    ) -> Result<Self, ExposureError> {
        creditors.sort_by_key(|input| input.creditor);
        if let Some(pair) = creditors
            .windows(2)
            .find(|pair| pair[0].creditor == pair[1].creditor)
        {
            return Err(ExposureError::DuplicateCreditor(pair[0].creditor));
        }
        let mut rates: BTreeMap<Currency, Decimal> = BTreeMap::new();
        let mut total = Decimal::ZERO;
        let mut total_by_class: BTreeMap<CreditorClass, Decimal> = BTreeMap::new();
        let mut creditor_lines = Vec::with_capacity(creditors.len());
        let mut class_sums = Vec::with_capacity(creditors.len());
        let mut total_funded = Decimal::ZERO;
        let mut total_contingent = Decimal::ZERO;
        for CreditorInput {
            creditor,
            name,
            related_party,
            mut lines,
        } in creditors
        {
            lines.sort_by(|a, b| a.reference.cmp(&b.reference));
            if let Some(pair) = lines
                .windows(2)
                .find(|pair| pair[0].reference == pair[1].reference)
            {
                return Err(ExposureError::DuplicateFacility {
                    creditor,
                    reference: pair[0].reference.clone(),
                });
            }
            let mut exposure = Decimal::ZERO;
            let mut funded = Decimal::ZERO;
            let mut contingent = Decimal::ZERO;
            let mut oldest_position: Option<NaiveDate> = None;
            let mut by_class: BTreeMap<CreditorClass, Decimal> = BTreeMap::new();
            let mut facilities = Vec::with_capacity(lines.len());
            for line in lines {
                use_rate(&mut rates, base, line.exposure.currency, line.rate)?;
                let base_exposure = convert_at(line.exposure, line.rate, base)?;
                let is_contingent = line.facility_type == FacilityType::GuaranteeOrLetterOfCredit;
                let weighed = if settings.penalties_in_weight {
                    line.exposure
                } else {
                    line.exposure
                        .checked_sub(line.penalties)
                        .map_err(|_| ExposureError::Overflow)?
                };
                let factor = if is_contingent {
                    contingent = checked_add(contingent, base_exposure.amount)?;
                    line.rate
                        .checked_mul(settings.contingent_weight.as_fraction())
                        .ok_or(ExposureError::Overflow)?
                } else {
                    funded = checked_add(funded, base_exposure.amount)?;
                    line.rate
                };
                let counted = convert_at(weighed, factor, base)?;
                oldest_position = Some(
                    oldest_position.map_or(line.position_date, |date| date.min(line.position_date)),
                );
                exposure = checked_add(exposure, counted.amount)?;
                add_to_class(&mut by_class, &line.class, counted.amount)?;
                add_to_class(&mut total_by_class, &line.class, counted.amount)?;
                facilities.push(FacilityExposure {
                    reference: line.reference,
                    facility_type: line.facility_type,
                    class: line.class,
                    related_party: line.related_party,
                    exposure: line.exposure,
                    rate: line.rate,
                    base_exposure,
                    penalties: line.penalties,
                    position_date: line.position_date,
                    contingent: is_contingent,
                    counted,
                });
            }
            total = checked_add(total, exposure)?;
            total_funded = checked_add(total_funded, funded)?;
            total_contingent = checked_add(total_contingent, contingent)?;
            class_sums.push(by_class);
            creditor_lines.push(CreditorExposure {
                creditor,
                name,
                exposure: Money::new(exposure, base),
                funded: Money::new(funded, base),
                contingent: Money::new(contingent, base),
                balances_as_at: oldest_position,
                stale: oldest_position.is_some_and(|date| date < as_of),
                share_of_total: Percentage::ZERO,
                by_class: Vec::new(),
                related_party,
                facilities,
            });
        }
        // Shares once every total is known.
        for (line, by_class) in creditor_lines.iter_mut().zip(class_sums) {
            line.share_of_total = share(line.exposure.amount, total)?;
            line.by_class = by_class
                .into_iter()
                .map(|(class, amount)| {
                    let class_total = total_by_class.get(&class).copied().unwrap_or_default();
                    Ok(CreditorClassAmount {
                        share_of_class: share(amount, class_total)?,
                        class,
                        amount: Money::new(amount, base),
                    })
                })
                .collect::<Result<_, ExposureError>>()?;
        }
        claims.sort_by(|a, b| claim_order(&a.claim).cmp(&claim_order(&b.claim)));
        let mut total_other_claims = Decimal::ZERO;
        let mut other_claims = Vec::with_capacity(claims.len());
        for ClaimInput { claim, rate } in claims {
            use_rate(&mut rates, base, claim.amount.currency, rate)?;
            let base_amount = convert_at(claim.amount, rate, base)?;
            total_other_claims = checked_add(total_other_claims, base_amount.amount)?;
            other_claims.push(OtherClaimExposure {
                claimant: claim.claimant,
                kind: claim.kind,
                preferential: claim.preferential,
                amount: claim.amount,
                rate,
                base_amount,
            });
        }
        let total_debt = checked_add(
            checked_add(total_funded, total_contingent)?,
            total_other_claims,
        )?;
        let rates: Vec<RateUsed> = rates
            .into_iter()
            .map(|(currency, rate)| RateUsed { currency, rate })
            .collect();
        let mut snapshot = Self {
            workout,
            as_of,
            base,
            rates_date,
            rates,
            settings,
            creditors: creditor_lines,
            total: Money::new(total, base),
            total_by_class: class_amounts(total_by_class, base),
            total_funded: Money::new(total_funded, base),
            total_contingent: Money::new(total_contingent, base),
            other_claims,
            total_other_claims: Money::new(total_other_claims, base),
            total_debt: Money::new(total_debt, base),
            content_hash: String::new(),
        };
        snapshot.content_hash = hex::encode(Sha256::digest(snapshot.canonical_text()));
        Ok(snapshot)
    }

    /// The text the content hash is computed over, UTF-8, one item per line, each line ending
    /// in `\n`:
    ///
    /// ```text
    /// workout-record-date-snapshot v1
    /// workout <uuid>
    /// as_of <YYYY-MM-DD>
    /// base <currency>
    /// rates_date <YYYY-MM-DD>
    /// rate <currency> <rate>                       (one per rate used, by currency)
    /// settings contingent_weight <percent> penalties_in_weight <0|1>
    /// creditor <creditor uuid> <related_party 0|1>  (one per creditor, before its facilities)
    /// facility <creditor uuid> <byte length>:<reference> <facility_type> <class>
    ///          <related_party 0|1> <exposure> <currency> <rate> <base_exposure> <penalties>
    ///          <position_date>
    ///                                              (one line per facility, in snapshot order)
    /// claim <byte length>:<claimant> <kind> <preferential 0|1> <amount> <currency> <rate>
    ///       <base_amount>                          (one per claim of a creditor not on the
    ///                                              platform, in snapshot order)
    /// ```
    ///
    /// What is derived (a contingent facility's `counted`, sums, shares) is covered through what
    /// it is derived from.
    ///
    /// Decimals are normalized (no trailing zeros) except `base_exposure`, written with exactly
    /// the base currency's minor unit (2 places for SAR, 3 for KWD). The reference is length-prefixed so that no reference can imitate a separator.
    #[must_use]
    pub fn canonical_text(&self) -> String {
        let mut text = format!(
            "{CANONICAL_VERSION}\nworkout {}\nas_of {}\nbase {}\nrates_date {}\n",
            self.workout, self.as_of, self.base, self.rates_date
        );
        for rate in &self.rates {
            text.push_str(&format!(
                "rate {} {}\n",
                rate.currency,
                rate.rate.normalize()
            ));
        }
        text.push_str(&format!(
            "settings contingent_weight {} penalties_in_weight {}\n",
            self.settings.contingent_weight.value().normalize(),
            u8::from(self.settings.penalties_in_weight)
        ));
        for creditor in &self.creditors {
            text.push_str(&format!(
                "creditor {} {}\n",
                creditor.creditor,
                u8::from(creditor.related_party)
            ));
            for facility in &creditor.facilities {
                let mut base_exposure = facility.base_exposure.amount;
                base_exposure.rescale(self.base.minor_units());
                text.push_str(&format!(
                    "facility {} {}:{} {} {} {} {} {} {} {} {} {}\n",
                    creditor.creditor,
                    facility.reference.len(),
                    facility.reference,
                    facility.facility_type,
                    facility.class,
                    u8::from(facility.related_party),
                    facility.exposure.amount.normalize(),
                    facility.exposure.currency,
                    facility.rate.normalize(),
                    base_exposure,
                    facility.penalties.amount.normalize(),
                    facility.position_date,
                ));
            }
        }
        for claim in &self.other_claims {
            let mut base_amount = claim.base_amount.amount;
            base_amount.rescale(self.base.minor_units());
            text.push_str(&format!(
                "claim {}:{} {} {} {} {} {} {}\n",
                claim.claimant.len(),
                claim.claimant,
                claim.kind,
                u8::from(claim.preferential),
                claim.amount.amount.normalize(),
                claim.amount.currency,
                claim.rate.normalize(),
                base_amount,
            ));
        }
        text
    }

    /// The workout.
    #[must_use]
    pub const fn workout(&self) -> WorkoutId {
        self.workout
    }

    /// The record date.
    #[must_use]
    pub const fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The base currency of every converted amount.
    #[must_use]
    pub const fn base(&self) -> Currency {
        self.base
    }

    /// The date of the FX rates (on or before the record date).
    #[must_use]
    pub const fn rates_date(&self) -> NaiveDate {
        self.rates_date
    }

    /// The rates of the currencies that occur, by currency.
    #[must_use]
    pub fn rates(&self) -> &[RateUsed] {
        &self.rates
    }

    /// The creditors, by id.
    #[must_use]
    pub fn creditors(&self) -> &[CreditorExposure] {
        &self.creditors
    }

    /// The creditor `creditor`, if it is in the snapshot.
    #[must_use]
    pub fn creditor(&self, creditor: InstitutionId) -> Option<&CreditorExposure> {
        self.creditors
            .binary_search_by_key(&creditor, |line| line.creditor)
            .ok()
            .and_then(|index| self.creditors.get(index))
    }

    /// The sum of every creditor's exposure.
    #[must_use]
    pub const fn total(&self) -> Money {
        self.total
    }

    /// The total per class, by class name.
    #[must_use]
    pub fn total_by_class(&self) -> &[ClassAmount] {
        &self.total_by_class
    }

    /// SHA-256, lowercase hex, of [`canonical_text`](Self::canonical_text).
    #[must_use]
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// How contingents and penalties were counted.
    #[must_use]
    pub const fn settings(&self) -> ExposureSettings {
        self.settings
    }

    /// The claims of creditors not on the platform, in snapshot order.
    #[must_use]
    pub fn other_claims(&self) -> &[OtherClaimExposure] {
        &self.other_claims
    }

    /// The whole debt: every creditor's funded and contingent (face) amounts and the claims of
    /// creditors not on the platform.
    #[must_use]
    pub const fn total_debt(&self) -> Money {
        self.total_debt
    }
}

/// What one creditor may see of a [`Snapshot`]: its own line and the totals, never another
/// creditor's line. Built field by field from the snapshot (a typed projection, not an edit of its
/// serialized form), so a field added to or renamed in [`Snapshot`] cannot leak other positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CreditorSnapshot {
    workout: WorkoutId,
    as_of: NaiveDate,
    base: Currency,
    rates_date: NaiveDate,
    rates: Vec<RateUsed>,
    settings: ExposureSettings,
    /// At most one line: the creditor's own (absent when it holds nothing at the date).
    creditors: Vec<CreditorExposure>,
    total: Money,
    total_by_class: Vec<ClassAmount>,
    other_claims: Vec<OtherClaimExposure>,
    total_other_claims: Money,
    total_debt: Money,
    content_hash: String,
    view: &'static str,
}

impl CreditorSnapshot {
    /// The workout.
    #[must_use]
    pub const fn workout(&self) -> WorkoutId {
        self.workout
    }

    /// The record date.
    #[must_use]
    pub const fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The base currency.
    #[must_use]
    pub const fn base(&self) -> Currency {
        self.base
    }

    /// The date of the FX rates.
    #[must_use]
    pub const fn rates_date(&self) -> NaiveDate {
        self.rates_date
    }

    /// The rates used, by currency.
    #[must_use]
    pub fn rates(&self) -> &[RateUsed] {
        &self.rates
    }

    /// The creditor's own line, or none: never another creditor's.
    #[must_use]
    pub fn lines(&self) -> &[CreditorExposure] {
        &self.creditors
    }

    /// The total per class.
    #[must_use]
    pub fn total_by_class(&self) -> &[ClassAmount] {
        &self.total_by_class
    }

    /// The creditor's own line, if it holds anything at the record date.
    #[must_use]
    pub fn own_line(&self) -> Option<&CreditorExposure> {
        self.creditors.first()
    }

    /// The total of every creditor's exposure.
    #[must_use]
    pub const fn total(&self) -> Money {
        self.total
    }

    /// The content hash of the whole snapshot (so the creditor can match it with others').
    #[must_use]
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The claims of creditors not on the platform.
    #[must_use]
    pub fn other_claims(&self) -> &[OtherClaimExposure] {
        &self.other_claims
    }

    /// The whole debt.
    #[must_use]
    pub const fn total_debt(&self) -> Money {
        self.total_debt
    }
}

impl Snapshot {
    /// The view of `creditor`: its own line, the totals, the rates and the whole snapshot's hash.
    #[must_use]
    pub fn for_creditor(&self, creditor: InstitutionId) -> CreditorSnapshot {
        CreditorSnapshot {
            workout: self.workout,
            as_of: self.as_of,
            base: self.base,
            rates_date: self.rates_date,
            rates: self.rates.clone(),
            settings: self.settings,
            creditors: self.creditor(creditor).cloned().into_iter().collect(),
            total: self.total,
            total_by_class: self.total_by_class.clone(),
            // Not the funded and contingent totals: where few creditors hold contingents, they
            // would show another creditor's amounts.
            other_claims: self.other_claims.clone(),
            total_other_claims: self.total_other_claims,
            total_debt: self.total_debt,
            content_hash: self.content_hash.clone(),
            view: "own_line_and_totals",
        }
    }
}

/// `part / whole × 100`, rounded to [`SHARE_DECIMAL_PLACES`] (half away from zero), normalized;
/// 0 when `whole` is 0.
fn share(part: Decimal, whole: Decimal) -> Result<Percentage, ExposureError> {
    if whole.is_zero() {
        return Ok(Percentage::ZERO);
    }
    let percent = part
        .checked_div(whole)
        .and_then(|fraction| fraction.checked_mul(Decimal::ONE_HUNDRED))
        .ok_or(ExposureError::Overflow)?
        .round_dp_with_strategy(SHARE_DECIMAL_PLACES, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    Percentage::new(percent).map_err(|e| ExposureError::Inconsistent(format!("a share: {e}")))
}

/// Records `rate` as the one `currency` converts at: above 0, exactly 1 for `base`, and the same
/// every time the currency occurs.
fn use_rate(
    rates: &mut BTreeMap<Currency, Decimal>,
    base: Currency,
    currency: Currency,
    rate: Decimal,
) -> Result<(), ExposureError> {
    if currency == base && rate != Decimal::ONE {
        return Err(ExposureError::BaseRateNotOne { currency, rate });
    }
    if rate <= Decimal::ZERO {
        return Err(ExposureError::NonPositiveRate { currency, rate });
    }
    if *rates.entry(currency).or_insert(rate) != rate {
        return Err(ExposureError::Inconsistent(format!(
            "{currency} is converted at two different rates"
        )));
    }
    Ok(())
}

/// The order of claims in a snapshot (so that the hash does not depend on the input's order):
/// by kind, claimant, currency and amount.
fn claim_order(claim: &OtherClaim) -> (ClaimantKind, &str, Currency, Decimal, bool) {
    (
        claim.kind,
        &claim.claimant,
        claim.amount.currency,
        claim.amount.amount.normalize(),
        claim.preferential,
    )
}

fn checked_add(left: Decimal, right: Decimal) -> Result<Decimal, ExposureError> {
    left.checked_add(right).ok_or(ExposureError::Overflow)
}

fn add_to_class(
    sums: &mut BTreeMap<CreditorClass, Decimal>,
    class: &CreditorClass,
    amount: Decimal,
) -> Result<(), ExposureError> {
    let sum = sums.entry(class.clone()).or_insert(Decimal::ZERO);
    *sum = checked_add(*sum, amount)?;
    Ok(())
}

fn class_amounts(sums: BTreeMap<CreditorClass, Decimal>, base: Currency) -> Vec<ClassAmount> {
    sums.into_iter()
        .map(|(class, amount)| ClassAmount {
            class,
            amount: Money::new(amount, base),
        })
        .collect()
}

/// The wire form of a [`Snapshot`], checked by recomputing it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotRecord {
    workout: WorkoutId,
    as_of: NaiveDate,
    base: Currency,
    rates_date: NaiveDate,
    rates: Vec<RateUsed>,
    settings: ExposureSettings,
    creditors: Vec<CreditorExposure>,
    total: Money,
    total_by_class: Vec<ClassAmount>,
    total_funded: Money,
    total_contingent: Money,
    other_claims: Vec<OtherClaimExposure>,
    total_other_claims: Money,
    total_debt: Money,
    content_hash: String,
}

impl TryFrom<SnapshotRecord> for Snapshot {
    type Error = ExposureError;

    fn try_from(record: SnapshotRecord) -> Result<Self, Self::Error> {
        let creditors = record
            .creditors
            .iter()
            .map(|creditor| {
                let lines = creditor
                    .facilities
                    .iter()
                    .map(|facility| LineInput {
                        reference: facility.reference.clone(),
                        facility_type: facility.facility_type,
                        class: facility.class.clone(),
                        related_party: facility.related_party,
                        exposure: facility.exposure,
                        penalties: facility.penalties,
                        position_date: facility.position_date,
                        rate: facility.rate,
                    })
                    .collect();
                CreditorInput {
                    creditor: creditor.creditor,
                    name: creditor.name.clone(),
                    related_party: creditor.related_party,
                    lines,
                }
            })
            .collect();
        let claims = record
            .other_claims
            .iter()
            .map(|claim| ClaimInput {
                claim: OtherClaim {
                    claimant: claim.claimant.clone(),
                    kind: claim.kind,
                    amount: claim.amount,
                    preferential: claim.preferential,
                    note: None,
                },
                rate: claim.rate,
            })
            .collect();
        let dates = (record.workout, record.as_of, record.base, record.rates_date);
        let recomputed = Self::assemble(dates, record.settings, creditors, claims)?;
        let stored = Self {
            workout: record.workout,
            as_of: record.as_of,
            base: record.base,
            rates_date: record.rates_date,
            rates: record.rates,
            settings: record.settings,
            creditors: record.creditors,
            total: record.total,
            total_by_class: record.total_by_class,
            total_funded: record.total_funded,
            total_contingent: record.total_contingent,
            other_claims: record.other_claims,
            total_other_claims: record.total_other_claims,
            total_debt: record.total_debt,
            content_hash: record.content_hash,
        };
        if stored == recomputed {
            Ok(recomputed)
        } else {
            Err(ExposureError::Inconsistent(
                "its rates, amounts, order or content hash do not match its facility lines"
                    .to_owned(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
    }

    #[test]
    fn a_rate_as_text_fits_numeric_24_10_or_is_refused_never_rounded() {
        assert_eq!(parse_rate("3.7500").unwrap(), dec("3.75"));
        assert_eq!(parse_rate("0.0000000001").unwrap(), dec("0.0000000001"));
        assert_eq!(parse_rate("0.000000000100").unwrap(), dec("0.0000000001"));
        assert_eq!(
            parse_rate("99999999999999.9999999999").unwrap(),
            dec("99999999999999.9999999999")
        );
        for bad in [
            "0",
            "0.0",
            "-1",
            "1e3",
            "3,75",
            " ",
            "0.00000000001",
            "100000000000000",
            "100000000000000000000",
            "79228162514264337593543950336",
        ] {
            assert!(parse_rate(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_rate("0.00000000001").unwrap_err(),
            "has at most 10 decimal places, got 11"
        );
        assert_eq!(
            parse_rate("100000000000000000000").unwrap_err(),
            "must be below 10^14"
        );
    }

    #[test]
    fn zero_in_a_foreign_currency_converts_to_zero() {
        let fx = FxTable::new(Currency::SAR, date())
            .with_rate(Currency::parse("USD").unwrap(), dec("3.75"))
            .unwrap();
        let zero = convert(&fx, Money::zero(Currency::parse("USD").unwrap())).unwrap();
        assert!(zero.amount.is_zero());
        assert_eq!(zero.currency, Currency::SAR);
    }

    #[test]
    fn the_base_currency_converts_at_one_without_an_entry() {
        let fx = FxTable::new(Currency::SAR, date());
        assert_eq!(fx.rate(Currency::SAR), Some(Decimal::ONE));
        assert_eq!(
            convert(&fx, Money::new(dec("10.005"), Currency::SAR)).unwrap(),
            Money::new(dec("10.01"), Currency::SAR)
        );
        assert_eq!(
            convert(&fx, Money::new(dec("1"), Currency::USD)),
            Err(ExposureError::MissingRate {
                currency: Currency::USD
            })
        );
    }

    #[test]
    fn rates_must_be_positive_and_the_base_rate_one() {
        let fx = FxTable::new(Currency::SAR, date());
        assert!(matches!(
            fx.clone().with_rate(Currency::USD, Decimal::ZERO),
            Err(ExposureError::NonPositiveRate { .. })
        ));
        assert!(matches!(
            fx.clone().with_rate(Currency::USD, dec("-3.75")),
            Err(ExposureError::NonPositiveRate { .. })
        ));
        assert!(matches!(
            fx.clone().with_rate(Currency::SAR, dec("1.01")),
            Err(ExposureError::BaseRateNotOne { .. })
        ));
        let fx = fx.with_rate(Currency::SAR, dec("1.000")).unwrap();
        assert_eq!(fx.rates().count(), 0);
    }

    #[test]
    fn conversion_rounds_once_with_midpoints_away_from_zero() {
        let fx = FxTable::new(Currency::SAR, date())
            .with_rate(Currency::USD, dec("3.7500"))
            .unwrap();
        // 10,000.0120 × 3.75 = 37,500.045 exactly: away from zero gives .05, banker's .04.
        let converted = convert(&fx, Money::new(dec("10000.0120"), Currency::USD)).unwrap();
        assert_eq!(converted.amount.to_string(), "37500.05");
        assert_eq!(converted.currency, Currency::SAR);
        let converted = convert(&fx, Money::new(dec("-10000.0120"), Currency::USD)).unwrap();
        assert_eq!(converted.amount.to_string(), "-37500.05");
        let converted = convert(&fx, Money::new(dec("2"), Currency::USD)).unwrap();
        assert_eq!(converted.amount.to_string(), "7.50");
    }

    #[test]
    fn a_product_too_long_to_be_exact_is_an_error_not_a_second_rounding() {
        let fx = FxTable::new(Currency::SAR, date())
            .with_rate(Currency::USD, dec("3.7512345678901234567"))
            .unwrap();
        let huge = Money::new(dec("999999999999999999.9999"), Currency::USD);
        assert!(matches!(
            convert(&fx, huge),
            Err(ExposureError::Inexact { .. })
        ));
        let max = Money::new(Decimal::MAX, Currency::USD);
        assert_eq!(convert(&fx, max), Err(ExposureError::Overflow));
    }

    #[test]
    fn an_fx_table_round_trips_through_json_with_string_rates() {
        let fx = FxTable::new(Currency::SAR, date())
            .with_rate(Currency::USD, dec("3.75"))
            .unwrap();
        let json = serde_json::to_value(&fx).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"base": "SAR", "date": "2026-03-31", "rates": {"USD": "3.75"}})
        );
        assert_eq!(serde_json::from_value::<FxTable>(json).unwrap(), fx);
        let negative =
            serde_json::json!({"base": "SAR", "date": "2026-03-31", "rates": {"USD": "-1"}});
        assert!(serde_json::from_value::<FxTable>(negative).is_err());
        let float =
            serde_json::json!({"base": "SAR", "date": "2026-03-31", "rates": {"USD": 3.75}});
        assert!(serde_json::from_value::<FxTable>(float).is_err());
    }
}
