//! Facility terms that banks can agree on (issue 7, item 5): past due split into principal,
//! interest and fees, each checked against its own component; penalties; the position date
//! ("balances as at"); and the per-workout exposure settings, kept as history.

use chrono::{Days, FixedOffset, Utc};
use diesel_async::SimpleAsyncConnection;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_registry::workouts::settings::settings_at;
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    creditor: Actor,
}

async fn open_case(app: &TestApp) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-TERMS", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let creditor = app.bank_admin("Creditor Bank").await;
    let added = app
        .add_participant(
            &coordinator,
            workout,
            &json!({"institution_id": creditor.institution_id, "role": "creditor",
                    "contacts": [{"name": "Desk", "email": "desk@creditor.test", "language": "ar"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    Case {
        workout,
        coordinator,
        creditor,
    }
}

/// A facility of 1,000,000 principal, 12,500 interest and 750 fees, nothing past due.
fn facility(reference: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR",
        "committed": "1000000", "outstanding_principal": "1000000.00",
        "accrued_interest": "12500.00", "days_past_due": 0, "fees_and_penalties": "750.00",
        "secured": false, "class": "unsecured", "related_party": false
    })
}

/// Today in Riyadh (the workout's `SA` calendar).
fn riyadh_today() -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(3 * 3600).unwrap())
        .date_naive()
}

fn fields(answer: &Value) -> Vec<String> {
    answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_past_due_part_is_checked_against_its_own_component() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let mut body = facility("TL-1");
    body["past_due_interest"] = json!("12500.01");
    body["days_past_due"] = json!(30);
    let refused = app
        .create_facility(&case.creditor, case.workout, &body)
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(fields(&refused.json()), ["past_due_interest"]);
    let message = refused.json()["errors"][0]["message"].to_string();
    assert!(message.contains("accrued_interest"), "{message}");

    body["past_due_interest"] = json!("2500.00");
    body["past_due_principal"] = json!("40000.00");
    body["past_due_fees"] = json!("750.00");
    body["penalties"] = json!("250.00");
    let created = app
        .create_facility(&case.creditor, case.workout, &body)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let terms = &created.json()["terms"];
    assert_eq!(terms["past_due"], "43250.00");
    assert_eq!(terms["past_due_principal"], "40000.00");
    assert_eq!(terms["past_due_interest"], "2500.00");
    assert_eq!(terms["past_due_fees"], "750.00");
    assert_eq!(terms["penalties"], "250.00");
    // Penalties are part of fees and penalties, not more.
    body["reference"] = json!("TL-2");
    body["penalties"] = json!("750.01");
    let refused = app
        .create_facility(&case.creditor, case.workout, &body)
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(fields(&refused.json()), ["penalties"]);
}

#[tokio::test]
async fn a_past_due_amount_given_only_as_a_total_is_refused_unless_it_is_zero() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let mut body = facility("TL-1");
    body["past_due"] = json!("40000.00");
    body["days_past_due"] = json!(45);
    let refused = app
        .create_facility(&case.creditor, case.workout, &body)
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(fields(&refused.json()), ["past_due"]);
    let message = refused.json()["errors"][0]["message"].to_string();
    assert!(
        message.contains("past_due_principal") && message.contains("split"),
        "{message}"
    );
    // With the split, past_due must be their sum.
    body["past_due_principal"] = json!("30000.00");
    let refused = app
        .create_facility(&case.creditor, case.workout, &body)
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(fields(&refused.json()), ["past_due"]);
    body["past_due_principal"] = json!("40000.00");
    let created = app
        .create_facility(&case.creditor, case.workout, &body)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    // An old client's zero past due is still fine.
    let mut old = facility("TL-OLD");
    old["past_due"] = json!("0");
    let created = app
        .create_facility(&case.creditor, case.workout, &old)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    assert_eq!(created.json()["terms"]["past_due_principal"], "0");
}

