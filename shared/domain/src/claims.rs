//! Claims of creditors that do not take part on the platform: the whole debt picture.
//!
//! The guideline asks the workout unit to identify "any other significant creditors … Zakat/Tax
//! authority, utilities, trade creditors and loans to shareholders, related parties, or employees"
//! (5.1.1), and calls wages payable and taxes "priority claims against the borrower's assets"
//! (5.1.5 B). Such creditors are not banks on the platform: the coordinator records what they are
//! owed so that the snapshot's totals show the whole debt, but they never vote.
//!
//! Rules:
//! - A claim names its claimant (one line of 1 to 200 characters, [`text::NAME`]), its kind
//!   ([`ClaimantKind`]), an active ISO 4217 currency and an amount (a plain decimal ≥ 0 below
//!   10^18 within the currency's minor unit, as for facilities: PostgreSQL's `numeric(22, 4)`
//!   holds it), optionally a note (prose of up to 2,000 characters, [`text::NOTE`]).
//! - A claim is **preferential** (a priority claim) when the request says so; by default, wages
//!   and tax or zakat claims are, every other kind is not.
//! - A claim never has a vote and never carries a weight: it is shown apart from the creditors'
//!   lines.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::facility::{FieldIssue, parse_amount, parse_text, within_minor_units};
use crate::money::{Currency, Money};
use crate::text;

/// Who a claim of a non-participating creditor is owed to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ClaimantKind {
    /// The Zakat, Tax and Customs Authority (or another tax authority).
    TaxAndZakat,
    /// Employees: wages and end-of-service benefits payable.
    Wages,
    /// Suppliers and other trade creditors.
    TradeCreditor,
    /// Utilities.
    Utility,
    /// Loans from shareholders.
    ShareholderLoan,
    /// Related parties other than shareholders.
    RelatedParty,
    /// Lenders that do not take part on the platform.
    OtherLender,
    /// Anything else.
    Other,
}

impl ClaimantKind {
    /// Every kind, in order.
    pub const ALL: [Self; 8] = [
        Self::TaxAndZakat,
        Self::Wages,
        Self::TradeCreditor,
        Self::Utility,
        Self::ShareholderLoan,
        Self::RelatedParty,
        Self::OtherLender,
        Self::Other,
    ];

    /// The name on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TaxAndZakat => "tax_and_zakat",
            Self::Wages => "wages",
            Self::TradeCreditor => "trade_creditor",
            Self::Utility => "utility",
            Self::ShareholderLoan => "shareholder_loan",
            Self::RelatedParty => "related_party",
            Self::OtherLender => "other_lender",
            Self::Other => "other",
        }
    }

    /// Whether a claim of this kind is a priority claim unless said otherwise (5.1.5 B: wages
    /// payable and taxes).
    #[must_use]
    pub const fn preferential_by_default(self) -> bool {
        matches!(self, Self::TaxAndZakat | Self::Wages)
    }
}

impl fmt::Display for ClaimantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClaimantKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown claimant kind {:?}; the kinds are {}",
                    name.chars().take(40).collect::<String>(),
                    names.join(", ")
                )
            })
    }
}

/// A claim as entered: text fields, checked by [`OtherClaimInput::validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OtherClaimInput {
    /// Who is owed, e.g. "Zakat, Tax and Customs Authority".
    pub claimant: String,
    /// A [`ClaimantKind`] name, e.g. `tax_and_zakat`.
    pub kind: String,
    /// An ISO 4217 code.
    pub currency: String,
    /// The amount owed, a plain decimal.
    pub amount: String,
    /// A priority claim; default: true for `wages` and `tax_and_zakat`.
    pub preferential: Option<bool>,
    /// Where the figure comes from, e.g. "audited accounts 2025, note 14".
    pub note: Option<String>,
}

/// A checked claim of a creditor that does not take part on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OtherClaim {
    /// Who is owed.
    pub claimant: String,
    /// The kind of claimant.
    pub kind: ClaimantKind,
    /// The amount owed, in its currency.
    pub amount: Money,
    /// Whether it is a priority claim.
    pub preferential: bool,
    /// Where the figure comes from.
    pub note: Option<String>,
}

impl OtherClaimInput {
    /// The checked claim, or one issue per bad field, in field order.
    ///
    /// # Errors
    /// The fields that are wrong, each with what is wrong.
    pub fn validate(&self) -> Result<OtherClaim, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let claimant = keep(
            &mut issues,
            "claimant",
            parse_text(&self.claimant, text::NAME),
        );
        let kind = keep(
            &mut issues,
            "kind",
            self.kind.trim().parse::<ClaimantKind>(),
        );
        let currency = keep(
            &mut issues,
            "currency",
            Currency::parse(self.currency.trim()).map_err(|e| e.to_string()),
        );
        let amount: Option<Decimal> = keep(
            &mut issues,
            "amount",
            parse_amount(&self.amount).and_then(|value| match currency {
                Some(currency) => within_minor_units(value, currency),
                None => Ok(value),
            }),
        );
        let note = match &self.note {
            Some(note) => keep(&mut issues, "note", parse_text(note, text::NOTE)).map(Some),
            None => Some(None),
        };
        match (claimant, kind, currency, amount, note) {
            (Some(claimant), Some(kind), Some(currency), Some(amount), Some(note)) => {
                Ok(OtherClaim {
                    claimant,
                    kind,
                    amount: Money::new(amount, currency),
                    preferential: self
                        .preferential
                        .unwrap_or_else(|| kind.preferential_by_default()),
                    note: note.filter(|text| !text.is_empty()),
                })
            }
            _ => Err(issues),
        }
    }
}

/// The value of `result`, or `None` with its message added to `issues` as `field`'s.
fn keep<T>(issues: &mut Vec<FieldIssue>, field: &str, result: Result<T, String>) -> Option<T> {
    result
        .map_err(|message| {
            issues.push(FieldIssue {
                field: field.to_owned(),
                message,
            });
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> OtherClaimInput {
        OtherClaimInput {
            claimant: " Zakat, Tax and Customs Authority ".to_owned(),
            kind: "tax_and_zakat".to_owned(),
            currency: "SAR".to_owned(),
            amount: "1250000.50".to_owned(),
            preferential: None,
            note: Some("Assessment 2025".to_owned()),
        }
    }

    #[test]
    fn taxes_and_wages_are_priority_claims_unless_said_otherwise() {
        let claim = input().validate().unwrap();
        assert_eq!(claim.claimant, "Zakat, Tax and Customs Authority");
        assert!(claim.preferential);
        let trade = OtherClaimInput {
            kind: "trade_creditor".to_owned(),
            ..input()
        };
        assert!(!trade.validate().unwrap().preferential);
        let waived = OtherClaimInput {
            preferential: Some(false),
            ..input()
        };
        assert!(!waived.validate().unwrap().preferential);
    }

    #[test]
    fn every_bad_field_is_named_in_order() {
        let bad = OtherClaimInput {
            claimant: "\u{0}".to_owned(),
            kind: "bank".to_owned(),
            currency: "XYZ1".to_owned(),
            amount: "-5".to_owned(),
            preferential: None,
            note: None,
        };
        let fields: Vec<String> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|issue| issue.field)
            .collect();
        assert_eq!(fields, ["claimant", "kind", "currency", "amount"]);
    }
}
