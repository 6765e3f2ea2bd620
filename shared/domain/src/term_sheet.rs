//! Term sheets as structured documents (guideline 5.3.1 N, J and 5.3.2): the typed elements, the
//! chosen restructuring measures with their parameters (5.2.3–5.2.5), the completeness check with
//! the guideline's warnings, a canonical content hash and a structured diff between two versions.
//!
//! Rules:
//! - Every element is optional, so that a draft can be saved at any stage; [`completeness`] names
//!   each missing one ([`Element`], in the guideline's order). An element the guideline qualifies
//!   with "if any" (fees and expenses, mandatory repayments, cash sweep, additional security) is
//!   complete once stated, even as an empty list ("none"); every other list element needs at
//!   least one entry, and a text element at least one non-blank character.
//! - The guideline's limits are warnings, never refusals ("should", DESIGN §6), each naming its
//!   rule ([`Warning::rule`]); the numbers are data in [`MeasureLimits`] (default: short-term
//!   measures at most 24 months, 12 for real estate or construction; capitalisation once).
//!   Short-term measures are the moratorium, interest-only, reduced payments and the grace period
//!   (a grace period is a moratorium on the payments it covers: our reading). Long-term solutions
//!   are the measures of 5.2.4 (rate reduction, maturity extension, rescheduled payments,
//!   capitalisation, loan splitting, conditional forgiveness, sale by owner, debt-to-equity or
//!   debt-to-asset swaps); fresh money, a cash sweep and additional security are not (5.2.4 vii,
//!   5.2.5).
//! - The content hash is the lowercase hex SHA-256 of the canonical JSON of the sheet
//!   ([`canonical_json`]): object keys sorted by byte order at every depth, no insignificant
//!   whitespace, absent elements omitted (never `null`), decimals as strings exactly as given
//!   (`"1500.00"` and `"1500"` are different texts, hence different versions).
//! - The diff ([`diff`]) compares the canonical JSON of two sheets: one [`FieldChange`] per leaf
//!   that differs, with a path such as `repayment_schedule[2].amount.amount`; an element present
//!   on one side only is one change with `null` on the other side. Changes are ordered by path.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::money::Money;
use crate::percentage::Percentage;

/// The name of the rule limiting short-term measures to 24 months (5.2.3).
pub const SHORT_TERM_MEASURE_LIMIT: &str = "SHORT_TERM_MEASURE_LIMIT";
/// The name of the rule limiting short-term measures to 12 months for real estate or construction.
pub const SHORT_TERM_MEASURE_LIMIT_REAL_ESTATE: &str = "SHORT_TERM_MEASURE_LIMIT_REAL_ESTATE";
/// The name of the rule that short-term measures are combined with a longer-term solution.
pub const SHORT_TERM_NEEDS_LONG_TERM: &str = "SHORT_TERM_NEEDS_LONG_TERM";
/// The name of the rule that capitalisation of interest or arrears is applied only once (5.2.4 i).
pub const CAPITALISATION_ONCE: &str = "CAPITALISATION_ONCE";
/// The name of the rule on the three purposes of fresh money (5.2.4 vii).
pub const FRESH_MONEY_PURPOSES: &str = "FRESH_MONEY_PURPOSES";

/// The borrower's sector as far as the guideline's limits depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    /// Real estate: short-term measures at most 12 months.
    RealEstate,
    /// Construction: short-term measures at most 12 months.
    Construction,
    /// Any other sector.
    Other,
}

/// The full description of the borrower (5.3.1 N i).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BorrowerDescription {
    /// Who the borrower is, its business and group.
    pub description: String,
    /// Its sector, which sets the short-term limit.
    pub sector: Sector,
}

/// An amount of one facility (or loan) to be restructured (5.3.1 N ii).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestructuredAmount {
    /// The facility or loan, as the parties name it.
    pub facility: String,
    /// The lending bank, by name.
    pub bank: String,
    /// The amount.
    pub amount: Money,
}

/// A restructuring fee or expense (5.3.1 N iii).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// What it is for.
    pub description: String,
    /// The amount.
    pub amount: Money,
    /// Who pays it.
    pub payable_by: String,
}

