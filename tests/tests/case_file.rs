//! The case file: creditors' facilities (by API and CSV), their dated history, FX rates,
//! record-date snapshots whose totals a person can check by hand, drift, and the borrower's
//! information requests.

use chrono::{Days, Utc};
use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::{Value, json};
use uuid::Uuid;
use workout_store::schema::scheduled_jobs;
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    creditors: Vec<Actor>,
    borrower: Actor,
    advisor: Actor,
}

async fn open_case(app: &TestApp, creditor_count: usize) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-CASE", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@distressed.test", "language": "ar"}]}),
        )
        .await;
    let workout = id_of(&opened.json());
    let mut creditors = Vec::new();
    for n in 0..creditor_count {
        let creditor = app.bank_admin(&format!("Creditor {n}")).await;
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": creditor.institution_id, "role": "creditor",
                        "contacts": [{"name": "Desk", "email": format!("desk{n}@creditor.test"), "language": "ar"}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
        creditors.push(creditor);
    }
    let advisor_id = app.institution("advisor", "Counsel").await;
    let advisor = app.user(advisor_id, "member").await;
    app.add_participant(
        &coordinator,
        workout,
        &json!({"institution_id": advisor_id, "role": "advisor", "contacts": [{"name": "C", "email": "c@counsel.test", "language": "en"}]}),
    )
    .await;
    Case {
        workout,
        coordinator,
        creditors,
        borrower,
        advisor,
    }
}

fn facility(
    reference: &str,
    currency: &str,
    principal: &str,
    interest: &str,
    fees: &str,
    class: &str,
) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": currency, "committed": principal,
        "outstanding_principal": principal, "accrued_interest": interest, "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": fees, "secured": class == "secured", "class": class, "related_party": false,
        "collateral": [], "guarantees": []
    })
}

fn today() -> String {
    Utc::now().date_naive().to_string()
}

