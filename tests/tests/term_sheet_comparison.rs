//! Option comparisons of a term sheet's version over HTTP (guideline 5.2.6, 5.3.1 I): the
//! coordinator compares restructuring on the version's schedule with enforcement of the
//! registry's collateral, insolvency and a loan sale, weighted by a frozen snapshot; the NPVs per
//! option and per creditor are checked against values computed by hand below; the comparison is
//! kept with its inputs; bad input stores nothing; creditors read comparisons, the borrower and
//! outsiders do not.
//!
//! The case, computed by hand (10 % a year, ACT/365F, valuation date 2029-01-01, so that every
//! flow falls whole 365-day years away: 2030-01-01 is 365 days on, 2031-01-01 730 days on):
//! - Bank A's facility is 6,000,000.00 SAR, bank B's 4,000,000.00 SAR: weights 0.6 and 0.4, total
//!   10,000,000.00.
//! - Restructuring: 5,500,000.00 on 2030-01-01 and 6,050,000.00 on 2031-01-01:
//!   5,500,000 / 1.1 + 6,050,000 / 1.21 = 5,000,000 + 5,000,000 = 10,000,000.00; A 6,000,000.00,
//!   B 4,000,000.00. Against the 10,000,000 outlay on the valuation date the IRR is exactly 10 %.
//! - Enforcement: collateral 5,000,000.00 (A's warehouse) + 1,000,000.00 (B's shares) =
//!   6,000,000; less the 30 % haircut 4,200,000 (below the 10,000,000 cap); less 200,000 legal
//!   costs 4,000,000, received 24 months on (2031-01-01): 4,000,000 / 1.21 = 3,305,785.1239… →
//!   3,305,785.12; A 0.6 × 3,305,785.1239… = 1,983,471.0743… → 1,983,471.07; B 0.4 × … =
//!   1,322,314.0495… → 1,322,314.05.
//!   With the warehouse revalued at 6,000,000.00: 7,000,000 × 0.7 − 200,000 = 4,700,000;
//!   4,700,000 / 1.21 = 3,884,297.5206… → 3,884,297.52.
//! - Insolvency: the claim is the snapshot's total 10,000,000; 35 % recovered = 3,500,000, less
//!   300,000 costs = 3,200,000, 12 months on (2030-01-01): 3,200,000 / 1.1 = 2,909,090.9090… →
//!   2,909,090.91; A 0.6 × … = 1,745,454.5454… → 1,745,454.55; B 0.4 × … = 1,163,636.3636… →
//!   1,163,636.36.
//! - Loan sale: 5,000,000.00 on the valuation date: 5,000,000.00; A 3,000,000.00, B 2,000,000.00.
//! - The highest is the restructuring.

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::endpoints::term_sheet_path;
use workout_tests::{Actor, Answer, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    borrower: Actor,
    advisor: Actor,
    bank_a: Actor,
    bank_b: Actor,
    facility_a: Uuid,
    facility_b: Uuid,
    snapshot: Uuid,
    term_sheet: Uuid,
}

fn collateral(kind: &str, description: &str, amount: &str, currency: &str) -> Value {
    json!({"kind": kind, "description": description,
           "valuation": {"amount": amount, "currency": currency},
           "valued_on": "2026-10-01", "ranking": 1})
}

fn facility(reference: &str, amount: &str, collateral: &[Value]) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR", "committed": amount,
        "outstanding_principal": amount, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": true, "class": "secured", "related_party": false,
        "collateral": collateral, "guarantees": []
    })
}

fn warehouse(amount: &str) -> Value {
    collateral("real_estate_mortgage", "Warehouse, Jeddah", amount, "SAR")
}

fn shares() -> Value {
    collateral(
        "share_pledge",
        "Shares of Distressed Logistics",
        "1000000.00",
        "SAR",
    )
}

fn schedule() -> Value {
    json!({
        "borrower": {"description": "Distressed Co", "sector": "other"},
        "repayment_schedule": [
            {"due": "2030-01-01", "amount": {"amount": "5500000.00", "currency": "SAR"}},
            {"due": "2031-01-01", "amount": {"amount": "6050000.00", "currency": "SAR"}}
        ]
    })
}

