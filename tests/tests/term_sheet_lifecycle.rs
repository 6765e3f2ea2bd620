//! The lifecycle of a term sheet over HTTP (guideline 5.3.1 O): the creditors' minimum terms, a
//! ballot on one exact version as their tentative agreement (an edit afterwards needs a new
//! ballot), each bank's credit approval, the offer to the borrower with its 30-day lapse, the
//! borrower's answer (accept, reject with reasons, counter-propose), then initialling, legal
//! documentation, signature and the conditions of effectiveness met, which make the workout
//! `effective` in the registry.

use chrono::{Duration, FixedOffset, NaiveTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_store::scheduler::{Scheduler, SchedulerConfig};
use workout_tests::endpoints::term_sheet_path;
use workout_tests::{Actor, Answer, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    borrower: Actor,
    guarantor: Actor,
    advisor: Actor,
    banks: Vec<Actor>,
    snapshot: Uuid,
}

fn facility(reference: &str, amount: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR", "committed": amount,
        "outstanding_principal": amount, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": true, "class": "secured", "related_party": false,
        "collateral": [{"kind": "real_estate_mortgage", "description": "Plant, Dammam",
                        "valuation": {"amount": "600000.00", "currency": "SAR"},
                        "valued_on": "2026-10-01", "ranking": 1}],
        "guarantees": []
    })
}

/// A workout with a borrower, a guarantor, an advisor and `banks` creditor banks of 1,000,000 SAR
/// each, with a frozen snapshot of today.
async fn case(app: &TestApp, banks: usize) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-LIFE", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "contacts": [{"name": "Desk", "email": "desk@coordinator.test", "language": "en"}],
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let contacts = |n: usize| json!([{"name": "Desk", "email": format!("desk{n}@member.test"), "language": "en"}]);
    let guarantor_id = app.institution("guarantor", "Parent Holding").await;
    let guarantor = app.user(guarantor_id, "member").await;
    let firm = app.institution("advisor", "Advisory Firm").await;
    let advisor = app.user(firm, "member").await;
    for (institution, role, n) in [(guarantor_id, "guarantor", 98), (firm, "advisor", 99)] {
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": institution, "role": role, "contacts": contacts(n)}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
    }
    let mut creditors = Vec::new();
    for n in 0..banks {
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
            .create_facility(&bank, workout, &facility(&format!("F-{n}"), "1000000.00"))
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
        guarantor,
        advisor,
        banks: creditors,
        snapshot: id_of(&frozen.json()),
    }
}

fn sheet(second_instalment: &str) -> Value {
    json!({
        "borrower": {"description": "Distressed Co, a maker of building materials",
                     "sector": "other"},
        "banks": ["Creditor Bank 0", "Creditor Bank 1"],
        "repayment_schedule": [
            {"due": "2027-12-31", "amount": {"amount": "500000.00", "currency": "SAR"}},
            {"due": "2028-12-31", "amount": {"amount": second_instalment, "currency": "SAR"}}
        ],
        "governing_law": "Kingdom of Saudi Arabia",
        "conditions_of_effectiveness": ["Security documents registered",
                                        "Restructuring fee paid"]
    })
}

fn path(case: &Case, sheet: Uuid, rest: &str) -> String {
    term_sheet_path(case.workout, &format!("/{sheet}{rest}"))
}

