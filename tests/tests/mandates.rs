//! The coordinator's mandate over HTTP: the largest creditor nominated, a decline, consent by the
//! other creditors under the engine's rule, one appointment even for concurrent last consents, a
//! renewal, a missed second renewal that closes the workout at expiry (two scheduler replicas, once),
//! the rules' refusals naming their rule, and who may do what.

use std::sync::Arc;

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_http::registry_client::RegistryClient;
use workout_store::scheduler::{Scheduler, SchedulerConfig};
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    borrower: Actor,
    advisor: Actor,
    guarantor: Actor,
    banks: Vec<Actor>,
}

fn facility(reference: &str, amount: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR", "committed": amount,
        "outstanding_principal": amount, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": false, "class": "unsecured", "related_party": false,
        "collateral": [], "guarantees": []
    })
}

/// A workout opened by a coordinator bank (not a creditor), with a borrower, an advisor, a
/// guarantor and one bank per amount, each holding one facility.
async fn case(app: &TestApp, amounts: &[&str]) -> Case {
    case_opened_on(app, amounts, "2026-11-02").await
}

/// [`case`], opened on `opened_on`.
async fn case_opened_on(app: &TestApp, amounts: &[&str], opened_on: &str) -> Case {
    let coordinator = app.bank_admin("Acting Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-MANDATE", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": opened_on,
                    "contacts": [{"name": "Desk", "email": "desk@coordinator.test", "language": "en"}],
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let contacts = |n: usize| json!([{"name": "Desk", "email": format!("desk{n}@member.test"), "language": "en"}]);
    let add = async |institution: Uuid, role: &str, n: usize| {
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": institution, "role": role, "contacts": contacts(n)}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
    };
    let firm = app.institution("advisor", "Advisory Firm").await;
    add(firm, "advisor", 90).await;
    let surety = app.institution("guarantor", "Family Holding").await;
    add(surety, "guarantor", 91).await;
    let mut banks = Vec::new();
    for (n, amount) in amounts.iter().enumerate() {
        let bank = app.bank_admin(&format!("Creditor Bank {n}")).await;
        add(bank.institution_id, "creditor", n).await;
        let created = app
            .create_facility(&bank, workout, &facility(&format!("F-{n}"), amount))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.json());
        banks.push(bank);
    }
    Case {
        workout,
        coordinator,
        borrower,
        advisor: app.user(firm, "member").await,
        guarantor: app.user(surety, "member").await,
        banks,
    }
}

