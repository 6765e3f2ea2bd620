//! Ballots over HTTP: opened on a frozen snapshot, voted and re-voted by the creditors, closed by
//! the coordinator, at the deadline by the scheduler, or when decided; results read by every
//! participant and certificates that verify, and fail to once changed.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_store::scheduler::{Scheduler, SchedulerConfig};
use workout_tests::{Actor, Answer, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    borrower: Actor,
    advisor: Actor,
    creditors: Vec<Actor>,
    snapshot: Uuid,
}

fn facility(reference: &str, amount: &str, class: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR", "committed": amount,
        "outstanding_principal": amount, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": class == "secured", "class": class, "related_party": false,
        "collateral": if class == "secured" { json!([{"kind": "real_estate", "description": "Plot",
            "valuation": {"amount": amount, "currency": "SAR"}, "valued_on": "2026-06-30", "ranking": 1}]) } else { json!([]) },
        "guarantees": []
    })
}

/// A workout whose creditors hold `amounts` (one facility each, `(amount, class)`), with a
/// frozen snapshot of today.
async fn case(app: &TestApp, amounts: &[(&str, &str)]) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-VOTE", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "contacts": [{"name": "Desk", "email": "desk@coordinator.test", "language": "en"}],
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let contacts = |n: usize| json!([{"name": "Desk", "email": format!("desk{n}@member.test"), "language": "en"}]);
    let firm = app.institution("advisor", "Advisory Firm").await;
    let advisor = app.user(firm, "member").await;
    let added = app
        .add_participant(
            &coordinator,
            workout,
            &json!({"institution_id": firm, "role": "advisor", "contacts": contacts(99)}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let mut creditors = Vec::new();
    for (n, (amount, class)) in amounts.iter().enumerate() {
        let bank = app.bank_admin(&format!("Creditor Bank {n}")).await;
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": bank.institution_id, "role": "creditor", "contacts": contacts(n)}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
        let created = app
            .create_facility(&bank, workout, &facility(&format!("F-{n}"), amount, class))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.json());
        creditors.push(bank);
    }
    let today = Utc::now().date_naive().to_string();
    let frozen = app.freeze_snapshot(&coordinator, workout, &today).await;
    assert_eq!(frozen.status, 201, "{:?}", frozen.json());
    Case {
        workout,
        coordinator,
        borrower,
        advisor,
        creditors,
        snapshot: id_of(&frozen.json()),
    }
}

fn ballots(case: &Case) -> String {
    format!("/voting/v1/workouts/{}/ballots", case.workout)
}

fn ballot_path(case: &Case, ballot: Uuid, rest: &str) -> String {
    format!("{}/{ballot}{rest}", ballots(case))
}

