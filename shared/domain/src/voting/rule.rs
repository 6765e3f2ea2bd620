//! Voting rules as data: thresholds, denominators, quorum, classes, exclusions, unanimity, and the
//! named presets.
//!
//! Rules:
//! - A threshold is an exact [`Fraction`] (`2/3`, never `0.6667`) with a [`Comparison`]:
//!   `more than 2/3` is not met by exactly two thirds, `at least 2/3` is. A fraction has a
//!   denominator above 0 and a numerator no larger than it; it is written `"2/3"` on the wire and
//!   read from `"2/3"` or `{"numerator": 2, "denominator": 3}`.
//! - A [`Rule`] has at least one of a value test, a number test or unanimity. A threshold that
//!   nothing can meet (`more than 1/1`) or that nothing can fail (`at least 0/…`) is refused by
//!   [`Rule::validate`]: leave the test out instead.
//! - Quorum counts those who took part (for, against or abstain) as a share of **all eligible**
//!   creditors, by value and/or by number.
//! - Every [`Preset`] is a rule with a name and its source; all of them exclude related parties
//!   and creditors with a declared conflict.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// An exact fraction of one, such as `2/3`: `denominator > 0` and `numerator <= denominator`.
///
/// Equality is of the written form: `2/3` and `4/6` are different values that every test treats
/// alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fraction {
    /// The part, at most `denominator`.
    pub numerator: u32,
    /// The whole, above 0.
    pub denominator: u32,
}

/// Why a fraction is not valid or does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FractionError {
    /// The denominator is 0.
    #[error("a fraction's denominator must be above 0")]
    ZeroDenominator,
    /// The numerator exceeds the denominator: a share of more than the whole.
    #[error("a share is at most the whole: {numerator}/{denominator} is above 1")]
    AboveOne {
        /// The numerator given.
        numerator: u32,
        /// The denominator given.
        denominator: u32,
    },
    /// The text is not `N/D` with two whole numbers.
    #[error("a fraction is written N/D with whole numbers, e.g. 2/3; got {0:?}")]
    Malformed(String),
}

impl Fraction {
    /// One half.
    pub const HALF: Self = Self {
        numerator: 1,
        denominator: 2,
    };
    /// Two thirds.
    pub const TWO_THIRDS: Self = Self {
        numerator: 2,
        denominator: 3,
    };
    /// Three quarters.
    pub const THREE_QUARTERS: Self = Self {
        numerator: 3,
        denominator: 4,
    };
    /// The whole.
    pub const ONE: Self = Self {
        numerator: 1,
        denominator: 1,
    };

    /// A fraction, checked.
    ///
    /// # Errors
    /// [`FractionError::ZeroDenominator`] or [`FractionError::AboveOne`].
    pub fn new(numerator: u32, denominator: u32) -> Result<Self, FractionError> {
        let fraction = Self {
            numerator,
            denominator,
        };
        fraction.check().map(|()| fraction)
    }

    /// Checks the invariants of a fraction built from its public fields.
    ///
    /// # Errors
    /// [`FractionError::ZeroDenominator`] or [`FractionError::AboveOne`].
    pub fn check(&self) -> Result<(), FractionError> {
        if self.denominator == 0 {
            Err(FractionError::ZeroDenominator)
        } else if self.numerator > self.denominator {
            Err(FractionError::AboveOne {
                numerator: self.numerator,
                denominator: self.denominator,
            })
        } else {
            Ok(())
        }
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

/// Parses `N/D` exactly: ASCII digits, a slash, ASCII digits; no spaces or signs.
impl FromStr for Fraction {
    type Err = FractionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || FractionError::Malformed(s.chars().take(40).collect());
        let (numerator, denominator) = s.split_once('/').ok_or_else(malformed)?;
        let number = |part: &str| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            part.parse::<u32>().map_err(|_| malformed())
        };
        Self::new(number(numerator)?, number(denominator)?)
    }
}

