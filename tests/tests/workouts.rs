//! Workouts and participants: opening a case, inviting creditors, who sees what, removal with
//! history, the service API other services use, and the audit chain of a workout; and sweeps over
//! the registry's OpenAPI document: an outsider gets the same 404 for every workout endpoint as for
//! a workout that does not exist, and every endpoint but the public ones answers 401 to a request
//! without a token or with a bad one.
//!
//! Rules of the sweeps: every operation of the document is sent as a client would send it when
//! allowed (a valid body of the right media type, `If-Match` where it takes one, its required
//! query), so that an answer comes from the check under test, never from parsing; a write without
//! an entry in the table of bodies fails the sweep.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_store::audit::verify;
use workout_tests::endpoints::workout_path;
use workout_tests::{Actor, Answer, PASSWORD, TestApp, id_of, read};

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
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "borrower_contacts": contact("cfo@distressed.test")}),
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
        json!(["secured", "unsecured", "related_party", "preferential"])
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
    let verified = verify(&text, Default::default()).unwrap();
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

/// A request body that is valid for one write operation.
enum Body {
    /// No body.
    None,
    /// A JSON body.
    Json(Value),
    /// A `text/csv` body.
    Csv(&'static str),
}

/// Operations anyone may call without a token.
const PUBLIC: [&str; 3] = [
    "GET /registry/v1/.well-known/jwks.json",
    "GET /registry/v1/.well-known/document-keys.json",
    "POST /registry/v1/auth/token",
];

const SCHEDULE: &str = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees_and_penalties,secured,class,related_party\n\
                        S-1,term_loan,SAR,100,100,0,0,0,0,false,unsecured,false\n";

/// A valid body for every write of the registry (but the public ones), keyed by
/// `METHOD /path/template` as the OpenAPI document names it. A new write needs an entry here:
/// [`operations`] fails without one.
fn write_bodies(borrower: Uuid, institution: Uuid) -> BTreeMap<&'static str, Body> {
    let contacts = contact("sweep@desk.test");
    let terms = json!({
        "reference": "S-1", "facility_type": "term_loan", "currency": "SAR", "committed": "100",
        "outstanding_principal": "100", "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": false, "class": "unsecured", "related_party": false,
        "collateral": [], "guarantees": []
    });
    let entries = [
        ("POST /registry/v1/auth/sign-out", Body::None),
        (
            "POST /registry/v1/institutions",
            Body::Json(json!({"kind": "bank", "name": "Sweep Bank", "country": "SA"})),
        ),
        (
            "POST /registry/v1/institutions/{institution_id}/users",
            Body::Json(
                json!({"email": "sweep@bank.test", "display_name": "Sweep", "role": "member", "password": PASSWORD}),
            ),
        ),
        (
            "POST /registry/v1/institutions/{institution_id}/users/{user_id}/disable",
            Body::None,
        ),
        ("POST /registry/v1/signing-keys", Body::None),
        ("POST /registry/v1/signing-keys/{kid}/retire", Body::None),
        (
            "PUT /registry/v1/internal/workouts/{workout_id}/coordinator",
            Body::Json(json!({"institution_id": institution, "reason": "Mandate M-1"})),
        ),
        (
            "POST /registry/v1/internal/workouts/{workout_id}/status",
            Body::Json(json!({"status": "coordinated"})),
        ),
        (
            "POST /registry/v1/workouts",
            Body::Json(
                json!({"reference": "WO-SWEEP", "borrower_id": borrower, "base_currency": "SAR",
                       "governing_law": "KSA", "opened_on": "2026-11-02", "contacts": contacts}),
            ),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/participants",
            Body::Json(
                json!({"institution_id": institution, "role": "creditor", "contacts": contacts}),
            ),
        ),
        (
            "PUT /registry/v1/workouts/{workout_id}/participants/{participant_id}/contacts",
            Body::Json(json!({"contacts": contacts})),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/participants/{participant_id}/remove",
            Body::Json(json!({"reason": "Mandate ended"})),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/facilities",
            Body::Json(terms.clone()),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/facilities/import",
            Body::Csv(SCHEDULE),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/facilities/security/import",
            Body::Csv(
                "reference,cover,kind,description,amount,currency,valued_on,ranking,guarantor\nTL-1,none,,,,,,,\n",
            ),
        ),
        (
            "PUT /registry/v1/workouts/{workout_id}/facilities/{facility_id}",
            Body::Json(terms),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/facilities/{facility_id}/withdraw",
            Body::Json(json!({"reason": "Repaid in full"})),
        ),
        (
            "PUT /registry/v1/workouts/{workout_id}/fx-rates/{date}",
            Body::Json(json!({"rates": {"USD": "3.75"}, "source": "SAMA reference rate"})),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/information-requests",
            Body::Json(json!({"subject": "Accounts", "sent_on": "2026-11-20"})),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/snapshots",
            Body::Json(json!({"as_of": "2026-11-20"})),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/information-requests/{request_id}/answer",
            Body::Json(json!({"response": "Sent"})),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/information-requests/{request_id}/answer-date",
            Body::Json(json!({"answered_on": "2026-11-21", "reason": "Letter of that day"})),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/information-requests/{request_id}/cancel",
            Body::Json(json!({"reason": "Sent by mistake"})),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/borrower-classification",
            Body::Json(json!({"grounds": ["denied_access"], "rationale": "Refused a site visit"})),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/borrower-classification/lift",
            Body::Json(json!({"reason": "Access granted"})),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/other-claims",
            Body::Json(
                json!({"claimant": "ZATCA", "kind": "tax_and_zakat", "currency": "SAR", "amount": "10"}),
            ),
        ),
        (
            "POST /registry/v1/workouts/{workout_id}/other-claims/{claim_id}/withdraw",
            Body::Json(json!({"reason": "Paid"})),
        ),
        (
            "PUT /registry/v1/workouts/{workout_id}/related-parties/{institution_id}",
            Body::Json(json!({"related_party": true, "reason": "Holds 35% of the shares"})),
        ),
        (
            "PUT /registry/v1/workouts/{workout_id}/settings",
            Body::Json(
                json!({"contingent_weight": "50", "penalties_in_weight": false,
                              "reason": "Creditors' meeting of 3 March, minute 4"}),
            ),
        ),
    ];
    entries.into_iter().collect()
}