/// One dated instalment of a repayment schedule (5.3.1 N vii).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Instalment {
    /// The due date.
    pub due: NaiveDate,
    /// The amount due.
    pub amount: Money,
    /// The facility it repays, if the schedule is per facility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<String>,
}

/// A mandatory repayment (5.3.1 N viii), e.g. from asset sales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MandatoryRepayment {
    /// What triggers it.
    pub trigger: String,
    /// The share of the proceeds that repays the banks.
    #[schema(value_type = String, example = "100")]
    pub share_of_proceeds: Percentage,
}

/// The cash sweep mechanism (5.3.1 N ix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashSweep {
    /// The share of excess cash swept to the banks.
    #[schema(value_type = String, example = "50")]
    pub share_of_excess_cash: Percentage,
    /// How excess cash is defined and tested.
    pub definition: String,
}

/// The interest rate of one facility (5.3.1 N x).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterestRate {
    /// The facility, as in the amounts to be restructured.
    pub facility: String,
    /// A fixed rate in percent a year, or the floating base rate's name (e.g. `SAIBOR 3M`).
    pub base: String,
    /// The margin over a floating base, in percent a year; absent for a fixed rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "2.5")]
    pub margin: Option<Percentage>,
}

/// Default interest (5.3.1 N xi).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultInterest {
    /// The margin over the contractual rate on overdue amounts, in percent a year.
    #[schema(value_type = String, example = "2")]
    pub margin: Percentage,
}

/// A milestone the borrower is to reach (5.3.1 J).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// By when.
    pub due: NaiveDate,
    /// What is to be achieved, measurably.
    pub target: String,
}

/// What capitalisation adds to principal (5.2.4 i).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capitalised {
    /// Accrued interest.
    Interest,
    /// Past-due payments.
    Arrears,
    /// Both.
    InterestAndArrears,
}

/// The shape of a rescheduled payment programme (5.2.4 iv).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentProfile {
    /// Regular instalments over the new tenor.
    Amortising,
    /// A partial repayment, then a sustainable programme.
    PartialRepayment,
    /// A final instalment substantially larger than the others.
    Balloon,
    /// No regular instalments; repaid in full at maturity.
    Bullet,
    /// Increasing instalments.
    StepUp,
}

/// What fresh money is for (5.2.4 vii names three purposes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FreshMoneyPurpose {
    /// Working capital to restart the business.
    RestartBusiness,
    /// Advances to protect the banks' collateral position.
    ProtectCollateral,
    /// Small advances to prevent large contingent exposures (guarantees) from being called.
    PreventContingentCall,
    /// Anything else: warned about.
    Other {
        /// What it is for.
        description: String,
    },
}

