//! The tally: what a ballot's votes add up to under its rule, group by group, with every number
//! behind the decision.
//!
//! Rules:
//! - Groups: one `pool` (even when nobody is eligible), or one per class that has at least one
//!   eligible creditor, sorted by class name. A ballot with no group, or with nobody eligible,
//!   does not pass.
//! - A group passes when its quorum (each threshold given) and each of its tests (value, number,
//!   unanimity) are met; the ballot passes when every group passes.
//! - Weights are brought to the largest scale among the voters' weights and summed as integers;
//!   every subtotal is that exact sum, written with that scale. A share is given exactly, as its
//!   numerator and denominator, and for reading rounded half up to [`SHARE_DECIMAL_PLACES`]
//!   places (`0.6666666667`); whether a threshold is met is decided on the exact numbers only.
//! - Unanimity is reported as the number test `at least 1/1` of all eligible creditors.
//! - Voters are checked: a weight below 0, a creditor given twice in one class, or a creditor
//!   whose rows disagree on its related-party or conflict flag is an error.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use super::rule::{Denominator, Fraction, Grouping, Rule, RuleError, Threshold};
use super::{Choice, Voter};
use crate::facility::CreditorClass;
use crate::ids::InstitutionId;

/// Decimal places of a share's rounded form ([`Share::rounded`]).
pub const SHARE_DECIMAL_PLACES: u32 = 10;

/// The largest integer a decimal's mantissa holds (2^96 − 1): every sum stays at or below it, so
/// that a sum times a fraction's part (below 2^32) fits in 128 bits.
pub(super) const MAX_MANTISSA: u128 = (1 << 96) - 1;

/// Why a ballot cannot be tallied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TallyError {
    /// The rule is not valid.
    #[error("invalid voting rule: {0}")]
    InvalidRule(#[from] RuleError),
    /// A vote by a creditor that is not among the voters.
    #[error("creditor {creditor} voted but is not among the ballot's voters")]
    NotEligible {
        /// The creditor.
        creditor: InstitutionId,
    },
    /// A weight below 0.
    #[error("creditor {creditor} has a negative weight in class {class}")]
    NegativeWeight {
        /// The creditor.
        creditor: InstitutionId,
        /// The class of the row.
        class: CreditorClass,
    },
    /// Two rows of one creditor in one class.
    #[error("creditor {creditor} is given twice in class {class}")]
    DuplicateVoter {
        /// The creditor.
        creditor: InstitutionId,
        /// The class.
        class: CreditorClass,
    },
    /// A creditor's rows disagree on its related-party or conflict flag.
    #[error("creditor {creditor}'s rows disagree on whether it is a related party or conflicted")]
    InconsistentFlags {
        /// The creditor.
        creditor: InstitutionId,
    },
    /// A sum of weights does not fit in a decimal at the weights' common scale.
    #[error("the weights are too large to be summed exactly at {scale} decimal places")]
    Overflow {
        /// The common scale of the weights.
        scale: u32,
    },
}

/// A weight and a number of creditors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subtotal {
    /// The exact sum of the weights, at the voters' common scale.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "2500000.00")]
    pub weight: Decimal,
    /// The number of creditors.
    pub count: u64,
}

/// A share, exactly (`numerator / denominator`) and rounded for reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Share {
    /// The weight or number counted for (or, for a quorum, taking part).
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "2000000.00")]
    pub numerator: Decimal,
    /// The weight or number it is a share of.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "3000000.00")]
    pub denominator: Decimal,
    /// `numerator / denominator` rounded half up to [`SHARE_DECIMAL_PLACES`] places; null when
    /// the denominator is 0. For reading only: the threshold is compared on the exact values.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "0.6666666667")]
    pub rounded: Option<Decimal>,
}

/// What a share is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Weight.
    Value,
    /// Number of creditors.
    Number,
}

/// Which test a result is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// The share of value voting for.
    Value,
    /// The share of number voting for.
    Number,
    /// Every eligible creditor voting for (`at least 1/1` of all eligible, by number).
    Unanimity,
}

