//! Reminders of the deadlines of the services (issue 13, item 5), each an event of the service
//! that owns the deadline, announced by a job of its scheduler: a ballot closing in 24 hours, a
//! standstill ending in 3 days, an offer lapsing in 3 days, a mandate's renewal window closing in
//! 14 days, an action item due today. Each is not announced one second before its instant, is
//! announced at it, and exactly once however often and by however many scheduler replicas the
//! jobs run; a deadline that no longer stands (an extended standstill's old end date, a
//! terminated standstill, an answered offer, a mandate with no renewal left, a done action item)
//! is not reminded.
//!
//! The platform's own schedulers sleep past each test: the tests run the services' jobs
//! themselves, as of simulated instants.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;
use workout_domain::calendar::{end_of_day, start_of_day, zone_of};
use workout_http::registry_client::RegistryClient;
use workout_store::scheduler::{Scheduler, SchedulerConfig};
use workout_tests::endpoints::{standstill_path, term_sheet_path};
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    borrower: Actor,
    borrower_id: Uuid,
    banks: Vec<Actor>,
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

/// A platform whose own schedulers sleep past the test.
async fn platform() -> TestApp {
    TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await
}

/// A workout (calendar `SA`, the default) with a borrower, a guarantor and one creditor bank per amount (one
/// facility each), with a frozen snapshot of today.
async fn case(app: &TestApp, amounts: &[&str]) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-REMIND", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "contacts": [{"name": "Desk", "email": "desk@coordinator.test", "language": "en"}],
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let contacts = |n: usize| json!([{"name": "Desk", "email": format!("desk{n}@member.test"), "language": "en"}]);
    let surety = app.institution("guarantor", "Parent Holding").await;
    let added = app
        .add_participant(
            &coordinator,
            workout,
            &json!({"institution_id": surety, "role": "guarantor", "contacts": contacts(98)}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let mut banks = Vec::new();
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
        banks.push(bank);
    }
    let today = Utc::now().date_naive().to_string();
    let frozen = app.freeze_snapshot(&coordinator, workout, &today).await;
    assert_eq!(frozen.status, 201, "{:?}", frozen.json());
    Case {
        workout,
        coordinator,
        borrower,
        borrower_id,
        banks,
        snapshot: id_of(&frozen.json()),
    }
}

/// An instant as the API shows it.
fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not an instant: {value}"))
        .parse()
        .unwrap()
}

/// A date as the API shows it.
fn date(value: &Value) -> NaiveDate {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a date: {value}"))
        .parse()
        .unwrap()
}

/// The workout calendar `SA`'s time zone (Riyadh, UTC+3).
fn riyadh() -> chrono::FixedOffset {
    zone_of("SA").unwrap()
}