impl Serialize for Fraction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FractionVisitor)
    }
}

struct FractionVisitor;

impl<'de> Visitor<'de> for FractionVisitor {
    type Value = Fraction;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a fraction such as \"2/3\" or {\"numerator\": 2, \"denominator\": 3}")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Fraction, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fraction, A::Error> {
        let mut numerator = None;
        let mut denominator = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let slot = match key.as_ref() {
                "numerator" => &mut numerator,
                "denominator" => &mut denominator,
                other => return Err(de::Error::unknown_field(other, &FRACTION_FIELDS)),
            };
            if slot.is_some() {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            *slot = Some(map.next_value::<u32>()?);
        }
        let numerator = numerator.ok_or_else(|| de::Error::missing_field("numerator"))?;
        let denominator = denominator.ok_or_else(|| de::Error::missing_field("denominator"))?;
        Fraction::new(numerator, denominator).map_err(de::Error::custom)
    }
}

const FRACTION_FIELDS: [&str; 2] = ["numerator", "denominator"];

impl utoipa::PartialSchema for Fraction {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let text = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9]+/[0-9]+$"))
            .examples(["2/3"]);
        let whole = || {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(u32::MAX))
        };
        let parts = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("numerator", whole())
            .property("denominator", whole().minimum(Some(1)))
            .required("numerator")
            .required("denominator");
        OneOfBuilder::new()
            .item(text)
            .item(parts)
            .description(Some(
                "An exact fraction of one with 0 <= numerator <= denominator and denominator > 0; \
                 written \"2/3\", also read from {\"numerator\": 2, \"denominator\": 3}",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Fraction {}

/// Whether a share must reach the threshold or pass it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// `share >= threshold`.
    AtLeast,
    /// `share > threshold`.
    MoreThan,
}

impl Comparison {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AtLeast => "at_least",
            Self::MoreThan => "more_than",
        }
    }
}

/// A share to reach or pass, e.g. more than 2/3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The fraction.
    pub share: Fraction,
    /// Reach it (`at_least`) or pass it (`more_than`).
    pub comparison: Comparison,
}

impl Threshold {
    /// `share >= fraction`.
    #[must_use]
    pub const fn at_least(fraction: Fraction) -> Self {
        Self {
            share: fraction,
            comparison: Comparison::AtLeast,
        }
    }

    /// `share > fraction`.
    #[must_use]
    pub const fn more_than(fraction: Fraction) -> Self {
        Self {
            share: fraction,
            comparison: Comparison::MoreThan,
        }
    }

    /// Whether `part / whole` meets the threshold, compared exactly by cross-multiplication; a
    /// whole of 0 never meets it. `part` and `whole` must be below 2^96 (weights as decimal
    /// mantissas, counts), so that the products fit in 128 bits.
    pub(crate) fn met_by(&self, part: u128, whole: u128) -> bool {
        if whole == 0 {
            return false;
        }
        // Below 2^96 times below 2^32: the products fit in 128 bits.
        let left = part * u128::from(self.share.denominator);
        let right = u128::from(self.share.numerator) * whole;
        match self.comparison {
            Comparison::AtLeast => left >= right,
            Comparison::MoreThan => left > right,
        }
    }

    fn check(&self, field: &'static str) -> Result<(), RuleError> {
        self.share
            .check()
            .map_err(|source| RuleError::Fraction { field, source })?;
        match self.comparison {
            Comparison::MoreThan if self.share.numerator == self.share.denominator => {
                Err(RuleError::Unreachable { field })
            }
            Comparison::AtLeast if self.share.numerator == 0 => Err(RuleError::Vacuous { field }),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.comparison {
            Comparison::AtLeast => write!(f, "at least {}", self.share),
            Comparison::MoreThan => write!(f, "more than {}", self.share),
        }
    }
}

/// Whose weight or number a test's share is taken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Denominator {
    /// Every eligible (not excluded) creditor: not voting counts like voting against.
    AllEligible,
    /// Those who voted: for + against + abstain (an abstention counts like a vote against).
    Voting,
    /// Those who voted for or against: abstentions and absences are not counted.
    VotingExcludingAbstentions,
}

