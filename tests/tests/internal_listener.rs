//! Internal surfaces apart: with `INTERNAL_BIND_ADDR`, the services' `/internal` routes and
//! `/metrics` answer only on the internal listener, and the public listener answers 404 for them
//! as for any unknown route; without it, one listener serves everything (the local default).

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use uuid::Uuid;
use workout_tests::{Answer, TestApp, eventually, id_of, read};

async fn get(app: &TestApp, base: &str, path: &str, token: Option<&str>) -> Answer {
    let mut request = app.client.request(Method::GET, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    read(request.send().await.expect("the request is answered")).await
}

/// A workout opened by a bank; returns its id.
async fn workout(app: &TestApp) -> Uuid {
    let bank = app.bank_admin("Listener Bank").await;
    let borrower = app.institution("borrower", "Listener Borrower").await;
    let opened = app
        .open_workout(
            &bank,
            &json!({"reference": "WO-LISTEN", "borrower_id": borrower, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    id_of(&opened.json())
}

#[tokio::test]
async fn with_an_internal_listener_the_public_one_answers_404_for_internal_routes_and_metrics() {
    let app = TestApp::spawn_with(|s| s.internal_bind = Some("127.0.0.1:0".to_owned())).await;
    let public = app.url.clone();
    let internal = app
        .platform
        .as_ref()
        .and_then(workoutd::Platform::internal_url)
        .expect("an internal listener");
    assert_ne!(public, internal);
    let service = app.service_token("testsvc").await;
    let w = workout(&app).await;
    let participants = format!("/registry/v1/internal/workouts/{w}/participants");

    let inside = get(&app, &internal, &participants, Some(&service)).await;
    assert_eq!(inside.status, 200, "{:?}", inside.json());
    assert!(inside.items().as_array().is_some_and(|p| !p.is_empty()));
    let metrics = get(&app, &internal, "/metrics", None).await;
    assert_eq!(metrics.status, 200);
    assert!(
        String::from_utf8_lossy(&metrics.bytes).contains("http_requests_total"),
        "the internal listener serves the metrics"
    );

    for path in [
        participants.clone(),
        // The router decodes %69 to i: so does the rule.
        format!("/registry/v1/%69nternal/workouts/{w}/participants"),
        format!("/registry/v1/internal/workouts/{w}/members/{w}"),
        "/metrics".to_owned(),
    ] {
        get(&app, &public, &path, Some(&service))
            .await
            .assert_problem(404, "route_not_found");
    }
    // Every other route answers on the public listener as before.
    assert_eq!(get(&app, &public, "/healthz", None).await.status, 200);
    assert_eq!(
        get(&app, &public, "/registry/v1/me", Some(&app.admin.token))
            .await
            .status,
        200
    );
    assert_eq!(
        get(&app, &public, "/registry/openapi.json", None)
            .await
            .status,
        200
    );

    // The services still reach each other (keys, sessions, events) through the internal listener:
    // the notifications service verifies the admin's token and receives the registry's events.
    let arrived = eventually(Duration::from_secs(10), || async {
        let events = get(
            &app,
            &public,
            "/notifications/v1/events?limit=200",
            Some(&app.admin.token),
        )
        .await;
        let topics = events.items();
        topics
            .as_array()?
            .iter()
            .any(|e| e["topic"] == "registry.workout_opened" && e["workout_id"] == w.to_string())
            .then_some(())
    })
    .await;
    assert!(
        arrived.is_some(),
        "the registry's events reach notifications"
    );
}

#[tokio::test]
async fn without_an_internal_listener_one_port_serves_internal_routes_and_metrics() {
    let app = TestApp::spawn().await;
    assert!(
        app.platform
            .as_ref()
            .and_then(workoutd::Platform::internal_url)
            .is_none()
    );
    let service = app.service_token("testsvc").await;
    let w = workout(&app).await;
    let inside = get(
        &app,
        &app.url,
        &format!("/registry/v1/internal/workouts/{w}/participants"),
        Some(&service),
    )
    .await;
    assert_eq!(inside.status, 200, "{:?}", inside.json());
    assert_eq!(get(&app, &app.url, "/metrics", None).await.status, 200);
}
