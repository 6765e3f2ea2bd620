//! Creditors' schedules (issue 7, items 10 and 12): reading one facility with the `ETag` an edit
//! needs, the withdrawal reason in a facility's history, CSV imports that state their mode
//! (`merge` or `replace`) and take the 5,000 rows the domain allows, and currencies and amounts
//! checked against ISO 4217 (active currencies only, no more decimals than the minor unit), with
//! snapshots rounded to the base currency's minor unit.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::endpoints::workout_path;
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    creditor: Actor,
    other_creditor: Actor,
    borrower: Actor,
    advisor: Actor,
}

/// A workout in `base` with two creditors besides the coordinator, a borrower and an advisor.
async fn open_case(app: &TestApp, base: &str) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-SCHED", "borrower_id": borrower_id, "base_currency": base,
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let mut creditors = Vec::new();
    for n in 0..2 {
        let creditor = app.bank_admin(&format!("Creditor {n}")).await;
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": creditor.institution_id, "role": "creditor",
                        "contacts": [{"name": "Desk", "email": format!("desk{n}@creditor.test"), "language": "en"}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
        creditors.push(creditor);
    }
    let advisor_id = app.institution("advisor", "Counsel").await;
    let advisor = app.user(advisor_id, "member").await;
    let added = app
        .add_participant(
            &coordinator,
            workout,
            &json!({"institution_id": advisor_id, "role": "advisor", "contacts": [{"name": "C", "email": "c@counsel.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let other_creditor = creditors.pop().unwrap();
    Case {
        workout,
        coordinator,
        creditor: creditors.pop().unwrap(),
        other_creditor,
        borrower,
        advisor,
    }
}

fn facility(reference: &str, currency: &str, principal: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": currency, "committed": principal,
        "outstanding_principal": principal, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": false, "class": "unsecured", "related_party": false,
        "collateral": [], "guarantees": []
    })
}

fn header_of(answer: &workout_tests::Answer, name: &str) -> Option<String> {
    answer
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn a_facility_read_alone_gives_the_etag_its_edit_needs_and_a_stale_one_is_refused() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, "SAR").await;
    let w = case.workout;
    let created = app
        .create_facility(&case.creditor, w, &facility("TL-1", "SAR", "1000"))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let id = id_of(&created.json());

    let read = app.facility(&case.creditor, w, id).await;
    assert_eq!(read.status, 200, "{:?}", read.json());
    assert_eq!(read.json()["terms"]["reference"], "TL-1");
    let etag = header_of(&read, "etag").expect("an ETag");
    assert_eq!(etag, "\"1\"");

    let path = workout_path(w, &format!("/facilities/{id}"));
    let edited = app
        .call_with(
            Method::PUT,
            &path,
            Some(&case.creditor.token),
            Some(&facility("TL-1", "SAR", "900")),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(edited.status, 200, "{:?}", edited.json());
    let reread = app.facility(&case.creditor, w, id).await;
    assert_eq!(header_of(&reread, "etag").as_deref(), Some("\"2\""));
    assert_eq!(reread.json()["terms"]["outstanding_principal"], "900");

    // The ETag read before the edit is stale now.
    let stale = app
        .call_with(
            Method::PUT,
            &path,
            Some(&case.creditor.token),
            Some(&facility("TL-1", "SAR", "800")),
            &[("if-match", &etag)],
        )
        .await;
    stale.assert_problem(412, "stale_version");

    // Visibility as the list's: coordinator and borrower read it, the other creditor does not
    // find it, an advisor may not read positions.
    for reader in [&case.coordinator, &case.borrower] {
        let read = app.facility(reader, w, id).await;
        assert_eq!(read.status, 200, "{:?}", read.json());
        assert_eq!(header_of(&read, "etag").as_deref(), Some("\"2\""));
    }
    app.facility(&case.other_creditor, w, id)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.facility(&case.advisor, w, id).await.status, 403);
    app.facility(&case.creditor, w, Uuid::now_v7())
        .await
        .assert_problem(404, "not_found");

    // A withdrawn facility is gone, and says so.
    let withdrawn = app
        .withdraw_facility(
            &case.creditor,
            w,
            id,
            &json!({"reason": "Repaid in full"}),
            Some(2),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{:?}", withdrawn.json());
    app.facility(&case.creditor, w, id)
        .await
        .assert_problem(410, "facility_withdrawn");
}

#[tokio::test]
async fn a_facility_history_shows_why_it_was_withdrawn() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, "SAR").await;
    let w = case.workout;
    let created = app
        .create_facility(&case.creditor, w, &facility("TL-1", "SAR", "1000"))
        .await;
    let id = id_of(&created.json());
    let withdrawn = app
        .withdraw_facility(
            &case.creditor,
            w,
            id,
            &json!({"reason": "  Claim sold to Bank X  "}),
            Some(1),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{:?}", withdrawn.json());
    assert_eq!(withdrawn.json()["reason"], "Claim sold to Bank X");

    for reader in [&case.creditor, &case.coordinator] {
        let history = app.facility_history(reader, w, id).await;
        assert_eq!(history.status, 200, "{:?}", history.json());
        let versions = history.json();
        let versions = versions.as_array().unwrap();
        assert_eq!(versions.len(), 2);
        assert!(versions[0].get("reason").is_none(), "{:?}", versions[0]);
        assert_eq!(versions[1]["withdrawn"], true);
        assert_eq!(versions[1]["reason"], "Claim sold to Bank X");
    }
}

const HEADER: &str = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees_and_penalties,secured,class,related_party\n";

fn row(reference: &str, principal: &str) -> String {
    format!("{reference},term_loan,SAR,{principal},{principal},0,0,0,0,false,unsecured,false\n")
}

/// The references in force that `actor` sees, sorted.
async fn references(app: &TestApp, actor: &Actor, workout: Uuid) -> Vec<String> {
    let listed = app.facilities(actor, workout).await;
    assert_eq!(listed.status, 200, "{:?}", listed.json());
    let mut references: Vec<String> = listed
        .items()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["terms"]["reference"].as_str().unwrap().to_owned())
        .collect();
    references.sort();
    references
}

#[tokio::test]
async fn an_import_states_its_mode_and_replace_withdraws_what_the_file_leaves_out() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, "SAR").await;
    let w = case.workout;
    let schedule = format!(
        "{HEADER}{}{}{}",
        row("A", "100"),
        row("B", "200"),
        row("C", "300")
    );
    let first = app.import_facilities(&case.creditor, w, &schedule).await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    // Another creditor's facility, which the creditor's replace never touches.
    let theirs = app
        .create_facility(&case.other_creditor, w, &facility("X", "SAR", "50"))
        .await;
    assert_eq!(theirs.status, 201, "{:?}", theirs.json());

    // Without a mode, nothing is written and the answer names the parameter.
    let without = app
        .import_facilities_with(&case.creditor, w, "", &format!("{HEADER}{}", row("A", "1")))
        .await;
    without.assert_problem(400, "import_mode_required");
    assert!(
        without.json()["detail"]
            .as_str()
            .unwrap()
            .contains("mode=replace")
    );
    let unknown = app
        .import_facilities_with(&case.creditor, w, "?mode=sync", &schedule)
        .await;
    unknown.assert_problem(400, "invalid_query_parameter");

    // Merge: B is left out of the file and stays.
    let merged = app
        .import_facilities_with(
            &case.creditor,
            w,
            "?mode=merge",
            &format!("{HEADER}{}{}", row("A", "110"), row("C", "330")),
        )
        .await;
    assert_eq!(merged.status, 200, "{:?}", merged.json());
    assert_eq!(merged.json()["withdrawn"], 0);
    assert_eq!(references(&app, &case.creditor, w).await, ["A", "B", "C"]);

    // Replace: B is left out of the file and is withdrawn, with a reason; A and C are updated,
    // D created, the other creditor's X untouched.
    let replaced = app
        .import_facilities_with(
            &case.creditor,
            w,
            "?mode=replace",
            &format!(
                "{HEADER}{}{}{}",
                row("A", "120"),
                row("C", "340"),
                row("D", "1")
            ),
        )
        .await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.json());
    let body = replaced.json();
    assert_eq!(body["created"], 1);
    assert_eq!(body["updated"], 2);
    assert_eq!(body["withdrawn"], 1);
    assert_eq!(body["withdrawn_references"], json!(["B"]));
    assert_eq!(references(&app, &case.creditor, w).await, ["A", "C", "D"]);
    assert_eq!(references(&app, &case.other_creditor, w).await, ["X"]);

    // B's history ends with a withdrawal that says why, and the audit chain has it.
    let first = first.json();
    let b = first["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["terms"]["reference"] == "B")
        .map(id_of)
        .unwrap();
    let history = app.facility_history(&case.creditor, w, b).await.json();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["withdrawn"], true);
    assert!(
        last["reason"].as_str().unwrap().contains("mode=replace"),
        "{last:?}"
    );
    let audit = app.workout_audit(&case.coordinator, w).await;
    let text = String::from_utf8_lossy(&audit.bytes);
    let withdrawals: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry["action"] == "facility_withdrawn")
        .collect();
    assert_eq!(withdrawals.len(), 1, "one withdrawal audited");
    assert_eq!(withdrawals[0]["after"]["id"], json!(b));

    // A replace that fails on a bad row withdraws nothing either.
    let bad = app
        .import_facilities_with(
            &case.creditor,
            w,
            "?mode=replace",
            &format!(
                "{HEADER}{}A,term_loan,SAR,x,1,0,0,0,0,false,unsecured,false\n",
                row("D", "1")
            ),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(references(&app, &case.creditor, w).await, ["A", "C", "D"]);
}

