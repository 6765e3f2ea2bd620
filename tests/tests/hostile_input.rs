//! No input reaches a 500 (issue 8, item 5). Every write endpoint of every service is listed once
//! in a table with a valid body and the kind of each of its fields; each text field is then sent a
//! NUL, line breaks, a tab, bidirectional overrides and isolates and 100 KB, each date the
//! extremes (`-5000-01-01`, `+10000-01-15`, `0000-01-01`, 1899, a day that does not exist), each
//! amount, rate and percentage numbers out of range, and every JSON body its first key twice. Each
//! answer must be a 4xx `application/problem+json` that names the field, never a 5xx, and nothing
//! may be written: the workout's audit chain, the platform's chain and the affected lists are
//! unchanged. Then the valid body is sent and must succeed, so that a body refused for another
//! reason cannot pass for a refused hostile value. Dates in paths and query strings of the GET
//! endpoints get the same extremes and must answer 400 naming the parameter.
//!
//! A deterministic table, not a generator: the values that matter are the edges, and each failure
//! names the endpoint, the field and the value.

use chrono::{Days, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::endpoints::workout_path;
use workout_tests::{Actor, Answer, PASSWORD, TestApp, id_of};

/// What a field holds, and so which hostile values it gets.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// One line of free text (names, references, labels, codes).
    Line,
    /// Prose (reasons, subjects, answers): line feeds and tabs are allowed there.
    Prose,
    /// An e-mail address.
    Email,
    /// A date `YYYY-MM-DD`.
    Date,
    /// An amount of money, as text.
    Amount,
    /// An FX rate, as text.
    Rate,
    /// A percentage, as text.
    Percentage,
    /// An instant (RFC 3339).
    Instant,
}

/// The hostile values of a kind, each with a label for the failure message.
fn hostile(kind: Kind) -> Vec<(&'static str, Value)> {
    let huge = "x".repeat(100 * 1024);
    let text = |extra: Vec<(&'static str, Value)>| {
        let mut values = vec![
            ("NUL", json!("A\u{0}B")),
            ("ESC", json!("A\u{1b}[31mB")),
            ("CR", json!("A\rB")),
            ("CRLF", json!("A\r\nB")),
            ("RLO", json!("A\u{202E}B")),
            ("LRI", json!("A\u{2066}B")),
            ("LINE SEPARATOR", json!("A\u{2028}B")),
            ("100 KB", json!(huge.clone())),
        ];
        values.extend(extra);
        values
    };
    match kind {
        Kind::Line => text(vec![("LF", json!("A\nB")), ("TAB", json!("A\tB"))]),
        Kind::Prose => text(Vec::new()),
        Kind::Email => vec![
            ("NUL", json!("a\u{0}b@hostile.test")),
            ("CRLF", json!("a@hostile.test\r\nBcc: b@hostile.test")),
            ("RLO", json!("a\u{202E}b@hostile.test")),
            ("100 KB", json!(format!("{huge}@hostile.test"))),
        ],
        Kind::Date => vec![
            ("-5000-01-01", json!("-5000-01-01")),
            ("+10000-01-15", json!("+10000-01-15")),
            ("10000-01-15", json!("10000-01-15")),
            ("0000-01-01", json!("0000-01-01")),
            ("1899-12-31", json!("1899-12-31")),
            ("2026-02-30", json!("2026-02-30")),
            ("NUL", json!("2026-11-24\u{0}")),
        ],
        Kind::Amount => vec![
            ("10^20", json!("100000000000000000000")),
            ("10^18", json!("1000000000000000000")),
            ("beyond a decimal", json!("79228162514264337593543950336")),
            ("0.00001", json!("0.00001")),
            ("negative", json!("-5")),
            ("exponent", json!("1e5")),
            ("a JSON number", json!(1e300)),
        ],
        Kind::Rate => vec![
            ("10^20", json!("100000000000000000000")),
            ("10^14", json!("100000000000000")),
            ("0.00000000001", json!("0.00000000001")),
            ("zero", json!("0")),
            ("negative", json!("-1")),
            ("exponent", json!("1e3")),
        ],
        Kind::Percentage => vec![
            ("100.0001", json!("100.0001")),
            ("negative", json!("-1")),
            ("10^29", json!("100000000000000000000000000000")),
            ("a JSON number", json!(50)),
        ],
        Kind::Instant => vec![
            ("-5000", json!("-5000-01-01T00:00:00Z")),
            ("+10000", json!("+10000-01-15T00:00:00Z")),
            ("0000", json!("0000-01-01T00:00:00Z")),
        ],
    }
}

/// A request body: JSON, or a one-row CSV file (its header and its row, by column).
#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Csv(Vec<(&'static str, String)>),
}