/// One thing a group must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    /// Quorum by value: weight taking part.
    QuorumValue,
    /// Quorum by number: creditors taking part.
    QuorumNumber,
    /// The value test.
    Value,
    /// The number test.
    Number,
    /// Unanimity.
    Unanimity,
}

impl ConditionKind {
    /// Whether it is measured in weight or in number of creditors.
    #[must_use]
    pub const fn measure(self) -> Measure {
        match self {
            Self::QuorumValue | Self::Value => Measure::Value,
            Self::QuorumNumber | Self::Number | Self::Unanimity => Measure::Number,
        }
    }

    /// The test it is, or `None` for a quorum threshold.
    #[must_use]
    pub const fn test_kind(self) -> Option<TestKind> {
        match self {
            Self::QuorumValue | Self::QuorumNumber => None,
            Self::Value => Some(TestKind::Value),
            Self::Number => Some(TestKind::Number),
            Self::Unanimity => Some(TestKind::Unanimity),
        }
    }
}

/// One quorum threshold and whether it was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuorumCheck {
    /// By value or by number.
    pub measure: Measure,
    /// The threshold.
    pub threshold: Threshold,
    /// Those who took part (for, against, abstain) over all eligible.
    pub share: Share,
    /// Whether the threshold is met.
    pub met: bool,
}

/// One test and whether it was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestResult {
    /// Which test.
    pub kind: TestKind,
    /// The threshold.
    pub threshold: Threshold,
    /// Of whom the share is taken.
    pub denominator: Denominator,
    /// "For" over the denominator.
    pub share: Share,
    /// Whether the threshold is met.
    pub met: bool,
}

/// The result in one group: the pool or one class.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupResult {
    /// `pool`, or the class name.
    pub name: String,
    /// The class; null for the pool.
    pub class: Option<CreditorClass>,
    /// Every eligible creditor of the group.
    pub eligible: Subtotal,
    /// Those who voted for.
    pub voted_for: Subtotal,
    /// Those who voted against.
    pub voted_against: Subtotal,
    /// Those who abstained.
    pub abstained: Subtotal,
    /// Those who did not vote.
    pub not_voted: Subtotal,
    /// Each quorum threshold of the rule (value, then number); empty without a quorum.
    pub quorum: Vec<QuorumCheck>,
    /// Whether every quorum threshold is met (true without a quorum).
    pub quorum_met: bool,
    /// Each test of the rule: value, number, unanimity (those the rule has).
    pub tests: Vec<TestResult>,
    /// Whether the quorum and every test are met.
    pub passed: bool,
}

/// Why a creditor was left out.
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
pub enum ExclusionReason {
    /// A related party of the borrower, and the rule leaves related parties out.
    RelatedParty,
    /// It declared a conflict, and the rule leaves conflicted creditors out.
    Conflicted,
}

/// A creditor left out of the tally, and the vote it cast, which was not counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Excluded {
    /// The creditor.
    pub creditor: InstitutionId,
    /// Every reason that applies, related party first.
    pub reasons: Vec<ExclusionReason>,
    /// Its vote, not counted; null if it did not vote.
    pub vote: Option<Choice>,
}

/// The result of a ballot under its rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// Whether the ballot passed: at least one group, and every group passed.
    pub passed: bool,
    /// The pool, or each class with an eligible creditor, by class name.
    pub groups: Vec<GroupResult>,
    /// Creditors left out, by id.
    pub excluded: Vec<Excluded>,
}

/// Tallies the votes cast on a ballot under `rule`. Creditors among `voters` without an entry
/// in `votes` did not vote.
///
/// # Errors
/// [`TallyError`]: an invalid rule, a vote by a creditor that is not a voter, inconsistent
/// voters, or weights too large to be summed exactly.
pub fn tally(
    rule: &Rule,
    voters: &[Voter],
    votes: &BTreeMap<InstitutionId, Choice>,
) -> Result<Outcome, TallyError> {
    Ballot::prepare(rule, voters, votes)?.outcome()
}

// ---------------------------------------------------------------------------------------------
// The engine shared by the tally, the position and `decided`: sums per group and per state, and
// the rule's conditions evaluated on them.

/// What one eligible creditor is at: its vote, or not voted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    For = 0,
    Against = 1,
    Abstain = 2,
    NotVoted = 3,
}

