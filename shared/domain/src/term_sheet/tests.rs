use rust_decimal::Decimal;
use serde_json::json;

use super::*;
use crate::money::Currency;

fn sar(text: &str) -> Money {
    Money::new(Decimal::from_str_exact(text).unwrap(), Currency::SAR)
}

fn pct(text: &str) -> Percentage {
    Percentage::new(Decimal::from_str_exact(text).unwrap()).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn full_sheet() -> TermSheet {
    TermSheet {
        borrower: Some(BorrowerDescription {
            description: "Al Noor Trading Co., wholesale of building materials".to_owned(),
            sector: Sector::Other,
        }),
        amounts_to_restructure: Some(vec![RestructuredAmount {
            facility: "Term loan 1".to_owned(),
            bank: "Bank A".to_owned(),
            amount: sar("10000000.00"),
        }]),
        fees_and_expenses: Some(vec![]),
        banks: Some(vec!["Bank A".to_owned(), "Bank B".to_owned()]),
        anticipated_closing_date: Some(date(2027, 3, 31)),
        representations_and_warranties: Some(vec!["Accounts true and fair".to_owned()]),
        repayment_schedule: Some(vec![
            Instalment {
                due: date(2027, 6, 30),
                amount: sar("2500000.00"),
                facility: None,
            },
            Instalment {
                due: date(2027, 12, 31),
                amount: sar("7500000.00"),
                facility: None,
            },
        ]),
        mandatory_repayments: Some(vec![]),
        cash_sweep: Some(vec![CashSweep {
            share_of_excess_cash: pct("50"),
            definition: "Cash above SAR 2m at year end".to_owned(),
        }]),
        interest_rates: Some(vec![InterestRate {
            facility: "Term loan 1".to_owned(),
            base: "SAIBOR 3M".to_owned(),
            margin: Some(pct("2.5")),
        }]),
        default_interest: Some(DefaultInterest { margin: pct("2") }),
        interest_payment_dates: Some(vec![date(2027, 6, 30), date(2027, 12, 31)]),
        events_of_default: Some(vec!["Non-payment".to_owned()]),
        additional_security: Some(vec![]),
        documentation: Some(vec!["Restructuring agreement".to_owned()]),
        taxes: Some("Gross-up for withholding".to_owned()),
        governing_law: Some("Kingdom of Saudi Arabia".to_owned()),
        measures: Some(vec![
            RestructuringMeasure::Moratorium { months: 6 },
            RestructuringMeasure::MaturityExtension {
                new_maturity: date(2030, 12, 31),
            },
        ]),
        milestones: Some(vec![Milestone {
            due: date(2027, 9, 30),
            target: "Sell the Dammam warehouse".to_owned(),
        }]),
        conditions_of_effectiveness: Some(vec!["All banks sign".to_owned()]),
    }
}

fn with_measures(sector: Sector, measures: Vec<RestructuringMeasure>) -> TermSheet {
    let mut sheet = full_sheet();
    sheet.borrower = Some(BorrowerDescription {
        description: "A borrower".to_owned(),
        sector,
    });
    sheet.measures = Some(measures);
    sheet
}

fn rules(completeness: &Completeness) -> Vec<&str> {
    completeness.warnings.iter().map(Warning::rule).collect()
}

#[test]
fn an_empty_draft_misses_every_element_by_name_in_the_guidelines_order() {
    let result = completeness(&TermSheet::default());
    assert!(!result.complete);
    let names: Vec<&str> = result.missing.iter().map(|e| e.field()).collect();
    assert_eq!(
        names,
        [
            "borrower",
            "amounts_to_restructure",
            "fees_and_expenses",
            "banks",
            "anticipated_closing_date",
            "representations_and_warranties",
            "repayment_schedule",
            "mandatory_repayments",
            "cash_sweep",
            "interest_rates",
            "default_interest",
            "interest_payment_dates",
            "events_of_default",
            "additional_security",
            "documentation",
            "taxes",
            "governing_law",
            "measures",
            "milestones",
            "conditions_of_effectiveness",
        ]
    );
    assert!(result.warnings.is_empty());
}

#[test]
fn a_full_sheet_is_complete_and_an_if_any_element_may_be_stated_as_none() {
    let result = completeness(&full_sheet());
    assert_eq!(result.missing, []);
    assert!(result.complete);
    assert_eq!(result.warnings, []);
}

#[test]
fn an_empty_list_or_blank_text_is_missing_where_the_element_is_not_if_any() {
    let mut sheet = full_sheet();
    sheet.banks = Some(vec![]);
    sheet.governing_law = Some("  ".to_owned());
    sheet.fees_and_expenses = None;
    let result = completeness(&sheet);
    assert_eq!(
        result.missing,
        [
            Element::FeesAndExpenses,
            Element::Banks,
            Element::GoverningLaw
        ]
    );
}

#[test]
fn a_short_term_measure_of_24_months_is_fine_and_of_25_is_warned() {
    let at_limit = completeness(&with_measures(
        Sector::Other,
        vec![
            RestructuringMeasure::InterestOnly { months: 24 },
            RestructuringMeasure::RescheduledPayments {
                profile: PaymentProfile::Balloon,
            },
        ],
    ));
    assert_eq!(at_limit.warnings, []);

    let beyond = completeness(&with_measures(
        Sector::Other,
        vec![
            RestructuringMeasure::InterestOnly { months: 25 },
            RestructuringMeasure::RescheduledPayments {
                profile: PaymentProfile::Balloon,
            },
        ],
    ));
    assert_eq!(
        beyond.warnings,
        [Warning::ShortTermTooLong {
            measure: 0,
            name: "interest_only".to_owned(),
            months: 25,
            limit_months: 24,
            rule: SHORT_TERM_MEASURE_LIMIT.to_owned(),
        }]
    );
}

#[test]
fn real_estate_and_construction_are_limited_to_12_months() {
    for sector in [Sector::RealEstate, Sector::Construction] {
        let at_limit = completeness(&with_measures(
            sector,
            vec![
                RestructuringMeasure::Moratorium { months: 12 },
                RestructuringMeasure::LoanSplitting {
                    sustainable: sar("6000000"),
                    excess: sar("4000000"),
                },
            ],
        ));
        assert_eq!(at_limit.warnings, []);
        let beyond = completeness(&with_measures(
            sector,
            vec![
                RestructuringMeasure::ReducedPayments {
                    months: 13,
                    share_of_contractual: pct("50"),
                },
                RestructuringMeasure::LoanSplitting {
                    sustainable: sar("6000000"),
                    excess: sar("4000000"),
                },
            ],
        ));
        assert_eq!(rules(&beyond), [SHORT_TERM_MEASURE_LIMIT_REAL_ESTATE]);
        assert!(matches!(
            beyond.warnings[0],
            Warning::ShortTermTooLong {
                limit_months: 12,
                months: 13,
                ..
            }
        ));
    }
}

#[test]
fn short_term_measures_alone_are_warned_for_want_of_a_longer_term_solution() {
    let result = completeness(&with_measures(
        Sector::Other,
        vec![
            RestructuringMeasure::GracePeriod { months: 6 },
            RestructuringMeasure::FreshMoney {
                amount: sar("1000000"),
                purpose: FreshMoneyPurpose::RestartBusiness,
            },
            RestructuringMeasure::Moratorium { months: 3 },
        ],
    ));
    assert_eq!(
        result.warnings,
        [Warning::ShortTermWithoutLongTerm {
            measures: vec![0, 2],
            rule: SHORT_TERM_NEEDS_LONG_TERM.to_owned(),
        }]
    );
}

#[test]
fn capitalisation_twice_or_after_an_earlier_one_is_warned() {
    let capitalise = |previously_capitalised| RestructuringMeasure::Capitalisation {
        of: Capitalised::Arrears,
        amount: sar("500000"),
        previously_capitalised,
    };
    assert_eq!(
        completeness(&with_measures(Sector::Other, vec![capitalise(false)])).warnings,
        []
    );
    let twice = completeness(&with_measures(
        Sector::Other,
        vec![capitalise(false), capitalise(false)],
    ));
    assert!(matches!(
        &twice.warnings[..],
        [Warning::CapitalisationRepeated { uses: 2, allowed: 1, measures, .. }] if measures == &[0, 1]
    ));
    let after_earlier = completeness(&with_measures(Sector::Other, vec![capitalise(true)]));
    assert_eq!(rules(&after_earlier), [CAPITALISATION_ONCE]);
}

#[test]
fn fresh_money_outside_the_three_purposes_is_warned() {
    let fresh = |purpose| RestructuringMeasure::FreshMoney {
        amount: sar("1000000"),
        purpose,
    };
    let named = completeness(&with_measures(
        Sector::Other,
        vec![
            fresh(FreshMoneyPurpose::RestartBusiness),
            fresh(FreshMoneyPurpose::ProtectCollateral),
            fresh(FreshMoneyPurpose::PreventContingentCall),
            RestructuringMeasure::MaturityExtension {
                new_maturity: date(2031, 1, 1),
            },
        ],
    ));
    assert_eq!(named.warnings, []);
    let other = completeness(&with_measures(
        Sector::Other,
        vec![fresh(FreshMoneyPurpose::Other {
            description: "dividend to shareholders".to_owned(),
        })],
    ));
    assert_eq!(
        other.warnings,
        [Warning::FreshMoneyPurpose {
            measure: 0,
            purpose: "dividend to shareholders".to_owned(),
            rule: FRESH_MONEY_PURPOSES.to_owned(),
        }]
    );
}

#[test]
fn limits_are_data() {
    let limits = MeasureLimits {
        short_term_months: 6,
        ..MeasureLimits::default()
    };
    let result = completeness_with(&full_sheet(), limits);
    assert_eq!(result.warnings, []);
    let result = completeness_with(
        &with_measures(
            Sector::Other,
            vec![
                RestructuringMeasure::Moratorium { months: 7 },
                RestructuringMeasure::MaturityExtension {
                    new_maturity: date(2030, 1, 1),
                },
            ],
        ),
        limits,
    );
    assert_eq!(rules(&result), [SHORT_TERM_MEASURE_LIMIT]);
    assert_eq!(result.limits, limits);
}

#[test]
fn the_canonical_json_sorts_keys_and_omits_absent_elements() {
    let sheet = TermSheet {
        taxes: Some("none".to_owned()),
        banks: Some(vec!["Bank B".to_owned()]),
        default_interest: Some(DefaultInterest { margin: pct("2") }),
        ..TermSheet::default()
    };
    assert_eq!(
        canonical_json(&sheet).unwrap(),
        r#"{"banks":["Bank B"],"default_interest":{"margin":"2"},"taxes":"none"}"#
    );
    assert_eq!(canonical_json(&TermSheet::default()).unwrap(), "{}");
}

#[test]
fn the_content_hash_is_the_sha256_of_the_canonical_json_and_survives_a_round_trip() {
    let sheet = full_sheet();
    let hash = content_hash(&sheet).unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(
        hash,
        hex::encode(Sha256::digest(canonical_json(&sheet).unwrap().as_bytes()))
    );
    // JSON written with other key order and whitespace reads back to the same hash.
    let text = serde_json::to_string_pretty(&sheet).unwrap();
    let read: TermSheet = serde_json::from_str(&text).unwrap();
    assert_eq!(content_hash(&read).unwrap(), hash);
    assert_eq!(
        content_hash(&TermSheet::default()).unwrap(),
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    let mut changed = sheet;
    changed.taxes = Some("Borrower bears all taxes".to_owned());
    assert_ne!(content_hash(&changed).unwrap(), hash);
}

#[test]
fn unknown_fields_and_unknown_measures_do_not_parse() {
    assert!(serde_json::from_value::<TermSheet>(json!({"governing_lw": "KSA"})).is_err());
    assert!(
        serde_json::from_value::<TermSheet>(json!({"measures": [{"kind": "haircut"}]})).is_err()
    );
    let sheet: TermSheet = serde_json::from_value(json!({
        "measures": [{"kind": "fresh_money", "amount": {"amount": "5", "currency": "SAR"},
                      "purpose": {"kind": "protect_collateral"}}]
    }))
    .unwrap();
    assert_eq!(sheet.measures.unwrap()[0].name(), "fresh_money");
}

#[test]
fn the_diff_names_each_changed_leaf_with_before_and_after() {
    let before = full_sheet();
    let mut after = full_sheet();
    after.governing_law = Some("DIFC".to_owned());
    if let Some(schedule) = after.repayment_schedule.as_mut() {
        schedule[1].amount = sar("7000000.00");
        schedule.push(Instalment {
            due: date(2028, 6, 30),
            amount: sar("500000.00"),
            facility: None,
        });
    }
    after.taxes = None;
    let changes = diff(&before, &after).unwrap();
    assert_eq!(
        changes,
        [
            FieldChange {
                path: "governing_law".to_owned(),
                before: json!("Kingdom of Saudi Arabia"),
                after: json!("DIFC"),
            },
            FieldChange {
                path: "repayment_schedule[1].amount.amount".to_owned(),
                before: json!("7500000.00"),
                after: json!("7000000.00"),
            },
            FieldChange {
                path: "repayment_schedule[2]".to_owned(),
                before: Value::Null,
                after: json!({"amount": {"amount": "500000.00", "currency": "SAR"}, "due": "2028-06-30"}),
            },
            FieldChange {
                path: "taxes".to_owned(),
                before: json!("Gross-up for withholding"),
                after: Value::Null,
            },
        ]
    );
}

#[test]
fn the_diff_of_a_sheet_with_itself_is_empty_and_an_added_element_is_one_change() {
    let sheet = full_sheet();
    assert_eq!(diff(&sheet, &sheet).unwrap(), []);
    let changes = diff(&TermSheet::default(), &sheet).unwrap();
    assert_eq!(changes.len(), 20);
    assert!(changes.iter().all(|change| change.before.is_null()));
    assert!(changes.iter().any(|change| change.path == "measures"));
}

#[test]
fn an_offer_submitted_on_day_0_is_open_all_of_day_30_and_lapsed_from_day_31() {
    let riyadh = FixedOffset::east_opt(3 * 3600).unwrap();
    // Submitted at 23:30 in Riyadh on 1 January 2027 (20:30 UTC): day 0 is 1 January there.
    let submitted = date(2027, 1, 1).and_hms_opt(20, 30, 0).unwrap().and_utc();
    let lapses = offer_lapses_at(submitted, OFFER_OPEN_DAYS, riyadh).unwrap();
    // Day 30 is 31 January; day 31 starts at 00:00 on 1 February in Riyadh, 21:00 UTC the day
    // before.
    assert_eq!(
        lapses,
        date(2027, 1, 31).and_hms_opt(21, 0, 0).unwrap().and_utc()
    );
    let last_second_of_day_30 = lapses - chrono::Duration::seconds(1);
    assert_eq!(
        last_second_of_day_30.with_timezone(&riyadh).date_naive(),
        date(2027, 1, 31)
    );
    // In Tokyo the same instant is already 2 January: day 0 is the day in the workout's zone.
    let tokyo = FixedOffset::east_opt(9 * 3600).unwrap();
    assert_eq!(
        offer_lapses_at(submitted, 30, tokyo).unwrap(),
        date(2027, 2, 1).and_hms_opt(15, 0, 0).unwrap().and_utc()
    );
    assert_eq!(
        offer_lapses_at(submitted, 1, riyadh).unwrap(),
        date(2027, 1, 2).and_hms_opt(21, 0, 0).unwrap().and_utc()
    );
}