async fn topic_count(app: &TestApp, topic: &str) -> i64 {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use workout_store::schema::outbox;
    let mut conn = app.pool("mandates").get().await.unwrap();
    outbox::table
        .filter(outbox::topic.eq(topic))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

fn accept() -> Value {
    json!({"accept": true})
}

#[tokio::test]
async fn five_banks_go_through_nomination_decline_consent_renewal_and_a_missed_second_renewal_to_closure()
 {
    // The platform's own scheduler sleeps past the test: the test runs the mandate's jobs itself.
    let app =
        TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await;
    // Bank 1 is the largest; banks 0 and 3 tie on 500 and bank 0 or 3 wins on the lower id.
    let case = case(&app, &["500000", "900000", "300000", "500000", "200000"]).await;
    let b = &case.banks;
    let w = case.workout;

    // A first term over 6 months is refused, naming its rule.
    let long = app
        .start_mandate(&case.coordinator, w, &json!({"term_months": 7}))
        .await;
    long.assert_problem(422, "mandate_max_term");
    assert!(
        long.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("MANDATE_MAX_TERM")
    );

    let started = app.start_mandate(&case.coordinator, w, &json!({})).await;
    assert_eq!(started.status, 201, "{:?}", started.json());
    let mandate = started.json();
    assert_eq!(mandate["state"], json!("nominating"));
    assert_eq!(mandate["nominee_id"], json!(b[1].institution_id));
    assert_eq!(mandate["appointment_due"]["due"], json!("2026-12-02"));
    assert_eq!(
        mandate["appointment_due"]["rule"]["name"],
        json!("COORDINATOR_APPOINTMENT")
    );
    app.start_mandate(&case.coordinator, w, &json!({}))
        .await
        .assert_problem(409, "mandate_exists");

    // The largest declines: the next largest is nominated, ties to the lower institution id.
    let declined = app
        .decline_nomination(&b[1], w, "We lack the team for this case")
        .await;
    assert_eq!(declined.status, 200, "{:?}", declined.json());
    let tie_winner = if b[0].institution_id < b[3].institution_id {
        0
    } else {
        3
    };
    let tie_loser = 3 - tie_winner;
    assert_eq!(
        declined.json()["nominee_id"],
        json!(b[tie_winner].institution_id)
    );
    assert_eq!(declined.json()["nomination"]["how"], json!("after_decline"));
    assert_eq!(declined.json()["round"], json!(2));

    // The nominee does not consent to itself; the others do, the last two at once.
    app.consent(&b[tie_winner], w, &accept())
        .await
        .assert_problem(403, "forbidden");
    for n in [1, 2] {
        let given = app.consent(&b[n], w, &accept()).await;
        assert_eq!(given.status, 200, "{:?}", given.json());
        assert_eq!(given.json()["state"], json!("nominating"));
    }
    app.consent(&b[1], w, &accept())
        .await
        .assert_problem(409, "already_answered");
    let yes = accept();
    let (x, y) = tokio::join!(
        app.consent(&b[tie_loser], w, &yes),
        app.consent(&b[4], w, &yes)
    );
    assert!(
        x.status == 200 && y.status == 200,
        "{:?} {:?}",
        x.json(),
        y.json()
    );
    let appointed = app.mandate(&case.borrower, w).await.json();
    assert_eq!(appointed["state"], json!("active"), "{appointed}");
    assert_eq!(
        appointed["coordinator_id"],
        json!(b[tie_winner].institution_id)
    );
    assert_eq!(topic_count(&app, "mandates.coordinator_appointed").await, 1);
    let participants = app.participants(&case.borrower, w).await.items();
    let coordinators: Vec<&Value> = participants
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["role"] == json!("coordinator"))
        .collect();
    assert_eq!(coordinators.len(), 1, "{participants}");
    assert_eq!(
        coordinators[0]["institution_id"],
        json!(b[tie_winner].institution_id)
    );
    let coordinator = &b[tie_winner];

    // One renewal of at most 3 months, under the same rule.
    app.propose_renewal(
        coordinator,
        w,
        &json!({"months": 4, "rationale": "More time"}),
    )
    .await
    .assert_problem(422, "mandate_renewal_step");
    let proposed = app
        .propose_renewal(
            coordinator,
            w,
            &json!({"months": 3, "rationale": "The term sheet needs time"}),
        )
        .await;
    assert_eq!(proposed.status, 201, "{:?}", proposed.json());
    let renewal = Uuid::parse_str(
        proposed.json()["renewal_proposals"][0]["id"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let term_end = appointed["term_end"]["due"].as_str().unwrap().to_owned();
    for n in [1, 2, tie_loser, 4] {
        let answered = app.answer_renewal(&b[n], w, renewal, &accept()).await;
        assert_eq!(answered.status, 200, "{:?}", answered.json());
    }
    let renewed = app.mandate(&case.advisor, w).await.json();
    assert_eq!(renewed["renewals"], json!(1));
    assert_ne!(renewed["term_end"]["due"].as_str().unwrap(), term_end);
    assert_eq!(
        renewed["term_end"]["rule"]["name"],
        json!("MANDATE_RENEWAL_STEP")
    );
    // A second renewal is refused under the default setting, naming the rule.
    app.propose_renewal(&b[2], w, &json!({"months": 1, "rationale": "Again"}))
        .await
        .assert_problem(422, "mandate_renewals_allowed");

    // The duties checklist: the coordinator keeps it, every creditor reads it.
    let duty = app
        .update_duty(
            coordinator,
            w,
            "goals_and_deadlines",
            &json!({"status": "done", "on_date": "2026-11-24", "note": "Goals set at the kick-off"}),
        )
        .await;
    assert_eq!(duty.status, 200, "{:?}", duty.json());
    let duties = app.duties(&b[4], w).await.json();
    assert_eq!(duties["items"][0]["status"], json!("done"));
    assert_eq!(duties["items"].as_array().unwrap().len(), 6);

    // No second renewal: the window closes, then the mandate expires; two replicas, once each.
    let tokens = app.service_tokens("mandates").await;
    let registry = Arc::new(RegistryClient::new(
        reqwest::Client::new(),
        &app.url,
        tokens,
    ));
    let replica = || {
        workout_mandates::mandate::jobs::register_jobs(
            Scheduler::new(app.pool("mandates"), SchedulerConfig::new("mandates")),
            registry.clone(),
        )
    };
    let (r1, r2) = (replica(), replica());
    let cutoff = renewed["renewal_cutoff"]["due"].as_str().unwrap();
    let after_cutoff = chrono::NaiveDate::parse_from_str(cutoff, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(23, 0, 0)
        .unwrap()
        .and_utc();
    // The registry's `workout_opened` came after the start: its job finds the mandate started
    // and keeps no other.
    workout_tests::eventually(std::time::Duration::from_secs(10), || async {
        (r1.run_due(Utc::now()).await.unwrap() == 1).then_some(())
    })
    .await
    .expect("the job of the registry's workout_opened");
    assert_eq!(topic_count(&app, "mandates.mandate_opened").await, 0);
    let (a, c) = tokio::join!(r1.run_due(after_cutoff), r2.run_due(after_cutoff));
    assert_eq!(a.unwrap() + c.unwrap(), 1, "the window closes once");
    assert_eq!(
        app.mandate(&b[2], w).await.json()["state"],
        json!("closing")
    );
    // The expiry passed while no replica ran: both start at once and catch up.
    let later = Utc::now() + Duration::days(400);
    let (a, c) = tokio::join!(r1.run_due(later), r2.run_due(later));
    assert_eq!(a.unwrap() + c.unwrap(), 1, "the expiry, once");
    let expired = app.mandate(&case.borrower, w).await.json();
    assert_eq!(expired["state"], json!("expired"));
    let workout = app.workout(&case.borrower, w).await.json();
    assert_eq!(workout["status"], json!("closed"), "{workout}");
    for topic in [
        "mandates.mandate_started",
        "mandates.nomination_declined",
        "mandates.renewal_decided",
        "mandates.renewal_window_closed",
        "mandates.mandate_expired",
    ] {
        assert_eq!(topic_count(&app, topic).await, 1, "{topic}");
    }
    assert_eq!(topic_count(&app, "mandates.coordinator_nominated").await, 2);
    // The audit trail: every decision is on the mandates service's chain of the workout, which the
    // borrower reads whole and verifies.
    let audit = app
        .get(&format!("/mandates/v1/workouts/{w}/audit"), &case.borrower)
        .await;
    assert_eq!(audit.status, 200);
    let chain = String::from_utf8(audit.bytes).unwrap();
    workout_store::audit::verify(&chain, Default::default()).expect("the mandates chain");
    for (action, times) in [
        ("mandate_started", 1),
        ("coordinator_nominated", 2),
        ("nomination_declined", 1),
        ("coordinator_appointed", 1),
        ("renewal_decided", 1),
        ("renewal_window_closed", 1),
        ("mandate_expired", 1),
    ] {
        let entries = chain.matches(&format!("\"action\":\"{action}\"")).count();
        assert_eq!(entries, times, "{action}");
    }
    assert!(
        !chain.contains("\"withheld\":true"),
        "a mandate is open to every participant"
    );
    let path = format!("/mandates/v1/workouts/{w}/audit");
    let outsider = app.outsider().await;
    app.get(&path, &outsider)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.call(Method::GET, &path, None, None).await.status, 401);
    assert_eq!(
        app.call(Method::GET, &path, Some("not-a-token"), None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn a_failed_consent_round_leaves_no_coordinator_and_the_coordinator_of_record_nominates_another()
 {
    let app = TestApp::spawn().await;
    let case = case(&app, &["600000", "300000", "100000"]).await;
    let (b, w) = (&case.banks, case.workout);
    let started = app
        .start_mandate(
            &case.coordinator,
            w,
            &json!({"consent_rule": "all_other_creditors"}),
        )
        .await;
    assert_eq!(started.status, 201, "{:?}", started.json());
    app.consent(&b[1], w, &json!({"accept": false}))
        .await
        .assert_problem(422, "validation_failed");
    let objected = app
        .consent(
            &b[1],
            w,
            &json!({"accept": false, "reason": "Conflict with our own claim"}),
        )
        .await;
    assert_eq!(objected.status, 200, "{:?}", objected.json());
    assert_eq!(objected.json()["state"], json!("failed"));
    assert_eq!(objected.json()["coordinator_id"], Value::Null);
    assert_eq!(topic_count(&app, "mandates.consent_failed").await, 1);
    // Only the coordinator of record nominates; a creditor cannot.
    let body =
        json!({"creditor_id": b[1].institution_id, "rationale": "Largest team in the region"});
    app.nominate_coordinator(&b[2], w, &body)
        .await
        .assert_problem(403, "forbidden");
    let renominated = app.nominate_coordinator(&case.coordinator, w, &body).await;
    assert_eq!(renominated.status, 200, "{:?}", renominated.json());
    assert_eq!(renominated.json()["nominee_id"], json!(b[1].institution_id));
    assert_eq!(
        renominated.json()["nomination"]["how"],
        json!("by_coordinator")
    );
}

#[tokio::test]
async fn who_may_do_what_on_a_mandate() {
    let app = TestApp::spawn().await;
    let case = case(&app, &["600000", "300000", "100000"]).await;
    let (b, w) = (&case.banks, case.workout);
    let outsider = app.outsider().await;
    let paths: Vec<(Method, String)> = vec![
        (Method::POST, "".into()),
        (Method::GET, "".into()),
        (Method::POST, "/decline".into()),
        (Method::POST, "/nominations".into()),
        (Method::POST, "/consents".into()),
        (Method::POST, "/renewals".into()),
        (
            Method::POST,
            format!("/renewals/{}/responses", Uuid::now_v7()),
        ),
        (Method::POST, "/withdrawal-notices".into()),
        (Method::POST, "/withdrawal".into()),
        (Method::GET, "/duties".into()),
        (Method::PUT, "/duties/meeting_minutes".into()),
    ];
    let started = app.start_mandate(&case.coordinator, w, &json!({})).await;
    assert_eq!(started.status, 201, "{:?}", started.json());
    for (method, rest) in &paths {
        let path = workout_tests::endpoints::mandate_path(w, rest);
        let body = json!({});
        let anonymous = app.call(method.clone(), &path, None, Some(&body)).await;
        assert_eq!(anonymous.status, 401, "{method} {path} without a token");
        let forged = app
            .call(method.clone(), &path, Some("not-a-token"), Some(&body))
            .await;
        assert_eq!(forged.status, 401, "{method} {path} with a bad token");
        let stranger = app
            .call(method.clone(), &path, Some(&outsider.token), Some(&body))
            .await;
        assert_eq!(stranger.status, 404, "{method} {path} by an outsider");
        assert_eq!(stranger.json()["code"], json!("not_found"));
    }
    // The borrower, a guarantor and an advisor cannot consent.
    for actor in [&case.borrower, &case.guarantor, &case.advisor] {
        app.consent(actor, w, &accept())
            .await
            .assert_problem(403, "forbidden");
    }
    // Everyone in the workout reads the mandate and the duties.
    for actor in [&case.borrower, &case.guarantor, &case.advisor, &b[2]] {
        assert_eq!(app.mandate(actor, w).await.status, 200);
        assert_eq!(app.duties(actor, w).await.status, 200);
    }
    // Appoint bank 0, then a bank that is not the coordinator cannot act as one.
    for n in [1, 2] {
        assert_eq!(app.consent(&b[n], w, &accept()).await.status, 200);
    }
    assert_eq!(app.mandate(&b[1], w).await.json()["state"], json!("active"));
    app.update_duty(
        &b[1],
        w,
        "meeting_minutes",
        &json!({"status": "in_progress"}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.give_withdrawal_notice(&b[1], w, "Positions keep changing")
        .await
        .assert_problem(403, "forbidden");
    let ground =
        json!({"category": "positions_keep_changing", "text": "Three reversals in a month"});
    app.withdraw_coordinator(&b[1], w, &ground)
        .await
        .assert_problem(403, "forbidden");
    // The coordinator needs its notice before that ground; with it, it withdraws and the next
    // largest is nominated.
    let refused = app.withdraw_coordinator(&b[0], w, &ground).await;
    refused.assert_problem(422, "mandate_withdrawal_notice");
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("MANDATE_WITHDRAWAL_NOTICE")
    );
    let notice = app
        .give_withdrawal_notice(
            &b[0],
            w,
            "To all creditors and the borrower: positions keep changing",
        )
        .await;
    assert_eq!(notice.status, 201, "{:?}", notice.json());
    let withdrawn = app.withdraw_coordinator(&b[0], w, &ground).await;
    assert_eq!(withdrawn.status, 200, "{:?}", withdrawn.json());
    assert_eq!(withdrawn.json()["state"], json!("nominating"));
    assert_eq!(withdrawn.json()["coordinator_id"], Value::Null);
    assert_eq!(withdrawn.json()["nominee_id"], json!(b[1].institution_id));
    assert_eq!(topic_count(&app, "mandates.coordinator_withdrew").await, 1);
}

#[tokio::test]
async fn a_workout_that_opens_has_its_mandate_kept_from_the_opening_and_the_start_nominates() {
    let app = TestApp::spawn().await;
    let case = case(&app, &["400000", "700000", "100000"]).await;
    let w = case.workout;

    // The registry's `registry.workout_opened` reaches the mandates intake through its relay.
    let opened = workout_tests::eventually(std::time::Duration::from_secs(10), || async {
        let answer = app.mandate(&case.coordinator, w).await;
        (answer.status == 200).then(|| answer.json())
    })
    .await
    .expect("the mandate is kept from the opening");
    assert_eq!(opened["state"], "opened");
    assert_eq!(
        opened["nomination"],
        Value::Null,
        "no nomination before the start"
    );
    assert_eq!(opened["nominee_id"], Value::Null);
    assert_eq!(
        opened["appointment_due"]["due"], "2026-12-02",
        "one calendar month after the opening on 2 November"
    );
    assert_eq!(topic_count(&app, "mandates.mandate_opened").await, 1);
    // A banker cannot act on an opened mandate before its start.
    app.consent(&case.banks[0], w, &accept())
        .await
        .assert_problem(409, "no_open_round");
    app.nominate_coordinator(
        &case.coordinator,
        w,
        &json!({"creditor_id": case.banks[0].institution_id, "rationale": "Knows the borrower"}),
    )
    .await
    .assert_problem(409, "mandate_not_started");

    // The same event again (another delivery, another replica) keeps no second mandate.
    let registry = app.service_token("registry").await;
    let event = json!({"id": Uuid::now_v7(), "topic": "registry.workout_opened",
        "source": "registry", "workout_id": w, "occurred_at": Utc::now(), "payload": {}});
    let again = app
        .call(
            Method::POST,
            "/mandates/v1/events",
            Some(&registry),
            Some(&event),
        )
        .await;
    assert_eq!(again.status, 202, "{:?}", again.json());
    let replayed = app
        .call(
            Method::POST,
            "/mandates/v1/events",
            Some(&registry),
            Some(&event),
        )
        .await;
    assert_eq!(replayed.json()["duplicate"], true);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(topic_count(&app, "mandates.mandate_opened").await, 1);

    // The coordinator of record starts it: the same mandate, now nominating the largest.
    let started = app
        .start_mandate(&case.coordinator, w, &json!({"renewals_allowed": 2}))
        .await;
    assert_eq!(started.status, 201, "{:?}", started.json());
    assert_eq!(
        started.json()["id"],
        opened["id"],
        "the mandate kept its id"
    );
    assert_eq!(started.json()["state"], "nominating");
    assert_eq!(
        started.json()["nominee_id"],
        json!(case.banks[1].institution_id)
    );
    assert_eq!(started.json()["appointment_due"], opened["appointment_due"]);
    app.start_mandate(&case.coordinator, w, &json!({}))
        .await
        .assert_problem(409, "mandate_exists");

    // Only a service delivers events, each of its own source.
    let path = "/mandates/v1/events";
    assert_eq!(
        app.call(Method::POST, path, None, Some(&event))
            .await
            .status,
        401
    );
    assert_eq!(
        app.call(Method::POST, path, Some("not-a-token"), Some(&event))
            .await
            .status,
        401
    );
    assert_eq!(
        app.call(
            Method::POST,
            path,
            Some(&case.coordinator.token),
            Some(&event)
        )
        .await
        .status,
        401
    );
    let voting = app.service_token("voting").await;
    app.call(Method::POST, path, Some(&voting), Some(&event))
        .await
        .assert_problem(422, "source_mismatch");
}

/// A workout whose largest creditor (bank 0 of three) is appointed coordinator by the others.
async fn appointed(app: &TestApp) -> Case {
    let case = case(app, &["600000", "300000", "100000"]).await;
    let started = app
        .start_mandate(&case.coordinator, case.workout, &json!({}))
        .await;
    assert_eq!(started.status, 201, "{:?}", started.json());
    for bank in &case.banks[1..] {
        let given = app.consent(bank, case.workout, &accept()).await;
        assert!(given.status.is_success(), "{:?}", given.json());
    }
    let mandate = app.mandate(&case.coordinator, case.workout).await.json();
    assert_eq!(mandate["state"], "active", "{mandate:?}");
    assert_eq!(
        mandate["coordinator_id"],
        json!(case.banks[0].institution_id)
    );
    case
}

/// Moves the workout to `effective` as the services that own those steps would.
async fn make_effective(app: &TestApp, workout: Uuid) {
    let token = app.service_token("voting").await;
    for status in ["negotiation", "agreed", "effective"] {
        let moved = app
            .set_workout_status(&token, workout, &json!({"status": status}), None)
            .await;
        assert_eq!(moved.status, 200, "{status}: {:?}", moved.json());
    }
}

/// The mandate's agent once the workout's `effective` reached the mandates service.
async fn agent_when_effective(app: &TestApp, case: &Case) -> Value {
    workout_tests::eventually(std::time::Duration::from_secs(10), || async {
        let agent = app.mandate(&case.banks[2], case.workout).await.json()["agent"].clone();
        agent["appointed_at"].is_string().then_some(agent)
    })
    .await
    .expect("the agent is appointed once the workout is effective")
}

#[tokio::test]
async fn the_coordinator_becomes_the_agent_when_the_workout_is_effective() {
    let app = TestApp::spawn().await;
    let case = appointed(&app).await;
    make_effective(&app, case.workout).await;
    let agent = agent_when_effective(&app, &case).await;
    assert_eq!(agent["agent_id"], json!(case.banks[0].institution_id));
    assert_eq!(agent["appointed_how"], "coordinator");
    assert_eq!(agent["decided_id"], Value::Null);
    assert_eq!(topic_count(&app, "mandates.agent_appointed").await, 1);
}

#[tokio::test]
async fn the_creditors_may_decide_on_another_agent_until_the_workout_is_effective() {
    let app = TestApp::spawn().await;
    let case = appointed(&app).await;
    let (b, w) = (&case.banks, case.workout);
    let decide = |creditor: Uuid| json!({"creditor_id": creditor, "decision": "Creditors' meeting of 1 March, minutes M-3, item 4"});
    let path = workout_tests::endpoints::mandate_path(w, "/agent");

    // Only the appointed coordinator records it, and only a creditor can be chosen.
    let body = decide(b[1].institution_id);
    assert_eq!(
        app.call(Method::PUT, &path, None, Some(&body)).await.status,
        401
    );
    assert_eq!(
        app.call(Method::PUT, &path, Some("not-a-token"), Some(&body))
            .await
            .status,
        401
    );
    let outsider = app.outsider().await;
    app.put(&path, &outsider, &body)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.put(&path, &b[2], &body).await.status, 403, "a creditor");
    assert_eq!(
        app.put(&path, &case.borrower, &body).await.status,
        403,
        "the borrower"
    );
    let acting = app.put(&path, &case.coordinator, &body).await;
    assert_eq!(
        acting.status, 403,
        "the coordinator of record is not the coordinator appointed"
    );
    app.put(&path, &b[0], &decide(case.borrower.institution_id))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(topic_count(&app, "mandates.agent_decided").await, 0);

    let decided = app.put(&path, &b[0], &body).await;
    assert_eq!(decided.status, 200, "{:?}", decided.json());
    assert_eq!(decided.json()["decided_id"], json!(b[1].institution_id));
    assert_eq!(
        decided.json()["agent_id"],
        Value::Null,
        "not before the workout is effective"
    );
    assert_eq!(topic_count(&app, "mandates.agent_decided").await, 1);

    make_effective(&app, w).await;
    let agent = agent_when_effective(&app, &case).await;
    assert_eq!(agent["agent_id"], json!(b[1].institution_id));
    assert_eq!(agent["appointed_how"], "creditors_decision");
    assert_eq!(topic_count(&app, "mandates.agent_appointed").await, 1);

    // Too late now.
    app.put(&path, &b[0], &decide(b[2].institution_id))
        .await
        .assert_problem(409, "agent_appointed");
    let again = app.mandate(&b[1], w).await.json();
    assert_eq!(again["agent"]["agent_id"], json!(b[1].institution_id));
}

#[tokio::test]
async fn an_appointment_that_fell_due_with_no_coordinator_is_announced_overdue_once() {
    let app = TestApp::spawn().await;
    // Opened on 30 September: the coordinator was due by 30 October, a date already past.
    let case = case_opened_on(&app, &["500000", "300000"], "2026-09-30").await;
    workout_tests::eventually(std::time::Duration::from_secs(10), || async {
        (topic_count(&app, "mandates.appointment_overdue").await == 1).then_some(())
    })
    .await
    .expect("the overdue appointment is announced");
    let mandate = app.mandate(&case.banks[1], case.workout).await.json();
    assert_eq!(mandate["appointment_due"]["due"], "2026-10-30");
    assert_eq!(mandate["appointment_overdue"], true);
    assert_eq!(mandate["state"], "opened");
    // Starting the mandate late is allowed (the guideline says "as a rule"), and announces nothing
    // again.
    let started = app
        .start_mandate(&case.coordinator, case.workout, &json!({}))
        .await;
    assert_eq!(started.status, 201, "{:?}", started.json());
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(topic_count(&app, "mandates.appointment_overdue").await, 1);
}
