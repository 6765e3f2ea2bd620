//! The borrower's cooperation, as nobody can game it (guideline 5.1.2): due dates of at least 15
//! calendar days, only requests sent after the previous counted one was due count, answers
//! stamped by the registry, answer dates corrected only by the coordinator with a reason,
//! requests cancelled with a reason, and the coordinator's classification of the borrower on the
//! guideline's grounds of judgement.

use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    creditor: Actor,
    borrower: Actor,
}

async fn open_case(app: &TestApp) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-COOP", "borrower_id": borrower_id, "base_currency": "SAR",
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
        borrower,
    }
}

/// Today in Riyadh (the `SA` calendar's zone, UTC+3 all year): the workout's "today".
fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(3)).date_naive()
}

/// `n` days before the workout's today, as `YYYY-MM-DD`.
fn day(n: u64) -> String {
    (today() - Days::new(n)).to_string()
}

/// Sends a request as the coordinator; returns its id.
async fn send(app: &TestApp, case: &Case, subject: &str, body: Value) -> Uuid {
    let mut body = body;
    body["subject"] = json!(subject);
    let sent = app
        .send_information_request(&case.coordinator, case.workout, &body)
        .await;
    assert_eq!(sent.status, 201, "{:?}", sent.json());
    let location = sent.headers["location"].to_str().unwrap();
    location.rsplit('/').next().unwrap().parse().unwrap()
}

/// The request `id` in a cooperation view.
fn request(view: &Value, id: Uuid) -> Value {
    view["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == json!(id))
        .cloned()
        .unwrap_or_else(|| panic!("request {id} in {view}"))
}

/// The workout's audit chain as JSON lines, verified.
async fn chain(app: &TestApp, case: &Case) -> Vec<Value> {
    let text = String::from_utf8(
        app.workout_audit(&case.coordinator, case.workout)
            .await
            .bytes,
    )
    .unwrap();
    workout_store::audit::verify(&text, Default::default()).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn entries<'a>(chain: &'a [Value], action: &str) -> Vec<&'a Value> {
    chain.iter().filter(|e| e["action"] == action).collect()
}

/// Waits until the notifications service received an event of every topic in `topics`.
async fn announced(app: &TestApp, topics: &[&str]) {
    let received = workout_tests::eventually(Duration::from_secs(10), || async {
        let events = app
            .get("/notifications/v1/events?limit=200", &app.admin)
            .await
            .json();
        let seen: Vec<String> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["topic"].as_str().unwrap().to_owned())
            .collect();
        topics
            .iter()
            .all(|t| seen.iter().any(|s| s == t))
            .then_some(())
    })
    .await;
    assert!(
        received.is_some(),
        "{topics:?} reach the notifications service"
    );
}

