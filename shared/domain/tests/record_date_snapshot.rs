//! Record-date snapshots, specified by a hand-checkable example in three currencies and by
//! properties: totals are exact sums of their lines, the hash ignores input order and notices any
//! change, missing rates are reported together, a stored snapshot cannot be edited unnoticed,
//! and drift is measured creditor by creditor.
// The whole file is test code: the fixtures below may unwrap like the tests themselves.
#![cfg(test)]

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;
use workout_domain::exposure::{BASE_DECIMAL_PLACES, CreditorExposure};
use workout_domain::facility::DEFAULT_CLASSES;
use workout_domain::{
    CreditorClass, CreditorPosition, Currency, ExposureError, FacilityInput, FacilityTerms,
    FxTable, InstitutionId, Money, Snapshot, WorkoutId,
};

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

fn sar(text: &str) -> Money {
    Money::new(dec(text), Currency::SAR)
}

fn record_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
}

fn workout() -> WorkoutId {
    WorkoutId::from_uuid(Uuid::parse_str("0195e8a0-0000-7000-8000-0000000000ff").unwrap())
}

fn bank(n: u8) -> InstitutionId {
    InstitutionId::from_uuid(Uuid::from_u128(
        0x0195_e8a0_0000_7000_8000_0000_0000_0000 + u128::from(n),
    ))
}

/// A facility with the given amounts; `past_due` is 0 unless given.
struct Entry<'a> {
    reference: &'a str,
    facility_type: &'a str,
    currency: &'a str,
    principal: &'a str,
    interest: &'a str,
    past_due: &'a str,
    fees: &'a str,
    class: &'a str,
    related_party: bool,
}

impl Entry<'_> {
    fn terms(&self) -> FacilityTerms {
        let days_past_due = if dec(self.past_due).is_zero() { 0 } else { 45 };
        FacilityInput {
            reference: self.reference.to_owned(),
            facility_type: self.facility_type.to_owned(),
            currency: self.currency.to_owned(),
            committed: self.principal.to_owned(),
            outstanding_principal: self.principal.to_owned(),
            accrued_interest: self.interest.to_owned(),
            past_due: self.past_due.to_owned(),
            past_due_principal: self.past_due.to_owned(),
            days_past_due: Some(days_past_due),
            fees_and_penalties: self.fees.to_owned(),
            secured: Some(self.class == "secured"),
            class: self.class.to_owned(),
            related_party: Some(self.related_party),
            position_date: "2026-01-01".to_owned(),
            ..FacilityInput::default()
        }
        .validate(DEFAULT_CLASSES)
        .unwrap()
    }
}

fn rates() -> FxTable {
    FxTable::new(Currency::SAR, record_date())
        .with_rate(Currency::USD, dec("3.75"))
        .unwrap()
        .with_rate(Currency::EUR, dec("4.0525"))
        .unwrap()
}

/// Three banks: A lends in SAR (secured) and USD (unsecured), B in EUR and USD (unsecured), C is
/// a related party lending in SAR.
fn positions() -> Vec<CreditorPosition> {
    let entry = |reference, facility_type, currency, principal, interest, past_due, fees, class| {
        Entry {
            reference,
            facility_type,
            currency,
            principal,
            interest,
            past_due,
            fees,
            class,
            related_party: class == "related_party",
        }
        .terms()
    };
    vec![
        CreditorPosition {
            creditor: bank(1),
            name: "Bank 1".to_owned(),
            related_party: false,
            facilities: vec![
                entry(
                    "A-TL-001",
                    "term_loan",
                    "SAR",
                    "10000000.00",
                    "125000.50",
                    "300000.00",
                    "4999.50",
                    "secured",
                ),
                entry(
                    "A-RCF-002",
                    "revolving",
                    "USD",
                    "1000000.00",
                    "2500.25",
                    "0",
                    "0",
                    "unsecured",
                ),
            ],
        },
        CreditorPosition {
            creditor: bank(2),
            name: "Bank 2".to_owned(),
            related_party: false,
            facilities: vec![
                entry(
                    "B-TL-007",
                    "term_loan",
                    "EUR",
                    "2000000.00",
                    "10000.10",
                    "0",
                    "1000.00",
                    "unsecured",
                ),
                entry(
                    "B-LC-001",
                    "guarantee_or_letter_of_credit",
                    "USD",
                    "10000.00",
                    "0.30",
                    "0",
                    "0",
                    "unsecured",
                ),
            ],
        },
        CreditorPosition {
            creditor: bank(3),
            name: "Bank 3".to_owned(),
            related_party: true,
            facilities: vec![entry(
                "C-OD-001",
                "overdraft",
                "SAR",
                "500000.00",
                "1234.56",
                "0",
                "0",
                "related_party",
            )],
        },
    ]
}

