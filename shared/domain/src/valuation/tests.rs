//! The hand-computed examples share one setting: valuation date 2026-11-24, 10 % a year
//! (market-based), Actual/365 Fixed, SAR; bank A holds 6,000,000.00 and bank B 4,000,000.00 of
//! a 10,000,000.00 exposure (weights 0.6 and 0.4).
//!
//! Day counts from 2026-11-24 (2027 is not a leap year, 2028 is):
//! - 2026-12-24: 30 days;  2027-05-24: 181 days;  2027-11-24: 365 days;
//! - 2028-11-24: 731 days (365 + 366);  2029-11-23: 1095 days (exactly 3 × 365).
//!
//! Discount factors `1.1^(-days/365)`, worked with a 50-digit calculator
//! (`ln 1.1 = 0.0953101798043248600439521232807650922206`):
//! - 365 days: 1 / 1.1 = 0.909090909090909090909090909091
//! - 1095 days: 1 / 1.331 = 0.751314800901577761081893313298
//! - 181 days: t = 181/365 = 0.495890410958904109589041095890;
//!   t · ln 1.1 = 0.047263404231733697720425573463; exp(−that) = 0.953836120027641568307528428552
//! - 731 days: 1 / 1.21 = 0.826446280991735537190082644628 times
//!   1.1^(−1/365) = exp(−0.000261123780285821534) = 0.999738910309561206036309180171,
//!   = 0.826230504388067112426701801795
//! - 30 days: t = 30/365; exp(−t · ln 1.1) = 0.992196890158975879924484174956

use std::str::FromStr;

use uuid::Uuid;

use super::*;

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

fn sar(text: &str) -> Money {
    Money::new(dec(text), Currency::SAR)
}

fn day(text: &str) -> BoundedDate {
    BoundedDate::parse(text).unwrap()
}

fn pct(text: &str) -> Percentage {
    Percentage::from_str(text).unwrap()
}

fn bank(n: u128) -> InstitutionId {
    InstitutionId::from_uuid(Uuid::from_u128(n))
}

fn assumptions(rate: &str) -> Assumptions {
    Assumptions {
        valuation_date: day("2026-11-24"),
        day_count: DayCount::Actual365Fixed,
        discount: DiscountRate {
            basis: DiscountBasis::MarketBased,
            annual_rate: pct(rate),
            note: "SAIBOR 12M 5.2 % + 4.8 % credit spread, treasury desk 2026-11-20".to_owned(),
        },
        currency: Currency::SAR,
    }
}

fn creditors() -> Vec<CreditorWeight> {
    vec![
        CreditorWeight {
            creditor: bank(1),
            exposure: sar("6000000.00"),
        },
        CreditorWeight {
            creditor: bank(2),
            exposure: sar("4000000.00"),
        },
    ]
}

fn instalment(date: &str, principal: &str, interest: &str) -> Instalment {
    Instalment {
        date: day(date),
        principal: sar(principal),
        interest: sar(interest),
    }
}

fn restructuring() -> Restructuring {
    Restructuring {
        instalments: vec![
            instalment("2027-05-24", "1000000.00", "250000.00"),
            instalment("2027-11-24", "2000000.00", "200000.00"),
            instalment("2028-11-24", "7000000.00", "350000.00"),
        ],
        costs: vec![DatedAmount {
            date: day("2026-11-24"),
            amount: sar("50000.00"),
        }],
    }
}

fn enforcement() -> Enforcement {
    Enforcement {
        collateral: vec![
            CollateralValue {
                description: "Land, Riyadh, title 123".to_owned(),
                value: sar("8000000.00"),
            },
            CollateralValue {
                description: "Assigned receivables".to_owned(),
                value: sar("1000000.00"),
            },
        ],
        haircut: pct("30"),
        legal_costs: sar("400000.00"),
        time_to_recovery: RecoveryTiming::AfterMonths { months: 24 },
    }
}

fn insolvency() -> Insolvency {
    Insolvency {
        claim: sar("10000000.00"),
        recovery_rate: pct("35"),
        costs: sar("600000.00"),
        duration: RecoveryTiming::OnDate {
            date: day("2029-11-23"),
        },
    }
}

fn sale() -> LoanSale {
    LoanSale {
        price: sar("5000000.00"),
        settlement_date: Some(day("2026-12-24")),
    }
}

fn input() -> ComparisonInput {
    ComparisonInput {
        assumptions: assumptions("10"),
        creditors: creditors(),
        restructuring: restructuring(),
        enforcement: enforcement(),
        insolvency: insolvency(),
        loan_sale: Some(sale()),
    }
}