impl State {
    pub(super) const ALL: [Self; 4] = [Self::For, Self::Against, Self::Abstain, Self::NotVoted];

    pub(super) const fn of(choice: Option<Choice>) -> Self {
        match choice {
            Some(Choice::For) => Self::For,
            Some(Choice::Against) => Self::Against,
            Some(Choice::Abstain) => Self::Abstain,
            None => Self::NotVoted,
        }
    }

    pub(super) const fn choice(self) -> Option<Choice> {
        match self {
            Self::For => Some(Choice::For),
            Self::Against => Some(Choice::Against),
            Self::Abstain => Some(Choice::Abstain),
            Self::NotVoted => None,
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// A set of states, indexed by [`State::index`].
type States = [bool; 4];

const ONLY_FOR: States = [true, false, false, false];
const TOOK_PART: States = [true, true, true, false];
const FOR_OR_AGAINST: States = [true, true, false, false];
const EVERYONE: States = [true, true, true, true];

/// A group's weights (as integers at the common scale) and numbers per state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Sums {
    weight: [u128; 4],
    count: [u64; 4],
}

impl Sums {
    /// Moves one creditor of `weight` from one state to another.
    pub(super) const fn shifted(mut self, from: State, to: State, weight: u128) -> Self {
        // The creditor is in `from`, so these subtractions cannot underflow.
        self.weight[from.index()] -= weight;
        self.count[from.index()] -= 1;
        self.weight[to.index()] += weight;
        self.count[to.index()] += 1;
        self
    }

    /// Moves everyone in `from` to `to`.
    pub(super) const fn moved(mut self, from: State, to: State) -> Self {
        if from.index() != to.index() {
            self.weight[to.index()] += self.weight[from.index()];
            self.count[to.index()] += self.count[from.index()];
            self.weight[from.index()] = 0;
            self.count[from.index()] = 0;
        }
        self
    }

    /// The weight or number of the creditors in `states`.
    pub(super) fn total(&self, measure: Measure, states: States) -> u128 {
        State::ALL
            .into_iter()
            .filter(|state| states[state.index()])
            .map(|state| match measure {
                Measure::Value => self.weight[state.index()],
                Measure::Number => u128::from(self.count[state.index()]),
            })
            .sum()
    }

    pub(super) fn in_state(&self, measure: Measure, state: State) -> u128 {
        let mut states = [false; 4];
        states[state.index()] = true;
        self.total(measure, states)
    }
}

/// One thing a group must meet: a quorum threshold or a test, as `part / whole` against a
/// threshold, where part and whole are the totals of sets of states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Condition {
    pub(super) kind: ConditionKind,
    pub(super) threshold: Threshold,
    pub(super) denominator: Denominator,
    part: States,
    whole: States,
}

impl Condition {
    /// The rule's conditions in the order of the outcome: quorum by value, quorum by number,
    /// value test, number test, unanimity.
    pub(super) fn of(rule: &Rule) -> Vec<Self> {
        use ConditionKind as Kind;
        let quorum = |kind, threshold| Self {
            kind,
            threshold,
            denominator: Denominator::AllEligible,
            part: TOOK_PART,
            whole: EVERYONE,
        };
        let test = |kind, test: super::rule::Test| Self {
            kind,
            threshold: test.threshold,
            denominator: test.denominator,
            part: ONLY_FOR,
            whole: match test.denominator {
                Denominator::AllEligible => EVERYONE,
                Denominator::Voting => TOOK_PART,
                Denominator::VotingExcludingAbstentions => FOR_OR_AGAINST,
            },
        };
        let unanimity = Self {
            kind: Kind::Unanimity,
            threshold: Threshold::at_least(Fraction::ONE),
            denominator: Denominator::AllEligible,
            part: ONLY_FOR,
            whole: EVERYONE,
        };
        let mut conditions = Vec::with_capacity(5);
        conditions.extend(rule.quorum.value.map(|t| quorum(Kind::QuorumValue, t)));
        conditions.extend(rule.quorum.number.map(|t| quorum(Kind::QuorumNumber, t)));
        conditions.extend(rule.value.map(|t| test(Kind::Value, t)));
        conditions.extend(rule.number.map(|t| test(Kind::Number, t)));
        if rule.unanimity {
            conditions.push(unanimity);
        }
        conditions
    }