#[tokio::test]
async fn a_schedule_with_the_new_columns_imports_and_an_old_one_still_does() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let yesterday = riyadh_today().checked_sub_days(Days::new(1)).unwrap();
    let csv = format!(
        "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due_principal,past_due_interest,past_due_fees,days_past_due,fees_and_penalties,penalties,secured,class,related_party,position_date\n\
         N-1,term_loan,SAR,1000,900,50,100,20,5,60,10,4,false,unsecured,false,{yesterday}\n\
         N-2,overdraft,SAR,500,500,0,0,0,0,0,0,,false,unsecured,false,\n"
    );
    let imported = app
        .import_facilities(&case.creditor, case.workout, &csv)
        .await;
    assert_eq!(imported.status, 200, "{:?}", imported.json());
    let facilities = imported.json()["facilities"].as_array().unwrap().clone();
    let n1 = facilities
        .iter()
        .find(|f| f["terms"]["reference"] == "N-1")
        .unwrap();
    assert_eq!(n1["terms"]["past_due"], "125");
    assert_eq!(n1["terms"]["penalties"], "4");
    assert_eq!(n1["terms"]["position_date"], yesterday.to_string());
    let n2 = facilities
        .iter()
        .find(|f| f["terms"]["reference"] == "N-2")
        .unwrap();
    assert_eq!(n2["terms"]["position_date"], riyadh_today().to_string());

    let old = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees_and_penalties,secured,class,related_party\n\
               O-1,term_loan,SAR,100,100,0,0,0,0,false,unsecured,false\n";
    let imported = app
        .import_facilities(&case.creditor, case.workout, old)
        .await;
    assert_eq!(imported.status, 200, "{:?}", imported.json());
    let overdue = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees_and_penalties,secured,class,related_party\n\
                   O-2,term_loan,SAR,100,100,0,10,30,0,false,unsecured,false\n";
    let refused = app
        .import_facilities(&case.creditor, case.workout, overdue)
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(fields(&refused.json()), ["line 2: past_due"]);
}

#[tokio::test]
async fn a_position_date_after_today_is_refused_and_the_default_is_today() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let today = riyadh_today();
    let mut body = facility("TL-1");
    body["position_date"] = json!(today.checked_add_days(Days::new(1)).unwrap().to_string());
    let refused = app
        .create_facility(&case.creditor, case.workout, &body)
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(fields(&refused.json()), ["position_date"]);

    body.as_object_mut().unwrap().remove("position_date");
    let created = app
        .create_facility(&case.creditor, case.workout, &body)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    assert_eq!(created.json()["terms"]["position_date"], today.to_string());
    let id = id_of(&created.json());
    // Reading it back gives the same date.
    let shown = app.facility(&case.creditor, case.workout, id).await;
    assert_eq!(shown.json()["terms"]["position_date"], today.to_string());
}

#[tokio::test]
async fn exposure_settings_are_recorded_as_history_by_the_coordinator_only_and_audited() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    // No version yet: the defaults.
    let shown = app.exposure_settings(&case.creditor, w, "").await;
    assert_eq!(shown.status, 200, "{:?}", shown.json());
    assert_eq!(shown.json()["current"]["contingent_weight"], "100");
    assert_eq!(shown.json()["current"]["penalties_in_weight"], true);
    assert_eq!(shown.json()["defaults"], true);

    // A creditor cannot change them.
    let change = json!({"contingent_weight": "50", "penalties_in_weight": false,
                        "reason": "Creditors' meeting of 3 March 2027, minute 4"});
    let refused = app.set_exposure_settings(&case.creditor, w, &change).await;
    refused.assert_problem(403, "forbidden");
    // The coordinator needs a reason, and a weight within 0-100.
    let mut no_reason = change.clone();
    no_reason["reason"] = json!(" ");
    app.set_exposure_settings(&case.coordinator, w, &no_reason)
        .await
        .assert_problem(422, "validation_failed");
    let mut too_much = change.clone();
    too_much["contingent_weight"] = json!("100.5");
    let refused = app
        .set_exposure_settings(&case.coordinator, w, &too_much)
        .await;
    assert_eq!(refused.status, 422, "{:?}", refused.json());

    let first = app
        .set_exposure_settings(&case.coordinator, w, &change)
        .await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    assert_eq!(first.json()["contingent_weight"], "50");
    let mut second = change.clone();
    second["contingent_weight"] = json!("75");
    second["reason"] = json!("Creditors' meeting of 10 March 2027, minute 2");
    let second = app
        .set_exposure_settings(&case.coordinator, w, &second)
        .await;
    assert_eq!(second.status, 200, "{:?}", second.json());

    let shown = app.exposure_settings(&case.creditor, w, "").await;
    let state = shown.json();
    assert_eq!(state["defaults"], false);
    assert_eq!(state["current"]["contingent_weight"], "75");
    assert_eq!(state["current"]["penalties_in_weight"], false);
    let history = state["history"]["items"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["contingent_weight"], "50");
    assert_eq!(
        history[0]["reason"],
        "Creditors' meeting of 3 March 2027, minute 4"
    );
    assert_eq!(history[1]["contingent_weight"], "75");
    // Paginated.
    let page = app.exposure_settings(&case.creditor, w, "?limit=1").await;
    assert_eq!(page.json()["history"]["items"].as_array().unwrap().len(), 1);
    assert!(page.json()["history"]["next_cursor"].is_string());

    let audit = app.workout_audit(&case.coordinator, w).await;
    let audit = String::from_utf8_lossy(&audit.bytes).to_string();
    assert_eq!(
        audit.matches("exposure_settings_changed").count(),
        2,
        "{audit}"
    );
}

