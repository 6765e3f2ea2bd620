//! Workouts and participants: opening a case, inviting creditors, who sees what, removal with
//! history, the service API other services use, and the audit chain of a workout.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_store::audit::verify;
use workout_tests::endpoints::workout_path;
use workout_tests::{Actor, TestApp, id_of};

/// A workout opened by a coordinator bank for a borrower, with one more creditor.
pub struct Case {
    workout: Uuid,
    coordinator: Actor,
    creditor: Actor,
    borrower: Actor,
    outsider: Actor,
}

fn contact(email: &str) -> Value {
    json!([{"name": "Notices desk", "email": email, "language": "en"}])
}

async fn open_case(app: &TestApp) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "institution_admin").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-2026-001", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let creditor = app.bank_admin("Creditor Bank").await;
    let added = app
        .add_participant(
            &coordinator,
            workout,
            &json!({"institution_id": creditor.institution_id, "role": "creditor", "contacts": contact("notices@creditor.test")}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let outsider = app.outsider().await;
    Case {
        workout,
        coordinator,
        creditor,
        borrower,
        outsider,
    }
}

#[tokio::test]
async fn a_bank_opens_a_workout_and_invites_a_creditor() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let view = app.workout(&case.coordinator, case.workout).await.json();
    assert_eq!(view["status"], "open");
    assert_eq!(view["calendar"], "SA");
    assert_eq!(
        view["classes"],
        json!(["secured", "unsecured", "related_party"])
    );
    assert_eq!(view["my_roles"], json!(["creditor", "coordinator"]));
    let creditor_view = app.workout(&case.creditor, case.workout).await.json();
    assert_eq!(creditor_view["my_roles"], json!(["creditor"]));

    let participants = app.participants(&case.creditor, case.workout).await.items();
    let roles: Vec<&str> = participants
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["creditor", "coordinator", "borrower", "creditor"]);
    assert_eq!(
        participants[3]["contacts"][0]["email"],
        "notices@creditor.test"
    );

    for actor in [&case.coordinator, &case.creditor, &case.borrower] {
        let listed = app.workouts(actor).await.json();
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    }
    let duplicate = app
        .open_workout(
            &case.coordinator,
            &json!({"reference": "WO-2026-001", "borrower_id": case.borrower.institution_id, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": "2026-11-02"}),
        )
        .await;
    duplicate.assert_problem(409, "already_exists");
}

#[tokio::test]
async fn an_outsider_bank_cannot_see_or_touch_the_workout() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    assert!(
        app.workouts(&case.outsider).await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    for path in [
        workout_path(w, ""),
        workout_path(w, "/participants"),
        workout_path(w, "/audit"),
    ] {
        app.get(&path, &case.outsider)
            .await
            .assert_problem(404, "not_found");
        app.get(&path, &app.admin)
            .await
            .assert_problem(404, "not_found");
    }
    let invite = json!({"institution_id": case.outsider.institution_id, "role": "creditor", "contacts": contact("x@outsider.test")});
    app.add_participant(&case.outsider, w, &invite)
        .await
        .assert_problem(404, "not_found");
    let participants = app.participants(&case.coordinator, w).await.items();
    let some = id_of(&participants[3]);
    app.remove_participant(&case.outsider, w, some, &json!({"reason": "x"}))
        .await
        .assert_problem(404, "not_found");
    let after = app.participants(&case.coordinator, w).await.items();
    assert_eq!(after, participants, "nothing changed");
}

#[tokio::test]
async fn only_the_coordinator_manages_participants_and_a_removed_one_keeps_its_history() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    let advisor = app.institution("advisor", "Counsel LLP").await;
    let invite = json!({"institution_id": advisor, "role": "advisor", "contacts": contact("counsel@llp.test")});
    app.add_participant(&case.creditor, w, &invite)
        .await
        .assert_problem(403, "forbidden");
    let bad = json!({"institution_id": advisor, "role": "creditor", "contacts": [{"name": "", "email": "nope", "language": "fr"}]});
    let refused = app.add_participant(&case.coordinator, w, &bad).await;
    refused.assert_problem(422, "validation_failed");
    let fields: Vec<String> = refused.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        fields,
        ["contacts.0.name", "contacts.0.email", "contacts.0.language"]
    );
    app.add_participant(&case.coordinator, w, &json!({"institution_id": advisor, "role": "creditor", "contacts": contact("counsel@llp.test")}))
        .await
        .assert_problem(422, "validation_failed");
    let added = app.add_participant(&case.coordinator, w, &invite).await;
    assert_eq!(added.status, 201);
    let participant = id_of(&added.json());

    let removed = app
        .remove_participant(
            &case.coordinator,
            w,
            participant,
            &json!({"reason": "Mandate ended"}),
        )
        .await;
    assert_eq!(removed.status, 200, "{:?}", removed.json());
    assert_eq!(removed.json()["removed_reason"], "Mandate ended");
    let active = app.participants(&case.creditor, w).await.items();
    assert!(
        active
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != json!(participant))
    );
    let history = app
        .participants_including_removed(&case.creditor, w)
        .await
        .items();
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == json!(participant) && p["removed_at"].is_string())
    );

    let chain = app.workout_audit(&case.creditor, w).await;
    let text = String::from_utf8(chain.bytes).unwrap();
    let verified = verify(&text, None).unwrap();
    assert_eq!(
        verified.entries, 4,
        "opened, creditor added, advisor added, advisor removed"
    );
    assert!(text.contains("participant_removed") && text.contains("Mandate ended"));
}

