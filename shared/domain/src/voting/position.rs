//! The live position of an open ballot: what each group still needs, which creditors are
//! pivotal, and whether the outcome is already decided whatever the others do.
//!
//! Rules:
//! - "Still needed" is, for a test, the least weight (value) or number of creditors who have not
//!   voted yet that, voting for, would meet it with the votes cast as they stand; for a quorum,
//!   the least weight or number that would meet it by taking part. It is 0 when the condition is
//!   met, and null when no amount of new votes could meet it (`at least 1/1` of those voting once
//!   someone voted against; a group whose eligible weight is 0). It may be more than those who
//!   have not voted hold (unanimity after a vote against needs more votes for than are left):
//!   `within_reach` says whether those who have not voted hold that much. Weights are counted in
//!   the smallest place of the voters' weights, so "more than 200" needs `200.01` at two places.
//! - A creditor is **pivotal** when its vote alone changes the ballot's outcome: casting a vote
//!   (if it has not voted) or changing it to another choice, every other vote as it stands. The
//!   choices that would do so are listed. Excluded creditors are never pivotal.
//! - [`decided`] is exact: `Some(result)` exactly when every way the creditors who have not voted
//!   may still vote (for, against, abstain, or not at all) gives the same result, cast votes taken
//!   as they stand. It rests on two facts about every condition (a quorum threshold or a test):
//!   - a vote "for" is at least as good for it as any other state, for every creditor (it adds
//!     the most to the part and, where it adds to the whole, adds as much to the part), so the
//!     ballot can still pass iff it passes with every creditor who has not voted voting for;
//!   - a condition is met iff its whole is above 0 and `d·part − n·whole` is at or above 0 (for
//!     `at least n/d`; above 0 for `more than`). That margin is a sum over creditors of
//!     `weight × c(state)`, where `c` is `d − n`, `−n` or 0 depending only on whether the state
//!     counts in the part and in the whole, the same for every creditor. So the lowest margin is
//!     reached by all creditors who have not voted taking one same state, and so is the smallest
//!     whole (all not voting). The ballot can still fail iff some condition of some group fails
//!     with every creditor who has not voted in one same state, trying each of the four.
//!
//!   It is checked against brute force over all completions in the tests.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::rule::{Comparison, Rule};
use super::tally::{
    Ballot, Condition, ConditionKind, Group, MAX_MANTISSA, Outcome, State, TallyError,
};
use super::{Choice, Voter};
use crate::facility::CreditorClass;
use crate::ids::InstitutionId;

/// What one condition of one group still needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Need {
    /// Which condition.
    pub condition: ConditionKind,
    /// Whether it is met with the votes as they stand.
    pub met: bool,
    /// The least weight (value) or number of creditors who have not voted that, voting for (for
    /// a quorum: taking part), would meet it; 0 when met; null when no amount can.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>, example = "150000.01")]
    pub still_needed: Option<Decimal>,
    /// The weight or number of the group's creditors who have not voted.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "400000.00")]
    pub not_voted: Decimal,
    /// Whether `still_needed` is at most `not_voted`.
    pub within_reach: bool,
}

/// What one group still needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPosition {
    /// `pool`, or the class name.
    pub name: String,
    /// The class; null for the pool.
    pub class: Option<CreditorClass>,
    /// Each condition of the rule, in the order quorum value, quorum number, value, number,
    /// unanimity.
    pub needs: Vec<Need>,
}

/// A creditor whose vote alone would change the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pivotal {
    /// The creditor.
    pub creditor: InstitutionId,
    /// Its vote as it stands; null if it has not voted.
    pub current: Option<Choice>,
    /// The choices that, cast by it alone, would change the outcome.
    pub changes_with: Vec<Choice>,
}

/// The position of an open ballot for its coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// The outcome if the ballot closed now.
    pub outcome: Outcome,
    /// `Some(result)` when the result can no longer change, whatever the creditors who have not
    /// voted do.
    pub decided: Option<bool>,
    /// What each group still needs, in the order of `outcome.groups`.
    pub groups: Vec<GroupPosition>,
    /// The pivotal creditors, by id.
    pub pivotal: Vec<Pivotal>,
}

/// The position of a ballot with the votes cast so far.
///
/// # Errors
/// As [`tally`](super::tally()).
pub fn position(
    rule: &Rule,
    voters: &[Voter],
    votes: &BTreeMap<InstitutionId, Choice>,
) -> Result<Position, TallyError> {
    let ballot = Ballot::prepare(rule, voters, votes)?;
    let outcome = ballot.outcome()?;
    let groups = ballot
        .groups
        .iter()
        .map(|group| group_position(&ballot, group))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Position {
        pivotal: pivotal(&ballot, outcome.passed),
        decided: decided_in(&ballot),
        outcome,
        groups,
    })
}