#[tokio::test]
async fn a_due_date_under_fifteen_calendar_days_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    let refused = app
        .send_information_request(
            &case.coordinator,
            w,
            &json!({"subject": "Audited accounts", "sent_on": day(2), "due_on": day(0)}),
        )
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.json()["errors"][0]["field"], "due_on");
    // A day short of 15 is still short.
    app.send_information_request(
        &case.coordinator,
        w,
        &json!({"subject": "Audited accounts", "sent_on": day(14), "due_on": day(0)}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let listed = app.information_requests(&case.coordinator, w).await.json();
    assert_eq!(listed["requests"], json!([]), "nothing was stored");
    assert!(entries(&chain(&app, &case).await, "information_request_sent").is_empty());

    // Exactly 15 days, and an extension beyond, are allowed.
    let fifteen = send(
        &app,
        &case,
        "Audited accounts",
        json!({"sent_on": day(15), "due_on": day(0)}),
    )
    .await;
    let longer = send(
        &app,
        &case,
        "Cash-flow forecast",
        json!({"sent_on": day(2), "due_on": (today() + Days::new(30)).to_string()}),
    )
    .await;
    let listed = app.information_requests(&case.coordinator, w).await.json();
    assert_eq!(request(&listed, fifteen)["due_on"], day(0));
    assert_eq!(
        request(&listed, longer)["due_on"],
        (today() + Days::new(30)).to_string()
    );
}

#[tokio::test]
async fn two_requests_sent_a_day_apart_and_both_missed_are_not_two_consecutive_misses() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    let first = send(&app, &case, "Audited accounts", json!({"sent_on": day(41)})).await;
    let second = send(
        &app,
        &case,
        "Audited accounts (again)",
        json!({"sent_on": day(40)}),
    )
    .await;
    let view = app.information_requests(&case.borrower, w).await.json();
    assert_eq!(request(&view, first)["status"], "overdue");
    assert_eq!(request(&view, second)["status"], "overdue");
    assert_eq!(
        request(&view, first)["counts_towards_non_cooperation"],
        true
    );
    assert_eq!(
        request(&view, second)["counts_towards_non_cooperation"],
        false,
        "sent while the first one was not yet due"
    );
    assert_eq!(view["possibly_non_cooperative"], false);
    assert_eq!(view["consecutive_missed"], 1);
    assert_eq!(view["trail"], json!([first]));

    // The first was due 26 days ago: a request sent on that day does not count, one sent the day
    // after does, and with it the borrower has missed two consecutive requests.
    let on_due_date = send(&app, &case, "Forecast", json!({"sent_on": day(26)})).await;
    let view = app.information_requests(&case.coordinator, w).await.json();
    assert_eq!(
        request(&view, on_due_date)["counts_towards_non_cooperation"],
        false
    );
    assert_eq!(view["possibly_non_cooperative"], false);
    let day_after = send(&app, &case, "Asset list", json!({"sent_on": day(25)})).await;
    let view = app.information_requests(&case.coordinator, w).await.json();
    assert_eq!(
        request(&view, day_after)["counts_towards_non_cooperation"],
        true
    );
    assert_eq!(view["possibly_non_cooperative"], true);
    assert_eq!(view["trail"], json!([first, day_after]));
}

#[tokio::test]
async fn a_backdated_answer_is_not_possible() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    let id = send(&app, &case, "Audited accounts", json!({"sent_on": day(30)})).await;
    let before = Utc::now();
    // Due 15 days ago: dated 20 days ago, the answer would be in time.
    let refused = app
        .answer_information_request(
            &case.borrower,
            w,
            id,
            &json!({"answered_on": day(20), "response": "Sent long ago"}),
        )
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.json()["errors"][0]["field"], "answered_on");
    let view = app.information_requests(&case.borrower, w).await.json();
    assert_eq!(request(&view, id)["status"], "overdue", "nothing changed");
    assert_eq!(request(&view, id)["answered_on"], Value::Null);

    let answered = app
        .answer_information_request(&case.borrower, w, id, &json!({"response": "Sent today"}))
        .await;
    assert_eq!(answered.status, 200, "{:?}", answered.json());
    let answer = request(&answered.json(), id);
    assert_eq!(answer["answered_on"], today().to_string());
    assert_eq!(answer["status"], "answered_late");
    assert_eq!(
        answer["answer_recorded"]["recorded_on"],
        today().to_string()
    );
    assert_eq!(
        answer["answer_recorded"]["recorded_by"],
        json!(case.borrower.user_id)
    );
    let recorded_at: chrono::DateTime<Utc> =
        serde_json::from_value(answer["answer_recorded"]["recorded_at"].clone()).unwrap();
    assert!(recorded_at >= before && recorded_at <= Utc::now());
    assert_eq!(answer["answer_corrections"], json!([]));

    // Nor can the borrower move the date afterwards.
    app.correct_answer_date(
        &case.borrower,
        w,
        id,
        &json!({"answered_on": day(20), "reason": "It was earlier"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let chain = chain(&app, &case).await;
    let answered = entries(&chain, "information_request_answered");
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0]["after"]["answered_on"], today().to_string());
}

