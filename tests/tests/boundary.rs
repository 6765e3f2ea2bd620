//! Every kind of bad request gets problem+json with the right status, and changes nothing.

use reqwest::Method;
use serde_json::json;
use workout_tests::TestApp;

async fn institution_count(app: &TestApp) -> usize {
    let page = app
        .get("/registry/v1/institutions?limit=200", &app.admin)
        .await
        .json();
    page["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn bad_requests_get_problem_json_with_the_right_status_and_change_nothing() {
    let app = TestApp::spawn().await;
    let before = institution_count(&app).await;
    let post_raw = |body: Vec<u8>, content_type: &'static str| {
        let request = app
            .client
            .post(format!("{}/registry/v1/institutions", app.url))
            .bearer_auth(&app.admin.token)
            .header("content-type", content_type)
            .body(body);
        async move { workout_tests::read(request.send().await.unwrap()).await }
    };

    post_raw(b"{\"kind\": \"bank\", ".to_vec(), "application/json")
        .await
        .assert_problem(400, "malformed_json");
    post_raw(b"kind=bank".to_vec(), "application/x-www-form-urlencoded")
        .await
        .assert_problem(415, "unsupported_media_type");
    let missing = post_raw(br#"{"kind": "bank"}"#.to_vec(), "application/json").await;
    missing.assert_problem(422, "validation_failed");
    assert_eq!(missing.json()["errors"][0]["field"], "name");
    let unknown = post_raw(
        br#"{"kind": "castle", "name": "X", "country": "SA"}"#.to_vec(),
        "application/json",
    )
    .await;
    unknown.assert_problem(422, "validation_failed");
    assert_eq!(unknown.json()["errors"][0]["field"], "kind");
    assert!(
        !unknown.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("line 1"),
        "the message names the field, not a position in the text"
    );
    let huge = format!(
        r#"{{"kind": "bank", "name": "{}", "country": "SA"}}"#,
        "x".repeat(300 * 1024)
    );
    post_raw(huge.into_bytes(), "application/json")
        .await
        .assert_problem(413, "payload_too_large");

    let invalid = app
        .post("/registry/v1/institutions", &app.admin, &json!({"kind": "bank", "name": " ", "country": "Saudi", "lei": "5493001KJTIIGC8Y1R13"}))
        .await;
    invalid.assert_problem(422, "validation_failed");
    let problem = invalid.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "country", "lei"]);

    app.call(Method::GET, "/registry/v1/no-such-thing", None, None)
        .await
        .assert_problem(404, "route_not_found");
    app.call(Method::GET, "/elsewhere", None, None)
        .await
        .assert_problem(404, "route_not_found");
    app.call(
        Method::DELETE,
        "/registry/v1/institutions",
        Some(&app.admin.token),
        None,
    )
    .await
    .assert_problem(405, "method_not_allowed");
    app.get("/registry/v1/institutions/not-a-uuid", &app.admin)
        .await
        .assert_problem(400, "invalid_path_parameter");
    app.get("/registry/v1/institutions?limit=lots", &app.admin)
        .await
        .assert_problem(400, "invalid_query_parameter");
    app.get("/registry/v1/institutions?limit=0", &app.admin)
        .await
        .assert_problem(400, "invalid_query_parameter");
    app.get("/registry/v1/institutions?cursor=nope", &app.admin)
        .await
        .assert_problem(400, "invalid_query_parameter");

    assert_eq!(
        institution_count(&app).await,
        before,
        "no bad request changed anything"
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_sane_incoming_one_is_kept() {
    let app = TestApp::spawn().await;
    let made = app.call(Method::GET, "/healthz", None, None).await;
    assert!(uuid::Uuid::parse_str(made.headers["x-request-id"].to_str().unwrap()).is_ok());
    let kept = app
        .call_with(
            Method::GET,
            "/registry/v1/nope",
            None,
            None,
            &[("x-request-id", "trace-abc-123")],
        )
        .await;
    assert_eq!(kept.headers["x-request-id"], "trace-abc-123");
    let odd = app
        .call_with(
            Method::GET,
            "/healthz",
            None,
            None,
            &[("x-request-id", "has spaces and <tags>")],
        )
        .await;
    assert_ne!(odd.headers["x-request-id"], "has spaces and <tags>");
}

#[tokio::test]
async fn health_readiness_metrics_openapi_and_docs_answer_for_every_service() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.json()["status"],
        "ok"
    );
    for service in ["registry", "mandates", "voting", "minutes", "notifications"] {
        for probe in ["healthz", "readyz"] {
            let answer = app
                .call(Method::GET, &format!("/{service}/{probe}"), None, None)
                .await;
            assert_eq!(answer.status, 200, "{service} {probe}");
        }
        let doc = app
            .call(Method::GET, &format!("/{service}/openapi.json"), None, None)
            .await;
        assert_eq!(doc.status, 200, "{service} openapi");
        assert!(
            doc.json()["openapi"].as_str().unwrap().starts_with("3."),
            "{service}"
        );
        let page = app
            .call(Method::GET, &format!("/{service}/docs/"), None, None)
            .await;
        assert_eq!(page.status, 200, "{service} docs page");
        assert!(
            String::from_utf8_lossy(&page.bytes).contains("swagger-ui"),
            "{service} docs page"
        );
        let script = app
            .call(
                Method::GET,
                &format!("/{service}/docs/swagger-ui-bundle.js"),
                None,
                None,
            )
            .await;
        assert_eq!(
            script.status, 200,
            "{service} docs assets are served from the binary"
        );
        // The page makes no outside call: the online spec validator is off.
        let initializer = app
            .call(
                Method::GET,
                &format!("/{service}/docs/swagger-initializer.js"),
                None,
                None,
            )
            .await;
        assert_eq!(initializer.status, 200, "{service} docs initializer");
        let initializer = String::from_utf8_lossy(&initializer.bytes);
        assert!(
            initializer.contains(r#""validatorUrl": "none""#),
            "{service}: {initializer}"
        );
    }
    let metrics = app.call(Method::GET, "/metrics", None, None).await;
    let text = String::from_utf8_lossy(&metrics.bytes);
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains(r#"route="/registry/healthz""#), "{text}");
}

#[tokio::test]
async fn readiness_fails_with_503_problem_json_when_the_database_is_gone() {
    let mut app = TestApp::spawn().await;
    assert_eq!(
        app.call(Method::GET, "/registry/readyz", None, None)
            .await
            .status,
        200
    );
    workout_store::pool::drop_database(&app.database_url)
        .await
        .unwrap();
    let answer = app.call(Method::GET, "/registry/readyz", None, None).await;
    answer.assert_problem(503, "service_unavailable");
    app.stop().await;
}

#[tokio::test]
async fn every_documented_endpoint_refuses_a_missing_or_bad_token() {
    let app = TestApp::spawn().await;
    let public = [
        "/registry/v1/auth/token",
        "/registry/v1/.well-known/jwks.json",
        "/registry/v1/.well-known/document-keys.json",
        // The one-click link of a formal notice: its token is the proof (notices.rs checks that a
        // wrong or another recipient's token gets 404).
        "/notifications/v1/acknowledgements/{delivery_id}",
    ];
    let mut checked = 0;
    for service in ["registry", "mandates", "voting", "minutes", "notifications"] {
        let doc = app
            .call(Method::GET, &format!("/{service}/openapi.json"), None, None)
            .await
            .json();
        for (path, operations) in doc["paths"].as_object().unwrap() {
            if public.contains(&path.as_str()) {
                continue;
            }
            let concrete = path
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        uuid::Uuid::now_v7().to_string()
                    } else {
                        segment.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            for method in operations.as_object().unwrap().keys() {
                let method: Method = method.to_uppercase().parse().unwrap();
                let body = (method == Method::POST).then(|| json!({}));
                app.call(method.clone(), &concrete, None, body.as_ref())
                    .await
                    .assert_problem(401, "missing_token");
                app.call(
                    method.clone(),
                    &concrete,
                    Some("bad.token.here"),
                    body.as_ref(),
                )
                .await
                .assert_problem(401, "invalid_token");
                checked += 1;
            }
        }
    }
    assert!(checked >= 14, "only {checked} operations checked");
}

#[tokio::test]
async fn a_caller_without_the_right_is_refused_as_such_whatever_its_body() {
    // The body is judged only after the caller: a bank user posting malformed JSON where only
    // platform admins may post is told 403, every time, never 400 (actix completes the extractors
    // in no fixed order, so a body judged at extraction would answer either).
    let app = TestApp::spawn().await;
    let bank = app.bank_admin("Curious Bank").await;
    for attempt in 0..25 {
        let answer = app
            .client
            .post(format!("{}/registry/v1/institutions", app.url))
            .bearer_auth(&bank.token)
            .header("content-type", "application/json")
            .body("{\"kind\": \"bank\", ")
            .send()
            .await
            .unwrap();
        let answer = workout_tests::read(answer).await;
        assert_eq!(answer.status, 403, "attempt {attempt}: {:?}", answer.json());
    }
    // Without a token, 401 comes first too.
    let answer = app
        .client
        .post(format!("{}/registry/v1/institutions", app.url))
        .header("content-type", "text/plain")
        .body("not json")
        .send()
        .await
        .unwrap();
    workout_tests::read(answer)
        .await
        .assert_problem(401, "missing_token");
}

#[tokio::test]
async fn hostile_text_and_extreme_dates_are_refused_by_name_never_a_500() {
    let app = TestApp::spawn().await;
    let before = institution_count(&app).await;
    // A NUL (which the database cannot store) or another control character, in any body.
    let nul = app
        .post(
            "/registry/v1/institutions",
            &app.admin,
            &json!({"kind": "bank", "name": "Bank\u{0}X", "country": "SA"}),
        )
        .await;
    nul.assert_problem(422, "validation_failed");
    assert_eq!(nul.json()["errors"][0]["field"], "name");
    let bell = app
        .post(
            "/registry/v1/institutions",
            &app.admin,
            &json!({"kind": "bank", "name": "Bank\u{7}X", "country": "SA"}),
        )
        .await;
    bell.assert_problem(422, "validation_failed");
    let sign_in = app
        .call(
            Method::POST,
            "/registry/v1/auth/token",
            None,
            Some(&json!({"grant_type": "password", "email": "a\u{0}@x.test", "password": "x"})),
        )
        .await;
    sign_in.assert_problem(422, "validation_failed");
    assert_eq!(sign_in.json()["errors"][0]["field"], "email");
    assert_eq!(institution_count(&app).await, before, "nothing was written");

    // Dates the database cannot store, in a body, a query or a path.
    let bank = app.bank_admin("Hostile Input Bank").await;
    let borrower = app.institution("borrower", "Hostile Co").await;
    let case = |opened_on: &str| {
        json!({"reference": format!("W-{opened_on}"), "borrower_id": borrower, "base_currency": "SAR",
               "governing_law": "KSA", "opened_on": opened_on})
    };
    let refused = app.open_workout(&bank, &case("-200000-01-01")).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.json()["errors"][0]["field"], "opened_on");
    let opened = app.open_workout(&bank, &case("2026-11-02")).await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let w = workout_tests::id_of(&opened.json());
    let query = app.snapshot(&bank, w, "-200000-01-01").await;
    query.assert_problem(400, "invalid_query_parameter");
    assert!(
        query.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("as_of: ")
    );
    let path = app
        .get(
            &format!("/registry/v1/workouts/{w}/fx-rates/-200000-01-01"),
            &bank,
        )
        .await;
    path.assert_problem(400, "invalid_path_parameter");
    assert!(
        path.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("date: ")
    );

    // A control character in a CSV schedule names its line.
    let csv = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees_and_penalties,secured,class,related_party\n\
               T\u{1}X,term_loan,SAR,1,1,0,0,0,0,false,unsecured,false\n";
    let imported = app.import_facilities(&bank, w, csv).await;
    imported.assert_problem(422, "validation_failed");
    assert_eq!(imported.json()["errors"][0]["field"], "line 2");
}

