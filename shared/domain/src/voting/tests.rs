//! Tests of the voting engine: every preset on hand-checked ballots, the voters' checks, and
//! properties against an independent reference tally and brute force.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::*;
use crate::facility::CreditorClass;
use crate::ids::InstitutionId;

// ---------------------------------------------------------------------------------------------
// Helpers

fn creditor(n: u128) -> InstitutionId {
    InstitutionId::from_uuid(Uuid::from_u128(n))
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

fn voter(n: u128, class: &str, weight: &str) -> Voter {
    Voter {
        creditor: creditor(n),
        class: CreditorClass::parse(class).unwrap(),
        weight: dec(weight),
        related_party: false,
        conflicted: false,
    }
}

fn votes(list: &[(u128, Choice)]) -> BTreeMap<InstitutionId, Choice> {
    list.iter()
        .map(|&(n, choice)| (creditor(n), choice))
        .collect()
}

use Choice::{Abstain, Against, For};

fn test_of(outcome: &Outcome, group: usize, kind: TestKind) -> TestResult {
    *outcome.groups[group]
        .tests
        .iter()
        .find(|test| test.kind == kind)
        .unwrap()
}

fn share(numerator: &str, denominator: &str, rounded: Option<&str>) -> Share {
    Share {
        numerator: dec(numerator),
        denominator: dec(denominator),
        rounded: rounded.map(dec),
    }
}

fn custom(value: Option<Test>, number: Option<Test>) -> Rule {
    Rule {
        value,
        number,
        quorum: Quorum::default(),
        grouping: Grouping::Pool,
        exclusions: Exclusions::BOTH,
        unanimity: false,
    }
}

fn test(threshold: Threshold, denominator: Denominator) -> Option<Test> {
    Some(Test {
        threshold,
        denominator,
    })
}

// ---------------------------------------------------------------------------------------------
// Presets on hand-checked ballots

#[test]
fn exactly_two_thirds_fails_more_than_two_thirds_and_passes_at_least_two_thirds() {
    // 100 + 100 for, 100 against: exactly 2/3 of the value, of those voting and of all.
    let voters = [
        voter(1, "secured", "100"),
        voter(2, "secured", "100"),
        voter(3, "secured", "100"),
    ];
    let cast = votes(&[(1, For), (2, For), (3, Against)]);

    let lenders = tally(&Preset::MajorityLenders.rule(), &voters, &cast).unwrap();
    assert!(!lenders.passed, "more than 2/3 is not met by exactly 2/3");
    let value = test_of(&lenders, 0, TestKind::Value);
    assert_eq!(value.share, share("200", "300", Some("0.6666666667")));
    assert!(!value.met);

    let chapter11 = tally(&Preset::Chapter11Class.rule(), &voters, &cast).unwrap();
    assert!(chapter11.passed, "at least 2/3 is met by exactly 2/3");
    assert!(test_of(&chapter11, 0, TestKind::Value).met);
    let number = test_of(&chapter11, 0, TestKind::Number);
    assert_eq!(number.share, share("2", "3", Some("0.6666666667")));
    assert!(number.met);

    // One unit less for falls below 2/3 under both.
    let voters = [
        voter(1, "secured", "100"),
        voter(2, "secured", "99.99"),
        voter(3, "secured", "100"),
    ];
    let chapter11 = tally(&Preset::Chapter11Class.rule(), &voters, &cast).unwrap();
    assert!(!chapter11.passed);
    assert_eq!(
        test_of(&chapter11, 0, TestKind::Value).share,
        share("199.99", "299.99", Some("0.6666555552"))
    );
}

#[test]
fn exactly_three_quarters_passes_a_scheme_and_a_hair_less_does_not() {
    let cast = votes(&[(1, For), (2, For), (3, Against)]);
    let at = [
        voter(1, "unsecured", "150"),
        voter(2, "unsecured", "150"),
        voter(3, "unsecured", "100"),
    ];
    let outcome = tally(&Preset::SchemeOfArrangement.rule(), &at, &cast).unwrap();
    assert!(outcome.passed);
    assert_eq!(
        test_of(&outcome, 0, TestKind::Value).share,
        share("300", "400", Some("0.75"))
    );

    let below = [
        voter(1, "unsecured", "150"),
        voter(2, "unsecured", "150"),
        voter(3, "unsecured", "100.01"),
    ];
    let outcome = tally(&Preset::SchemeOfArrangement.rule(), &below, &cast).unwrap();
    assert!(!outcome.passed);
    assert!(!test_of(&outcome, 0, TestKind::Value).met);
    assert!(test_of(&outcome, 0, TestKind::Number).met);
}

#[test]
fn a_tie_in_number_is_not_a_majority_in_number() {
    // 5/6 of the value is for, but one creditor for and one against is not more than half.
    let voters = [voter(1, "secured", "500"), voter(2, "secured", "100")];
    let cast = votes(&[(1, For), (2, Against)]);
    for preset in [Preset::SchemeOfArrangement, Preset::Chapter11Class] {
        let outcome = tally(&preset.rule(), &voters, &cast).unwrap();
        assert!(!outcome.passed, "{preset}");
        assert!(test_of(&outcome, 0, TestKind::Value).met, "{preset}");
        let number = test_of(&outcome, 0, TestKind::Number);
        assert_eq!(number.share, share("1", "2", Some("0.5")), "{preset}");
        assert!(!number.met, "{preset}");
    }
    // Simple majority by value looks at value only.
    let simple = tally(&Preset::SimpleMajorityByValue.rule(), &voters, &cast).unwrap();
    assert!(simple.passed);
}

#[test]
fn abstentions_count_under_each_denominator_as_the_rule_says() {
    // 60 for, 40 against, 50 abstain, 50 did not vote: 200 eligible.
    let voters = [
        voter(1, "secured", "60"),
        voter(2, "secured", "40"),
        voter(3, "secured", "50"),
        voter(4, "secured", "50"),
    ];
    let cast = votes(&[(1, For), (2, Against), (3, Abstain)]);
    let cases = [
        (Denominator::AllEligible, share("60", "200", Some("0.3"))),
        (Denominator::Voting, share("60", "150", Some("0.4"))),
        (
            Denominator::VotingExcludingAbstentions,
            share("60", "100", Some("0.6")),
        ),
    ];
    for (denominator, expected) in cases {
        let majority = custom(
            test(Threshold::more_than(Fraction::HALF), denominator),
            None,
        );
        let outcome = tally(&majority, &voters, &cast).unwrap();
        let value = test_of(&outcome, 0, TestKind::Value);
        assert_eq!(value.share, expected, "{denominator:?}");
        assert_eq!(
            outcome.passed,
            denominator == Denominator::VotingExcludingAbstentions,
            "{denominator:?}"
        );
        // Exactly 2/5 of those voting (abstentions counted) meets "at least 2/5".
        let two_fifths = custom(
            test(
                Threshold::at_least(Fraction::new(2, 5).unwrap()),
                denominator,
            ),
            None,
        );
        assert_eq!(
            tally(&two_fifths, &voters, &cast).unwrap().passed,
            denominator != Denominator::AllEligible,
            "{denominator:?}"
        );
    }
    // The simple majority preset leaves abstentions out: 60 of 100.
    let simple = tally(&Preset::SimpleMajorityByValue.rule(), &voters, &cast).unwrap();
    assert!(simple.passed);
    let group = &simple.groups[0];
    assert_eq!(
        (
            group.voted_for,
            group.voted_against,
            group.abstained,
            group.not_voted
        ),
        (
            Subtotal {
                weight: dec("60"),
                count: 1
            },
            Subtotal {
                weight: dec("40"),
                count: 1
            },
            Subtotal {
                weight: dec("50"),
                count: 1
            },
            Subtotal {
                weight: dec("50"),
                count: 1
            },
        )
    );
    assert_eq!(
        group.eligible,
        Subtotal {
            weight: dec("200"),
            count: 4
        }
    );
    // By number, abstentions likewise.
    let by_number = custom(
        None,
        test(Threshold::more_than(Fraction::HALF), Denominator::Voting),
    );
    let outcome = tally(&by_number, &voters, &cast).unwrap();
    assert_eq!(
        test_of(&outcome, 0, TestKind::Number).share,
        share("1", "3", Some("0.3333333333"))
    );
    assert!(!outcome.passed);
}

#[test]
fn a_failed_quorum_fails_the_ballot_even_when_every_vote_is_for() {
    let voters = [
        voter(1, "secured", "30"),
        voter(2, "secured", "70"),
        voter(3, "secured", "0"),
    ];
    let cast = votes(&[(1, For), (3, For)]);
    let mut rule = Preset::SimpleMajorityByValue.rule();
    rule.quorum.value = Some(Threshold::at_least(Fraction::HALF));
    let outcome = tally(&rule, &voters, &cast).unwrap();
    assert!(!outcome.passed);
    let group = &outcome.groups[0];
    assert!(test_of(&outcome, 0, TestKind::Value).met);
    assert!(!group.quorum_met);
    assert_eq!(
        group.quorum,
        vec![QuorumCheck {
            measure: Measure::Value,
            threshold: Threshold::at_least(Fraction::HALF),
            share: share("30", "100", Some("0.3")),
            met: false,
        }]
    );
    // By number two of three took part: a quorum of at least 2/3 by number alone is met.
    rule.quorum = Quorum {
        value: None,
        number: Some(Threshold::at_least(Fraction::TWO_THIRDS)),
    };
    let outcome = tally(&rule, &voters, &cast).unwrap();
    assert!(outcome.passed);
    assert!(outcome.groups[0].quorum_met);
}

#[test]
fn a_class_that_fails_fails_a_class_by_class_ballot_that_the_pool_would_pass() {
    let voters = [
        voter(1, "secured", "100"),
        voter(2, "secured", "100"),
        voter(3, "unsecured", "30"),
        voter(4, "unsecured", "70"),
    ];
    let cast = votes(&[(1, For), (2, For), (3, For), (4, Against)]);
    let by_class = tally(&Preset::Chapter11Class.rule(), &voters, &cast).unwrap();
    assert!(!by_class.passed);
    let names: Vec<(&str, bool)> = by_class
        .groups
        .iter()
        .map(|group| (group.name.as_str(), group.passed))
        .collect();
    assert_eq!(names, [("secured", true), ("unsecured", false)]);
    assert_eq!(
        test_of(&by_class, 1, TestKind::Value).share,
        share("30", "100", Some("0.3"))
    );

    let pool = Rule {
        grouping: Grouping::Pool,
        ..Preset::Chapter11Class.rule()
    };
    let pooled = tally(&pool, &voters, &cast).unwrap();
    assert!(pooled.passed, "230 of 300 and 3 of 4 pass in one pool");
    assert_eq!(pooled.groups.len(), 1);
    assert_eq!(pooled.groups[0].name, "pool");
    assert_eq!(pooled.groups[0].class, None);
}

#[test]
fn a_related_party_is_left_out_and_its_vote_listed() {
    let mut related = voter(2, "secured", "100");
    related.related_party = true;
    let voters = [
        voter(1, "secured", "100"),
        related,
        voter(3, "secured", "50"),
    ];
    let cast = votes(&[(1, For), (2, Against), (3, For)]);

    let outcome = tally(&Preset::MajorityLenders.rule(), &voters, &cast).unwrap();
    assert!(
        outcome.passed,
        "150 of 150 once the related party is left out"
    );
    assert_eq!(
        outcome.excluded,
        vec![Excluded {
            creditor: creditor(2),
            reasons: vec![ExclusionReason::RelatedParty],
            vote: Some(Against),
        }]
    );
    assert_eq!(
        outcome.groups[0].eligible,
        Subtotal {
            weight: dec("150"),
            count: 2
        }
    );

    let counted = Rule {
        exclusions: Exclusions {
            related_parties: false,
            conflicted: true,
        },
        ..Preset::MajorityLenders.rule()
    };
    let outcome = tally(&counted, &voters, &cast).unwrap();
    assert!(!outcome.passed, "150 of 250 when it counts");
    assert!(outcome.excluded.is_empty());
}

#[test]
fn a_conflicted_creditor_is_left_out_and_its_vote_listed() {
    let mut conflicted = voter(3, "unsecured", "500");
    conflicted.conflicted = true;
    conflicted.related_party = true;
    let voters = [
        voter(1, "unsecured", "100"),
        voter(2, "unsecured", "100"),
        conflicted,
    ];
    let cast = votes(&[(1, For), (2, For)]);
    let outcome = tally(&Preset::Unanimity.rule(), &voters, &cast).unwrap();
    assert!(
        outcome.passed,
        "the conflicted creditor's missing vote does not count"
    );
    assert_eq!(
        outcome.excluded,
        vec![Excluded {
            creditor: creditor(3),
            reasons: vec![ExclusionReason::RelatedParty, ExclusionReason::Conflicted],
            vote: None,
        }]
    );
    let only_conflicts = Rule {
        exclusions: Exclusions {
            related_parties: false,
            conflicted: true,
        },
        ..Preset::Unanimity.rule()
    };
    let outcome = tally(&only_conflicts, &voters, &cast).unwrap();
    assert_eq!(outcome.excluded[0].reasons, [ExclusionReason::Conflicted]);
}

#[test]
fn unanimity_fails_on_one_abstention_or_one_missing_vote() {
    let voters = [
        voter(1, "secured", "100"),
        voter(2, "secured", "100"),
        voter(3, "unsecured", "1"),
    ];
    let rule = Preset::Unanimity.rule();
    let all_for = tally(&rule, &voters, &votes(&[(1, For), (2, For), (3, For)])).unwrap();
    assert!(all_for.passed);
    let abstained = tally(&rule, &voters, &votes(&[(1, For), (2, For), (3, Abstain)])).unwrap();
    assert!(!abstained.passed);
    let unanimity = test_of(&abstained, 0, TestKind::Unanimity);
    assert_eq!(unanimity.threshold, Threshold::at_least(Fraction::ONE));
    assert_eq!(unanimity.denominator, Denominator::AllEligible);
    assert_eq!(unanimity.share, share("2", "3", Some("0.6666666667")));
    let missing = tally(&rule, &voters, &votes(&[(1, For), (2, For)])).unwrap();
    assert!(!missing.passed);
}

#[test]
fn a_creditor_in_two_classes_counts_once_in_the_pool_and_once_in_each_class() {
    let voters = [
        voter(1, "secured", "100"),
        voter(1, "unsecured", "50"),
        voter(2, "unsecured", "60"),
    ];
    let cast = votes(&[(1, For), (2, Against)]);
    let pool = tally(&Preset::SimpleMajorityByValue.rule(), &voters, &cast).unwrap();
    assert_eq!(
        pool.groups[0].voted_for,
        Subtotal {
            weight: dec("150"),
            count: 1
        }
    );
    assert_eq!(
        pool.groups[0].eligible,
        Subtotal {
            weight: dec("210"),
            count: 2
        }
    );
    assert!(pool.passed);

    let by_class = tally(&Preset::Chapter11Class.rule(), &voters, &cast).unwrap();
    assert_eq!(
        by_class.groups[0].eligible,
        Subtotal {
            weight: dec("100"),
            count: 1
        }
    );
    assert_eq!(
        by_class.groups[1].voted_for,
        Subtotal {
            weight: dec("50"),
            count: 1
        }
    );
    assert_eq!(
        by_class.groups[1].eligible,
        Subtotal {
            weight: dec("110"),
            count: 2
        }
    );
    assert!(!by_class.passed, "50 of 110 and 1 of 2 in unsecured");
}

#[test]
fn subtotals_are_exact_at_the_largest_scale_and_an_empty_denominator_is_not_met() {
    let voters = [
        voter(1, "secured", "0.1"),
        voter(2, "secured", "0.0000000002"),
        voter(3, "unsecured", "0"),
    ];
    let cast = votes(&[(1, For), (2, For), (3, For)]);
    let outcome = tally(&Preset::Chapter11Class.rule(), &voters, &cast).unwrap();
    assert_eq!(
        outcome.groups[0].voted_for.weight.to_string(),
        "0.1000000002"
    );
    // The unsecured class has one eligible creditor of weight 0: no value to take a share of.
    let value = test_of(&outcome, 1, TestKind::Value);
    assert_eq!(value.share, share("0", "0", None));
    assert!(!value.met);
    assert!(!outcome.passed);
}

#[test]
fn no_eligible_creditor_means_no_group_and_no_pass() {
    let mut related = voter(1, "secured", "100");
    related.related_party = true;
    for preset in Preset::ALL {
        let outcome = tally(&preset.rule(), &[related.clone()], &votes(&[(1, For)])).unwrap();
        assert!(!outcome.passed, "{preset}");
        if preset.rule().grouping == Grouping::ByClass {
            assert!(outcome.groups.is_empty(), "{preset}");
        }
    }
    assert!(
        !tally(&Preset::Unanimity.rule(), &[], &BTreeMap::new())
            .unwrap()
            .passed
    );
}

#[test]
fn bad_voters_and_votes_are_errors_not_guesses() {
    let rule = Preset::MajorityLenders.rule();
    let voters = [voter(1, "secured", "100"), voter(2, "secured", "100")];
    assert_eq!(
        tally(&rule, &voters, &votes(&[(1, For), (9, For)])),
        Err(TallyError::NotEligible {
            creditor: creditor(9)
        })
    );
    assert_eq!(
        tally(&rule, &voters, &votes(&[(0, Against)])),
        Err(TallyError::NotEligible {
            creditor: creditor(0)
        })
    );
    let twice = [voter(1, "secured", "100"), voter(1, "secured", "5")];
    assert_eq!(
        tally(&rule, &twice, &BTreeMap::new()),
        Err(TallyError::DuplicateVoter {
            creditor: creditor(1),
            class: CreditorClass::SECURED
        })
    );
    let negative = [voter(1, "secured", "-0.01")];
    assert!(matches!(
        tally(&rule, &negative, &BTreeMap::new()),
        Err(TallyError::NegativeWeight { .. })
    ));
    let mut flagged = voter(1, "unsecured", "5");
    flagged.conflicted = true;
    assert_eq!(
        tally(
            &rule,
            &[voter(1, "secured", "1"), flagged],
            &BTreeMap::new()
        ),
        Err(TallyError::InconsistentFlags {
            creditor: creditor(1)
        })
    );
    let no_test = Rule {
        value: None,
        ..rule
    };
    assert_eq!(
        tally(&no_test, &voters, &BTreeMap::new()),
        Err(TallyError::InvalidRule(RuleError::NoTest))
    );
    assert_eq!(
        tally(&no_test, &voters, &BTreeMap::new())
            .map_err(|error| error.to_string())
            .err()
            .as_deref(),
        Some("invalid voting rule: a rule needs a value test, a number test or unanimity")
    );
}

#[test]
fn sums_too_large_to_be_exact_are_an_error_never_rounded() {
    let rule = Preset::MajorityLenders.rule();
    let max = Decimal::MAX.to_string();
    let huge = [voter(1, "secured", &max), voter(2, "secured", "1")];
    assert_eq!(
        tally(&rule, &huge, &BTreeMap::new()),
        Err(TallyError::Overflow { scale: 0 })
    );
    // 10^20 cannot be written with 10 decimal places in a decimal.
    let scales = [
        voter(1, "secured", "100000000000000000000"),
        voter(2, "secured", "0.0000000001"),
    ];
    assert_eq!(
        tally(&rule, &scales, &BTreeMap::new()),
        Err(TallyError::Overflow { scale: 10 })
    );
    // The largest decimal alone is fine, and compared exactly.
    let alone = [voter(1, "secured", &max), voter(2, "secured", "0")];
    let outcome = tally(&rule, &alone, &votes(&[(1, For)])).unwrap();
    assert!(outcome.passed);
}

#[test]
fn an_outcome_serializes_shares_exactly_and_rounded_as_strings() {
    let voters = [voter(1, "secured", "2.00"), voter(2, "secured", "1")];
    let outcome = tally(
        &Preset::MajorityLenders.rule(),
        &voters,
        &votes(&[(1, For), (2, Against)]),
    )
    .unwrap();
    let json = serde_json::to_value(&outcome).unwrap();
    let value_test = &json["groups"][0]["tests"][0];
    assert_eq!(
        value_test,
        &serde_json::json!({
            "kind": "value",
            "threshold": {"share": "2/3", "comparison": "more_than"},
            "denominator": "all_eligible",
            "share": {"numerator": "2.00", "denominator": "3.00", "rounded": "0.6666666667"},
            "met": false,
        })
    );
    assert_eq!(
        json["groups"][0]["voted_for"],
        serde_json::json!({"weight": "2.00", "count": 1})
    );
    let back: Outcome = serde_json::from_value(json).unwrap();
    assert_eq!(back, outcome);
}

// ---------------------------------------------------------------------------------------------
// Properties of the tally, against an independent reference

/// An independent reference tally: plain loops over the voters with decimal arithmetic (exact
/// for the small weights generated), written without the engine's sums or conditions.
/// Returns whether it passed and, per group, whether it passed.
fn reference(
    rule: &Rule,
    voters: &[Voter],
    votes: &BTreeMap<InstitutionId, Choice>,
) -> (bool, Vec<(String, bool)>) {
    let excluded = |v: &Voter| {
        (rule.exclusions.related_parties && v.related_party)
            || (rule.exclusions.conflicted && v.conflicted)
    };
    let mut groups: BTreeMap<String, BTreeMap<InstitutionId, Decimal>> = BTreeMap::new();
    if rule.grouping == Grouping::Pool {
        // The pool is a group even when nobody is eligible.
        groups.insert("pool".to_owned(), BTreeMap::new());
    }
    for v in voters.iter().filter(|v| !excluded(v)) {
        let name = match rule.grouping {
            Grouping::Pool => "pool".to_owned(),
            Grouping::ByClass => v.class.to_string(),
        };
        *groups
            .entry(name)
            .or_default()
            .entry(v.creditor)
            .or_default() += v.weight;
    }
    let meets = |threshold: Threshold, part: Decimal, whole: Decimal| {
        let n = Decimal::from(threshold.share.numerator);
        let d = Decimal::from(threshold.share.denominator);
        whole > Decimal::ZERO
            && match threshold.comparison {
                Comparison::AtLeast => part * d >= n * whole,
                Comparison::MoreThan => part * d > n * whole,
            }
    };
    let mut results = Vec::new();
    for (name, members) in &groups {
        // (value, number) per choice; index 3 = not voted.
        let mut totals = [(Decimal::ZERO, Decimal::ZERO); 4];
        for (id, weight) in members {
            let slot = match votes.get(id) {
                Some(For) => 0,
                Some(Against) => 1,
                Some(Abstain) => 2,
                None => 3,
            };
            totals[slot].0 += *weight;
            totals[slot].1 += Decimal::ONE;
        }
        let pick = |number: bool, slots: &[usize]| -> Decimal {
            slots
                .iter()
                .map(|&s| if number { totals[s].1 } else { totals[s].0 })
                .sum()
        };
        let whole_of = |denominator: Denominator| match denominator {
            Denominator::AllEligible => vec![0, 1, 2, 3],
            Denominator::Voting => vec![0, 1, 2],
            Denominator::VotingExcludingAbstentions => vec![0, 1],
        };
        let mut passed = true;
        if let Some(t) = rule.quorum.value {
            passed &= meets(t, pick(false, &[0, 1, 2]), pick(false, &[0, 1, 2, 3]));
        }
        if let Some(t) = rule.quorum.number {
            passed &= meets(t, pick(true, &[0, 1, 2]), pick(true, &[0, 1, 2, 3]));
        }
        if let Some(t) = rule.value {
            passed &= meets(
                t.threshold,
                pick(false, &[0]),
                pick(false, &whole_of(t.denominator)),
            );
        }
        if let Some(t) = rule.number {
            passed &= meets(
                t.threshold,
                pick(true, &[0]),
                pick(true, &whole_of(t.denominator)),
            );
        }
        if rule.unanimity {
            passed &= !members.is_empty() && totals[0].1 == pick(true, &[0, 1, 2, 3]);
        }
        results.push((name.clone(), passed));
    }
    let passed = !results.is_empty() && results.iter().all(|(_, passed)| *passed);
    (passed, results)
}

fn arb_threshold() -> impl Strategy<Value = Threshold> {
    (1_u32..=6)
        .prop_flat_map(|d| (0..=d, Just(d), any::<bool>()))
        .prop_map(|(n, d, strict)| Threshold {
            share: Fraction::new(n, d).unwrap(),
            // "more than 1/1" and "at least 0" are not valid rules.
            comparison: if n == 0 || (strict && n < d) {
                Comparison::MoreThan
            } else {
                Comparison::AtLeast
            },
        })
}

fn arb_test() -> impl Strategy<Value = Test> {
    (
        arb_threshold(),
        prop_oneof![
            Just(Denominator::AllEligible),
            Just(Denominator::Voting),
            Just(Denominator::VotingExcludingAbstentions),
        ],
    )
        .prop_map(|(threshold, denominator)| Test {
            threshold,
            denominator,
        })
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    let presets = prop::sample::select(Preset::ALL.to_vec()).prop_map(Preset::rule);
    let custom = (
        prop::option::of(arb_test()),
        prop::option::of(arb_test()),
        prop::option::weighted(0.3, arb_threshold()),
        prop::option::weighted(0.3, arb_threshold()),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(
                value,
                number,
                quorum_value,
                quorum_number,
                by_class,
                related,
                conflicted,
                unanimity,
            )| {
                Rule {
                    unanimity: unanimity || (value.is_none() && number.is_none()),
                    value,
                    number,
                    quorum: Quorum {
                        value: quorum_value,
                        number: quorum_number,
                    },
                    grouping: if by_class {
                        Grouping::ByClass
                    } else {
                        Grouping::Pool
                    },
                    exclusions: Exclusions {
                        related_parties: related,
                        conflicted,
                    },
                }
            },
        );
    prop_oneof![1 => presets, 3 => custom]
}

fn arb_choice() -> impl Strategy<Value = Choice> {
    prop::sample::select(Choice::ALL.to_vec())
}

fn arb_weight() -> impl Strategy<Value = Decimal> {
    (prop_oneof![1 => Just(0_i64), 6 => 1_i64..400], 0_u32..=2)
        .prop_map(|(units, scale)| Decimal::new(units, scale))
}

#[derive(Debug, Clone)]
struct Case {
    rule: Rule,
    voters: Vec<Voter>,
    votes: BTreeMap<InstitutionId, Choice>,
}

/// A ballot of 1 to `max` creditors, each in one or two of three classes.
fn arb_case(max: usize) -> impl Strategy<Value = Case> {
    let one = (
        prop::sample::subsequence(vec!["a", "b", "c"], 1..=2),
        arb_weight(),
        arb_weight(),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.15),
        prop::option::of(arb_choice()),
    );
    (arb_rule(), prop::collection::vec(one, 1..=max)).prop_map(|(rule, creditors)| {
        let mut voters = Vec::new();
        let mut cast = BTreeMap::new();
        for (index, (classes, first, second, related, conflicted, choice)) in
            creditors.into_iter().enumerate()
        {
            let id = creditor(index as u128 + 1);
            for (class, weight) in classes.into_iter().zip([first, second]) {
                voters.push(Voter {
                    creditor: id,
                    class: CreditorClass::parse(class).unwrap(),
                    weight,
                    related_party: related,
                    conflicted,
                });
            }
            if let Some(choice) = choice {
                cast.insert(id, choice);
            }
        }
        Case {
            rule,
            voters,
            votes: cast,
        }
    })
}

