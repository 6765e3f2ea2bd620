//! The quorum of a meeting by attendance: whether the creditors present (in person or by proxy)
//! hold enough of the eligible exposure and/or number, by the engine's own arithmetic.
//!
//! Rules:
//! - A quorum is written `measure:comparison:fraction`, comma-separated, each measure at most
//!   once: `value:more_than:1/2`, `number:at_least:2/3`, `value:at_least:1/2,number:more_than:1/2`.
//!   `value` is the share of the eligible creditors' exposure present, `number` the share of the
//!   eligible creditors present; both must be met when both are given.
//! - It is evaluated by the voting engine ([`tally`]): a creditor present takes part as a vote
//!   "for" would, an absent one is "not voted", and each measure is a test over all eligible
//!   creditors ([`Denominator::AllEligible`]), so the shares, the exact comparison and the
//!   exclusions (related parties, as in every preset) are the engine's.
//! - The default, [`AttendanceQuorum::DEFAULT`], is more than half of the exposure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::rule::{
    Comparison, Denominator, Exclusions, Fraction, Grouping, Quorum, Rule, RuleError, Test,
    Threshold,
};
use super::tally::{Outcome, TallyError, tally};
use super::{Choice, Voter};
use crate::ids::InstitutionId;

/// What share of the eligible creditors must be present, by value and/or by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttendanceQuorum {
    /// Share of the eligible exposure present.
    pub value: Option<Threshold>,
    /// Share of the eligible creditors (by number) present.
    pub number: Option<Threshold>,
}

