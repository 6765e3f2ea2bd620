//! Formal notices, acknowledgements, deadlines and the delivery log, through the HTTP API and the
//! harness's real SMTP listener. E-mails are parsed by an independent parser (Python's `email`).
//!
//! The workout opens on Monday 2 November 2026. On the `SA` calendar (Friday and Saturday off, no
//! holiday in that fortnight) the fifth business day after it is Monday 9 November: Tuesday 3 (1),
//! Wednesday 4 (2), Thursday 5 (3), Sunday 8 (4), Monday 9 (5). That day ends at 00:00 on 10
//! November in Riyadh (UTC+3), 2026-11-09T21:00:00Z: the transfer notice is late from then.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_http::registry_client::RegistryClient;
use workout_notifications::expander::Expander;
use workout_notifications::mail::Mailer;
use workout_notifications::sender::Sender;
use workout_store::scheduler::{Scheduler, SchedulerConfig};
use workout_tests::smtp::SmtpSink;
use workout_tests::{Actor, TestApp, id_of};

const FROM: &str = "Workout platform <notices@workout-platform.invalid>";

/// The parties of the workout.
struct Case {
    app: TestApp,
    sink: SmtpSink,
    workout: Uuid,
    coordinator: Actor,
    creditor: Actor,
    borrower: Actor,
    guarantor: Actor,
    outsider: Actor,
}