#[tokio::test]
async fn five_creditors_in_three_currencies_give_a_snapshot_a_person_can_check() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 4).await;
    let w = case.workout;
    // The coordinator is a creditor too: five creditors in all.
    let entries = [
        (
            &case.coordinator,
            facility("C-1", "SAR", "1000000.00", "25000.50", "0", "secured"),
        ),
        (
            &case.creditors[0],
            facility("A-1", "USD", "200000", "1000", "500", "unsecured"),
        ),
        (
            &case.creditors[1],
            facility("B-1", "EUR", "100000", "0", "0", "unsecured"),
        ),
        (
            &case.creditors[2],
            facility("D-1", "SAR", "50000", "0.25", "0", "unsecured"),
        ),
    ];
    for (creditor, body) in &entries {
        let created = app.create_facility(creditor, w, body).await;
        assert_eq!(created.status, 201, "{:?}", created.json());
    }
    let csv = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due_principal,days_past_due,fees_and_penalties,secured,class,related_party\n\
               E-1,overdraft,USD,10000,8000,20,100,45,0,false,unsecured,false\n\
               E-2,term_loan,SAR,30000,30000,0,0,0,0,true,secured,no\n";
    let imported = app.import_facilities(&case.creditors[3], w, csv).await;
    assert_eq!(imported.status, 200, "{:?}", imported.json());
    assert_eq!(imported.json()["created"], 2);

    let date = today();
    let missing = app.snapshot(&case.coordinator, w, &date).await;
    missing.assert_problem(422, "missing_fx_rates");
    let detail = missing.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("EUR") && detail.contains("USD"), "{detail}");

    let rates = app
        .set_fx_rates(
            &case.coordinator,
            w,
            &date,
            &json!({"rates": {"USD": "3.75", "EUR": "4.0512"}, "source": "SAMA reference rate"}),
        )
        .await;
    assert_eq!(rates.status, 200, "{:?}", rates.json());

    let snapshot = app.snapshot(&case.coordinator, w, &date).await.json();
    // By hand: C-1 1,025,000.50 SAR; A-1 (200,000 + 1,000 + 500) × 3.75 = 755,625.00;
    // B-1 100,000 × 4.0512 = 405,120.00; D-1 50,000.25; E-1 (8,000 + 20) × 3.75 = 30,075.00 and
    // E-2 30,000.00, so creditor 3 holds 60,075.00. Total 2,295,820.75.
    assert_eq!(
        snapshot["total"],
        json!({"amount": "2295820.75", "currency": "SAR"})
    );
    let amounts: Vec<&str> = snapshot["creditors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["exposure"]["amount"].as_str().unwrap())
        .collect();
    let mut sorted = amounts.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "1025000.50",
            "405120.00",
            "50000.25",
            "60075.00",
            "755625.00"
        ]
    );
    let rates_used: Vec<(&str, &str)> = snapshot["rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["currency"].as_str().unwrap(), r["rate"].as_str().unwrap()))
        .collect();
    assert!(
        rates_used.contains(&("USD", "3.75")) && rates_used.contains(&("EUR", "4.0512")),
        "{rates_used:?}"
    );
    let hash = snapshot["content_hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);
    assert_eq!(
        app.snapshot(&case.borrower, w, &date).await.json()["content_hash"],
        hash.as_str(),
        "same inputs, same hash"
    );

    // A creditor sees its own line and the totals only; an advisor sees none of it.
    let own = app.snapshot(&case.creditors[1], w, &date).await.json();
    assert_eq!(own["creditors"].as_array().unwrap().len(), 1);
    assert_eq!(own["creditors"][0]["exposure"]["amount"], "405120.00");
    assert_eq!(own["total"]["amount"], "2295820.75");
    app.snapshot(&case.advisor, w, &date)
        .await
        .assert_problem(403, "forbidden");
    app.facilities(&case.advisor, w)
        .await
        .assert_problem(403, "forbidden");
    let visible = app.facilities(&case.creditors[0], w).await.items();
    assert_eq!(
        visible.as_array().unwrap().len(),
        1,
        "a creditor lists only its own facilities"
    );
    assert_eq!(
        app.facilities(&case.borrower, w)
            .await
            .items()
            .as_array()
            .unwrap()
            .len(),
        6
    );
}

#[tokio::test]
async fn a_past_snapshot_reproduces_the_exposures_of_that_date_after_later_edits() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 1).await;
    let w = case.workout;
    let creditor = &case.creditors[0];
    let created = app
        .create_facility(
            creditor,
            w,
            &facility("A-1", "SAR", "1000", "0", "0", "unsecured"),
        )
        .await;
    let id = id_of(&created.json());
    // Move the first version three days back, as if it had been entered then.
    let mut conn = app.pool("registry").get().await.unwrap();
    conn.batch_execute(&format!("UPDATE facility_versions SET valid_from = valid_from - interval '3 days' WHERE facility_id = '{id}'"))
        .await
        .unwrap();
    let then = (Utc::now().date_naive() - Days::new(2)).to_string();
    let before_edit = app.snapshot(&case.coordinator, w, &then).await.json();
    assert_eq!(before_edit["total"]["amount"], "1000.00");

    let edit = facility("A-1", "SAR", "700", "0", "0", "unsecured");
    let without_version = app.edit_facility(creditor, w, id, &edit, None).await;
    without_version.assert_problem(428, "if_match_required");
    let stale = app.edit_facility(creditor, w, id, &edit, Some(7)).await;
    stale.assert_problem(412, "stale_version");
    let edited = app.edit_facility(creditor, w, id, &edit, Some(1)).await;
    assert_eq!(edited.status, 200, "{:?}", edited.json());
    assert_eq!(edited.headers["etag"], "\"2\"");
    app.edit_facility(creditor, w, id, &edit, Some(1))
        .await
        .assert_problem(412, "stale_version");

    let again = app.snapshot(&case.coordinator, w, &then).await.json();
    assert_eq!(again["total"]["amount"], "1000.00", "the past is unchanged");
    assert_eq!(again["content_hash"], before_edit["content_hash"]);
    let now = app.snapshot(&case.coordinator, w, &today()).await.json();
    assert_eq!(now["total"]["amount"], "700.00");
    assert_ne!(now["content_hash"], before_edit["content_hash"]);
    let history = app.facility_history(creditor, w, id).await.json();
    assert_eq!(history.as_array().unwrap().len(), 2);

    let drift = app
        .drift(&case.coordinator, w, &then, &today())
        .await
        .json();
    assert_eq!(drift["creditors"][0]["reduced"], true, "{drift}");
    app.drift(creditor, w, &then, &today())
        .await
        .assert_problem(403, "forbidden");
    // Drift runs forward from its reference date.
    app.drift(&case.coordinator, w, &today(), &then)
        .await
        .assert_problem(400, "invalid_query_parameter");
}

