//! Standstill agreements over HTTP: proposed by the coordinator on a frozen snapshot, acceded to
//! by the creditors until the accession rule of the voting engine passes (the workout then moves
//! to `standstill` in the registry), a creditor that reduces its exposure below the baseline
//! flagged, breaches reported, terminated, and expired once by the scheduler.

use std::sync::Arc;

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_http::registry_client::RegistryClient;
use workout_store::scheduler::{Scheduler, SchedulerConfig};
use workout_tests::endpoints::standstill_path;
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    borrower: Actor,
    advisor: Actor,
    banks: Vec<Actor>,
    facilities: Vec<Uuid>,
    snapshot: Uuid,
}

fn facility(reference: &str, amount: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR", "committed": amount,
        "outstanding_principal": amount, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": false, "class": "unsecured", "related_party": false,
        "collateral": [], "guarantees": []
    })
}

/// A workout with a borrower, an advisor and one bank per amount (one facility each), with a
/// frozen snapshot of today.
async fn case(app: &TestApp, amounts: &[&str]) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-STAND", "borrower_id": borrower_id, "base_currency": "SAR",
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
    let (mut banks, mut facilities) = (Vec::new(), Vec::new());
    for (n, amount) in amounts.iter().enumerate() {
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
            .create_facility(&bank, workout, &facility(&format!("F-{n}"), amount))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.json());
        facilities.push(id_of(&created.json()));
        banks.push(bank);
    }
    let today = Utc::now().date_naive().to_string();
    let frozen = app.freeze_snapshot(&coordinator, workout, &today).await;
    assert_eq!(frozen.status, 201, "{:?}", frozen.json());
    Case {
        workout,
        coordinator,
        borrower,
        advisor,
        banks,
        facilities,
        snapshot: id_of(&frozen.json()),
    }
}

