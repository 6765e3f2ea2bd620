//! Hold the line (INSOL principle 2: creditors keep their exposure during the standstill): how each
//! creditor's facilities moved between a reference date (the standstill's) and another date, and
//! whether that is a reduction.
//!
//! Rules:
//! - Facilities are compared one by one, by the registry's facility id, in their own currency.
//!   A facility whose currency changed between the two dates is compared in the base currency at
//!   the reference date's rates instead (`measured_in` says which).
//! - Principal (`outstanding_principal`, which includes overdue principal) and the commitment
//!   (`committed`, drawn and undrawn) are measured separately from what accrues
//!   (`accrued_interest` + `fees_and_penalties`). A lower principal or a lower commitment is a
//!   **reduction**: a repayment, a set-off, or a cancelled undrawn commitment. Interest and fees
//!   going down (paid, waived) is shown but is not a reduction of the line held.
//! - A facility in force on the reference date and not on the other date (withdrawn) has moved to
//!   zero: a reduction if it had principal or a commitment. A facility new since the reference
//!   date moves up from zero and is never a reduction.
//! - A creditor is `reduced` if any of its facilities is. Its totals are given in the base
//!   currency **at the reference date's rates on both sides**, so an exchange-rate move alone
//!   changes nothing: FX is never a reduction. Every currency that occurs on either date needs a
//!   rate of the reference date ([`ExposureError::MissingRates`] names the missing ones).
//! - Conversions round as [`crate::exposure::convert`] does, one amount at a time; the totals are
//!   exact sums of the converted amounts.
//! - Order: creditors by id, their facilities by id.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::exposure::{ExposureError, FxTable, convert};
use crate::facility::FacilityTerms;
use crate::ids::{FacilityId, InstitutionId, WorkoutId};
use crate::money::{Currency, Money};

/// One facility in force on a date: its id, its creditor and its terms then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldFacility {
    /// The registry's id of the facility (stable across versions).
    pub id: FacilityId,
    /// The creditor holding it.
    pub creditor: InstitutionId,
    /// Its terms on that date.
    pub terms: FacilityTerms,
}

/// An amount on the reference date, on the other date, and the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Movement {
    /// On the reference date.
    pub reference: Money,
    /// On the other date.
    pub current: Money,
    /// `current - reference`.
    pub change: Money,
}

impl Movement {
    fn between(reference: Money, current: Money) -> Result<Self, ExposureError> {
        let change = current
            .checked_sub(reference)
            .map_err(|_| ExposureError::Overflow)?;
        Ok(Self {
            reference,
            current,
            change,
        })
    }

    fn add(self, other: Self) -> Result<Self, ExposureError> {
        let sum = |a: Money, b: Money| a.checked_add(b).map_err(|_| ExposureError::Overflow);
        Ok(Self {
            reference: sum(self.reference, other.reference)?,
            current: sum(self.current, other.current)?,
            change: sum(self.change, other.change)?,
        })
    }

    fn zero(currency: Currency) -> Self {
        let zero = Money::zero(currency);
        Self {
            reference: zero,
            current: zero,
            change: zero,
        }
    }

    fn fell(&self) -> bool {
        self.change.amount.is_sign_negative() && !self.change.amount.is_zero()
    }
}

/// How a facility stands on the other date compared with the reference date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FacilityStanding {
    /// In force on both dates.
    Continuing,
    /// New since the reference date.
    New,
    /// In force on the reference date, withdrawn since.
    Withdrawn,
}

/// What counts as a reduction of the line held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    /// The committed limit is lower (e.g. an undrawn commitment was cancelled).
    CommitmentReduced,
    /// The principal outstanding is lower (e.g. a repayment or a set-off).
    PrincipalReduced,
}

/// One facility's movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FacilityMovement {
    /// The facility.
    pub facility: FacilityId,
    /// The bank's reference (as on the other date, or on the reference date if withdrawn).
    pub reference: String,
    /// Continuing, new or withdrawn.
    pub standing: FacilityStanding,
    /// The currency of the amounts below: the facility's own, or the base currency (at the
    /// reference date's rates) if the facility's currency changed.
    pub measured_in: Currency,
    /// The committed limit.
    pub committed: Movement,
    /// The principal outstanding (overdue principal included).
    pub outstanding_principal: Movement,
    /// Accrued interest plus fees and penalties: shown, never a reduction.
    pub interest_and_fees: Movement,
    /// The reductions found (empty: the line is held).
    pub reductions: Vec<Reduction>,
}