#[tokio::test]
async fn a_creditor_cannot_edit_another_creditors_facility() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 2).await;
    let w = case.workout;
    let created = app
        .create_facility(
            &case.creditors[0],
            w,
            &facility("A-1", "SAR", "1000", "0", "0", "unsecured"),
        )
        .await;
    let id = id_of(&created.json());
    let edit = facility("A-1", "SAR", "1", "0", "0", "unsecured");
    app.edit_facility(&case.creditors[1], w, id, &edit, Some(1))
        .await
        .assert_problem(404, "not_found");
    app.facility_history(&case.creditors[1], w, id)
        .await
        .assert_problem(404, "not_found");
    let outsider = app.outsider().await;
    app.edit_facility(&outsider, w, id, &edit, Some(1))
        .await
        .assert_problem(404, "not_found");
    app.create_facility(
        &outsider,
        w,
        &facility("X-1", "SAR", "1", "0", "0", "unsecured"),
    )
    .await
    .assert_problem(404, "not_found");
    app.snapshot(&outsider, w, &today())
        .await
        .assert_problem(404, "not_found");
    app.create_facility(
        &case.advisor,
        w,
        &facility("V-1", "SAR", "1", "0", "0", "unsecured"),
    )
    .await
    .assert_problem(403, "forbidden");
    let unchanged = app.facilities(&case.creditors[0], w).await.items();
    assert_eq!(unchanged[0]["terms"]["outstanding_principal"], "1000");

    let invalid = app
        .create_facility(
            &case.creditors[0],
            w,
            &facility("A-2", "XXZ", "-5", "0", "0", "senior"),
        )
        .await;
    invalid.assert_problem(422, "validation_failed");
    let problem = invalid.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in ["currency", "outstanding_principal", "class"] {
        assert!(fields.contains(&field), "{field} is reported: {fields:?}");
    }
}

#[tokio::test]
async fn a_schedule_with_one_bad_row_writes_nothing_and_names_that_row() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 1).await;
    let w = case.workout;
    let csv = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees_and_penalties,secured,class,related_party\n\
               A-1,term_loan,SAR,100,100,0,0,0,0,true,secured,false\n\
               A-2,term_loan,SAR,100,100,0,0,0,0,true,secured,false\n\
               A-3,term_loan,SAR,100,abc,0,0,0,0,true,secured,false\n\
               A-4,term_loan,SAR,100,100,0,0,0,0,true,secured,false\n";
    let answer = app.import_facilities(&case.creditors[0], w, csv).await;
    answer.assert_problem(422, "validation_failed");
    let errors = answer.json()["errors"].clone();
    assert_eq!(errors.as_array().unwrap().len(), 1, "{errors}");
    assert_eq!(errors[0]["field"], "line 4: outstanding_principal");
    let listed = app.facilities(&case.creditors[0], w).await.items();
    assert!(listed.as_array().unwrap().is_empty(), "nothing was written");
}