#[tokio::test]
async fn only_the_coordinator_corrects_an_answer_date_with_a_reason_audited_and_announced() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    // Sent 20 days ago, due 5 days ago; the borrower's letter of 8 days ago is recorded today.
    let id = send(&app, &case, "Audited accounts", json!({"sent_on": day(20)})).await;
    let unanswered = send(&app, &case, "Forecast", json!({"sent_on": day(1)})).await;
    let answered = app
        .answer_information_request(&case.coordinator, w, id, &json!({"response": "Letter"}))
        .await;
    assert_eq!(request(&answered.json(), id)["status"], "answered_late");
    let correction =
        json!({"answered_on": day(8), "reason": "Letter dated and delivered 8 days ago"});
    for other in [&case.borrower, &case.creditor] {
        app.correct_answer_date(other, w, id, &correction)
            .await
            .assert_problem(403, "forbidden");
    }
    for (body, field) in [
        (json!({"answered_on": day(8), "reason": " "}), "reason"),
        (json!({"answered_on": day(8)}), "reason"),
        (
            json!({"answered_on": (today() + Days::new(1)).to_string(), "reason": "x"}),
            "answered_on",
        ),
        (
            json!({"answered_on": day(21), "reason": "x"}),
            "answered_on",
        ),
        (json!({"answered_on": day(0), "reason": "x"}), "answered_on"),
    ] {
        let refused = app
            .correct_answer_date(&case.coordinator, w, id, &body)
            .await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.json()["errors"][0]["field"], field, "{body}");
    }
    app.correct_answer_date(&case.coordinator, w, unanswered, &correction)
        .await
        .assert_problem(409, "not_answered");

    let corrected = app
        .correct_answer_date(&case.coordinator, w, id, &correction)
        .await;
    assert_eq!(corrected.status, 200, "{:?}", corrected.json());
    let shown = request(&corrected.json(), id);
    assert_eq!(shown["answered_on"], day(8));
    assert_eq!(shown["status"], "answered_on_time");
    assert_eq!(
        shown["answer_recorded"]["recorded_on"],
        today().to_string(),
        "the original stamp stays"
    );
    assert_eq!(shown["answer_corrections"].as_array().unwrap().len(), 1);
    let first = &shown["answer_corrections"][0];
    assert_eq!(first["answered_on_before"], today().to_string());
    assert_eq!(first["answered_on"], day(8));
    assert_eq!(first["reason"], "Letter dated and delivered 8 days ago");
    assert_eq!(first["corrected_by"], json!(case.coordinator.user_id));
    // The borrower reads the same.
    let read = app.information_requests(&case.borrower, w).await.json();
    assert_eq!(
        request(&read, id)["answer_corrections"],
        shown["answer_corrections"]
    );

    let chain = chain(&app, &case).await;
    let audited = entries(&chain, "information_request_answer_corrected");
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["before"]["answered_on"], today().to_string());
    assert_eq!(audited[0]["after"]["answered_on"], day(8));
    assert_eq!(
        audited[0]["after"]["reason"],
        "Letter dated and delivered 8 days ago"
    );
    announced(&app, &["registry.information_request_answer_corrected"]).await;
}

