//! The typed registry client that every other service uses: it reads roles, participants and a
//! checked snapshot, sends status changes and appointments with an idempotency key, answers 404 for
//! an unknown workout and 503 when the registry cannot be reached — tested once, here, against the
//! real registry over HTTP.

use std::sync::Arc;

use chrono::Utc;
use serde_json::json;
use workout_domain::registry_api::{Appointment, StatusChange};
use workout_domain::{InstitutionId, ParticipantRole, WorkoutId, WorkoutStatus};
use workout_http::ApiError;
use workout_http::registry_client::{RegistryClient, ServiceCredentials, ServiceTokens};
use workout_tests::{TestApp, id_of};

fn client(app_url: &str, secret: String) -> RegistryClient {
    let http = reqwest::Client::new();
    let tokens = Arc::new(ServiceTokens::new(
        http.clone(),
        app_url,
        ServiceCredentials {
            client_id: "mandates".to_owned(),
            client_secret: secret,
        },
    ));
    RegistryClient::new(http, app_url, tokens)
}

#[tokio::test]
async fn another_service_reads_and_decides_through_the_typed_client() {
    let app = TestApp::spawn().await;
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let creditor = app.bank_admin("Creditor Bank").await;
    let borrower = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .post(
            "/registry/v1/workouts",
            &coordinator,
            &json!({"reference": "WO-CLIENT", "borrower_id": borrower, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": "2026-11-02",
                    "contacts": [{"name": "Desk", "email": "desk@coordinator.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = WorkoutId::from_uuid(id_of(&opened.json()));
    let added = app
        .post(
            &format!("/registry/v1/workouts/{workout}/participants"),
            &coordinator,
            &json!({"institution_id": creditor.institution_id, "role": "creditor",
                    "contacts": [{"name": "Desk", "email": "desk@creditor.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let facility = json!({"reference": "TL-1", "facility_type": "term_loan", "currency": "SAR",
        "committed": "1000", "outstanding_principal": "1000", "accrued_interest": "10", "past_due": "0",
        "days_past_due": 0, "fees_and_penalties": "0", "secured": false, "class": "unsecured",
        "related_party": false, "collateral": [], "guarantees": []});
    let created = app
        .post(
            &format!("/registry/v1/workouts/{workout}/facilities"),
            &creditor,
            &facility,
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());

    let secret =
        workout_registry::identity::auth::set_service_client(&app.pool("registry"), "mandates")
            .await
            .unwrap();
    let registry = client(&app.url, secret);

    let member = registry
        .member(workout, InstitutionId::from_uuid(creditor.institution_id))
        .await
        .unwrap();
    assert_eq!(member.roles, [ParticipantRole::Creditor]);
    assert_eq!(member.status, WorkoutStatus::Open);
    let outsider = registry
        .member(workout, InstitutionId::new())
        .await
        .unwrap();
    assert!(outsider.roles.is_empty());

    let participants = registry.participants(workout).await.unwrap();
    assert_eq!(
        participants.len(),
        4,
        "creditor+coordinator, borrower, creditor"
    );
    assert!(
        participants
            .iter()
            .any(|p| p.contacts.iter().any(|c| c.email == "desk@creditor.test"))
    );

    let snapshot = registry
        .snapshot(workout, Utc::now().date_naive())
        .await
        .unwrap();
    assert_eq!(snapshot.total().amount.to_string(), "1010.00");

    let moved = registry
        .set_status(
            workout,
            &StatusChange {
                status: WorkoutStatus::Coordinated,
                reason: None,
            },
            "client-status-1",
        )
        .await
        .unwrap();
    assert_eq!(moved.status, WorkoutStatus::Coordinated);
    let after = registry
        .appoint_coordinator(
            workout,
            &Appointment {
                institution_id: creditor.institution_id,
                reason: "Largest exposure; all others accepted".to_owned(),
            },
            "client-appoint-1",
        )
        .await
        .unwrap();
    assert!(
        after
            .iter()
            .any(|p| p.institution_id == creditor.institution_id
                && p.role == ParticipantRole::Coordinator)
    );

    assert!(matches!(
        registry
            .member(WorkoutId::new(), InstitutionId::new())
            .await,
        Err(ApiError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_registry_that_cannot_be_reached_is_a_503_never_a_guess() {
    let registry = client("http://127.0.0.1:9", "no secret".to_owned());
    let answer = registry
        .member(WorkoutId::new(), InstitutionId::new())
        .await;
    assert!(
        matches!(answer, Err(ApiError::Unavailable(_))),
        "{answer:?}"
    );
}