#[tokio::test]
async fn the_borrower_is_flagged_after_exactly_two_consecutive_missed_requests() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 0).await;
    let w = case.workout;
    let day = |n: u64| (Utc::now().date_naive() - Days::new(n)).to_string();
    let first = app
        .send_information_request(
            &case.coordinator,
            w,
            &json!({"subject": "Audited accounts 2025", "sent_on": day(60)}),
        )
        .await;
    assert_eq!(first.status, 201, "{:?}", first.json());
    assert_eq!(
        first.json()["requests"][0]["due_on"],
        day(45),
        "15 calendar days by default"
    );
    assert_eq!(
        first.json()["possibly_non_cooperative"],
        false,
        "one missed request is not enough"
    );
    let second = app
        .send_information_request(
            &case.coordinator,
            w,
            &json!({"subject": "Cash-flow forecast", "sent_on": day(40)}),
        )
        .await;
    assert_eq!(second.json()["possibly_non_cooperative"], true);
    assert_eq!(second.json()["consecutive_missed"], 2);
    assert_eq!(second.json()["trail"].as_array().unwrap().len(), 2);

    // A third request answered on time ends the run.
    let third = app
        .send_information_request(
            &case.coordinator,
            w,
            &json!({"subject": "Asset list", "sent_on": day(10)}),
        )
        .await;
    let third_id = id_of(&third.json()["requests"][2]);
    let answered = app
        .answer_information_request(
            &case.borrower,
            w,
            third_id,
            &json!({"response": "Sent by courier"}),
        )
        .await;
    assert_eq!(answered.status, 200, "{:?}", answered.json());
    assert_eq!(answered.json()["possibly_non_cooperative"], false);
    app.answer_information_request(&case.borrower, w, third_id, &json!({"response": "again"}))
        .await
        .assert_problem(409, "already_answered");
    app.send_information_request(
        &case.borrower,
        w,
        &json!({"subject": "x", "sent_on": day(1)}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.information_requests(&case.advisor, w)
        .await
        .assert_problem(403, "forbidden");
    let trail = app.workout_audit(&case.coordinator, w).await;
    assert!(String::from_utf8_lossy(&trail.bytes).contains("information_request_sent"));
}

#[tokio::test]
async fn the_watcher_announces_overdue_requests_and_the_flag_once_each() {
    // The platform's own scheduler looks for due jobs once, at start, and then sleeps past the end
    // of the test: the test moves time itself, running the registry's jobs as of chosen instants.
    let app =
        TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await;
    let case = open_case(&app, 0).await;
    let w = case.workout;
    let path = format!("/registry/v1/workouts/{w}/information-requests");
    let day = |n: u64| Utc::now().date_naive() - Days::new(n);
    let mut ids = Vec::new();
    for (subject, sent) in [
        ("Accounts", 60),
        ("Forecast", 40),
        ("Fresh one", 1),
        ("Answered in time", 1),
    ] {
        let sent = app
            .post(
                &path,
                &case.coordinator,
                &json!({"subject": subject, "sent_on": day(sent).to_string()}),
            )
            .await;
        assert_eq!(sent.status, 201);
        let location = sent.headers["location"].to_str().unwrap();
        ids.push(
            location
                .rsplit('/')
                .next()
                .unwrap()
                .parse::<Uuid>()
                .unwrap(),
        );
    }
    let jobs = app.registry_jobs().await;
    let now = Utc::now();
    assert_eq!(
        jobs.run_due(now).await.unwrap(),
        3,
        "two requests are overdue, the fresh ones are not (and the opening's check of the \
         borrower's notice contacts is due)"
    );
    assert_eq!(
        jobs.run_due(now).await.unwrap(),
        0,
        "each is announced once"
    );

    let chain = String::from_utf8(
        app.get(
            &format!("/registry/v1/workouts/{w}/audit"),
            &case.coordinator,
        )
        .await
        .bytes,
    )
    .unwrap();
    assert_eq!(
        chain
            .matches("\"action\":\"information_request_overdue\"")
            .count(),
        2
    );
    assert_eq!(chain.matches("\"action\":\"borrower_flagged\"").count(), 1);
    workout_store::audit::verify(&chain, Default::default()).unwrap();

    let received = workout_tests::eventually(std::time::Duration::from_secs(10), || async {
        let events = app
            .get("/notifications/v1/events?limit=200", &app.admin)
            .await
            .json();
        let topics: Vec<String> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["topic"].as_str().unwrap().to_owned())
            .collect();
        // Both announcements and the flag, whichever order the relay delivers them in.
        let overdue = topics
            .iter()
            .filter(|t| *t == "registry.information_request_overdue")
            .count();
        (overdue >= 2 && topics.iter().any(|t| t == "registry.borrower_flagged")).then_some(topics)
    })
    .await
    .expect("the announcements and the flag reach the notifications service");
    assert_eq!(
        received
            .iter()
            .filter(|t| *t == "registry.information_request_overdue")
            .count(),
        2
    );

    // The last request is answered before its due date; its job will find nothing to do.
    let answered = app
        .post(
            &format!("{path}/{}/answer", ids[3]),
            &case.borrower,
            &json!({"response": "Sent"}),
        )
        .await;
    assert_eq!(answered.status, 200, "{:?}", answered.json());
    // A request recorded before jobs existed gets its job when the registry starts.
    let registry = app.pool("registry");
    let mut conn = registry.get().await.unwrap();
    diesel::delete(scheduled_jobs::table.filter(scheduled_jobs::key.eq(ids[2].to_string())))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        workout_registry::cooperation::watch::schedule_open_requests(&registry)
            .await
            .unwrap(),
        1,
        "the fresh one is the only open request"
    );

    // Both were sent yesterday and are due in 14 days: overdue from the next midnight in Riyadh
    // (calendar SA, UTC+3), which is 21:00 UTC on the due date.
    let riyadh_midnight = (day(1) + Days::new(15))
        .and_hms_opt(21, 0, 0)
        .unwrap()
        .and_utc();
    assert_eq!(
        jobs.run_due(riyadh_midnight - chrono::Duration::seconds(1))
            .await
            .unwrap(),
        0,
        "on time until the end of the due date in Riyadh"
    );
    assert_eq!(jobs.run_due(riyadh_midnight).await.unwrap(), 2);
    let chain = String::from_utf8(
        app.get(
            &format!("/registry/v1/workouts/{w}/audit"),
            &case.coordinator,
        )
        .await
        .bytes,
    )
    .unwrap();
    let overdue: Vec<Value> = chain
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["action"] == "information_request_overdue")
        .map(|l| l["after"]["id"].clone())
        .collect();
    assert_eq!(
        overdue,
        [json!(ids[0]), json!(ids[1]), json!(ids[2])],
        "the unanswered one is announced, the answered one is not"
    );
    assert_eq!(
        chain.matches("\"action\":\"borrower_flagged\"").count(),
        1,
        "the borrower is flagged once"
    );
    workout_store::audit::verify(&chain, Default::default()).unwrap();
}