/// A measure chosen from the guideline's catalogue, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RestructuringMeasure {
    /// Payments of principal and/or interest suspended (5.2.3 iii). Short-term.
    Moratorium {
        /// Length in months.
        months: u32,
    },
    /// Only interest is paid (5.2.3 ii). Short-term.
    InterestOnly {
        /// Length in months.
        months: u32,
    },
    /// Interest and partial principal are paid (5.2.3 i). Short-term.
    ReducedPayments {
        /// Length in months.
        months: u32,
        /// The reduced payment as a share of the contractual one.
        #[schema(value_type = String, example = "50")]
        share_of_contractual: Percentage,
    },
    /// A grace period on principal (a moratorium on principal; short-term).
    GracePeriod {
        /// Length in months.
        months: u32,
    },
    /// A permanent or temporary lower rate (5.2.4 ii).
    InterestRateReduction {
        /// The new rate in percent a year.
        #[schema(value_type = String, example = "4.5")]
        new_rate: Percentage,
        /// For how many months, if temporary.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        months: Option<u32>,
    },
    /// The last instalment date moved (5.2.4 iii).
    MaturityExtension {
        /// The new final maturity.
        new_maturity: NaiveDate,
    },
    /// A new payment programme (5.2.4 iv).
    RescheduledPayments {
        /// Its shape.
        profile: PaymentProfile,
    },
    /// Interest or arrears added to principal (5.2.4 i): once only.
    Capitalisation {
        /// What is capitalised.
        of: Capitalised,
        /// The amount capitalised.
        amount: Money,
        /// Whether the borrower's debt was already capitalised in an earlier restructuring.
        #[serde(default)]
        previously_capitalised: bool,
    },
    /// The loan split into a sustainable part and an excess part (5.2.4 viii).
    LoanSplitting {
        /// The part repaid from sustainable cash flow.
        sustainable: Money,
        /// The excess part.
        excess: Money,
    },
    /// Forgiveness upon conditions (5.2.4 vi).
    ConditionalForgiveness {
        /// The amount forgiven.
        amount: Money,
        /// The conditions.
        conditions: Vec<String>,
    },
    /// The borrower sells assets to repay (5.2.4 v).
    SaleByOwner {
        /// The assets.
        assets: String,
        /// The date by which they are sold.
        deadline: NaiveDate,
    },
    /// Debt exchanged for equity.
    DebtToEquitySwap {
        /// The debt exchanged.
        amount: Money,
    },
    /// Debt exchanged for assets.
    DebtToAssetSwap {
        /// The debt exchanged.
        amount: Money,
        /// The assets received.
        assets: String,
    },
    /// New financing (5.2.4 vii).
    FreshMoney {
        /// The amount.
        amount: Money,
        /// What it is for.
        purpose: FreshMoneyPurpose,
    },
    /// Excess cash swept to the banks (5.2.5).
    CashSweep {
        /// The share of excess cash.
        #[schema(value_type = String, example = "50")]
        share_of_excess_cash: Percentage,
    },
    /// Additional security (5.2.5).
    AdditionalSecurity {
        /// The security.
        description: String,
    },
}

impl RestructuringMeasure {
    /// The measure's name as on the wire (`moratorium`, `fresh_money`, ...).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Moratorium { .. } => "moratorium",
            Self::InterestOnly { .. } => "interest_only",
            Self::ReducedPayments { .. } => "reduced_payments",
            Self::GracePeriod { .. } => "grace_period",
            Self::InterestRateReduction { .. } => "interest_rate_reduction",
            Self::MaturityExtension { .. } => "maturity_extension",
            Self::RescheduledPayments { .. } => "rescheduled_payments",
            Self::Capitalisation { .. } => "capitalisation",
            Self::LoanSplitting { .. } => "loan_splitting",
            Self::ConditionalForgiveness { .. } => "conditional_forgiveness",
            Self::SaleByOwner { .. } => "sale_by_owner",
            Self::DebtToEquitySwap { .. } => "debt_to_equity_swap",
            Self::DebtToAssetSwap { .. } => "debt_to_asset_swap",
            Self::FreshMoney { .. } => "fresh_money",
            Self::CashSweep { .. } => "cash_sweep",
            Self::AdditionalSecurity { .. } => "additional_security",
        }
    }

    /// The length in months of a short-term measure (5.2.3), `None` for any other measure.
    #[must_use]
    pub const fn short_term_months(&self) -> Option<u32> {
        match self {
            Self::Moratorium { months }
            | Self::InterestOnly { months }
            | Self::ReducedPayments { months, .. }
            | Self::GracePeriod { months } => Some(*months),
            _ => None,
        }
    }

    /// Whether this is a longer-term solution of 5.2.4 (fresh money excepted: not stand-alone).
    #[must_use]
    pub const fn is_long_term(&self) -> bool {
        matches!(
            self,
            Self::InterestRateReduction { .. }
                | Self::MaturityExtension { .. }
                | Self::RescheduledPayments { .. }
                | Self::Capitalisation { .. }
                | Self::LoanSplitting { .. }
                | Self::ConditionalForgiveness { .. }
                | Self::SaleByOwner { .. }
                | Self::DebtToEquitySwap { .. }
                | Self::DebtToAssetSwap { .. }
        )
    }
}