#[tokio::test]
async fn terms_stored_before_the_split_are_migrated_and_still_read() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let mut body = facility("TL-OLD");
    body["past_due_principal"] = json!("40000.00");
    body["past_due_interest"] = json!("2500.00");
    body["days_past_due"] = json!(45);
    let created = app
        .create_facility(&case.creditor, case.workout, &body)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let id = id_of(&created.json());
    // Make the stored terms look as the old code wrote them (a past_due total only, no penalties,
    // no position date), recorded two days ago, then apply the migration's data step again.
    let mut conn = app.pool("registry").get().await.unwrap();
    conn.batch_execute(&format!(
        "UPDATE facility_versions SET valid_from = valid_from - interval '2 days', \
         terms = terms - 'past_due_principal' - 'past_due_interest' - 'past_due_fees' \
         - 'penalties' - 'position_date' WHERE facility_id = '{id}'"
    ))
    .await
    .unwrap();
    conn.batch_execute(include_str!(
        "../../migrations/registry/2026-11-24-005000_facility_terms_split/up.sql"
    ))
    .await
    .unwrap();
    let shown = app.facility(&case.creditor, case.workout, id).await;
    assert_eq!(shown.status, 200, "{:?}", shown.json());
    let terms = &shown.json()["terms"];
    // The total is split principal first, capped at the principal.
    assert_eq!(terms["past_due"], "42500.00");
    assert_eq!(terms["past_due_principal"], "42500.00");
    assert_eq!(terms["past_due_interest"], "0.00");
    assert_eq!(terms["penalties"], "0");
    let two_days_ago = riyadh_today().checked_sub_days(Days::new(2)).unwrap();
    assert_eq!(terms["position_date"], two_days_ago.to_string());
}

#[tokio::test]
async fn the_settings_in_force_at_an_instant_do_not_change_when_they_change_later() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    let workout = workout_domain::WorkoutId::from_uuid(w);
    let pool = app.pool("registry");
    let mut conn = pool.get().await.unwrap();
    let before_any = Utc::now();
    let change = json!({"contingent_weight": "50", "penalties_in_weight": false,
                        "reason": "Creditors' meeting of 3 March 2027, minute 4"});
    let first = app
        .set_exposure_settings(&case.coordinator, w, &change)
        .await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    let between = Utc::now();
    let mut later = change.clone();
    later["contingent_weight"] = json!("0");
    later["penalties_in_weight"] = json!(true);
    let second = app
        .set_exposure_settings(&case.coordinator, w, &later)
        .await;
    assert_eq!(second.status, 200, "{:?}", second.json());

    let defaults = settings_at(&mut conn, workout, Some(before_any))
        .await
        .unwrap();
    assert_eq!(defaults, workout_domain::ExposureSettings::default());
    let then = settings_at(&mut conn, workout, Some(between))
        .await
        .unwrap();
    assert_eq!(then.contingent_weight.value().to_string(), "50");
    assert!(!then.penalties_in_weight);
    let now = settings_at(&mut conn, workout, None).await.unwrap();
    assert_eq!(now.contingent_weight.value().to_string(), "0");
    assert!(now.penalties_in_weight);
}

#[tokio::test]
async fn collateral_makes_a_facility_secured_and_a_secured_one_without_collateral_is_flagged() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    let warehouse = json!([{"kind": "real_estate", "description": "Warehouse, Jeddah",
        "valuation": {"amount": "900000", "currency": "SAR"}, "valued_on": "2026-06-30", "ranking": 1}]);
    let mut pledged_but_unsecured = facility("F-1");
    pledged_but_unsecured["collateral"] = warehouse.clone();
    let refused = app
        .create_facility(&case.creditor, w, &pledged_but_unsecured)
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.json()["errors"][0]["field"], "secured");

    let mut declared = facility("F-2");
    declared["secured"] = json!(true);
    let flagged = app.create_facility(&case.creditor, w, &declared).await;
    assert_eq!(flagged.status, 201, "{:?}", flagged.json());
    assert_eq!(
        flagged.json()["warnings"],
        json!(["secured_without_collateral"])
    );

    // The security CSV gives an unsecured facility collateral: it becomes secured.
    let plain = app
        .create_facility(&case.creditor, w, &facility("F-3"))
        .await;
    assert_eq!(plain.status, 201, "{:?}", plain.json());
    assert_eq!(plain.json()["warnings"], json!([]));
    let imported = app
        .import_security(
            &case.creditor,
            w,
            "reference,cover,kind,description,amount,currency,valued_on,ranking,guarantor\n\
             F-3,collateral,real_estate,Warehouse,900000,SAR,2026-06-30,1,\n",
        )
        .await;
    assert_eq!(imported.status, 200, "{:?}", imported.json());
    let now = app
        .facility(&case.creditor, w, id_of(&plain.json()))
        .await
        .json();
    assert_eq!(now["terms"]["secured"], true, "{now}");
    assert_eq!(now["warnings"], json!([]));
}