fn proposal(case: &Case, ends_in_days: i64, extra: Value) -> Value {
    let today = Utc::now().date_naive();
    let mut body = json!({
        "snapshot_id": case.snapshot,
        "starts_on": today.to_string(),
        "ends_on": (today + Duration::days(ends_in_days)).to_string(),
        "termination_events": ["Insolvency filing by the borrower", "Payment default on new money"],
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

async fn propose(app: &TestApp, case: &Case, body: &Value) -> Uuid {
    let proposed = app
        .propose_standstill(&case.coordinator, case.workout, body)
        .await;
    assert_eq!(proposed.status, 201, "{:?}", proposed.json());
    id_of(&proposed.json())
}

async fn workout_status(app: &TestApp, case: &Case) -> Value {
    app.workout(&case.coordinator, case.workout).await.json()["status"].clone()
}

async fn topic_count(app: &TestApp, topic: &str) -> i64 {
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
}

/// The first entry of `action` in the voting service's audit export of `workout` as `actor` reads it.
async fn audit_entry(app: &TestApp, actor: &Actor, workout: Uuid, action: &str) -> Value {
    let export = app
        .get(&format!("/voting/v1/workouts/{workout}/audit"), actor)
        .await;
    assert_eq!(export.status, 200);
    String::from_utf8(export.bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["action"] == json!(action))
        .unwrap_or_else(|| panic!("no {action} entry"))
}

#[tokio::test]
async fn four_of_five_banks_acceded_is_not_effective_the_fifth_makes_it_effective_and_a_reduction_is_flagged()
 {
    let app = TestApp::spawn().await;
    let case = case(&app, &["500000", "400000", "300000", "200000", "100000"]).await;
    let (w, banks) = (case.workout, &case.banks);
    let id = propose(&app, &case, &proposal(&case, 90, json!({}))).await;
    let proposed = app.standstill(&case.coordinator, w, id).await.json();
    assert_eq!(proposed["state"], json!("proposed"));
    assert_eq!(proposed["accession_rule"]["preset"], json!("unanimity"));
    assert_eq!(proposed["baseline"].as_array().unwrap().len(), 5);
    assert_eq!(
        proposed["undertakings"],
        json!({"creditors": ["no_enforcement", "no_acceleration", "hold_the_line"],
               "borrower": ["information", "no_new_security", "no_disposals"]})
    );
    // A second standstill cannot be proposed while this one is live.
    app.propose_standstill(&case.coordinator, w, &proposal(&case, 90, json!({})))
        .await
        .assert_problem(409, "standstill_live");

    // Four of five accede (one declines first, then changes its mind): not effective.
    let declined = app
        .decline_standstill(&banks[3], w, id, "Credit committee pending")
        .await;
    assert_eq!(declined.status, 200, "{:?}", declined.json());
    for bank in &banks[..4] {
        let acceded = app.accede_standstill(bank, w, id).await;
        assert_eq!(acceded.status, 200, "{:?}", acceded.json());
        assert_eq!(acceded.json()["state"], json!("proposed"));
    }
    let four = app.standstill(&case.borrower, w, id).await.json();
    assert_eq!(
        four["accession"],
        json!({"creditors": 5, "acceded": 4, "declined": 0, "decided": null})
    );
    assert_ne!(workout_status(&app, &case).await, json!("standstill"));
    assert_eq!(topic_count(&app, "voting.standstill_effective").await, 0);

    // The fifth: effective, and the registry has the workout in standstill.
    let fifth = app.accede_standstill(&banks[4], w, id).await;
    assert_eq!(fifth.status, 200, "{:?}", fifth.json());
    assert_eq!(fifth.json()["state"], json!("effective"));
    assert_eq!(fifth.json()["accession"]["decided"], json!(true));
    assert_eq!(workout_status(&app, &case).await, json!("standstill"));
    assert_eq!(topic_count(&app, "voting.standstill_effective").await, 1);
    app.accede_standstill(&banks[0], w, id)
        .await
        .assert_problem(409, "standstill_not_proposed");
    // A creditor sees its own baseline line only.
    let own = app.standstill(&banks[2], w, id).await.json();
    assert_eq!(own["baseline"].as_array().unwrap().len(), 1);
    assert_eq!(
        own["baseline"][0]["creditor_id"],
        json!(banks[2].institution_id)
    );

    // Bank 1 reduces its loan from 400,000 to 250,000 through the registry: flagged.
    let reduced = app
        .edit_facility(
            &banks[1],
            w,
            case.facilities[1],
            &facility("F-1", "250000"),
            Some(1),
        )
        .await;
    assert_eq!(reduced.status, 200, "{:?}", reduced.json());
    let drift = app.standstill_drift(&case.coordinator, w, id).await;
    assert_eq!(drift.status, 200, "{:?}", drift.json());
    let drift = drift.json();
    assert_eq!(drift["breaches"], json!(1), "{drift}");
    for line in drift["lines"].as_array().unwrap() {
        let is_bank_1 = line["creditor_id"] == json!(banks[1].institution_id);
        assert_eq!(line["breach"], json!(is_bank_1), "{line}");
        if is_bank_1 {
            assert_eq!(line["baseline_exposure"], json!("400000"));
            assert_eq!(line["exposure_today"], json!("250000"));
            assert_eq!(line["reduction"], json!("150000"));
        }
    }
    // The bank in breach sees its own line; another bank sees only its own, unflagged.
    let others = app.standstill_drift(&banks[0], w, id).await.json();
    assert_eq!(others["lines"].as_array().unwrap().len(), 1);
    assert_eq!(others["breaches"], json!(0));
    app.standstill_drift(&case.advisor, w, id)
        .await
        .assert_problem(403, "forbidden");

    // Another creditor reports the breach: recorded with the exposure against the baseline.
    let report = app
        .report_breach(
            &banks[0],
            w,
            id,
            &json!({"party": "creditor", "creditor_id": banks[1].institution_id,
                    "kind": "exposure_reduction", "description": "Limit cut by 150,000"}),
        )
        .await;
    assert_eq!(report.status, 201, "{:?}", report.json());
    // The reporter does not see the other bank's position.
    assert!(
        report.json().get("detected_exposure").is_none(),
        "{:?}",
        report.json()
    );
    let read = app.standstill(&case.coordinator, w, id).await.json();
    assert_eq!(read["breaches"][0]["baseline_exposure"], json!("400000"));
    assert_eq!(read["breaches"][0]["detected_exposure"], json!("250000"));
    // A borrower's breach: the coordinator records it, a creditor may not.
    let borrower_breach = json!({"party": "borrower", "kind": "disposal",
        "description": "Sold the Jeddah warehouse"});
    app.report_breach(&banks[0], w, id, &borrower_breach)
        .await
        .assert_problem(403, "forbidden");
    let recorded = app
        .report_breach(&case.coordinator, w, id, &borrower_breach)
        .await;
    assert_eq!(recorded.status, 201, "{:?}", recorded.json());
    app.report_breach(
        &case.coordinator,
        w,
        id,
        &json!({"party": "borrower", "kind": "acceleration", "description": "x"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    assert_eq!(
        topic_count(&app, "voting.standstill_breach_reported").await,
        2
    );
    // In the voting audit chain the creditor's breach shows its exposure: withheld from another
    // bank, read by the bank in breach and the coordinator.
    for (who, withheld) in [
        (&banks[0], true),
        (&banks[1], false),
        (&case.coordinator, false),
    ] {
        let breach = audit_entry(&app, who, w, "standstill_breach_reported").await;
        assert_eq!(breach["withheld"] == json!(true), withheld, "{breach}");
    }

    // The termination event: ended with its reason, the workout back in coordination.
    let ended = app
        .terminate_standstill(
            &case.coordinator,
            w,
            id,
            "Insolvency filing by the borrower",
        )
        .await;
    assert_eq!(ended.status, 200, "{:?}", ended.json());
    assert_eq!(ended.json()["state"], json!("terminated"));
    assert_eq!(
        ended.json()["ended"]["reason"],
        json!("Insolvency filing by the borrower")
    );
    assert_eq!(workout_status(&app, &case).await, json!("coordinated"));
    app.terminate_standstill(&case.coordinator, w, id, "again")
        .await
        .assert_problem(409, "standstill_ended");
    let list = app.standstills(&case.advisor, w, "?limit=10").await;
    assert_eq!(list.status, 200, "{:?}", list.json());
    assert_eq!(list.json()["items"][0]["state"], json!("terminated"));
}

#[tokio::test]
async fn under_majority_lenders_the_banks_holding_more_than_two_thirds_make_it_effective() {
    let app = TestApp::spawn().await;
    // 500 + 300 = 800 of 1,000: more than 2/3 without the others.
    let case = case(&app, &["500000", "300000", "100000", "100000"]).await;
    let body = proposal(
        &case,
        30,
        json!({"accession_rule": {"preset": "majority_lenders"}}),
    );
    let id = propose(&app, &case, &body).await;
    let first = app
        .accede_standstill(&case.banks[0], case.workout, id)
        .await;
    assert_eq!(first.json()["state"], json!("proposed"));
    let second = app
        .accede_standstill(&case.banks[1], case.workout, id)
        .await;
    assert_eq!(
        second.json()["state"],
        json!("effective"),
        "{:?}",
        second.json()
    );
    assert_eq!(workout_status(&app, &case).await, json!("standstill"));
}

#[tokio::test]
async fn who_may_do_what_on_a_standstill() {
    let app = TestApp::spawn().await;
    let case = case(&app, &["600000", "400000"]).await;
    let w = case.workout;
    let body = proposal(&case, 30, json!({}));
    // Only the coordinator proposes; bad input is a problem.
    for who in [&case.banks[0], &case.borrower, &case.advisor] {
        app.propose_standstill(who, w, &body)
            .await
            .assert_problem(403, "forbidden");
    }
    app.propose_standstill(
        &case.coordinator,
        w,
        &proposal(&case, 30, json!({"termination_events": []})),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.propose_standstill(&case.coordinator, w, &proposal(&case, -1, json!({})))
        .await
        .assert_problem(422, "validation_failed");
    let id = propose(&app, &case, &body).await;
    // Only creditors of the baseline accede; the borrower, the advisor and the coordinator not.
    for who in [&case.borrower, &case.advisor, &case.coordinator] {
        app.accede_standstill(who, w, id)
            .await
            .assert_problem(403, "forbidden");
        app.decline_standstill(who, w, id, "no")
            .await
            .assert_problem(403, "forbidden");
    }
    // Only the coordinator terminates.
    for who in [&case.banks[0], &case.borrower] {
        app.terminate_standstill(who, w, id, "Breach")
            .await
            .assert_problem(403, "forbidden");
    }
    // Breaches are reported while it is in force.
    app.report_breach(
        &case.banks[0],
        w,
        id,
        &json!({"party": "creditor", "creditor_id": case.banks[1].institution_id,
                "kind": "enforcement", "description": "Called the guarantee"}),
    )
    .await
    .assert_problem(409, "standstill_not_effective");
    // Every participant reads.
    for who in [&case.banks[1], &case.borrower, &case.advisor] {
        let read = app.standstill(who, w, id).await;
        assert_eq!(read.status, 200, "{:?}", read.json());
    }
    // An outsider reads nothing, exactly as for a standstill that does not exist.
    let outsider = app.outsider().await;
    app.standstill(&case.coordinator, w, Uuid::now_v7())
        .await
        .assert_problem(404, "not_found");
    let one = |rest: &str| standstill_path(w, &format!("/{id}{rest}"));
    let endpoints = [
        (Method::GET, standstill_path(w, ""), None),
        (Method::POST, standstill_path(w, ""), Some(body.clone())),
        (Method::GET, one(""), None),
        (Method::GET, one("/drift"), None),
        (Method::POST, one("/accede"), Some(json!({}))),
        (Method::POST, one("/decline"), Some(json!({}))),
        (
            Method::POST,
            one("/breaches"),
            Some(json!({"party": "borrower", "kind": "disposal", "description": "Sold"})),
        ),
        (
            Method::POST,
            one("/terminate"),
            Some(json!({"reason": "Breach"})),
        ),
    ];
    for (method, path, body) in &endpoints {
        app.call(method.clone(), path, Some(&outsider.token), body.as_ref())
            .await
            .assert_problem(404, "not_found");
        // Without a token or with a bad one: 401.
        for token in [None, Some("not-a-token")] {
            let answer = app.call(method.clone(), path, token, body.as_ref()).await;
            assert_eq!(answer.status, 401, "{method} {path} with {token:?}");
        }
    }
    // The same key and body answers the same, once.
    let key = [("idempotency-key", "terminate-1")];
    let path = one("/terminate");
    let reason = json!({"reason": "The creditors agreed to end it"});
    let first = app
        .call_with(
            Method::POST,
            &path,
            Some(&case.coordinator.token),
            Some(&reason),
            &key,
        )
        .await;
    let again = app
        .call_with(
            Method::POST,
            &path,
            Some(&case.coordinator.token),
            Some(&reason),
            &key,
        )
        .await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    assert_eq!(again.status, 200);
    assert_eq!(first.json(), again.json());
    assert_eq!(topic_count(&app, "voting.standstill_terminated").await, 1);
}

#[tokio::test]
async fn two_scheduler_replicas_expire_a_standstill_once_and_release_the_workout() {
    // The platform's own scheduler sleeps past the test: the test runs the voting jobs itself.
    let app =
        TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await;
    let case = case(&app, &["600000", "400000"]).await;
    let id = propose(&app, &case, &proposal(&case, 1, json!({}))).await;
    for bank in &case.banks {
        app.accede_standstill(bank, case.workout, id).await;
    }
    assert_eq!(workout_status(&app, &case).await, json!("standstill"));
    let registry = Arc::new(RegistryClient::new(
        reqwest::Client::new(),
        &app.url,
        app.service_tokens("voting").await,
    ));
    let replica = || {
        workout_voting::standstills::end::register_jobs(
            Scheduler::new(app.pool("voting"), SchedulerConfig::new("voting")),
            registry.clone(),
        )
    };
    let (a, b) = (replica(), replica());
    // Before the end of the end date nothing is due.
    let (ran_a, ran_b) = tokio::join!(a.run_due(Utc::now()), b.run_due(Utc::now()));
    assert_eq!(ran_a.unwrap() + ran_b.unwrap(), 0);
    let later = Utc::now() + Duration::days(3);
    let (ran_a, ran_b) = tokio::join!(a.run_due(later), b.run_due(later));
    assert_eq!(ran_a.unwrap() + ran_b.unwrap(), 1, "the expiry, once");
    let read = app
        .standstill(&case.borrower, case.workout, id)
        .await
        .json();
    assert_eq!(read["state"], json!("expired"), "{read}");
    assert_eq!(read["ended"]["workout_status"], json!("coordinated"));
    assert_eq!(workout_status(&app, &case).await, json!("coordinated"));
    assert_eq!(topic_count(&app, "voting.standstill_expired").await, 1);
}

#[tokio::test]
async fn a_passed_ballot_extends_the_standstill_and_moves_its_expiry() {
    let app =
        TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await;
    let case = case(&app, &["600000", "400000"]).await;
    let w = case.workout;
    let id = propose(&app, &case, &proposal(&case, 1, json!({}))).await;
    for bank in &case.banks {
        app.accede_standstill(bank, w, id).await;
    }
    let ends_on = Utc::now().date_naive() + Duration::days(1);
    let new_end = ends_on + Duration::days(60);
    let ballots = format!("/voting/v1/workouts/{w}/ballots");
    let ballot_body = |subject: String| {
        json!({"subject_kind": "standstill_extension", "subject_ref": subject,
               "title": "Extend the standstill by 60 days",
               "rule": {"preset": "majority_lenders"}, "snapshot_id": case.snapshot,
               "closes_at": (Utc::now() + Duration::hours(30)).to_rfc3339()})
    };
    // The ballot names a live standstill of this workout and a later end date.
    for wrong in [
        format!("{id}/ends-on/{ends_on}"),
        format!("{}/ends-on/{new_end}", Uuid::now_v7()),
        format!("{id}/until/{new_end}"),
    ] {
        app.post(&ballots, &case.coordinator, &ballot_body(wrong))
            .await
            .assert_problem(422, "validation_failed");
    }
    let opened = app
        .post(
            &ballots,
            &case.coordinator,
            &ballot_body(format!("{id}/ends-on/{new_end}")),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let ballot = id_of(&opened.json());
    let extension = standstill_path(w, &format!("/{id}/extension"));
    let apply = json!({"ballot_id": ballot});
    app.post(&extension, &case.coordinator, &apply)
        .await
        .assert_problem(409, "ballot_open");
    for bank in &case.banks {
        let voted = app
            .put(
                &format!("{ballots}/{ballot}/vote"),
                bank,
                &json!({"choice": "for"}),
            )
            .await;
        assert_eq!(voted.status, 200, "{:?}", voted.json());
    }
    app.post(
        &format!("{ballots}/{ballot}/close"),
        &case.coordinator,
        &json!({}),
    )
    .await;
    for who in [&case.banks[0], &case.borrower] {
        app.post(&extension, who, &apply)
            .await
            .assert_problem(403, "forbidden");
    }
    let extended = app.post(&extension, &case.coordinator, &apply).await;
    assert_eq!(extended.status, 200, "{:?}", extended.json());
    assert_eq!(extended.json()["ends_on"], json!(new_end.to_string()));
    assert_eq!(
        extended.json()["extensions"][0]["from_ends_on"],
        json!(ends_on.to_string())
    );
    app.post(&extension, &case.coordinator, &apply)
        .await
        .assert_problem(409, "extension_applied");
    assert_eq!(topic_count(&app, "voting.standstill_extended").await, 1);

    // The expiry moved with it: nothing is due after the old end date.
    let registry = Arc::new(RegistryClient::new(
        reqwest::Client::new(),
        &app.url,
        app.service_tokens("voting").await,
    ));
    let jobs = workout_voting::standstills::end::register_jobs(
        Scheduler::new(app.pool("voting"), SchedulerConfig::new("voting")),
        registry,
    );
    assert_eq!(
        jobs.run_due(Utc::now() + Duration::days(3)).await.unwrap(),
        0
    );
    assert_eq!(
        app.standstill(&case.borrower, w, id).await.json()["state"],
        json!("effective")
    );
    // The expiry, and the reminder of the new end date (run late: it announces nothing).
    assert_eq!(
        jobs.run_due(Utc::now() + Duration::days(62)).await.unwrap(),
        2
    );
    assert_eq!(topic_count(&app, "voting.standstill_expiring").await, 0);
    assert_eq!(
        app.standstill(&case.borrower, w, id).await.json()["state"],
        json!("expired")
    );

    // An outsider gets 404, a caller without a valid token 401.
    let outsider = app.outsider().await;
    app.post(&extension, &outsider, &apply)
        .await
        .assert_problem(404, "not_found");
    for token in [None, Some("not-a-token")] {
        let answer = app
            .call(Method::POST, &extension, token, Some(&apply))
            .await;
        assert_eq!(answer.status, 401);
    }
}