#[tokio::test]
async fn a_guarantee_must_name_a_guarantor_of_the_workout() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 1).await;
    let w = case.workout;
    let guarantor = app.institution("guarantor", "Parent Holding").await;
    let mut body = facility("G-1", "SAR", "1000", "0", "0", "unsecured");
    body["guarantees"] =
        json!([{"guarantor": guarantor, "amount": {"amount": "500", "currency": "SAR"}}]);
    let refused = app.create_facility(&case.creditors[0], w, &body).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(
        refused.json()["errors"][0]["field"],
        "guarantees[0].guarantor"
    );
    let added = app
        .add_participant(
            &case.coordinator,
            w,
            &json!({"institution_id": guarantor, "role": "guarantor", "contacts": [{"name": "Legal", "email": "legal@parent.test", "language": "ar"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let accepted = app.create_facility(&case.creditors[0], w, &body).await;
    assert_eq!(accepted.status, 201, "{:?}", accepted.json());
    assert_eq!(
        accepted.json()["terms"]["guarantees"][0]["amount"]["amount"],
        "500"
    );
}

#[tokio::test]
async fn a_withdrawn_facility_stops_counting_and_keeps_its_history() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 2).await;
    let w = case.workout;
    let creditor = &case.creditors[0];
    let created = app
        .create_facility(
            creditor,
            w,
            &facility("A-1", "SAR", "1000", "0", "0", "unsecured"),
        )
        .await;
    let id = id_of(&created.json());
    app.create_facility(
        creditor,
        w,
        &facility("A-2", "SAR", "250", "0", "0", "unsecured"),
    )
    .await;
    let mut conn = app.pool("registry").get().await.unwrap();
    conn.batch_execute("UPDATE facility_versions SET valid_from = valid_from - interval '3 days'")
        .await
        .unwrap();
    let then = (Utc::now().date_naive() - Days::new(2)).to_string();

    let reason = json!({"reason": "Repaid in full"});
    app.withdraw_facility(&case.creditors[1], w, id, &reason, Some(1))
        .await
        .assert_problem(404, "not_found");
    app.withdraw_facility(creditor, w, id, &reason, None)
        .await
        .assert_problem(428, "if_match_required");
    let withdrawn = app
        .withdraw_facility(creditor, w, id, &reason, Some(1))
        .await;
    assert_eq!(withdrawn.status, 200, "{:?}", withdrawn.json());
    assert_eq!(withdrawn.json()["withdrawn"], true);
    app.withdraw_facility(creditor, w, id, &reason, Some(2))
        .await
        .assert_problem(409, "already_withdrawn");

    let now = app.snapshot(&case.coordinator, w, &today()).await.json();
    assert_eq!(now["total"]["amount"], "250.00");
    let past = app.snapshot(&case.coordinator, w, &then).await.json();
    assert_eq!(
        past["total"]["amount"], "1250.00",
        "the past still counts it"
    );
    let history = app.facility_history(creditor, w, id).await.json();
    assert_eq!(
        history[0]["facility"]["terms"]["outstanding_principal"],
        "1000"
    );
    assert_eq!(history[1]["withdrawn"], true);
    let chain = String::from_utf8(app.workout_audit(&case.coordinator, w).await.bytes).unwrap();
    assert!(chain.contains("facility_withdrawn") && chain.contains("Repaid in full"));
}

#[tokio::test]
async fn a_body_that_does_not_fit_names_every_field_and_why() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 1).await;
    let borrower = app.institution("borrower", "Other Co").await;
    let bad_date = app
        .open_workout(
            &case.coordinator,
            &json!({"reference": "W-BAD-DATE", "borrower_id": borrower, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": "2026-11-31"}),
        )
        .await;
    bad_date.assert_problem(422, "validation_failed");
    let error = &bad_date.json()["errors"][0];
    assert_eq!(error["field"], "opened_on");
    assert!(
        !error["message"].as_str().unwrap().contains("column"),
        "{error}"
    );

    // A negative day count is one error among the others, not the only one reported.
    let mut terms = facility("TL-BAD", "SAR", "-5", "x", "1", "unsecured");
    terms["days_past_due"] = json!(-3);
    terms["currency"] = json!("EURO");
    let answer = app
        .create_facility(&case.creditors[0], case.workout, &terms)
        .await;
    answer.assert_problem(422, "validation_failed");
    let fields: Vec<String> = answer.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    for field in [
        "currency",
        "outstanding_principal",
        "accrued_interest",
        "days_past_due",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
}

#[tokio::test]
async fn re_importing_a_schedule_keeps_a_facilitys_collateral_and_guarantees() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 1).await;
    let w = case.workout;
    let creditor = &case.creditors[0];
    let guarantor = app.institution("guarantor", "Parent Holding").await;
    let added = app
        .add_participant(
            &case.coordinator,
            w,
            &json!({"institution_id": guarantor, "role": "guarantor", "contacts": [{"name": "Legal", "email": "legal@parent.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let mut body = facility("TL-SEC", "SAR", "1000", "10", "0", "secured");
    body["collateral"] = json!([{"kind": "real_estate", "description": "Warehouse, Jeddah",
        "valuation": {"amount": "900000", "currency": "SAR"}, "valued_on": "2026-06-30", "ranking": 1}]);
    body["guarantees"] =
        json!([{"guarantor": guarantor, "amount": {"amount": "500", "currency": "SAR"}}]);
    let created = app.create_facility(creditor, w, &body).await;
    assert_eq!(created.status, 201, "{:?}", created.json());

    let csv = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees_and_penalties,secured,class,related_party\n\
               TL-SEC,term_loan,SAR,1000,800,10,0,0,0,true,secured,false\n";
    let imported = app.import_facilities(creditor, w, csv).await;
    assert_eq!(imported.status, 200, "{:?}", imported.json());
    let terms = &imported.json()["facilities"][0]["terms"];
    assert_eq!(
        terms["outstanding_principal"], "800",
        "the new balance is taken"
    );
    assert_eq!(
        terms["collateral"][0]["description"], "Warehouse, Jeddah",
        "the collateral stays"
    );
    assert_eq!(
        terms["guarantees"][0]["amount"]["amount"], "500",
        "the guarantee stays"
    );

    // Only when asked are they dropped.
    let dropped = app
        .post_csv(
            &format!("/registry/v1/workouts/{w}/facilities/import?mode=merge&drop_security=true"),
            creditor,
            csv,
        )
        .await;
    assert_eq!(dropped.status, 200, "{:?}", dropped.json());
    let terms = &dropped.json()["facilities"][0]["terms"];
    assert_eq!(terms["collateral"], json!([]));
    assert_eq!(terms["guarantees"], json!([]));
}

#[tokio::test]
async fn an_information_request_cannot_be_dated_in_the_future() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 1).await;
    let future = (Utc::now().date_naive() + Days::new(3)).to_string();
    let refused = app
        .send_information_request(
            &case.coordinator,
            case.workout,
            &json!({"subject": "Audited accounts", "sent_on": future}),
        )
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.json()["errors"][0]["field"], "sent_on");
    let sent = app
        .send_information_request(
            &case.coordinator,
            case.workout,
            &json!({"subject": "Audited accounts", "sent_on": today()}),
        )
        .await;
    assert_eq!(sent.status, 201, "{:?}", sent.json());
}
