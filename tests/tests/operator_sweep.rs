//! An operator who cannot read the cases: a platform admin calls every operation of every
//! service's OpenAPI document, as read from the running platform, and no answer carries a facility
//! amount of a seeded workout, in any spelling.
//!
//! The sweep is driven by the documents, not by a list of its own: an operation added later is
//! called too, and a path or query parameter the sweep cannot fill fails the test until it is
//! taught a plausible value. It counts the operations it called against the operations documented,
//! so it cannot pass by calling nothing. Signing out runs last, and the admin's token is checked
//! to be still good before it, so no call could have turned the rest of the sweep into 401s.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::{Actor, Answer, TestApp, eventually, id_of};

/// Every service whose document the sweep walks.
const SERVICES: [&str; 5] = ["registry", "mandates", "voting", "minutes", "notifications"];

/// The seeded facilities' amounts, their total and the collateral's valuation: none may appear in
/// any answer to a platform admin.
const SEEDED_AMOUNTS: [&str; 4] = ["7654321.09", "1234987.65", "8889308.74", "2468013.57"];

/// Every spelling of `amount` ("7654321.09") an answer could carry it in: as written (also the
/// prefix of "7654321.0900"), in minor units, with thousands separators, with a decimal comma, in
/// scientific notation.
fn spellings(amount: &str) -> Vec<String> {
    let (whole, fraction) = amount.split_once('.').expect("a decimal amount");
    let digits = format!("{whole}{fraction}");
    let grouped = whole
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).expect("digits"))
        .collect::<Vec<_>>();
    vec![
        amount.to_owned(),
        digits.clone(),
        format!("{}.{fraction}", grouped.join(",")),
        format!("{} ", grouped.join(" ")),
        format!("{},{fraction}", grouped.join(".")),
        format!("{whole},{fraction}"),
        format!("{}.{}", &digits[..1], &digits[1..]),
    ]
}

/// What the sweep fills parameters with: the seeded workout's ids and dates.
struct Seeded {
    values: BTreeMap<&'static str, String>,
    today: String,
}

