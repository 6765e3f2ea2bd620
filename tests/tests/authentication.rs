//! Tokens: sign-in, refresh rotation and reuse, sign-out, service tokens, key rotation, and a
//! matrix of forged tokens that every service must refuse with 401 problem+json. Sign-in as an
//! attacker tries it (the throttle, unknown e-mails, hostile credentials) is in `sign_in_abuse.rs`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use workout_tests::{TestApp, eventually};

/// One endpoint verified locally (the registry) and one verified over HTTP (notifications).
const USER_ENDPOINTS: [&str; 2] = ["/registry/v1/me", "/notifications/v1/events"];

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn signing_key(app: &TestApp) -> (String, Vec<u8>) {
    diesel::table! { signing_keys (kid) { kid -> Text, private_key -> Bytea, created_at -> Timestamptz, retired_at -> Nullable<Timestamptz>, } }
    let mut conn = app.pool("registry").get().await.unwrap();
    signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .order(signing_keys::created_at.desc())
        .select((signing_keys::kid, signing_keys::private_key))
        .first(&mut conn)
        .await
        .unwrap()
}

fn valid_claims(app: &TestApp) -> Value {
    let session = decode_payload(&app.admin.token)["sid"].clone();
    json!({
        "iss": "workout-registry", "sub": app.admin.user_id, "aud": "workout-api",
        "exp": now() + 600, "nbf": now() - 5, "iat": now(), "jti": "t-1", "typ": "user",
        "sid": session, "inst": app.admin.institution_id, "roles": ["platform_admin"]
    })
}

fn decode_payload(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(kid: &str, key: &[u8], claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(key)).unwrap()
}

fn unsigned(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

async fn forged_tokens(app: &TestApp) -> Vec<(&'static str, String, &'static str)> {
    let (kid, key) = signing_key(app).await;
    let claims = valid_claims(app);
    let with = |field: &str, value: Value| {
        let mut c = claims.clone();
        c[field] = value;
        c
    };
    let without = |field: &str| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(field);
        c
    };
    let jwks = app
        .call(
            Method::GET,
            "/registry/v1/.well-known/jwks.json",
            None,
            None,
        )
        .await
        .json();
    let public_x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(public_x.as_bytes()),
        )
        .unwrap()
    };
    let stranger = {
        use aws_lc_rs::signature::Ed25519KeyPair;
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).unwrap();
        sign("k-not-a-registry-key", pkcs8.as_ref(), &claims)
    };
    let good = sign(&kid, &key, &claims);
    let parts: Vec<&str> = good.split('.').collect();
    let tampered_payload = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(with("sub", json!(uuid::Uuid::now_v7())).to_string()),
        parts[2]
    );
    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    signature[10] ^= 0x01;
    let tampered_signature = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(signature)
    );
    let service_token = {
        let mut c = with("aud", json!("workout-services"));
        c["typ"] = json!("service");
        sign(&kid, &key, &c)
    };
    vec![
        (
            "alg none",
            unsigned(
                &json!({"alg": "none", "typ": "JWT", "kid": kid}),
                &claims,
                "",
            ),
            "invalid_token",
        ),
        ("HS256 keyed with the public key", hs256, "invalid_token"),
        ("unknown kid", stranger, "invalid_token"),
        (
            "expired",
            sign(&kid, &key, &with("exp", json!(now() - 120))),
            "token_expired",
        ),
        (
            "nbf in the future",
            sign(&kid, &key, &with("nbf", json!(now() + 600))),
            "invalid_token",
        ),
        (
            "iat in the future",
            sign(&kid, &key, &with("iat", json!(now() + 600))),
            "invalid_token",
        ),
        (
            "wrong iss",
            sign(&kid, &key, &with("iss", json!("someone-else"))),
            "invalid_token",
        ),
        (
            "wrong aud",
            sign(&kid, &key, &with("aud", json!("another-api"))),
            "invalid_token",
        ),
        (
            "missing exp",
            sign(&kid, &key, &without("exp")),
            "invalid_token",
        ),
        (
            "missing nbf",
            sign(&kid, &key, &without("nbf")),
            "invalid_token",
        ),
        ("tampered payload", tampered_payload, "invalid_token"),
        ("tampered signature", tampered_signature, "invalid_token"),
        (
            "service token at a user endpoint",
            service_token,
            "invalid_token",
        ),
        ("garbage", "not.a.token".to_owned(), "invalid_token"),
        ("empty", String::new(), "invalid_token"),
    ]
}