/// A term sheet: the guideline's elements (5.3.1 N), the chosen measures, the borrower's
/// milestones (5.3.1 J) and the conditions of effectiveness. Every element is optional in a draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermSheet {
    /// i. Full description of the borrower.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub borrower: Option<BorrowerDescription>,
    /// ii. Amounts of the loans to be restructured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amounts_to_restructure: Option<Vec<RestructuredAmount>>,
    /// iii. Restructuring fees and expenses, if any (an empty list states "none").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_and_expenses: Option<Vec<Fee>>,
    /// iv. Names of the banks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banks: Option<Vec<String>>,
    /// v. Anticipated date of closing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anticipated_closing_date: Option<NaiveDate>,
    /// vi. Representations and warranties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representations_and_warranties: Option<Vec<String>>,
    /// vii. Repayment schedule as dated instalments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repayment_schedule: Option<Vec<Instalment>>,
    /// viii. Mandatory repayments, if any (an empty list states "none").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory_repayments: Option<Vec<MandatoryRepayment>>,
    /// ix. Cash sweep mechanism, if any (an empty list states "none").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_sweep: Option<Vec<CashSweep>>,
    /// x. Interest rates and margins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interest_rates: Option<Vec<InterestRate>>,
    /// xi. Default interest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_interest: Option<DefaultInterest>,
    /// xii. Interest payment dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interest_payment_dates: Option<Vec<NaiveDate>>,
    /// xiii. (Revised) events of default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_of_default: Option<Vec<String>>,
    /// xiv. (Additional) security, if any (an empty list states "none").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_security: Option<Vec<String>>,
    /// xv. List of documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<Vec<String>>,
    /// xvi. Taxes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taxes: Option<String>,
    /// xvii. Governing law.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governing_law: Option<String>,
    /// The measures chosen from the catalogue, with their parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measures: Option<Vec<RestructuringMeasure>>,
    /// The borrower's milestone schedule (5.3.1 J).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestones: Option<Vec<Milestone>>,
    /// The conditions of effectiveness (5.3.1 N).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions_of_effectiveness: Option<Vec<String>>,
}

/// An element of a term sheet, by the name the completeness check reports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Element {
    /// i.
    Borrower,
    /// ii.
    AmountsToRestructure,
    /// iii.
    FeesAndExpenses,
    /// iv.
    Banks,
    /// v.
    AnticipatedClosingDate,
    /// vi.
    RepresentationsAndWarranties,
    /// vii.
    RepaymentSchedule,
    /// viii.
    MandatoryRepayments,
    /// ix.
    CashSweep,
    /// x.
    InterestRates,
    /// xi.
    DefaultInterest,
    /// xii.
    InterestPaymentDates,
    /// xiii.
    EventsOfDefault,
    /// xiv.
    AdditionalSecurity,
    /// xv.
    Documentation,
    /// xvi.
    Taxes,
    /// xvii.
    GoverningLaw,
    /// The chosen measures.
    Measures,
    /// 5.3.1 J.
    Milestones,
    /// The conditions of effectiveness.
    ConditionsOfEffectiveness,
}

impl Element {
    /// The element's field name (as in [`TermSheet`] on the wire).
    #[must_use]
    pub const fn field(self) -> &'static str {
        match self {
            Self::Borrower => "borrower",
            Self::AmountsToRestructure => "amounts_to_restructure",
            Self::FeesAndExpenses => "fees_and_expenses",
            Self::Banks => "banks",
            Self::AnticipatedClosingDate => "anticipated_closing_date",
            Self::RepresentationsAndWarranties => "representations_and_warranties",
            Self::RepaymentSchedule => "repayment_schedule",
            Self::MandatoryRepayments => "mandatory_repayments",
            Self::CashSweep => "cash_sweep",
            Self::InterestRates => "interest_rates",
            Self::DefaultInterest => "default_interest",
            Self::InterestPaymentDates => "interest_payment_dates",
            Self::EventsOfDefault => "events_of_default",
            Self::AdditionalSecurity => "additional_security",
            Self::Documentation => "documentation",
            Self::Taxes => "taxes",
            Self::GoverningLaw => "governing_law",
            Self::Measures => "measures",
            Self::Milestones => "milestones",
            Self::ConditionsOfEffectiveness => "conditions_of_effectiveness",
        }
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.field())
    }
}