/// `Some(result)` when the outcome can no longer change whatever the creditors who have not
/// voted do (vote for, against, abstain, or not at all); `None` while it can. Exact: see the
/// module documentation.
///
/// # Errors
/// As [`tally`](super::tally()).
pub fn decided(
    rule: &Rule,
    voters: &[Voter],
    votes: &BTreeMap<InstitutionId, Choice>,
) -> Result<Option<bool>, TallyError> {
    Ok(decided_in(&Ballot::prepare(rule, voters, votes)?))
}

fn decided_in(ballot: &Ballot) -> Option<bool> {
    let can_pass = ballot.passes_with(|group| group.sums.moved(State::NotVoted, State::For));
    if !can_pass {
        return Some(false);
    }
    let can_fail = ballot.groups.iter().any(|group| {
        ballot.conditions.iter().any(|condition| {
            State::ALL
                .into_iter()
                .any(|state| !condition.met(&group.sums.moved(State::NotVoted, state)))
        })
    });
    if can_fail { None } else { Some(true) }
}

fn group_position(ballot: &Ballot, group: &Group) -> Result<GroupPosition, TallyError> {
    let needs = ballot
        .conditions
        .iter()
        .map(|condition| {
            let measure = condition.measure();
            let available = group.sums.in_state(measure, State::NotVoted);
            let needed = still_needed(condition, group);
            Ok(Need {
                condition: condition.kind,
                met: condition.met(&group.sums),
                still_needed: needed.map(|w| ballot.amount(measure, w)).transpose()?,
                not_voted: ballot.amount(measure, available)?,
                within_reach: needed.is_some_and(|needed| needed <= available),
            })
        })
        .collect::<Result<Vec<_>, TallyError>>()?;
    Ok(GroupPosition {
        name: group.name(),
        class: group.class.clone(),
        needs,
    })
}

/// The least `w` (in units of the measure) such that the condition is met when `w` more of
/// those who have not voted vote for (which adds `w` to the part, and to the whole unless they
/// are in it already); `None` if no `w` does, or if it would not fit a decimal.
fn still_needed(condition: &Condition, group: &Group) -> Option<u128> {
    let (part, whole) = condition.part_whole(&group.sums);
    if condition.threshold.met_by(part, whole) {
        return Some(0);
    }
    let n = u128::from(condition.threshold.share.numerator);
    let d = u128::from(condition.threshold.share.denominator);
    let adds_to_whole = !condition.not_voted_in_whole();
    // Met iff whole + δw > 0 and (part + w)·d ⋈ n·(whole + δw), i.e. w·k ⋈ n·whole − d·part
    // with k = d − δn >= 0. Both products are below 2^128 (sums below 2^96, parts below 2^32).
    let k = if adds_to_whole { d - n } else { d };
    let have = part * d;
    let want = n * whole;
    let comparison = condition.threshold.comparison;
    let mut needed = if k == 0 {
        // `at least 1/1` of those voting: only a vote against can be in the way, and no vote
        // for removes it.
        if have >= want { 0 } else { return None }
    } else if want > have {
        let gap = want - have;
        match comparison {
            Comparison::AtLeast => gap.div_ceil(k),
            Comparison::MoreThan => gap / k + 1,
        }
    } else if comparison == Comparison::MoreThan && want == have {
        1
    } else {
        0
    };
    if whole == 0 {
        if !adds_to_whole {
            // Nobody of any weight in the group: nothing can meet it.
            return None;
        }
        needed = needed.max(1);
    }
    Some(needed).filter(|needed| *needed <= MAX_MANTISSA)
}

/// The creditors whose vote alone changes the outcome, by id.
fn pivotal(ballot: &Ballot, passed: bool) -> Vec<Pivotal> {
    let mut memberships: Vec<Vec<(usize, u128)>> = vec![Vec::new(); ballot.participants.len()];
    for (index, group) in ballot.groups.iter().enumerate() {
        for member in &group.members {
            memberships[member.creditor].push((index, member.weight));
        }
    }
    let group_passes: Vec<bool> = ballot
        .groups
        .iter()
        .map(|group| ballot.passes(&group.sums))
        .collect();
    let failing = group_passes.iter().filter(|passes| !**passes).count();
    let mut pivotal = Vec::new();
    for (participant, groups) in ballot.participants.iter().zip(&memberships) {
        let changes_with: Vec<Choice> = Choice::ALL
            .into_iter()
            .filter(|choice| State::of(Some(*choice)) != participant.state)
            .filter(|choice| {
                let to = State::of(Some(*choice));
                let mut now_failing = failing;
                for &(index, weight) in groups {
                    let sums = ballot.groups[index]
                        .sums
                        .shifted(participant.state, to, weight);
                    match (group_passes[index], ballot.passes(&sums)) {
                        (true, false) => now_failing += 1,
                        (false, true) => now_failing -= 1,
                        _ => {}
                    }
                }
                let passes = !ballot.groups.is_empty() && now_failing == 0;
                passes != passed
            })
            .collect();
        if !changes_with.is_empty() {
            pivotal.push(Pivotal {
                creditor: participant.creditor,
                current: participant.state.choice(),
                changes_with,
            });
        }
    }
    pivotal
}