#[tokio::test]
async fn other_services_read_roles_and_contacts_and_set_the_status_with_a_service_token() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    let service = app.service_token("mandates").await;

    let roles = app
        .internal_member(&service, w, case.coordinator.institution_id)
        .await;
    assert_eq!(roles.json()["roles"], json!(["creditor", "coordinator"]));
    let none = app
        .internal_member(&service, w, case.outsider.institution_id)
        .await;
    assert_eq!(none.json()["roles"], json!([]));
    let contacts = app.internal_participants(&service, w, "").await;
    assert_eq!(contacts.items().as_array().unwrap().len(), 4);
    // Lists are pages: two and two, the second page continuing after the first.
    let first = app
        .internal_participants(&service, w, "?limit=2")
        .await
        .json();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .internal_participants(&service, w, &format!("?limit=2&cursor={cursor}"))
        .await
        .json();
    assert!(second["next_cursor"].is_null(), "{second}");
    let ids: Vec<&Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|p| &p["id"])
        .collect();
    let every = contacts.items();
    let all: Vec<&Value> = every.as_array().unwrap().iter().map(|p| &p["id"]).collect();
    assert_eq!(ids, all);
    app.internal_participants(&service, Uuid::now_v7(), "")
        .await
        .assert_problem(404, "not_found");
    // A user token is not a service token.
    app.internal_participants(&case.coordinator.token, w, "")
        .await
        .assert_problem(401, "invalid_token");

    // The mandates service appoints another creditor; the acting coordinator loses the role.
    app.appoint_coordinator(
        &service,
        w,
        &json!({"institution_id": case.outsider.institution_id, "reason": "Mandate M-1"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let appointed = app
        .appoint_coordinator(&service, w, &json!({"institution_id": case.creditor.institution_id, "reason": "Mandate M-1 accepted"}))
        .await;
    assert_eq!(appointed.status, 200, "{:?}", appointed.json());
    assert_eq!(
        app.workout(&case.creditor, w).await.json()["my_roles"],
        json!(["creditor", "coordinator"])
    );
    assert_eq!(
        app.workout(&case.coordinator, w).await.json()["my_roles"],
        json!(["creditor"])
    );
    app.appoint_coordinator(
        &case.creditor.token,
        w,
        &json!({"institution_id": case.creditor.institution_id, "reason": "x"}),
    )
    .await
    .assert_problem(401, "invalid_token");

    app.set_workout_status(&service, w, &json!({"status": "failed"}), None)
        .await
        .assert_problem(422, "validation_failed");
    let key = Some("status-coordinated-1");
    let changed = app
        .set_workout_status(&service, w, &json!({"status": "coordinated"}), key)
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.json());
    let retried = app
        .set_workout_status(&service, w, &json!({"status": "coordinated"}), key)
        .await;
    assert_eq!(
        retried.bytes, changed.bytes,
        "a service's retry replays the first answer"
    );
    let chain = String::from_utf8(app.workout_audit(&case.creditor, w).await.bytes).unwrap();
    assert_eq!(
        chain
            .matches("\"action\":\"workout_status_changed\"")
            .count(),
        1,
        "and changes nothing"
    );
    assert_eq!(
        app.workout(&case.creditor, w).await.json()["status"],
        "coordinated"
    );
    let closed = app
        .set_workout_status(
            &service,
            w,
            &json!({"status": "closed", "reason": "Mandate not renewed"}),
            None,
        )
        .await;
    assert_eq!(closed.status, 200);
    app.set_workout_status(&service, w, &json!({"status": "negotiation"}), None)
        .await
        .assert_problem(409, "workout_closed");
    // The appointed coordinator can no longer change a closed workout.
    app.add_participant(&case.creditor, w, &json!({"institution_id": case.outsider.institution_id, "role": "creditor", "contacts": contact("a@b.test")}))
        .await
        .assert_problem(409, "workout_closed");
}

#[tokio::test]
async fn every_workout_endpoint_answers_an_outsider_as_if_the_workout_did_not_exist() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let doc = app
        .call(Method::GET, "/registry/openapi.json", None, None)
        .await
        .json();
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        if !path.contains("{workout_id}") || path.contains("/internal/") {
            continue;
        }
        let fill = |workout: Uuid| {
            path.replace("{workout_id}", &workout.to_string())
                .replace("{date}", "2026-11-20")
                .split('/')
                .map(|s| {
                    if s.starts_with('{') {
                        Uuid::now_v7().to_string()
                    } else {
                        s.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        };
        for method in operations.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let body = (method != Method::GET).then(|| json!({}));
            let query = if path.ends_with("/exposures") {
                "?as_of=2026-11-20"
            } else if path.ends_with("/drift") {
                "?reference=2026-11-01&as_of=2026-11-20"
            } else {
                ""
            };
            let real = app
                .call(
                    method.clone(),
                    &format!("{}{query}", fill(case.workout)),
                    Some(&case.outsider.token),
                    body.as_ref(),
                )
                .await;
            let missing = app
                .call(
                    method.clone(),
                    &format!("{}{query}", fill(Uuid::now_v7())),
                    Some(&case.outsider.token),
                    body.as_ref(),
                )
                .await;
            assert_eq!(
                (real.status, real.json()["code"].clone()),
                (missing.status, missing.json()["code"].clone()),
                "{method} {path}"
            );
            if method == Method::GET {
                real.assert_problem(404, "not_found");
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} operations checked");
}

#[tokio::test]
async fn a_participant_updates_its_own_notice_contacts_and_no_one_elses() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    let participants = app.participants(&case.creditor, w).await.items();
    let mine = id_of(
        participants
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["institution_id"] == json!(case.creditor.institution_id))
            .unwrap(),
    );
    let borrowers = id_of(
        participants
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["role"] == "borrower")
            .unwrap(),
    );
    let new = json!({"contacts": [{"name": "Legal", "email": "legal@creditor.test", "language": "ar"}, {"name": "Ops", "email": "ops@creditor.test", "language": "en"}]});

    let updated = app.set_contacts(&case.creditor, w, mine, &new).await;
    assert_eq!(updated.status, 200, "{:?}", updated.json());
    assert_eq!(updated.json()["contacts"].as_array().unwrap().len(), 2);
    app.set_contacts(&case.creditor, w, borrowers, &new)
        .await
        .assert_problem(403, "forbidden");
    app.set_contacts(&case.outsider, w, mine, &new)
        .await
        .assert_problem(404, "not_found");
    app.set_contacts(&case.creditor, w, mine, &json!({"contacts": []}))
        .await
        .assert_problem(422, "validation_failed");
    let coordinator_fix = app
        .set_contacts(&case.coordinator, w, borrowers, &new)
        .await;
    assert_eq!(coordinator_fix.status, 200);
    let chain = String::from_utf8(app.workout_audit(&case.creditor, w).await.bytes).unwrap();
    assert_eq!(
        chain
            .matches("\"action\":\"participant_contacts_changed\"")
            .count(),
        2
    );
}