#[tokio::test]
async fn every_forged_token_is_refused_with_401_problem_json_by_every_service() {
    let app = TestApp::spawn().await;
    let (kid, key) = signing_key(&app).await;
    let control = sign(&kid, &key, &valid_claims(&app));
    for endpoint in USER_ENDPOINTS {
        // The control: a correctly signed token with the same claims is accepted, so each refusal
        // below is about what was forged.
        let answer = app.call(Method::GET, endpoint, Some(&control), None).await;
        assert_eq!(
            answer.status,
            200,
            "{endpoint} control: {:?}",
            answer.json()
        );
        app.call(Method::GET, endpoint, None, None)
            .await
            .assert_problem(401, "missing_token");
        for (case, token, code) in forged_tokens(&app).await {
            let answer = app.call(Method::GET, endpoint, Some(&token), None).await;
            assert_eq!(
                answer.status,
                401,
                "{endpoint}, {case}: {:?}",
                answer.json()
            );
            answer.assert_problem(401, code);
            assert_eq!(answer.headers["www-authenticate"], "Bearer", "{case}");
        }
    }
}

#[tokio::test]
async fn a_signed_out_session_is_refused_everywhere() {
    let app = TestApp::spawn().await;
    let user = app.bank_admin("Bank A").await;
    for endpoint in ["/registry/v1/me", "/registry/v1/institutions"] {
        assert_eq!(app.get(endpoint, &user).await.status, 200);
    }
    let signed_out = app
        .call(
            Method::POST,
            "/registry/v1/auth/sign-out",
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(signed_out.status, 204);
    app.get("/registry/v1/me", &user)
        .await
        .assert_problem(401, "session_revoked");
    // The same session checked over HTTP by another service.
    let admin_session = app.sign_in(&app.admin.email, workout_tests::PASSWORD).await;
    assert_eq!(
        app.get("/notifications/v1/events", &admin_session)
            .await
            .status,
        200
    );
    app.call(
        Method::POST,
        "/registry/v1/auth/sign-out",
        Some(&admin_session.token),
        None,
    )
    .await;
    // Other services believe an active session for at most SESSION_CACHE.
    let refused = eventually(
        workout_http::registry_client::SESSION_CACHE + std::time::Duration::from_secs(3),
        || async {
            let answer = app.get("/notifications/v1/events", &admin_session).await;
            (answer.status == 401).then_some(answer)
        },
    )
    .await
    .expect("the sign-out reaches the other services");
    refused.assert_problem(401, "session_revoked");
    // Its refresh token is dead too.
    let refreshed = app
        .call(
            Method::POST,
            "/registry/v1/auth/token",
            None,
            Some(&json!({"grant_type": "refresh_token", "refresh_token": user.refresh_token})),
        )
        .await;
    refreshed.assert_problem(401, "invalid_grant");
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_reuse_revokes_the_session() {
    let app = TestApp::spawn().await;
    let user = app.bank_admin("Bank A").await;
    let grant = json!({"grant_type": "refresh_token", "refresh_token": user.refresh_token});
    let first = app
        .call(Method::POST, "/registry/v1/auth/token", None, Some(&grant))
        .await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    let rotated = first.json();
    assert_ne!(
        rotated["refresh_token"], grant["refresh_token"],
        "the refresh token rotates"
    );
    let new_access = rotated["access_token"].as_str().unwrap();
    assert_eq!(
        app.call(Method::GET, "/registry/v1/me", Some(new_access), None)
            .await
            .status,
        200
    );

    let reuse = app
        .call(Method::POST, "/registry/v1/auth/token", None, Some(&grant))
        .await;
    reuse.assert_problem(401, "invalid_grant");
    // The whole family is revoked: the newest access and refresh tokens no longer work.
    app.call(Method::GET, "/registry/v1/me", Some(new_access), None)
        .await
        .assert_problem(401, "session_revoked");
    let newest = json!({"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]});
    app.call(Method::POST, "/registry/v1/auth/token", None, Some(&newest))
        .await
        .assert_problem(401, "invalid_grant");
}

#[tokio::test]
async fn wrong_passwords_unknown_users_and_disabled_users_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let bank_admin = app.bank_admin("Bank A").await;
    let member = app.user(bank_admin.institution_id, "member").await;
    let attempt = |email: String, password: &str| json!({"grant_type": "password", "email": email, "password": password});
    let wrong = app
        .call(
            Method::POST,
            "/registry/v1/auth/token",
            None,
            Some(&attempt(member.email.clone(), "wrong password 123")),
        )
        .await;
    wrong.assert_problem(401, "invalid_credentials");
    let unknown = app
        .call(
            Method::POST,
            "/registry/v1/auth/token",
            None,
            Some(&attempt("nobody@nowhere.test".into(), "wrong password 123")),
        )
        .await;
    unknown.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.json()["detail"], unknown.json()["detail"]);

    let disabled = app
        .post(
            &format!(
                "/registry/v1/institutions/{}/users/{}/disable",
                bank_admin.institution_id, member.user_id
            ),
            &bank_admin,
            &json!({}),
        )
        .await;
    assert_eq!(disabled.status, 200, "{:?}", disabled.json());
    assert_eq!(disabled.json()["disabled"], true);
    app.get("/registry/v1/me", &member)
        .await
        .assert_problem(401, "session_revoked");
    let again = app
        .call(
            Method::POST,
            "/registry/v1/auth/token",
            None,
            Some(&attempt(member.email.clone(), workout_tests::PASSWORD)),
        )
        .await;
    again.assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn service_tokens_are_refused_at_user_endpoints_and_user_tokens_at_service_endpoints() {
    let app = TestApp::spawn().await;
    let secret =
        workout_registry::identity::auth::set_service_client(&app.pool("registry"), "testsvc")
            .await
            .unwrap();
    let answer = app
        .call(Method::POST, "/registry/v1/auth/token", None, Some(&json!({"grant_type": "client_credentials", "client_id": "testsvc", "client_secret": secret})))
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    let service_token = answer.json()["access_token"].as_str().unwrap().to_owned();
    assert!(answer.json().get("refresh_token").is_none());

    for endpoint in USER_ENDPOINTS {
        app.call(Method::GET, endpoint, Some(&service_token), None)
            .await
            .assert_problem(401, "invalid_token");
    }
    let session = decode_payload(&app.admin.token)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/registry/v1/auth/sessions/{session}");
    let status = app
        .call(Method::GET, &path, Some(&service_token), None)
        .await;
    assert_eq!(status.status, 200);
    assert_eq!(status.json()["active"], true);
    app.call(Method::GET, &path, Some(&app.admin.token), None)
        .await
        .assert_problem(401, "invalid_token");
    let event = json!({"id": uuid::Uuid::now_v7(), "topic": "t", "source": "testsvc", "workout_id": null, "occurred_at": "2026-11-23T10:00:00Z", "payload": {}});
    app.call(
        Method::POST,
        "/notifications/v1/events",
        Some(&app.admin.token),
        Some(&event),
    )
    .await
    .assert_problem(401, "invalid_token");

    let wrong_secret = app
        .call(Method::POST, "/registry/v1/auth/token", None, Some(&json!({"grant_type": "client_credentials", "client_id": "testsvc", "client_secret": "nope"})))
        .await;
    wrong_secret.assert_problem(401, "invalid_client");
}

#[tokio::test]
async fn after_a_key_rotation_new_tokens_verify_everywhere_and_a_retired_key_stops_verifying() {
    let app = TestApp::spawn().await;
    let old_token = app.admin.token.clone();
    assert_eq!(
        app.get("/notifications/v1/events", &app.admin).await.status,
        200
    );
    let old_kid = jsonwebtoken::decode_header(&old_token)
        .unwrap()
        .kid
        .unwrap();

    let rotated = app
        .post("/registry/v1/signing-keys", &app.admin, &json!({}))
        .await;
    assert_eq!(rotated.status, 201, "{:?}", rotated.json());
    let new_kid = rotated.json()["kid"].as_str().unwrap().to_owned();
    let jwks = app
        .call(
            Method::GET,
            "/registry/v1/.well-known/jwks.json",
            None,
            None,
        )
        .await
        .json();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()),
        "{kids:?}"
    );

    let fresh = app.sign_in(&app.admin.email, workout_tests::PASSWORD).await;
    assert_eq!(
        jsonwebtoken::decode_header(&fresh.token)
            .unwrap()
            .kid
            .unwrap(),
        new_kid
    );
    let accepted = eventually(std::time::Duration::from_secs(10), || async {
        (app.get("/notifications/v1/events", &fresh).await.status == 200).then_some(())
    })
    .await;
    assert!(accepted.is_some(), "another service learns the new key");
    assert_eq!(
        app.get("/registry/v1/me", &app.admin).await.status,
        200,
        "old tokens still verify"
    );

    let retire_path = format!("/registry/v1/signing-keys/{old_kid}/retire");
    let key = [("idempotency-key", "retire-old-key")];
    let retire = app
        .call_with(Method::POST, &retire_path, Some(&fresh.token), None, &key)
        .await;
    assert_eq!(retire.status, 204);
    // A retry with the same key replays the answer instead of a 404 for a key already retired.
    let retried = app
        .call_with(Method::POST, &retire_path, Some(&fresh.token), None, &key)
        .await;
    assert_eq!(retried.status, 204);
    assert_eq!(
        retried
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    app.get("/registry/v1/me", &app.admin)
        .await
        .assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_no_other_scheme_is_taken() {
    let app = TestApp::spawn().await;
    let token = app.admin.token.clone();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let header = format!("{scheme} {token}");
        let answer = app
            .call_with(
                Method::GET,
                "/registry/v1/me",
                None,
                None,
                &[("authorization", header.as_str())],
            )
            .await;
        assert_eq!(answer.status, 200, "{scheme}: {:?}", answer.json());
    }
    let basic = format!("Basic {token}");
    app.call_with(
        Method::GET,
        "/registry/v1/me",
        None,
        None,
        &[("authorization", basic.as_str())],
    )
    .await
    .assert_problem(401, "invalid_token");
}