impl Denominator {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AllEligible => "all_eligible",
            Self::Voting => "voting",
            Self::VotingExcludingAbstentions => "voting_excluding_abstentions",
        }
    }
}

/// One test to pass: a threshold over a denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Test {
    /// The share of "for" that must be reached or passed.
    pub threshold: Threshold,
    /// Of whom.
    pub denominator: Denominator,
}

/// The share of all eligible creditors that must take part (vote for, against or abstain), by
/// value and/or by number; both absent means no quorum.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Quorum {
    /// Share of the eligible weight that took part.
    #[serde(default)]
    pub value: Option<Threshold>,
    /// Share of the eligible creditors (by number) that took part.
    #[serde(default)]
    pub number: Option<Threshold>,
}

/// Whether all eligible creditors vote as one pool or each class separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One pool: a creditor's rows in several classes are summed and it counts once in number.
    Pool,
    /// Every class with at least one eligible creditor must pass on its own; a creditor counts
    /// once in number in each class it holds.
    ByClass,
}

impl Grouping {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pool => "pool",
            Self::ByClass => "by_class",
        }
    }
}

/// Which creditors are left out of the tally (their weight, number and votes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Exclusions {
    /// Leave out related parties of the borrower (the registry's flag).
    pub related_parties: bool,
    /// Leave out creditors with a declared conflict of interest.
    pub conflicted: bool,
}

impl Exclusions {
    /// Both related parties and conflicted creditors left out.
    pub const BOTH: Self = Self {
        related_parties: true,
        conflicted: true,
    };
}

/// A voting rule: what must hold for a ballot to pass. It has at least one of a value test, a
/// number test or unanimity; quorum, grouping and exclusions apply to all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Share of value (exposure weight) voting for.
    #[serde(default)]
    pub value: Option<Test>,
    /// Share of number (creditors) voting for.
    #[serde(default)]
    pub number: Option<Test>,
    /// Participation required; none by default.
    #[serde(default)]
    pub quorum: Quorum,
    /// One pool or class by class.
    pub grouping: Grouping,
    /// Who is left out.
    pub exclusions: Exclusions,
    /// Reserved matters: every eligible creditor must vote for (an abstention or a missing vote
    /// fails it).
    #[serde(default)]
    pub unanimity: bool,
}

/// Why a rule is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    /// No test at all: the rule would pass anything.
    #[error("a rule needs a value test, a number test or unanimity")]
    NoTest,
    /// A threshold's fraction is not valid.
    #[error("the {field} threshold: {source}")]
    Fraction {
        /// `value`, `number`, `quorum.value` or `quorum.number`.
        field: &'static str,
        /// Why.
        #[source]
        source: FractionError,
    },
    /// `more than 1/1`: no share can pass the whole.
    #[error("the {field} threshold can never be met: no share is more than 1/1")]
    Unreachable {
        /// `value`, `number`, `quorum.value` or `quorum.number`.
        field: &'static str,
    },
    /// `at least 0/…`: any share meets it; leave the test out instead.
    #[error("the {field} threshold is always met (at least 0); leave it out instead")]
    Vacuous {
        /// `value`, `number`, `quorum.value` or `quorum.number`.
        field: &'static str,
    },
}