#[tokio::test]
async fn a_cancelled_request_counts_neither_as_missed_nor_as_answered_and_shows_as_cancelled() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    let first = send(&app, &case, "Accounts", json!({"sent_on": day(60)})).await;
    let second = send(&app, &case, "Forecast", json!({"sent_on": day(40)})).await;
    let view = app.information_requests(&case.coordinator, w).await.json();
    assert_eq!(view["possibly_non_cooperative"], true);

    let reason = json!({"reason": "Sent to the wrong address"});
    for other in [&case.borrower, &case.creditor] {
        app.cancel_information_request(other, w, second, &reason)
            .await
            .assert_problem(403, "forbidden");
    }
    app.cancel_information_request(&case.coordinator, w, second, &json!({"reason": ""}))
        .await
        .assert_problem(422, "validation_failed");
    let cancelled = app
        .cancel_information_request(&case.coordinator, w, second, &reason)
        .await;
    assert_eq!(cancelled.status, 200, "{:?}", cancelled.json());
    let view = cancelled.json();
    let shown = request(&view, second);
    assert_eq!(shown["status"], "cancelled");
    assert_eq!(shown["counts_towards_non_cooperation"], false);
    assert_eq!(shown["cancellation"]["reason"], "Sent to the wrong address");
    assert_eq!(
        shown["cancellation"]["cancelled_by"],
        json!(case.coordinator.user_id)
    );
    assert_eq!(view["possibly_non_cooperative"], false, "no longer a miss");
    assert_eq!(view["trail"], json!([first]));
    app.cancel_information_request(&case.coordinator, w, second, &reason)
        .await
        .assert_problem(409, "already_cancelled");
    app.answer_information_request(&case.borrower, w, second, &json!({"response": "Here"}))
        .await
        .assert_problem(409, "request_cancelled");

    // An answer in time that is cancelled no longer ends the run: the borrower answered the third
    // request (recorded today, corrected to the day of its letter), not the fourth.
    let third = send(&app, &case, "Asset list", json!({"sent_on": day(44)})).await;
    app.answer_information_request(&case.borrower, w, third, &json!({"response": "List"}))
        .await;
    let corrected = app
        .correct_answer_date(
            &case.coordinator,
            w,
            third,
            &json!({"answered_on": day(40), "reason": "Letter of that day"}),
        )
        .await;
    assert_eq!(
        request(&corrected.json(), third)["status"],
        "answered_on_time"
    );
    let fourth = send(&app, &case, "Budget", json!({"sent_on": day(28)})).await;
    let view = app.information_requests(&case.coordinator, w).await.json();
    assert_eq!(view["possibly_non_cooperative"], false);
    assert_eq!(view["trail"], json!([fourth]));
    let view = app
        .cancel_information_request(
            &case.coordinator,
            w,
            third,
            &json!({"reason": "Asked of the wrong company"}),
        )
        .await
        .json();
    assert_eq!(request(&view, third)["status"], "cancelled");
    assert_eq!(view["possibly_non_cooperative"], true);
    assert_eq!(view["trail"], json!([first, fourth]));

    let chain = chain(&app, &case).await;
    let audited = entries(&chain, "information_request_cancelled");
    assert_eq!(audited.len(), 2);
    assert_eq!(audited[0]["after"]["id"], json!(second));
    assert_eq!(audited[0]["after"]["reason"], "Sent to the wrong address");
    announced(&app, &["registry.information_request_cancelled"]).await;
}

#[tokio::test]
async fn a_cancelled_request_is_never_announced_overdue() {
    // The platform's own scheduler sleeps past the end of the test: the test runs the jobs.
    let app = TestApp::spawn_with(|s| s.scheduler_poll = Duration::from_secs(3600)).await;
    let case = open_case(&app).await;
    let w = case.workout;
    let overdue = send(&app, &case, "Accounts", json!({"sent_on": day(30)})).await;
    let fresh = send(&app, &case, "Forecast", json!({"sent_on": day(0)})).await;
    for id in [overdue, fresh] {
        let cancelled = app
            .cancel_information_request(&case.coordinator, w, id, &json!({"reason": "Withdrawn"}))
            .await;
        assert_eq!(cancelled.status, 200, "{:?}", cancelled.json());
    }
    let jobs = app.registry_jobs().await;
    assert_eq!(
        jobs.run_due(Utc::now()).await.unwrap(),
        1,
        "only the opening's check of the borrower's notice contacts"
    );
    assert_eq!(
        workout_registry::cooperation::watch::schedule_open_requests(&app.pool("registry"))
            .await
            .unwrap(),
        0,
        "a cancelled request is not open"
    );
    let later = Utc::now() + chrono::Duration::days(40);
    assert_eq!(jobs.run_due(later).await.unwrap(), 0);
    let chain = chain(&app, &case).await;
    assert!(entries(&chain, "information_request_overdue").is_empty());
    let view = app.information_requests(&case.coordinator, w).await.json();
    assert_eq!(request(&view, overdue)["status"], "cancelled");
}