/// A workout with a borrower, an advisor and two creditor banks whose facilities carry
/// collateral, a frozen snapshot of today and a term sheet with a schedule.
async fn case(app: &TestApp) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-NPV", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "contacts": [{"name": "Desk", "email": "desk@coordinator.test", "language": "en"}],
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let firm = app.institution("advisor", "Advisory Firm").await;
    let advisor = app.user(firm, "member").await;
    let bank_a = app.bank_admin("Creditor Bank A").await;
    let bank_b = app.bank_admin("Creditor Bank B").await;
    for (institution, role, email) in [
        (firm, "advisor", "advisor@member.test"),
        (bank_a.institution_id, "creditor", "a@member.test"),
        (bank_b.institution_id, "creditor", "b@member.test"),
    ] {
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": institution, "role": role,
                        "contacts": [{"name": "Desk", "email": email, "language": "en"}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
    }
    let created = app
        .create_facility(
            &bank_a,
            workout,
            &facility("A-1", "6000000.00", &[warehouse("5000000.00")]),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let facility_a = id_of(&created.json());
    let created = app
        .create_facility(
            &bank_b,
            workout,
            &facility("B-1", "4000000.00", &[shares()]),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let facility_b = id_of(&created.json());
    let today = Utc::now().date_naive().to_string();
    let frozen = app.freeze_snapshot(&coordinator, workout, &today).await;
    assert_eq!(frozen.status, 201, "{:?}", frozen.json());
    let sheet = app
        .create_term_sheet(
            &coordinator,
            workout,
            &json!({"title": "Restructuring of Distressed Co", "content": schedule()}),
        )
        .await;
    assert_eq!(sheet.status, 201, "{:?}", sheet.json());
    Case {
        workout,
        coordinator,
        borrower,
        advisor,
        bank_a,
        bank_b,
        facility_a,
        facility_b,
        snapshot: id_of(&frozen.json()),
        term_sheet: id_of(&sheet.json()),
    }
}

fn request(case: &Case) -> Value {
    json!({
        "snapshot_id": case.snapshot,
        "assumptions": {
            "valuation_date": "2029-01-01", "day_count": "ACT/365F",
            "discount": {"basis": "risk_adjusted", "annual_rate": "10",
                         "note": "Credit committee rate for stage 3 exposures"}
        },
        "enforcement": {"haircut": "30", "legal_costs": {"amount": "200000.00", "currency": "SAR"},
                        "time_to_recovery": {"kind": "after_months", "months": 24}},
        "insolvency": {"recovery_rate": "35", "costs": {"amount": "300000.00", "currency": "SAR"},
                       "duration": {"kind": "after_months", "months": 12}},
        "loan_sale": {"price": {"amount": "5000000.00", "currency": "SAR"},
                      "settlement_date": "2029-01-01"}
    })
}

fn comparisons_path(case: &Case, sheet: Uuid, version: i32) -> String {
    term_sheet_path(
        case.workout,
        &format!("/{sheet}/versions/{version}/comparisons"),
    )
}

async fn compare(app: &TestApp, case: &Case, body: &Value) -> Answer {
    app.post(
        &comparisons_path(case, case.term_sheet, 1),
        &case.coordinator,
        body,
    )
    .await
}

async fn stored_count(app: &TestApp, case: &Case) -> usize {
    let list = app
        .get(
            &comparisons_path(case, case.term_sheet, 1),
            &case.coordinator,
        )
        .await;
    assert_eq!(list.status, 200, "{:?}", list.json());
    list.items().as_array().map_or(0, Vec::len)
}

async fn events(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use workout_store::schema::outbox;
    let mut conn = app.pool("voting").get().await.unwrap();
    outbox::table
        .filter(outbox::topic.eq("voting.term_sheet_compared"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

/// The option `kind` of a comparison's result.
fn option<'a>(comparison: &'a Value, kind: &str) -> &'a Value {
    comparison["result"]["options"]
        .as_array()
        .and_then(|options| options.iter().find(|o| o["option"] == kind))
        .unwrap_or_else(|| panic!("no option {kind} in {comparison}"))
}

/// The option's NPV, in total and for each of `creditors`.
fn npvs(comparison: &Value, kind: &str, creditors: &[&Actor]) -> (String, Vec<String>) {
    let option = option(comparison, kind);
    let per = creditors
        .iter()
        .map(|creditor| {
            option["per_creditor"]
                .as_array()
                .and_then(|lines| {
                    lines
                        .iter()
                        .find(|line| line["creditor"] == json!(creditor.institution_id))
                })
                .map(|line| line["npv"]["amount"].as_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("no line for a creditor in {option}"))
        })
        .collect();
    (option["npv"]["amount"].as_str().unwrap().to_owned(), per)
}

fn owned(total: &str, per: [&str; 2]) -> (String, Vec<String>) {
    (
        total.to_owned(),
        per.iter().map(|s| (*s).to_owned()).collect(),
    )
}

#[tokio::test]
async fn the_npvs_per_option_and_per_creditor_are_the_hand_computed_ones_and_kept_with_their_inputs()
 {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let banks = [&case.bank_a, &case.bank_b];

    let compared = compare(&app, &case, &request(&case)).await;
    assert_eq!(compared.status, 201, "{:?}", compared.json());
    let first = compared.json();
    assert_eq!(
        npvs(&first, "restructuring", &banks),
        owned("10000000.00", ["6000000.00", "4000000.00"])
    );
    assert_eq!(
        npvs(&first, "enforcement", &banks),
        owned("3305785.12", ["1983471.07", "1322314.05"])
    );
    assert_eq!(
        npvs(&first, "insolvency", &banks),
        owned("2909090.91", ["1745454.55", "1163636.36"])
    );
    assert_eq!(
        npvs(&first, "loan_sale", &banks),
        owned("5000000.00", ["3000000.00", "2000000.00"])
    );
    assert_eq!(first["result"]["highest"], "restructuring");
    assert_eq!(first["result"]["restructuring_irr"]["annual_rate"], "10");
    assert_eq!(
        first["result"]["restructuring_irr"]["outlay"]["amount"],
        "10000000.00"
    );
    // The schedule's amounts are principal, without interest.
    let flows = &option(&first, "restructuring")["flows"];
    assert_eq!(flows[0]["days"], 365);
    assert_eq!(flows[0]["present_value"]["amount"], "5000000.00");
    assert_eq!(flows[1]["days"], 730);
    assert_eq!(
        first["result"]["inputs"]["restructuring"]["instalments"][1]["interest"]["amount"],
        "0"
    );

    // Kept with its assumptions and sources: the snapshot, the collateral as read.
    assert_eq!(first["snapshot_id"], json!(case.snapshot));
    assert_eq!(first["version"], 1);
    assert_eq!(first["input"]["snapshot"]["base"], "SAR");
    assert_eq!(first["result"]["inputs"]["assumptions"]["currency"], "SAR");
    assert_eq!(
        first["result"]["inputs"]["assumptions"]["discount"]["note"],
        "Credit committee rate for stage 3 exposures"
    );
    assert_eq!(
        first["result"]["inputs"]["insolvency"]["claim"]["amount"],
        "10000000.00"
    );
    let used = first["input"]["collateral"].as_array().unwrap();
    assert_eq!(used.len(), 2);
    let facilities: Vec<&Value> = used.iter().map(|c| &c["facility_id"]).collect();
    assert!(facilities.contains(&&json!(case.facility_a)), "{used:?}");
    assert!(facilities.contains(&&json!(case.facility_b)), "{used:?}");
    let id = id_of(&first);
    let path = format!("{}/{id}", comparisons_path(&case, case.term_sheet, 1));
    let read = app.get(&path, &case.bank_b).await;
    assert_eq!(read.status, 200, "{:?}", read.json());
    assert_eq!(read.json()["result"], first["result"]);
    assert_eq!(events(&app).await, 1);

    // The warehouse is revalued in the registry: a new comparison on the same snapshot takes the
    // new value; the first comparison keeps the old one.
    let edited = app
        .edit_facility(
            &case.bank_a,
            case.workout,
            case.facility_a,
            &facility("A-1", "6000000.00", &[warehouse("6000000.00")]),
            Some(1),
        )
        .await;
    assert_eq!(edited.status, 200, "{:?}", edited.json());
    let again = compare(&app, &case, &request(&case)).await;
    assert_eq!(again.status, 201, "{:?}", again.json());
    assert_eq!(
        option(&again.json(), "enforcement")["npv"]["amount"],
        "3884297.52"
    );
    assert_eq!(
        option(&again.json(), "restructuring")["npv"]["amount"],
        "10000000.00"
    );
    let kept = app.get(&path, &case.coordinator).await.json();
    assert_eq!(option(&kept, "enforcement")["npv"]["amount"], "3305785.12");
    assert_eq!(stored_count(&app, &case).await, 2);
}

#[tokio::test]
async fn bad_input_answers_422_naming_the_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;

    let mut blank_note = request(&case);
    blank_note["assumptions"]["discount"]["note"] = json!("  ");
    let answer = compare(&app, &case, &blank_note).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(
        answer.json()["errors"][0]["field"],
        "assumptions.discount.note"
    );

    let mut in_dollars = request(&case);
    in_dollars["enforcement"]["legal_costs"] = json!({"amount": "1.00", "currency": "USD"});
    let answer = compare(&app, &case, &in_dollars).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(
        answer.json()["errors"][0]["field"],
        "enforcement.legal_costs"
    );

    let mut too_late = request(&case);
    too_late["assumptions"]["valuation_date"] = json!("2030-06-30");
    let answer = compare(&app, &case, &too_late).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(
        answer.json()["errors"][0]["field"],
        "repayment_schedule[0].due"
    );

    let mut unknown = request(&case);
    unknown["snapshot_id"] = json!(Uuid::now_v7());
    let answer = compare(&app, &case, &unknown).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.json()["errors"][0]["field"], "snapshot_id");

    // The collateral is the registry's, never the caller's.
    let mut with_collateral = request(&case);
    with_collateral["enforcement"]["collateral"] = json!([]);
    let answer = compare(&app, &case, &with_collateral).await;
    answer.assert_problem(422, "validation_failed");
    assert!(
        answer.json()["errors"][0]["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("enforcement.collateral")),
        "{:?}",
        answer.json()
    );

    // A version without a schedule.
    let bare = app
        .create_term_sheet(
            &case.coordinator,
            case.workout,
            &json!({"title": "Heads of terms"}),
        )
        .await;
    assert_eq!(bare.status, 201, "{:?}", bare.json());
    let answer = app
        .post(
            &comparisons_path(&case, id_of(&bare.json()), 1),
            &case.coordinator,
            &request(&case),
        )
        .await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.json()["errors"][0]["field"], "repayment_schedule");

    // A collateral in a currency the snapshot has no rate for.
    let edited = app
        .edit_facility(
            &case.bank_b,
            case.workout,
            case.facility_b,
            &facility(
                "B-1",
                "4000000.00",
                &[
                    shares(),
                    collateral("cash_deposit", "Account in New York", "100.00", "USD"),
                ],
            ),
            Some(1),
        )
        .await;
    assert_eq!(edited.status, 200, "{:?}", edited.json());
    let answer = compare(&app, &case, &request(&case)).await;
    answer.assert_problem(422, "validation_failed");
    let error = &answer.json()["errors"][0];
    assert!(
        error["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("enforcement.collateral[")),
        "{error}"
    );
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains("USD")),
        "{error}"
    );

    assert_eq!(stored_count(&app, &case).await, 0);
    assert_eq!(events(&app).await, 0);
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_replays_the_first_comparison() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let path = comparisons_path(&case, case.term_sheet, 1);
    let body = request(&case);
    let send = || {
        app.call_with(
            Method::POST,
            &path,
            Some(&case.coordinator.token),
            Some(&body),
            &[("idempotency-key", "compare-once")],
        )
    };
    let first = send().await;
    assert_eq!(first.status, 201, "{:?}", first.json());
    let second = send().await;
    assert_eq!(second.status, 201, "{:?}", second.json());
    assert_eq!(id_of(&first.json()), id_of(&second.json()));
    assert_eq!(stored_count(&app, &case).await, 1);
    assert_eq!(events(&app).await, 1);
}

#[tokio::test]
async fn creditors_read_comparisons_the_borrower_does_not_and_outsiders_get_404() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let compared = compare(&app, &case, &request(&case)).await;
    assert_eq!(compared.status, 201, "{:?}", compared.json());
    let id = id_of(&compared.json());
    let list = comparisons_path(&case, case.term_sheet, 1);
    let one = format!("{list}/{id}");

    for bank in [&case.bank_a, &case.bank_b] {
        let page = app.get(&list, bank).await;
        assert_eq!(page.status, 200, "{:?}", page.json());
        assert_eq!(page.items()[0]["id"], json!(id));
        assert_eq!(app.get(&one, bank).await.status, 200);
        // Only the coordinator compares.
        app.post(&list, bank, &request(&case))
            .await
            .assert_problem(403, "forbidden");
    }
    for who in [&case.borrower, &case.advisor] {
        app.get(&list, who).await.assert_problem(403, "forbidden");
        app.get(&one, who).await.assert_problem(403, "forbidden");
        app.post(&list, who, &request(&case))
            .await
            .assert_problem(403, "forbidden");
    }
    app.get(&format!("{list}/{}", Uuid::now_v7()), &case.coordinator)
        .await
        .assert_problem(404, "not_found");
    app.get(
        &comparisons_path(&case, case.term_sheet, 2),
        &case.coordinator,
    )
    .await
    .assert_problem(404, "not_found");

    let outsider = app.outsider().await;
    let body = request(&case);
    for (method, path, body) in [
        (Method::POST, &list, Some(&body)),
        (Method::GET, &list, None),
        (Method::GET, &one, None),
    ] {
        app.call(method.clone(), path, Some(&outsider.token), body)
            .await
            .assert_problem(404, "not_found");
        for token in [None, Some("not-a-token")] {
            let answer = app.call(method.clone(), path, token, body).await;
            assert_eq!(answer.status, 401, "{method} {path} with {token:?}");
        }
    }
}

