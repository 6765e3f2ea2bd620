//! Snapshots that do not change after the fact: FX rates kept as versions (a correction never
//! rewrites a past snapshot) and frozen record-date snapshots signed by the registry.

use chrono::{Days, Utc};
use diesel_async::SimpleAsyncConnection;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    creditors: Vec<Actor>,
    borrower: Actor,
}

async fn open_case(app: &TestApp, creditor_count: usize) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-FROZEN", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02"}),
        )
        .await;
    let workout = id_of(&opened.json());
    let mut creditors = Vec::new();
    for n in 0..creditor_count {
        let creditor = app.bank_admin(&format!("Creditor Bank {n}")).await;
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": creditor.institution_id, "role": "creditor",
                        "contacts": [{"name": "Desk", "email": format!("desk{n}@creditor.test"), "language": "en"}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
        creditors.push(creditor);
    }
    Case {
        workout,
        coordinator,
        creditors,
        borrower,
    }
}

fn facility(reference: &str, currency: &str, principal: &str, class: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": currency, "committed": principal,
        "outstanding_principal": principal, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": class == "secured", "class": class, "related_party": false,
        "collateral": [], "guarantees": []
    })
}

fn days_ago(days: u64) -> String {
    (Utc::now().date_naive() - Days::new(days)).to_string()
}

fn today() -> String {
    days_ago(0)
}