#[tokio::test]
async fn the_coordinator_classes_the_borrower_on_grounds_of_judgement_and_lifts_it() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    let empty = app.borrower_classification(&case.borrower, w, "").await;
    assert_eq!(empty.status, 200, "{:?}", empty.json());
    assert_eq!(empty.json()["non_cooperative"], false);
    assert_eq!(empty.json()["current"], Value::Null);
    assert_eq!(empty.json()["history"]["items"], json!([]));

    let body = json!({"grounds": ["denied_access", "strategic_default"],
                      "rationale": "Refused the advisors' site visit of 2 March; pays other lenders in full"});
    for other in [&case.borrower, &case.creditor] {
        app.classify_borrower(other, w, &body)
            .await
            .assert_problem(403, "forbidden");
    }
    app.borrower_classification(&case.creditor, w, "")
        .await
        .assert_problem(403, "forbidden");
    for (bad, field) in [
        (json!({"grounds": [], "rationale": "x"}), "grounds"),
        (
            json!({"grounds": ["denied_access", "denied_access"], "rationale": "x"}),
            "grounds",
        ),
        (
            json!({"grounds": ["unanswered_requests"], "rationale": "x"}),
            "grounds[0]",
        ),
        (
            json!({"grounds": ["denied_access"], "rationale": "  "}),
            "rationale",
        ),
    ] {
        let refused = app.classify_borrower(&case.coordinator, w, &bad).await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.json()["errors"][0]["field"], field, "{bad}");
    }
    let classified = app.classify_borrower(&case.coordinator, w, &body).await;
    assert_eq!(classified.status, 201, "{:?}", classified.json());
    let first = id_of(&classified.json());
    assert_eq!(
        classified.json()["grounds"],
        json!(["strategic_default", "denied_access"]),
        "in the guideline's order"
    );
    app.classify_borrower(&case.coordinator, w, &body)
        .await
        .assert_problem(409, "already_classified");
    let read = app
        .borrower_classification(&case.borrower, w, "")
        .await
        .json();
    assert_eq!(read["non_cooperative"], true);
    assert_eq!(read["current"]["id"], json!(first));
    assert_eq!(read["current"]["rationale"], body["rationale"]);
    assert_eq!(
        read["possibly_non_cooperative"], false,
        "no request was missed"
    );

    let lift = json!({"reason": "Site visit held on 9 March; books opened"});
    app.lift_borrower_classification(&case.borrower, w, &lift)
        .await
        .assert_problem(403, "forbidden");
    app.lift_borrower_classification(&case.coordinator, w, &json!({"reason": ""}))
        .await
        .assert_problem(422, "validation_failed");
    let lifted = app
        .lift_borrower_classification(&case.coordinator, w, &lift)
        .await;
    assert_eq!(lifted.status, 200, "{:?}", lifted.json());
    assert_eq!(lifted.json()["id"], json!(first));
    assert_eq!(lifted.json()["lifted"]["reason"], lift["reason"]);
    assert_eq!(
        lifted.json()["lifted"]["lifted_by"],
        json!(case.coordinator.user_id)
    );
    app.lift_borrower_classification(&case.coordinator, w, &lift)
        .await
        .assert_problem(409, "not_classified");

    let again = app
        .classify_borrower(
            &case.coordinator,
            w,
            &json!({"grounds": ["no_constructive_engagement"], "rationale": "Rejected the term sheet out of hand"}),
        )
        .await;
    assert_eq!(again.status, 201, "{:?}", again.json());
    let second = id_of(&again.json());
    let page = app
        .borrower_classification(&case.coordinator, w, "?limit=1")
        .await
        .json();
    assert_eq!(page["current"]["id"], json!(second));
    assert_eq!(page["history"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["history"]["items"][0]["id"], json!(first));
    assert_eq!(
        page["history"]["items"][0]["lifted"]["reason"],
        lift["reason"]
    );
    let cursor = page["history"]["next_cursor"].as_str().unwrap();
    let next = app
        .borrower_classification(&case.coordinator, w, &format!("?limit=1&cursor={cursor}"))
        .await
        .json();
    assert_eq!(next["history"]["items"][0]["id"], json!(second));
    assert_eq!(next["history"]["items"][0]["lifted"], Value::Null);
    assert_eq!(next["history"].get("next_cursor"), None);

    let chain = chain(&app, &case).await;
    let classified = entries(&chain, "borrower_classified");
    assert_eq!(classified.len(), 2);
    assert_eq!(classified[0]["after"]["rationale"], body["rationale"]);
    let lifted = entries(&chain, "borrower_classification_lifted");
    assert_eq!(lifted.len(), 1);
    assert_eq!(lifted[0]["before"]["id"], json!(first));
    assert_eq!(lifted[0]["after"]["reason"], lift["reason"]);
    announced(
        &app,
        &[
            "registry.borrower_classified",
            "registry.borrower_classification_lifted",
        ],
    )
    .await;
}
