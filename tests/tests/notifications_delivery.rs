//! Notifications by e-mail, with the harness's real SMTP listener: an event fans out to every
//! recipient its topic names, once; messages pending while the SMTP server is down all arrive
//! once it is back, none twice; two senders working the same deliveries send each message once; a
//! redelivered event makes no second delivery. Messages are counted by their `Message-ID`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_http::registry_client::RegistryClient;
use workout_notifications::expander::Expander;
use workout_notifications::mail::Mailer;
use workout_notifications::schema::{deliveries, letters, received_events};
use workout_notifications::sender::Sender;
use workout_tests::smtp::SmtpSink;
use workout_tests::{TestApp, eventually, id_of};

const LIMIT: Duration = Duration::from_secs(40);
const FROM: &str = "Workout platform <notices@workout-platform.invalid>";

/// A workout with a coordinator, two creditors and a borrower, each with one notice contact.
async fn workout(app: &TestApp) -> Uuid {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-MAIL", "borrower_id": borrower, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "contacts": [{"name": "Desk", "email": "desk@coordinator.test", "language": "en"}],
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let mut last = String::new();
    for (n, language) in ["en", "ar"].iter().enumerate() {
        let bank = app.bank_admin(&format!("Creditor Bank {n}")).await;
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": bank.institution_id, "role": "creditor",
                        "contacts": [{"name": format!("Credit desk {n}"), "email": format!("desk{n}@creditor.test"), "language": language}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
        last = bank.institution_id.to_string();
    }
    // The notifications service forgets a workout's cached participants when the registry's
    // event of a new participant reaches it; an event sent before that would find the old list.
    let heard = eventually(LIMIT, || async {
        let pool = app.pool("notifications");
        let mut conn = pool.get().await.unwrap();
        let payloads: Vec<Value> = received_events::table
            .filter(received_events::workout_id.eq(workout))
            .filter(received_events::topic.eq("registry.participant_added"))
            .select(received_events::payload)
            .load(&mut conn)
            .await
            .unwrap();
        payloads
            .iter()
            .any(|p| p.to_string().contains(&last))
            .then_some(())
    })
    .await;
    assert!(
        heard.is_some(),
        "the last creditor's arrival reaches the notifications service"
    );
    workout
}

/// Who hears of a ballot opening: the creditors and the coordinator.
fn told_of_a_ballot() -> BTreeSet<String> {
    [
        "desk@coordinator.test",
        "desk0@creditor.test",
        "desk1@creditor.test",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

fn ballot_opened(workout: Uuid) -> Value {
    json!({
        "id": Uuid::now_v7(), "topic": "voting.ballot_opened", "source": "voting",
        "workout_id": workout, "occurred_at": "2026-11-24T10:00:00Z", "payload": {"id": Uuid::now_v7()}
    })
}

async fn deliver(app: &TestApp, token: &str, event: &Value) -> Value {
    let answer = app
        .call(
            Method::POST,
            "/notifications/v1/events",
            Some(token),
            Some(event),
        )
        .await;
    assert_eq!(answer.status, 202, "{:?}", answer.json());
    answer.json()
}

fn message_id(data: &str) -> Option<String> {
    data.lines()
        .find_map(|line| line.strip_prefix("Message-ID: "))
        .map(|id| id.trim().to_owned())
}

/// How many messages the sink received of each `Message-ID` of `event`, with their recipients.
fn received_of(sink: &SmtpSink, event: &Value) -> BTreeMap<String, (usize, Vec<String>)> {
    let prefix = format!("<{}.", event["id"].as_str().unwrap());
    let mut seen: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for message in sink.messages() {
        if let Some(id) = message_id(&message.data).filter(|id| id.starts_with(&prefix)) {
            let entry = seen.entry(id).or_default();
            entry.0 += 1;
            entry.1.extend(message.to.clone());
        }
    }
    seen
}

/// `(recipient, status, attempts)` of `event`'s deliveries.
async fn rows(app: &TestApp, event: &Value) -> Vec<(String, String, i32, Option<String>)> {
    let id: Uuid = event["id"].as_str().unwrap().parse().unwrap();
    let pool = app.pool("notifications");
    let mut conn = pool.get().await.unwrap();
    deliveries::table
        .filter(deliveries::letter_id.eq(id))
        .order(deliveries::recipient_email.asc())
        .select((
            deliveries::recipient_email,
            deliveries::status,
            deliveries::attempts,
            deliveries::last_error,
        ))
        .load(&mut conn)
        .await
        .unwrap()
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Every message of `events` arrived exactly once, each to its own recipient.
async fn each_arrives_once(app: &TestApp, sink: &SmtpSink, events: &[Value]) {
    for event in events {
        let arrived = eventually(LIMIT, || async {
            let seen = received_of(sink, event);
            (seen.len() == told_of_a_ballot().len()).then_some(seen)
        })
        .await;
        let Some(seen) = arrived else {
            panic!(
                "every message arrives: {:?}; deliveries: {:?}",
                received_of(sink, event),
                rows(app, event).await
            );
        };
        let recipients: BTreeSet<String> = seen.values().flat_map(|(_, to)| to.clone()).collect();
        assert_eq!(
            recipients,
            told_of_a_ballot(),
            "to the creditors and the coordinator"
        );
        for (id, (count, _)) in &seen {
            assert_eq!(*count, 1, "{id} arrives once");
        }
    }
}

#[tokio::test]
async fn a_ballot_opening_is_told_once_to_each_creditor_and_the_coordinator_and_a_redelivery_adds_nothing()
 {
    let sink = SmtpSink::start().await;
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let app = TestApp::spawn_with(|s| s.mail.smtp_url = Some(url)).await;
    let workout = workout(&app).await;
    let token = app.service_token("voting").await;
    let event = ballot_opened(workout);

    assert_eq!(deliver(&app, &token, &event).await["duplicate"], false);
    each_arrives_once(&app, &sink, std::slice::from_ref(&event)).await;
    let arabic = sink
        .messages()
        .into_iter()
        .find(|m| m.to == ["desk1@creditor.test"] && m.data.contains(event["id"].as_str().unwrap()))
        .unwrap();
    assert!(
        arabic.data.contains("multipart/alternative"),
        "{}",
        arabic.data
    );

    assert_eq!(deliver(&app, &token, &event).await["duplicate"], true);
    let after = rows(&app, &event).await;
    assert_eq!(after.len(), 3, "no new delivery: {after:?}");
    assert!(
        after.iter().all(|(_, status, _, _)| status == "sent"),
        "{after:?}"
    );
    for (id, (count, _)) in received_of(&sink, &event) {
        assert_eq!(count, 1, "{id} still arrived once");
    }
}

#[tokio::test]
async fn messages_pending_while_the_smtp_server_is_down_all_arrive_once_it_is_back_none_twice() {
    let port = closed_port();
    let app =
        TestApp::spawn_with(|s| s.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let workout = workout(&app).await;
    let token = app.service_token("voting").await;
    let events = [ballot_opened(workout), ballot_opened(workout)];
    for event in &events {
        deliver(&app, &token, event).await;
    }

    let tried = eventually(LIMIT, || async {
        let mut all = Vec::new();
        for event in &events {
            all.extend(rows(&app, event).await);
        }
        (all.len() == 6
            && all
                .iter()
                .all(|(_, status, attempts, _)| status == "pending" && *attempts >= 2))
        .then_some(())
    })
    .await;
    assert!(
        tried.is_some(),
        "each is tried and kept pending while the server is down"
    );

    let sink = SmtpSink::start_on(port).await;
    each_arrives_once(&app, &sink, &events).await;
    let sent = eventually(LIMIT, || async {
        let mut all = Vec::new();
        for event in &events {
            all.extend(rows(&app, event).await);
        }
        all.iter()
            .all(|(_, status, _, _)| status == "sent")
            .then_some(())
    })
    .await;
    assert!(sent.is_some(), "and each is marked sent");
    for event in &events {
        for (id, (count, _)) in received_of(&sink, event) {
            assert_eq!(count, 1, "{id} arrived once");
        }
    }
}

#[tokio::test]
async fn two_senders_working_the_same_deliveries_send_each_message_once() {
    // The platform's own sender finds nothing at start and then idles for an hour (it would
    // only send to a port where nothing listens): the two below do the work.
    let app = TestApp::spawn_with(|s| {
        s.mail.smtp_url = Some(format!("smtp://127.0.0.1:{}", closed_port()));
        s.scheduler_poll = Duration::from_secs(3600);
    })
    .await;
    let workout = workout(&app).await;
    let token = app.service_token("voting").await;
    let sink = SmtpSink::start().await;
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let registry = Arc::new(RegistryClient::new(
        reqwest::Client::new(),
        &app.url,
        app.service_tokens("delivery-test").await,
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let mailer = Mailer::choose(Some(&url), ("127.0.0.1", 1), std::env::temp_dir()).unwrap();
        let pool = app.pool("notifications");
        let expander = Expander::new(pool.clone(), registry.clone(), Arc::default());
        let sender = Sender::new(
            pool,
            mailer,
            FROM,
            &app.url,
            Duration::from_millis(20),
            expander,
        )
        .unwrap();
        replicas.push(tokio::spawn(sender.run(stopped.clone())));
    }

    let mut events = Vec::new();
    for _ in 0..8 {
        let event = ballot_opened(workout);
        deliver(&app, &token, &event).await;
        events.push(event);
    }
    each_arrives_once(&app, &sink, &events).await;

    stop.send(true).unwrap();
    for replica in replicas {
        replica.await.unwrap();
    }
    for event in &events {
        for (id, (count, _)) in received_of(&sink, event) {
            assert_eq!(count, 1, "{id} arrived once");
        }
    }
}

#[tokio::test]
async fn an_address_that_cannot_be_sent_to_is_failed_visibly_and_not_retried() {
    let app = TestApp::spawn_with(|s| {
        s.mail.smtp_url = Some(format!("smtp://127.0.0.1:{}", closed_port()));
    })
    .await;
    let pool = app.pool("notifications");
    let mut conn = pool.get().await.unwrap();
    let (event, workout) = (Uuid::now_v7(), Uuid::now_v7());
    diesel::insert_into(received_events::table)
        .values((
            received_events::id.eq(event),
            received_events::topic.eq("voting.ballot_opened"),
            received_events::source.eq("voting"),
            received_events::workout_id.eq(Some(workout)),
            received_events::occurred_at.eq(chrono::Utc::now()),
            received_events::payload.eq(json!({})),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::insert_into(letters::table)
        .values((
            letters::id.eq(event),
            letters::workout_id.eq(workout),
            letters::kind.eq("voting.ballot_opened"),
            letters::event_id.eq(Some(event)),
            letters::roles.eq(json!([])),
            letters::content.eq(json!({"topic": "voting.ballot_opened"})),
            letters::expanded_at.eq(Some(chrono::Utc::now())),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::insert_into(deliveries::table)
        .values((
            deliveries::letter_id.eq(event),
            deliveries::topic.eq("voting.ballot_opened"),
            deliveries::workout_id.eq(workout),
            deliveries::recipient_email.eq("not an address"),
            deliveries::recipient_name.eq("Nobody"),
            deliveries::institution_id.eq(Uuid::now_v7()),
            deliveries::language.eq("en"),
            deliveries::message_id.eq(format!("<{event}.x@workout-platform>")),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    let event = json!({"id": event});

    let failed = eventually(LIMIT, || async {
        let rows = rows(&app, &event).await;
        (rows.len() == 1 && rows[0].1 == "failed").then_some(rows)
    })
    .await
    .expect("the delivery is failed");
    assert_eq!(failed[0].2, 1, "tried once, never again");
    assert!(
        failed[0]
            .3
            .as_deref()
            .is_some_and(|e| e.contains("not valid")),
        "the error is kept: {failed:?}"
    );
}