/// Moves everything recorded so far (facility versions, rate versions) `days` days back, as if it
/// had been entered then.
async fn backdate_everything(app: &TestApp, days: u32) {
    let mut conn = app.pool("registry").get().await.unwrap();
    conn.batch_execute(&format!(
        "UPDATE facility_versions SET valid_from = valid_from - interval '{days} days';
         UPDATE fx_rate_versions SET entered_at = entered_at - interval '{days} days';"
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn a_rate_correction_makes_a_new_version_and_never_rewrites_a_past_snapshot() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 1).await;
    let w = case.workout;
    let created = app
        .create_facility(
            &case.creditors[0],
            w,
            &facility("A-1", "USD", "1000", "unsecured"),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let then = days_ago(2);
    let first = app
        .set_fx_rates(
            &case.coordinator,
            w,
            &then,
            &json!({"rates": {"USD": "3.75", "EUR": "4.05"}, "source": "SAMA reference rate"}),
        )
        .await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    assert_eq!(first.json()["version"], 1);
    backdate_everything(&app, 3).await;

    let past = app.snapshot(&case.coordinator, w, &then).await;
    assert_eq!(past.status, 200, "{:?}", past.json());
    assert_eq!(past.json()["total"]["amount"], "3750.00");

    // A correction must say why; nothing changes without one.
    let correction = json!({"rates": {"USD": "3.76"}, "source": "SAMA reference rate"});
    let refused = app
        .set_fx_rates(&case.coordinator, w, &then, &correction)
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.json()["errors"][0]["field"], "reason");
    let corrected = app
        .set_fx_rates(
            &case.coordinator,
            w,
            &then,
            &json!({"rates": {"USD": "3.76"}, "source": "SAMA reference rate (revised)",
                    "reason": "Typo in the USD rate"}),
        )
        .await;
    assert_eq!(corrected.status, 200, "{:?}", corrected.json());
    let corrected = corrected.json();
    assert_eq!(corrected["version"], 2);
    assert_eq!(
        corrected["rates"],
        json!({"EUR": "4.05", "USD": "3.76"}),
        "currencies not named keep their rate"
    );
    assert_eq!(corrected["entered_by"], json!(case.coordinator.user_id));

    let again = app.snapshot(&case.coordinator, w, &then).await;
    assert_eq!(
        again.bytes, past.bytes,
        "the past snapshot reproduces byte for byte"
    );
    assert_eq!(again.json()["content_hash"], past.json()["content_hash"]);
    let now = app.snapshot(&case.coordinator, w, &today()).await.json();
    assert_eq!(now["total"]["amount"], "3760.00", "a new snapshot shows it");
    assert_eq!(now["rates_date"], then.as_str());
    assert_ne!(now["content_hash"], past.json()["content_hash"]);

    // The current version, and the history a page at a time.
    let current = app.fx_rates(&case.creditors[0], w, &then).await.json();
    assert_eq!(current["version"], 2);
    assert_eq!(current["reason"], "Typo in the USD rate");
    let page = app
        .fx_rate_versions(&case.borrower, w, &then, "?limit=1")
        .await
        .json();
    assert_eq!(page["items"][0]["version"], 1);
    assert_eq!(page["items"][0]["rates"]["USD"], "3.75");
    assert_eq!(page["items"][0]["source"], "SAMA reference rate");
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .fx_rate_versions(
            &case.borrower,
            w,
            &then,
            &format!("?limit=1&cursor={cursor}"),
        )
        .await
        .json();
    assert_eq!(rest["items"][0]["version"], 2);
    assert!(rest.get("next_cursor").is_none());
    app.fx_rates(&case.coordinator, w, &days_ago(5))
        .await
        .assert_problem(404, "not_found");
    let chain = String::from_utf8(app.workout_audit(&case.coordinator, w).await.bytes).unwrap();
    assert!(chain.contains("fx_rates_set") && chain.contains("Typo in the USD rate"));
}

/// The JWS `signature` verified with the key of its `kid` in the JWKS the registry publishes;
/// returns its payload.
async fn verified_claims(app: &TestApp, signature: &str) -> Value {
    verified_with(app, "/registry/v1/.well-known/jwks.json", signature).await
}

/// The JWS `signature` verified with the key of its `kid` in the key set at `keys`.
async fn verified_with(app: &TestApp, keys: &str, signature: &str) -> Value {
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    let jwks = app.call(reqwest::Method::GET, keys, None, None).await;
    assert_eq!(jwks.status, 200);
    let set: JwkSet = serde_json::from_slice(&jwks.bytes).unwrap();
    let kid = decode_header(signature).unwrap().kid.unwrap();
    let jwk = set.find(&kid).expect("the signing key is published");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    decode::<Value>(signature, &key, &validation)
        .unwrap()
        .claims
}

#[tokio::test]
async fn a_frozen_snapshot_reads_the_same_after_edits_and_corrections_and_its_signature_verifies() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 2).await;
    let w = case.workout;
    let created = app
        .create_facility(
            &case.creditors[0],
            w,
            &facility("A-1", "USD", "1000", "unsecured"),
        )
        .await;
    let a1 = id_of(&created.json());
    app.create_facility(
        &case.creditors[1],
        w,
        &facility("B-1", "SAR", "500", "secured"),
    )
    .await;
    let then = days_ago(2);
    app.set_fx_rates(
        &case.coordinator,
        w,
        &then,
        &json!({"rates": {"USD": "3.75"}, "source": "SAMA reference rate"}),
    )
    .await;
    backdate_everything(&app, 3).await;

    // Only the coordinator freezes, and only a day that has begun.
    app.freeze_snapshot(&case.creditors[0], w, &then)
        .await
        .assert_problem(403, "forbidden");
    let tomorrow = (Utc::now().date_naive() + Days::new(2)).to_string();
    app.freeze_snapshot(&case.coordinator, w, &tomorrow)
        .await
        .assert_problem(422, "record_date_in_future");
    let frozen = app.freeze_snapshot(&case.coordinator, w, &then).await;
    assert_eq!(frozen.status, 201, "{:?}", frozen.json());
    let body = frozen.json();
    let id = id_of(&body);
    assert_eq!(
        frozen.headers["location"],
        format!("/registry/v1/workouts/{w}/snapshots/{id}").as_str()
    );
    assert_eq!(body["snapshot"]["total"]["amount"], "4250.00");
    assert_eq!(body["content_hash"], body["snapshot"]["content_hash"]);
    // Each creditor by name, with its share of the total and of its class: 3,750 and 500 of 4,250.
    let lines: Vec<(Value, Value, Value)> = body["snapshot"]["creditors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            (
                line["name"].clone(),
                line["share_of_total"].clone(),
                line["by_class"][0]["share_of_class"].clone(),
            )
        })
        .collect();
    assert!(
        lines.contains(&(
            json!("Creditor Bank 0"),
            json!("88.2352941176"),
            json!("100")
        )) && lines.contains(&(
            json!("Creditor Bank 1"),
            json!("11.7647058824"),
            json!("100")
        )),
        "{lines:?}"
    );
    let read = app.frozen_snapshot(&case.coordinator, w, id, "").await;
    assert_eq!(read.status, 200);
    assert_eq!(read.bytes, frozen.bytes, "read back as frozen");
    let again = app.freeze_snapshot(&case.coordinator, w, &then).await;
    assert_eq!(again.status, 200, "the same content is not frozen twice");
    assert_eq!(again.bytes, frozen.bytes);

    // A facility edit and a rate correction later, it reads the same bytes.
    let edited = app
        .edit_facility(
            &case.creditors[0],
            w,
            a1,
            &facility("A-1", "USD", "400", "unsecured"),
            Some(1),
        )
        .await;
    assert_eq!(edited.status, 200, "{:?}", edited.json());
    let corrected = app
        .set_fx_rates(
            &case.coordinator,
            w,
            &then,
            &json!({"rates": {"USD": "3.80"}, "source": "SAMA reference rate", "reason": "Revised"}),
        )
        .await;
    assert_eq!(corrected.status, 200, "{:?}", corrected.json());
    let later = app.frozen_snapshot(&case.coordinator, w, id, "").await;
    assert_eq!(later.bytes, frozen.bytes, "frozen means frozen");
    let now = app.freeze_snapshot(&case.coordinator, w, &today()).await;
    assert_eq!(now.status, 201, "{:?}", now.json());
    assert_eq!(now.json()["snapshot"]["total"]["amount"], "2020.00");
    assert_ne!(now.json()["content_hash"], body["content_hash"]);

    // The signature verifies with the published JWKS and names this snapshot and its hash.
    let claims = verified_claims(&app, body["signature"].as_str().unwrap()).await;
    assert_eq!(claims["purpose"], "workout-record-date-snapshot");
    assert_eq!(claims["snapshot_id"], json!(id));
    assert_eq!(claims["workout"], json!(w));
    assert_eq!(claims["as_of"], then.as_str());
    assert_eq!(claims["content_hash"], body["content_hash"]);
    assert_eq!(claims["frozen_at"], body["frozen_at"]);

    // A creditor sees its own line and the totals, with the same hash and signature.
    let own = app
        .frozen_snapshot(&case.creditors[1], w, id, "")
        .await
        .json();
    let lines = own["snapshot"]["creditors"].as_array().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0]["creditor"],
        json!(case.creditors[1].institution_id)
    );
    assert_eq!(own["snapshot"]["total"]["amount"], "4250.00");
    assert_eq!(own["snapshot"]["view"], "own_line_and_totals");
    assert_eq!(lines[0]["name"], "Creditor Bank 1");
    assert_eq!(lines[0]["share_of_total"], "11.7647058824");
    let own_text = String::from_utf8(
        app.frozen_snapshot(&case.creditors[1], w, id, "")
            .await
            .bytes,
    )
    .unwrap();
    assert!(
        !own_text.contains("Creditor Bank 0") && !own_text.contains("88.2352941176"),
        "nothing of the other creditor"
    );
    assert_eq!(own["signature"], body["signature"]);
    assert_eq!(
        verified_claims(&app, own["signature"].as_str().unwrap()).await["content_hash"],
        own["snapshot"]["content_hash"]
    );
    assert_eq!(
        app.frozen_snapshot(&case.borrower, w, id, "").await.bytes,
        frozen.bytes
    );
    app.frozen_snapshot(&case.coordinator, w, Uuid::now_v7(), "")
        .await
        .assert_problem(404, "not_found");

    // Listed a page at a time; served whole to other services.
    let page = app
        .frozen_snapshots(&case.creditors[0], w, "?limit=1")
        .await
        .json();
    assert_eq!(page["items"][0]["id"], json!(id));
    assert_eq!(page["items"][0]["content_hash"], body["content_hash"]);
    assert!(page["next_cursor"].is_string());
    let service = app.service_token("voting").await;
    let internal = app.internal_frozen_snapshot(&service, w, id).await;
    assert_eq!(internal.status, 200);
    assert_eq!(internal.bytes, frozen.bytes);
    app.internal_frozen_snapshot(&case.coordinator.token, w, id)
        .await
        .assert_problem(401, "invalid_token");
    let chain = String::from_utf8(app.workout_audit(&case.coordinator, w).await.bytes).unwrap();
    assert!(chain.contains("snapshot_frozen"));
}