/// Why a quorum text is not one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QuorumError {
    /// A part is not `measure:comparison:fraction`.
    #[error(
        "{0:?} is not a quorum condition: write measure:comparison:fraction, e.g. value:more_than:1/2 or number:at_least:2/3"
    )]
    Malformed(String),
    /// A measure is named twice.
    #[error("the measure {0} is named twice")]
    Repeated(&'static str),
    /// The thresholds are not valid (e.g. more than 1/1).
    #[error("{0}")]
    Invalid(#[from] RuleError),
}

impl AttendanceQuorum {
    /// More than half of the eligible exposure present.
    pub const DEFAULT: Self = Self {
        value: Some(Threshold::more_than(Fraction::HALF)),
        number: None,
    };

    /// The engine's rule: each measure a test over all eligible creditors, related parties and
    /// conflicted creditors left out, one pool.
    #[must_use]
    pub const fn rule(&self) -> Rule {
        const fn test(threshold: Option<Threshold>) -> Option<Test> {
            match threshold {
                Some(threshold) => Some(Test {
                    threshold,
                    denominator: Denominator::AllEligible,
                }),
                None => None,
            }
        }
        Rule {
            value: test(self.value),
            number: test(self.number),
            quorum: Quorum {
                value: None,
                number: None,
            },
            grouping: Grouping::Pool,
            exclusions: Exclusions::BOTH,
            unanimity: false,
        }
    }

    /// Whether the creditors `present` make the quorum among `voters`: the engine's outcome,
    /// with the arithmetic. Institutions present that are not voters (the borrower, an advisor)
    /// are left out.
    ///
    /// # Errors
    /// [`TallyError`] from the engine (inconsistent voters, weights too large).
    pub fn check(
        &self,
        voters: &[Voter],
        present: &BTreeSet<InstitutionId>,
    ) -> Result<Outcome, TallyError> {
        let eligible: BTreeSet<InstitutionId> = voters.iter().map(|v| v.creditor).collect();
        let votes: BTreeMap<InstitutionId, Choice> = present
            .iter()
            .filter(|creditor| eligible.contains(creditor))
            .map(|creditor| (*creditor, Choice::For))
            .collect();
        tally(&self.rule(), voters, &votes)
    }
}

impl Default for AttendanceQuorum {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl FromStr for AttendanceQuorum {
    type Err = QuorumError;

    fn from_str(text: &str) -> Result<Self, QuorumError> {
        let mut quorum = Self {
            value: None,
            number: None,
        };
        for part in text.split(',') {
            let malformed = || QuorumError::Malformed(part.chars().take(60).collect());
            let mut pieces = part.trim().splitn(3, ':');
            let (Some(measure), Some(comparison), Some(fraction)) =
                (pieces.next(), pieces.next(), pieces.next())
            else {
                return Err(malformed());
            };
            let comparison = match comparison {
                "at_least" => Comparison::AtLeast,
                "more_than" => Comparison::MoreThan,
                _ => return Err(malformed()),
            };
            let share: Fraction = fraction.parse().map_err(|_| malformed())?;
            let threshold = Threshold { share, comparison };
            let (slot, name) = match measure {
                "value" => (&mut quorum.value, "value"),
                "number" => (&mut quorum.number, "number"),
                _ => return Err(malformed()),
            };
            if slot.replace(threshold).is_some() {
                return Err(QuorumError::Repeated(name));
            }
        }
        quorum.rule().validate()?;
        Ok(quorum)
    }
}

impl fmt::Display for AttendanceQuorum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [("value", self.value), ("number", self.number)]
            .into_iter()
            .filter_map(|(name, threshold)| {
                threshold.map(|t| format!("{name}:{}:{}", t.comparison.as_str(), t.share))
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::facility::CreditorClass;

    fn voter(creditor: InstitutionId, weight: i64) -> Voter {
        Voter {
            creditor,
            class: CreditorClass::UNSECURED,
            weight: Decimal::new(weight, 0),
            related_party: false,
            conflicted: false,
        }
    }

    #[test]
    fn a_quorum_reads_back_from_its_text_and_refuses_nonsense() {
        for text in [
            "value:more_than:1/2",
            "number:at_least:2/3",
            "value:at_least:1/2,number:more_than:1/2",
        ] {
            let quorum: AttendanceQuorum = text.parse().unwrap();
            assert_eq!(quorum.to_string(), text);
        }
        assert_eq!(AttendanceQuorum::DEFAULT.to_string(), "value:more_than:1/2");
        for bad in [
            "",
            "value",
            "value:more:1/2",
            "weight:at_least:1/2",
            "value:at_least:1/2,value:more_than:1/3",
            "value:more_than:1/1",
            "value:at_least:0/3",
            "value:at_least:3/2",
        ] {
            assert!(bad.parse::<AttendanceQuorum>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_creditors_present_make_the_quorum_by_exposure_share_exactly() {
        let (a, b, c) = (
            InstitutionId::new(),
            InstitutionId::new(),
            InstitutionId::new(),
        );
        let voters = [voter(a, 60), voter(b, 30), voter(c, 10)];
        let majority = AttendanceQuorum::DEFAULT;
        let present = |ids: &[InstitutionId]| ids.iter().copied().collect::<BTreeSet<_>>();
        assert!(majority.check(&voters, &present(&[a])).unwrap().passed);
        assert!(!majority.check(&voters, &present(&[b, c])).unwrap().passed);
        // Exactly a half is not more than a half, but is at least a half.
        let voters = [voter(a, 50), voter(b, 50)];
        assert!(!majority.check(&voters, &present(&[a])).unwrap().passed);
        let half: AttendanceQuorum = "value:at_least:1/2".parse().unwrap();
        assert!(half.check(&voters, &present(&[a])).unwrap().passed);
        // By number as well: one of two creditors is not more than half of them.
        let both: AttendanceQuorum = "value:at_least:1/2,number:more_than:1/2".parse().unwrap();
        assert!(!both.check(&voters, &present(&[a])).unwrap().passed);
        // Someone present who is not a creditor counts for nothing.
        let outcome = majority
            .check(&voters, &present(&[InstitutionId::new()]))
            .unwrap();
        assert!(!outcome.passed);
    }
}