impl Rule {
    /// Checks that the rule has a test and that every threshold is valid, reachable and not
    /// vacuous.
    ///
    /// # Errors
    /// The first [`RuleError`] found, in the order value, number, quorum value, quorum number.
    pub fn validate(&self) -> Result<(), RuleError> {
        if self.value.is_none() && self.number.is_none() && !self.unanimity {
            return Err(RuleError::NoTest);
        }
        let thresholds = [
            ("value", self.value.map(|test| test.threshold)),
            ("number", self.number.map(|test| test.threshold)),
            ("quorum.value", self.quorum.value),
            ("quorum.number", self.quorum.number),
        ];
        for (field, threshold) in thresholds {
            if let Some(threshold) = threshold {
                threshold.check(field)?;
            }
        }
        Ok(())
    }
}

/// A named rule. Every preset leaves out related parties and creditors with a declared conflict,
/// and none has a quorum of its own (a denominator of all eligible creditors already counts
/// absence against).
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
pub enum Preset {
    /// More than 1/2 of the value of the votes cast for or against, in one pool; abstentions and
    /// absences are not counted. Source: the ordinary meaning of "majority vote", more than half
    /// of the votes cast excluding blanks and abstentions (Robert's Rules of Order, Newly
    /// Revised, 12th ed., 44:1–44:3), weighted by exposure as creditors' votes are.
    SimpleMajorityByValue,
    /// More than 2/3 of the value of **all** eligible creditors, in one pool: absence counts
    /// against. Source: the Loan Market Association's leveraged and investment-grade facility
    /// agreements define "Majority Lenders" as lenders whose commitments aggregate more than
    /// 66⅔% of the total commitments; we read "66⅔%" as exactly 2/3 (not 0.6667) and "more
    /// than" as strict, and the total as the total of eligible creditors (the LMA agreements
    /// likewise disenfranchise sponsor affiliates and defaulting lenders).
    MajorityLenders,
    /// At least 3/4 of the value **and** more than 1/2 in number of those voting for or against,
    /// class by class. Source: UK Companies Act 2006 s.899(1): "a majority in number representing
    /// 75% in value of the creditors or class of creditors … present and voting"; abstentions are
    /// not votes. Each class meeting must approve, so the test is applied per class (one class is
    /// the same as a pool).
    SchemeOfArrangement,
    /// At least 2/3 of the value **and** more than 1/2 in number of those voting for or against,
    /// class by class. Source: 11 U.S.C. §1126(c): a class accepts a plan held by creditors "that
    /// hold at least two-thirds in amount and more than one-half in number of the allowed claims
    /// of such class held by creditors … that have accepted or rejected such plan"; insiders'
    /// acceptances are not counted for §1129(a)(10) and votes may be designated under §1126(e).
    Chapter11Class,
    /// Every eligible creditor votes for, in one pool: an abstention, a vote against or a
    /// missing vote fails it. Source: "all Lenders" consent for reserved matters (amounts, dates
    /// and currency of payment, pro rata sharing, release of security) in LMA facility
    /// agreements, clause "Amendments and Waivers".
    Unanimity,
}

impl Preset {
    /// Every preset, in this order.
    pub const ALL: [Self; 5] = [
        Self::SimpleMajorityByValue,
        Self::MajorityLenders,
        Self::SchemeOfArrangement,
        Self::Chapter11Class,
        Self::Unanimity,
    ];