fn snapshot(positions: &[CreditorPosition]) -> Snapshot {
    Snapshot::compute(workout(), record_date(), Currency::SAR, &rates(), positions).unwrap()
}

fn class_amounts(line: &CreditorExposure) -> Vec<(&str, Money)> {
    line.by_class
        .iter()
        .map(|amount| (amount.class.as_str(), amount.amount))
        .collect()
}

#[test]
fn three_creditors_in_sar_usd_and_eur_can_be_checked_by_hand() {
    let snapshot = snapshot(&positions());
    let [a, b, c] = snapshot.creditors() else {
        panic!("three creditors expected");
    };

    // Bank A. A-RCF-002 sorts before A-TL-001.
    //   A-RCF-002: 1,000,000.00 + 2,500.25 + 0 = 1,002,500.25 USD
    //              × 3.75 = 3,759,375.9375 → 3,759,375.94 SAR
    //   A-TL-001:  10,000,000.00 + 125,000.50 + 4,999.50 = 10,130,000.00 SAR at 1
    //              (past due 300,000.00 is inside the principal and interest: not added)
    //   total:     3,759,375.94 + 10,130,000.00 = 13,889,375.94
    assert_eq!(a.creditor, bank(1));
    assert_eq!(a.facilities[0].reference, "A-RCF-002");
    assert_eq!(
        a.facilities[0].exposure,
        Money::new(dec("1002500.25"), Currency::USD)
    );
    assert_eq!(a.facilities[0].rate, dec("3.75"));
    assert_eq!(a.facilities[0].base_exposure, sar("3759375.94"));
    assert_eq!(a.facilities[1].reference, "A-TL-001");
    assert_eq!(a.facilities[1].exposure, sar("10130000.00"));
    assert_eq!(a.facilities[1].rate, Decimal::ONE);
    assert_eq!(a.facilities[1].base_exposure, sar("10130000.00"));
    assert_eq!(a.exposure, sar("13889375.94"));
    assert_eq!(
        class_amounts(a),
        [
            ("secured", sar("10130000.00")),
            ("unsecured", sar("3759375.94"))
        ]
    );
    assert!(!a.related_party);

    // Bank B.
    //   B-LC-001: 10,000.00 + 0.30 = 10,000.30 USD × 3.75 = 37,501.125
    //             → 37,501.13 SAR (midpoint away from zero; banker's rounding would give .12)
    //   B-TL-007: 2,000,000.00 + 10,000.10 + 1,000.00 = 2,011,000.10 EUR
    //             × 4.0525 = 8,149,577.90525 → 8,149,577.91 SAR
    //   total:    37,501.13 + 8,149,577.91 = 8,187,079.04
    assert_eq!(b.creditor, bank(2));
    assert_eq!(b.facilities[0].reference, "B-LC-001");
    assert_eq!(b.facilities[0].base_exposure, sar("37501.13"));
    assert_eq!(b.facilities[1].reference, "B-TL-007");
    assert_eq!(
        b.facilities[1].exposure,
        Money::new(dec("2011000.10"), Currency::EUR)
    );
    assert_eq!(b.facilities[1].rate, dec("4.0525"));
    assert_eq!(b.facilities[1].base_exposure, sar("8149577.91"));
    assert_eq!(b.exposure, sar("8187079.04"));
    assert_eq!(class_amounts(b), [("unsecured", sar("8187079.04"))]);

    // Bank C: 500,000.00 + 1,234.56 = 501,234.56 SAR, a related party.
    assert_eq!(c.creditor, bank(3));
    assert_eq!(c.exposure, sar("501234.56"));
    assert_eq!(class_amounts(c), [("related_party", sar("501234.56"))]);
    assert!(c.related_party);

    // Totals: 13,889,375.94 + 8,187,079.04 + 501,234.56 = 22,577,689.54
    //   related_party 501,234.56
    //   secured       10,130,000.00
    //   unsecured     3,759,375.94 + 37,501.13 + 8,149,577.91 = 11,946,454.98
    assert_eq!(snapshot.total(), sar("22577689.54"));
    let totals: Vec<(&str, Money)> = snapshot
        .total_by_class()
        .iter()
        .map(|amount| (amount.class.as_str(), amount.amount))
        .collect();
    assert_eq!(
        totals,
        [
            ("related_party", sar("501234.56")),
            ("secured", sar("10130000.00")),
            ("unsecured", sar("11946454.98")),
        ]
    );

    // Rates used: every currency that occurs, the base at 1.
    let rates: Vec<(Currency, Decimal)> = snapshot
        .rates()
        .iter()
        .map(|rate| (rate.currency, rate.rate))
        .collect();
    assert_eq!(
        rates,
        [
            (Currency::EUR, dec("4.0525")),
            (Currency::SAR, Decimal::ONE),
            (Currency::USD, dec("3.75")),
        ]
    );
    assert_eq!(snapshot.rates_date(), record_date());
    assert_eq!(snapshot.content_hash().len(), 64);
    assert!(
        snapshot
            .content_hash()
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}

#[test]
fn the_snapshot_serializes_amounts_as_strings_and_reads_back_only_if_untouched() {
    let snapshot = snapshot(&positions());
    let json = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(
        json["total"],
        serde_json::json!({"amount": "22577689.54", "currency": "SAR"})
    );
    assert_eq!(
        json["rates"][0],
        serde_json::json!({"currency": "EUR", "rate": "4.0525"})
    );
    assert_eq!(
        json["creditors"][1]["facilities"][0]["base_exposure"]["amount"],
        "37501.13"
    );
    assert_eq!(json["content_hash"], snapshot.content_hash());
    assert_eq!(
        serde_json::from_value::<Snapshot>(json.clone()).unwrap(),
        snapshot
    );

    let mut edited_amount = json.clone();
    edited_amount["creditors"][0]["facilities"][0]["exposure"]["amount"] =
        serde_json::json!("1002500.26");
    assert!(serde_json::from_value::<Snapshot>(edited_amount).is_err());
    let mut edited_total = json.clone();
    edited_total["total"]["amount"] = serde_json::json!("22577689.55");
    assert!(serde_json::from_value::<Snapshot>(edited_total).is_err());
    let mut edited_hash = json;
    edited_hash["content_hash"] = serde_json::json!("0".repeat(64));
    assert!(serde_json::from_value::<Snapshot>(edited_hash).is_err());
}

#[test]
fn every_missing_rate_is_reported_in_one_error() {
    let mut positions = positions();
    positions[2].facilities.push(
        Entry {
            reference: "C-TAX-1",
            facility_type: "tax",
            currency: "GBP",
            principal: "1",
            interest: "0",
            past_due: "0",
            fees: "0",
            class: "unsecured",
            related_party: false,
        }
        .terms(),
    );
    let only_usd = FxTable::new(Currency::SAR, record_date())
        .with_rate(Currency::USD, dec("3.75"))
        .unwrap();
    let result = Snapshot::compute(
        workout(),
        record_date(),
        Currency::SAR,
        &only_usd,
        &positions,
    );
    assert_eq!(
        result,
        Err(ExposureError::MissingRates(vec![
            Currency::EUR,
            Currency::GBP
        ]))
    );
    assert_eq!(result.unwrap_err().to_string(), "no FX rate for EUR, GBP");
}

#[test]
fn the_hash_does_not_depend_on_the_order_of_the_input() {
    let forward = snapshot(&positions());
    let mut reversed = positions();
    reversed.reverse();
    for position in &mut reversed {
        position.facilities.reverse();
    }
    let backward = snapshot(&reversed);
    assert_eq!(backward, forward);
    assert_eq!(backward.content_hash(), forward.content_hash());
}

#[test]
fn the_hash_changes_when_one_amount_changes_by_one_cent_or_a_rate_changes() {
    let original = snapshot(&positions());
    let mut changed = positions();
    changed[2].facilities[0] = Entry {
        reference: "C-OD-001",
        facility_type: "overdraft",
        currency: "SAR",
        principal: "500000.00",
        interest: "1234.57",
        past_due: "0",
        fees: "0",
        class: "related_party",
        related_party: true,
    }
    .terms();
    let one_cent_more = snapshot(&changed);
    assert_eq!(one_cent_more.total(), sar("22577689.55"));
    assert_ne!(one_cent_more.content_hash(), original.content_hash());

    let other_rate = FxTable::new(Currency::SAR, record_date())
        .with_rate(Currency::USD, dec("3.7501"))
        .unwrap()
        .with_rate(Currency::EUR, dec("4.0525"))
        .unwrap();
    let at_other_rate = Snapshot::compute(
        workout(),
        record_date(),
        Currency::SAR,
        &other_rate,
        &positions(),
    )
    .unwrap();
    assert_ne!(at_other_rate.content_hash(), original.content_hash());

    // The same rate written with more zeros is the same rate.
    let same_rate = FxTable::new(Currency::SAR, record_date())
        .with_rate(Currency::USD, dec("3.750000"))
        .unwrap()
        .with_rate(Currency::EUR, dec("4.05250"))
        .unwrap();
    let at_same_rate = Snapshot::compute(
        workout(),
        record_date(),
        Currency::SAR,
        &same_rate,
        &positions(),
    )
    .unwrap();
    assert_eq!(at_same_rate.content_hash(), original.content_hash());
}

#[test]
fn totals_equal_the_sum_of_the_lines_exactly() {
    let snapshot = snapshot(&positions());
    let mut sum_of_facilities = Decimal::ZERO;
    let mut sum_of_creditors = Decimal::ZERO;
    for creditor in snapshot.creditors() {
        let facilities: Decimal = creditor
            .facilities
            .iter()
            .map(|f| f.base_exposure.amount)
            .sum();
        let classes: Decimal = creditor.by_class.iter().map(|c| c.amount.amount).sum();
        assert_eq!(creditor.exposure.amount, facilities);
        assert_eq!(creditor.exposure.amount, classes);
        sum_of_facilities += facilities;
        sum_of_creditors += creditor.exposure.amount;
    }
    let sum_of_classes: Decimal = snapshot
        .total_by_class()
        .iter()
        .map(|c| c.amount.amount)
        .sum();
    assert_eq!(snapshot.total().amount, sum_of_creditors);
    assert_eq!(snapshot.total().amount, sum_of_facilities);
    assert_eq!(snapshot.total().amount, sum_of_classes);
}

#[test]
fn inconsistent_input_is_refused() {
    let rates = rates();
    let usd_rates = FxTable::new(Currency::USD, record_date());
    assert_eq!(
        Snapshot::compute(
            workout(),
            record_date(),
            Currency::SAR,
            &usd_rates,
            &positions()
        ),
        Err(ExposureError::BaseMismatch {
            expected: Currency::SAR,
            found: Currency::USD
        })
    );
    let day_before = record_date().pred_opt().unwrap();
    assert!(matches!(
        Snapshot::compute(workout(), day_before, Currency::SAR, &rates, &positions()),
        Err(ExposureError::RatesAfterRecordDate { .. })
    ));
    let mut twice = positions();
    twice.push(twice[0].clone());
    assert_eq!(
        Snapshot::compute(workout(), record_date(), Currency::SAR, &rates, &twice),
        Err(ExposureError::DuplicateCreditor(bank(1)))
    );
    let mut same_reference = positions();
    let copy = same_reference[1].facilities[0].clone();
    same_reference[1].facilities.push(copy);
    assert_eq!(
        Snapshot::compute(
            workout(),
            record_date(),
            Currency::SAR,
            &rates,
            &same_reference
        ),
        Err(ExposureError::DuplicateFacility {
            creditor: bank(2),
            reference: "B-TL-007".to_owned()
        })
    );
}

#[test]
fn each_creditor_is_named_with_its_share_of_the_total_and_of_each_class() {
    let snapshot = snapshot(&positions());
    let [a, b, c] = snapshot.creditors() else {
        panic!("three creditors expected");
    };
    assert_eq!((a.name.as_str(), b.name.as_str()), ("Bank 1", "Bank 2"));
    // 13,889,375.94 / 22,577,689.54 × 100 = 61.51814566943… → 61.5181456694 (10 places).
    let shares = |line: &CreditorExposure| {
        (
            line.share_of_total.value().to_string(),
            line.by_class
                .iter()
                .map(|c| {
                    (
                        c.class.as_str().to_owned(),
                        c.share_of_class.value().to_string(),
                    )
                })
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        shares(a),
        (
            "61.5181456694".to_owned(),
            vec![
                ("secured".to_owned(), "100".to_owned()),
                // 3,759,375.94 / 11,946,454.98 × 100
                ("unsecured".to_owned(), "31.4685481701".to_owned()),
            ]
        )
    );
    assert_eq!(
        shares(b),
        (
            "36.2618106937".to_owned(),
            vec![("unsecured".to_owned(), "68.5314518299".to_owned())]
        )
    );
    assert_eq!(
        shares(c),
        (
            "2.2200436369".to_owned(),
            vec![("related_party".to_owned(), "100".to_owned())]
        )
    );
    // Names are labels: renaming a creditor changes no hash.
    let mut renamed = positions();
    renamed[0].name = "Bank One (renamed)".to_owned();
    assert_eq!(
        Snapshot::compute(workout(), record_date(), Currency::SAR, &rates(), &renamed)
            .unwrap()
            .content_hash(),
        snapshot.content_hash()
    );
    // Read back, names and shares are kept and checked.
    let json = serde_json::to_string(&snapshot).unwrap();
    assert_eq!(serde_json::from_str::<Snapshot>(&json).unwrap(), snapshot);
    let forged = json.replace("\"61.5181456694\"", "\"70\"");
    assert!(serde_json::from_str::<Snapshot>(&forged).is_err());
}

/// A random facility: a currency among four (each with 2 minor units), amounts of 0–10^12 with 0
/// or 2 decimal places.
fn any_facility(reference: String) -> impl Strategy<Value = FacilityTerms> {
    (
        prop::sample::select(vec!["SAR", "USD", "EUR", "GBP"]),
        0_i64..1_000_000_000_000_000,
        0_i64..1_000_000_000,
        0_i64..1_000_000,
        prop::bool::ANY,
        prop::sample::select(DEFAULT_CLASSES.to_vec()),
        prop::bool::ANY,
    )
        .prop_map(
            move |(currency, principal, interest, fees, whole_units, class, related_party)| {
                let scale = if whole_units { 0 } else { 2 };
                let text = |units: i64| Decimal::new(units, scale).to_string();
                FacilityInput {
                    reference: reference.clone(),
                    facility_type: "term_loan".to_owned(),
                    currency: currency.to_owned(),
                    committed: "0".to_owned(),
                    outstanding_principal: text(principal),
                    accrued_interest: text(interest),
                    past_due: "0".to_owned(),
                    days_past_due: Some(0),
                    fees_and_penalties: text(fees),
                    secured: Some(false),
                    class: class.as_str().to_owned(),
                    related_party: Some(related_party),
                    position_date: "2026-01-01".to_owned(),
                    ..FacilityInput::default()
                }
                .validate(DEFAULT_CLASSES)
                .unwrap()
            },
        )
}

fn any_positions() -> impl Strategy<Value = Vec<CreditorPosition>> {
    prop::collection::btree_set(0_u8..50, 0..8).prop_flat_map(|creditors| {
        creditors
            .into_iter()
            .map(|n| {
                (0_usize..5)
                    .prop_flat_map(move |count| {
                        (0..count)
                            .map(|i| any_facility(format!("F-{n}-{i}")))
                            .collect::<Vec<_>>()
                    })
                    .prop_map(move |facilities| CreditorPosition {
                        creditor: bank(n),
                        name: format!("Bank {n}"),
                        related_party: n % 2 == 0,
                        facilities,
                    })
            })
            .collect::<Vec<_>>()
    })
}

fn any_rates() -> impl Strategy<Value = FxTable> {
    (1_i64..100_000_000, 1_i64..100_000_000, 1_i64..100_000_000).prop_map(|(usd, eur, gbp)| {
        FxTable::new(Currency::SAR, record_date())
            .with_rate(Currency::USD, Decimal::new(usd, 6))
            .unwrap()
            .with_rate(Currency::EUR, Decimal::new(eur, 6))
            .unwrap()
            .with_rate(Currency::GBP, Decimal::new(gbp, 6))
            .unwrap()
    })
}

proptest! {
    #[test]
    fn the_total_is_the_sum_of_the_creditors_amounts(
        positions in any_positions(),
        rates in any_rates(),
    ) {
        let snapshot =
            Snapshot::compute(workout(), record_date(), Currency::SAR, &rates, &positions)
                .unwrap();
        let creditors: Decimal = snapshot.creditors().iter().map(|c| c.exposure.amount).sum();
        let classes: Decimal =
            snapshot.total_by_class().iter().map(|c| c.amount.amount).sum();
        prop_assert_eq!(snapshot.total().amount, creditors);
        prop_assert_eq!(snapshot.total().amount, classes);
        prop_assert_eq!(snapshot.creditors().len(), positions.len());
        for creditor in snapshot.creditors() {
            let facilities: Decimal =
                creditor.facilities.iter().map(|f| f.base_exposure.amount).sum();
            prop_assert_eq!(creditor.exposure.amount, facilities);
            for facility in &creditor.facilities {
                prop_assert!(facility.base_exposure.amount.scale() == BASE_DECIMAL_PLACES);
                let exact = facility.exposure.amount * facility.rate;
                prop_assert!((exact - facility.base_exposure.amount).abs() <= dec("0.005"));
            }
        }
    }

    #[test]
    fn the_hash_ignores_the_order_of_creditors_and_facilities(
        positions in any_positions(),
        rates in any_rates(),
        seed in any::<u64>(),
    ) {
        let mut shuffled = positions.clone();
        // A deterministic reordering driven by the seed: rotate the creditors, reverse some
        // facility lists.
        if !shuffled.is_empty() {
            let len = shuffled.len();
            shuffled.rotate_left(usize::try_from(seed % len as u64).unwrap());
        }
        for (i, position) in shuffled.iter_mut().enumerate() {
            if (seed >> (i % 64)) & 1 == 1 {
                position.facilities.reverse();
            }
        }
        let compute = |positions: &[CreditorPosition]| {
            Snapshot::compute(workout(), record_date(), Currency::SAR, &rates, positions).unwrap()
        };
        let original = compute(&positions);
        let reordered = compute(&shuffled);
        prop_assert_eq!(original.content_hash(), reordered.content_hash());
        let json = serde_json::to_value(&original).unwrap();
        prop_assert_eq!(serde_json::from_value::<Snapshot>(json).unwrap(), original);
    }
}

#[test]
fn a_workout_may_name_its_own_classes() {
    let mezzanine = CreditorClass::parse("mezzanine").unwrap();
    let classes = [CreditorClass::SECURED, mezzanine.clone()];
    let terms = FacilityInput {
        reference: "M-1".to_owned(),
        facility_type: "other".to_owned(),
        currency: "SAR".to_owned(),
        committed: "0".to_owned(),
        outstanding_principal: "10".to_owned(),
        accrued_interest: "0".to_owned(),
        past_due: "0".to_owned(),
        days_past_due: Some(0),
        fees_and_penalties: "0".to_owned(),
        secured: Some(false),
        class: "mezzanine".to_owned(),
        related_party: Some(false),
        position_date: "2026-01-01".to_owned(),
        ..FacilityInput::default()
    }
    .validate(&classes)
    .unwrap();
    let snapshot = snapshot(&[CreditorPosition {
        creditor: bank(9),
        name: "Bank 9".to_owned(),
        related_party: false,
        facilities: vec![terms],
    }]);
    assert_eq!(snapshot.total_by_class()[0].class, mezzanine);
    assert_eq!(snapshot.total(), sar("10.00"));
}

/// Every string a JSON value holds, keys and values alike, at any depth.
fn all_text(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => out.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| all_text(item, out)),
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                out.push(key.clone());
                all_text(item, out);
            }
        }
        _ => {}
    }
}

