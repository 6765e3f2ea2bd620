//! Recorded answers: the problem+json of each kind of error a client handles, and every service's
//! OpenAPI document, compared with the `.snap` files in `tests/tests/snapshots/`.
//!
//! Rules: a difference fails the test (insta never passes on a mismatch; with `CI` set, as CI runs,
//! it also writes no `.snap.new`); what changes from run to run (ids in texts, request ids) is
//! redacted before the comparison, and map keys are sorted; a deliberate change is accepted by
//! reviewing the `.snap.new` (`cargo insta review`, or renaming it) and committing the `.snap`.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::{Answer, TestApp, id_of};

/// Each string with every UUID in it replaced by `[id]`, recursively.
fn redact_ids(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(redact_text(text)),
        Value::Array(items) => Value::Array(items.iter().map(redact_ids).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), redact_ids(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn redact_text(text: &str) -> String {
    const LEN: usize = 36;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if rest.len() >= LEN && rest.is_char_boundary(LEN) && Uuid::try_parse(&rest[..LEN]).is_ok()
        {
            out.push_str("[id]");
            rest = &rest[LEN..];
        } else {
            let next = rest.chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..next]);
            rest = &rest[next..];
        }
    }
    out
}

/// What a client sees of an error: status, media type and body (ids redacted, and the
/// request-specific `instance` and `request_id` if the body ever carries them).
fn seen(answer: &Answer) -> Value {
    let mut body = redact_ids(&answer.json());
    for field in ["instance", "request_id"] {
        if let Some(value) = body.get_mut(field) {
            *value = json!("[redacted]");
        }
    }
    json!({
        "status": answer.status.as_u16(),
        "content_type": answer.content_type(),
        "body": body,
    })
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_sort_maps(true);
    settings.set_prepend_module_to_snapshot(false);
    settings
}

#[tokio::test]
async fn the_problem_json_of_each_kind_of_error_is_as_recorded() {
    let app = TestApp::spawn().await;
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower = app.institution("borrower", "Distressed Co").await;
    let creditor = app.bank_admin("Creditor Bank").await;
    let open = json!({"reference": "WO-SNAP", "borrower_id": borrower, "base_currency": "SAR",
                      "governing_law": "KSA", "opened_on": "2026-11-02"});
    let opened = app.open_workout(&coordinator, &open).await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let w = id_of(&opened.json());
    let terms = json!({
        "reference": "A-1", "facility_type": "term_loan", "currency": "SAR", "committed": "100",
        "outstanding_principal": "100", "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": false, "class": "unsecured", "related_party": false,
        "collateral": [], "guarantees": []
    });
    let facility = app.create_facility(&coordinator, w, &terms).await;
    assert_eq!(facility.status, 201, "{:?}", facility.json());
    let facility = id_of(&facility.json());

    let not_found = app.workout(&coordinator, Uuid::now_v7()).await;
    let missing_token = app.call(Method::GET, "/registry/v1/me", None, None).await;
    let invalid_token = app
        .call(Method::GET, "/registry/v1/me", Some("not-a-token"), None)
        .await;
    let validation = app
        .add_participant(
            &coordinator,
            w,
            &json!({"institution_id": creditor.institution_id, "role": "creditor",
                    "contacts": [{"name": "", "email": "nope", "language": "fr"}]}),
        )
        .await;
    // As the platform admin: for a caller without the right, actix runs the permission and body
    // extractors together and either error may come first.
    let malformed = read_raw(&app, &app.admin.token, b"{\"kind\": \"bank\", ").await;
    let stale = app
        .edit_facility(&coordinator, w, facility, &terms, Some(7))
        .await;
    let if_match_required = app
        .edit_facility(&coordinator, w, facility, &terms, None)
        .await;
    let conflict = app.open_workout(&coordinator, &open).await;

    let cases = [
        ("error_404_not_found", &not_found, 404, "not_found"),
        (
            "error_401_missing_token",
            &missing_token,
            401,
            "missing_token",
        ),
        (
            "error_401_invalid_token",
            &invalid_token,
            401,
            "invalid_token",
        ),
        (
            "error_422_validation_failed",
            &validation,
            422,
            "validation_failed",
        ),
        (
            "error_400_malformed_json",
            &malformed,
            400,
            "malformed_json",
        ),
        ("error_412_stale_version", &stale, 412, "stale_version"),
        (
            "error_428_if_match_required",
            &if_match_required,
            428,
            "if_match_required",
        ),
        ("error_409_already_exists", &conflict, 409, "already_exists"),
    ];
    for (name, answer, status, code) in cases {
        assert_eq!(
            (answer.status.as_u16(), answer.json()["code"].clone()),
            (status, json!(code)),
            "{name}: {}",
            String::from_utf8_lossy(&answer.bytes)
        );
        answer.assert_problem(status, code);
        settings().bind(|| insta::assert_json_snapshot!(name, seen(answer)));
    }
}

/// `POST /registry/v1/institutions` with raw JSON bytes.
async fn read_raw(app: &TestApp, token: &str, body: &[u8]) -> Answer {
    let request = app
        .client
        .post(format!("{}/registry/v1/institutions", app.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_vec());
    workout_tests::read(request.send().await.unwrap()).await
}

#[tokio::test]
async fn each_services_openapi_document_is_as_recorded() {
    let app = TestApp::spawn().await;
    for service in ["registry", "mandates", "voting", "minutes", "notifications"] {
        let doc = app
            .call(Method::GET, &format!("/{service}/openapi.json"), None, None)
            .await;
        assert_eq!(doc.status, 200, "{service}");
        let name = format!("openapi_{service}");
        settings().bind(|| insta::assert_json_snapshot!(name, doc.json()));
    }
}