fn field_of(error: ValuationError) -> String {
    match error {
        ValuationError::Invalid { field, .. } => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

#[test]
fn restructuring_npv_matches_the_hand_computed_example_to_the_cent() {
    // −50,000.00 × 1 (advisers, paid today)                       = −50,000.00
    // 1,250,000.00 × 0.953836120027641568307528428552 (181 days)  = 1,192,295.150034551960384410536
    // 2,200,000.00 × 0.909090909090909090909090909091 (365 days)  = 2,000,000.000000000000000000000
    // 7,350,000.00 × 0.826230504388067112426701801795 (731 days)  = 6,072,794.207252293276336258243
    // sum                                                          = 9,215,089.357286845236720668779
    // → 9,215,089.36; bank A 0.6 × sum = 5,529,053.614372107 → 5,529,053.61;
    //   bank B 0.4 × sum = 3,686,035.742914738 → 3,686,035.74.
    let value = value_restructuring(&assumptions("10"), &creditors(), &restructuring()).unwrap();
    assert_eq!(value.npv, sar("9215089.36"));
    assert_eq!(value.per_creditor[0].npv, sar("5529053.61"));
    assert_eq!(value.per_creditor[1].npv, sar("3686035.74"));
    assert_eq!(value.per_creditor[0].weight, dec("0.6"));
    let days: Vec<i64> = value.flows.iter().map(|flow| flow.days).collect();
    assert_eq!(days, [0, 181, 365, 731]);
    assert_eq!(value.flows[0].discount_factor, Decimal::ONE);
    assert_eq!(value.flows[1].discount_factor, dec("0.9538361200"));
    assert_eq!(value.flows[2].discount_factor, dec("0.9090909091"));
    assert_eq!(value.flows[3].discount_factor, dec("0.8262305044"));
    assert_eq!(value.flows[3].present_value, sar("6072794.21"));
}

#[test]
fn enforcement_npv_matches_the_hand_computed_example_to_the_cent() {
    // collateral 8,000,000.00 + 1,000,000.00 = 9,000,000.00; haircut 30 % → 6,300,000.00
    // (below the 10,000,000.00 exposure, so not capped); less legal costs 400,000.00
    // = 5,900,000.00, 24 months after 2026-11-24 = 2028-11-24 (731 days):
    // 5,900,000.00 × 0.826230504388067112426701801795 = 4,874,759.975889595963317540631
    // → 4,874,759.98; bank A × 0.6 = 2,924,855.9855 → 2,924,855.99;
    //   bank B × 0.4 = 1,949,903.9904 → 1,949,903.99.
    let value = value_enforcement(&assumptions("10"), &creditors(), &enforcement()).unwrap();
    assert_eq!(value.npv, sar("4874759.98"));
    assert_eq!(value.per_creditor[0].npv, sar("2924855.99"));
    assert_eq!(value.per_creditor[1].npv, sar("1949903.99"));
    assert_eq!(value.flows.len(), 1);
    assert_eq!(value.flows[0].kind, FlowKind::NetEnforcementRecovery);
    assert_eq!(value.flows[0].amount, sar("5900000.00"));
    assert_eq!(value.flows[0].date.to_string(), "2028-11-24");
    assert_eq!(value.flows[0].days, 731);
}

#[test]
fn insolvency_npv_matches_the_hand_computed_example_to_the_cent() {
    // claim 10,000,000.00 × 35 % = 3,500,000.00, less costs 600,000.00 = 2,900,000.00
    // on 2029-11-23 (1095 days, exactly three years):
    // 2,900,000.00 / 1.331 = 2,900,000.00 × 0.751314800901577761081893313298
    //                      = 2,178,812.922614575507137490609
    // → 2,178,812.92; bank A × 0.6 = 1,307,287.7536 → 1,307,287.75;
    //   bank B × 0.4 = 871,525.1690 → 871,525.17.
    let value = value_insolvency(&assumptions("10"), &creditors(), &insolvency()).unwrap();
    assert_eq!(value.npv, sar("2178812.92"));
    assert_eq!(value.per_creditor[0].npv, sar("1307287.75"));
    assert_eq!(value.per_creditor[1].npv, sar("871525.17"));
    assert_eq!(value.flows[0].discount_factor, dec("0.7513148009"));
}

#[test]
fn loan_sale_npv_matches_the_hand_computed_example_to_the_cent() {
    // 5,000,000.00 on 2026-12-24 (30 days):
    // 5,000,000.00 × 0.992196890158975879924484174956 = 4,960,984.450794879399622420875
    // → 4,960,984.45.
    let value = value_loan_sale(&assumptions("10"), &creditors(), &sale()).unwrap();
    assert_eq!(value.npv, sar("4960984.45"));
    let today = LoanSale {
        settlement_date: None,
        ..sale()
    };
    let value = value_loan_sale(&assumptions("10"), &creditors(), &today).unwrap();
    assert_eq!(value.npv, sar("5000000.00"));
    assert_eq!(value.flows[0].days, 0);
}

#[test]
fn the_comparison_keeps_its_inputs_and_names_the_highest_option() {
    let comparison = compare(&input()).unwrap();
    let npvs: Vec<(OptionKind, Money)> = comparison
        .options
        .iter()
        .map(|option| (option.option, option.npv))
        .collect();
    assert_eq!(
        npvs,
        [
            (OptionKind::Restructuring, sar("9215089.36")),
            (OptionKind::Enforcement, sar("4874759.98")),
            (OptionKind::Insolvency, sar("2178812.92")),
            (OptionKind::LoanSale, sar("4960984.45")),
        ]
    );
    assert_eq!(comparison.highest, OptionKind::Restructuring);
    assert_eq!(comparison.inputs, input());
    assert_eq!(comparison.restructuring_irr.outlay, sar("10000000.00"));
    // The restructuring returns less than the 10 % it is discounted at (its NPV is below the
    // exposure). Its IRR solves −10,050,000 + 1,250,000·v^(181/365) + 2,200,000·v
    // + 7,350,000·v^(731/365) = 0 with v = 1/(1 + r); bisected separately with a 50-digit
    // calculator: r = 4.5521766917042632709 % → 4.552177.
    assert_eq!(comparison.restructuring_irr.annual_rate, dec("4.552177"));
}

#[test]
fn the_comparison_travels_as_json_with_strings_for_decimals() {
    let comparison = compare(&input()).unwrap();
    let json = serde_json::to_value(&comparison).unwrap();
    assert_eq!(json["options"][0]["npv"]["amount"], "9215089.36");
    assert_eq!(
        json["options"][0]["flows"][2]["discount_factor"],
        "0.9090909091"
    );
    assert_eq!(json["inputs"]["assumptions"]["day_count"], "ACT/365F");
    assert_eq!(
        json["inputs"]["assumptions"]["discount"]["basis"],
        "market_based"
    );
    let back: OptionComparison = serde_json::from_value(json).unwrap();
    assert_eq!(back, comparison);
    let input_json = serde_json::to_string(&input()).unwrap();
    assert_eq!(
        serde_json::from_str::<ComparisonInput>(&input_json).unwrap(),
        input()
    );
}

#[test]
fn at_a_rate_of_zero_the_npv_is_the_sum_of_the_flows() {
    // −50,000 + 1,250,000 + 2,200,000 + 7,350,000 = 10,750,000.00
    let value = value_restructuring(&assumptions("0"), &creditors(), &restructuring()).unwrap();
    assert_eq!(value.npv, sar("10750000.00"));
    assert!(
        value
            .flows
            .iter()
            .all(|flow| flow.discount_factor == Decimal::ONE)
    );
}

#[test]
fn a_flow_on_the_valuation_date_is_not_discounted() {
    let today = Restructuring {
        instalments: vec![instalment("2026-11-24", "1000.00", "0.01")],
        costs: vec![],
    };
    let value = value_restructuring(&assumptions("25"), &creditors(), &today).unwrap();
    assert_eq!(value.npv, sar("1000.01"));
    assert_eq!(value.flows[0].days, 0);
}

#[test]
fn discount_factors_are_exact_for_whole_years_and_count_actual_days() {
    assert_eq!(discount_factor(dec("0.1"), 0).unwrap(), Decimal::ONE);
    assert_eq!(
        discount_factor(dec("0.1"), 365).unwrap(),
        Decimal::ONE / dec("1.1")
    );
    assert_eq!(
        discount_factor(dec("0.1"), 1095).unwrap(),
        Decimal::ONE / dec("1.331")
    );
    // 366 days is more than a year under Actual/365 Fixed.
    assert!(discount_factor(dec("0.1"), 366).unwrap() < Decimal::ONE / dec("1.1"));
    // 1.1^(-181/365), see the module comment, to 20 places.
    assert_eq!(
        discount_factor(dec("0.1"), 181).unwrap().round_dp(20),
        dec("0.95383612002764156831")
    );
}

#[test]
fn enforcement_recovers_no_more_than_the_exposure() {
    // 20,000,000 × 0.7 = 14,000,000 is capped at the 10,000,000 exposure, less 400,000
    // legal costs = 9,600,000 at 2028-11-24: 9,600,000 × 0.826230504388067112426701801795
    // = 7,931,812.842125444279296337297 → 7,931,812.84.
    let rich = Enforcement {
        collateral: vec![CollateralValue {
            description: "Tower".to_owned(),
            value: sar("20000000.00"),
        }],
        ..enforcement()
    };
    let value = value_enforcement(&assumptions("10"), &creditors(), &rich).unwrap();
    assert_eq!(value.flows[0].amount, sar("9600000.00"));
    assert_eq!(value.npv, sar("7931812.84"));
}

#[test]
fn the_irr_of_minus_1000_today_and_1100_in_365_days_is_10_percent() {
    let start = day("2026-11-24").get();
    let flows = [
        (start, dec("-1000")),
        (day("2027-11-24").get(), dec("1100")),
    ];
    assert_eq!(internal_rate_of_return(start, &flows).unwrap(), dec("10"));
}

#[test]
fn the_irr_may_be_negative() {
    // −1000 today, +810 in 730 days: 0.81^(1/2) − 1 = −10 %.
    let start = day("2026-11-24").get();
    let flows = [(start, dec("-1000")), (day("2028-11-23").get(), dec("810"))];
    assert_eq!(internal_rate_of_return(start, &flows).unwrap(), dec("-10"));
}

#[test]
fn an_irr_beyond_1000_percent_is_not_searched() {
    // +79.45 % in one day is 1.7945^365 − 1, far above 1000 % a year.
    let start = day("2026-11-24").get();
    let flows = [
        (start, dec("-1000")),
        (day("2026-11-25").get(), dec("1794.5")),
    ];
    assert_eq!(
        internal_rate_of_return(start, &flows),
        Err(ValuationError::NoSignChange)
    );
}

#[test]
fn flows_of_one_sign_have_no_irr() {
    let start = day("2026-11-24").get();
    let flows = [(start, dec("100")), (day("2027-11-24").get(), dec("100"))];
    assert_eq!(
        internal_rate_of_return(start, &flows),
        Err(ValuationError::NoSignChange)
    );
}

#[test]
fn negative_amounts_are_refused_naming_the_field() {
    let mut bad = enforcement();
    bad.collateral[1].value = sar("-1.00");
    assert_eq!(
        field_of(value_enforcement(&assumptions("10"), &creditors(), &bad).unwrap_err()),
        "enforcement.collateral[1].value"
    );
    let mut bad = restructuring();
    bad.instalments[2].interest = sar("-0.01");
    assert_eq!(
        field_of(value_restructuring(&assumptions("10"), &creditors(), &bad).unwrap_err()),
        "restructuring.instalments[2].interest"
    );
    let bad = Insolvency {
        costs: sar("-5"),
        ..insolvency()
    };
    assert_eq!(
        field_of(value_insolvency(&assumptions("10"), &creditors(), &bad).unwrap_err()),
        "insolvency.costs"
    );
    let bad = LoanSale {
        price: sar("-5"),
        ..sale()
    };
    assert_eq!(
        field_of(value_loan_sale(&assumptions("10"), &creditors(), &bad).unwrap_err()),
        "loan_sale.price"
    );
    let mut bad = creditors();
    bad[0].exposure = sar("-1");
    assert_eq!(
        field_of(value_loan_sale(&assumptions("10"), &bad, &sale()).unwrap_err()),
        "creditors[0].exposure"
    );
}

#[test]
fn missing_inputs_are_refused_naming_the_field() {
    let none = Restructuring {
        instalments: vec![],
        costs: vec![],
    };
    assert_eq!(
        field_of(value_restructuring(&assumptions("10"), &creditors(), &none).unwrap_err()),
        "restructuring.instalments"
    );
    let bare = Enforcement {
        collateral: vec![],
        ..enforcement()
    };
    assert_eq!(
        field_of(value_enforcement(&assumptions("10"), &creditors(), &bare).unwrap_err()),
        "enforcement.collateral"
    );
    assert_eq!(
        field_of(value_insolvency(&assumptions("10"), &[], &insolvency()).unwrap_err()),
        "creditors"
    );
    let mut zero = creditors();
    zero[0].exposure = sar("0");
    zero[1].exposure = sar("0");
    assert_eq!(
        field_of(value_insolvency(&assumptions("10"), &zero, &insolvency()).unwrap_err()),
        "creditors"
    );
    let mut unexplained = assumptions("10");
    unexplained.discount.note = "  ".to_owned();
    assert_eq!(
        field_of(value_insolvency(&unexplained, &creditors(), &insolvency()).unwrap_err()),
        "assumptions.discount.note"
    );
    let mut twice = creditors();
    twice[1].creditor = bank(1);
    assert_eq!(
        field_of(value_insolvency(&assumptions("10"), &twice, &insolvency()).unwrap_err()),
        "creditors[1].creditor"
    );
}

#[test]
fn dates_before_the_valuation_date_and_other_currencies_are_refused_naming_the_field() {
    let mut early = restructuring();
    early.instalments[0].date = day("2026-11-23");
    assert_eq!(
        field_of(value_restructuring(&assumptions("10"), &creditors(), &early).unwrap_err()),
        "restructuring.instalments[0].date"
    );
    let past = Insolvency {
        duration: RecoveryTiming::OnDate {
            date: day("2025-01-01"),
        },
        ..insolvency()
    };
    assert_eq!(
        field_of(value_insolvency(&assumptions("10"), &creditors(), &past).unwrap_err()),
        "insolvency.duration.date"
    );
    let dollars = Enforcement {
        legal_costs: Money::new(dec("1"), Currency::USD),
        ..enforcement()
    };
    assert_eq!(
        field_of(value_enforcement(&assumptions("10"), &creditors(), &dollars).unwrap_err()),
        "enforcement.legal_costs"
    );
}

#[test]
fn a_negative_rate_or_haircut_does_not_parse() {
    let mut json = serde_json::to_value(input()).unwrap();
    json["assumptions"]["discount"]["annual_rate"] = "-1".into();
    assert!(serde_json::from_value::<ComparisonInput>(json).is_err());
    let mut json = serde_json::to_value(input()).unwrap();
    json["enforcement"]["haircut"] = "-5".into();
    assert!(serde_json::from_value::<ComparisonInput>(json).is_err());
    let mut json = serde_json::to_value(input()).unwrap();
    json["enforcement"]["legal_costs"]["amount"] = 400.into();
    assert!(serde_json::from_value::<ComparisonInput>(json).is_err());
}

#[test]
fn a_long_horizon_neither_overflows_the_irr_search_nor_the_discounting() {
    // −1000 today, 1000 × 1.1^40 = 45,259.2555681759518 on 2066-11-14 (14,600 days = 40 × 365):
    // 10 %. The search also tries −99 % and +1000 % over those 40 years.
    let start = day("2026-11-24").get();
    let flows = [
        (start, dec("-1000")),
        (day("2066-11-14").get(), dec("45259.2555681759518")),
    ];
    assert_eq!(internal_rate_of_return(start, &flows).unwrap(), dec("10"));
    // 2^-200 is below the smallest positive decimal.
    assert_eq!(
        discount_factor(Decimal::ONE, 200 * 365).unwrap(),
        Decimal::ZERO
    );
    assert!(discount_factor(dec("-1"), 1).is_err());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Discounting the repayment at the IRR found gives back the outlay, to ten units per
        /// million (the IRR is rounded to 1e-6 percent). From a year on and between −50 % and
        /// +200 % in all, the IRR lies within the searched range.
        #[test]
        fn the_irr_discounts_the_repayment_back_to_the_outlay(
            outlay in 1_000u32..10_000_000,
            gain_bp in -5_000i64..20_000,
            days in 365u32..7_300,
        ) {
            let outlay = Decimal::from(outlay);
            let repaid = outlay * (Decimal::ONE + Decimal::new(gain_bp, 4));
            let start = day("2026-11-24").get();
            let end = start + chrono::Days::new(u64::from(days));
            let irr = internal_rate_of_return(start, &[(start, -outlay), (end, repaid)]).unwrap();
            let back = repaid * discount_factor(irr / Decimal::ONE_HUNDRED, days).unwrap();
            let tolerance = outlay * dec("0.00001");
            prop_assert!((back - outlay).abs() <= tolerance, "irr {irr}: {back} vs {outlay}");
        }

        /// At a rate of zero every factor is one; above zero a later flow is worth less.
        #[test]
        fn discount_factors_fall_with_time(rate_bp in 0i64..10_000, days in 0u32..20_000) {
            let rate = Decimal::new(rate_bp, 4);
            let now = discount_factor(rate, days).unwrap();
            let later = discount_factor(rate, days + 1).unwrap();
            prop_assert!(later <= now);
            prop_assert!(now <= Decimal::ONE);
            if rate.is_zero() {
                prop_assert_eq!(now, Decimal::ONE);
            }
        }
    }
}