async fn create(app: &TestApp, case: &Case) -> Uuid {
    let created = app
        .create_term_sheet(
            &case.coordinator,
            case.workout,
            &json!({"title": "Restructuring of Distressed Co", "content": sheet("1500000.00")}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    id_of(&created.json())
}

/// Saves `content` over version `over`; answers the new version's number.
async fn edit(app: &TestApp, case: &Case, id: Uuid, over: i32, content: &Value) -> i32 {
    let edited = app
        .edit_term_sheet(
            &case.coordinator,
            case.workout,
            id,
            Some(&format!("\"{over}\"")),
            content,
        )
        .await;
    assert_eq!(edited.status, 200, "{:?}", edited.json());
    i32::try_from(edited.json()["current"]["number"].as_i64().unwrap()).unwrap()
}

fn ballot_body(case: &Case, sheet: Uuid, number: i32, hash: &Value) -> Value {
    json!({
        "subject_kind": "term_sheet_version", "subject_ref": format!("{sheet}/versions/{number}"),
        "content_hash": hash, "title": format!("Agree version {number} of the term sheet"),
        "rule": {"preset": "simple_majority_by_value"}, "snapshot_id": case.snapshot,
        "closes_at": (Utc::now() + Duration::hours(48)).to_rfc3339(),
    })
}

/// Opens a ballot on version `number`, has every bank vote `choice`, closes it; answers its id.
async fn ballot_on(app: &TestApp, case: &Case, sheet: Uuid, number: i32, choice: &str) -> Uuid {
    let ballot = open_ballot_on(app, case, sheet, number).await;
    let ballots = format!("/voting/v1/workouts/{}/ballots/{ballot}", case.workout);
    for bank in &case.banks {
        let voted = app
            .put(&format!("{ballots}/vote"), bank, &json!({"choice": choice}))
            .await;
        assert_eq!(voted.status, 200, "{:?}", voted.json());
    }
    let closed = app
        .post(&format!("{ballots}/close"), &case.coordinator, &json!({}))
        .await;
    assert_eq!(closed.status, 200, "{:?}", closed.json());
    ballot
}

async fn open_ballot_on(app: &TestApp, case: &Case, sheet: Uuid, number: i32) -> Uuid {
    let version = app
        .term_sheet_version(&case.coordinator, case.workout, sheet, number)
        .await
        .json();
    let opened = app
        .post(
            &format!("/voting/v1/workouts/{}/ballots", case.workout),
            &case.coordinator,
            &ballot_body(case, sheet, number, &version["content_hash"]),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    id_of(&opened.json())
}

async fn agree(app: &TestApp, case: &Case, sheet: Uuid, ballot: Uuid) -> Answer {
    app.post(
        &path(case, sheet, "/agreement"),
        &case.coordinator,
        &json!({"ballot_id": ballot}),
    )
    .await
}

async fn approve(app: &TestApp, case: &Case, sheet: Uuid, version: i32, bank: &Actor) {
    let approved = app
        .post(
            &path(case, sheet, "/credit-approvals"),
            bank,
            &json!({"version": version, "decision": "approved", "reference": "CC-2026-117",
                    "decided_on": Utc::now().date_naive().to_string()}),
        )
        .await;
    assert_eq!(approved.status, 200, "{:?}", approved.json());
}

/// Ballot on `number` passed, agreement recorded, every bank's credit approval, offer submitted.
async fn agree_and_submit(app: &TestApp, case: &Case, sheet: Uuid, number: i32) -> Value {
    let ballot = ballot_on(app, case, sheet, number, "for").await;
    let agreed = agree(app, case, sheet, ballot).await;
    assert_eq!(agreed.status, 200, "{:?}", agreed.json());
    assert_eq!(agreed.json()["state"], "creditor_agreed");
    for bank in &case.banks {
        approve(app, case, sheet, number, bank).await;
    }
    let submitted = app
        .post(
            &path(case, sheet, "/submission"),
            &case.coordinator,
            &json!({}),
        )
        .await;
    assert_eq!(submitted.status, 200, "{:?}", submitted.json());
    assert_eq!(submitted.json()["state"], "submitted");
    submitted.json()
}

async fn workout_status(app: &TestApp, case: &Case) -> Value {
    app.workout(&case.coordinator, case.workout).await.json()["status"].clone()
}

#[tokio::test]
async fn a_ballot_that_approved_version_3_does_not_approve_version_4() {
    let app = TestApp::spawn().await;
    let case = case(&app, 2).await;
    let id = create(&app, &case).await;
    edit(&app, &case, id, 1, &sheet("1400000.00")).await;
    // A stale version is refused: version 2 is current.
    app.edit_term_sheet(
        &case.coordinator,
        case.workout,
        id,
        Some("\"1\""),
        &sheet("1300000.00"),
    )
    .await
    .assert_problem(412, "stale_version");
    let three = edit(&app, &case, id, 2, &sheet("1300000.00")).await;
    assert_eq!(three, 3);

    // A ballot must name a version of this term sheet with its content hash.
    let v3 = app
        .term_sheet_version(&case.coordinator, case.workout, id, 3)
        .await
        .json();
    let ballots = format!("/voting/v1/workouts/{}/ballots", case.workout);
    let mut wrong = ballot_body(&case, id, 3, &json!("a".repeat(64)));
    app.post(&ballots, &case.coordinator, &wrong)
        .await
        .assert_problem(422, "validation_failed");
    wrong = ballot_body(&case, Uuid::now_v7(), 3, &v3["content_hash"]);
    app.post(&ballots, &case.coordinator, &wrong)
        .await
        .assert_problem(422, "validation_failed");

    let on_three = ballot_on(&app, &case, id, 3, "for").await;
    let four = edit(&app, &case, id, 3, &sheet("1200000.00")).await;
    assert_eq!(four, 4);
    agree(&app, &case, id, on_three)
        .await
        .assert_problem(409, "ballot_other_version");

    // An open ballot on version 4 is not yet an agreement; a failed one never is.
    let open = open_ballot_on(&app, &case, id, 4).await;
    agree(&app, &case, id, open)
        .await
        .assert_problem(409, "ballot_open");
    let failed = ballot_on(&app, &case, id, 4, "against").await;
    agree(&app, &case, id, failed)
        .await
        .assert_problem(409, "ballot_failed");
    app.post(
        &path(&case, id, "/agreement"),
        &case.coordinator,
        &json!({"ballot_id": Uuid::now_v7()}),
    )
    .await
    .assert_problem(422, "validation_failed");

    let on_four = ballot_on(&app, &case, id, 4, "for").await;
    let agreed = agree(&app, &case, id, on_four).await;
    assert_eq!(agreed.status, 200, "{:?}", agreed.json());
    assert_eq!(agreed.json()["agreed_version"], 4);
    assert_eq!(agreed.json()["agreement_ballot"], json!(on_four));

    // An edit after the agreement ends it: the term sheet is a draft again, nothing to submit.
    let five = edit(&app, &case, id, 4, &sheet("1100000.00")).await;
    let read = app
        .term_sheet(&case.coordinator, case.workout, id)
        .await
        .json();
    assert_eq!((read["state"].clone(), five), (json!("draft"), 5));
    assert_eq!(read["agreed_version"], Value::Null);
    app.post(
        &path(&case, id, "/submission"),
        &case.coordinator,
        &json!({}),
    )
    .await
    .assert_problem(409, "term_sheet_state");
    app.post(
        &path(&case, id, "/credit-approvals"),
        &case.banks[0],
        &json!({"version": 4, "decision": "approved", "reference": "CC-1",
                "decided_on": Utc::now().date_naive().to_string()}),
    )
    .await
    .assert_problem(409, "term_sheet_state");
}

#[tokio::test]
async fn an_offer_submitted_on_day_0_has_lapsed_on_day_31_not_on_day_30() {
    // The platform's own scheduler sleeps past the test: the test runs the voting jobs itself.
    let app =
        TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await;
    let case = case(&app, 2).await;
    let id = create(&app, &case).await;
    let submitted = agree_and_submit(&app, &case, id, 1).await;
    let lapses_at: chrono::DateTime<Utc> =
        submitted["lapses_at"].as_str().unwrap().parse().unwrap();
    let offer = app
        .get(&path(&case, id, "/offer"), &case.borrower)
        .await
        .json();
    assert_eq!(offer["status"], "open");
    let submitted_at: chrono::DateTime<Utc> =
        offer["submitted_at"].as_str().unwrap().parse().unwrap();
    // Day 0 is the day of submission in Riyadh (the SA calendar's zone); day 31 starts at
    // midnight there.
    let riyadh = FixedOffset::east_opt(3 * 3600).unwrap();
    let day_0 = submitted_at.with_timezone(&riyadh).date_naive();
    let day_31 = (day_0 + Duration::days(31))
        .and_time(NaiveTime::MIN)
        .and_local_timezone(riyadh)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(lapses_at, day_31);

    let jobs = workout_voting::term_sheets::lifecycle::register_jobs(Scheduler::new(
        app.pool("voting"),
        SchedulerConfig::new("voting"),
    ));
    // The last second of day 30: still open.
    let end_of_day_30 = day_31 - Duration::seconds(1);
    assert_eq!(
        end_of_day_30.with_timezone(&riyadh).date_naive(),
        day_0 + Duration::days(30)
    );
    // By then only the reminder of day 28 has run (`voting.term_sheet_offer_lapsing`).
    assert_eq!(jobs.run_due(end_of_day_30).await.unwrap(), 1);
    let offer = app
        .get(&path(&case, id, "/offer"), &case.borrower)
        .await
        .json();
    assert_eq!(offer["status"], "open");
    // Day 31: lapsed, once.
    assert_eq!(jobs.run_due(day_31).await.unwrap(), 1);
    assert_eq!(jobs.run_due(day_31 + Duration::days(1)).await.unwrap(), 0);
    let offer = app
        .get(&path(&case, id, "/offer"), &case.guarantor)
        .await
        .json();
    assert_eq!(offer["status"], "lapsed");
    assert_eq!(
        app.term_sheet(&case.coordinator, case.workout, id)
            .await
            .json()["state"],
        "lapsed"
    );
    app.post(
        &path(&case, id, "/offer/response"),
        &case.borrower,
        &json!({"decision": "accept"}),
    )
    .await
    .assert_problem(409, "offer_not_open");
    // The coordinator may revise a lapsed offer: a new draft.
    assert_eq!(edit(&app, &case, id, 1, &sheet("1400000.00")).await, 2);
}

#[tokio::test]
async fn who_may_do_what_in_the_lifecycle() {
    let app = TestApp::spawn().await;
    let case = case(&app, 2).await;
    let (w, bank, other) = (case.workout, &case.banks[0], &case.banks[1]);
    let id = create(&app, &case).await;

    // Minimum terms: each creditor its own; the coordinator reads them all.
    let terms = format!("/voting/v1/workouts/{w}/minimum-terms");
    let mine = json!({"minimum_recovery": "85", "maximum_tenor_months": 60,
                      "required_security": ["Share pledge"]});
    let recorded = app.put(&terms, bank, &mine).await;
    assert_eq!(recorded.status, 200, "{:?}", recorded.json());
    assert_eq!(recorded.json()["revision"], 1);
    let again = app
        .put(&terms, bank, &json!({"minimum_recovery": "80"}))
        .await;
    assert_eq!(again.json()["revision"], 2);
    let recorded = app
        .put(
            &terms,
            other,
            &json!({"other_terms": "No haircut on principal"}),
        )
        .await;
    assert_eq!(recorded.status, 200, "{:?}", recorded.json());
    app.put(&terms, bank, &json!({}))
        .await
        .assert_problem(422, "validation_failed");
    for who in [&case.borrower, &case.guarantor, &case.advisor] {
        app.put(&terms, who, &mine)
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(
        app.get(&terms, &case.coordinator).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let own = app.get(&terms, bank).await.json();
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    assert_eq!(own["items"][0]["creditor_id"], json!(bank.institution_id));
    assert_eq!(own["items"][0]["terms"], json!({"minimum_recovery": "80"}));
    for who in [&case.borrower, &case.guarantor, &case.advisor] {
        app.get(&terms, who).await.assert_problem(403, "forbidden");
    }

    // No offer before a submission, for anyone.
    app.get(&path(&case, id, "/offer"), &case.borrower)
        .await
        .assert_problem(404, "not_found");
    let ballot = ballot_on(&app, &case, id, 1, "for").await;
    for who in [bank, &case.borrower] {
        app.post(
            &path(&case, id, "/agreement"),
            who,
            &json!({"ballot_id": ballot}),
        )
        .await
        .assert_problem(403, "forbidden");
    }
    let agreed = agree(&app, &case, id, ballot).await;
    assert_eq!(agreed.status, 200, "{:?}", agreed.json());

    // Credit approvals: a creditor for itself; submission waits for every creditor that voted
    // for; a decline is no approval.
    let approval = |decision: &str| {
        json!({"version": 1, "decision": decision, "reference": "CC-9",
               "decided_on": Utc::now().date_naive().to_string()})
    };
    for who in [&case.borrower, &case.advisor] {
        app.post(
            &path(&case, id, "/credit-approvals"),
            who,
            &approval("approved"),
        )
        .await
        .assert_problem(403, "forbidden");
    }
    let mut ancient = approval("approved");
    ancient["decided_on"] = json!("0001-01-01");
    app.post(&path(&case, id, "/credit-approvals"), bank, &ancient)
        .await
        .assert_problem(422, "validation_failed");
    approve(&app, &case, id, 1, bank).await;
    let declined = app
        .post(
            &path(&case, id, "/credit-approvals"),
            other,
            &approval("declined"),
        )
        .await;
    assert_eq!(declined.status, 200, "{:?}", declined.json());
    let submission = path(&case, id, "/submission");
    let refused = app.post(&submission, &case.coordinator, &json!({})).await;
    refused.assert_problem(409, "credit_approvals_missing");
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains(&other.institution_id.to_string())
    );
    let approvals = path(&case, id, "/credit-approvals");
    assert_eq!(
        app.get(&approvals, &case.coordinator).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.get(&approvals, bank).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.get(&approvals, &case.borrower)
        .await
        .assert_problem(403, "forbidden");
    approve(&app, &case, id, 1, other).await;
    for who in [bank, &case.borrower] {
        app.post(&submission, who, &json!({}))
            .await
            .assert_problem(403, "forbidden");
    }
    app.post(
        &submission,
        &case.coordinator,
        &json!({"valid_for_days": 0}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let submitted = app.post(&submission, &case.coordinator, &json!({})).await;
    assert_eq!(submitted.status, 200, "{:?}", submitted.json());

    // The offer: read by the borrower, guarantors, creditors and the coordinator; answered by the
    // borrower alone. The draft itself stays hidden from the borrower.
    for who in [&case.borrower, &case.guarantor, bank, &case.coordinator] {
        let offer = app.get(&path(&case, id, "/offer"), who).await;
        assert_eq!(offer.status, 200, "{:?}", offer.json());
        assert_eq!(offer.json()["version"]["number"], 1);
    }
    app.get(&path(&case, id, "/offer"), &case.advisor)
        .await
        .assert_problem(403, "forbidden");
    app.term_sheet(&case.borrower, w, id)
        .await
        .assert_problem(403, "forbidden");
    let response = path(&case, id, "/offer/response");
    for who in [bank, &case.coordinator, &case.guarantor] {
        app.post(&response, who, &json!({"decision": "accept"}))
            .await
            .assert_problem(403, "forbidden");
    }
    for bad in [
        json!({"decision": "reject"}),
        json!({"decision": "counter_propose"}),
        json!({"decision": "accept", "counter_proposal": {}}),
    ] {
        app.post(&response, &case.borrower, &bad)
            .await
            .assert_problem(422, "validation_failed");
    }
    // While the offer is out the coordinator cannot change it.
    app.edit_term_sheet(&case.coordinator, w, id, Some("\"1\""), &sheet("1.00"))
        .await
        .assert_problem(409, "term_sheet_state");
    let rejected = app
        .post(
            &response,
            &case.borrower,
            &json!({"decision": "reject", "reasons": "The first instalment comes too early"}),
        )
        .await;
    assert_eq!(rejected.status, 200, "{:?}", rejected.json());
    assert_eq!(rejected.json()["status"], "rejected");
    assert_eq!(
        rejected.json()["response"]["reasons"],
        "The first instalment comes too early"
    );
    app.post(&response, &case.borrower, &json!({"decision": "accept"}))
        .await
        .assert_problem(409, "offer_not_open");
    // Steps follow acceptance only, and only the coordinator records them.
    let steps = path(&case, id, "/steps");
    let today = Utc::now().date_naive().to_string();
    app.post(
        &steps,
        &case.coordinator,
        &json!({"step": "initialled", "on": today}),
    )
    .await
    .assert_problem(409, "term_sheet_state");
    for who in [bank, &case.borrower] {
        app.post(&steps, who, &json!({"step": "initialled", "on": today}))
            .await
            .assert_problem(403, "forbidden");
    }
}

#[tokio::test]
async fn outsiders_get_404_and_callers_without_a_valid_token_401_on_every_lifecycle_endpoint() {
    let app = TestApp::spawn().await;
    let case = case(&app, 1).await;
    let id = create(&app, &case).await;
    let outsider = app.outsider().await;
    let today = Utc::now().date_naive().to_string();
    let endpoints = [
        (
            Method::PUT,
            format!("/voting/v1/workouts/{}/minimum-terms", case.workout),
            Some(json!({"minimum_recovery": "90"})),
        ),
        (
            Method::GET,
            format!("/voting/v1/workouts/{}/minimum-terms", case.workout),
            None,
        ),
        (
            Method::POST,
            path(&case, id, "/agreement"),
            Some(json!({"ballot_id": Uuid::now_v7()})),
        ),
        (
            Method::POST,
            path(&case, id, "/credit-approvals"),
            Some(
                json!({"version": 1, "decision": "approved", "reference": "X",
                        "decided_on": today}),
            ),
        ),
        (Method::GET, path(&case, id, "/credit-approvals"), None),
        (
            Method::POST,
            path(&case, id, "/submission"),
            Some(json!({})),
        ),
        (Method::GET, path(&case, id, "/offer"), None),
        (
            Method::POST,
            path(&case, id, "/offer/response"),
            Some(json!({"decision": "accept"})),
        ),
        (
            Method::POST,
            path(&case, id, "/steps"),
            Some(json!({"step": "initialled", "on": today})),
        ),
    ];
    for (method, path, body) in &endpoints {
        app.call(method.clone(), path, Some(&outsider.token), body.as_ref())
            .await
            .assert_problem(404, "not_found");
        for token in [None, Some("not-a-token")] {
            let answer = app.call(method.clone(), path, token, body.as_ref()).await;
            assert_eq!(answer.status, 401, "{method} {path} with {token:?}");
        }
    }
    // A term sheet of the workout that does not exist is 404 as well, for a participant.
    let missing = term_sheet_path(case.workout, &format!("/{}/offer", Uuid::now_v7()));
    app.get(&missing, &case.borrower)
        .await
        .assert_problem(404, "not_found");
}

/// "Done when": a standstill acceded by five banks becomes effective; a term sheet goes through
/// two versions, a ballot on the second, submission, a borrower counter-proposal, its option
/// comparison (NPV), a second ballot, acceptance and signature to effective.
#[tokio::test]
async fn a_standstill_then_a_term_sheet_from_two_versions_to_effective_through_the_api() {
    let app = TestApp::spawn().await;
    let case = case(&app, 5).await;
    let w = case.workout;

    // The standstill: five banks accede, the fifth makes it effective.
    let today = Utc::now().date_naive();
    let proposed = app
        .propose_standstill(
            &case.coordinator,
            w,
            &json!({"snapshot_id": case.snapshot, "starts_on": today.to_string(),
                    "ends_on": (today + Duration::days(90)).to_string(),
                    "termination_events": ["Insolvency filing by the borrower"]}),
        )
        .await;
    assert_eq!(proposed.status, 201, "{:?}", proposed.json());
    let standstill = id_of(&proposed.json());
    for (n, bank) in case.banks.iter().enumerate() {
        let acceded = app.accede_standstill(bank, w, standstill).await;
        assert_eq!(acceded.status, 200, "{:?}", acceded.json());
        let expected = if n == 4 { "effective" } else { "proposed" };
        assert_eq!(
            acceded.json()["state"],
            expected,
            "after {} accessions",
            n + 1
        );
    }
    assert_eq!(workout_status(&app, &case).await, "standstill");

    // Two versions; the creditors agree the second; the offer goes out.
    let id = create(&app, &case).await;
    let two = edit(&app, &case, id, 1, &sheet("1400000.00")).await;
    agree_and_submit(&app, &case, id, two).await;

    // The borrower counter-proposes: version 3, which the creditors ballot on again.
    let mut counter = sheet("1400000.00");
    counter["repayment_schedule"][0]["due"] = json!("2028-06-30");
    let countered = app
        .post(
            &path(&case, id, "/offer/response"),
            &case.borrower,
            &json!({"decision": "counter_propose", "reasons": "A later first instalment",
                    "counter_proposal": counter}),
        )
        .await;
    assert_eq!(countered.status, 200, "{:?}", countered.json());
    assert_eq!(countered.json()["status"], "countered");
    assert_eq!(countered.json()["response"]["counter_version"], 3);
    let read = app.term_sheet(&case.banks[0], w, id).await.json();
    assert_eq!(read["state"], "countered");
    assert_eq!(read["current"]["content"], counter);
    assert_eq!(read["current"]["created_by"], json!(case.borrower.user_id));
    // Before the second ballot the coordinator compares the counter-proposal's options: the
    // restructuring's NPV against enforcement, insolvency and a loan sale, per creditor.
    let today_text = today.to_string();
    let compared = app
        .post(
            &path(&case, id, "/versions/3/comparisons"),
            &case.coordinator,
            &json!({
                "snapshot_id": case.snapshot,
                "assumptions": {"valuation_date": today_text, "day_count": "ACT/365F",
                    "discount": {"basis": "market_based", "annual_rate": "8",
                                 "note": "SAIBOR plus the borrower's credit spread"}},
                "enforcement": {"haircut": "40",
                    "legal_costs": {"amount": "150000.00", "currency": "SAR"},
                    "time_to_recovery": {"kind": "after_months", "months": 24}},
                "insolvency": {"recovery_rate": "30",
                    "costs": {"amount": "250000.00", "currency": "SAR"},
                    "duration": {"kind": "after_months", "months": 36}},
                "loan_sale": {"price": {"amount": "2000000.00", "currency": "SAR"}}
            }),
        )
        .await;
    assert_eq!(compared.status, 201, "{:?}", compared.json());
    let result = compared.json();
    let text = result.to_string();
    for option in ["restructuring", "enforcement", "insolvency", "loan_sale"] {
        assert!(text.contains(option), "{option} in {text}");
    }
    let submitted = agree_and_submit(&app, &case, id, 3).await;
    assert_eq!(submitted["submitted_version"], 3);

    let accepted = app
        .post(
            &path(&case, id, "/offer/response"),
            &case.borrower,
            &json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.json());
    assert_eq!(accepted.json()["status"], "accepted");
    assert_eq!(workout_status(&app, &case).await, "agreed");

    // Initialled, documented, signed; effective once every condition is met.
    let steps = path(&case, id, "/steps");
    let on = today.to_string();
    let step = |body: Value| {
        let (app, case, steps) = (&app, &case, &steps);
        async move { app.post(steps, &case.coordinator, &body).await }
    };
    let initialled = step(json!({"step": "initialled", "on": on})).await;
    assert_eq!(initialled.status, 200, "{:?}", initialled.json());
    step(json!({"step": "signed", "on": on}))
        .await
        .assert_problem(409, "term_sheet_state");
    step(json!({"step": "documented", "on": on}))
        .await
        .assert_problem(422, "validation_failed");
    let documented = step(json!({"step": "documented", "on": on,
        "documents": ["Amended and restated facility agreement", "Share pledge"]}))
    .await;
    assert_eq!(documented.status, 200, "{:?}", documented.json());
    let tomorrow = (today + Duration::days(2)).to_string();
    step(json!({"step": "signed", "on": tomorrow}))
        .await
        .assert_problem(422, "validation_failed");
    let signed = step(json!({"step": "signed", "on": on})).await;
    assert_eq!(signed.status, 200, "{:?}", signed.json());
    let one_condition = json!({"step": "effective", "on": on, "conditions_met": [
        {"condition": "Security documents registered", "evidence": "Registry filing 2026/88"}]});
    let unmet = step(one_condition).await;
    unmet.assert_problem(422, "validation_failed");
    assert!(unmet.json().to_string().contains("Restructuring fee paid"));
    let effective = step(json!({"step": "effective", "on": on, "conditions_met": [
        {"condition": "Security documents registered", "evidence": "Registry filing 2026/88"},
        {"condition": "Restructuring fee paid", "evidence": "Payment ref. 7781"}]}))
    .await;
    assert_eq!(effective.status, 200, "{:?}", effective.json());
    assert_eq!(effective.json()["state"], "effective");
    assert_eq!(workout_status(&app, &case).await, "effective");

    // Everyone who may read the offer sees its steps; the audit chain has every transition.
    let offer = app
        .get(&path(&case, id, "/offer"), &case.borrower)
        .await
        .json();
    let kinds: Vec<&str> = offer["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["initialled", "documented", "signed", "effective"]);
    let export = app
        .get(&format!("/voting/v1/workouts/{w}/audit"), &case.coordinator)
        .await;
    assert_eq!(export.status, 200);
    let text = String::from_utf8_lossy(&export.bytes);
    for action in [
        "term_sheet_creditors_agreed",
        "term_sheet_credit_approval",
        "term_sheet_submitted",
        "term_sheet_counter_proposed",
        "term_sheet_accepted",
        "term_sheet_initialled",
        "term_sheet_documented",
        "term_sheet_signed",
        "term_sheet_effective",
    ] {
        assert!(
            text.contains(&format!("\"action\":\"{action}\"")),
            "{action} in the audit export"
        );
    }
}
