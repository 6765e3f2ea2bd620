//! Hold the line: drift is measured facility by facility in its own currency, principal and
//! commitment apart from interest, and at the reference date's rates, so that a cancelled
//! commitment shows as a reduction and an exchange-rate move never does.

use chrono::{Days, Utc};
use diesel_async::SimpleAsyncConnection;
use serde_json::{Value, json};
use workout_tests::{TestApp, id_of};

fn facility(reference: &str, currency: &str, committed: &str, principal: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "revolving", "currency": currency,
        "committed": committed, "outstanding_principal": principal, "accrued_interest": "10",
        "past_due": "0", "days_past_due": 0, "fees_and_penalties": "0", "secured": false,
        "class": "unsecured", "related_party": false, "collateral": [], "guarantees": []
    })
}

#[tokio::test]
async fn a_cancelled_commitment_is_a_reduction_and_an_fx_move_is_not() {
    let app = TestApp::spawn().await;
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-HOLD", "borrower_id": borrower, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": "2026-11-02"}),
        )
        .await;
    let w = id_of(&opened.json());
    let mut banks = Vec::new();
    for name in ["SAR Bank", "Dollar Bank"] {
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
    let (sar_bank, dollar_bank) = (&banks[0], &banks[1]);
    let today = Utc::now().date_naive();
    let reference = (today - Days::new(2)).to_string();
    let revolver = app
        .create_facility(sar_bank, w, &facility("RCF-1", "SAR", "1000", "600"))
        .await;
    assert_eq!(revolver.status, 201, "{:?}", revolver.json());
    let loan = app
        .create_facility(dollar_bank, w, &facility("USD-1", "USD", "1000", "1000"))
        .await;
    assert_eq!(loan.status, 201, "{:?}", loan.json());
    for (date, usd) in [(reference.as_str(), "3.75"), (&today.to_string(), "3.50")] {
        let set = app
            .set_fx_rates(
                &coordinator,
                w,
                date,
                &json!({"rates": {"USD": usd}, "source": "SAMA reference rate"}),
            )
            .await;
        assert_eq!(set.status, 200, "{:?}", set.json());
    }
    // Both facilities and the reference date's rates as if entered three days ago, before the
    // reference date.
    let mut conn = app.pool("registry").get().await.unwrap();
    conn.batch_execute(&format!(
        "UPDATE facility_versions SET valid_from = valid_from - interval '3 days';
         UPDATE fx_rate_versions SET entered_at = entered_at - interval '3 days'
          WHERE rate_date = '{reference}';"
    ))
    .await
    .unwrap();
    // The SAR bank cancels 400 of its undrawn commitment; the dollar loan stays as it was.
    let cancelled = app
        .edit_facility(
            sar_bank,
            w,
            id_of(&revolver.json()),
            &facility("RCF-1", "SAR", "600", "600"),
            Some(1),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{:?}", cancelled.json());

    let report = app
        .drift(&coordinator, w, &reference, &today.to_string())
        .await;
    assert_eq!(report.status, 200, "{:?}", report.json());
    let report = report.json();
    assert_eq!(report["rates_date"], reference);
    let line_of = |bank: &workout_tests::Actor| {
        report["creditors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|line| line["creditor"] == json!(bank.institution_id))
            .cloned()
            .unwrap()
    };
    let sar = line_of(sar_bank);
    assert_eq!(sar["reduced"], true, "{sar}");
    let revolver_line = &sar["facilities"][0];
    assert_eq!(revolver_line["reductions"], json!(["commitment_reduced"]));
    assert_eq!(revolver_line["committed"]["change"]["amount"], "-400");
    assert_eq!(
        revolver_line["outstanding_principal"]["change"]["amount"],
        "0"
    );
    assert_eq!(
        sar["exposure_at_reference_rates"]["change"]["amount"],
        "0.00"
    );

    let dollar = line_of(dollar_bank);
    assert_eq!(dollar["reduced"], false, "an FX move alone: {dollar}");
    assert_eq!(dollar["facilities"][0]["measured_in"], "USD");
    assert_eq!(dollar["facilities"][0]["reductions"], json!([]));
    assert_eq!(
        dollar["exposure_at_reference_rates"]["reference"]["amount"],
        "3787.50"
    );
    assert_eq!(
        dollar["exposure_at_reference_rates"]["change"]["amount"],
        "0.00"
    );
    // The snapshot of today does show the lower SAR value of the dollar loan: it is the drift that
    // ignores it.
    let now = app
        .snapshot(&coordinator, w, &today.to_string())
        .await
        .json();
    let dollar_now = now["creditors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["creditor"] == json!(dollar_bank.institution_id))
        .cloned()
        .unwrap();
    assert_eq!(dollar_now["exposure"]["amount"], "3535.00");

    // Only the coordinator reads it.
    app.drift(sar_bank, w, &reference, &today.to_string())
        .await
        .assert_problem(403, "forbidden");
}
