//! The voting-rules engine: rules as data ([`rule`]), the exact tally of a ballot ([`mod@tally`]),
//! the live position while it is open and whether its outcome can still change ([`mod@position`]),
//! and the result certificate that anyone can recompute ([`certificate`]).
//!
//! Rules:
//! - Who votes is a list of [`Voter`] rows, one per creditor per class, with the weight taken from
//!   a frozen record-date snapshot. A creditor's one vote applies to all its rows. Under
//!   [`Grouping::Pool`] a creditor's rows are summed and it counts once in number; under
//!   [`Grouping::ByClass`] it counts once in number in each class it holds.
//! - Arithmetic is exact: weights are decimals brought to one scale and summed as integers, and
//!   a share is compared with its threshold by cross-multiplication (`for × d` against
//!   `n × total`), never through a rounded share or a float. A sum that does not fit in a
//!   decimal (about 7.9 × 10^28 units of the smallest place) is an error, never rounded.
//! - A test or quorum whose denominator is empty (no weight or no creditor) is not met.
//! - A vote by a creditor that is not among the voters is an error ([`TallyError::NotEligible`]),
//!   never ignored: the service must not have accepted it. A vote by an excluded creditor
//!   (related party, declared conflict) is left out of every sum and listed in
//!   [`Outcome::excluded`] with the reason.
//! - The result does not depend on the order of the voters or the votes.
//! - Nothing here reads a clock, a file or the network.

pub mod attendance;
pub mod certificate;
pub mod position;
pub mod rule;
pub mod tally;

#[cfg(test)]
mod tests;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::facility::CreditorClass;
use crate::ids::InstitutionId;

pub use attendance::{AttendanceQuorum, QuorumError};
pub use certificate::{BallotFacts, Certificate, CertificateError, Discrepancy};
pub use position::{GroupPosition, Need, Pivotal, Position, decided, position};
pub use rule::{
    Comparison, Denominator, Exclusions, Fraction, FractionError, Grouping, Preset, Quorum, Rule,
    RuleError, Test, Threshold, UnknownPreset,
};
pub use tally::{
    ConditionKind, Excluded, ExclusionReason, GroupResult, Measure, Outcome, QuorumCheck,
    SHARE_DECIMAL_PLACES, Share, Subtotal, TallyError, TestKind, TestResult, tally,
};

/// How a creditor voted.
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
pub enum Choice {
    /// In favour.
    For,
    /// Against.
    Against,
    /// Took part without voting for or against.
    Abstain,
}

impl Choice {
    /// Every choice, in this order.
    pub const ALL: [Self; 3] = [Self::For, Self::Against, Self::Abstain];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::For => "for",
            Self::Against => "against",
            Self::Abstain => "abstain",
        }
    }
}

/// One creditor's weight in one class, as frozen for a ballot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Voter {
    /// The creditor institution.
    pub creditor: InstitutionId,
    /// The class this row's weight is held in.
    pub class: CreditorClass,
    /// The weight (counted exposure in the base currency), at least 0.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "1500000.00")]
    pub weight: Decimal,
    /// A related party of the borrower (the registry's flag); the same on all of a creditor's
    /// rows.
    pub related_party: bool,
    /// Has declared a conflict of interest on this ballot; the same on all of a creditor's rows.
    pub conflicted: bool,
}