/// The guideline's limits on measures, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeasureLimits {
    /// Longest short-term measure in months ([`SHORT_TERM_MEASURE_LIMIT`]; default 24).
    pub short_term_months: u32,
    /// Longest short-term measure for real estate or construction
    /// ([`SHORT_TERM_MEASURE_LIMIT_REAL_ESTATE`]; default 12).
    pub short_term_months_real_estate: u32,
    /// How often capitalisation may be used ([`CAPITALISATION_ONCE`]; default 1).
    pub capitalisations_allowed: u32,
}

impl Default for MeasureLimits {
    fn default() -> Self {
        Self {
            short_term_months: 24,
            short_term_months_real_estate: 12,
            capitalisations_allowed: 1,
        }
    }
}

/// A place where the term sheet goes beyond a limit of the guideline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// A short-term measure longer than the limit.
    ShortTermTooLong {
        /// Its index in `measures`.
        measure: usize,
        /// Its name.
        name: String,
        /// Its length in months.
        months: u32,
        /// The limit that applies.
        limit_months: u32,
        /// The rule's name.
        rule: String,
    },
    /// Short-term measures without any longer-term solution.
    ShortTermWithoutLongTerm {
        /// The indexes of the short-term measures.
        measures: Vec<usize>,
        /// The rule's name.
        rule: String,
    },
    /// Capitalisation used more often than allowed (counting an earlier restructuring's).
    CapitalisationRepeated {
        /// The indexes of the capitalisation measures.
        measures: Vec<usize>,
        /// How often capitalisation is used, the earlier one included.
        uses: u32,
        /// How often it is allowed.
        allowed: u32,
        /// The rule's name.
        rule: String,
    },
    /// Fresh money for a purpose outside the guideline's three.
    FreshMoneyPurpose {
        /// Its index in `measures`.
        measure: usize,
        /// The purpose given.
        purpose: String,
        /// The rule's name.
        rule: String,
    },
}

impl Warning {
    /// The name of the rule the warning applies.
    #[must_use]
    pub fn rule(&self) -> &str {
        match self {
            Self::ShortTermTooLong { rule, .. }
            | Self::ShortTermWithoutLongTerm { rule, .. }
            | Self::CapitalisationRepeated { rule, .. }
            | Self::FreshMoneyPurpose { rule, .. } => rule,
        }
    }
}

/// The result of the completeness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Completeness {
    /// Whether no element is missing (warnings do not make a sheet incomplete).
    pub complete: bool,
    /// The missing elements, in the guideline's order.
    pub missing: Vec<Element>,
    /// The guideline's limits the sheet goes beyond.
    pub warnings: Vec<Warning>,
    /// The limits applied.
    pub limits: MeasureLimits,
}

fn list_given<T>(list: Option<&Vec<T>>) -> bool {
    list.is_some_and(|items| !items.is_empty())
}

fn text_given(text: Option<&String>) -> bool {
    text.is_some_and(|text| !text.trim().is_empty())
}

/// The completeness check under the guideline's default limits.
#[must_use]
pub fn completeness(sheet: &TermSheet) -> Completeness {
    completeness_with(sheet, MeasureLimits::default())
}