/// How many events of `topic` `service` has announced (its outbox).
async fn count(app: &TestApp, service: &str, topic: &str) -> i64 {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use workout_store::schema::outbox;
    let mut conn = app.pool(service).get().await.unwrap();
    outbox::table
        .filter(outbox::topic.eq(topic))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

/// The registry as `service` reaches it (its service tokens: made once per test and shared, since
/// making them again resets the service client's secret).
async fn registry_of(app: &TestApp, service: &str) -> Arc<RegistryClient> {
    Arc::new(RegistryClient::new(
        reqwest::Client::new(),
        &app.url,
        app.service_tokens(service).await,
    ))
}

/// The voting service's jobs (ballots, standstills, term sheets), as its binary registers them.
async fn voting_jobs(app: &TestApp, registry: &Arc<RegistryClient>) -> Scheduler {
    workout_voting::term_sheets::lifecycle::register_jobs(
        workout_voting::standstills::end::register_jobs(
            workout_voting::ballots::close::register_jobs(Scheduler::new(
                app.pool("voting"),
                SchedulerConfig::new("voting"),
            )),
            registry.clone(),
        ),
    )
}

/// The mandates service's jobs.
async fn mandates_jobs(app: &TestApp, registry: &Arc<RegistryClient>) -> Scheduler {
    workout_mandates::mandate::jobs::register_jobs(
        Scheduler::new(app.pool("mandates"), SchedulerConfig::new("mandates")),
        registry.clone(),
    )
}

/// The minutes service's jobs.
fn minutes_jobs(app: &TestApp) -> Scheduler {
    workout_minutes::minutes::actions::register_jobs(
        workout_minutes::minutes::approval::register_jobs(Scheduler::new(
            app.pool("minutes"),
            SchedulerConfig::new("minutes"),
        )),
    )
}

/// Runs the jobs of two replicas at once, as of `at`.
async fn both_run(a: &Scheduler, b: &Scheduler, at: DateTime<Utc>) {
    let (x, y) = tokio::join!(a.run_due(at), b.run_due(at));
    x.unwrap();
    y.unwrap();
}

/// Checks that `service` announces `topic` (of which it had announced `before` events) exactly
/// once at `at`: two replicas made by `replica` find nothing to announce one second before, one
/// event at `at`, and nothing more when both run again, at `at` and a second later.
async fn announced_once_at<F, Fut>(
    app: &TestApp,
    service: &str,
    topic: &str,
    before: i64,
    at: DateTime<Utc>,
    replica: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Scheduler>,
{
    let (a, b) = (replica().await, replica().await);
    both_run(&a, &b, at - Duration::seconds(1)).await;
    assert_eq!(
        count(app, service, topic).await,
        before,
        "{topic}: nothing one second before {at}"
    );
    both_run(&a, &b, at).await;
    assert_eq!(
        count(app, service, topic).await,
        before + 1,
        "{topic}: announced at {at}"
    );
    both_run(&a, &b, at).await;
    both_run(&a, &b, at + Duration::seconds(1)).await;
    assert_eq!(
        count(app, service, topic).await,
        before + 1,
        "{topic}: once"
    );
}

/// Opens a ballot of `case` closing `hours` from now; answers its deadline as stored.
async fn ballot(app: &TestApp, case: &Case, reference: &str, hours: i64) -> DateTime<Utc> {
    let opened = app
        .post(
            &format!("/voting/v1/workouts/{}/ballots", case.workout),
            &case.coordinator,
            &json!({"subject_kind": "waiver", "subject_ref": reference,
                    "content_hash": "a".repeat(64), "title": "Waive the information covenant",
                    "rule": {"preset": "simple_majority_by_value"}, "snapshot_id": case.snapshot,
                    "closes_at": (Utc::now() + Duration::hours(hours)).to_rfc3339()}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    instant(&opened.json()["closes_at"])
}

#[tokio::test]
async fn a_ballot_is_reminded_24_hours_before_it_closes_once_by_two_replicas() {
    let app = platform().await;
    let case = case(&app, &["600000", "400000"]).await;
    let closes_at = ballot(&app, &case, "W-3", 30).await;
    let registry = registry_of(&app, "voting").await;
    announced_once_at(
        &app,
        "voting",
        "voting.ballot_closing_soon",
        0,
        closes_at - Duration::hours(24),
        || voting_jobs(&app, &registry),
    )
    .await;
    assert_eq!(count(&app, "voting", "voting.ballot_closed").await, 0);
    voting_jobs(&app, &registry)
        .await
        .run_due(closes_at)
        .await
        .unwrap();
    assert_eq!(count(&app, "voting", "voting.ballot_closed").await, 1);
}

#[tokio::test]
async fn a_reminder_whose_deadline_passed_while_no_scheduler_ran_says_nothing_and_the_deadline_follows()
 {
    let app = platform().await;
    let case = case(&app, &["600000", "400000"]).await;
    let closes_at = ballot(&app, &case, "W-4", 30).await;
    // Down from before the reminder until after the deadline: both replicas catch up at once.
    let registry = registry_of(&app, "voting").await;
    let (a, b) = (
        voting_jobs(&app, &registry).await,
        voting_jobs(&app, &registry).await,
    );
    both_run(&a, &b, closes_at + Duration::hours(1)).await;
    assert_eq!(count(&app, "voting", "voting.ballot_closing_soon").await, 0);
    assert_eq!(count(&app, "voting", "voting.ballot_closed").await, 1);
    // Down only past the reminder's instant: it goes out when a scheduler is back, once.
    let closes_at = ballot(&app, &case, "W-5", 30).await;
    both_run(&a, &b, closes_at - Duration::hours(2)).await;
    both_run(&a, &b, closes_at - Duration::hours(1)).await;
    assert_eq!(count(&app, "voting", "voting.ballot_closing_soon").await, 1);
}

/// Proposes a standstill of `case` ending `days` after today (UTC) and has every bank accede.
async fn effective_standstill(app: &TestApp, case: &Case, days: i64) -> Uuid {
    let today = Utc::now().date_naive();
    let proposed = app
        .propose_standstill(
            &case.coordinator,
            case.workout,
            &json!({"snapshot_id": case.snapshot, "starts_on": today.to_string(),
                    "ends_on": (today + Duration::days(days)).to_string(),
                    "termination_events": ["Insolvency filing by the borrower"]}),
        )
        .await;
    assert_eq!(proposed.status, 201, "{:?}", proposed.json());
    let id = id_of(&proposed.json());
    for bank in &case.banks {
        let acceded = app.accede_standstill(bank, case.workout, id).await;
        assert_eq!(acceded.status, 200, "{:?}", acceded.json());
    }
    assert_eq!(
        app.standstill(&case.coordinator, case.workout, id)
            .await
            .json()["state"],
        "effective"
    );
    id
}

/// Extends the standstill `id` to `ends_on` by a ballot every bank passes.
async fn extend(app: &TestApp, case: &Case, id: Uuid, ends_on: NaiveDate) {
    let ballots = format!("/voting/v1/workouts/{}/ballots", case.workout);
    let opened = app
        .post(
            &ballots,
            &case.coordinator,
            &json!({"subject_kind": "standstill_extension",
                    "subject_ref": format!("{id}/ends-on/{ends_on}"),
                    "title": "Extend the standstill", "rule": {"preset": "majority_lenders"},
                    "snapshot_id": case.snapshot,
                    "closes_at": (Utc::now() + Duration::hours(30)).to_rfc3339()}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let ballot = id_of(&opened.json());
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
    let extended = app
        .post(
            &standstill_path(case.workout, &format!("/{id}/extension")),
            &case.coordinator,
            &json!({"ballot_id": ballot}),
        )
        .await;
    assert_eq!(extended.status, 200, "{:?}", extended.json());
    assert_eq!(extended.json()["ends_on"], json!(ends_on.to_string()));
}

/// When a standstill ending on `ends_on` is reminded: 3 days before the end of that day in
/// Riyadh, i.e. at 00:00 there two days before.
fn standstill_reminder(ends_on: NaiveDate) -> DateTime<Utc> {
    let at = end_of_day(ends_on, riyadh()).unwrap() - Duration::days(3);
    assert_eq!(
        at,
        start_of_day(ends_on - Duration::days(2), riyadh()).unwrap()
    );
    at
}

#[tokio::test]
async fn a_standstill_is_reminded_3_days_before_it_ends_once_per_end_date_and_an_extension_moves_it()
 {
    let app = platform().await;
    let case = case(&app, &["600000", "400000"]).await;
    let topic = "voting.standstill_expiring";
    let id = effective_standstill(&app, &case, 10).await;
    let first_end = date(
        &app.standstill(&case.coordinator, case.workout, id)
            .await
            .json()["ends_on"],
    );
    // Extended before its reminder: the old end date is not reminded, the new one is, once.
    let second_end = first_end + Duration::days(20);
    extend(&app, &case, id, second_end).await;
    let registry = registry_of(&app, "voting").await;
    let jobs = voting_jobs(&app, &registry).await;
    jobs.run_due(standstill_reminder(first_end) + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(count(&app, "voting", topic).await, 0, "the old end date");
    announced_once_at(
        &app,
        "voting",
        topic,
        0,
        standstill_reminder(second_end),
        || voting_jobs(&app, &registry),
    )
    .await;
    // Extended after its reminder went out: the new end date is reminded too, once.
    let third_end = second_end + Duration::days(30);
    extend(&app, &case, id, third_end).await;
    announced_once_at(
        &app,
        "voting",
        topic,
        1,
        standstill_reminder(third_end),
        || voting_jobs(&app, &registry),
    )
    .await;
    // The reminder names the standstill and its end.
    let outbox = last_payload(&app, "voting", topic).await.to_string();
    assert!(outbox.contains(&id.to_string()), "{outbox}");
    assert!(outbox.contains(&third_end.to_string()), "{outbox}");
    // It expires at its end, and nothing more is reminded.
    jobs.run_due(end_of_day(third_end, riyadh()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        app.standstill(&case.coordinator, case.workout, id)
            .await
            .json()["state"],
        "expired"
    );
    assert_eq!(count(&app, "voting", topic).await, 2);
}

/// The payload of the last event of `topic` in `service`'s outbox.
async fn last_payload(app: &TestApp, service: &str, topic: &str) -> Value {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use workout_store::schema::outbox;
    let mut conn = app.pool(service).get().await.unwrap();
    outbox::table
        .filter(outbox::topic.eq(topic))
        .order((outbox::created_at.desc(), outbox::id.desc()))
        .select(outbox::payload)
        .first(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_terminated_standstill_is_not_reminded() {
    let app = platform().await;
    let case = case(&app, &["600000", "400000"]).await;
    let id = effective_standstill(&app, &case, 10).await;
    let ends_on = date(
        &app.standstill(&case.coordinator, case.workout, id)
            .await
            .json()["ends_on"],
    );
    let terminated = app
        .terminate_standstill(
            &case.coordinator,
            case.workout,
            id,
            "Insolvency filing by the borrower",
        )
        .await;
    assert_eq!(terminated.status, 200, "{:?}", terminated.json());
    let registry = registry_of(&app, "voting").await;
    let jobs = voting_jobs(&app, &registry).await;
    jobs.run_due(standstill_reminder(ends_on)).await.unwrap();
    jobs.run_due(end_of_day(ends_on, riyadh()).unwrap() + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(count(&app, "voting", "voting.standstill_expiring").await, 0);
    assert_eq!(count(&app, "voting", "voting.standstill_expired").await, 0);
}

/// Creates a term sheet, has the banks agree it by ballot and approve it, and submits it to the
/// borrower; answers its id and its offer's lapse instant.
async fn offer(app: &TestApp, case: &Case) -> (Uuid, DateTime<Utc>) {
    let w = case.workout;
    let created = app
        .create_term_sheet(
            &case.coordinator,
            w,
            &json!({"title": "Restructuring of Distressed Co", "content": {
                "borrower": {"description": "Distressed Co, a maker of building materials",
                             "sector": "other"},
                "banks": ["Creditor Bank 0", "Creditor Bank 1"],
                "repayment_schedule": [
                    {"due": "2027-12-31", "amount": {"amount": "500000.00", "currency": "SAR"}},
                    {"due": "2028-12-31", "amount": {"amount": "1500000.00", "currency": "SAR"}}],
                "governing_law": "Kingdom of Saudi Arabia",
                "conditions_of_effectiveness": ["Security documents registered",
                                                "Restructuring fee paid"]}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let id = id_of(&created.json());
    let path = |rest: &str| term_sheet_path(w, &format!("/{id}{rest}"));
    let version = app
        .term_sheet_version(&case.coordinator, w, id, 1)
        .await
        .json();
    let ballots = format!("/voting/v1/workouts/{w}/ballots");
    let opened = app
        .post(
            &ballots,
            &case.coordinator,
            &json!({"subject_kind": "term_sheet_version", "subject_ref": format!("{id}/versions/1"),
                    "content_hash": version["content_hash"], "title": "Agree version 1",
                    "rule": {"preset": "simple_majority_by_value"}, "snapshot_id": case.snapshot,
                    "closes_at": (Utc::now() + Duration::hours(48)).to_rfc3339()}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let ballot = id_of(&opened.json());
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
    let closed = app
        .post(
            &format!("{ballots}/{ballot}/close"),
            &case.coordinator,
            &json!({}),
        )
        .await;
    assert_eq!(closed.status, 200, "{:?}", closed.json());
    let agreed = app
        .post(
            &path("/agreement"),
            &case.coordinator,
            &json!({"ballot_id": ballot}),
        )
        .await;
    assert_eq!(agreed.status, 200, "{:?}", agreed.json());
    for bank in &case.banks {
        let approved = app
            .post(
                &path("/credit-approvals"),
                bank,
                &json!({"version": 1, "decision": "approved", "reference": "CC-2026-117",
                        "decided_on": Utc::now().date_naive().to_string()}),
            )
            .await;
        assert_eq!(approved.status, 200, "{:?}", approved.json());
    }
    let submitted = app
        .post(&path("/submission"), &case.coordinator, &json!({}))
        .await;
    assert_eq!(submitted.status, 200, "{:?}", submitted.json());
    (id, instant(&submitted.json()["lapses_at"]))
}

#[tokio::test]
async fn an_open_offer_is_reminded_3_days_before_it_lapses_once() {
    let app = platform().await;
    let case = case(&app, &["600000", "400000"]).await;
    let (id, lapses_at) = offer(&app, &case).await;
    // Submitted on day 0 in Riyadh, it lapses at 00:00 on day 31 and is reminded at 00:00 on
    // day 28.
    let reminder = lapses_at - Duration::days(3);
    assert_eq!(
        reminder.with_timezone(&riyadh()).time(),
        chrono::NaiveTime::MIN
    );
    let topic = "voting.term_sheet_offer_lapsing";
    let registry = registry_of(&app, "voting").await;
    announced_once_at(&app, "voting", topic, 0, reminder, || {
        voting_jobs(&app, &registry)
    })
    .await;
    let payload = last_payload(&app, "voting", topic).await.to_string();
    assert!(payload.contains(&id.to_string()), "{payload}");
    // The borrower, who reads the offer, reads the reminder in the audit chain.
    let export = app
        .get(
            &format!("/voting/v1/workouts/{}/audit", case.workout),
            &case.borrower,
        )
        .await;
    assert_eq!(export.status, 200);
    let entry = String::from_utf8(export.bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["action"] == "term_sheet_offer_lapsing")
        .expect("the reminder's entry");
    assert!(entry.to_string().contains(&id.to_string()), "{entry}");
    // It lapses at its instant, and nothing more is reminded.
    voting_jobs(&app, &registry)
        .await
        .run_due(lapses_at)
        .await
        .unwrap();
    assert_eq!(count(&app, "voting", "voting.term_sheet_lapsed").await, 1);
    assert_eq!(count(&app, "voting", topic).await, 1);
}

#[tokio::test]
async fn an_accepted_offer_is_not_reminded() {
    let app = platform().await;
    let case = case(&app, &["600000", "400000"]).await;
    let (id, lapses_at) = offer(&app, &case).await;
    // The workout is in negotiation, where an acceptance moves it to `agreed` (the voting
    // service's token is made after its first call: making it resets the service's secret).
    let token = app.service_token("voting").await;
    let moved = app
        .set_workout_status(
            &token,
            case.workout,
            &json!({"status": "negotiation"}),
            None,
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.json());
    let accepted = app
        .post(
            &term_sheet_path(case.workout, &format!("/{id}/offer/response")),
            &case.borrower,
            &json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.json());
    let registry = registry_of(&app, "voting").await;
    let jobs = voting_jobs(&app, &registry).await;
    jobs.run_due(lapses_at - Duration::days(3)).await.unwrap();
    jobs.run_due(lapses_at + Duration::days(1)).await.unwrap();
    assert_eq!(
        count(&app, "voting", "voting.term_sheet_offer_lapsing").await,
        0
    );
    assert_eq!(count(&app, "voting", "voting.term_sheet_lapsed").await, 0);
}

#[tokio::test]
async fn a_mandate_is_reminded_14_days_before_its_renewal_window_closes_and_not_once_no_renewal_is_left()
 {
    let app = platform().await;
    let case = case(&app, &["600000", "300000", "100000"]).await;
    let w = case.workout;
    let started = app.start_mandate(&case.coordinator, w, &json!({})).await;
    assert_eq!(started.status, 201, "{:?}", started.json());
    for bank in &case.banks[1..] {
        let given = app.consent(bank, w, &json!({"accept": true})).await;
        assert!(given.status.is_success(), "{:?}", given.json());
    }
    let mandate = app.mandate(&case.borrower, w).await.json();
    assert_eq!(mandate["state"], "active", "{mandate}");
    // The window is open until the end of the cut-off day (1 month before the term's end) in
    // Riyadh; the reminder goes out 14 days before that.
    let cutoff = date(&mandate["renewal_cutoff"]["due"]);
    let reminder = end_of_day(cutoff, riyadh()).unwrap() - Duration::days(14);
    let topic = "mandates.renewal_window_closing";
    let registry = registry_of(&app, "mandates").await;
    announced_once_at(&app, "mandates", topic, 0, reminder, || {
        mandates_jobs(&app, &registry)
    })
    .await;
    assert_eq!(
        count(&app, "mandates", "mandates.renewal_window_closed").await,
        0
    );
    let payload = last_payload(&app, "mandates", topic).await;
    assert_eq!(
        instant(&payload["window_closes_at"]),
        end_of_day(cutoff, riyadh()).unwrap(),
        "{payload}"
    );

    // The one renewal allowed passes: the new term's window closes with no renewal left, so it
    // is not reminded; the window closes and the mandate expires without another reminder.
    let coordinator = &case.banks[0];
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
    for bank in &case.banks[1..] {
        let answered = app
            .answer_renewal(bank, w, renewal, &json!({"accept": true}))
            .await;
        assert_eq!(answered.status, 200, "{:?}", answered.json());
    }
    let renewed = app.mandate(&case.borrower, w).await.json();
    assert_eq!(renewed["renewals"], 1);
    let new_cutoff = date(&renewed["renewal_cutoff"]["due"]);
    assert!(new_cutoff > cutoff);
    let jobs = mandates_jobs(&app, &registry).await;
    jobs.run_due(end_of_day(new_cutoff, riyadh()).unwrap() - Duration::days(14))
        .await
        .unwrap();
    jobs.run_due(end_of_day(new_cutoff, riyadh()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        app.mandate(&case.borrower, w).await.json()["state"],
        "closing"
    );
    assert_eq!(count(&app, "mandates", topic).await, 1);
}

#[tokio::test]
async fn an_open_action_item_is_reminded_at_the_start_of_its_due_day_once_and_a_done_one_not() {
    let app = platform().await;
    let case = case(&app, &["600000", "400000"]).await;
    let w = case.workout;
    let starts = Utc::now() + Duration::days(1);
    let scheduled = app
        .schedule_meeting(
            &case.coordinator,
            w,
            &json!({"title": "Second creditors' meeting", "starts_at": starts.to_rfc3339(),
                    "ends_at": (starts + Duration::hours(2)).to_rfc3339(),
                    "location": "Coordinator Bank, Riyadh",
                    "agenda": [{"title": "Standstill extension",
                                "owner_id": case.coordinator.institution_id}],
                    "invitees": [case.banks[0].institution_id, case.banks[1].institution_id,
                                 case.borrower_id]}),
        )
        .await;
    assert_eq!(scheduled.status, 201, "{:?}", scheduled.json());
    let minutes = format!(
        "/minutes/v1/workouts/{w}/meetings/{}/minutes",
        id_of(&scheduled.json())
    );
    let due_on = Utc::now().date_naive() + Duration::days(10);
    let action = |text: &str, owner: &Actor| json!({"text": text, "owner": owner.institution_id, "due_on": due_on.to_string()});
    let drafted = app
        .post(
            &minutes,
            &case.coordinator,
            &json!({"content": {
                "attendance": [
                    {"institution_id": case.banks[0].institution_id,
                     "person_name": "Sara Al-Harbi", "capacity": "Head of Workout"},
                    {"institution_id": case.banks[1].institution_id,
                     "person_name": "Omar Saleh", "capacity": "Credit Officer"}],
                "quorum": "Quorate: every creditor present",
                "items": [{"position": 1, "title": "Standstill extension",
                           "discussion": "The creditors discussed extending the standstill.",
                           "decisions": [{"text": "Extend the standstill by 60 days"}],
                           "actions": [action("Circulate the extension letter", &case.banks[0]),
                                       action("Confirm the fee", &case.banks[1])]}]}}),
        )
        .await;
    assert_eq!(drafted.status, 201, "{:?}", drafted.json());
    let circulated = app
        .post(
            &format!("{minutes}/circulate"),
            &case.coordinator,
            &json!({"approval": "approvals"}),
        )
        .await;
    assert_eq!(circulated.status, 200, "{:?}", circulated.json());
    for who in [&case.banks[0], &case.banks[1], &case.coordinator] {
        let answered = app
            .post(
                &format!("{minutes}/responses"),
                who,
                &json!({"version": 1, "answer": "approve"}),
            )
            .await;
        assert_eq!(answered.status, 200, "{:?}", answered.json());
    }
    let items = app
        .get(
            &format!("/minutes/v1/workouts/{w}/action-items"),
            &case.coordinator,
        )
        .await
        .json();
    let items = items["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{items:?}");
    // The second item is done before its due day: it is not reminded.
    let done = items
        .iter()
        .find(|i| i["text"] == "Confirm the fee")
        .unwrap();
    let set = app
        .put(
            &format!(
                "/minutes/v1/workouts/{w}/action-items/{}/status",
                done["id"].as_str().unwrap()
            ),
            &case.banks[1],
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(set.status, 200, "{:?}", set.json());
    let topic = "minutes.action_item_due";
    let reminder = start_of_day(due_on, riyadh()).unwrap();
    announced_once_at(&app, "minutes", topic, 0, reminder, || async {
        minutes_jobs(&app)
    })
    .await;
    let open = items
        .iter()
        .find(|i| i["text"] == "Circulate the extension letter")
        .unwrap();
    let payload = last_payload(&app, "minutes", topic).await.to_string();
    assert!(payload.contains(open["id"].as_str().unwrap()), "{payload}");
    // After the due day the open item is overdue, once; nothing more is reminded.
    minutes_jobs(&app)
        .run_due(end_of_day(due_on, riyadh()).unwrap())
        .await
        .unwrap();
    assert_eq!(count(&app, "minutes", "minutes.action_overdue").await, 1);
    assert_eq!(count(&app, "minutes", topic).await, 1);
}