    /// The wire name, e.g. `majority_lenders`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SimpleMajorityByValue => "simple_majority_by_value",
            Self::MajorityLenders => "majority_lenders",
            Self::SchemeOfArrangement => "scheme_of_arrangement",
            Self::Chapter11Class => "chapter11_class",
            Self::Unanimity => "unanimity",
        }
    }

    /// The rule the preset names.
    #[must_use]
    pub const fn rule(self) -> Rule {
        const fn voting(threshold: Threshold) -> Option<Test> {
            Some(Test {
                threshold,
                denominator: Denominator::VotingExcludingAbstentions,
            })
        }
        let none = Rule {
            value: None,
            number: None,
            quorum: Quorum {
                value: None,
                number: None,
            },
            grouping: Grouping::Pool,
            exclusions: Exclusions::BOTH,
            unanimity: false,
        };
        match self {
            Self::SimpleMajorityByValue => Rule {
                value: voting(Threshold::more_than(Fraction::HALF)),
                ..none
            },
            Self::MajorityLenders => Rule {
                value: Some(Test {
                    threshold: Threshold::more_than(Fraction::TWO_THIRDS),
                    denominator: Denominator::AllEligible,
                }),
                ..none
            },
            Self::SchemeOfArrangement => Rule {
                value: voting(Threshold::at_least(Fraction::THREE_QUARTERS)),
                number: voting(Threshold::more_than(Fraction::HALF)),
                grouping: Grouping::ByClass,
                ..none
            },
            Self::Chapter11Class => Rule {
                value: voting(Threshold::at_least(Fraction::TWO_THIRDS)),
                number: voting(Threshold::more_than(Fraction::HALF)),
                grouping: Grouping::ByClass,
                ..none
            },
            Self::Unanimity => Rule {
                unanimity: true,
                ..none
            },
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses the wire name exactly.
impl FromStr for Preset {
    type Err = UnknownPreset;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|preset| preset.as_str() == s)
            .ok_or_else(|| UnknownPreset(s.chars().take(40).collect()))
    }
}