#[tokio::test]
async fn a_key_given_twice_is_refused_not_read_as_its_last_value() {
    let app = TestApp::spawn().await;
    let bank = app.bank_admin("Opening Bank").await;
    let borrower = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .open_workout(
            &bank,
            &json!({"reference": "WO-TWICE", "borrower_id": borrower, "base_currency": "SAR",
                    "governing_law": "KSA", "opened_on": "2026-11-02"}),
        )
        .await;
    let workout = workout_tests::id_of(&opened.json());
    let put = |body: &'static str| {
        let request = app
            .client
            .put(format!(
                "{}/registry/v1/workouts/{workout}/fx-rates/2026-11-20",
                app.url
            ))
            .bearer_auth(&bank.token)
            .header("content-type", "application/json")
            .body(body);
        async move { workout_tests::read(request.send().await.unwrap()).await }
    };
    let twice =
        put(r#"{"rates": {"USD": "3.75", "USD": "9.99"}, "source": "SAMA reference rate"}"#).await;
    twice.assert_problem(422, "validation_failed");
    assert_eq!(twice.json()["errors"][0]["field"], "rates.USD");
    let rates = app
        .get(
            &format!("/registry/v1/workouts/{workout}/fx-rates/2026-11-20"),
            &bank,
        )
        .await;
    assert_eq!(rates.status, 404, "nothing was stored");
    let once = put(r#"{"rates": {"USD": "3.75"}, "source": "SAMA reference rate"}"#).await;
    assert_eq!(once.status, 200, "{:?}", once.json());
}