/// One creditor's movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CreditorMovement {
    /// The creditor.
    pub creditor: InstitutionId,
    /// True if any of its facilities shows a reduction.
    pub reduced: bool,
    /// Its commitments, in the base currency at the reference date's rates on both dates.
    pub committed_at_reference_rates: Movement,
    /// Its principal, in the base currency at the reference date's rates on both dates.
    pub principal_at_reference_rates: Movement,
    /// Its exposure (principal + interest + fees), likewise.
    pub exposure_at_reference_rates: Movement,
    /// Facility by facility.
    pub facilities: Vec<FacilityMovement>,
}

/// Hold-the-line report of one workout between two dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HoldTheLine {
    /// The workout.
    pub workout: WorkoutId,
    /// The reference date (the baseline).
    pub reference: NaiveDate,
    /// The date compared with it.
    pub as_of: NaiveDate,
    /// The base currency of the totals.
    pub base_currency: Currency,
    /// The date of the rates used on both sides (the latest on or before the reference date).
    pub rates_date: NaiveDate,
    /// Creditor by creditor, every creditor with a facility on either date.
    pub creditors: Vec<CreditorMovement>,
}

/// The dates and rates of a comparison: the workout, the two dates, and the rates of the
/// reference date.
#[derive(Debug, Clone, Copy)]
pub struct Comparison<'a> {
    /// The workout.
    pub workout: WorkoutId,
    /// The reference date.
    pub reference: NaiveDate,
    /// The date compared with it.
    pub as_of: NaiveDate,
    /// The rates of the reference date, towards the workout's base currency.
    pub rates: &'a FxTable,
}

/// How each creditor's facilities moved from `before` (in force on the reference date) to `after`
/// (in force on the other date); see the module documentation.
///
/// # Errors
/// [`ExposureError::MissingRates`] if a currency has no rate in `comparison.rates`;
/// [`ExposureError::Overflow`] or [`ExposureError::Inexact`] if an amount does not fit.
pub fn hold_the_line(
    comparison: Comparison<'_>,
    before: &[HeldFacility],
    after: &[HeldFacility],
) -> Result<HoldTheLine, ExposureError> {
    let fx = comparison.rates;
    let missing: BTreeSet<Currency> = before
        .iter()
        .chain(after)
        .map(|held| held.terms.currency())
        .filter(|currency| fx.rate(*currency).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ExposureError::MissingRates(missing.into_iter().collect()));
    }
    type Pair<'a> = (Option<&'a HeldFacility>, Option<&'a HeldFacility>);
    let mut pairs: BTreeMap<(InstitutionId, FacilityId), Pair<'_>> = BTreeMap::new();
    for held in before {
        pairs.entry((held.creditor, held.id)).or_default().0 = Some(held);
    }
    for held in after {
        pairs.entry((held.creditor, held.id)).or_default().1 = Some(held);
    }
    let base = fx.base();
    let mut creditors: Vec<CreditorMovement> = Vec::new();
    for ((creditor, id), pair) in pairs {
        let (facility, at_reference_rates) = movement_of(fx, id, pair)?;
        let line = match creditors.last_mut() {
            Some(line) if line.creditor == creditor => line,
            _ => {
                creditors.push(CreditorMovement {
                    creditor,
                    reduced: false,
                    committed_at_reference_rates: Movement::zero(base),
                    principal_at_reference_rates: Movement::zero(base),
                    exposure_at_reference_rates: Movement::zero(base),
                    facilities: Vec::new(),
                });
                creditors.last_mut().ok_or(ExposureError::Overflow)?
            }
        };
        let [committed, principal, exposure] = at_reference_rates;
        line.committed_at_reference_rates = line.committed_at_reference_rates.add(committed)?;
        line.principal_at_reference_rates = line.principal_at_reference_rates.add(principal)?;
        line.exposure_at_reference_rates = line.exposure_at_reference_rates.add(exposure)?;
        line.reduced |= !facility.reductions.is_empty();
        line.facilities.push(facility);
    }
    Ok(HoldTheLine {
        workout: comparison.workout,
        reference: comparison.reference,
        as_of: comparison.as_of,
        base_currency: base,
        rates_date: fx.date(),
        creditors,
    })
}

/// The four amounts compared, in the facility's currency (or zero in `currency` when absent).
struct Amounts {
    committed: Money,
    principal: Money,
    interest_and_fees: Money,
}

