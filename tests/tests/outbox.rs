//! The outbox: an event committed with its change reaches the notifications service at least once,
//! even across a relay stop, and is recorded there once; failed deliveries are retried later.
//! Routing: each subscriber gets the topics it asked for, and one that is down delays no one else
//! and is caught up once it is back; a delivery held by a crashed replica is taken over.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;
use workout_domain::{Disclosure, Topic};
use workout_runtime::Settings;
use workout_store::audit::Actor;
use workout_store::outbox::{Relay, RelayConfig, Subscriber};
use workout_store::schema::{outbox, outbox_deliveries};
use workout_store::{Chain, Pool, record};
use workout_tests::{EventSink, TestApp, eventually, id_of};

diesel::table! {
    /// The notifications service's record of received events (read directly to count copies).
    notifications.received_events (id) {
        /// Event id.
        id -> Uuid,
        /// Event data.
        payload -> Jsonb,
    }
}

async fn received_copies(app: &TestApp, institution: Uuid) -> i64 {
    let mut conn = app.pool("notifications").get().await.unwrap();
    received_events::table
        .filter(
            received_events::payload
                .retrieve_as_text("id")
                .eq(institution.to_string()),
        )
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

/// Events not yet accepted by every subscriber they were routed to.
async fn undelivered(pool: &Pool) -> Vec<Uuid> {
    let mut conn = pool.get().await.unwrap();
    outbox::table
        .filter(outbox::delivered_at.is_null())
        .select(outbox::id)
        .load(&mut conn)
        .await
        .unwrap()
}

/// Deliveries not yet accepted: event, subscriber, failed attempts, last error, next attempt.
type Pending = (Uuid, String, i32, Option<String>, DateTime<Utc>);

async fn pending_deliveries(pool: &Pool) -> Vec<Pending> {
    let mut conn = pool.get().await.unwrap();
    outbox_deliveries::table
        .filter(outbox_deliveries::delivered_at.is_null())
        .select((
            outbox_deliveries::event_id,
            outbox_deliveries::subscriber,
            outbox_deliveries::attempts,
            outbox_deliveries::last_error,
            outbox_deliveries::next_attempt_at,
        ))
        .load(&mut conn)
        .await
        .unwrap()
}

/// A topic named by the test.
#[derive(Debug, Clone, Copy)]
struct Named(&'static str);

impl Topic for Named {
    fn name(self) -> &'static str {
        self.0
    }
}

/// Records one change per topic in `pool`'s schema (its event goes to the outbox); returns the
/// events' ids.
async fn enqueue(pool: &Pool, topics: &[&'static str]) -> Vec<Uuid> {
    let mut conn = pool.get().await.unwrap();
    let mut ids = Vec::new();
    let actor = Actor::service("relaytest");
    for (n, topic) in topics.iter().enumerate() {
        let payload = json!({ "n": n });
        let event = record(
            &mut conn,
            Chain::Platform,
            &actor,
            Named(topic),
            Disclosure::Participants,
            None,
            &payload,
        );
        ids.push(event.await.unwrap());
    }
    ids
}

/// A relay of service `relaytest` over `pool` that polls every 50 ms.
async fn relay(app: &TestApp, pool: &Pool, subscribers: Vec<Subscriber>) -> Relay {
    let mut config = RelayConfig::new("relaytest", subscribers);
    config.idle = Duration::from_millis(50);
    Relay::new(
        pool.clone(),
        reqwest::Client::new(),
        app.service_tokens("relaytest").await,
        config,
    )
}

/// Runs `deliver_batch` until it has nothing left to try; returns the calls made.
async fn drain(relay: &Relay) -> usize {
    let mut calls = 0;
    loop {
        match relay.deliver_batch().await.unwrap() {
            0 => return calls,
            n => calls += n,
        }
    }
}

#[tokio::test]
async fn an_event_left_behind_by_a_stopped_relay_is_delivered_after_restart_exactly_once() {
    // The first run's relay polls once at start and then sleeps past the end of the test.
    let mut app = TestApp::spawn_with(|s| s.outbox_poll = Duration::from_secs(600)).await;
    let created = app
        .post(
            "/registry/v1/institutions",
            &app.admin,
            &json!({"kind": "bank", "name": "Late Bank", "country": "SA"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let bank = id_of(&created.json());
    let registry = app.pool("registry");
    assert!(
        !undelivered(&registry).await.is_empty(),
        "the event is committed with the institution"
    );
    app.stop().await;
    assert_eq!(
        received_copies(&app, bank).await,
        0,
        "nothing was delivered before the stop"
    );

    let restarted = workoutd::start(&Settings::local(&app.database_url), false)
        .await
        .unwrap();
    let delivered = eventually(Duration::from_secs(10), || async {
        (received_copies(&app, bank).await == 1).then_some(())
    })
    .await;
    assert!(
        delivered.is_some(),
        "the restarted relay delivers the event"
    );
    // The relay marks the delivery after the subscriber's answer reaches it, a moment after the
    // subscriber stored the event.
    let marked = eventually(Duration::from_secs(10), || async {
        undelivered(&registry).await.is_empty().then_some(())
    })
    .await;
    assert!(marked.is_some(), "and marks it delivered");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(received_copies(&app, bank).await, 1, "exactly once");
    restarted.running.stop().await.unwrap();
}

#[tokio::test]
async fn a_redelivered_event_is_recorded_once() {
    let app = TestApp::spawn().await;
    let token = &app.service_token("testsvc").await;
    let institution = Uuid::now_v7();
    let event = json!({
        "id": Uuid::now_v7(), "topic": "testsvc.something_happened", "source": "testsvc", "workout_id": null,
        "occurred_at": "2026-11-23T10:00:00Z", "payload": {"id": institution}
    });
    let first = app
        .call(
            Method::POST,
            "/notifications/v1/events",
            Some(token),
            Some(&event),
        )
        .await;
    assert_eq!(first.status, 202);
    assert_eq!(first.json()["duplicate"], false);
    let second = app
        .call(
            Method::POST,
            "/notifications/v1/events",
            Some(token),
            Some(&event),
        )
        .await;
    assert_eq!(second.status, 202);
    assert_eq!(second.json()["duplicate"], true);
    assert_eq!(received_copies(&app, institution).await, 1);

    let mut forged = event.clone();
    forged["source"] = json!("registry");
    forged["id"] = json!(Uuid::now_v7());
    app.call(
        Method::POST,
        "/notifications/v1/events",
        Some(token),
        Some(&forged),
    )
    .await
    .assert_problem(422, "source_mismatch");
}

#[tokio::test]
async fn a_failed_delivery_is_kept_and_retried_later_with_backoff() {
    let app = TestApp::spawn_with(|s| {
        s.subscribers = Some(vec![Subscriber::all("http://127.0.0.1:9/nowhere")])
    })
    .await;
    let registry = app.pool("registry");
    let before = Utc::now();
    let created = app
        .post(
            "/registry/v1/institutions",
            &app.admin,
            &json!({"kind": "bank", "name": "Unlucky Bank", "country": "SA"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let tried = eventually(Duration::from_secs(10), || async {
        let rows = pending_deliveries(&registry).await;
        (!rows.is_empty() && rows.iter().all(|(_, _, attempts, _, _)| *attempts >= 1))
            .then_some(rows)
    })
    .await
    .expect("the relay tries every event");
    assert!(
        !undelivered(&registry).await.is_empty(),
        "undelivered events stay in the outbox"
    );
    for (_, subscriber, attempts, error, next) in tried {
        assert_eq!(subscriber, "http://127.0.0.1:9/nowhere");
        assert!(
            error.is_some_and(|e| !e.is_empty()),
            "the failure is recorded"
        );
        assert!(next > before, "the retry is scheduled later");
        assert!(attempts < 10, "and not hammered");
    }
}

#[tokio::test]
async fn a_subscriber_that_is_down_delays_no_one_and_gets_each_event_once_it_is_back() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("relay_down").await;
    let down = EventSink::start(Duration::ZERO);
    down.set_down(true);
    let healthy = EventSink::start(Duration::ZERO);
    let ids = enqueue(&pool, &["relaytest.happened"; 10]).await;
    // The subscriber that is down comes first, as the first one in the list used to block the rest.
    let relay = relay(
        &app,
        &pool,
        vec![Subscriber::all(&down.url), Subscriber::all(&healthy.url)],
    )
    .await;
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(relay.run(stopped));

    let meanwhile = eventually(Duration::from_secs(20), || async {
        let copies = healthy.copies();
        let all_there = ids.iter().all(|id| copies.get(id) == Some(&1));
        let pending = pending_deliveries(&pool).await;
        let recorded = pending
            .iter()
            .all(|(_, subscriber, ..)| *subscriber == down.url);
        (all_there && recorded && down.refused() > 0).then_some(pending)
    })
    .await;
    let pending =
        meanwhile.expect("the healthy subscriber gets every event while the other refuses them");
    assert!(down.accepted().is_empty());
    assert!(
        pending
            .iter()
            .any(|(_, _, attempts, error, _)| *attempts >= 1 && error.is_some()),
        "its failures are recorded on its own deliveries"
    );

    down.set_down(false);
    let caught_up = eventually(Duration::from_secs(60), || async {
        undelivered(&pool).await.is_empty().then_some(())
    })
    .await;
    assert!(
        caught_up.is_some(),
        "once back, it gets the events, and each event is then delivered to all"
    );
    stop.send(true).unwrap();
    running.await.unwrap();
    let (to_down, to_healthy) = (down.copies(), healthy.copies());
    for id in &ids {
        assert_eq!(
            to_down.get(id),
            Some(&1),
            "{id} reached the one that was down once"
        );
        assert_eq!(
            to_healthy.get(id),
            Some(&1),
            "{id} was not redelivered to the healthy one"
        );
    }
}

#[tokio::test]
async fn each_subscriber_gets_the_topics_it_asked_for_and_an_event_nobody_wants_is_done() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("relay_topics").await;
    let wanted = EventSink::start(Duration::ZERO);
    let other = EventSink::start(Duration::ZERO);
    let ids = enqueue(
        &pool,
        &[
            "relaytest.wanted.one",
            "relaytest.other.two",
            "relaytest.wanted_not.three",
        ],
    )
    .await;
    let relay = relay(
        &app,
        &pool,
        vec![
            Subscriber::with_prefixes(&wanted.url, ["relaytest.wanted."]),
            Subscriber::with_prefixes(&other.url, ["relaytest.other.", "relaytest.more."]),
        ],
    )
    .await;
    assert_eq!(
        drain(&relay).await,
        2,
        "one call per (event, subscriber) that wants it"
    );

    let topics = |sink: &EventSink| -> Vec<String> {
        sink.accepted().into_iter().map(|e| e.topic).collect()
    };
    assert_eq!(topics(&wanted), ["relaytest.wanted.one"]);
    assert_eq!(topics(&other), ["relaytest.other.two"]);
    assert!(
        wanted.accepted().iter().all(|e| e.source == "relaytest"),
        "events carry their source"
    );
    let mut conn = pool.get().await.unwrap();
    let routed: Vec<(Uuid, String)> = outbox_deliveries::table
        .select((outbox_deliveries::event_id, outbox_deliveries::subscriber))
        .order(outbox_deliveries::event_id)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        routed,
        [(ids[0], wanted.url.clone()), (ids[1], other.url.clone())],
        "no delivery for an event nobody wants"
    );
    assert!(
        undelivered(&pool).await.is_empty(),
        "every event is done, the one nobody wants included"
    );
}

#[tokio::test]
async fn a_delivery_held_by_a_crashed_replica_is_taken_over_once_its_lease_expires() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("relay_lease").await;
    let sink = EventSink::start(Duration::ZERO);
    let ids = enqueue(&pool, &["relaytest.first", "relaytest.second"]).await;
    let relay = relay(&app, &pool, vec![Subscriber::all(&sink.url)]).await;
    assert_eq!(relay.route().await.unwrap(), 2);

    // Two replicas claimed one delivery each and crashed: one lease still runs, one has run out.
    let mut conn = pool.get().await.unwrap();
    let lease = |id: Uuid, seconds: i64| {
        diesel::update(outbox_deliveries::table.filter(outbox_deliveries::event_id.eq(id))).set((
            outbox_deliveries::lease_token.eq(Some(Uuid::now_v7())),
            outbox_deliveries::lease_until
                .eq(Some(Utc::now() + chrono::Duration::seconds(seconds))),
        ))
    };
    lease(ids[0], 3600).execute(&mut conn).await.unwrap();
    lease(ids[1], -1).execute(&mut conn).await.unwrap();

    assert_eq!(drain(&relay).await, 1);
    let copies = sink.copies();
    assert_eq!(
        copies.get(&ids[1]),
        Some(&1),
        "the expired lease is taken over"
    );
    assert_eq!(copies.get(&ids[0]), None, "a running lease is respected");

    lease(ids[0], -1).execute(&mut conn).await.unwrap();
    assert_eq!(drain(&relay).await, 1);
    assert_eq!(
        sink.copies().get(&ids[0]),
        Some(&1),
        "taken over once it has run out"
    );
    assert!(undelivered(&pool).await.is_empty());
}

/// Ids of `ids` that the notifications service recorded, each as often as recorded.
async fn recorded_by_notifications(app: &TestApp, ids: &[Uuid]) -> Vec<Uuid> {
    let mut conn = app.pool("notifications").get().await.unwrap();
    let mut recorded: Vec<Uuid> = received_events::table
        .filter(received_events::id.eq_any(ids))
        .select(received_events::id)
        .load(&mut conn)
        .await
        .unwrap();
    recorded.sort();
    recorded
}

#[tokio::test]
async fn a_relay_delivers_a_batch_in_one_call_and_the_intake_records_each_event_once() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("relay_batch").await;
    let sink = EventSink::start(Duration::ZERO);
    let notifications = format!("{}/notifications/v1/events", app.url);
    let mut ids = enqueue(
        &pool,
        &[
            "relaytest.batch_a",
            "relaytest.batch_b",
            "relaytest.batch_c",
            "relaytest.batch_d",
            "relaytest.batch_e",
            "relaytest.batch_f",
            "relaytest.batch_g",
        ],
    )
    .await;
    let relay = relay(
        &app,
        &pool,
        vec![Subscriber::all(&sink.url), Subscriber::all(&notifications)],
    )
    .await;
    assert_eq!(drain(&relay).await, 14, "seven events to each subscriber");
    assert_eq!(sink.calls(), 1, "in one call");
    let mut accepted: Vec<Uuid> = sink.accepted().into_iter().map(|e| e.id).collect();
    accepted.sort();
    ids.sort();
    assert_eq!(accepted, ids);
    assert_eq!(
        recorded_by_notifications(&app, &ids).await,
        ids,
        "the real intake recorded each event once"
    );
    assert!(undelivered(&pool).await.is_empty());
    assert!(pending_deliveries(&pool).await.is_empty());
}

#[tokio::test]
async fn an_event_the_subscriber_refuses_holds_up_no_other_event_of_its_batch() {
    let app = TestApp::spawn().await;
    let pool = app.kit_schema("relay_poison").await;
    let notifications = format!("{}/notifications/v1/events", app.url);
    // No outbox writes such a topic; one written by hand stands for an event the receiver refuses.
    let ids = enqueue(
        &pool,
        &[
            "relaytest.good_one",
            "relaytest.Refused",
            "relaytest.good_two",
            "relaytest.good_three",
        ],
    )
    .await;
    let relay = relay(&app, &pool, vec![Subscriber::all(&notifications)]).await;
    drain(&relay).await;

    let mut good = vec![ids[0], ids[2], ids[3]];
    good.sort();
    assert_eq!(
        recorded_by_notifications(&app, &ids).await,
        good,
        "the batch was refused whole, then each event was delivered on its own"
    );
    let pending = pending_deliveries(&pool).await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    let (event, subscriber, attempts, error, _) = &pending[0];
    assert_eq!(
        (*event, subscriber.as_str(), *attempts),
        (ids[1], notifications.as_str(), 1)
    );
    assert!(
        error.as_deref().is_some_and(|e| e.contains("422")),
        "the refusal is kept: {error:?}"
    );
    assert_eq!(undelivered(&pool).await, [ids[1]]);
}

#[tokio::test]
async fn the_batch_intake_takes_a_batch_whole_or_refuses_it_naming_the_event() {
    let app = TestApp::spawn().await;
    let token = &app.service_token("testsvc").await;
    let event = |topic: &str, source: &str| {
        json!({"id": Uuid::now_v7(), "topic": topic, "source": source, "workout_id": null,
               "occurred_at": "2026-11-24T10:00:00Z", "payload": {"n": 1}})
    };
    let id = |event: &serde_json::Value| -> Uuid { event["id"].as_str().unwrap().parse().unwrap() };
    let post = async |body: serde_json::Value, token: Option<&str>| {
        app.call(
            Method::POST,
            "/notifications/v1/events/batch",
            token,
            Some(&body),
        )
        .await
    };

    let first = [
        event("testsvc.one", "testsvc"),
        event("testsvc.two", "testsvc"),
    ];
    let answer = post(json!({"events": first}), Some(token)).await;
    assert_eq!(answer.status, 202, "{:?}", answer.json());
    assert_eq!(
        answer.json(),
        json!({"receipts": [{"id": first[0]["id"], "duplicate": false},
                            {"id": first[1]["id"], "duplicate": false}]})
    );
    // A redelivered event is a duplicate; the new one beside it is recorded.
    let new = event("testsvc.three", "testsvc");
    let answer = post(json!({"events": [first[1], new]}), Some(token)).await;
    assert_eq!(answer.status, 202);
    assert_eq!(answer.json()["receipts"][0]["duplicate"], true);
    assert_eq!(answer.json()["receipts"][1]["duplicate"], false);
    let mut all = vec![id(&first[0]), id(&first[1]), id(&new)];
    all.sort();
    assert_eq!(recorded_by_notifications(&app, &all).await, all);

    // Refused whole, the offending event named, nothing of the batch recorded.
    let fresh = event("testsvc.fine", "testsvc");
    let answer = post(
        json!({"events": [fresh, event("testsvc.Not A Topic", "testsvc")]}),
        Some(token),
    )
    .await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.json()["errors"][0]["field"], "events[1].topic");
    let answer = post(
        json!({"events": [fresh, event("registry.forged", "registry")]}),
        Some(token),
    )
    .await;
    answer.assert_problem(422, "source_mismatch");
    assert!(
        recorded_by_notifications(&app, &[id(&fresh)])
            .await
            .is_empty()
    );

    post(json!({"events": []}), Some(token))
        .await
        .assert_problem(422, "validation_failed");
    let too_many: Vec<_> = (0..101).map(|_| event("testsvc.many", "testsvc")).collect();
    post(json!({"events": too_many}), Some(token))
        .await
        .assert_problem(422, "validation_failed");
    post(json!({"events": [fresh], "extra": 1}), Some(token))
        .await
        .assert_problem(422, "validation_failed");

    // Only a service delivers events.
    let batch = json!({"events": [fresh]});
    assert_eq!(post(batch.clone(), None).await.status, 401);
    assert_eq!(post(batch.clone(), Some("not-a-token")).await.status, 401);
    let user = post(batch.clone(), Some(&app.admin.token)).await;
    assert_eq!(user.status, 401, "{:?}", user.json());
    assert!(
        recorded_by_notifications(&app, &[id(&fresh)])
            .await
            .is_empty()
    );
}