/// One operation of an OpenAPI document, with what a valid request to it needs.
struct Operation {
    method: Method,
    /// The path template, e.g. `/registry/v1/workouts/{workout_id}`.
    template: String,
    /// Required query parameters.
    query: Vec<String>,
    /// Whether it takes `If-Match`.
    if_match: bool,
    /// The request body's media type, if it takes one.
    content_type: Option<String>,
}

impl Operation {
    fn key(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

/// Every operation of `doc`; fails unless each write (but the public ones) has exactly one entry
/// in `bodies` of the document's media type, and each entry names an operation of the document.
fn operations(doc: &Value, bodies: &BTreeMap<&'static str, Body>) -> Vec<Operation> {
    let mut all = Vec::new();
    for (template, methods) in doc["paths"].as_object().unwrap() {
        for (method, spec) in methods.as_object().unwrap() {
            let parameters = spec["parameters"].as_array().cloned().unwrap_or_default();
            let content_type = spec["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.keys().next().cloned());
            all.push(Operation {
                method: method.to_uppercase().parse().unwrap(),
                template: template.clone(),
                query: parameters
                    .iter()
                    .filter(|p| p["in"] == "query" && p["required"] == true)
                    .map(|p| p["name"].as_str().unwrap().to_owned())
                    .collect(),
                if_match: parameters
                    .iter()
                    .any(|p| p["in"] == "header" && p["name"] == "If-Match"),
                content_type,
            });
        }
    }
    let keys: Vec<String> = all.iter().map(Operation::key).collect();
    for public in PUBLIC {
        assert!(
            keys.iter().any(|k| k == public),
            "{public} is in the document"
        );
    }
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !k.starts_with("GET ") && !PUBLIC.contains(&k.as_str()))
        .filter(|k| !bodies.contains_key(k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "writes without a body in the table: {missing:?}"
    );
    for key in bodies.keys() {
        assert!(
            keys.iter().any(|k| k == key),
            "{key} is not in the document"
        );
    }
    for operation in &all {
        let Some(body) = bodies.get(operation.key().as_str()) else {
            continue;
        };
        let kind = match body {
            Body::None => None,
            Body::Json(_) => Some("application/json"),
            Body::Csv(_) => Some("text/csv"),
        };
        assert_eq!(
            operation.content_type.as_deref(),
            kind,
            "the body of {} has the document's media type",
            operation.key()
        );
    }
    all
}

/// `template` with each `{name}` replaced by `values[name]` and the operation's required query.
fn fill(operation: &Operation, values: &BTreeMap<&str, String>) -> String {
    let path = operation
        .template
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => values
                    .get(name)
                    .unwrap_or_else(|| panic!("no value for {{{name}}} in {}", operation.key()))
                    .clone(),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/");
    let query: Vec<String> = operation
        .query
        .iter()
        .map(|name| {
            let value = match name.as_str() {
                "as_of" => "2026-11-20",
                "reference" => "2026-11-01",
                "mode" => "merge",
                other => panic!(
                    "no value for the query parameter {other} of {}",
                    operation.key()
                ),
            };
            format!("{name}={value}")
        })
        .collect();
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Sends `operation` to `path` with its body from `bodies`, `If-Match: "1"` where it takes one,
/// and `token` as a bearer token when given.
async fn send(
    app: &TestApp,
    operation: &Operation,
    path: &str,
    token: Option<&str>,
    bodies: &BTreeMap<&'static str, Body>,
) -> Answer {
    let mut request = app
        .client
        .request(operation.method.clone(), format!("{}{path}", app.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if operation.if_match {
        request = request.header("if-match", "\"1\"");
    }
    request = match bodies.get(operation.key().as_str()) {
        None | Some(Body::None) => request,
        Some(Body::Json(body)) => request.json(body),
        Some(Body::Csv(text)) => request.header("content-type", "text/csv").body(*text),
    };
    read(request.send().await.unwrap()).await
}

async fn registry_document(app: &TestApp) -> Value {
    app.call(Method::GET, "/registry/openapi.json", None, None)
        .await
        .json()
}

#[tokio::test]
async fn every_workout_endpoint_answers_an_outsider_as_if_the_workout_did_not_exist() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let w = case.workout;
    // Real sub-resources, so that a missing check would reach them.
    let facility = app
        .create_facility(
            &case.creditor,
            w,
            &json!({"reference": "F-1", "facility_type": "term_loan", "currency": "SAR", "committed": "10",
                    "outstanding_principal": "10", "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
                    "fees_and_penalties": "0", "secured": false, "class": "unsecured", "related_party": false,
                    "collateral": [], "guarantees": []}),
        )
        .await;
    assert_eq!(facility.status, 201, "{:?}", facility.json());
    let today = chrono::Utc::now().date_naive().to_string();
    let frozen = app.freeze_snapshot(&case.coordinator, w, &today).await;
    assert_eq!(frozen.status, 201, "{:?}", frozen.json());
    let request = app
        .send_information_request(
            &case.coordinator,
            w,
            &json!({"subject": "Accounts", "sent_on": "2026-11-10"}),
        )
        .await;
    assert_eq!(request.status, 201, "{:?}", request.json());
    let claim = app
        .post(
            &workout_path(w, "/other-claims"),
            &case.coordinator,
            &json!({"claimant": "ZATCA", "kind": "tax_and_zakat", "currency": "SAR", "amount": "10"}),
        )
        .await;
    assert_eq!(claim.status, 201, "{:?}", claim.json());
    let participants = app.participants(&case.coordinator, w).await.items();
    let creditor = participants
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["institution_id"] == json!(case.creditor.institution_id))
        .unwrap();
    let real = BTreeMap::from([
        ("workout_id", w.to_string()),
        ("facility_id", id_of(&facility.json()).to_string()),
        ("participant_id", id_of(creditor).to_string()),
        ("institution_id", case.creditor.institution_id.to_string()),
        (
            "request_id",
            id_of(&request.json()["requests"][0]).to_string(),
        ),
        ("claim_id", id_of(&claim.json()).to_string()),
        ("date", "2026-11-20".to_owned()),
        ("snapshot_id", id_of(&frozen.json()).to_string()),
    ]);
    let missing: BTreeMap<&str, String> = real
        .iter()
        .map(|(name, value)| {
            let other = if *name == "date" {
                value.clone()
            } else {
                Uuid::now_v7().to_string()
            };
            (*name, other)
        })
        .collect();
    let bodies = write_bodies(case.borrower.institution_id, case.outsider.institution_id);
    let head = async || {
        let chain = app.workout_audit(&case.coordinator, w).await;
        let text = String::from_utf8(chain.bytes).unwrap();
        let head: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        (head["seq"].clone(), head["hash"].clone())
    };
    let chain_before = head().await;

    let doc = registry_document(&app).await;
    let mut checked = 0;
    for operation in operations(&doc, &bodies) {
        if !operation.template.contains("{workout_id}") || operation.template.contains("/internal/")
        {
            continue;
        }
        let token = Some(case.outsider.token.as_str());
        let to_real = send(&app, &operation, &fill(&operation, &real), token, &bodies).await;
        let to_missing = send(
            &app,
            &operation,
            &fill(&operation, &missing),
            token,
            &bodies,
        )
        .await;
        assert_eq!(
            (to_real.status.as_u16(), to_real.json()["code"].clone()),
            (404, json!("not_found")),
            "{}: {}",
            operation.key(),
            String::from_utf8_lossy(&to_real.bytes)
        );
        assert_eq!(
            (to_real.status, to_real.json()),
            (to_missing.status, to_missing.json()),
            "{}: the real workout answers as a missing one",
            operation.key()
        );
        to_real.assert_problem(404, "not_found");
        checked += 1;
    }
    assert!(checked >= 19, "only {checked} operations checked");
    assert_eq!(head().await, chain_before, "nothing changed");
}

/// Sends every operation of the registry but the public ones, with made-up ids and valid bodies,
/// with `token` (or none) and asserts each answers 401 `code`; returns how many were checked.
async fn sweep_with_token(app: &TestApp, token: Option<&str>, code: &str) -> usize {
    let values: BTreeMap<&str, String> = [
        "workout_id",
        "facility_id",
        "participant_id",
        "request_id",
        "claim_id",
        "institution_id",
        "user_id",
        "session_id",
        "kid",
        "snapshot_id",
    ]
    .into_iter()
    .map(|name| (name, Uuid::now_v7().to_string()))
    .chain([("date", "2026-11-20".to_owned())])
    .collect();
    let bodies = write_bodies(Uuid::now_v7(), Uuid::now_v7());
    let doc = registry_document(app).await;
    let mut checked = 0;
    for operation in operations(&doc, &bodies) {
        if PUBLIC.contains(&operation.key().as_str()) {
            continue;
        }
        let answer = send(app, &operation, &fill(&operation, &values), token, &bodies).await;
        assert_eq!(
            (answer.status.as_u16(), answer.json()["code"].clone()),
            (401, json!(code)),
            "{}: {}",
            operation.key(),
            String::from_utf8_lossy(&answer.bytes)
        );
        answer.assert_problem(401, code);
        assert_eq!(
            answer.headers["www-authenticate"],
            "Bearer",
            "{}",
            operation.key()
        );
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn every_registry_endpoint_but_the_public_ones_answers_401_without_a_token() {
    let app = TestApp::spawn().await;
    let checked = sweep_with_token(&app, None, "missing_token").await;
    assert!(checked >= 39, "only {checked} operations checked");
}

#[tokio::test]
async fn every_registry_endpoint_but_the_public_ones_answers_401_to_a_bad_token() {
    let app = TestApp::spawn().await;
    let outsider = app.outsider().await;
    // A real token whose signature no longer matches.
    let (signed, signature) = outsider.token.rsplit_once('.').unwrap();
    let first = if signature.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{signed}.{first}{}", &signature[1..]);
    let checked = sweep_with_token(&app, Some(&forged), "invalid_token").await;
    assert!(checked >= 39, "only {checked} operations checked");
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

#[tokio::test]
async fn case_references_are_unique_per_bank_and_reveal_nothing_about_other_banks() {
    let app = TestApp::spawn().await;
    let first = app.bank_admin("First Bank").await;
    let second = app.bank_admin("Second Bank").await;
    let borrower = app.institution("borrower", "Distressed Co").await;
    let case = json!({"reference": "WO-SAME", "borrower_id": borrower, "base_currency": "SAR",
                      "governing_law": "KSA", "opened_on": "2026-11-02"});
    assert_eq!(app.open_workout(&first, &case).await.status, 201);
    // Another bank using the same reference learns nothing: its case opens.
    assert_eq!(app.open_workout(&second, &case).await.status, 201);
    // The same bank twice is a conflict.
    app.open_workout(&first, &case)
        .await
        .assert_problem(409, "already_exists");
}

#[tokio::test]
async fn a_bank_may_be_a_guarantor_and_no_one_registers_a_second_platform_operator() {
    let app = TestApp::spawn().await;
    let case = open_case(&app).await;
    let guarantor_bank = app.bank_admin("Guarantor Bank").await;
    let added = app
        .add_participant(
            &case.coordinator,
            case.workout,
            &json!({"institution_id": guarantor_bank.institution_id, "role": "guarantor",
                    "contacts": contact("guarantees@bank.test")}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());

    let operator = app
        .post(
            "/registry/v1/institutions",
            &app.admin,
            &json!({"kind": "platform_operator", "name": "Shadow operator", "country": "SA"}),
        )
        .await;
    operator.assert_problem(422, "validation_failed");
    assert_eq!(operator.json()["errors"][0]["field"], "kind");
}

#[tokio::test]
async fn the_opening_bank_and_the_borrower_get_notice_contacts_with_the_opening() {
    let app = TestApp::spawn().await;
    let bank = app.bank_admin("Opening Bank").await;
    let borrower = app.institution("borrower", "Distressed Co").await;
    let case = |extra: Value| {
        let mut body = json!({"reference": "WO-CONTACTS", "borrower_id": borrower,
            "base_currency": "SAR", "governing_law": "KSA", "opened_on": "2026-11-02"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let without = app
        .post("/registry/v1/workouts", &bank, &case(json!({})))
        .await;
    without.assert_problem(422, "validation_failed");
    assert_eq!(without.json()["errors"][0]["field"], "contacts");
    let bad = app
        .post(
            "/registry/v1/workouts",
            &bank,
            &case(json!({"contacts": contact("desk@opening.test"),
                         "borrower_contacts": [{"name": "CFO", "email": "not-an-email", "language": "en"}]})),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(
        bad.json()["errors"][0]["field"],
        "borrower_contacts.0.email"
    );
    assert_eq!(
        app.workouts(&bank).await.items(),
        json!([]),
        "nothing was opened"
    );

    let opened = app
        .post(
            "/registry/v1/workouts",
            &bank,
            &case(json!({"contacts": contact("Desk@Opening.test"),
                         "borrower_contacts": contact("cfo@distressed.test")})),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let participants = app.participants(&bank, id_of(&opened.json())).await.items();
    let emails: Vec<(&str, &str)> = participants
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["role"].as_str().unwrap(),
                p["contacts"][0]["email"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        emails,
        [
            ("creditor", "desk@opening.test"),
            ("coordinator", "desk@opening.test"),
            ("borrower", "cfo@distressed.test"),
        ]
    );
}

#[tokio::test]
async fn a_borrower_without_notice_contacts_when_the_first_notice_is_due_is_announced_once() {
    // The platform's own scheduler looks once, at start, then sleeps past the end of the test.
    let app =
        TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await;
    let bank = app.bank_admin("Opening Bank").await;
    let mut opened = Vec::new();
    for (reference, borrower_contacts) in [
        ("WO-SILENT", None),
        ("WO-REACHABLE", Some(contact("cfo@reachable.test"))),
    ] {
        let borrower = app.institution("borrower", reference).await;
        let mut body = json!({"reference": reference, "borrower_id": borrower,
            "base_currency": "SAR", "governing_law": "KSA", "opened_on": "2026-11-02"});
        if let Some(contacts) = borrower_contacts {
            body["borrower_contacts"] = contacts;
        }
        let answer = app.open_workout(&bank, &body).await;
        assert_eq!(answer.status, 201, "{:?}", answer.json());
        opened.push(id_of(&answer.json()));
    }
    let jobs = app.registry_jobs().await;
    // Due 5 business days after Monday 2 November 2026 on SA: Monday 9 November, long past.
    assert_eq!(jobs.run_due(chrono::Utc::now()).await.unwrap(), 2);
    assert_eq!(jobs.run_due(chrono::Utc::now()).await.unwrap(), 0);
    let audit_of = |workout: Uuid| {
        let app = &app;
        let bank = &bank;
        async move { String::from_utf8(app.workout_audit(bank, workout).await.bytes).unwrap() }
    };
    let silent = audit_of(opened[0]).await;
    assert_eq!(
        silent.matches("notice_contacts_missing").count(),
        1,
        "{silent}"
    );
    assert!(silent.contains("2026-11-09"), "{silent}");
    assert!(
        !audit_of(opened[1])
            .await
            .contains("notice_contacts_missing")
    );
}