impl Amounts {
    fn of(held: Option<&HeldFacility>, currency: Currency) -> Result<Self, ExposureError> {
        let Some(held) = held else {
            let zero = Money::zero(currency);
            return Ok(Self {
                committed: zero,
                principal: zero,
                interest_and_fees: zero,
            });
        };
        let terms = &held.terms;
        Ok(Self {
            committed: terms.committed(),
            principal: terms.outstanding_principal(),
            interest_and_fees: terms
                .accrued_interest()
                .checked_add(terms.fees_and_penalties())
                .map_err(|_| ExposureError::Overflow)?,
        })
    }

    fn converted(&self, fx: &FxTable) -> Result<Self, ExposureError> {
        Ok(Self {
            committed: convert(fx, self.committed)?,
            principal: convert(fx, self.principal)?,
            interest_and_fees: convert(fx, self.interest_and_fees)?,
        })
    }

    fn exposure(&self) -> Result<Money, ExposureError> {
        self.principal
            .checked_add(self.interest_and_fees)
            .map_err(|_| ExposureError::Overflow)
    }
}

/// One facility's movement, and its committed, principal and exposure movements in the base
/// currency at the reference rates.
fn movement_of(
    fx: &FxTable,
    id: FacilityId,
    (before, after): (Option<&HeldFacility>, Option<&HeldFacility>),
) -> Result<(FacilityMovement, [Movement; 3]), ExposureError> {
    let known = after.or(before).ok_or(ExposureError::Overflow)?;
    let standing = match (before, after) {
        (Some(_), Some(_)) => FacilityStanding::Continuing,
        (None, _) => FacilityStanding::New,
        (_, None) => FacilityStanding::Withdrawn,
    };
    let own = known.terms.currency();
    let currency_before = before.map_or(own, |held| held.terms.currency());
    let then = Amounts::of(before, own)?;
    let now = Amounts::of(after, currency_before)?;
    let (then_base, now_base) = (then.converted(fx)?, now.converted(fx)?);
    let (measured_in, then_shown, now_shown) = if currency_before == own {
        (own, &then, &now)
    } else {
        (fx.base(), &then_base, &now_base)
    };
    let committed = Movement::between(then_shown.committed, now_shown.committed)?;
    let outstanding_principal = Movement::between(then_shown.principal, now_shown.principal)?;
    let interest_and_fees =
        Movement::between(then_shown.interest_and_fees, now_shown.interest_and_fees)?;
    let mut reductions = Vec::new();
    if committed.fell() {
        reductions.push(Reduction::CommitmentReduced);
    }
    if outstanding_principal.fell() {
        reductions.push(Reduction::PrincipalReduced);
    }
    let at_reference_rates = [
        Movement::between(then_base.committed, now_base.committed)?,
        Movement::between(then_base.principal, now_base.principal)?,
        Movement::between(then_base.exposure()?, now_base.exposure()?)?,
    ];
    Ok((
        FacilityMovement {
            facility: id,
            reference: known.terms.reference().to_owned(),
            standing,
            measured_in,
            committed,
            outstanding_principal,
            interest_and_fees,
            reductions,
        },
        at_reference_rates,
    ))
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::facility::{DEFAULT_CLASSES, FacilityInput};

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    fn terms(currency: &str, committed: &str, principal: &str, interest: &str) -> FacilityTerms {
        FacilityInput {
            reference: "F-1".to_owned(),
            facility_type: "revolving".to_owned(),
            currency: currency.to_owned(),
            committed: committed.to_owned(),
            outstanding_principal: principal.to_owned(),
            accrued_interest: interest.to_owned(),
            past_due: "0".to_owned(),
            days_past_due: Some(0),
            fees_and_penalties: "0".to_owned(),
            secured: Some(false),
            class: "unsecured".to_owned(),
            related_party: Some(false),
            position_date: "2026-01-01".to_owned(),
            ..FacilityInput::default()
        }
        .validate(DEFAULT_CLASSES)
        .unwrap()
    }

    struct Case {
        creditor: InstitutionId,
        facility: FacilityId,
        fx: FxTable,
    }

    impl Case {
        fn new() -> Self {
            Self {
                creditor: InstitutionId::new(),
                facility: FacilityId::new(),
                fx: FxTable::new(Currency::SAR, date("2026-06-30"))
                    .with_rate(Currency::parse("USD").unwrap(), dec("3.75"))
                    .unwrap(),
            }
        }

        fn held(&self, terms: FacilityTerms) -> HeldFacility {
            HeldFacility {
                id: self.facility,
                creditor: self.creditor,
                terms,
            }
        }

        fn run(
            &self,
            before: &[HeldFacility],
            after: &[HeldFacility],
        ) -> Result<HoldTheLine, ExposureError> {
            hold_the_line(
                Comparison {
                    workout: WorkoutId::new(),
                    reference: date("2026-06-30"),
                    as_of: date("2026-09-30"),
                    rates: &self.fx,
                },
                before,
                after,
            )
        }
    }

    #[test]
    fn a_cancelled_undrawn_commitment_is_a_reduction() {
        let case = Case::new();
        let report = case
            .run(
                &[case.held(terms("SAR", "1000", "600", "0"))],
                &[case.held(terms("SAR", "600", "600", "0"))],
            )
            .unwrap();
        let line = &report.creditors[0];
        assert!(line.reduced);
        assert_eq!(
            line.facilities[0].reductions,
            [Reduction::CommitmentReduced]
        );
        assert_eq!(line.facilities[0].committed.change.amount, dec("-400"));
        assert!(line.principal_at_reference_rates.change.amount.is_zero());
    }

    #[test]
    fn an_fx_move_alone_is_never_a_reduction() {
        // Same USD facility on both dates; whatever the rates of the later date, the comparison
        // values both sides at the reference date's rates.
        let case = Case::new();
        let usd = terms("USD", "1000", "1000", "10");
        let report = case
            .run(&[case.held(usd.clone())], &[case.held(usd)])
            .unwrap();
        let line = &report.creditors[0];
        assert!(!line.reduced);
        assert_eq!(line.facilities[0].measured_in.as_str(), "USD");
        assert!(line.exposure_at_reference_rates.change.amount.is_zero());
        assert_eq!(
            line.exposure_at_reference_rates.reference.amount,
            dec("3787.50")
        );
    }

    #[test]
    fn paid_interest_is_shown_but_is_not_a_reduction() {
        let case = Case::new();
        let report = case
            .run(
                &[case.held(terms("SAR", "1000", "1000", "50"))],
                &[case.held(terms("SAR", "1000", "1000", "0"))],
            )
            .unwrap();
        let line = &report.creditors[0];
        assert!(!line.reduced);
        assert_eq!(
            line.facilities[0].interest_and_fees.change.amount,
            dec("-50")
        );
        assert_eq!(line.exposure_at_reference_rates.change.amount, dec("-50"));
    }

    #[test]
    fn a_repayment_and_a_withdrawal_are_reductions_and_a_new_facility_is_not() {
        let case = Case::new();
        let repaid = case
            .run(
                &[case.held(terms("SAR", "1000", "1000", "0"))],
                &[case.held(terms("SAR", "1000", "900", "0"))],
            )
            .unwrap();
        assert_eq!(
            repaid.creditors[0].facilities[0].reductions,
            [Reduction::PrincipalReduced]
        );
        let withdrawn = case
            .run(&[case.held(terms("SAR", "1000", "900", "0"))], &[])
            .unwrap();
        let facility = &withdrawn.creditors[0].facilities[0];
        assert_eq!(facility.standing, FacilityStanding::Withdrawn);
        assert_eq!(
            facility.reductions,
            [Reduction::CommitmentReduced, Reduction::PrincipalReduced]
        );
        let new = case
            .run(&[], &[case.held(terms("SAR", "1000", "900", "0"))])
            .unwrap();
        assert_eq!(
            new.creditors[0].facilities[0].standing,
            FacilityStanding::New
        );
        assert!(!new.creditors[0].reduced);
    }

    #[test]
    fn a_currency_change_is_measured_at_the_reference_rates() {
        let case = Case::new();
        // 1,000 USD became 3,750 SAR: the same value at the reference rates, no reduction.
        let report = case
            .run(
                &[case.held(terms("USD", "1000", "1000", "0"))],
                &[case.held(terms("SAR", "3750", "3750", "0"))],
            )
            .unwrap();
        let facility = &report.creditors[0].facilities[0];
        assert_eq!(facility.measured_in, Currency::SAR);
        assert!(facility.reductions.is_empty());
        assert!(facility.committed.change.amount.is_zero());
    }

    #[test]
    fn a_currency_without_a_reference_rate_is_named() {
        let case = Case::new();
        let error = case
            .run(&[], &[case.held(terms("EUR", "1", "1", "0"))])
            .unwrap_err();
        assert_eq!(
            error,
            ExposureError::MissingRates(vec![Currency::parse("EUR").unwrap()])
        );
    }
}