#[tokio::test]
async fn an_import_takes_the_five_thousand_rows_the_domain_allows_and_refuses_more_clearly() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, "SAR").await;
    let w = case.workout;
    // References of the longest allowed length, 60 characters.
    let long = |n: usize| format!("TERM-LOAN-{n:0>50}");
    let mut schedule = HEADER.to_owned();
    for n in 0..5_000 {
        schedule.push_str(&row(&long(n), "1000000.25"));
    }
    assert!(
        schedule.len() > 256 * 1024,
        "larger than the JSON body limit"
    );
    let imported = app
        .import_facilities_with(&case.creditor, w, "?mode=merge", &schedule)
        .await;
    assert_eq!(
        imported.status,
        200,
        "{}",
        String::from_utf8_lossy(&imported.bytes)
    );
    assert_eq!(imported.json()["created"], 5_000);

    // One row more is refused by name, nothing written.
    schedule.push_str(&row(&long(5_000), "1"));
    let refused = app
        .import_facilities_with(&case.creditor, w, "?mode=replace", &schedule)
        .await;
    refused.assert_problem(422, "validation_failed");
    let errors = refused.json()["errors"].clone();
    assert_eq!(errors.as_array().unwrap().len(), 1);
    assert_eq!(errors[0]["field"], "line 5002");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("more than 5000 data rows"),
        "{errors}"
    );

    // A body above the endpoint's limit says how large a schedule may be.
    let huge = format!("{HEADER}{}", "x".repeat(4 * 1024 * 1024));
    let too_large = app
        .import_facilities_with(&case.creditor, w, "?mode=merge", &huge)
        .await;
    too_large.assert_problem(413, "payload_too_large");
    assert!(
        too_large.json()["detail"]
            .as_str()
            .unwrap()
            .contains("5000 rows")
    );
}

