//! The whole debt picture: claims of creditors that do not take part on the platform, recorded by
//! the coordinator, read back as of a date, withdrawn with a reason, and audited.

use chrono::Utc;
use serde_json::json;
use workout_tests::endpoints::workout_path;
use workout_tests::{TestApp, id_of};

#[tokio::test]
async fn the_coordinator_records_claims_of_creditors_not_on_the_platform_and_they_read_back() {
    let app = TestApp::spawn().await;
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-DEBT", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": "2026-11-02"}),
        )
        .await;
    let w = id_of(&opened.json());
    let creditor = app.bank_admin("Creditor Bank").await;
    let advisor_id = app.institution("advisor", "Counsel").await;
    let advisor = app.user(advisor_id, "member").await;
    for (institution, role) in [
        (creditor.institution_id, "creditor"),
        (advisor_id, "advisor"),
    ] {
        let added = app
            .add_participant(
                &coordinator,
                w,
                &json!({"institution_id": institution, "role": role,
                        "contacts": [{"name": "Desk", "email": "desk@p.test", "language": "en"}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
    }
    let path = workout_path(w, "/other-claims");

    // Bad input names every field and stores nothing; only the coordinator records.
    let bad = app
        .post(
            &path,
            &coordinator,
            &json!({"claimant": " ", "kind": "bank", "currency": "SAR", "amount": "-1"}),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    let problem = bad.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["claimant", "kind", "amount"]);
    let tax = json!({"claimant": "Zakat, Tax and Customs Authority", "kind": "tax_and_zakat",
                     "currency": "SAR", "amount": "1250000.50", "note": "Assessment 2025"});
    app.post(&path, &creditor, &tax)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.get(&path, &coordinator).await.items(), json!([]));

    let recorded = app.post(&path, &coordinator, &tax).await;
    assert_eq!(recorded.status, 201, "{:?}", recorded.json());
    let claim = recorded.json();
    assert_eq!(claim["kind"], "tax_and_zakat");
    assert_eq!(
        claim["preferential"], true,
        "taxes are priority claims (5.1.5 B)"
    );
    assert_eq!(
        claim["amount"],
        json!({"amount": "1250000.5", "currency": "SAR"})
    );
    let trade = app
        .post(
            &path,
            &coordinator,
            &json!({"claimant": "Steel Supplier LLC", "kind": "trade_creditor", "currency": "USD", "amount": "80000"}),
        )
        .await;
    assert_eq!(trade.status, 201, "{:?}", trade.json());
    assert_eq!(trade.json()["preferential"], false);

    // The coordinator, the borrower and creditors read them; an advisor does not.
    for reader in [&coordinator, &borrower, &creditor] {
        let claims = app.get(&path, reader).await.items();
        assert_eq!(claims.as_array().unwrap().len(), 2, "{claims}");
    }
    app.get(&path, &advisor)
        .await
        .assert_problem(403, "forbidden");

    // Withdrawn with a reason: gone from today's list, still in the history, once only.
    let withdraw = format!("{path}/{}/withdraw", id_of(&trade.json()));
    app.post(&withdraw, &coordinator, &json!({"reason": ""}))
        .await
        .assert_problem(422, "validation_failed");
    let withdrawn = app
        .post(&withdraw, &coordinator, &json!({"reason": "Paid in full"}))
        .await;
    assert_eq!(withdrawn.status, 200, "{:?}", withdrawn.json());
    assert_eq!(withdrawn.json()["withdrawn_reason"], "Paid in full");
    app.post(&withdraw, &coordinator, &json!({"reason": "Again"}))
        .await
        .assert_problem(409, "already_withdrawn");
    let now = app.get(&path, &coordinator).await.items();
    assert_eq!(now.as_array().unwrap().len(), 1);
    assert_eq!(now[0]["claimant"], "Zakat, Tax and Customs Authority");
    let all = app
        .get(&format!("{path}?include_withdrawn=true"), &coordinator)
        .await
        .items();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let yesterday = (Utc::now().date_naive() - chrono::Days::new(1)).to_string();
    let before = app
        .get(&format!("{path}?as_of={yesterday}"), &coordinator)
        .await
        .items();
    assert_eq!(before, json!([]), "nothing was recorded before today");

    // Audited on the workout's chain.
    let audit = String::from_utf8(app.workout_audit(&coordinator, w).await.bytes).unwrap();
    assert!(audit.contains("other_claim_recorded"), "{audit}");
    assert!(audit.contains("other_claim_withdrawn"));
}

#[tokio::test]
async fn the_coordinator_decides_who_is_a_related_party_and_the_decisions_are_kept() {
    let app = TestApp::spawn().await;
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-RELATED", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": "2026-11-02"}),
        )
        .await;
    let w = id_of(&opened.json());
    let sister = app.bank_admin("Sister Bank").await;
    let added = app
        .add_participant(
            &coordinator,
            w,
            &json!({"institution_id": sister.institution_id, "role": "creditor",
                    "contacts": [{"name": "Desk", "email": "desk@sister.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let decide =
        |institution: uuid::Uuid| workout_path(w, &format!("/related-parties/{institution}"));
    let body = json!({"related_party": true, "reason": "Same group as the borrower"});
    // A creditor cannot declare itself; the borrower is not a creditor.
    app.put(&decide(sister.institution_id), &sister, &body)
        .await
        .assert_problem(403, "forbidden");
    app.put(&decide(borrower_id), &coordinator, &body)
        .await
        .assert_problem(422, "validation_failed");
    app.put(
        &decide(sister.institution_id),
        &coordinator,
        &json!({"related_party": true, "reason": " "}),
    )
    .await
    .assert_problem(422, "validation_failed");

    let decided = app
        .put(&decide(sister.institution_id), &coordinator, &body)
        .await;
    assert_eq!(decided.status, 200, "{:?}", decided.json());
    let lifted = app
        .put(
            &decide(sister.institution_id),
            &coordinator,
            &json!({"related_party": false, "reason": "Shares sold in 2025"}),
        )
        .await;
    assert_eq!(lifted.status, 200, "{:?}", lifted.json());
    let decisions = app
        .get(&workout_path(w, "/related-parties"), &sister)
        .await
        .items();
    let kept: Vec<(bool, &str)> = decisions
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["related_party"].as_bool().unwrap(),
                d["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            (true, "Same group as the borrower"),
            (false, "Shares sold in 2025")
        ]
    );
    let audit = String::from_utf8(app.workout_audit(&coordinator, w).await.bytes).unwrap();
    assert_eq!(audit.matches("related_party_decided").count(), 2, "{audit}");
}

fn facility(reference: &str, facility_type: &str, amount: &str) -> serde_json::Value {
    json!({
        "reference": reference, "facility_type": facility_type, "currency": "SAR",
        "committed": amount, "outstanding_principal": amount, "accrued_interest": "0",
        "past_due": "0", "days_past_due": 0, "fees_and_penalties": "0", "secured": false,
        "class": "unsecured", "related_party": false, "collateral": [], "guarantees": []
    })
}

#[tokio::test]
async fn the_snapshot_shows_contingents_apart_the_coordinators_related_parties_and_the_whole_debt()
{
    let app = TestApp::spawn().await;
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-PICTURE", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": "2026-11-02"}),
        )
        .await;
    let w = id_of(&opened.json());
    let mut banks = Vec::new();
    for name in ["Lender Bank", "Group Bank"] {
        let bank = app.bank_admin(name).await;
        let added = app
            .add_participant(
                &coordinator,
                w,
                &json!({"institution_id": bank.institution_id, "role": "creditor",
                        "contacts": [{"name": "Desk", "email": "desk@bank.test", "language": "en"}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
        banks.push(bank);
    }
    let (lender, group) = (&banks[0], &banks[1]);
    for (bank, body) in [
        (lender, facility("L-1", "term_loan", "1000")),
        (group, facility("G-1", "term_loan", "200")),
        (
            group,
            facility("G-LG", "guarantee_or_letter_of_credit", "500"),
        ),
    ] {
        let created = app.create_facility(bank, w, &body).await;
        assert_eq!(created.status, 201, "{:?}", created.json());
    }
    let related = app
        .put(
            &workout_path(w, &format!("/related-parties/{}", group.institution_id)),
            &coordinator,
            &json!({"related_party": true, "reason": "Same group as the borrower"}),
        )
        .await;
    assert_eq!(related.status, 200, "{:?}", related.json());
    let claim = app
        .post(
            &workout_path(w, "/other-claims"),
            &coordinator,
            &json!({"claimant": "ZATCA", "kind": "tax_and_zakat", "currency": "SAR", "amount": "300"}),
        )
        .await;
    assert_eq!(claim.status, 201, "{:?}", claim.json());

    let today = Utc::now().date_naive().to_string();
    let whole = app.snapshot(&coordinator, w, &today).await;
    assert_eq!(whole.status, 200, "{:?}", whole.json());
    let whole = whole.json();
    let line = |bank: &workout_tests::Actor| {
        whole["creditors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|line| line["creditor"] == json!(bank.institution_id))
            .cloned()
            .unwrap()
    };
    let group_line = line(group);
    assert_eq!(group_line["funded"]["amount"], "200.00");
    assert_eq!(group_line["contingent"]["amount"], "500.00");
    assert_eq!(
        group_line["exposure"]["amount"], "700.00",
        "contingents count at 100%"
    );
    assert_eq!(
        group_line["related_party"], true,
        "the coordinator's decision"
    );
    assert_eq!(line(lender)["related_party"], false);
    assert_eq!(whole["settings"]["contingent_weight"], "100");
    assert_eq!(
        group_line["stale"], false,
        "balances as at today by default"
    );
    assert_eq!(whole["total"]["amount"], "1700.00");
    assert_eq!(whole["total_contingent"]["amount"], "500.00");
    assert_eq!(whole["total_other_claims"]["amount"], "300.00");
    assert_eq!(whole["total_debt"]["amount"], "2000.00");
    assert_eq!(whole["other_claims"][0]["claimant"], "ZATCA");
    assert_eq!(whole["other_claims"][0]["preferential"], true);

    let csv = app
        .get(
            &workout_path(w, &format!("/exposures/export.csv?as_of={today}")),
            &coordinator,
        )
        .await;
    assert_eq!(csv.status, 200);
    let csv = String::from_utf8(csv.bytes).unwrap();
    assert!(
        csv.lines().any(|row| row.contains(",other_claim,")
            && row.contains("ZATCA")
            && row.ends_with(",300.00,")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|row| row.contains(",total_debt,") && row.contains("2000.00")),
        "{csv}"
    );

    // The creditors agree to count contingents at half and penalties not at all; the lender's
    // facility carries 30 of penalties and its balances are as at last month.
    let penalised = app
        .create_facility(
            lender,
            w,
            &json!({
                "reference": "L-2", "facility_type": "overdraft", "currency": "SAR",
                "committed": "100", "outstanding_principal": "100", "accrued_interest": "0",
                "past_due_principal": "100", "days_past_due": 40, "fees_and_penalties": "30",
                "penalties": "30", "secured": false, "class": "unsecured", "related_party": false,
                "position_date": (Utc::now().date_naive() - chrono::Days::new(30)).to_string(),
                "collateral": [], "guarantees": []
            }),
        )
        .await;
    assert_eq!(penalised.status, 201, "{:?}", penalised.json());
    let settings = app
        .set_exposure_settings(
            &coordinator,
            w,
            &json!({"contingent_weight": "50", "penalties_in_weight": false,
                    "reason": "Creditors' meeting of 20 November, minute 3"}),
        )
        .await;
    assert_eq!(settings.status, 200, "{:?}", settings.json());
    let weighed = app.snapshot(&coordinator, w, &today).await.json();
    let line = |bank: &workout_tests::Actor| {
        weighed["creditors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|line| line["creditor"] == json!(bank.institution_id))
            .cloned()
            .unwrap()
    };
    let group_line = line(group);
    assert_eq!(group_line["contingent"]["amount"], "500.00", "shown whole");
    assert_eq!(
        group_line["exposure"]["amount"], "450.00",
        "200 + 500 at 50%"
    );
    let lender_line = line(lender);
    assert_eq!(lender_line["funded"]["amount"], "1130.00");
    assert_eq!(
        lender_line["exposure"]["amount"], "1100.00",
        "penalties left out"
    );
    assert_eq!(lender_line["stale"], true, "{lender_line}");
    assert_eq!(weighed["settings"]["penalties_in_weight"], false);
    assert_eq!(weighed["total"]["amount"], "1550.00");
    assert_eq!(weighed["total_debt"]["amount"], "2130.00");

    // A creditor sees the claims and the whole debt, but not the contingent total, which here
    // is the other creditor's own figure.
    let own = app.snapshot(lender, w, &today).await.json();
    assert_eq!(own["total_debt"]["amount"], "2130.00");
    assert!(own.get("total_contingent").is_none(), "{own}");
    assert!(!own.to_string().contains("500.00"), "{own}");
}