/// The completeness check under the given limits: the missing elements by name and the warnings.
#[must_use]
pub fn completeness_with(sheet: &TermSheet, limits: MeasureLimits) -> Completeness {
    let present = [
        (
            Element::Borrower,
            sheet
                .borrower
                .as_ref()
                .is_some_and(|borrower| !borrower.description.trim().is_empty()),
        ),
        (
            Element::AmountsToRestructure,
            list_given(sheet.amounts_to_restructure.as_ref()),
        ),
        (Element::FeesAndExpenses, sheet.fees_and_expenses.is_some()),
        (Element::Banks, list_given(sheet.banks.as_ref())),
        (
            Element::AnticipatedClosingDate,
            sheet.anticipated_closing_date.is_some(),
        ),
        (
            Element::RepresentationsAndWarranties,
            list_given(sheet.representations_and_warranties.as_ref()),
        ),
        (
            Element::RepaymentSchedule,
            list_given(sheet.repayment_schedule.as_ref()),
        ),
        (
            Element::MandatoryRepayments,
            sheet.mandatory_repayments.is_some(),
        ),
        (Element::CashSweep, sheet.cash_sweep.is_some()),
        (
            Element::InterestRates,
            list_given(sheet.interest_rates.as_ref()),
        ),
        (Element::DefaultInterest, sheet.default_interest.is_some()),
        (
            Element::InterestPaymentDates,
            list_given(sheet.interest_payment_dates.as_ref()),
        ),
        (
            Element::EventsOfDefault,
            list_given(sheet.events_of_default.as_ref()),
        ),
        (
            Element::AdditionalSecurity,
            sheet.additional_security.is_some(),
        ),
        (
            Element::Documentation,
            list_given(sheet.documentation.as_ref()),
        ),
        (Element::Taxes, text_given(sheet.taxes.as_ref())),
        (
            Element::GoverningLaw,
            text_given(sheet.governing_law.as_ref()),
        ),
        (Element::Measures, list_given(sheet.measures.as_ref())),
        (Element::Milestones, list_given(sheet.milestones.as_ref())),
        (
            Element::ConditionsOfEffectiveness,
            list_given(sheet.conditions_of_effectiveness.as_ref()),
        ),
    ];
    let missing: Vec<Element> = present
        .iter()
        .filter(|(_, given)| !given)
        .map(|(element, _)| *element)
        .collect();
    Completeness {
        complete: missing.is_empty(),
        missing,
        warnings: warnings(sheet, limits),
        limits,
    }
}

fn warnings(sheet: &TermSheet, limits: MeasureLimits) -> Vec<Warning> {
    let measures = sheet.measures.as_deref().unwrap_or_default();
    let real_estate = sheet.borrower.as_ref().is_some_and(|borrower| {
        matches!(borrower.sector, Sector::RealEstate | Sector::Construction)
    });
    let (limit_months, rule) = if real_estate {
        (
            limits.short_term_months_real_estate,
            SHORT_TERM_MEASURE_LIMIT_REAL_ESTATE,
        )
    } else {
        (limits.short_term_months, SHORT_TERM_MEASURE_LIMIT)
    };
    let mut found = Vec::new();
    let mut short_term = Vec::new();
    for (index, measure) in measures.iter().enumerate() {
        if let Some(months) = measure.short_term_months() {
            short_term.push(index);
            if months > limit_months {
                found.push(Warning::ShortTermTooLong {
                    measure: index,
                    name: measure.name().to_owned(),
                    months,
                    limit_months,
                    rule: rule.to_owned(),
                });
            }
        }
    }
    if !short_term.is_empty() && !measures.iter().any(RestructuringMeasure::is_long_term) {
        found.push(Warning::ShortTermWithoutLongTerm {
            measures: short_term,
            rule: SHORT_TERM_NEEDS_LONG_TERM.to_owned(),
        });
    }
    let capitalisations: Vec<(usize, bool)> = measures
        .iter()
        .enumerate()
        .filter_map(|(index, measure)| match measure {
            RestructuringMeasure::Capitalisation {
                previously_capitalised,
                ..
            } => Some((index, *previously_capitalised)),
            _ => None,
        })
        .collect();
    let earlier = u32::from(capitalisations.iter().any(|(_, earlier)| *earlier));
    let uses = u32::try_from(capitalisations.len())
        .unwrap_or(u32::MAX)
        .saturating_add(earlier);
    if !capitalisations.is_empty() && uses > limits.capitalisations_allowed {
        found.push(Warning::CapitalisationRepeated {
            measures: capitalisations.iter().map(|(index, _)| *index).collect(),
            uses,
            allowed: limits.capitalisations_allowed,
            rule: CAPITALISATION_ONCE.to_owned(),
        });
    }
    for (index, measure) in measures.iter().enumerate() {
        if let RestructuringMeasure::FreshMoney {
            purpose: FreshMoneyPurpose::Other { description },
            ..
        } = measure
        {
            found.push(Warning::FreshMoneyPurpose {
                measure: index,
                purpose: description.clone(),
                rule: FRESH_MONEY_PURPOSES.to_owned(),
            });
        }
    }
    found
}

