//! The outbox: an event committed with its change reaches the notifications service at least once,
//! even across a relay stop, and is recorded there once; failed deliveries are retried later.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;
use workout_store::runtime::Settings;
use workout_store::schema::outbox;
use workout_tests::{TestApp, eventually, id_of};

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

async fn pending(app: &TestApp) -> Vec<(Uuid, i32, Option<String>, DateTime<Utc>)> {
    let mut conn = app.pool("registry").get().await.unwrap();
    outbox::table
        .filter(outbox::delivered_at.is_null())
        .select((
            outbox::id,
            outbox::attempts,
            outbox::last_error,
            outbox::next_attempt_at,
        ))
        .load(&mut conn)
        .await
        .unwrap()
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
    assert!(
        !pending(&app).await.is_empty(),
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
    assert!(pending(&app).await.is_empty(), "and marks it delivered");
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
        s.subscribers = Some(vec!["http://127.0.0.1:9/nowhere".to_owned()])
    })
    .await;
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
        let rows = pending(&app).await;
        rows.iter()
            .all(|(_, attempts, _, _)| *attempts >= 1)
            .then_some(rows)
    })
    .await
    .expect("the relay tries");
    assert!(!tried.is_empty(), "undelivered events stay in the outbox");
    for (_, attempts, error, next) in tried {
        assert!(
            error.is_some_and(|e| !e.is_empty()),
            "the failure is recorded"
        );
        assert!(next > before, "the retry is scheduled later");
        assert!(attempts < 10, "and not hammered");
    }
}
