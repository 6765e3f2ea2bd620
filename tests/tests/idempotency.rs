//! `Idempotency-Key`: exactly one effect under any number of concurrent retries, identical replays,
//! a different body under the same key refused.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;
use workout_tests::TestApp;

async fn count_named(app: &TestApp, name: &str) -> usize {
    let page = app
        .get("/registry/v1/institutions?limit=200", &app.admin)
        .await
        .json();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["name"] == name)
        .count()
}

#[tokio::test]
async fn fifty_concurrent_requests_with_one_key_have_exactly_one_effect() {
    let app = TestApp::spawn().await;
    let body = json!({"kind": "bank", "name": "Once Only Bank", "country": "SA"});
    let headers = [("idempotency-key", "onboard-once-only")];
    let answers = join_all((0..50).map(|_| {
        app.call_with(
            Method::POST,
            "/registry/v1/institutions",
            Some(&app.admin.token),
            Some(&body),
            &headers,
        )
    }))
    .await;

    let created: Vec<_> = answers.iter().filter(|a| a.status == 201).collect();
    let in_flight = answers.iter().filter(|a| a.status == 409).count();
    assert!(!created.is_empty());
    assert_eq!(
        created.len() + in_flight,
        50,
        "every answer is the result or 'in progress'"
    );
    for answer in answers.iter().filter(|a| a.status == 409) {
        answer.assert_problem(409, "request_in_progress");
    }
    assert!(
        created.iter().all(|a| a.bytes == created[0].bytes),
        "every success is the same answer"
    );
    assert_eq!(
        count_named(&app, "Once Only Bank").await,
        1,
        "exactly one institution"
    );

    // A later retry replays the first answer byte for byte.
    let replay = app
        .call_with(
            Method::POST,
            "/registry/v1/institutions",
            Some(&app.admin.token),
            Some(&body),
            &headers,
        )
        .await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.bytes, created[0].bytes);
    assert_eq!(replay.headers["location"], created[0].headers["location"]);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(count_named(&app, "Once Only Bank").await, 1);

    // The same key with another body is refused and changes nothing.
    let other = json!({"kind": "bank", "name": "Another Bank", "country": "SA"});
    app.call_with(
        Method::POST,
        "/registry/v1/institutions",
        Some(&app.admin.token),
        Some(&other),
        &headers,
    )
    .await
    .assert_problem(422, "idempotency_key_reused");
    assert_eq!(count_named(&app, "Another Bank").await, 0);
}

#[tokio::test]
async fn a_refused_request_is_replayed_as_refused_and_keys_are_per_user() {
    let app = TestApp::spawn().await;
    let bank = app.bank_admin("Bank A").await;
    let path = format!("/registry/v1/institutions/{}/users", bank.institution_id);
    let taken = json!({"email": bank.email, "display_name": "Dup", "role": "member", "password": workout_tests::PASSWORD});
    let headers = [("idempotency-key", "k-1")];
    let first = app
        .call_with(
            Method::POST,
            &path,
            Some(&bank.token),
            Some(&taken),
            &headers,
        )
        .await;
    first.assert_problem(409, "already_exists");
    let again = app
        .call_with(
            Method::POST,
            &path,
            Some(&bank.token),
            Some(&taken),
            &headers,
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.bytes, first.bytes);

    // The platform admin's key "k-1" is a different key.
    let body = json!({"kind": "bank", "name": "Bank K", "country": "SA"});
    let admins = app
        .call_with(
            Method::POST,
            "/registry/v1/institutions",
            Some(&app.admin.token),
            Some(&body),
            &headers,
        )
        .await;
    assert_eq!(admins.status, 201);

    let bad_key = app
        .call_with(
            Method::POST,
            "/registry/v1/institutions",
            Some(&app.admin.token),
            Some(&body),
            &[("idempotency-key", "")],
        )
        .await;
    bad_key.assert_problem(400, "invalid_idempotency_key");
}