/// A workout opened on 2 November 2026 by the coordinator, with a creditor holding a facility
/// with past-due amounts, the borrower (English contact) and a guarantor (Arabic contact). The
/// platform's own sender and scheduler idle (the tests drive them).
async fn case() -> Case {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(|s| {
        s.scheduler_poll = Duration::from_secs(3600);
        s.mail.smtp_url = Some(format!("smtp://127.0.0.1:{}", sink.port));
    })
    .await;
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-NOTICE", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "contacts": [{"name": "Desk", "email": "desk@coordinator.test", "language": "en"}],
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
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
                    "contacts": [{"name": "Credit desk", "email": "desk@creditor.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let guarantor_id = app.institution("guarantor", "Parent Holding").await;
    let added = app
        .add_participant(
            &coordinator,
            workout,
            &json!({"institution_id": guarantor_id, "role": "guarantor",
                    "contacts": [{"name": "Legal", "email": "legal@parent.test", "language": "ar"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let facility = app
        .create_facility(
            &creditor,
            workout,
            &json!({
                "reference": "TL-7", "facility_type": "term_loan", "currency": "SAR",
                "committed": "1000000", "outstanding_principal": "800000.00",
                "accrued_interest": "12000.00", "past_due_principal": "50000.00",
                "past_due_interest": "7500.00", "past_due_fees": "0", "days_past_due": 61,
                "fees_and_penalties": "2500.00", "penalties": "1500.00", "secured": false,
                "class": "unsecured", "related_party": false, "position_date": "2026-10-31",
                "collateral": [], "guarantees": []
            }),
        )
        .await;
    assert_eq!(facility.status, 201, "{:?}", facility.json());
    let borrower = app.user(borrower_id, "member").await;
    let guarantor = app.user(guarantor_id, "member").await;
    let outsider = app.outsider().await;
    Case {
        app,
        sink,
        workout,
        coordinator,
        creditor,
        borrower,
        guarantor,
        outsider,
    }
}

impl Case {
    fn path(&self, rest: &str) -> String {
        format!("/notifications/v1/workouts/{}/{rest}", self.workout)
    }

    /// Expands and sends everything due, as the platform's sender would.
    async fn send_all(&self) {
        let pool = self.app.pool("notifications");
        let registry = Arc::new(RegistryClient::new(
            reqwest::Client::new(),
            &self.app.url,
            // A client of its own: resetting the platform's own secret would make its services
            // answer 503 until they fetch a new token.
            self.app.service_tokens("notices-test").await,
        ));
        let url = format!("smtp://127.0.0.1:{}", self.sink.port);
        let mailer = Mailer::choose(Some(&url), ("127.0.0.1", 1), std::env::temp_dir()).unwrap();
        let expander = Expander::new(pool.clone(), registry, Arc::default());
        let sender = Sender::new(
            pool,
            mailer,
            FROM,
            &self.app.url,
            Duration::from_millis(10),
            expander.clone(),
        )
        .unwrap();
        // Events from the registry arrive through its relay: wait for them to settle.
        for _ in 0..50 {
            let mut work = false;
            while expander.expand_next().await.unwrap() {
                work = true;
            }
            while sender.send_next().await.unwrap().is_some() {
                work = true;
            }
            if !work {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    fn jobs(&self) -> Scheduler {
        workout_notifications::duties::register_jobs(Scheduler::new(
            self.app.pool("notifications"),
            SchedulerConfig::new("notifications"),
        ))
    }

    /// The messages received for `to`, parsed.
    fn mail_to(&self, to: &str) -> Vec<Parsed> {
        self.sink
            .messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .map(|m| parse(&m.data))
            .collect()
    }
}

/// A message as Python's `email` package reads it.
#[derive(Debug)]
struct Parsed {
    headers: BTreeMap<String, String>,
    /// Decoded parts by content type.
    parts: BTreeMap<String, String>,
}

/// What Python `script` prints for `input` on its standard input; `what` names the check.
fn python(script: &str, input: &str, what: &str) -> String {
    use std::io::Write as _;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (with the icalendar module: pip install icalendar)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{what}");
    String::from_utf8(output.stdout).unwrap()
}

fn parse(raw: &str) -> Parsed {
    let script = r#"
import email, email.policy, json, sys
message = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
parts = {}
for part in message.walk():
    if part.is_multipart():
        continue
    content = part.get_content()
    parts[part.get_content_type()] = content if isinstance(content, str) else content.decode()
print(json.dumps({"headers": {k: str(v) for k, v in message.items()}, "parts": parts}))
"#;
    let value: Value = serde_json::from_str(&python(script, raw, "the e-mail parses")).unwrap();
    let map = |v: &Value| -> BTreeMap<String, String> {
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect()
    };
    Parsed {
        headers: map(&value["headers"]),
        parts: map(&value["parts"]),
    }
}

/// The acknowledgement link in a message's text part, as a path and query on the platform.
fn ack_link(app: &TestApp, message: &Parsed) -> String {
    let text = &message.parts["text/plain"];
    let url = text
        .split_whitespace()
        .find(|w| w.contains("/notifications/v1/acknowledgements/"))
        .unwrap_or_else(|| panic!("a link in {text}"));
    url.strip_prefix(&app.url).unwrap().to_owned()
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[tokio::test]
async fn the_transfer_notice_is_due_on_the_fifth_sa_business_day_and_reported_late_the_day_after() {
    let case = case().await;
    let app = &case.app;
    case.send_all().await;

    let duties = app.get(&case.path("duties"), &case.coordinator).await;
    assert_eq!(duties.status, 200, "{:?}", duties.json());
    let items = duties.items();
    let transfer = items
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "transfer_notice")
        .unwrap_or_else(|| panic!("the opening opened the duty: {items}"))
        .clone();
    assert_eq!(transfer["from_on"], "2026-11-02");
    assert_eq!(transfer["due_on"], "2026-11-09", "the fifth business day");
    assert_eq!(transfer["calendar"], "SA");
    assert_eq!(
        at(transfer["due_at"].as_str().unwrap()),
        at("2026-11-09T21:00:00Z")
    );

    let jobs = case.jobs();
    assert_eq!(
        jobs.run_due(at("2026-11-09T20:59:59Z")).await.unwrap(),
        0,
        "still in time"
    );
    let duty = app
        .get(&case.path("duties"), &case.coordinator)
        .await
        .items()[0]
        .clone();
    assert!(duty["late_at"].is_null(), "{duty}");
    assert!(jobs.run_due(at("2026-11-09T21:00:00Z")).await.unwrap() >= 1);
    let duty = app
        .get(&case.path("duties"), &case.coordinator)
        .await
        .items()[0]
        .clone();
    assert_eq!(
        at(duty["late_at"].as_str().unwrap()),
        at("2026-11-09T21:00:00Z"),
        "{duty}"
    );
    case.send_all().await;
    let reports: Vec<Parsed> = case
        .mail_to("desk@coordinator.test")
        .into_iter()
        .filter(|m| m.headers["Subject"].starts_with("Late: the transfer notice"))
        .collect();
    assert_eq!(reports.len(), 1, "the coordinator is told once");
    assert!(reports[0].parts["text/plain"].contains("2026-11-09"));
    assert!(
        case.mail_to("cfo@borrower.test")
            .iter()
            .all(|m| !m.headers["Subject"].starts_with("Late"))
    );

    // Issued late: met, and still shown late; running the jobs again reports nothing more.
    let issued = app
        .post(
            &case.path("notices"),
            &case.coordinator,
            &json!({"kind": "transfer"}),
        )
        .await;
    assert_eq!(issued.status, 201, "{:?}", issued.json());
    let duty = app
        .get(&case.path("duties"), &case.coordinator)
        .await
        .items()[0]
        .clone();
    assert!(
        !duty["met_at"].is_null() && !duty["late_at"].is_null(),
        "{duty}"
    );
    jobs.run_due(at("2026-12-31T00:00:00Z")).await.unwrap();
    case.send_all().await;
    let reports = case
        .mail_to("desk@coordinator.test")
        .into_iter()
        .filter(|m| m.headers["Subject"].starts_with("Late: the transfer notice"))
        .count();
    assert_eq!(reports, 1, "reported once");
}

#[tokio::test]
async fn a_transfer_notice_lists_the_obligations_in_each_language_and_each_link_acknowledges_its_own_copy_once()
 {
    let case = case().await;
    let app = &case.app;
    let issued = app
        .post(
            &case.path("notices"),
            &case.coordinator,
            &json!({"kind": "transfer", "covenant_violations": [
                {"facility_reference": "TL-7", "description": "DSCR 0.9 against a minimum of 1.2"}]}),
        )
        .await;
    assert_eq!(issued.status, 201, "{:?}", issued.json());
    case.send_all().await;

    let english = case.mail_to("cfo@borrower.test");
    let english: Vec<&Parsed> = english
        .iter()
        .filter(|m| m.headers["Subject"].starts_with("Notice"))
        .collect();
    assert_eq!(english.len(), 1, "the borrower gets one notice");
    let text = &english[0].parts["text/plain"];
    for expected in [
        "Creditor Bank",
        "TL-7",
        "800000.00",
        "12000.00",
        "2500.00",
        "1500.00",
        "57500.00",
        "2026-08-31",
        "DSCR 0.9 against a minimum of 1.2",
        "Coordinator Bank",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert!(
        english[0].headers["From"].contains("Coordinator Bank"),
        "in the coordinator's name: {:?}",
        english[0].headers
    );
    let arabic = case.mail_to("legal@parent.test");
    assert_eq!(arabic.len(), 1, "the guarantor gets one notice: {arabic:?}");
    assert!(arabic[0].parts["text/html"].contains("dir=\"rtl\""));
    let arabic_text = &arabic[0].parts["text/plain"];
    assert!(
        arabic_text.contains("إشعار") || arabic_text.contains("التزاماتكم"),
        "{arabic_text}"
    );
    assert!(
        arabic_text.contains("التزاماتكم القائمة لدى الدائنين"),
        "reads in logical order: {arabic_text}"
    );
    assert!(
        case.mail_to("desk@creditor.test")
            .iter()
            .all(|m| !m.headers["Subject"].starts_with("Notice")),
        "creditors get no copy"
    );

    // Each link acknowledges its own copy, once; one recipient's token does not acknowledge another's.
    let borrower_link = ack_link(app, english[0]);
    let guarantor_link = ack_link(app, &arabic[0]);
    let borrower_token = borrower_link.split("token=").nth(1).unwrap().to_owned();
    let guarantor_delivery = guarantor_link.split('?').next().unwrap().to_owned();
    let crossed = app
        .call(
            Method::GET,
            &format!("{guarantor_delivery}?token={borrower_token}"),
            None,
            None,
        )
        .await;
    crossed.assert_problem(404, "not_found");
    let forged = app
        .call(
            Method::GET,
            &format!("{guarantor_delivery}?token=AAAA"),
            None,
            None,
        )
        .await;
    forged.assert_problem(404, "not_found");
    let first = app.call(Method::GET, &borrower_link, None, None).await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    assert_eq!(first.json()["kind"], "transfer");
    let again = app.call(Method::GET, &borrower_link, None, None).await;
    again.assert_problem(409, "already_acknowledged");

    // The delivery log: the coordinator sees both copies, the borrower its own, the creditor
    // none of them, an outsider nothing at all.
    let log = app
        .get(&case.path("deliveries?limit=100"), &case.coordinator)
        .await;
    assert_eq!(log.status, 200);
    let notices: Vec<Value> = log
        .items()
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "transfer")
        .cloned()
        .collect();
    assert_eq!(notices.len(), 2, "{notices:?}");
    let borrower_copy = notices
        .iter()
        .find(|d| d["recipient_email"] == "cfo@borrower.test")
        .unwrap();
    assert!(
        !borrower_copy["acknowledged_at"].is_null() && borrower_copy["status"] == "sent",
        "{borrower_copy}"
    );
    assert_eq!(borrower_copy["language"], "en");
    let guarantor_copy = notices
        .iter()
        .find(|d| d["recipient_email"] == "legal@parent.test")
        .unwrap();
    assert!(
        guarantor_copy["acknowledged_at"].is_null(),
        "{guarantor_copy}"
    );
    assert_eq!(guarantor_copy["language"], "ar");
    let own = app
        .get(&case.path("deliveries?limit=100"), &case.borrower)
        .await;
    assert_eq!(own.status, 200);
    assert!(
        own.items()
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["recipient_email"] == "cfo@borrower.test"),
        "{:?}",
        own.json()
    );
    let creditor = app
        .get(&case.path("deliveries?limit=100"), &case.creditor)
        .await;
    assert!(
        creditor
            .items()
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["institution_id"] == case.creditor.institution_id.to_string()),
        "{:?}",
        creditor.json()
    );
    app.get(&case.path("deliveries"), &case.outsider)
        .await
        .assert_problem(404, "not_found");

    // Unacknowledged at the end of the fifth business day after issue: the guarantor is
    // reminded once with the same link, the coordinator told once; the acknowledged copy is not.
    let duties = app
        .get(&case.path("duties?limit=100"), &case.coordinator)
        .await
        .items();
    let pending: Vec<&Value> = duties
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "notice_acknowledgement" && d["met_at"].is_null())
        .collect();
    assert_eq!(pending.len(), 1, "{duties}");
    let due_at = at(pending[0]["due_at"].as_str().unwrap());
    let jobs = case.jobs();
    jobs.run_due(due_at).await.unwrap();
    jobs.run_due(due_at + chrono::Duration::days(1))
        .await
        .unwrap();
    case.send_all().await;
    let reminders: Vec<Parsed> = case
        .mail_to("legal@parent.test")
        .into_iter()
        .filter(|m| m.headers["Subject"].contains("تذكير"))
        .collect();
    assert_eq!(reminders.len(), 1, "reminded once");
    assert_eq!(
        ack_link(app, &reminders[0]),
        guarantor_link,
        "with the notice's own link"
    );
    assert_eq!(
        case.mail_to("cfo@borrower.test").len(),
        1,
        "the borrower acknowledged: no reminder"
    );
    let told = case
        .mail_to("desk@coordinator.test")
        .into_iter()
        .filter(|m| m.headers["Subject"].starts_with("Not acknowledged"))
        .count();
    assert_eq!(told, 1);
    let by_reminder = app
        .call(Method::GET, &ack_link(app, &reminders[0]), None, None)
        .await;
    assert_eq!(by_reminder.status, 200, "{:?}", by_reminder.json());
}

#[tokio::test]
async fn a_borrower_letter_is_acknowledged_in_writing_or_reported_after_five_business_days() {
    let case = case().await;
    let app = &case.app;
    let recorded = app
        .post(
            &case.path("communications"),
            &case.borrower,
            &json!({"subject": "Request for a payment holiday", "body": "We ask for three months.", "received_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(recorded.status, 201, "{:?}", recorded.json());
    let letter = id_of(&recorded.json());
    let future = app
        .post(
            &case.path("communications"),
            &case.borrower,
            &json!({"subject": "x", "body": "y", "received_on": "2999-01-01"}),
        )
        .await;
    future.assert_problem(422, "validation_failed");
    let jobs = case.jobs();
    assert_eq!(jobs.run_due(at("2026-11-09T20:59:59Z")).await.unwrap(), 0);
    assert!(jobs.run_due(at("2026-11-09T21:00:00Z")).await.unwrap() >= 1);
    case.send_all().await;
    let told = case
        .mail_to("desk@coordinator.test")
        .into_iter()
        .filter(|m| m.headers["Subject"].starts_with("Not acknowledged in time"))
        .count();
    assert_eq!(told, 1);

    let path = case.path(&format!("communications/{letter}/acknowledgement"));
    app.post(&path, &case.borrower, &json!({}))
        .await
        .assert_problem(403, "forbidden");
    let acknowledged = app.post(&path, &case.coordinator, &json!({})).await;
    assert_eq!(acknowledged.status, 201, "{:?}", acknowledged.json());
    app.post(&path, &case.coordinator, &json!({}))
        .await
        .assert_problem(409, "already_acknowledged");
    case.send_all().await;
    let written = case
        .mail_to("cfo@borrower.test")
        .into_iter()
        .filter(|m| m.headers["Subject"].contains("Request for a payment holiday"))
        .count();
    assert_eq!(written, 1, "the borrower gets the written acknowledgement");
    let listed = app.get(&case.path("communications"), &case.borrower).await;
    assert!(!listed.items()[0]["acknowledged_at"].is_null());
}

#[tokio::test]
async fn a_contact_chooses_its_language_and_may_mute_news_but_never_formal_notices() {
    let case = case().await;
    let app = &case.app;
    let refused = app
        .put(
            "/notifications/v1/preferences/cfo@borrower.test",
            &case.borrower,
            &json!({"formal_notices": false}),
        )
        .await;
    refused.assert_problem(422, "formal_notices_required");
    let set = app
        .put(
            "/notifications/v1/preferences/CFO@borrower.test",
            &case.borrower,
            &json!({"language": "ar", "informational": false}),
        )
        .await;
    assert_eq!(set.status, 200, "{:?}", set.json());
    assert_eq!(set.json()["email"], "cfo@borrower.test");
    let read = app
        .get(
            "/notifications/v1/preferences/cfo@borrower.test",
            &case.borrower,
        )
        .await;
    assert_eq!(read.json()["language"], "ar");
    // Another institution's view of the same address is its own (the defaults).
    let other = app
        .get(
            "/notifications/v1/preferences/cfo@borrower.test",
            &case.creditor,
        )
        .await;
    assert_eq!(other.json()["informational"], true);

    let token = app.service_token("voting").await;
    let news = json!({"id": Uuid::now_v7(), "topic": "voting.standstill_proposed", "source": "voting",
        "workout_id": case.workout, "occurred_at": "2026-11-24T10:00:00Z", "payload": {}});
    let delivered = app
        .call(
            Method::POST,
            "/notifications/v1/events",
            Some(&token),
            Some(&news),
        )
        .await;
    assert_eq!(delivered.status, 202);
    let issued = app
        .post(&case.path("notices"), &case.coordinator, &json!({"kind": "timetable", "steps": [{"step": "credit approvals", "expected_on": "2026-12-15"}]}))
        .await;
    assert_eq!(issued.status, 201, "{:?}", issued.json());
    case.send_all().await;
    let mail = case.mail_to("cfo@borrower.test");
    assert_eq!(
        mail.len(),
        1,
        "the news is muted, the notice is not: {mail:?}"
    );
    assert!(
        mail[0].parts["text/html"].contains("dir=\"rtl\""),
        "in Arabic"
    );
    assert!(mail[0].parts["text/plain"].contains("2026-12-15"));
    assert!(
        !case.mail_to("desk@creditor.test").is_empty(),
        "others still get the news"
    );
}

#[tokio::test]
async fn every_notifications_endpoint_refuses_strangers_and_the_wrong_roles() {
    let case = case().await;
    let app = &case.app;
    let delivery = Uuid::now_v7();
    let reads = ["notices", "deliveries", "duties", "communications"];
    let writes: [(&str, Value); 3] = [
        (
            "notices",
            json!({"kind": "timetable", "steps": [{"step": "s", "expected_on": "2026-12-01"}]}),
        ),
        ("communications", json!({"subject": "s", "body": "b"})),
        (
            &format!("communications/{delivery}/acknowledgement"),
            json!({}),
        ),
    ];
    for rest in reads {
        let path = case.path(rest);
        assert_eq!(
            app.call(Method::GET, &path, None, None).await.status,
            401,
            "{path}"
        );
        assert_eq!(
            app.call(Method::GET, &path, Some("not-a-token"), None)
                .await
                .status,
            401,
            "{path}"
        );
        app.get(&path, &case.outsider)
            .await
            .assert_problem(404, "not_found");
    }
    for (rest, body) in &writes {
        let path = case.path(rest);
        assert_eq!(
            app.call(Method::POST, &path, None, Some(body)).await.status,
            401,
            "{path}"
        );
        assert_eq!(
            app.call(Method::POST, &path, Some("not-a-token"), Some(body))
                .await
                .status,
            401,
            "{path}"
        );
        app.post(&path, &case.outsider, body)
            .await
            .assert_problem(404, "not_found");
    }
    for path in ["/notifications/v1/preferences/a@b.test"] {
        assert_eq!(app.call(Method::GET, path, None, None).await.status, 401);
        assert_eq!(
            app.call(Method::PUT, path, None, Some(&json!({})))
                .await
                .status,
            401
        );
    }
    // Roles: only the coordinator issues notices and reads the deadlines; a creditor does not
    // record the borrower's letters; a guarantor reads its notices, not the borrower's letters.
    app.post(&case.path("notices"), &case.creditor, &writes[0].1)
        .await
        .assert_problem(403, "forbidden");
    app.post(&case.path("notices"), &case.borrower, &writes[0].1)
        .await
        .assert_problem(403, "forbidden");
    app.get(&case.path("duties"), &case.creditor)
        .await
        .assert_problem(403, "forbidden");
    app.post(&case.path("communications"), &case.creditor, &writes[1].1)
        .await
        .assert_problem(403, "forbidden");
    app.get(&case.path("communications"), &case.guarantor)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.get(&case.path("notices"), &case.guarantor).await.status,
        200
    );
    // Bad input changes nothing: NUL and control characters, dates and amounts out of range.
    for hostile in [
        json!({"kind": "proposal_declined", "reasons": "no\u{0}way"}),
        json!({"kind": "proposal_declined", "reasons": "ring\u{7}the bell"}),
        json!({"kind": "timetable", "steps": [{"step": "s", "expected_on": "99999-01-01"}]}),
        json!({"kind": "timetable", "steps": [{"step": "s", "expected_on": "1066-10-14"}]}),
        json!({"kind": "timetable", "steps": []}),
        json!({"kind": "approved_terms", "summary": "s", "costs": [{"description": "fee", "amount": "1e400", "currency": "SAR"}]}),
        json!({"kind": "approved_terms", "summary": "s", "costs": [{"description": "fee", "amount": "-5", "currency": "SAR"}]}),
        json!({"kind": "transfer", "covenant_violations": [{"facility_reference": "TL\u{0}7", "description": "d"}]}),
    ] {
        let answer = app
            .post(&case.path("notices"), &case.coordinator, &hostile)
            .await;
        assert_eq!(answer.status, 422, "{hostile}: {:?}", answer.json());
    }
    let hostile_letter = app
        .post(
            &case.path("communications"),
            &case.borrower,
            &json!({"subject": "a\u{0}b", "body": "b", "received_on": "0001-01-01"}),
        )
        .await;
    hostile_letter.assert_problem(422, "validation_failed");
    app.get(
        "/notifications/v1/preferences/not%00an%20address",
        &case.borrower,
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post(
        &case.path("notices"),
        &case.coordinator,
        &json!({"kind": "proposal_declined", "reasons": "  "}),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post(
        &case.path("notices"),
        &case.coordinator,
        &json!({"kind": "transfer", "extra": 1}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let notices = app.get(&case.path("notices"), &case.coordinator).await;
    assert_eq!(
        notices.items().as_array().unwrap().len(),
        0,
        "{:?}",
        notices.json()
    );
    // The acknowledgement endpoint needs no sign-in but a token that fits.
    app.call(
        Method::GET,
        &format!("/notifications/v1/acknowledgements/{delivery}?token=x"),
        None,
        None,
    )
    .await
    .assert_problem(404, "not_found");
    app.call(
        Method::POST,
        &format!("/notifications/v1/acknowledgements/{delivery}"),
        None,
        Some(&json!({"token": "x"})),
    )
    .await
    .assert_problem(404, "not_found");
    // The operator sees counts, never recipients or contents.
    let admin = app.get("/notifications/v1/events", &app.admin).await;
    assert_eq!(admin.status, 200);
    let text = admin.json().to_string();
    assert!(
        !text.contains("borrower.test") && !text.contains("payload"),
        "{text}"
    );
}

#[tokio::test]
async fn a_meeting_invitation_reaches_the_invitees_alone_with_an_ics_that_parses() {
    let case = case().await;
    let app = &case.app;
    let starts = Utc::now() + chrono::Duration::days(7);
    let scheduled = app
        .schedule_meeting(
            &case.coordinator,
            case.workout,
            &json!({"title": "First creditors' meeting", "starts_at": starts,
                    "ends_at": starts + chrono::Duration::hours(2), "location": "Riyadh, room 4",
                    "agenda": [{"title": "Standstill", "owner_id": case.coordinator.institution_id}]}),
        )
        .await;
    assert_eq!(scheduled.status, 201, "{:?}", scheduled.json());
    case.send_all().await;

    let invited = case.mail_to("desk@creditor.test");
    let with_calendar: Vec<&Parsed> = invited
        .iter()
        .filter(|m| m.parts.contains_key("text/calendar"))
        .collect();
    assert_eq!(
        with_calendar.len(),
        1,
        "the invited creditor gets one invitation: {invited:?}"
    );
    let ics = &with_calendar[0].parts["text/calendar"];
    let script = r#"
import sys
from icalendar import Calendar
calendar = Calendar.from_ical(sys.stdin.read())
event = next(iter(calendar.walk("VEVENT")))
attendees = event.get("ATTENDEE")
attendees = attendees if isinstance(attendees, list) else [attendees]
print(calendar.get("METHOD"), str(event.get("SUMMARY")), " ".join(sorted(str(a) for a in attendees)))
"#;
    let read = python(
        script,
        ics,
        &format!("Python's icalendar reads the attachment: {ics}"),
    );
    assert!(
        read.starts_with("REQUEST First creditors' meeting"),
        "{read}"
    );
    assert!(read.contains("mailto:desk@creditor.test"), "{read}");
    assert!(
        case.mail_to("cfo@borrower.test")
            .iter()
            .all(|m| !m.parts.contains_key("text/calendar")),
        "the borrower was not invited"
    );
}

/// The voting service's jobs (ballots, standstills, term sheets), as its binary registers them.
fn voting_jobs(app: &TestApp, registry: &Arc<RegistryClient>) -> Scheduler {
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

/// How many messages `to` received whose subject is `subject`.
fn count_of(case: &Case, to: &str, subject: &str) -> usize {
    case.mail_to(to)
        .iter()
        .filter(|m| m.headers["Subject"] == subject)
        .count()
}

#[tokio::test]
async fn done_when_news_notices_and_reminders_reach_the_right_people_once_and_the_coordinator_reads_the_log()
 {
    let case = case().await;
    let app = &case.app;
    // The registry's news, and a ballot from the voting service reminded 24 hours before it
    // closes, by two scheduler replicas.
    let today = Utc::now().date_naive().to_string();
    let frozen = app
        .freeze_snapshot(&case.coordinator, case.workout, &today)
        .await;
    assert_eq!(frozen.status, 201, "{:?}", frozen.json());
    let closes_at = Utc::now() + chrono::Duration::hours(30);
    let opened = app
        .post(
            &format!("/voting/v1/workouts/{}/ballots", case.workout),
            &case.coordinator,
            &json!({"subject_kind": "waiver", "subject_ref": "W-1", "content_hash": "a".repeat(64),
                    "title": "Waive the information covenant",
                    "rule": {"preset": "simple_majority_by_value"}, "snapshot_id": id_of(&frozen.json()),
                    "closes_at": closes_at.to_rfc3339()}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let closes_at = at(opened.json()["closes_at"].as_str().unwrap());
    let registry = Arc::new(RegistryClient::new(
        reqwest::Client::new(),
        &app.url,
        app.service_tokens("done-when-test").await,
    ));
    let (a, b) = (voting_jobs(app, &registry), voting_jobs(app, &registry));
    for instant in [
        closes_at - chrono::Duration::hours(24),
        closes_at - chrono::Duration::hours(23),
    ] {
        a.run_due(instant).await.unwrap();
        b.run_due(instant).await.unwrap();
    }
    // The transfer notice, issued in time: nothing is reported late at the end of its due day.
    let issued = app
        .post(
            &case.path("notices"),
            &case.coordinator,
            &json!({"kind": "transfer"}),
        )
        .await;
    assert_eq!(issued.status, 201, "{:?}", issued.json());
    case.jobs()
        .run_due(at("2026-11-09T21:00:00Z"))
        .await
        .unwrap();
    case.send_all().await;

    // The creditor (English): the ballot's opening and its reminder, each once; no notice.
    assert_eq!(
        count_of(
            &case,
            "desk@creditor.test",
            "Workout platform: ballot opened"
        ),
        1
    );
    assert_eq!(
        count_of(
            &case,
            "desk@creditor.test",
            "Workout platform: ballot closing soon"
        ),
        1
    );
    assert!(
        case.mail_to("desk@creditor.test")
            .iter()
            .all(|m| !m.headers["Subject"].starts_with("Notice"))
    );
    // The borrower (English) and the guarantor (Arabic): the notice alone, in their language,
    // each with a link that works.
    let borrower = case.mail_to("cfo@borrower.test");
    assert!(
        borrower
            .iter()
            .all(|m| !m.headers["Subject"].contains("ballot")),
        "no ballot news for the borrower"
    );
    let notice = borrower
        .iter()
        .find(|m| m.headers["Subject"].starts_with("Notice"))
        .expect("the borrower's notice");
    let guarantor = case.mail_to("legal@parent.test");
    let arabic = guarantor
        .iter()
        .find(|m| {
            m.parts
                .get("text/plain")
                .is_some_and(|t| t.contains("التزاماتكم"))
        })
        .expect("the guarantor's notice in Arabic");
    for message in [notice, arabic] {
        let answer = app
            .call(Method::GET, &ack_link(app, message), None, None)
            .await;
        assert_eq!(answer.status, 200, "{:?}", answer.json());
    }
    // The coordinator reads the log: every e-mail sent once, both acknowledgements, no lateness.
    let log = app
        .get(&case.path("deliveries?limit=200"), &case.coordinator)
        .await;
    assert_eq!(log.status, 200);
    let items = log.items();
    let items = items.as_array().unwrap();
    assert!(items.iter().all(|d| d["status"] == "sent"), "{items:?}");
    let acknowledged = items
        .iter()
        .filter(|d| d["kind"] == "transfer" && !d["acknowledged_at"].is_null())
        .count();
    assert_eq!(acknowledged, 2);
    let mut ids: Vec<&str> = items
        .iter()
        .map(|d| d["message_id"].as_str().unwrap())
        .collect();
    let all = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all, "one Message-ID per e-mail");
    assert!(
        items.iter().all(|d| d["kind"] != "transfer_notice_late"),
        "nothing late"
    );
    for to in [
        "desk@creditor.test",
        "cfo@borrower.test",
        "legal@parent.test",
        "desk@coordinator.test",
    ] {
        let arrived = case.mail_to(to).len();
        let logged = items.iter().filter(|d| d["recipient_email"] == to).count();
        assert_eq!(arrived, logged, "what {to} received is what the log says");
    }
}