fn creditors_of(case: &Case) -> Vec<InstitutionId> {
    let ids: BTreeSet<InstitutionId> = case.voters.iter().map(|v| v.creditor).collect();
    ids.into_iter().collect()
}

proptest! {
    #[test]
    fn the_tally_agrees_with_an_independent_reference(case in arb_case(8)) {
        let outcome = tally(&case.rule, &case.voters, &case.votes).unwrap();
        let (passed, groups) = reference(&case.rule, &case.voters, &case.votes);
        prop_assert_eq!(outcome.passed, passed);
        let ours: Vec<(String, bool)> =
            outcome.groups.iter().map(|g| (g.name.clone(), g.passed)).collect();
        prop_assert_eq!(ours, groups);
    }

    #[test]
    fn a_vote_turned_for_never_turns_a_pass_into_a_fail(
        case in arb_case(8),
        pick in any::<prop::sample::Index>(),
    ) {
        // Holds for every valid rule, quorum included: "for" is at least as good as any other
        // state for every condition (see the position module's documentation).
        let ids = creditors_of(&case);
        let id = ids[pick.index(ids.len())];
        let before = tally(&case.rule, &case.voters, &case.votes).unwrap();
        let mut turned = case.votes.clone();
        turned.insert(id, For);
        let after = tally(&case.rule, &case.voters, &turned).unwrap();
        prop_assert!(!before.passed || after.passed);
        // Nor does it fail any single group that passed.
        for (b, a) in before.groups.iter().zip(&after.groups) {
            prop_assert!(!b.passed || a.passed);
        }
    }

    #[test]
    fn the_result_does_not_depend_on_the_order_of_voters_or_votes(
        case in arb_case(8),
        order in any::<u64>(),
    ) {
        let outcome = tally(&case.rule, &case.voters, &case.votes).unwrap();
        let mut shuffled = case.voters.clone();
        // A deterministic shuffle from the drawn seed.
        let mut seed = order | 1;
        for i in (1..shuffled.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            shuffled.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        let reversed_votes: BTreeMap<InstitutionId, Choice> =
            case.votes.iter().rev().map(|(k, v)| (*k, *v)).collect();
        prop_assert_eq!(tally(&case.rule, &shuffled, &reversed_votes).unwrap(), outcome.clone());
        shuffled.reverse();
        prop_assert_eq!(tally(&case.rule, &shuffled, &case.votes).unwrap(), outcome);
    }

    #[test]
    fn all_weight_for_passes_every_preset(case in arb_case(8)) {
        // Every eligible creditor votes for, every weight above 0 (a group whose eligible weight
        // is 0 has nothing to take a share of and fails its value test).
        let voters: Vec<Voter> = case
            .voters
            .iter()
            .map(|v| Voter { weight: v.weight + Decimal::ONE, ..v.clone() })
            .collect();
        let all_for: BTreeMap<InstitutionId, Choice> =
            creditors_of(&case).into_iter().map(|id| (id, For)).collect();
        for preset in Preset::ALL {
            let rule = preset.rule();
            let anyone_eligible = voters.iter().any(|v| !v.related_party && !v.conflicted);
            let outcome = tally(&rule, &voters, &all_for).unwrap();
            prop_assert_eq!(outcome.passed, anyone_eligible, "{}", preset);
        }
    }

    #[test]
    fn a_creditor_with_zero_weight_changes_no_value_test(
        case in arb_case(8),
        pick in any::<prop::sample::Index>(),
        choice in prop::option::of(arb_choice()),
        related in any::<bool>(),
    ) {
        let before = tally(&case.rule, &case.voters, &case.votes).unwrap();
        // A new creditor of weight 0 in a class that already has a row (so that, class by class,
        // it joins an existing group).
        let class = case.voters[pick.index(case.voters.len())].class.clone();
        let newcomer = creditor(1000);
        let mut voters = case.voters.clone();
        voters.push(Voter {
            creditor: newcomer,
            class,
            weight: Decimal::ZERO,
            related_party: related,
            conflicted: false,
        });
        let mut cast = case.votes.clone();
        if let Some(choice) = choice {
            cast.insert(newcomer, choice);
        }
        let after = tally(&case.rule, &voters, &cast).unwrap();
        let by_value = |outcome: &Outcome| -> Vec<(String, Vec<TestResult>, Vec<QuorumCheck>)> {
            outcome.groups.iter().map(|g| (
                g.name.clone(),
                g.tests.iter().filter(|t| t.kind == TestKind::Value).copied().collect(),
                g.quorum.iter().filter(|q| q.measure == Measure::Value).copied().collect(),
            )).collect()
        };
        let (old, new) = (by_value(&before), by_value(&after));
        // Class by class the newcomer's class may be a new group if all its other rows are
        // excluded; every group that existed keeps its value test and value quorum exactly.
        for group in &old {
            prop_assert!(new.contains(group), "{:?} changed: {:?}", group, new);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Position and `decided`: hand-checked ballots, and properties against brute force

#[test]
fn the_position_says_what_is_still_needed_and_who_is_pivotal() {
    // Majority lenders: more than 2/3 of 300 = more than 200 for.
    let voters = [
        voter(1, "secured", "100.00"),
        voter(2, "secured", "100.00"),
        voter(3, "secured", "60.00"),
        voter(4, "secured", "40.00"),
    ];
    let cast = votes(&[(1, For), (2, For)]);
    let now = position(&Preset::MajorityLenders.rule(), &voters, &cast).unwrap();
    assert!(!now.outcome.passed);
    assert_eq!(now.decided, None);
    assert_eq!(
        now.groups[0].needs,
        vec![Need {
            condition: ConditionKind::Value,
            met: false,
            still_needed: Some(dec("0.01")),
            not_voted: dec("100.00"),
            within_reach: true,
        }]
    );
    // Either of 3 and 4 voting for carries it; neither can do anything else that matters; 1 and 2
    // voting otherwise changes nothing (it fails now).
    let pivotal: Vec<(InstitutionId, Vec<Choice>)> = now
        .pivotal
        .iter()
        .map(|p| (p.creditor, p.changes_with.clone()))
        .collect();
    assert_eq!(
        pivotal,
        [(creditor(3), vec![For]), (creditor(4), vec![For])]
    );

    // Once 3 votes for it passes, and only 1, 2 or 3 turning can undo it; 4 is no longer pivotal
    // and the outcome is decided whatever 4 does.
    let cast = votes(&[(1, For), (2, For), (3, For)]);
    let now = position(&Preset::MajorityLenders.rule(), &voters, &cast).unwrap();
    assert!(now.outcome.passed);
    assert_eq!(now.decided, Some(true));
    assert_eq!(now.groups[0].needs[0].still_needed, Some(dec("0")));
    let pivotal: Vec<(InstitutionId, Option<Choice>, Vec<Choice>)> = now
        .pivotal
        .iter()
        .map(|p| (p.creditor, p.current, p.changes_with.clone()))
        .collect();
    assert_eq!(
        pivotal,
        [
            (creditor(1), Some(For), vec![Against, Abstain]),
            (creditor(2), Some(For), vec![Against, Abstain]),
            (creditor(3), Some(For), vec![Against, Abstain]),
        ]
    );
}

#[test]
fn still_needed_counts_new_votes_in_the_denominator_of_those_voting() {
    // Scheme: at least 3/4 by value and more than 1/2 in number of those voting for or against.
    let voters = [
        voter(1, "unsecured", "100"),
        voter(2, "unsecured", "100"),
        voter(3, "unsecured", "1000"),
        voter(4, "unsecured", "1"),
    ];
    let cast = votes(&[(1, For), (2, Against)]);
    let now = position(&Preset::SchemeOfArrangement.rule(), &voters, &cast).unwrap();
    // Value: (100 + w) / (200 + w) >= 3/4 <=> w >= 200.
    // Number: (1 + k) / (2 + k) > 1/2 <=> k >= 1.
    let needs: Vec<(ConditionKind, Option<Decimal>, bool)> = now.groups[0]
        .needs
        .iter()
        .map(|need| (need.condition, need.still_needed, need.within_reach))
        .collect();
    assert_eq!(
        needs,
        [
            (ConditionKind::Value, Some(dec("200")), true),
            (ConditionKind::Number, Some(dec("1")), true),
        ]
    );
    assert_eq!(now.decided, None);
    // 3 voting for carries both tests; 4 alone cannot. 2 turning to for, or abstaining (which
    // leaves 100 of 100 for among those voting for or against), carries it too.
    let pivotal: Vec<(InstitutionId, Vec<Choice>)> = now
        .pivotal
        .iter()
        .map(|p| (p.creditor, p.changes_with.clone()))
        .collect();
    assert_eq!(
        pivotal,
        [(creditor(2), vec![For, Abstain]), (creditor(3), vec![For])]
    );

    // Unanimity after a vote against: 3 more votes for would be needed, only 2 have not voted.
    let now = position(&Preset::Unanimity.rule(), &voters, &cast).unwrap();
    assert_eq!(now.groups[0].needs[0].still_needed, Some(dec("3")));
    assert_eq!(now.groups[0].needs[0].not_voted, dec("2"));
    assert!(!now.groups[0].needs[0].within_reach);
    assert_eq!(now.decided, Some(false));
    assert!(
        now.pivotal.is_empty(),
        "nobody can make it pass alone, and it fails now"
    );
}

#[test]
fn a_quorum_may_be_missed_by_creditors_who_stay_away_so_the_outcome_stays_open() {
    // 60 of 100 voted for and nobody against: the value test is met whatever happens, but the
    // quorum of at least 3/4 by value needs 15 more to take part.
    let voters = [
        voter(1, "secured", "60"),
        voter(2, "secured", "25"),
        voter(3, "secured", "15"),
    ];
    let mut rule = Preset::SimpleMajorityByValue.rule();
    rule.quorum.value = Some(Threshold::at_least(Fraction::THREE_QUARTERS));
    let cast = votes(&[(1, For)]);
    assert_eq!(decided(&rule, &voters, &cast), Ok(None));
    let now = position(&rule, &voters, &cast).unwrap();
    assert_eq!(now.groups[0].needs[0].condition, ConditionKind::QuorumValue);
    assert_eq!(now.groups[0].needs[0].still_needed, Some(dec("15")));
    // Once 2 abstains the quorum is met (85 of 100), and 3 voting against would leave 60 of 75
    // for: decided.
    let cast = votes(&[(1, For), (2, Abstain)]);
    assert_eq!(decided(&rule, &voters, &cast), Ok(Some(true)));
}

#[test]
fn with_nobody_eligible_every_preset_is_decided_as_failed() {
    let mut related = voter(1, "secured", "100");
    related.related_party = true;
    for preset in Preset::ALL {
        assert_eq!(
            decided(&preset.rule(), &[related.clone()], &BTreeMap::new()),
            Ok(Some(false))
        );
    }
}

/// Every result the ballot can still have: each creditor who has not voted votes for, against,
/// abstains or stays away.
fn brute_force(case: &Case) -> BTreeSet<bool> {
    let pending: Vec<InstitutionId> = creditors_of(case)
        .into_iter()
        .filter(|id| !case.votes.contains_key(id))
        .collect();
    let mut results = BTreeSet::new();
    for mut code in 0..4_usize.pow(pending.len() as u32) {
        let mut completed = case.votes.clone();
        for id in &pending {
            if let Some(choice) = [Some(For), Some(Against), Some(Abstain), None][code % 4] {
                completed.insert(*id, choice);
            }
            code /= 4;
        }
        results.insert(tally(&case.rule, &case.voters, &completed).unwrap().passed);
    }
    results
}

proptest! {
    #[test]
    fn decided_agrees_with_brute_force_over_every_completion(case in arb_case(6)) {
        let results = brute_force(&case);
        let expected = if results.len() == 1 { results.first().copied() } else { None };
        prop_assert_eq!(decided(&case.rule, &case.voters, &case.votes).unwrap(), expected);
    }

    #[test]
    fn pivotal_creditors_agree_with_recounting_each_change(case in arb_case(8)) {
        let now = position(&case.rule, &case.voters, &case.votes).unwrap();
        let outcome = tally(&case.rule, &case.voters, &case.votes).unwrap();
        prop_assert_eq!(&now.outcome, &outcome);
        let excluded: BTreeSet<InstitutionId> =
            outcome.excluded.iter().map(|e| e.creditor).collect();
        let mut expected = Vec::new();
        for id in creditors_of(&case).into_iter().filter(|id| !excluded.contains(id)) {
            let current = case.votes.get(&id).copied();
            let changes_with: Vec<Choice> = Choice::ALL
                .into_iter()
                .filter(|choice| Some(*choice) != current)
                .filter(|choice| {
                    let mut changed = case.votes.clone();
                    changed.insert(id, *choice);
                    tally(&case.rule, &case.voters, &changed).unwrap().passed != outcome.passed
                })
                .collect();
            if !changes_with.is_empty() {
                expected.push(Pivotal { creditor: id, current, changes_with });
            }
        }
        prop_assert_eq!(now.pivotal, expected);
    }

    #[test]
    fn still_needed_is_the_least_amount_that_meets_the_condition(case in arb_case(8)) {
        // For each group and condition: adding `still_needed` of new "for" votes (taking part,
        // for a quorum) meets it, one unit less does not, and `None` means nothing does.
        let now = position(&case.rule, &case.voters, &case.votes).unwrap();
        for (group, result) in now.groups.iter().zip(&now.outcome.groups) {
            for need in &group.needs {
                let (threshold, part, whole, adds_to_whole) =
                    condition_numbers(result, need.condition);
                let unit = match need.condition.measure() {
                    Measure::Number => Decimal::ONE,
                    Measure::Value => Decimal::new(1, result.eligible.weight.scale()),
                };
                let meets = |extra: Decimal| {
                    let whole = if adds_to_whole { whole + extra } else { whole };
                    let part = part + extra;
                    let n = Decimal::from(threshold.share.numerator);
                    let d = Decimal::from(threshold.share.denominator);
                    whole > Decimal::ZERO && match threshold.comparison {
                        Comparison::AtLeast => part * d >= n * whole,
                        Comparison::MoreThan => part * d > n * whole,
                    }
                };
                match need.still_needed {
                    Some(needed) => {
                        prop_assert!(meets(needed), "{:?}", need);
                        prop_assert!(needed.is_zero() || !meets(needed - unit), "{:?}", need);
                        prop_assert_eq!(need.met, needed.is_zero());
                        prop_assert_eq!(need.within_reach, needed <= need.not_voted);
                    }
                    None => {
                        prop_assert!(!meets(Decimal::from(1_000_000_000)), "{:?}", need);
                        prop_assert!(!need.within_reach);
                    }
                }
            }
        }
    }
}

/// The threshold, part, whole and whether new "for" votes add to the whole, of one condition of
/// a group, read from the outcome (independently of the position's own arithmetic).
fn condition_numbers(
    group: &GroupResult,
    kind: ConditionKind,
) -> (Threshold, Decimal, Decimal, bool) {
    let quorum = |measure| {
        let check = group.quorum.iter().find(|q| q.measure == measure).unwrap();
        (
            check.threshold,
            check.share.numerator,
            check.share.denominator,
            false,
        )
    };
    let test = |kind| {
        let test = group.tests.iter().find(|t| t.kind == kind).unwrap();
        (
            test.threshold,
            test.share.numerator,
            test.share.denominator,
            test.denominator != Denominator::AllEligible,
        )
    };
    match kind {
        ConditionKind::QuorumValue => quorum(Measure::Value),
        ConditionKind::QuorumNumber => quorum(Measure::Number),
        ConditionKind::Value => test(TestKind::Value),
        ConditionKind::Number => test(TestKind::Number),
        ConditionKind::Unanimity => test(TestKind::Unanimity),
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates

use chrono::{TimeZone, Utc};

use crate::ids::WorkoutId;

fn facts() -> BallotFacts {
    BallotFacts {
        ballot_id: Uuid::from_u128(0xba11),
        workout_id: WorkoutId::from_uuid(Uuid::from_u128(0x3047)),
        subject: "Standstill extension to 30 June\nsecond line".to_owned(),
        snapshot_id: Uuid::from_u128(0x5a4),
        snapshot_hash: "ab".repeat(32),
        closed_at: Utc.with_ymd_and_hms(2026, 11, 3, 12, 0, 0).unwrap()
            + chrono::Duration::nanoseconds(123_456_789),
    }
}

fn sample_certificate() -> Certificate {
    let mut related = voter(4, "unsecured", "10");
    related.related_party = true;
    let voters = vec![
        voter(3, "unsecured", "30.5"),
        voter(1, "secured", "100"),
        voter(2, "secured", "50.25"),
        voter(2, "unsecured", "20"),
        related,
    ];
    let cast = votes(&[(1, For), (2, Against), (3, For), (4, For)]);
    Certificate::issue(facts(), Preset::Chapter11Class.rule(), voters, cast).unwrap()
}

#[test]
fn a_certificate_verifies_and_its_canonical_text_is_as_documented() {
    let certificate = sample_certificate();
    assert_eq!(certificate.verify(), Ok(()));
    assert_eq!(certificate.hash.len(), 64);
    let text = certificate.canonical_text();
    let expected_start = "\
workout-voting-certificate v1
ballot 00000000-0000-0000-0000-00000000ba11
workout 00000000-0000-0000-0000-000000003047
subject 43:Standstill extension to 30 June
second line
snapshot 00000000-0000-0000-0000-0000000005a4 64:abababababababababababababababababababababababababababababababab
closed_at 2026-11-03T12:00:00.123456789Z
rule value at_least 2/3 voting_excluding_abstentions
rule number more_than 1/2 voting_excluding_abstentions
rule quorum_value none
rule quorum_number none
rule grouping by_class
rule exclusions related_parties 1 conflicted 1
rule unanimity 0
voter 00000000-0000-0000-0000-000000000001 secured 100 0 0
voter 00000000-0000-0000-0000-000000000002 secured 50.25 0 0
voter 00000000-0000-0000-0000-000000000002 unsecured 20 0 0
voter 00000000-0000-0000-0000-000000000003 unsecured 30.5 0 0
voter 00000000-0000-0000-0000-000000000004 unsecured 10 1 0
vote 00000000-0000-0000-0000-000000000001 for
vote 00000000-0000-0000-0000-000000000002 against
vote 00000000-0000-0000-0000-000000000003 for
vote 00000000-0000-0000-0000-000000000004 for
outcome passed 0
group class secured passed 0
subtotal eligible 150.25 2
subtotal for 100 1
subtotal against 50.25 1
subtotal abstained 0 0
subtotal not_voted 0 0
quorum_met 1
test value at_least 2/3 voting_excluding_abstentions 100/150.25=0.6655574043 met 0
test number more_than 1/2 voting_excluding_abstentions 1/2=0.5 met 0
group class unsecured passed 0
";
    assert!(text.starts_with(expected_start), "{text}");
    assert!(
        text.ends_with("excluded 00000000-0000-0000-0000-000000000004 related_party for\n"),
        "{text}"
    );
    assert_eq!(
        certificate.hash,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()))
    );
    // Stored voters are sorted; the order given does not change the hash.
    assert_eq!(certificate.voters[0].creditor, creditor(1));
}

#[test]
fn a_certificate_survives_a_json_round_trip() {
    let certificate = sample_certificate();
    let json = serde_json::to_string_pretty(&certificate).unwrap();
    let back: Certificate = serde_json::from_str(&json).unwrap();
    assert_eq!(back, certificate);
    assert_eq!(back.verify(), Ok(()));
    assert!(
        json.contains("\"closed_at\": \"2026-11-03T12:00:00.123456789Z\""),
        "{json}"
    );
    assert!(json.contains("\"weight\": \"50.25\""), "{json}");
}

#[test]
fn a_changed_vote_weight_or_rule_says_what_does_not_hold() {
    let certificate = sample_certificate();

    let mut vote_changed = certificate.clone();
    vote_changed.votes.insert(creditor(2), For);
    let Err(CertificateError::DoesNotHold(discrepancies)) = vote_changed.verify() else {
        panic!("a changed vote must not verify");
    };
    assert_eq!(discrepancies.len(), 2);
    assert_eq!(
        discrepancies[0],
        Discrepancy::OutcomeDiffers {
            recorded_passed: false,
            recomputed_passed: true,
            recorded_line: "outcome passed 0".into(),
            recomputed_line: "outcome passed 1".into(),
        }
    );
    assert!(matches!(discrepancies[1], Discrepancy::HashDiffers { .. }));

    // Re-tallied by a forger, the outcome agrees but the hash does not.
    let mut forged = vote_changed.clone();
    forged.outcome = tally(&forged.rule, &forged.voters, &forged.votes).unwrap();
    let Err(CertificateError::DoesNotHold(discrepancies)) = forged.verify() else {
        panic!("a forged certificate must not verify");
    };
    assert!(matches!(
        discrepancies.as_slice(),
        [Discrepancy::HashDiffers { recorded, .. }] if *recorded == certificate.hash
    ));

    let mut weight_changed = certificate.clone();
    weight_changed.voters[1].weight = dec("50.26");
    let error = weight_changed.verify().unwrap_err();
    assert!(
        error.to_string().contains(
            "recorded \"subtotal eligible 150.25 2\", recomputed \"subtotal eligible 150.26 2\""
        ),
        "{error}"
    );

    let mut rule_changed = certificate.clone();
    rule_changed.rule = Preset::SchemeOfArrangement.rule();
    assert!(rule_changed.verify().is_err());

    let mut subject_changed = certificate.clone();
    subject_changed.subject.push('.');
    assert!(matches!(
        subject_changed.verify(),
        Err(CertificateError::DoesNotHold(d))
            if matches!(d.as_slice(), [Discrepancy::HashDiffers { .. }])
    ));

    let mut stranger = certificate;
    stranger.votes.insert(creditor(99), For);
    assert_eq!(
        stranger.verify(),
        Err(CertificateError::Untallied(TallyError::NotEligible {
            creditor: creditor(99)
        }))
    );
}

proptest! {
    #[test]
    fn a_certificate_round_trips_and_any_change_of_vote_weight_or_rule_fails_it(
        case in arb_case(6),
        pick in any::<prop::sample::Index>(),
        new_choice in prop::option::of(arb_choice()),
        other_rule in arb_rule(),
    ) {
        let certificate =
            Certificate::issue(facts(), case.rule, case.voters.clone(), case.votes.clone())
                .unwrap();
        prop_assert_eq!(certificate.verify(), Ok(()));
        let json = serde_json::to_string(&certificate).unwrap();
        let back: Certificate = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &certificate);
        prop_assert_eq!(back.verify(), Ok(()));

        let ids = creditors_of(&case);
        let id = ids[pick.index(ids.len())];
        if certificate.votes.get(&id).copied() != new_choice {
            let mut changed = certificate.clone();
            match new_choice {
                Some(choice) => { changed.votes.insert(id, choice); }
                None => { changed.votes.remove(&id); }
            }
            prop_assert!(changed.verify().is_err());
        }
        let mut heavier = certificate.clone();
        let row = pick.index(heavier.voters.len());
        heavier.voters[row].weight += Decimal::new(1, 2);
        prop_assert!(heavier.verify().is_err());
        if other_rule != certificate.rule {
            let mut ruled = certificate.clone();
            ruled.rule = other_rule;
            prop_assert!(ruled.verify().is_err());
        }
    }
}