/// A preset name that is not one of [`Preset::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("no voting rule preset is named {0:?}")]
pub struct UnknownPreset(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fraction_is_read_from_text_or_parts_and_written_as_text() {
        let from_text: Fraction = serde_json::from_str("\"2/3\"").unwrap();
        let from_parts: Fraction =
            serde_json::from_str(r#"{"numerator": 2, "denominator": 3}"#).unwrap();
        assert_eq!(from_text, Fraction::TWO_THIRDS);
        assert_eq!(from_parts, Fraction::TWO_THIRDS);
        assert_eq!(
            serde_json::to_string(&Fraction::TWO_THIRDS).ok().as_deref(),
            Some("\"2/3\"")
        );
    }

    #[test]
    fn a_fraction_above_one_with_a_zero_denominator_or_malformed_is_refused() {
        for text in [
            "\"4/3\"",
            "\"1/0\"",
            "\"0.5\"",
            "\"1 / 2\"",
            "\"+1/2\"",
            "\"-1/2\"",
            "\"1/\"",
            "\"/2\"",
            "\"1/2/3\"",
            "\"99999999999/1\"",
            "0.5",
        ] {
            assert!(
                serde_json::from_str::<Fraction>(text).is_err(),
                "{text} should be refused"
            );
        }
        for text in [
            r#"{"numerator": 1}"#,
            r#"{"numerator": 1, "denominator": 0}"#,
            r#"{"numerator": 1, "denominator": 2, "extra": 1}"#,
            r#"{"numerator": 1, "numerator": 1, "denominator": 2}"#,
            r#"{"numerator": -1, "denominator": 2}"#,
            r#"{"numerator": 0.5, "denominator": 2}"#,
        ] {
            assert!(
                serde_json::from_str::<Fraction>(text).is_err(),
                "{text} should be refused"
            );
        }
        assert_eq!("0/1".parse::<Fraction>(), Fraction::new(0, 1));
    }

    #[test]
    fn a_threshold_compares_exactly_at_its_boundary() {
        let strict = Threshold::more_than(Fraction::TWO_THIRDS);
        let loose = Threshold::at_least(Fraction::TWO_THIRDS);
        assert!(!strict.met_by(2, 3));
        assert!(loose.met_by(2, 3));
        assert!(strict.met_by(200_001, 300_000));
        assert!(!loose.met_by(199_999, 300_000));
        assert!(
            !loose.met_by(0, 0),
            "an empty whole never meets a threshold"
        );
        let largest = (1_u128 << 96) - 1;
        assert!(Threshold::at_least(Fraction::ONE).met_by(largest, largest));
        let almost_all = Fraction::new(u32::MAX - 1, u32::MAX).unwrap();
        // (L - 1) / L is above (D - 1) / D when L > D; the products stay within 128 bits.
        assert!(Threshold::more_than(almost_all).met_by(largest - 1, largest));
        assert!(
            !Threshold::more_than(almost_all)
                .met_by(u128::from(u32::MAX) - 1, u128::from(u32::MAX))
        );
    }

    #[test]
    fn a_rule_without_a_test_or_with_an_impossible_or_vacuous_threshold_is_refused() {
        let base = Preset::SimpleMajorityByValue.rule();
        let no_test = Rule {
            value: None,
            ..base
        };
        assert_eq!(no_test.validate(), Err(RuleError::NoTest));
        let impossible = Rule {
            number: Some(Test {
                threshold: Threshold::more_than(Fraction::ONE),
                denominator: Denominator::Voting,
            }),
            ..base
        };
        assert_eq!(
            impossible.validate(),
            Err(RuleError::Unreachable { field: "number" })
        );
        let vacuous = Rule {
            quorum: Quorum {
                value: None,
                number: Some(Threshold::at_least(Fraction {
                    numerator: 0,
                    denominator: 5,
                })),
            },
            ..base
        };
        assert_eq!(
            vacuous.validate(),
            Err(RuleError::Vacuous {
                field: "quorum.number"
            })
        );
        let broken = Rule {
            quorum: Quorum {
                value: Some(Threshold::at_least(Fraction {
                    numerator: 3,
                    denominator: 0,
                })),
                number: None,
            },
            ..base
        };
        assert_eq!(
            broken.validate().map_err(|error| error.to_string()),
            Err("the quorum.value threshold: a fraction's denominator must be above 0".into())
        );
        let more_than_nothing = Rule {
            value: Some(Test {
                threshold: Threshold::more_than(Fraction {
                    numerator: 0,
                    denominator: 1,
                }),
                denominator: Denominator::AllEligible,
            }),
            ..base
        };
        assert_eq!(more_than_nothing.validate(), Ok(()));
    }

    #[test]
    fn every_preset_is_valid_excludes_both_and_has_a_wire_name_that_round_trips() {
        for preset in Preset::ALL {
            let rule = preset.rule();
            assert_eq!(rule.validate(), Ok(()), "{preset}");
            assert_eq!(rule.exclusions, Exclusions::BOTH, "{preset}");
            assert_eq!(preset.as_str().parse(), Ok(preset));
            assert_eq!(
                serde_json::to_string(&preset).ok(),
                Some(format!("\"{}\"", preset.as_str()))
            );
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(
                serde_json::from_str::<Rule>(&json).ok(),
                Some(rule),
                "{json}"
            );
        }
        assert!("Majority_Lenders".parse::<Preset>().is_err());
    }

    #[test]
    fn a_custom_rule_reads_from_json_with_defaults_and_refuses_unknown_fields() {
        let rule: Result<Rule, _> = serde_json::from_str(
            r#"{"value": {"threshold": {"share": "3/4", "comparison": "at_least"},
                          "denominator": "voting_excluding_abstentions"},
                "grouping": "by_class",
                "exclusions": {"related_parties": true, "conflicted": false}}"#,
        );
        assert_eq!(
            rule.ok(),
            Some(Rule {
                value: Some(Test {
                    threshold: Threshold::at_least(Fraction::THREE_QUARTERS),
                    denominator: Denominator::VotingExcludingAbstentions,
                }),
                number: None,
                quorum: Quorum::default(),
                grouping: Grouping::ByClass,
                exclusions: Exclusions {
                    related_parties: true,
                    conflicted: false,
                },
                unanimity: false,
            })
        );
        let typo: Result<Rule, _> = serde_json::from_str(
            r#"{"unanimity": true, "quorom": {}, "grouping": "pool",
                "exclusions": {"related_parties": true, "conflicted": true}}"#,
        );
        assert!(typo.is_err());
    }
}