    pub(super) const fn measure(&self) -> Measure {
        self.kind.measure()
    }

    /// `(part, whole)` on these sums.
    pub(super) fn part_whole(&self, sums: &Sums) -> (u128, u128) {
        (
            sums.total(self.measure(), self.part),
            sums.total(self.measure(), self.whole),
        )
    }

    pub(super) fn met(&self, sums: &Sums) -> bool {
        let (part, whole) = self.part_whole(sums);
        self.threshold.met_by(part, whole)
    }

    /// Whether the creditors who have not voted count in the whole already (a denominator of
    /// all eligible creditors), so that their voting for adds to the part only.
    pub(super) const fn not_voted_in_whole(&self) -> bool {
        self.whole[State::NotVoted.index()]
    }
}

/// One eligible creditor's weight in one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Member {
    pub(super) creditor: usize,
    pub(super) weight: u128,
}

/// The pool or one class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Group {
    pub(super) class: Option<CreditorClass>,
    pub(super) members: Vec<Member>,
    pub(super) sums: Sums,
}

impl Group {
    pub(super) fn name(&self) -> String {
        self.class
            .as_ref()
            .map_or_else(|| "pool".to_owned(), |class| class.as_str().to_owned())
    }
}

/// One voter row, compact: the creditor's UUID as a number, the class's number (in name order)
/// and the weight as an integer at the common scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    creditor: u128,
    class: usize,
    weight: u128,
    related_party: bool,
    conflicted: bool,
}

/// An eligible creditor and its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Participant {
    pub(super) creditor: InstitutionId,
    pub(super) state: State,
}

/// A ballot checked and summed, ready to be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Ballot {
    pub(super) scale: u32,
    pub(super) conditions: Vec<Condition>,
    pub(super) participants: Vec<Participant>,
    pub(super) groups: Vec<Group>,
    pub(super) excluded: Vec<Excluded>,
}