#[test]
fn a_creditors_view_never_contains_another_creditors_line_whatever_the_field_names() {
    let full = snapshot(&positions());
    for own in full.creditors().iter().map(|line| line.creditor) {
        let view = full.for_creditor(own);
        let json = serde_json::to_value(&view).unwrap();
        let mut seen = Vec::new();
        all_text(&json, &mut seen);
        for other in full.creditors().iter().filter(|line| line.creditor != own) {
            // Nothing that identifies or measures another creditor's position appears anywhere,
            // under whatever name it might be serialized.
            assert!(
                !seen.contains(&other.creditor.to_string()),
                "another creditor's id"
            );
            assert!(
                !seen.iter().any(|text| text.contains(&other.name)),
                "another creditor's name"
            );
            for facility in &other.facilities {
                assert!(
                    !seen.contains(&facility.reference),
                    "another creditor's facility"
                );
            }
            // Its amounts appear only where the totals (which every creditor sees) or the
            // viewer's own line happen to hold the same figure.
            let mut public = Vec::new();
            all_text(
                &serde_json::to_value(full.total_by_class()).unwrap(),
                &mut public,
            );
            all_text(&serde_json::to_value(full.total()).unwrap(), &mut public);
            all_text(
                &serde_json::to_value(full.creditor(own)).unwrap(),
                &mut public,
            );
            let amounts = std::iter::once(other.exposure.amount.to_string()).chain(
                other
                    .facilities
                    .iter()
                    .map(|f| f.base_exposure.amount.to_string()),
            );
            for amount in amounts.filter(|a| !public.contains(a)) {
                assert!(
                    !seen.contains(&amount),
                    "another creditor's amount {amount}"
                );
            }
        }
        assert_eq!(view.own_line(), full.creditor(own));
        assert_eq!(view.total(), full.total());
        assert_eq!(view.content_hash(), full.content_hash());
    }
    let stranger = full.for_creditor(bank(200));
    assert!(
        stranger.own_line().is_none(),
        "a creditor without facilities sees no line"
    );
}