#[tokio::test]
async fn a_snapshot_of_a_future_date_is_refused_live_and_frozen_and_today_freezes_once() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 1).await;
    let w = case.workout;
    app.create_facility(
        &case.creditors[0],
        w,
        &facility("A-1", "SAR", "1000", "unsecured"),
    )
    .await;
    // Two days ahead is after today in every time zone, the workout's (Asia/Riyadh) included.
    let ahead = (Utc::now().date_naive() + Days::new(2)).to_string();
    let live = app.snapshot(&case.coordinator, w, &ahead).await;
    live.assert_problem(422, "record_date_in_future");
    assert!(
        live.json()["detail"].as_str().unwrap().contains(&ahead),
        "{:?}",
        live.json()
    );
    app.snapshot(&case.creditors[0], w, &ahead)
        .await
        .assert_problem(422, "record_date_in_future");
    app.freeze_snapshot(&case.coordinator, w, &ahead)
        .await
        .assert_problem(422, "record_date_in_future");
    let listed = app.frozen_snapshots(&case.coordinator, w, "").await.json();
    assert_eq!(listed["items"], json!([]), "nothing frozen");
    // Today is a day that has begun: given, and frozen as it stands.
    let live = app.snapshot(&case.coordinator, w, &today()).await;
    assert_eq!(live.status, 200, "{:?}", live.json());
    assert_eq!(live.json()["total"]["amount"], "1000.00");
    // Freezing honours Idempotency-Key: a retry replays the first answer.
    let path = format!("/registry/v1/workouts/{w}/snapshots");
    let body = json!({"as_of": today()});
    let headers = [("idempotency-key", "freeze-today-1")];
    let first = app
        .call_with(
            reqwest::Method::POST,
            &path,
            Some(&case.coordinator.token),
            Some(&body),
            &headers,
        )
        .await;
    assert_eq!(first.status, 201, "{:?}", first.json());
    let retry = app
        .call_with(
            reqwest::Method::POST,
            &path,
            Some(&case.coordinator.token),
            Some(&body),
            &headers,
        )
        .await;
    assert_eq!(retry.status, 201);
    assert!(retry.headers.contains_key("idempotent-replayed"));
    assert_eq!(retry.bytes, first.bytes);
    assert_eq!(
        app.frozen_snapshots(&case.coordinator, w, "")
            .await
            .items()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// The rows of a CSV export whose `row` column (the fifth) is `kind`, as cells (no quoted commas
/// in these tests).
fn csv_rows(text: &str, kind: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|line| line.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter(|cells| cells[4] == kind)
        .collect()
}

#[tokio::test]
async fn snapshots_export_as_csv_and_excel_with_the_same_need_to_know_as_the_json() {
    let app = TestApp::spawn().await;
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-EXPORT", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": "2026-11-02"}),
        )
        .await;
    let w = id_of(&opened.json());
    // A bank whose name a spreadsheet would run as a formula.
    let sly = app.bank_admin("=1+2 Sly Bank").await;
    let plain = app.bank_admin("Plain Bank").await;
    for (n, creditor) in [&sly, &plain].into_iter().enumerate() {
        let added = app
            .add_participant(
                &coordinator,
                w,
                &json!({"institution_id": creditor.institution_id, "role": "creditor",
                        "contacts": [{"name": "Desk", "email": format!("desk{n}@x.test"), "language": "en"}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
    }
    app.create_facility(&sly, w, &facility("S-1", "USD", "1000", "unsecured"))
        .await;
    app.create_facility(&plain, w, &facility("P-1", "SAR", "1250", "unsecured"))
        .await;
    let date = today();
    app.set_fx_rates(
        &coordinator,
        w,
        &date,
        &json!({"rates": {"USD": "3.75"}, "source": "SAMA reference rate"}),
    )
    .await;

    let live = app
        .get(
            &format!("/registry/v1/workouts/{w}/exposures/export.csv?as_of={date}"),
            &coordinator,
        )
        .await;
    assert_eq!(live.status, 200, "{}", String::from_utf8_lossy(&live.bytes));
    assert_eq!(live.content_type(), "text/csv; charset=utf-8");
    assert_eq!(
        live.headers["content-disposition"],
        format!("attachment; filename=\"exposures-{date}.csv\"").as_str()
    );
    let text = String::from_utf8(live.bytes.clone()).unwrap();
    assert!(text.starts_with("as_of,base,rates_date,content_hash,row,"));
    // 3,750.00 + 1,250.00 = 5,000.00: 75 % and 25 %.
    let creditors = csv_rows(&text, "creditor");
    let shares: Vec<(&str, &str, &str)> = creditors
        .iter()
        .map(|c| (c[6].as_str(), c[14].as_str(), c[15].as_str()))
        .collect();
    assert!(
        shares.contains(&("'=1+2 Sly Bank", "3750.00", "75"))
            && shares.contains(&("Plain Bank", "1250.00", "25")),
        "{shares:?}"
    );
    assert!(!text.contains(",=1+2"), "no cell starts a formula: {text}");
    assert_eq!(csv_rows(&text, "total")[0][14], "5000.00");
    let hash = app.snapshot(&coordinator, w, &date).await.json()["content_hash"].clone();
    assert_eq!(json!(csv_rows(&text, "total")[0][3]), hash);

    // A creditor's export holds its own line and the totals only.
    let own = app
        .get(
            &format!("/registry/v1/workouts/{w}/exposures/export.csv?as_of={date}"),
            &plain,
        )
        .await;
    let own_text = String::from_utf8(own.bytes).unwrap();
    assert_eq!(csv_rows(&own_text, "creditor").len(), 1);
    assert_eq!(csv_rows(&own_text, "total")[0][14], "5000.00");
    for secret in [
        "Sly Bank",
        "S-1",
        "3750.00",
        &sly.institution_id.to_string(),
    ] {
        assert!(!own_text.contains(secret), "{secret} in {own_text}");
    }

    // The frozen snapshot exports the same way, and the same file every time.
    let frozen = app.freeze_snapshot(&coordinator, w, &date).await;
    assert_eq!(frozen.status, 201, "{:?}", frozen.json());
    let id = id_of(&frozen.json());
    let frozen_csv = app
        .frozen_snapshot(&coordinator, w, id, "/export.csv")
        .await;
    assert_eq!(frozen_csv.status, 200);
    assert_eq!(frozen_csv.bytes, live.bytes, "nothing changed since");
    assert_eq!(
        frozen_csv.headers["content-disposition"],
        format!("attachment; filename=\"snapshot-{date}-{id}.csv\"").as_str()
    );
    let own_frozen = app.frozen_snapshot(&plain, w, id, "/export.csv").await;
    assert_eq!(String::from_utf8(own_frozen.bytes).unwrap(), own_text);

    let xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let book = app
        .frozen_snapshot(&coordinator, w, id, "/export.xlsx")
        .await;
    assert_eq!(book.status, 200);
    assert_eq!(book.content_type(), xlsx_type);
    assert_eq!(
        book.headers["content-disposition"],
        format!("attachment; filename=\"snapshot-{date}-{id}.xlsx\"").as_str()
    );
    assert!(book.bytes.starts_with(b"PK\x03\x04"), "a zip package");
    let again = app
        .frozen_snapshot(&coordinator, w, id, "/export.xlsx")
        .await;
    assert_eq!(again.bytes, book.bytes, "the same workbook every time");
    let own_book = app.frozen_snapshot(&plain, w, id, "/export.xlsx").await;
    assert_eq!(own_book.content_type(), xlsx_type);
    assert_ne!(own_book.bytes, book.bytes, "a creditor's own workbook");
    let live_book = app
        .get(
            &format!("/registry/v1/workouts/{w}/exposures/export.xlsx?as_of={date}"),
            &coordinator,
        )
        .await;
    assert_eq!(live_book.status, 200);
    assert_eq!(live_book.content_type(), xlsx_type);

    // Who may not see the snapshot may not export it.
    let advisor_id = app.institution("advisor", "Counsel").await;
    let advisor = app.user(advisor_id, "member").await;
    app.add_participant(
        &coordinator,
        w,
        &json!({"institution_id": advisor_id, "role": "advisor",
                "contacts": [{"name": "C", "email": "c@counsel.test", "language": "en"}]}),
    )
    .await;
    app.frozen_snapshot(&advisor, w, id, "/export.xlsx")
        .await
        .assert_problem(403, "forbidden");
    app.get(
        &format!("/registry/v1/workouts/{w}/exposures/export.csv?as_of={date}"),
        &advisor,
    )
    .await
    .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_frozen_snapshot_stays_checkable_after_its_key_is_retired() {
    let app = TestApp::spawn().await;
    let case = open_case(&app, 1).await;
    let frozen = app
        .freeze_snapshot(&case.coordinator, case.workout, &today())
        .await;
    assert_eq!(frozen.status, 201, "{:?}", frozen.json());
    let signature = frozen.json()["signature"].as_str().unwrap().to_owned();
    let kid = frozen.json()["kid"].as_str().unwrap().to_owned();

    let rotated = app
        .post("/registry/v1/signing-keys", &app.admin, &json!({}))
        .await;
    assert_eq!(rotated.status, 201, "{:?}", rotated.json());
    let retired = app
        .post(
            &format!("/registry/v1/signing-keys/{kid}/retire"),
            &app.admin,
            &json!({}),
        )
        .await;
    assert_eq!(retired.status, 204, "{:?}", retired.json());

    let jwks = app
        .call(
            reqwest::Method::GET,
            "/registry/v1/.well-known/jwks.json",
            None,
            None,
        )
        .await
        .json();
    assert!(
        !jwks.to_string().contains(&kid),
        "a retired key verifies no token"
    );
    let claims = verified_with(
        &app,
        "/registry/v1/.well-known/document-keys.json",
        &signature,
    )
    .await;
    assert_eq!(claims["content_hash"], frozen.json()["content_hash"]);
}