fn open_body(case: &Case, preset: &str, closes_in: Duration, extra: Value) -> Value {
    let mut body = json!({
        "subject_kind": "waiver", "subject_ref": "W-3",
        "content_hash": "a".repeat(64), "title": "Waive the information covenant",
        "rule": {"preset": preset}, "snapshot_id": case.snapshot,
        "closes_at": (Utc::now() + closes_in).to_rfc3339(),
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

async fn open(app: &TestApp, case: &Case, body: &Value) -> Uuid {
    let opened = app.post(&ballots(case), &case.coordinator, body).await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    id_of(&opened.json())
}

async fn vote(app: &TestApp, case: &Case, ballot: Uuid, voter: &Actor, choice: &str) -> Answer {
    app.put(
        &ballot_path(case, ballot, "/vote"),
        voter,
        &json!({"choice": choice, "comment": format!("{choice}, after review")}),
    )
    .await
}

async fn verify(app: &TestApp, actor: &Actor, certificate: &Value) -> Value {
    let checked = app
        .post("/voting/v1/certificates/verify", actor, certificate)
        .await;
    assert_eq!(checked.status, 200, "{:?}", checked.json());
    checked.json()
}

#[tokio::test]
async fn five_creditors_in_two_classes_vote_change_and_every_participant_reads_a_result_that_verifies()
 {
    let app = TestApp::spawn().await;
    // Unsecured: 600 + 300 + 100 (1,000); secured: 500 + 500 (1,000).
    let case = case(
        &app,
        &[
            ("600000", "unsecured"),
            ("300000", "unsecured"),
            ("100000", "unsecured"),
            ("500000", "secured"),
            ("500000", "secured"),
        ],
    )
    .await;
    let body = open_body(&case, "chapter11_class", Duration::hours(2), json!({}));
    let ballot = open(&app, &case, &body).await;
    let c = &case.creditors;
    // Unsecured: 600 for, 300 against (then for), 100 against: 900/1000 for, 2 of 3 in number.
    // Secured: 500 for, 500 abstains: 500/500 of those voting, 1 of 1 in number.
    for (voter, choice) in [
        (0, "for"),
        (1, "against"),
        (2, "against"),
        (3, "for"),
        (4, "abstain"),
        (1, "for"),
    ] {
        let cast = vote(&app, &case, ballot, &c[voter], choice).await;
        assert_eq!(cast.status, 200, "{:?}", cast.json());
    }
    // While open: a creditor sees its own vote and the turnout, not the others'; the coordinator
    // sees every vote and the live position.
    let seen = app.get(&ballot_path(&case, ballot, ""), &c[1]).await.json();
    assert_eq!(seen["own_vote"]["choice"], json!("for"));
    assert_eq!(seen["own_vote"]["changes"], json!(1));
    assert_eq!(seen["turnout"], json!({"eligible": 5, "voted": 5}));
    assert!(seen.get("votes").is_none() && seen.get("position").is_none());
    let coordinator_view = app
        .get(&ballot_path(&case, ballot, ""), &case.coordinator)
        .await
        .json();
    assert_eq!(coordinator_view["votes"].as_array().unwrap().len(), 5);
    assert!(coordinator_view["position"].is_object());
    app.get(
        &ballot_path(&case, ballot, "/certificate"),
        &case.coordinator,
    )
    .await
    .assert_problem(409, "ballot_open");

    let closed = app
        .post(
            &ballot_path(&case, ballot, "/close"),
            &case.coordinator,
            &json!({}),
        )
        .await;
    assert_eq!(closed.status, 200, "{:?}", closed.json());
    let result = &closed.json()["closed"];
    assert_eq!(result["closed_how"], json!("coordinator"));
    assert_eq!(result["outcome"]["passed"], json!(true), "{result}");
    assert_eq!(result["outcome"]["groups"].as_array().unwrap().len(), 2);

    // After the close every participant reads the result and the votes.
    for reader in [&case.borrower, &case.advisor, &c[2]] {
        let after = app.get(&ballot_path(&case, ballot, ""), reader).await;
        assert_eq!(after.status, 200);
        assert_eq!(after.json()["closed"]["outcome"]["passed"], json!(true));
        assert_eq!(after.json()["votes"].as_array().unwrap().len(), 5);
    }
    // The certificate shows every creditor's weight: not to an advisor.
    app.get(&ballot_path(&case, ballot, "/certificate"), &case.advisor)
        .await
        .assert_problem(403, "forbidden");
    // A bank takes the certificate and checks it; any change makes it fail.
    let certificate = app
        .get(&ballot_path(&case, ballot, "/certificate"), &c[4])
        .await;
    assert_eq!(certificate.status, 200);
    let certificate = certificate.json();
    assert_eq!(certificate["hash"], result["certificate_hash"]);
    assert_eq!(
        verify(&app, &c[4], &certificate).await["holds"],
        json!(true)
    );
    let creditor_2 = c[2].institution_id.to_string();
    let mut changed_vote = certificate.clone();
    changed_vote["votes"][&creditor_2] = json!("for");
    let mut changed_weight = certificate.clone();
    changed_weight["voters"][0]["weight"] = json!("999999");
    let mut changed_rule = certificate.clone();
    changed_rule["rule"]["grouping"] = json!("pool");
    for tampered in [changed_vote, changed_weight, changed_rule] {
        assert_eq!(verify(&app, &c[4], &tampered).await["holds"], json!(false));
    }
    // The voting chain verifies for every participant; a creditor reads its own vote's details,
    // not another's.
    let chain = |actor: &Actor| {
        let app = &app;
        let path = format!("/voting/v1/workouts/{}/audit", case.workout);
        let actor = actor.clone();
        async move { String::from_utf8(app.get(&path, &actor).await.bytes).unwrap() }
    };
    let by_creditor = chain(&c[0]).await;
    let by_coordinator = chain(&case.coordinator).await;
    for text in [&by_creditor, &by_coordinator] {
        workout_store::audit::verify(text, Default::default()).expect("the voting chain");
    }
    let actions = |text: &str| text.matches("\"action\":\"vote_cast\"").count();
    assert_eq!(actions(&by_creditor), 6);
    assert_eq!(by_coordinator.matches("after review").count(), 6);
    assert_eq!(
        by_creditor.matches("after review").count(),
        1,
        "its own vote only"
    );
    // Nothing is taken after the close.
    vote(&app, &case, ballot, &c[2], "for")
        .await
        .assert_problem(409, "ballot_closed");
    app.post(
        &ballot_path(&case, ballot, "/close"),
        &case.coordinator,
        &json!({}),
    )
    .await
    .assert_problem(409, "ballot_closed");
}

#[tokio::test]
async fn who_may_do_what_on_a_ballot() {
    let app = TestApp::spawn().await;
    let case = case(&app, &[("600000", "unsecured"), ("400000", "unsecured")]).await;
    // The second creditor is a related party of the borrower.
    let related_id = case.creditors[1].institution_id;
    let decided = app
        .put(
            &format!(
                "/registry/v1/workouts/{}/related-parties/{}",
                case.workout, related_id
            ),
            &case.coordinator,
            &json!({"related_party": true, "reason": "Same group as the borrower"}),
        )
        .await;
    assert_eq!(decided.status, 200, "{:?}", decided.json());
    let today = Utc::now().date_naive().to_string();
    let refrozen = app
        .freeze_snapshot(&case.coordinator, case.workout, &today)
        .await;
    let case = Case {
        snapshot: id_of(&refrozen.json()),
        ..case
    };
    let related = &case.creditors[1];
    let body = open_body(&case, "majority_lenders", Duration::hours(2), json!({}));
    // Only the coordinator opens and closes.
    app.post(&ballots(&case), &case.creditors[0], &body)
        .await
        .assert_problem(403, "forbidden");
    let ballot = open(&app, &case, &body).await;
    app.post(
        &ballot_path(&case, ballot, "/close"),
        &case.creditors[0],
        &json!({}),
    )
    .await
    .assert_problem(403, "forbidden");
    // Borrower, advisor and the related party do not vote.
    for who in [&case.borrower, &case.advisor, related] {
        vote(&app, &case, ballot, who, "for")
            .await
            .assert_problem(403, "forbidden");
    }
    // An outsider reads nothing, exactly as for a ballot that does not exist.
    let outsider = app.outsider().await;
    let real = app.get(&ballot_path(&case, ballot, ""), &outsider).await;
    let missing = app
        .get(&ballot_path(&case, Uuid::now_v7(), ""), &case.coordinator)
        .await;
    real.assert_problem(404, "not_found");
    missing.assert_problem(404, "not_found");
    for (method, path, body) in [
        (Method::GET, ballots(&case), None),
        (Method::POST, ballots(&case), Some(body.clone())),
        (
            Method::PUT,
            ballot_path(&case, ballot, "/vote"),
            Some(json!({"choice": "for"})),
        ),
        (
            Method::POST,
            ballot_path(&case, ballot, "/close"),
            Some(json!({})),
        ),
        (
            Method::GET,
            ballot_path(&case, ballot, "/certificate"),
            None,
        ),
    ] {
        app.call(method, &path, Some(&outsider.token), body.as_ref())
            .await
            .assert_problem(404, "not_found");
    }
    // Without a token or with a bad one: 401 on every endpoint.
    for (method, path) in [
        (Method::GET, ballots(&case)),
        (Method::POST, ballots(&case)),
        (Method::GET, ballot_path(&case, ballot, "")),
        (Method::PUT, ballot_path(&case, ballot, "/vote")),
        (Method::POST, ballot_path(&case, ballot, "/close")),
        (Method::GET, ballot_path(&case, ballot, "/certificate")),
        (Method::POST, "/voting/v1/certificates/verify".to_owned()),
        (
            Method::GET,
            format!("/voting/v1/workouts/{}/audit", case.workout),
        ),
    ] {
        for token in [None, Some("not-a-token")] {
            let answer = app
                .call(method.clone(), &path, token, Some(&json!({})))
                .await;
            assert_eq!(answer.status, 401, "{method} {path} with {token:?}");
        }
    }
    // The related party's weight is out of the tally: 600 of 600 is more than 2/3.
    vote(&app, &case, ballot, &case.creditors[0], "for").await;
    let closed = app
        .post(
            &ballot_path(&case, ballot, "/close"),
            &case.coordinator,
            &json!({}),
        )
        .await
        .json();
    assert_eq!(
        closed["closed"]["outcome"]["passed"],
        json!(true),
        "{closed}"
    );
    assert_eq!(closed["turnout"], json!({"eligible": 1, "voted": 1}));
}

#[tokio::test]
async fn two_hundred_concurrent_votes_from_fifty_banks_count_each_banks_last_vote_once() {
    let app = TestApp::spawn().await;
    let amounts: Vec<(String, &str)> = (0..50)
        .map(|n| (format!("{}", 100_000 + n * 1_000), "unsecured"))
        .collect();
    let refs: Vec<(&str, &str)> = amounts.iter().map(|(a, c)| (a.as_str(), *c)).collect();
    let case = case(&app, &refs).await;
    let body = open_body(
        &case,
        "simple_majority_by_value",
        Duration::hours(2),
        json!({}),
    );
    let ballot = open(&app, &case, &body).await;
    let choices = ["for", "against", "abstain"];
    // Four rounds of one vote per bank, all at once; each round's vote depends on the bank and
    // the round, so the last one is known.
    let rounds = 4;
    for round in 0..rounds {
        let casts = case.creditors.iter().enumerate().map(|(n, bank)| {
            let choice = choices[(n * 7 + round * 5) % 3];
            let app = &app;
            let case = &case;
            async move { vote(app, case, ballot, bank, choice).await.status }
        });
        let statuses = futures_util::future::join_all(casts).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    }
    let expected: BTreeMap<String, &str> = case
        .creditors
        .iter()
        .enumerate()
        .map(|(n, bank)| {
            (
                bank.institution_id.to_string(),
                choices[(n * 7 + (rounds - 1) * 5) % 3],
            )
        })
        .collect();
    let closed = app
        .post(
            &ballot_path(&case, ballot, "/close"),
            &case.coordinator,
            &json!({}),
        )
        .await;
    assert_eq!(closed.status, 200);
    let certificate = app
        .get(
            &ballot_path(&case, ballot, "/certificate"),
            &case.coordinator,
        )
        .await
        .json();
    let counted: BTreeMap<String, &str> = certificate["votes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap()))
        .collect();
    assert_eq!(counted, expected, "each bank's last vote, once");
    // The tally, recomputed here from the weights: for > 1/2 of for + against.
    let weight = |n: usize| rust_decimal::Decimal::from(100_000 + n as i64 * 1_000);
    let (mut for_weight, mut against_weight) =
        (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO);
    for (n, bank) in case.creditors.iter().enumerate() {
        match expected[&bank.institution_id.to_string()] {
            "for" => for_weight += weight(n),
            "against" => against_weight += weight(n),
            _ => {}
        }
    }
    assert_eq!(
        certificate["outcome"]["passed"],
        json!(for_weight * rust_decimal::Decimal::TWO > for_weight + against_weight)
    );
    assert_eq!(
        verify(&app, &case.coordinator, &certificate).await["holds"],
        json!(true)
    );
    let history: i64 = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = app.pool("voting").get().await.unwrap();
        workout_voting::schema::vote_history::table
            .count()
            .get_result(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(history, 200, "every vote cast is kept");
}

#[tokio::test]
async fn two_scheduler_replicas_close_a_due_ballot_once_and_announce_it_once() {
    // The platform's own scheduler sleeps past the test: the test runs the voting jobs itself.
    let app =
        TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await;
    let case = case(&app, &[("600000", "unsecured"), ("400000", "secured")]).await;
    let body = open_body(
        &case,
        "simple_majority_by_value",
        Duration::hours(30),
        json!({}),
    );
    let ballot = open(&app, &case, &body).await;
    vote(&app, &case, ballot, &case.creditors[0], "for").await;
    let replica = || {
        workout_voting::ballots::close::register_jobs(Scheduler::new(
            app.pool("voting"),
            SchedulerConfig::new("voting"),
        ))
    };
    let (a, b) = (replica(), replica());
    // The reminder falls due 24 hours before the deadline; both replicas look at once.
    let reminder_time = Utc::now() + Duration::hours(7);
    let (ran_a, ran_b) = tokio::join!(a.run_due(reminder_time), b.run_due(reminder_time));
    assert_eq!(ran_a.unwrap() + ran_b.unwrap(), 1, "the reminder, once");
    // The deadline passed while no replica ran: both start at once and catch up.
    let later = Utc::now() + Duration::hours(31);
    let (ran_a, ran_b) = tokio::join!(a.run_due(later), b.run_due(later));
    assert_eq!(ran_a.unwrap() + ran_b.unwrap(), 1, "the close, once");
    let read = app
        .get(&ballot_path(&case, ballot, ""), &case.borrower)
        .await
        .json();
    assert_eq!(read["closed"]["closed_how"], json!("deadline"));
    assert_eq!(read["closed"]["closed_at"], read["closes_at"]);
    for topic in ["voting.ballot_closing_soon", "voting.ballot_closed"] {
        let events: i64 = {
            use diesel::prelude::*;
            use diesel_async::RunQueryDsl;
            use workout_store::schema::outbox;
            let mut conn = app.pool("voting").get().await.unwrap();
            outbox::table
                .filter(outbox::topic.eq(topic))
                .count()
                .get_result(&mut conn)
                .await
                .unwrap()
        };
        assert_eq!(events, 1, "{topic}");
    }
    vote(&app, &case, ballot, &case.creditors[1], "for")
        .await
        .assert_problem(409, "ballot_closed");
}

#[tokio::test]
async fn a_ballot_closes_early_once_decided_and_a_business_day_deadline_names_its_rule() {
    let app = TestApp::spawn().await;
    let case = case(&app, &[("700000", "unsecured"), ("300000", "unsecured")]).await;
    let mut body = open_body(
        &case,
        "majority_lenders",
        Duration::hours(2),
        json!({"close_early": true, "closes_after_business_days": 5}),
    );
    body.as_object_mut().unwrap().remove("closes_at");
    let ballot = open(&app, &case, &body).await;
    let opened = app
        .get(&ballot_path(&case, ballot, ""), &case.coordinator)
        .await
        .json();
    assert_eq!(opened["deadline"]["kind"], json!("business_days"));
    assert_eq!(opened["deadline"]["rule"], json!("BALLOT_CLOSE"));
    assert_eq!(opened["deadline"]["calendar"], json!("SA"));
    // 700 of 1,000 is more than 2/3 of all eligible: decided whatever the other bank does.
    let cast = vote(&app, &case, ballot, &case.creditors[0], "for").await;
    assert_eq!(cast.status, 200);
    assert_eq!(cast.json()["closed"]["closed_how"], json!("decided"));
    assert_eq!(cast.json()["closed"]["outcome"]["passed"], json!(true));
    vote(&app, &case, ballot, &case.creditors[1], "against")
        .await
        .assert_problem(409, "ballot_closed");
}

#[tokio::test]
async fn the_running_platform_closes_a_ballot_at_its_deadline_and_everyone_reads_the_result() {
    let app = TestApp::spawn().await;
    let case = case(&app, &[("600000", "unsecured"), ("400000", "secured")]).await;
    let body = open_body(
        &case,
        "simple_majority_by_value",
        Duration::seconds(8),
        json!({}),
    );
    let ballot = open(&app, &case, &body).await;
    for (voter, choice) in [(0, "for"), (1, "against")] {
        let cast = vote(&app, &case, ballot, &case.creditors[voter], choice).await;
        assert_eq!(cast.status, 200, "{:?}", cast.json());
    }
    let path = ballot_path(&case, ballot, "");
    let closed = workout_tests::eventually(std::time::Duration::from_secs(30), || async {
        let read = app.get(&path, &case.borrower).await.json();
        read.get("closed").cloned()
    })
    .await
    .expect("the platform's scheduler closes the ballot at its deadline");
    assert_eq!(closed["closed_how"], json!("deadline"));
    assert_eq!(
        closed["outcome"]["passed"],
        json!(true),
        "600 for, 400 against"
    );
}

#[tokio::test]
async fn votes_racing_the_close_are_counted_or_refused_and_the_result_agrees_with_each_answer() {
    let app = TestApp::spawn().await;
    let amounts: Vec<(String, &str)> = (0..20)
        .map(|n| (format!("{}", 50_000 + n * 500), "unsecured"))
        .collect();
    let refs: Vec<(&str, &str)> = amounts.iter().map(|(a, c)| (a.as_str(), *c)).collect();
    let case = case(&app, &refs).await;
    let body = open_body(
        &case,
        "simple_majority_by_value",
        Duration::hours(2),
        json!({}),
    );
    let ballot = open(&app, &case, &body).await;
    // Every bank votes "against" first; then all switch to "for" while the coordinator closes.
    for bank in &case.creditors {
        assert_eq!(vote(&app, &case, ballot, bank, "against").await.status, 200);
    }
    // The switches are spread over 400 ms and the close goes out in their midst.
    let switches = case.creditors.iter().enumerate().map(|(n, bank)| {
        let (app, case) = (&app, &case);
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(20 * n as u64)).await;
            (
                bank.institution_id,
                vote(app, case, ballot, bank, "for").await,
            )
        }
    });
    let (close_path, empty) = (ballot_path(&case, ballot, "/close"), json!({}));
    let close = async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        app.post(&close_path, &case.coordinator, &empty).await
    };
    let (answers, closed) = tokio::join!(futures_util::future::join_all(switches), close);
    assert_eq!(closed.status, 200, "{:?}", closed.json());
    let certificate = app
        .get(
            &ballot_path(&case, ballot, "/certificate"),
            &case.coordinator,
        )
        .await
        .json();
    let mut counted = 0;
    for (bank, answer) in &answers {
        let recorded = &certificate["votes"][bank.to_string()];
        match answer.status.as_u16() {
            200 => {
                assert_eq!(recorded, &json!("for"), "an accepted vote is counted");
                counted += 1;
            }
            409 => {
                answer.assert_problem(409, "ballot_closed");
                assert_eq!(recorded, &json!("against"), "a refused vote is not");
            }
            other => panic!("a vote racing the close answered {other}"),
        }
    }
    println!("{counted} of 20 switches were counted before the close");
    assert_eq!(
        verify(&app, &case.coordinator, &certificate).await["holds"],
        json!(true)
    );
}