impl Body {
    /// The body with `field` (a dotted path, `contacts.0.name`, or a CSV column) set to `value`.
    fn with(&self, field: &str, value: &Value) -> Self {
        match self {
            Self::Json(json) => {
                let mut json = json.clone();
                let mut at = &mut json;
                for part in field.split('.') {
                    at = match at {
                        Value::Array(items) => &mut items[part.parse::<usize>().unwrap()],
                        other => &mut other[part],
                    };
                }
                *at = value.clone();
                Self::Json(json)
            }
            Self::Csv(columns) => Self::Csv(
                columns
                    .iter()
                    .map(|(name, old)| {
                        let new = if *name == field {
                            value
                                .as_str()
                                .map_or_else(|| value.to_string(), str::to_owned)
                        } else {
                            old.clone()
                        };
                        (*name, new)
                    })
                    .collect(),
            ),
        }
    }

    /// The raw bytes and content type.
    fn raw(&self) -> (Vec<u8>, &'static str) {
        match self {
            Self::Json(json) => (serde_json::to_vec(json).unwrap(), "application/json"),
            Self::Csv(columns) => {
                let header: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
                let row: Vec<String> = columns
                    .iter()
                    .map(|(_, value)| format!("\"{}\"", value.replace('"', "\"\"")))
                    .collect();
                (
                    format!("{}\n{}\n", header.join(","), row.join(",")).into_bytes(),
                    "text/csv",
                )
            }
        }
    }

    /// The JSON body with its first key given twice (the same value both times), and that key.
    fn with_first_key_twice(&self) -> Option<(Vec<u8>, String)> {
        let Self::Json(Value::Object(map)) = self else {
            return None;
        };
        let (key, value) = map.iter().next()?;
        let text = serde_json::to_string(&Value::Object(map.clone())).unwrap();
        let twice = format!(
            "{{{}:{},{}",
            serde_json::to_string(key).unwrap(),
            value,
            &text[1..]
        );
        Some((twice.into_bytes(), key.clone()))
    }
}