/// A workout with two creditors' facilities of distinctive amounts, a collateral, rates, a frozen
/// snapshot, an information request, an other claim, a term sheet and a comparison of its options,
/// so that every kind of read has content.
async fn seed(app: &TestApp) -> (Seeded, Vec<Actor>) {
    let today = Utc::now().date_naive().to_string();
    let coordinator = app.bank_admin("Sweep Coordinator Bank").await;
    let creditor = app.bank_admin("Sweep Creditor Bank").await;
    let borrower_id = app.institution("borrower", "Sweep Borrower Co").await;
    let borrower = app.user(borrower_id, "member").await;
    // A user the sweep may disable without harm: the path's {user_id}.
    let spare = app.user(creditor.institution_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-SWEEP", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": today,
                    "borrower_contacts": [{"name": "Treasurer", "email": "treasury@borrower.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let added = app
        .add_participant(
            &coordinator,
            workout,
            &json!({"institution_id": creditor.institution_id, "role": "creditor",
                    "contacts": [{"name": "Desk", "email": "desk@creditor.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let participant = id_of(&added.json());

    let mut secured = facility("SWEEP-A", "7654321.09", "secured");
    secured["collateral"] = json!([{"kind": "real_estate", "description": "Warehouse, Jeddah",
        "valuation": {"amount": "2468013.57", "currency": "SAR"}, "valued_on": today, "ranking": 1}]);
    let created = app.create_facility(&coordinator, workout, &secured).await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let facility_id = id_of(&created.json());
    let other = app
        .create_facility(
            &creditor,
            workout,
            &facility("SWEEP-B", "1234987.65", "unsecured"),
        )
        .await;
    assert_eq!(other.status, 201, "{:?}", other.json());

    let snapshot = app.snapshot(&coordinator, workout, &today).await;
    assert_eq!(snapshot.status, 200, "{:?}", snapshot.json());
    assert_eq!(
        snapshot.json()["total"]["amount"],
        "8889308.74",
        "the seeded amounts are what the coordinator sees"
    );
    let rates = app
        .set_fx_rates(
            &coordinator,
            workout,
            &today,
            &json!({"rates": {"USD": "3.75"}, "source": "SAMA reference rate"}),
        )
        .await;
    assert!(rates.status.is_success(), "{:?}", rates.json());
    let frozen = app.freeze_snapshot(&coordinator, workout, &today).await;
    assert!(frozen.status.is_success(), "{:?}", frozen.json());
    let request = app
        .send_information_request(
            &coordinator,
            workout,
            &json!({"subject": "Cash flow forecast", "sent_on": today}),
        )
        .await;
    assert_eq!(request.status, 201, "{:?}", request.json());
    let claim = app
        .post(
            &format!("/registry/v1/workouts/{workout}/other-claims"),
            &coordinator,
            &json!({"claimant": "Zakat, Tax and Customs Authority", "kind": "tax_and_zakat",
                    "currency": "SAR", "amount": "1250000.50"}),
        )
        .await;
    assert_eq!(claim.status, 201, "{:?}", claim.json());

    // A ballot on the frozen snapshot, voted on: its certificate would show every weight.
    let ballot = app
        .post(
            &format!("/voting/v1/workouts/{workout}/ballots"),
            &coordinator,
            &json!({"subject_kind": "waiver", "subject_ref": "W-1", "content_hash": "b".repeat(64),
                    "title": "Waive the covenant test", "rule": {"preset": "simple_majority_by_value"},
                    "snapshot_id": id_in(&frozen, "the frozen snapshot"),
                    "closes_at": (Utc::now() + chrono::Duration::hours(2)).to_rfc3339()}),
        )
        .await;
    assert_eq!(ballot.status, 201, "{:?}", ballot.json());
    let ballot_id = id_in(&ballot, "the ballot");
    let voted = app
        .put(
            &format!("/voting/v1/workouts/{workout}/ballots/{ballot_id}/vote"),
            &creditor,
            &json!({"choice": "for"}),
        )
        .await;
    assert_eq!(voted.status, 200, "{:?}", voted.json());
    // A standstill on the frozen snapshot: its baseline shows every creditor's exposure.
    let standstill = app
        .post(
            &format!("/voting/v1/workouts/{workout}/standstills"),
            &coordinator,
            &json!({"snapshot_id": id_in(&frozen, "the frozen snapshot"), "starts_on": today,
                    "ends_on": (Utc::now() + chrono::Duration::days(60)).date_naive().to_string(),
                    "termination_events": ["Insolvency filing by the borrower"]}),
        )
        .await;
    assert_eq!(standstill.status, 201, "{:?}", standstill.json());
    // A term sheet with one version (with a schedule), for the term-sheet endpoints' paths, and
    // a comparison of its options: its inputs carry the collateral's valuation.
    let term_sheet = app
        .post(
            &format!("/voting/v1/workouts/{workout}/term-sheets"),
            &coordinator,
            &json!({"title": "Restructuring terms", "content": {"repayment_schedule": [
                {"due": "2030-01-01", "amount": {"amount": "5000000.00", "currency": "SAR"}},
                {"due": "2031-01-01", "amount": {"amount": "5000000.00", "currency": "SAR"}}]}}),
        )
        .await;
    assert_eq!(term_sheet.status, 201, "{:?}", term_sheet.json());
    let comparison = app
        .post(
            &format!(
                "/voting/v1/workouts/{workout}/term-sheets/{}/versions/1/comparisons",
                id_in(&term_sheet, "the term sheet")
            ),
            &coordinator,
            &json!({"snapshot_id": id_in(&frozen, "the frozen snapshot"),
                    "assumptions": {"valuation_date": "2029-01-01", "day_count": "ACT/365F",
                        "discount": {"basis": "market_based", "annual_rate": "8",
                                     "note": "Sweep rate"}},
                    "enforcement": {"haircut": "25",
                        "legal_costs": {"amount": "10000.00", "currency": "SAR"},
                        "time_to_recovery": {"kind": "after_months", "months": 18}},
                    "insolvency": {"recovery_rate": "20",
                        "costs": {"amount": "5000.00", "currency": "SAR"},
                        "duration": {"kind": "after_months", "months": 36}}}),
        )
        .await;
    assert_eq!(comparison.status, 201, "{:?}", comparison.json());
    // A meeting, for the meeting endpoints' paths (its quorum would show the weights).
    let tomorrow = Utc::now() + chrono::Duration::days(1);
    let meeting = app
        .post(
            &format!("/minutes/v1/workouts/{workout}/meetings"),
            &coordinator,
            &json!({"title": "Creditors' meeting", "starts_at": tomorrow.to_rfc3339(),
                    "ends_at": (tomorrow + chrono::Duration::hours(2)).to_rfc3339(),
                    "location": "Riyadh"}),
        )
        .await;
    assert_eq!(meeting.status, 201, "{:?}", meeting.json());
    // A transfer notice lists the facilities' amounts: the operator must not read them either.
    let notice = app
        .post(
            &format!("/notifications/v1/workouts/{workout}/notices"),
            &coordinator,
            &json!({"kind": "transfer"}),
        )
        .await;
    assert_eq!(notice.status, 201, "{:?}", notice.json());
    assert!(
        notice.json().to_string().contains(SEEDED_AMOUNTS[0]),
        "the notice lists the amounts: {:?}",
        notice.json()
    );

    let session = session_of(&app.admin);
    let values = BTreeMap::from([
        ("workout_id", workout.to_string()),
        ("facility_id", facility_id.to_string()),
        ("institution_id", creditor.institution_id.to_string()),
        ("participant_id", participant.to_string()),
        ("user_id", spare.user_id.to_string()),
        ("snapshot_id", id_in(&frozen, "the frozen snapshot")),
        (
            "request_id",
            request.json()["requests"][0]["id"]
                .as_str()
                .expect("the information request's id")
                .to_owned(),
        ),
        ("claim_id", id_in(&claim, "the other claim")),
        ("ballot_id", ballot_id),
        ("standstill_id", id_in(&standstill, "the standstill")),
        ("term_sheet_id", id_in(&term_sheet, "the term sheet")),
        ("meeting_id", id_in(&meeting, "the meeting")),
        ("version", "1".to_owned()),
        ("comparison_id", id_in(&comparison, "the comparison")),
        ("item", "meeting_minutes".to_owned()),
        ("renewal_id", Uuid::now_v7().to_string()),
        // An action item exists only once minutes are sealed; an unknown one is as good here.
        ("action_item_id", Uuid::now_v7().to_string()),
        ("session_id", session.to_string()),
        // A delivery's and a letter's ids are the notifications service's own; unknown ones do.
        ("delivery_id", Uuid::now_v7().to_string()),
        ("communication_id", Uuid::now_v7().to_string()),
        ("email", "desk@operator.test".to_owned()),
        // Not the key that signed the admin's token: retiring it would end the sweep in 401s.
        ("kid", "k-not-a-key-of-this-platform".to_owned()),
        ("date", today.clone()),
    ]);
    (
        Seeded {
            values,
            today: today.clone(),
        },
        vec![coordinator, creditor, borrower],
    )
}

/// The `id` of an answer's body, naming what was expected.
fn id_in(answer: &Answer, what: &str) -> String {
    answer.json()["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{what} has an id: {:?}", answer.json()))
        .to_owned()
}

fn facility(reference: &str, amount: &str, class: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR", "committed": amount,
        "outstanding_principal": amount, "accrued_interest": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": class == "secured", "class": class,
        "related_party": false, "collateral": [], "guarantees": []
    })
}

/// The session id (`sid`) of an actor's access token.
fn session_of(actor: &Actor) -> Uuid {
    use base64::Engine as _;
    let payload = actor.token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON claims");
    claims["sid"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("a sid claim")
}

/// One documented operation.
#[derive(Debug, Clone)]
struct Operation {
    service: &'static str,
    method: Method,
    path: String,
    spec: Value,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Signing out ends the admin's session, so it runs last.
    fn ends_the_session(&self) -> bool {
        self.path.ends_with("/sign-out")
    }
}

/// Follows a `$ref` into the document's components.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().expect("a reference name");
            resolve(document, &document["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A plausible value for a query or header parameter, from its name and schema; `None` to leave
/// an optional one out (a cursor must be one the endpoint gave).
fn plausible(document: &Value, parameter: &Value, today: &str) -> Option<String> {
    let name = parameter["name"].as_str().expect("a parameter name");
    // An optional parameter's schema is `oneOf: [its type, null]`: the type is the first.
    let declared = &parameter["schema"];
    let declared = declared["oneOf"]
        .as_array()
        .and_then(|options| options.iter().find(|o| o["type"] != "null"))
        .unwrap_or(declared);
    let schema = resolve(document, declared);
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    match name {
        "cursor" | "Idempotency-Key" => return None,
        "limit" => return Some("200".to_owned()),
        "If-Match" => return Some("\"1\"".to_owned()),
        // A meeting's quorum.
        "rule" => return Some("value:more_than:1/2".to_owned()),
        // An acknowledgement link's token (an unknown one: the link is not the operator's).
        "token" => return Some("not-a-token".to_owned()),
        _ => {}
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.as_str().map(str::to_owned);
    }
    if schema["format"] == "date" {
        return Some(today.to_owned());
    }
    if types.contains(&"boolean") {
        return Some("true".to_owned());
    }
    if types.contains(&"integer") {
        return Some("10".to_owned());
    }
    panic!("the sweep has no plausible value for parameter {name} ({parameter}): teach it one")
}

/// Reads every service's document from the running platform; returns its operations.
async fn documented_operations(app: &TestApp) -> (Vec<Operation>, BTreeMap<&'static str, Value>) {
    let mut operations = Vec::new();
    let mut documents = BTreeMap::new();
    for service in SERVICES {
        let answer = app
            .call(Method::GET, &format!("/{service}/openapi.json"), None, None)
            .await;
        assert_eq!(answer.status, 200, "{service}'s document is served");
        let document = answer.json();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, spec) in item.as_object().expect("a path item") {
                let method = match method.as_str() {
                    "get" => Method::GET,
                    "put" => Method::PUT,
                    "post" => Method::POST,
                    "delete" => Method::DELETE,
                    "patch" => Method::PATCH,
                    _ => continue,
                };
                operations.push(Operation {
                    service,
                    method,
                    path: path.clone(),
                    spec: spec.clone(),
                });
            }
        }
        documents.insert(service, document);
    }
    (operations, documents)
}

/// Calls `operation` as `admin`, following `next_cursor` through a few pages; returns every answer.
async fn call(
    app: &TestApp,
    document: &Value,
    operation: &Operation,
    seeded: &Seeded,
    admin: &Actor,
) -> Vec<Answer> {
    let mut path = operation.path.clone();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    for parameter in operation.spec["parameters"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = parameter["name"].as_str().expect("a parameter name");
        match parameter["in"].as_str() {
            Some("path") => {
                let value = seeded.values.get(name).unwrap_or_else(|| {
                    panic!(
                        "the sweep has no value for path parameter {{{name}}} of {}: seed one",
                        operation.name()
                    )
                });
                path = path.replace(&format!("{{{name}}}"), value);
            }
            Some("query") => {
                if let Some(value) = plausible(document, parameter, &seeded.today) {
                    query.push(format!("{name}={value}"));
                }
            }
            Some("header") => {
                if let Some(value) = plausible(document, parameter, &seeded.today) {
                    headers.push((name.to_owned(), value));
                }
            }
            other => panic!("parameter {name} in {other:?} of {}", operation.name()),
        }
    }
    assert!(!path.contains('{'), "every path parameter filled: {path}");
    let media = operation.spec["requestBody"]["content"]
        .as_object()
        .and_then(|c| c.keys().next().cloned());
    let mut answers = Vec::new();
    let mut cursor: Option<String> = None;
    for _page in 0..20 {
        let mut url = format!("{}{path}", app.url);
        let mut parameters = query.clone();
        if let Some(cursor) = &cursor {
            parameters.push(format!("cursor={cursor}"));
        }
        if !parameters.is_empty() {
            url = format!("{url}?{}", parameters.join("&"));
        }
        let mut request = app
            .client
            .request(operation.method.clone(), url)
            .bearer_auth(&admin.token);
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        request = match media.as_deref() {
            Some("application/json") => request.json(&json!({})),
            Some(media) => request
                .header("content-type", media)
                .body("reference\n".to_owned()),
            None => request,
        };
        let answer =
            workout_tests::read(request.send().await.expect("the request is answered")).await;
        cursor = answer.json()["next_cursor"].as_str().map(str::to_owned);
        answers.push(answer);
        if cursor.is_none() {
            break;
        }
    }
    answers
}

#[tokio::test]
async fn a_platform_admin_finds_no_facility_amount_in_any_answer_of_any_service() {
    let app = TestApp::spawn().await;
    let (seeded, participants) = seed(&app).await;

    // The seeded changes reach the notifications service before the sweep looks there.
    let arrived = eventually(Duration::from_secs(15), || async {
        let events = app
            .get("/notifications/v1/events?limit=200", &app.admin)
            .await
            .json();
        let facility_events = events["items"]
            .as_array()?
            .iter()
            .filter(|e| e["topic"] == "registry.facility_changed")
            .count();
        (facility_events >= 2).then_some(())
    })
    .await;
    assert!(
        arrived.is_some(),
        "the facilities' events reach notifications"
    );
    // What arrived is counted per topic and source, and listed by envelope without payload.
    let events = app
        .get("/notifications/v1/events?limit=200", &app.admin)
        .await
        .json();
    let facility_changes = events["received"]
        .as_array()
        .expect("counts of what was received")
        .iter()
        .find(|c| c["topic"] == "registry.facility_changed" && c["source"] == "registry")
        .expect("a count of the facilities' events");
    assert!(facility_changes["count"].as_i64() >= Some(2));
    assert!(
        events["items"]
            .as_array()
            .expect("envelopes")
            .iter()
            .all(|e| e.get("payload").is_none() && e["id"].is_string()),
        "envelopes, no payloads: {events}"
    );

    let (mut operations, documents) = documented_operations(&app).await;
    operations.sort_by_key(Operation::ends_the_session);
    let documented = operations.len();
    let per_service: BTreeMap<&str, usize> = SERVICES
        .iter()
        .map(|s| (*s, operations.iter().filter(|o| o.service == *s).count()))
        .collect();
    println!("operations documented: {documented} {per_service:?}");
    assert!(
        per_service["registry"] >= 60
            && per_service["notifications"] >= 3
            && per_service.values().all(|n| *n >= 1),
        "the documents list the platform's operations: {per_service:?}"
    );

    let forbidden: Vec<String> = SEEDED_AMOUNTS.iter().flat_map(|a| spellings(a)).collect();
    let mut called = 0;
    let mut leaks = Vec::new();
    for operation in &operations {
        if operation.ends_the_session() {
            assert_eq!(
                app.get("/registry/v1/me", &app.admin).await.status,
                200,
                "the admin's token still works before signing out: every call above was made with it"
            );
        }
        let document = &documents[operation.service];
        let answers = call(&app, document, operation, &seeded, &app.admin).await;
        if !answers.is_empty() {
            called += 1;
        }
        let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        println!(
            "{:<6} {:<90} {statuses:?}",
            operation.method, operation.path
        );
        for answer in &answers {
            let body = String::from_utf8_lossy(&answer.bytes);
            for spelling in &forbidden {
                if body.contains(spelling.as_str()) {
                    leaks.push(format!(
                        "{} answered {} with {spelling:?}: {}",
                        operation.name(),
                        answer.status,
                        body.chars().take(400).collect::<String>()
                    ));
                }
            }
        }
    }
    assert_eq!(
        called, documented,
        "every documented operation was called and answered"
    );
    // And the undocumented operational endpoints.
    let mut undocumented = vec!["/healthz".to_owned(), "/metrics".to_owned()];
    for service in SERVICES {
        undocumented.push(format!("/{service}/healthz"));
        undocumented.push(format!("/{service}/readyz"));
    }
    for path in &undocumented {
        let answer = app.get(path, &app.admin).await;
        assert_eq!(answer.status, 200, "{path}");
        let body = String::from_utf8_lossy(&answer.bytes);
        for spelling in &forbidden {
            if body.contains(spelling.as_str()) {
                leaks.push(format!("GET {path} answered with {spelling:?}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "a platform admin read facility amounts:\n{}",
        leaks.join("\n")
    );

    // The amounts are there for those who may see them: the sweep looked for the right strings.
    let coordinator = &participants[0];
    let audit = app
        .get(
            &format!(
                "/registry/v1/workouts/{}/audit",
                seeded.values["workout_id"]
            ),
            coordinator,
        )
        .await;
    let text = String::from_utf8_lossy(&audit.bytes);
    assert!(
        forbidden.iter().any(|s| text.contains(s.as_str())),
        "the coordinator's audit export carries the amounts the sweep looks for"
    );
}

#[tokio::test]
async fn delivery_health_counts_and_lists_failing_deliveries_without_their_payloads() {
    let nowhere = "http://127.0.0.1:9/nowhere";
    let app = TestApp::spawn_with(|s| {
        s.subscribers = Some(vec![workout_store::outbox::Subscriber::all(nowhere)]);
    })
    .await;
    let (seeded, participants) = seed(&app).await;
    let workout = &seeded.values["workout_id"];

    let failing = eventually(Duration::from_secs(15), || async {
        let health = app.get("/registry/v1/deliveries", &app.admin).await.json();
        let failing_facilities = health["counts"].as_array()?.iter().any(|c| {
            c["topic"] == "registry.facility_changed"
                && c["subscriber"] == nowhere
                && c["status"] == "failing"
        });
        failing_facilities.then_some(health)
    })
    .await
    .expect("the facilities' deliveries to a subscriber that is down are counted as failing");
    let body = failing.to_string();
    for spelling in SEEDED_AMOUNTS.iter().flat_map(|a| spellings(a)) {
        assert!(
            !body.contains(&spelling),
            "no amount ({spelling}) in {body}"
        );
    }
    let failures = failing["failures"].as_array().expect("failures");
    let failure = failures
        .iter()
        .find(|f| f["topic"] == "registry.facility_changed")
        .expect("a failing facility event");
    assert_eq!(failure["workout_id"], workout.as_str());
    assert!(failure["event_id"].is_string() && failure["created_at"].is_string());
    assert!(failure.get("payload").is_none());
    let delivery = &failure["deliveries"][0];
    assert_eq!(delivery["subscriber"], nowhere);
    assert!(delivery["attempts"].as_i64() >= Some(1));
    assert!(
        delivery["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert!(delivery["next_attempt_at"].is_string());

    // A page at a time: the first event of the second page follows the first page's last.
    let first = app
        .get("/registry/v1/deliveries?limit=1", &app.admin)
        .await
        .json();
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more than one failure");
    assert_eq!(first["failures"].as_array().map(Vec::len), Some(1));
    let second = app
        .get(
            &format!("/registry/v1/deliveries?limit=1&cursor={cursor}"),
            &app.admin,
        )
        .await
        .json();
    assert!(
        second["failures"][0]["event_id"].as_str() > Some(cursor),
        "{second}"
    );
    app.get("/registry/v1/deliveries?limit=0", &app.admin)
        .await
        .assert_problem(400, "invalid_query_parameter");

    // Only a platform admin reads it.
    app.get("/registry/v1/deliveries", &participants[0])
        .await
        .assert_problem(403, "forbidden");
    app.get("/notifications/v1/events", &participants[0])
        .await
        .assert_problem(403, "forbidden");
}