/// Why a term sheet could not be turned into JSON (cannot happen for a well-formed sheet).
#[derive(Debug, thiserror::Error)]
#[error("the term sheet could not be written as JSON: {0}")]
pub struct CanonicalError(#[from] serde_json::Error);

/// The JSON value of a sheet with every object's keys sorted (the canonical structure).
///
/// # Errors
/// [`CanonicalError`] if serialization fails.
pub fn canonical_value(sheet: &TermSheet) -> Result<Value, CanonicalError> {
    Ok(sorted(serde_json::to_value(sheet)?))
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let ordered: BTreeMap<String, Value> = map
                .into_iter()
                .map(|(key, value)| (key, sorted(value)))
                .collect();
            Value::Object(ordered.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The canonical JSON text of a sheet: keys sorted at every depth, compact, absent elements omitted.
///
/// # Errors
/// [`CanonicalError`] if serialization fails.
pub fn canonical_json(sheet: &TermSheet) -> Result<String, CanonicalError> {
    Ok(serde_json::to_string(&canonical_value(sheet)?)?)
}

/// The content hash of a sheet: lowercase hex SHA-256 of [`canonical_json`].
///
/// # Errors
/// [`CanonicalError`] if serialization fails.
pub fn content_hash(sheet: &TermSheet) -> Result<String, CanonicalError> {
    Ok(hex::encode(Sha256::digest(
        canonical_json(sheet)?.as_bytes(),
    )))
}

/// One leaf that differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    /// Where, e.g. `repayment_schedule[2].amount.amount`.
    pub path: String,
    /// The value in the earlier version (`null` if absent).
    pub before: Value,
    /// The value in the later version (`null` if absent).
    pub after: Value,
}

/// The changed fields between two sheets, ordered by path.
///
/// # Errors
/// [`CanonicalError`] if serialization fails.
pub fn diff(before: &TermSheet, after: &TermSheet) -> Result<Vec<FieldChange>, CanonicalError> {
    let mut changes = Vec::new();
    walk(
        String::new(),
        &canonical_value(before)?,
        &canonical_value(after)?,
        &mut changes,
    );
    changes.sort_by(|left, right| left.path.cmp(&right.path));
    Ok(changes)
}

fn walk(path: String, before: &Value, after: &Value, changes: &mut Vec<FieldChange>) {
    match (before, after) {
        (Value::Object(left), Value::Object(right)) => {
            let keys: std::collections::BTreeSet<&String> =
                left.keys().chain(right.keys()).collect();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(
                    child,
                    left.get(key).unwrap_or(&Value::Null),
                    right.get(key).unwrap_or(&Value::Null),
                    changes,
                );
            }
        }
        (Value::Array(left), Value::Array(right)) => {
            for index in 0..left.len().max(right.len()) {
                walk(
                    format!("{path}[{index}]"),
                    left.get(index).unwrap_or(&Value::Null),
                    right.get(index).unwrap_or(&Value::Null),
                    changes,
                );
            }
        }
        _ if before == after => {}
        _ => changes.push(FieldChange {
            path,
            before: before.clone(),
            after: after.clone(),
        }),
    }
}

/// The calendar days an offer to the borrower stays open unless accepted (5.3.1 B), by default.
pub const OFFER_OPEN_DAYS: u32 = 30;

/// When an offer submitted at `submitted_at` and open for `days` calendar days lapses, in the
/// workout's time zone `zone`: the day of submission is day 0, the offer is open to the end of
/// day `days` and has lapsed at the first instant of day `days + 1` (submitted on 1 January and
/// open 30 days: open all of 31 January, lapsed from 1 February 00:00). `None` out of range.
pub fn offer_lapses_at(
    submitted_at: DateTime<Utc>,
    days: u32,
    zone: FixedOffset,
) -> Option<DateTime<Utc>> {
    let day_zero = submitted_at.with_timezone(&zone).date_naive();
    crate::calendar::end_of_day(day_zero.checked_add_days(Days::new(u64::from(days)))?, zone)
}

#[cfg(test)]
mod tests;