/// One write endpoint: how to call it with a valid body, the fields to attack and what must not
/// change.
struct Case {
    name: &'static str,
    method: Method,
    path: String,
    /// A bearer token (a user's or a service's).
    token: String,
    headers: Vec<(&'static str, String)>,
    body: Body,
    fields: Vec<(&'static str, Kind)>,
    /// GET paths (with `reader`'s token) whose answers must not change while the field attacks
    /// run: the affected lists.
    lists: Vec<String>,
    reader: String,
}

/// The platform under attack: who is who, and what exists.
struct World {
    app: TestApp,
    coordinator: Actor,
    workout: Uuid,
}

impl World {
    async fn send(&self, case: &Case, bytes: Vec<u8>, content_type: &str) -> Answer {
        let mut request = self
            .app
            .client
            .request(
                case.method.clone(),
                format!("{}{}", self.app.url, case.path),
            )
            .bearer_auth(&case.token)
            .header("content-type", content_type)
            .body(bytes);
        for (name, value) in &case.headers {
            request = request.header(*name, value);
        }
        workout_tests::read(request.send().await.unwrap()).await
    }

    /// What must not change: the entries of the workout's and the platform's audit chains, and
    /// the case's lists, as read now.
    async fn state(&self, case: &Case) -> Vec<String> {
        let mut state = vec![
            chain_entries(
                &self
                    .app
                    .workout_audit(&self.coordinator, self.workout)
                    .await,
            ),
            chain_entries(
                &self
                    .app
                    .get("/registry/v1/audit/platform", &self.app.admin)
                    .await,
            ),
        ];
        assert!(
            state.iter().all(|chain| !chain.is_empty()),
            "the chains' entries are read: {state:?}"
        );
        for list in &case.lists {
            let answer = self
                .app
                .call(Method::GET, list, Some(&case.reader), None)
                .await;
            assert_eq!(answer.status, 200, "{list}: {:?}", answer.json());
            state.push(String::from_utf8(answer.bytes).unwrap());
        }
        state
    }
}

/// The entries of an exported chain (`seq` and `hash` of each), whatever else the export holds.
fn chain_entries(export: &Answer) -> String {
    assert_eq!(export.status, 200, "{:?}", export.json());
    String::from_utf8_lossy(&export.bytes)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("action").is_some())
        .map(|line| format!("{}:{}", line["seq"], line["hash"]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts a 4xx problem+json that names `field` (its last part), never a 5xx.
#[track_caller]
fn assert_refused(answer: &Answer, what: &str, field: &str) {
    let body = String::from_utf8_lossy(&answer.bytes);
    let shown: String = body.chars().take(600).collect();
    assert!(
        answer.status.is_client_error(),
        "{what}: expected a 4xx, got {}: {shown}",
        answer.status
    );
    assert!(
        answer
            .content_type()
            .starts_with("application/problem+json"),
        "{what}: not problem+json: {shown}"
    );
    // The field by its name, or by the object it is in (`collateral[0].valuation` for its
    // `amount`).
    let names: Vec<&str> = field
        .rsplit('.')
        .filter(|part| part.parse::<usize>().is_err())
        .take(2)
        .collect();
    assert!(
        names.iter().any(|name| body.contains(name)),
        "{what}: the answer does not name {field}: {shown}"
    );
}

/// Attacks every field of `case`, checks that nothing changed, then sends the valid body and
/// checks that it succeeds and shows in what is watched.
async fn attack(world: &World, case: &Case) {
    let before = world.state(case).await;
    for (field, kind) in &case.fields {
        for (label, value) in hostile(*kind) {
            let (bytes, content_type) = case.body.with(field, &value).raw();
            let answer = world.send(case, bytes, content_type).await;
            // A CSV file names the line (and the column, unless a control character makes the
            // whole file unreadable).
            let named = if matches!(case.body, Body::Csv(_)) {
                "line 2"
            } else {
                field
            };
            assert_refused(&answer, &format!("{} {field} = {label}", case.name), named);
        }
    }
    if let Some((bytes, key)) = case.body.with_first_key_twice() {
        let answer = world.send(case, bytes, "application/json").await;
        assert_refused(&answer, &format!("{} with {key} twice", case.name), &key);
        assert_eq!(answer.status, 422, "{}: {:?}", case.name, answer.json());
    }
    let after = world.state(case).await;
    let names = ["the workout's audit chain", "the platform's audit chain"];
    for (index, (was, now)) in before.iter().zip(&after).enumerate() {
        let what = names
            .get(index)
            .copied()
            .unwrap_or_else(|| &case.lists[index - 2]);
        assert!(
            was == now,
            "{}: a refused request changed {what}:\n{was}\n{now}",
            case.name
        );
    }
    let (bytes, content_type) = case.body.raw();
    let valid = world.send(case, bytes, content_type).await;
    assert!(
        valid.status.is_success(),
        "{}: the valid body is refused: {} {}",
        case.name,
        valid.status,
        String::from_utf8_lossy(&valid.bytes)
    );
    // What is watched does show a write: the check above could have failed.
    assert_ne!(
        world.state(case).await,
        before,
        "{}: the valid request changed nothing watched",
        case.name
    );
}

/// A date `n` days before today (UTC; the workout's calendar is at most a day ahead).
fn day(n: u64) -> String {
    (Utc::now().date_naive() - Days::new(n)).to_string()
}

fn contact(name: &str) -> Value {
    json!({"name": name, "email": format!("{}@hostile.test", name.to_lowercase().replace(' ', ".")),
           "language": "en"})
}

fn facility(reference: &str, guarantor: Uuid) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR",
        "committed": "1000000.00", "outstanding_principal": "900000.00", "accrued_interest": "1000.00",
        "past_due_principal": "10000.00", "days_past_due": 30, "fees_and_penalties": "500.00",
        "penalties": "100.00", "secured": true, "class": "secured", "related_party": false,
        "position_date": day(1),
        "collateral": [{"kind": "real_estate", "description": "Warehouse, Jeddah",
                        "valuation": {"amount": "2000000", "currency": "SAR"}, "valued_on": day(30),
                        "ranking": 1}],
        "guarantees": [{"guarantor": guarantor, "amount": {"amount": "50000", "currency": "SAR"}}]
    })
}

const FACILITY_FIELDS: [(&str, Kind); 13] = [
    ("reference", Kind::Line),
    ("committed", Kind::Amount),
    ("outstanding_principal", Kind::Amount),
    ("accrued_interest", Kind::Amount),
    ("past_due_principal", Kind::Amount),
    ("fees_and_penalties", Kind::Amount),
    ("penalties", Kind::Amount),
    ("position_date", Kind::Date),
    ("collateral.0.kind", Kind::Line),
    ("collateral.0.description", Kind::Prose),
    ("collateral.0.valuation.amount", Kind::Amount),
    ("collateral.0.valued_on", Kind::Date),
    ("guarantees.0.amount.amount", Kind::Amount),
];

/// Sends a request that must succeed; returns its JSON.
#[track_caller]
fn ok(answer: &Answer) -> Value {
    assert!(
        answer.status.is_success(),
        "{} {}",
        answer.status,
        String::from_utf8_lossy(&answer.bytes)
    );
    answer.json()
}

async fn add(
    app: &TestApp,
    coordinator: &Actor,
    workout: Uuid,
    institution: Uuid,
    role: &str,
) -> Uuid {
    id_of(&ok(&app
        .add_participant(
            coordinator,
            workout,
            &json!({"institution_id": institution, "role": role, "contacts": [contact("Desk")]}),
        )
        .await))
}

#[tokio::test]
async fn no_hostile_input_to_any_write_endpoint_reaches_a_500_or_writes_anything() {
    let app = TestApp::spawn().await;
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let bank_b = app.bank_admin("Bank B").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let guarantor_id = app.institution("guarantor", "Parent Holding").await;
    let advisor_id = app.institution("advisor", "Counsel").await;
    let second_advisor_id = app.institution("advisor", "Second Counsel").await;
    let workout = id_of(&ok(&app
        .open_workout(
            &coordinator,
            &json!({"reference": "W-HOSTILE", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": day(40),
                    "borrower_contacts": [contact("Treasurer")]}),
        )
        .await));
    let w = |rest: &str| workout_path(workout, rest);
    let participant_b = add(
        &app,
        &coordinator,
        workout,
        bank_b.institution_id,
        "creditor",
    )
    .await;
    add(&app, &coordinator, workout, guarantor_id, "guarantor").await;
    let advisor = add(&app, &coordinator, workout, advisor_id, "advisor").await;
    let f1 = id_of(&ok(&app
        .create_facility(&coordinator, workout, &facility("F-1", guarantor_id))
        .await));
    let f2 = id_of(&ok(&app
        .create_facility(&coordinator, workout, &facility("F-2", guarantor_id))
        .await));
    let claim = id_of(&ok(&app
        .post(
            &w("/other-claims"),
            &coordinator,
            &json!({"claimant": "Utility", "kind": "utility", "currency": "SAR", "amount": "10"}),
        )
        .await));
    let request = |sent_on: String| {
        let app = &app;
        let coordinator = &coordinator;
        async move {
            let view = ok(&app
                .send_information_request(
                    coordinator,
                    workout,
                    &json!({"subject": "Accounts", "sent_on": sent_on}),
                )
                .await);
            view["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().parse::<Uuid>().unwrap())
                .max()
                .unwrap()
        }
    };
    let to_answer = request(day(3)).await;
    let answered = request(day(20)).await;
    ok(&app
        .answer_information_request(
            &coordinator,
            workout,
            answered,
            &json!({"response": "Sent"}),
        )
        .await);
    let to_cancel = request(day(2)).await;
    let service = app.service_token("mandates").await;
    let events = app.service_token("testsvc").await;
    let user = |token: &Actor| token.token.clone();

    let world = World {
        app,
        coordinator: coordinator.clone(),
        workout,
    };
    let admin = world.app.admin.token.clone();
    let case = |name: &'static str,
                method: Method,
                path: String,
                token: String,
                body: Value,
                fields: Vec<(&'static str, Kind)>,
                lists: Vec<String>| Case {
        name,
        method,
        path,
        reader: token.clone(),
        token,
        headers: Vec::new(),
        body: Body::Json(body),
        fields,
        lists,
    };
    let coordinator_lists = |lists: &[&str]| lists.iter().map(|rest| w(rest)).collect::<Vec<_>>();

    let cases = vec![
        Case {
            reader: admin.clone(),
            ..case(
                "POST /institutions",
                Method::POST,
                "/registry/v1/institutions".to_owned(),
                admin.clone(),
                json!({"kind": "bank", "name": "New Bank", "country": "SA",
                       "lei": "5493001KJTIIGC8Y1R12"}),
                vec![
                    ("name", Kind::Line),
                    ("country", Kind::Line),
                    ("lei", Kind::Line),
                ],
                vec!["/registry/v1/institutions?limit=200".to_owned()],
            )
        },
        case(
            "POST /institutions/{id}/users",
            Method::POST,
            format!(
                "/registry/v1/institutions/{}/users",
                coordinator.institution_id
            ),
            admin.clone(),
            json!({"email": "new.user@hostile.test", "display_name": "New User", "role": "member",
                   "password": PASSWORD}),
            vec![("email", Kind::Email), ("display_name", Kind::Line)],
            vec![format!(
                "/registry/v1/institutions/{}/users?limit=200",
                coordinator.institution_id
            )],
        ),
        case(
            "POST /workouts",
            Method::POST,
            "/registry/v1/workouts".to_owned(),
            user(&coordinator),
            json!({"reference": "W-2", "borrower_id": borrower_id, "base_currency": "SAR",
                   "calendar": "SA", "governing_law": "Kingdom of Saudi Arabia", "opened_on": day(1),
                   "classes": ["secured", "unsecured"], "contacts": [contact("Desk")],
                   "borrower_contacts": [contact("Treasurer")]}),
            vec![
                ("reference", Kind::Line),
                ("calendar", Kind::Line),
                ("governing_law", Kind::Line),
                ("opened_on", Kind::Date),
                ("classes.0", Kind::Line),
                ("contacts.0.name", Kind::Line),
                ("contacts.0.email", Kind::Email),
                ("contacts.0.language", Kind::Line),
                ("borrower_contacts.0.name", Kind::Line),
                ("borrower_contacts.0.email", Kind::Email),
            ],
            vec!["/registry/v1/workouts?limit=200".to_owned()],
        ),
        case(
            "POST /workouts/{id}/participants",
            Method::POST,
            w("/participants"),
            user(&coordinator),
            json!({"institution_id": second_advisor_id, "role": "advisor",
                   "contacts": [contact("Adviser")]}),
            vec![
                ("contacts.0.name", Kind::Line),
                ("contacts.0.email", Kind::Email),
            ],
            coordinator_lists(&["/participants?include_removed=true&limit=200"]),
        ),
        case(
            "PUT /workouts/{id}/participants/{pid}/contacts",
            Method::PUT,
            w(&format!("/participants/{participant_b}/contacts")),
            user(&bank_b),
            json!({"contacts": [contact("Credit Desk"), contact("Legal")]}),
            vec![
                ("contacts.0.name", Kind::Line),
                ("contacts.1.email", Kind::Email),
                ("contacts.1.language", Kind::Line),
            ],
            coordinator_lists(&["/participants?include_removed=true&limit=200"]),
        ),
        case(
            "POST /workouts/{id}/participants/{pid}/remove",
            Method::POST,
            w(&format!("/participants/{advisor}/remove")),
            user(&coordinator),
            json!({"reason": "Mandate ended"}),
            vec![("reason", Kind::Prose)],
            coordinator_lists(&["/participants?include_removed=true&limit=200"]),
        ),
        case(
            "POST /workouts/{id}/facilities",
            Method::POST,
            w("/facilities"),
            user(&coordinator),
            facility("F-NEW", guarantor_id),
            FACILITY_FIELDS.to_vec(),
            coordinator_lists(&["/facilities?limit=200"]),
        ),
        Case {
            headers: vec![("if-match", "\"1\"".to_owned())],
            ..case(
                "PUT /workouts/{id}/facilities/{fid}",
                Method::PUT,
                w(&format!("/facilities/{f1}")),
                user(&coordinator),
                facility("F-1", guarantor_id),
                FACILITY_FIELDS.to_vec(),
                coordinator_lists(&[
                    "/facilities?limit=200",
                    &format!("/facilities/{f1}/history"),
                ]),
            )
        },
        Case {
            headers: vec![("if-match", "\"1\"".to_owned())],
            ..case(
                "POST /workouts/{id}/facilities/{fid}/withdraw",
                Method::POST,
                w(&format!("/facilities/{f2}/withdraw")),
                user(&coordinator),
                json!({"reason": "Repaid in full"}),
                vec![("reason", Kind::Prose)],
                coordinator_lists(&[
                    "/facilities?limit=200",
                    &format!("/facilities/{f2}/history"),
                ]),
            )
        },
        Case {
            body: Body::Csv(vec![
                ("reference", "F-IMPORTED".to_owned()),
                ("facility_type", "overdraft".to_owned()),
                ("currency", "SAR".to_owned()),
                ("committed", "5000.00".to_owned()),
                ("outstanding_principal", "4000.00".to_owned()),
                ("accrued_interest", "0".to_owned()),
                ("past_due", "0".to_owned()),
                ("days_past_due", "0".to_owned()),
                ("fees_and_penalties", "0".to_owned()),
                ("secured", "false".to_owned()),
                ("class", "unsecured".to_owned()),
                ("related_party", "false".to_owned()),
                ("position_date", day(1)),
            ]),
            ..case(
                "POST /workouts/{id}/facilities/import",
                Method::POST,
                w("/facilities/import?mode=merge"),
                user(&coordinator),
                Value::Null,
                vec![
                    ("reference", Kind::Line),
                    ("class", Kind::Line),
                    ("committed", Kind::Amount),
                    ("outstanding_principal", Kind::Amount),
                    ("position_date", Kind::Date),
                ],
                coordinator_lists(&["/facilities?limit=200"]),
            )
        },
        Case {
            body: Body::Csv(vec![
                ("reference", "F-1".to_owned()),
                ("cover", "collateral".to_owned()),
                ("kind", "share_pledge".to_owned()),
                ("description", "Shares of the borrower".to_owned()),
                ("amount", "300000".to_owned()),
                ("currency", "SAR".to_owned()),
                ("valued_on", day(10)),
                ("ranking", "2".to_owned()),
                ("guarantor", String::new()),
            ]),
            ..case(
                "POST /workouts/{id}/facilities/security/import",
                Method::POST,
                w("/facilities/security/import"),
                user(&coordinator),
                Value::Null,
                vec![
                    ("reference", Kind::Line),
                    ("kind", Kind::Line),
                    ("description", Kind::Prose),
                    ("amount", Kind::Amount),
                    ("valued_on", Kind::Date),
                ],
                coordinator_lists(&["/facilities?limit=200"]),
            )
        },
        case(
            "PUT /workouts/{id}/fx-rates/{date}",
            Method::PUT,
            w(&format!("/fx-rates/{}", day(1))),
            user(&coordinator),
            json!({"rates": {"USD": "3.75"}, "source": "SAMA reference rate",
                   "reason": "First rates of the date"}),
            vec![
                ("rates.USD", Kind::Rate),
                ("source", Kind::Line),
                ("reason", Kind::Prose),
            ],
            coordinator_lists(&[&format!("/fx-rates/{}/versions", day(1))]),
        ),
        case(
            "PUT /workouts/{id}/settings",
            Method::PUT,
            w("/settings"),
            user(&coordinator),
            json!({"contingent_weight": "50", "penalties_in_weight": false,
                   "reason": "Creditors' meeting of 3 March, minute 4"}),
            vec![
                ("contingent_weight", Kind::Percentage),
                ("reason", Kind::Prose),
            ],
            coordinator_lists(&["/settings"]),
        ),
        case(
            "POST /workouts/{id}/other-claims",
            Method::POST,
            w("/other-claims"),
            user(&coordinator),
            json!({"claimant": "Zakat, Tax and Customs Authority", "kind": "tax_and_zakat",
                   "currency": "SAR", "amount": "125000.50", "note": "Assessment 2025"}),
            vec![
                ("claimant", Kind::Line),
                ("kind", Kind::Line),
                ("currency", Kind::Line),
                ("amount", Kind::Amount),
                ("note", Kind::Prose),
            ],
            coordinator_lists(&["/other-claims?include_withdrawn=true&limit=200"]),
        ),
        case(
            "POST /workouts/{id}/other-claims/{cid}/withdraw",
            Method::POST,
            w(&format!("/other-claims/{claim}/withdraw")),
            user(&coordinator),
            json!({"reason": "Paid"}),
            vec![("reason", Kind::Prose)],
            coordinator_lists(&["/other-claims?include_withdrawn=true&limit=200"]),
        ),
        case(
            "PUT /workouts/{id}/related-parties/{institution_id}",
            Method::PUT,
            w(&format!("/related-parties/{}", bank_b.institution_id)),
            user(&coordinator),
            json!({"related_party": true, "reason": "Shareholder of the borrower"}),
            vec![("reason", Kind::Prose)],
            coordinator_lists(&["/related-parties"]),
        ),
        case(
            "POST /workouts/{id}/snapshots",
            Method::POST,
            w("/snapshots"),
            user(&coordinator),
            json!({"as_of": day(1)}),
            vec![("as_of", Kind::Date)],
            coordinator_lists(&["/snapshots"]),
        ),
        case(
            "POST /workouts/{id}/information-requests",
            Method::POST,
            w("/information-requests"),
            user(&coordinator),
            json!({"subject": "Cash flow forecast\nfor 2027", "sent_on": day(1),
                   "due_on": (Utc::now().date_naive() + Days::new(30)).to_string()}),
            vec![
                ("subject", Kind::Prose),
                ("sent_on", Kind::Date),
                ("due_on", Kind::Date),
            ],
            coordinator_lists(&["/information-requests"]),
        ),
        case(
            "POST .../information-requests/{rid}/answer",
            Method::POST,
            w(&format!("/information-requests/{to_answer}/answer")),
            user(&coordinator),
            json!({"response": "Sent by courier;\n\tsee the covering letter"}),
            vec![("response", Kind::Prose)],
            coordinator_lists(&["/information-requests"]),
        ),
        case(
            "POST .../information-requests/{rid}/answer-date",
            Method::POST,
            w(&format!("/information-requests/{answered}/answer-date")),
            user(&coordinator),
            json!({"answered_on": day(10), "reason": "Letter received by courier"}),
            vec![("answered_on", Kind::Date), ("reason", Kind::Prose)],
            coordinator_lists(&["/information-requests"]),
        ),
        case(
            "POST .../information-requests/{rid}/cancel",
            Method::POST,
            w(&format!("/information-requests/{to_cancel}/cancel")),
            user(&coordinator),
            json!({"reason": "Sent by mistake"}),
            vec![("reason", Kind::Prose)],
            coordinator_lists(&["/information-requests"]),
        ),
        case(
            "POST /workouts/{id}/borrower-classification",
            Method::POST,
            w("/borrower-classification"),
            user(&coordinator),
            json!({"grounds": ["denied_access"], "rationale": "The books were refused twice"}),
            vec![("rationale", Kind::Prose)],
            coordinator_lists(&["/borrower-classification"]),
        ),
        case(
            "POST /workouts/{id}/borrower-classification/lift",
            Method::POST,
            w("/borrower-classification/lift"),
            user(&coordinator),
            json!({"reason": "The books were opened on 3 March"}),
            vec![("reason", Kind::Prose)],
            coordinator_lists(&["/borrower-classification"]),
        ),
        Case {
            reader: user(&coordinator),
            ..case(
                "POST /internal/workouts/{id}/status",
                Method::POST,
                format!("/registry/v1/internal/workouts/{workout}/status"),
                service.clone(),
                json!({"status": "coordinated", "reason": "Mandate signed"}),
                vec![("reason", Kind::Prose)],
                vec![w("")],
            )
        },
        Case {
            reader: user(&coordinator),
            ..case(
                "PUT /internal/workouts/{id}/coordinator",
                Method::PUT,
                format!("/registry/v1/internal/workouts/{workout}/coordinator"),
                service.clone(),
                json!({"institution_id": bank_b.institution_id, "reason": "Mandate M-1 accepted"}),
                vec![("reason", Kind::Prose)],
                vec![w("/participants?include_removed=true&limit=200")],
            )
        },
    ];
    for case in &cases {
        attack(&world, case).await;
    }

    // The notifications service's event intake: a refused event is not recorded, so the same
    // event id is new when the valid event comes.
    let event_id = Uuid::now_v7();
    let intake = case(
        "POST /notifications/v1/events",
        Method::POST,
        "/notifications/v1/events".to_owned(),
        events,
        json!({"id": event_id, "topic": "testsvc.hostile_checked", "source": "testsvc",
               "workout_id": null, "occurred_at": "2026-11-24T10:00:00Z", "payload": {"n": 1}}),
        vec![
            ("topic", Kind::Line),
            ("source", Kind::Line),
            ("occurred_at", Kind::Instant),
        ],
        Vec::new(),
    );
    for (field, kind) in &intake.fields {
        for (label, value) in hostile(*kind) {
            let (bytes, content_type) = intake.body.with(field, &value).raw();
            let answer = world.send(&intake, bytes, content_type).await;
            assert_refused(
                &answer,
                &format!("{} {field} = {label}", intake.name),
                field,
            );
        }
    }
    let (twice, key) = intake.body.with_first_key_twice().unwrap();
    let answer = world.send(&intake, twice, "application/json").await;
    assert_refused(&answer, "the event with its id twice", &key);
    let (bytes, content_type) = intake.body.raw();
    let accepted = world.send(&intake, bytes, content_type).await;
    assert_eq!(accepted.status, 202, "{:?}", accepted.json());
    assert_eq!(
        accepted.json()["duplicate"],
        false,
        "no refused event was recorded"
    );
}

#[tokio::test]
async fn dates_in_paths_and_query_strings_are_bounded_and_named() {
    let app = TestApp::spawn().await;
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let workout = id_of(&ok(&app
        .open_workout(
            &coordinator,
            &json!({"reference": "W-DATES", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": day(10)}),
        )
        .await));
    let service = app.service_token("voting").await;
    let yesterday = day(1);
    let hostile_dates = [
        "-5000-01-01",
        "%2B10000-01-15",
        "10000-01-15",
        "0000-01-01",
        "1899-12-31",
        "2026-02-30",
        "2026-11-24%00",
        "2026-11-24%E2%80%AE",
    ];
    for date in hostile_dates {
        let gets: Vec<(String, &str, &str)> = vec![
            (
                workout_path(workout, &format!("/exposures?as_of={date}")),
                "as_of",
                &coordinator.token,
            ),
            (
                format!("/registry/v1/internal/workouts/{workout}/exposures?as_of={date}"),
                "as_of",
                &service,
            ),
            (
                workout_path(workout, &format!("/exposures/export.csv?as_of={date}")),
                "as_of",
                &coordinator.token,
            ),
            (
                workout_path(workout, &format!("/exposures/export.xlsx?as_of={date}")),
                "as_of",
                &coordinator.token,
            ),
            (
                workout_path(
                    workout,
                    &format!("/exposures/drift?reference={date}&as_of={yesterday}"),
                ),
                "reference",
                &coordinator.token,
            ),
            (
                workout_path(
                    workout,
                    &format!("/exposures/drift?reference={yesterday}&as_of={date}"),
                ),
                "as_of",
                &coordinator.token,
            ),
            (
                workout_path(workout, &format!("/other-claims?as_of={date}")),
                "as_of",
                &coordinator.token,
            ),
            (
                workout_path(workout, &format!("/facilities?as_of={date}")),
                "as_of",
                &coordinator.token,
            ),
            (
                workout_path(workout, &format!("/fx-rates/{date}")),
                "date",
                &coordinator.token,
            ),
            (
                workout_path(workout, &format!("/fx-rates/{date}/versions")),
                "date",
                &coordinator.token,
            ),
        ];
        for (path, parameter, token) in gets {
            let answer = app.call(Method::GET, &path, Some(token), None).await;
            assert_refused(&answer, &format!("GET {path}"), parameter);
            assert_eq!(answer.status, 400, "GET {path}: {:?}", answer.json());
            assert!(
                answer.json()["detail"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(&format!("{parameter}: "))),
                "GET {path}: {:?}",
                answer.json()
            );
        }
        let put = app
            .set_fx_rates(
                &coordinator,
                workout,
                date,
                &json!({"rates": {"USD": "3.75"}, "source": "SAMA"}),
            )
            .await;
        assert_refused(&put, &format!("PUT fx-rates/{date}"), "date");
    }
    // The edges of the range are dates like any other: no 500, answered as written.
    for edge in ["1900-01-01", "9999-12-31"] {
        let answer = app
            .set_fx_rates(
                &coordinator,
                workout,
                edge,
                &json!({"rates": {"USD": "3.75"}, "source": "SAMA"}),
            )
            .await;
        assert_eq!(answer.status, 200, "{edge}: {:?}", answer.json());
        assert_eq!(answer.json()["date"], edge);
        let future = app.snapshot(&coordinator, workout, edge).await;
        assert!(
            future.status.is_success() || future.status.is_client_error(),
            "{edge}: {:?}",
            future.json()
        );
    }
    let earliest = app
        .get(
            &workout_path(workout, "/facilities?as_of=1900-01-01"),
            &coordinator,
        )
        .await;
    assert_eq!(earliest.status, 200, "{:?}", earliest.json());
    for (n, edge) in ["1900-01-01", "9999-12-31"].into_iter().enumerate() {
        let opened = app
            .open_workout(
                &coordinator,
                &json!({"reference": format!("W-EDGE-{n}"), "borrower_id": borrower_id,
                        "base_currency": "SAR", "governing_law": "KSA", "opened_on": edge}),
            )
            .await;
        assert_eq!(opened.status, 201, "{edge}: {:?}", opened.json());
        assert_eq!(opened.json()["opened_on"], edge);
    }
    let far = app
        .send_information_request(
            &coordinator,
            workout,
            &json!({"subject": "Accounts", "sent_on": yesterday, "due_on": "9999-12-31"}),
        )
        .await;
    assert_eq!(far.status, 201, "{:?}", far.json());
    // A signing key id that could be no key's is not looked for.
    for kid in ["k-%00", "k-%0D%0A", "%E2%80%AE", "k-x%20y"] {
        let answer = app
            .call(
                Method::POST,
                &format!("/registry/v1/signing-keys/{kid}/retire"),
                Some(&app.admin.token),
                None,
            )
            .await;
        answer.assert_problem(404, "not_found");
    }
}

/// The texts of every cell of an Excel workbook (its shared strings and inline strings), and
/// whether any sheet holds a formula.
fn workbook_texts(bytes: &[u8]) -> (Vec<String>, bool) {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut texts = Vec::new();
    let mut formula = false;
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut file, &mut xml).unwrap();
        if name.starts_with("xl/worksheets/") && xml.contains("<f>") {
            formula = true;
        }
        if name == "xl/sharedStrings.xml" || name.starts_with("xl/worksheets/") {
            for piece in xml.split("<t").skip(1) {
                let Some((_, rest)) = piece.split_once('>') else {
                    continue;
                };
                let Some((text, _)) = rest.split_once("</t>") else {
                    continue;
                };
                texts.push(
                    text.replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&apos;", "'")
                        .replace("&amp;", "&"),
                );
            }
        }
    }
    (texts, formula)
}

/// Whether a spreadsheet would run `cell` as a formula (a number such as `-1.5` is a number).
fn starts_a_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err()
}

#[tokio::test]
async fn text_a_spreadsheet_would_run_is_neutralised_in_every_export() {
    let app = TestApp::spawn().await;
    let coordinator = app
        .bank_admin("=HYPERLINK(\"http://evil.test\",\"Coordinator\")")
        .await;
    let sly = app.bank_admin("@SUM(1+1) Sly Bank").await;
    let borrower_id = app.institution("borrower", "+Distressed Co").await;
    let workout = id_of(&ok(&app
        .open_workout(
            &coordinator,
            &json!({"reference": "W-FORMULA", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": day(10)}),
        )
        .await));
    add(&app, &coordinator, workout, sly.institution_id, "creditor").await;
    let plain = |reference: &str| {
        json!({"reference": reference, "facility_type": "term_loan", "currency": "SAR",
               "committed": "100", "outstanding_principal": "100", "accrued_interest": "0",
               "days_past_due": 0, "fees_and_penalties": "0", "secured": false, "class": "unsecured",
               "related_party": false, "position_date": day(1)})
    };
    ok(&app
        .create_facility(&coordinator, workout, &plain("-2+3 loan"))
        .await);
    ok(&app
        .create_facility(&sly, workout, &plain("+1+1 line"))
        .await);
    ok(&app
        .post(
            &workout_path(workout, "/other-claims"),
            &coordinator,
            &json!({"claimant": "=cmd|' /C calc'!A0", "kind": "other", "currency": "SAR",
                    "amount": "10"}),
        )
        .await);
    let as_of = day(0);
    let frozen = id_of(&ok(&app
        .freeze_snapshot(&coordinator, workout, &as_of)
        .await));
    let exports = [
        workout_path(workout, &format!("/exposures/export.csv?as_of={as_of}")),
        workout_path(workout, &format!("/snapshots/{frozen}/export.csv")),
        workout_path(workout, &format!("/exposures/export.xlsx?as_of={as_of}")),
        workout_path(workout, &format!("/snapshots/{frozen}/export.xlsx")),
    ];
    let expected = [
        "'=HYPERLINK(\"http://evil.test\",\"Coordinator\")",
        "'@SUM(1+1) Sly Bank",
        "'-2+3 loan",
        "'+1+1 line",
        "'=cmd|' /C calc'!A0",
    ];
    for path in exports {
        let export = app.get(&path, &coordinator).await;
        assert_eq!(export.status, 200, "{path}: {:?}", export.json());
        let cells: Vec<String> = if path.contains(".csv") {
            let mut reader = csv::Reader::from_reader(export.bytes.as_slice());
            reader
                .records()
                .flat_map(|record| {
                    record
                        .unwrap()
                        .iter()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect()
        } else {
            let (texts, formula) = workbook_texts(&export.bytes);
            assert!(!formula, "{path}: a cell holds a formula");
            texts
        };
        for cell in &cells {
            assert!(
                !starts_a_formula(cell),
                "{path}: a cell starts a formula: {cell:?}"
            );
        }
        // The workbook has no sheet of other claims (the CSV has their rows).
        let shown = if path.contains(".csv") {
            &expected[..]
        } else {
            &expected[..4]
        };
        for text in shown {
            assert!(
                cells.iter().any(|cell| cell == *text),
                "{path}: {text:?} is not among {cells:?}"
            );
        }
    }
}