impl Ballot {
    pub(super) fn prepare(
        rule: &Rule,
        voters: &[Voter],
        votes: &BTreeMap<InstitutionId, Choice>,
    ) -> Result<Self, TallyError> {
        rule.validate()?;
        let mut scale = 0;
        let mut classes: BTreeMap<&CreditorClass, usize> = BTreeMap::new();
        for voter in voters {
            if voter.weight.is_sign_negative() && !voter.weight.is_zero() {
                return Err(TallyError::NegativeWeight {
                    creditor: voter.creditor,
                    class: voter.class.clone(),
                });
            }
            scale = scale.max(voter.weight.scale());
            classes.entry(&voter.class).or_default();
        }
        // Classes numbered in name order, so that ordering by number orders by name.
        let class_names: Vec<&CreditorClass> = classes.keys().copied().collect();
        for (number, slot) in classes.values_mut().enumerate() {
            *slot = number;
        }
        let overflow = TallyError::Overflow { scale };
        // Compact rows read in the order given, then sorted by creditor and class: on a large
        // ballot this is several times faster than sorting the voters themselves, whose fields
        // would then be read in random order. A UUID as a number orders as the UUID does.
        let mut rows = voters
            .iter()
            .map(|voter| {
                Ok(Row {
                    creditor: voter.creditor.as_uuid().as_u128(),
                    class: classes[&voter.class],
                    weight: scaled(voter.weight, scale).ok_or_else(|| overflow.clone())?,
                    related_party: voter.related_party,
                    conflicted: voter.conflicted,
                })
            })
            .collect::<Result<Vec<Row>, TallyError>>()?;
        rows.sort_unstable_by_key(|row| (row.creditor, row.class));

        let mut votes_left = votes.iter().peekable();
        let mut participants = Vec::new();
        let mut excluded = Vec::new();
        let mut by_class: Vec<Vec<Member>> = vec![Vec::new(); class_names.len()];
        let mut pool = Vec::new();
        for rows in rows.chunk_by(|a, b| a.creditor == b.creditor) {
            let first = rows[0];
            let creditor = InstitutionId::from_uuid(Uuid::from_u128(first.creditor));
            for pair in rows.windows(2) {
                if pair[0].class == pair[1].class {
                    return Err(TallyError::DuplicateVoter {
                        creditor,
                        class: class_names[pair[0].class].clone(),
                    });
                }
                if (pair[0].related_party, pair[0].conflicted)
                    != (pair[1].related_party, pair[1].conflicted)
                {
                    return Err(TallyError::InconsistentFlags { creditor });
                }
            }
            let mut vote = None;
            while let Some(&(&voted, &choice)) = votes_left.peek() {
                if voted > creditor {
                    break;
                }
                if voted < creditor {
                    return Err(TallyError::NotEligible { creditor: voted });
                }
                vote = Some(choice);
                votes_left.next();
            }
            let mut reasons = Vec::new();
            if rule.exclusions.related_parties && first.related_party {
                reasons.push(ExclusionReason::RelatedParty);
            }
            if rule.exclusions.conflicted && first.conflicted {
                reasons.push(ExclusionReason::Conflicted);
            }
            if !reasons.is_empty() {
                excluded.push(Excluded {
                    creditor,
                    reasons,
                    vote,
                });
                continue;
            }
            let index = participants.len();
            participants.push(Participant {
                creditor,
                state: State::of(vote),
            });
            match rule.grouping {
                Grouping::Pool => {
                    let mut summed: u128 = 0;
                    for row in rows {
                        summed = summed
                            .checked_add(row.weight)
                            .ok_or_else(|| overflow.clone())?;
                    }
                    pool.push(Member {
                        creditor: index,
                        weight: summed,
                    });
                }
                Grouping::ByClass => {
                    for row in rows {
                        by_class[row.class].push(Member {
                            creditor: index,
                            weight: row.weight,
                        });
                    }
                }
            }
        }
        if let Some((&creditor, _)) = votes_left.next() {
            return Err(TallyError::NotEligible { creditor });
        }

        let mut groups = Vec::new();
        match rule.grouping {
            Grouping::Pool => groups.push((None, pool)),
            Grouping::ByClass => groups.extend(
                class_names
                    .into_iter()
                    .zip(by_class)
                    .filter(|(_, members)| !members.is_empty())
                    .map(|(class, members)| (Some(class.clone()), members)),
            ),
        }
        let groups = groups
            .into_iter()
            .map(|(class, members)| {
                let mut sums = Sums::default();
                let mut total: u128 = 0;
                for member in &members {
                    total = total
                        .checked_add(member.weight)
                        .filter(|total| *total <= MAX_MANTISSA)
                        .ok_or_else(|| overflow.clone())?;
                    let state = participants[member.creditor].state.index();
                    sums.weight[state] += member.weight;
                    sums.count[state] += 1;
                }
                Ok(Group {
                    class,
                    members,
                    sums,
                })
            })
            .collect::<Result<Vec<_>, TallyError>>()?;
        Ok(Self {
            scale,
            conditions: Condition::of(rule),
            participants,
            groups,
            excluded,
        })
    }

    /// Whether a group with these sums passes.
    pub(super) fn passes(&self, sums: &Sums) -> bool {
        self.conditions.iter().all(|condition| condition.met(sums))
    }

    /// Whether the ballot passes when each group has the sums `sums_of` gives it.
    pub(super) fn passes_with(&self, sums_of: impl Fn(&Group) -> Sums) -> bool {
        !self.groups.is_empty() && self.groups.iter().all(|group| self.passes(&sums_of(group)))
    }