/// The fields of a 422's errors.
fn error_fields(answer: &workout_tests::Answer) -> Vec<String> {
    answer.assert_problem(422, "validation_failed");
    answer.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_currency_must_be_an_active_iso_4217_currency_and_amounts_fit_its_minor_unit() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, "SAR").await;
    let w = case.workout;

    // Codes of things that are not currencies, and unknown codes, are refused by name.
    for (code, says) in [
        ("XAU", "precious metal"),
        ("XAG", "precious metal"),
        ("XPT", "precious metal"),
        ("XPD", "precious metal"),
        ("XXX", "no currency"),
        ("XTS", "testing"),
        ("CHE", "fund"),
        ("USN", "fund"),
        ("XDR", "unit of account"),
        ("ABC", "not an active ISO 4217"),
    ] {
        let refused = app
            .create_facility(&case.creditor, w, &facility("TL-1", code, "1000"))
            .await;
        assert_eq!(error_fields(&refused), ["currency"], "{code}");
        let message = refused.json()["errors"][0]["message"].clone();
        assert!(
            message.as_str().unwrap().contains(says),
            "{code}: {message}"
        );
    }
    let csv = format!("{HEADER}TL-1,term_loan,XAU,1,1,0,0,0,0,false,unsecured,false\n");
    let imported = app.import_facilities(&case.creditor, w, &csv).await;
    assert_eq!(error_fields(&imported), ["line 2: currency"]);
    let rates = app
        .set_fx_rates(
            &case.coordinator,
            w,
            "2026-11-20",
            &json!({"rates": {"XAU": "9000"}, "source": "SAMA reference rate"}),
        )
        .await;
    assert_eq!(error_fields(&rates), ["rates.XAU"]);
    let borrower = app.institution("borrower", "Gold Co").await;
    let opened = app
        .open_workout(
            &case.coordinator,
            &json!({"reference": "WO-GOLD", "borrower_id": borrower, "base_currency": "XAU",
                    "governing_law": "KSA", "opened_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(error_fields(&opened), ["base_currency"]);

    // Amounts have no more decimals than the currency's minor unit: KWD 3, JPY 0, SAR 2.
    let mut kwd = facility("TL-KWD", "KWD", "1000.125");
    let created = app.create_facility(&case.creditor, w, &kwd).await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    assert_eq!(created.json()["terms"]["outstanding_principal"], "1000.125");
    kwd["reference"] = json!("TL-KWD-2");
    kwd["accrued_interest"] = json!("0.1255");
    let refused = app.create_facility(&case.creditor, w, &kwd).await;
    assert_eq!(error_fields(&refused), ["accrued_interest"]);
    assert!(
        refused.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 3 decimal places in KWD")
    );
    let mut jpy = facility("TL-JPY", "JPY", "1000000");
    jpy["fees_and_penalties"] = json!("0.5");
    let refused = app.create_facility(&case.creditor, w, &jpy).await;
    assert_eq!(error_fields(&refused), ["fees_and_penalties"]);
    let sar = facility("TL-SAR", "SAR", "1000.125");
    let refused = app.create_facility(&case.creditor, w, &sar).await;
    assert_eq!(
        error_fields(&refused),
        ["committed", "outstanding_principal"]
    );
    let mut covered = facility("TL-COV", "SAR", "1000");
    covered["collateral"] = json!([{"kind": "real_estate", "valuation": {"amount": "900000.5", "currency": "JPY"},
        "valued_on": "2026-06-30", "ranking": 1}]);
    let refused = app.create_facility(&case.creditor, w, &covered).await;
    assert_eq!(error_fields(&refused), ["collateral[0].valuation"]);
    let csv = format!("{HEADER}TL-CSV,term_loan,JPY,1,1.5,0,0,0,0,false,unsecured,false\n");
    let imported = app.import_facilities(&case.creditor, w, &csv).await;
    assert_eq!(error_fields(&imported), ["line 2: outstanding_principal"]);
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// Every facility line of a snapshot: (reference, exposure, base exposure).
fn lines(snapshot: &Value) -> Vec<(String, String, String)> {
    let mut lines = Vec::new();
    for creditor in snapshot["creditors"].as_array().unwrap() {
        for line in creditor["facilities"].as_array().unwrap() {
            lines.push((
                line["reference"].as_str().unwrap().to_owned(),
                line["exposure"]["amount"].as_str().unwrap().to_owned(),
                line["base_exposure"]["amount"].as_str().unwrap().to_owned(),
            ));
        }
    }
    lines.sort();
    lines
}

#[tokio::test]
async fn snapshot_amounts_round_to_the_base_currencys_minor_unit() {
    let app = TestApp::spawn().await;

    // A KWD workout: 3 places.
    let case = open_case(&app, "KWD").await;
    let w = case.workout;
    for body in [
        facility("TL-KWD", "KWD", "1000.125"),
        facility("TL-USD", "USD", "1000.25"),
    ] {
        let created = app.create_facility(&case.creditor, w, &body).await;
        assert_eq!(created.status, 201, "{:?}", created.json());
    }
    let rates = app
        .set_fx_rates(
            &case.coordinator,
            w,
            "2026-11-20",
            &json!({"rates": {"USD": "0.3075"}, "source": "CBK reference rate"}),
        )
        .await;
    assert_eq!(rates.status, 200, "{:?}", rates.json());
    let snapshot = app.snapshot(&case.coordinator, w, &today()).await;
    assert_eq!(snapshot.status, 200, "{:?}", snapshot.json());
    let snapshot = snapshot.json();
    // 1,000.25 USD × 0.3075 = 307.576875 → 307.577 KWD (not 307.58).
    assert_eq!(
        lines(&snapshot),
        [
            ("TL-KWD".into(), "1000.125".into(), "1000.125".into()),
            ("TL-USD".into(), "1000.25".into(), "307.577".into()),
        ]
    );
    assert_eq!(snapshot["base"], "KWD");
    assert_eq!(snapshot["total"]["amount"], "1307.702");

    // A JPY workout: whole yen. 1,000.25 USD × 150.5 = 150,537.625 → 150,538 JPY.
    let borrower = app.institution("borrower", "Yen Co").await;
    let opened = app
        .open_workout(
            &case.coordinator,
            &json!({"reference": "WO-JPY", "borrower_id": borrower, "base_currency": "JPY",
                    "governing_law": "KSA", "opened_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let yen = id_of(&opened.json());
    let created = app
        .create_facility(
            &case.coordinator,
            yen,
            &facility("TL-USD", "USD", "1000.25"),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    app.set_fx_rates(
        &case.coordinator,
        yen,
        "2026-11-20",
        &json!({"rates": {"USD": "150.5"}, "source": "BOJ reference rate"}),
    )
    .await;
    let snapshot = app.snapshot(&case.coordinator, yen, &today()).await.json();
    assert_eq!(
        lines(&snapshot),
        [("TL-USD".into(), "1000.25".into(), "150538".into())]
    );
    assert_eq!(snapshot["total"]["amount"], "150538");
}

const SECURITY_HEADER: &str =
    "reference,cover,kind,description,amount,currency,valued_on,ranking,guarantor\n";

#[tokio::test]
async fn collateral_and_guarantees_come_in_a_second_csv_or_stay_as_they_are() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, "SAR").await;
    let w = case.workout;
    let guarantor = app.institution("borrower", "Parent Holding").await;
    let added = app
        .add_participant(
            &case.coordinator,
            w,
            &json!({"institution_id": guarantor, "role": "guarantor", "contacts": [{"name": "Legal", "email": "legal@parent.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let mut kept = facility("KEPT", "SAR", "100");
    kept["collateral"] = json!([{"kind": "share_pledge", "valuation": {"amount": "50", "currency": "SAR"},
        "valued_on": "2026-06-30", "ranking": 1}]);
    kept["secured"] = json!(true);
    for body in [
        kept,
        facility("A", "SAR", "1000"),
        facility("B", "SAR", "2000"),
    ] {
        let created = app.create_facility(&case.creditor, w, &body).await;
        assert_eq!(created.status, 201, "{:?}", created.json());
    }
    let csv = format!(
        "{HEADER}{}{}{}",
        row("KEPT", "110"),
        row("A", "1000"),
        row("B", "2000")
    );
    let imported = app.import_facilities(&case.creditor, w, &csv).await;
    assert_eq!(imported.status, 200, "{:?}", imported.json());

    // Bad rows are named by line and column, and nothing is written: first the file's form...
    let malformed = format!(
        "{SECURITY_HEADER}\
         A,pledge,,,,,,,\n\
         B,guarantee,,,500,SAR,2026-06-30,,not-an-id\n"
    );
    let refused = app.import_security(&case.creditor, w, &malformed).await;
    assert_eq!(
        error_fields(&refused),
        ["line 2: cover", "line 3: valued_on", "line 3: guarantor"]
    );
    // ... then what the file says against the workout and the currencies.
    let bad = format!(
        "{SECURITY_HEADER}\
         A,collateral,real_estate,Warehouse,900000.5,JPY,2026-06-30,1,\n\
         B,guarantee,,,500,SAR,,,{}\n\
         Z,none,,,,,,,\n",
        Uuid::now_v7()
    );
    let refused = app.import_security(&case.creditor, w, &bad).await;
    assert_eq!(
        error_fields(&refused),
        ["line 2: amount", "line 3: guarantor", "line 4: reference"]
    );

    let good = format!(
        "{SECURITY_HEADER}\
         A,collateral,real_estate,\"Warehouse, Jeddah\",900000,SAR,2026-06-30,1,\n\
         A,guarantee,,,500.50,USD,,,{guarantor}\n\
         B,collateral,receivables,,250000,SAR,2026-09-30,2,\n"
    );
    let imported = app.import_security(&case.creditor, w, &good).await;
    assert_eq!(imported.status, 200, "{:?}", imported.json());
    assert_eq!(imported.json()["updated"], 2);
    let listed = app.facilities(&case.creditor, w).await.items();
    let terms_of = |reference: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["terms"]["reference"] == reference)
            .unwrap()["terms"]
            .clone()
    };
    let a = terms_of("A");
    assert_eq!(a["collateral"][0]["description"], "Warehouse, Jeddah");
    assert_eq!(a["guarantees"][0]["amount"]["amount"], "500.50");
    assert_eq!(a["guarantees"][0]["guarantor"], json!(guarantor));
    assert_eq!(terms_of("B")["collateral"][0]["ranking"], 2);
    // A facility the file does not name keeps its collateral, and the balances stay.
    let kept = terms_of("KEPT");
    assert_eq!(kept["collateral"][0]["kind"], "share_pledge");
    assert_eq!(kept["outstanding_principal"], "110");
    assert_eq!(a["outstanding_principal"], "1000");

    // `none` clears a facility's collateral and guarantees.
    let cleared = app
        .import_security(
            &case.creditor,
            w,
            &format!("{SECURITY_HEADER}A,none,,,,,,,\n"),
        )
        .await;
    assert_eq!(cleared.status, 200, "{:?}", cleared.json());
    let a = &cleared.json()["facilities"][0]["terms"];
    assert_eq!(a["collateral"], json!([]));
    assert_eq!(a["guarantees"], json!([]));
}