#[tokio::test]
async fn the_registry_lists_the_collateral_as_of_a_date_to_services_only() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let service = app.service_token("voting").await;
    let today = Utc::now().date_naive();
    let path = |workout: Uuid, query: &str| {
        format!("/registry/v1/internal/workouts/{workout}/collateral?as_of={today}{query}")
    };
    let first = app
        .call(
            Method::GET,
            &path(case.workout, "&limit=1"),
            Some(&service),
            None,
        )
        .await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    let cursor = first.json()["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .call(
            Method::GET,
            &path(case.workout, &format!("&limit=1&cursor={cursor}")),
            Some(&service),
            None,
        )
        .await;
    assert_eq!(second.status, 200, "{:?}", second.json());
    assert!(second.json()["next_cursor"].is_null());
    let items: Vec<Value> = [first.items(), second.items()]
        .iter()
        .flat_map(|page| page.as_array().unwrap().clone())
        .collect();
    assert_eq!(items.len(), 2);
    let of_a = items
        .iter()
        .find(|f| f["facility_id"] == json!(case.facility_a))
        .unwrap();
    assert_eq!(of_a["creditor"], json!(case.bank_a.institution_id));
    assert_eq!(
        of_a["collateral"],
        json!([{"creditor": case.bank_a.institution_id, "facility_id": case.facility_a,
                "kind": "real_estate_mortgage", "description": "Warehouse, Jeddah",
                "valuation": {"amount": "5000000.00", "currency": "SAR"},
                "valued_on": "2026-10-01", "ranking": 1}])
    );
    // Before the facilities were recorded there was none.
    let before = app
        .call(
            Method::GET,
            &format!(
                "/registry/v1/internal/workouts/{}/collateral?as_of=2026-01-01",
                case.workout
            ),
            Some(&service),
            None,
        )
        .await;
    assert_eq!(before.items(), json!([]));
    app.call(Method::GET, &path(Uuid::now_v7(), ""), Some(&service), None)
        .await
        .assert_problem(404, "not_found");
    app.call(
        Method::GET,
        &path(case.workout, ""),
        Some(&case.coordinator.token),
        None,
    )
    .await
    .assert_problem(401, "invalid_token");
}