    /// The outcome with the votes as they stand.
    pub(super) fn outcome(&self) -> Result<Outcome, TallyError> {
        let groups = self
            .groups
            .iter()
            .map(|group| self.group_result(group))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Outcome {
            passed: !groups.is_empty() && groups.iter().all(|group| group.passed),
            groups,
            excluded: self.excluded.clone(),
        })
    }

    fn group_result(&self, group: &Group) -> Result<GroupResult, TallyError> {
        let sums = &group.sums;
        let subtotal = |states: States| -> Result<Subtotal, TallyError> {
            Ok(Subtotal {
                weight: self.decimal(sums.total(Measure::Value, states))?,
                count: u64::try_from(sums.total(Measure::Number, states))
                    .map_err(|_| TallyError::Overflow { scale: self.scale })?,
            })
        };
        let only = |state: State| {
            let mut states = [false; 4];
            states[state.index()] = true;
            subtotal(states)
        };
        let voted_for = only(State::For)?;
        let voted_against = only(State::Against)?;
        let abstained = only(State::Abstain)?;
        let not_voted = only(State::NotVoted)?;
        let mut quorum = Vec::new();
        let mut tests = Vec::new();
        for condition in &self.conditions {
            let (part, whole) = condition.part_whole(sums);
            let share = self.share(condition.measure(), part, whole)?;
            let met = condition.threshold.met_by(part, whole);
            match condition.kind.test_kind() {
                None => quorum.push(QuorumCheck {
                    measure: condition.measure(),
                    threshold: condition.threshold,
                    share,
                    met,
                }),
                Some(kind) => tests.push(TestResult {
                    kind,
                    threshold: condition.threshold,
                    denominator: condition.denominator,
                    share,
                    met,
                }),
            }
        }
        let quorum_met = quorum.iter().all(|check| check.met);
        let passed = quorum_met && tests.iter().all(|test| test.met);
        Ok(GroupResult {
            name: group.name(),
            class: group.class.clone(),
            eligible: subtotal(EVERYONE)?,
            voted_for,
            voted_against,
            abstained,
            not_voted,
            quorum,
            quorum_met,
            tests,
            passed,
        })
    }

    /// A weight (an integer at the common scale) or a number as a decimal.
    pub(super) fn amount(&self, measure: Measure, amount: u128) -> Result<Decimal, TallyError> {
        match measure {
            Measure::Value => self.decimal(amount),
            Measure::Number => {
                to_decimal(amount, 0).ok_or(TallyError::Overflow { scale: self.scale })
            }
        }
    }

    fn decimal(&self, weight: u128) -> Result<Decimal, TallyError> {
        to_decimal(weight, self.scale).ok_or(TallyError::Overflow { scale: self.scale })
    }

    fn share(&self, measure: Measure, part: u128, whole: u128) -> Result<Share, TallyError> {
        Ok(Share {
            numerator: self.amount(measure, part)?,
            denominator: self.amount(measure, whole)?,
            rounded: rounded_share(part, whole),
        })
    }
}

/// A non-negative weight as an integer at `scale` (at least its own), or `None` if that does
/// not fit.
fn scaled(weight: Decimal, scale: u32) -> Option<u128> {
    let mantissa = weight.mantissa().unsigned_abs();
    let factor = 10_u128.checked_pow(scale.checked_sub(weight.scale())?)?;
    mantissa
        .checked_mul(factor)
        .filter(|scaled| *scaled <= MAX_MANTISSA)
}

fn to_decimal(amount: u128, scale: u32) -> Option<Decimal> {
    let amount = i128::try_from(amount).ok()?;
    Decimal::try_from_i128_with_scale(amount, scale).ok()
}

/// `part / whole` for `part <= whole < 2^96`, rounded half up to [`SHARE_DECIMAL_PLACES`]
/// places by long division (one rounding, of the exact quotient); `None` for a whole of 0.
fn rounded_share(part: u128, whole: u128) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let mut quotient = part / whole;
    let mut remainder = part % whole;
    for _ in 0..SHARE_DECIMAL_PLACES {
        // remainder < whole < 2^96, so ten times it fits.
        remainder *= 10;
        quotient = quotient * 10 + remainder / whole;
        remainder %= whole;
    }
    if remainder * 2 >= whole {
        quotient += 1;
    }
    to_decimal(quotient, SHARE_DECIMAL_PLACES)
}

impl Fraction {
    /// The fraction as a decimal rounded to [`SHARE_DECIMAL_PLACES`] places, for reading.
    #[must_use]
    pub fn rounded(&self) -> Option<Decimal> {
        rounded_share(u128::from(self.numerator), u128::from(self.denominator))
    }
}
