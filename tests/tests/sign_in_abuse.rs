//! Sign-in as an attacker tries it: unknown e-mails that must look like wrong passwords, guesses
//! raced in parallel, passwords sprayed over many e-mails from one client, forged
//! `X-Forwarded-For` headers and control characters in credentials.
//!
//! The throttle's numbers are set per test (few free failures, a long first wait where a test needs
//! a refusal to still hold a moment later), so that no test depends on how fast the machine is.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};
use workout_registry::schema::{sessions, sign_in_failures};
use workout_runtime::Settings;
use workout_tests::{Answer, PASSWORD, TestApp};

const TOKEN: &str = "/registry/v1/auth/token";

fn password_grant(email: &str, password: &str) -> Value {
    json!({"grant_type": "password", "email": email, "password": password})
}

async fn attempt(app: &TestApp, email: &str, password: &str) -> Answer {
    app.call(
        Method::POST,
        TOKEN,
        None,
        Some(&password_grant(email, password)),
    )
    .await
}

/// The same attempt as if sent through a proxy that names the client in `X-Forwarded-For`.
async fn attempt_from(app: &TestApp, client: &str, email: &str, password: &str) -> Answer {
    app.call_with(
        Method::POST,
        TOKEN,
        None,
        Some(&password_grant(email, password)),
        &[("x-forwarded-for", client)],
    )
    .await
}

/// The `Retry-After` of a 429 `too_many_attempts`, in seconds.
#[track_caller]
fn retry_after(answer: &Answer) -> u64 {
    answer.assert_problem(429, "too_many_attempts");
    answer
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a 429 says in Retry-After how many seconds to wait")
}

async fn failure_rows(app: &TestApp) -> i64 {
    let mut conn = app.pool("registry").get().await.unwrap();
    sign_in_failures::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

async fn session_rows(app: &TestApp) -> i64 {
    let mut conn = app.pool("registry").get().await.unwrap();
    sessions::table.count().get_result(&mut conn).await.unwrap()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Generous allowances, for tests that fail often on purpose but are not about the throttle.
fn no_throttle(settings: &mut Settings) {
    settings.registry.sign_in_failures_per_email = 10_000;
    settings.registry.sign_in_failures_per_address = 10_000;
}

#[tokio::test]
async fn an_unknown_email_a_wrong_password_and_a_disabled_user_get_the_very_same_answer() {
    let app = TestApp::spawn_with(no_throttle).await;
    let bank_admin = app.bank_admin("Bank A").await;
    let member = app.user(bank_admin.institution_id, "member").await;
    let disabled = app.user(bank_admin.institution_id, "member").await;
    let disable = format!(
        "/registry/v1/institutions/{}/users/{}/disable",
        bank_admin.institution_id, disabled.user_id
    );
    assert_eq!(
        app.post(&disable, &bank_admin, &json!({})).await.status,
        200
    );

    let wrong = attempt(&app, &member.email, "wrong password 123").await;
    wrong.assert_problem(401, "invalid_credentials");
    let unknown = attempt(&app, "nobody@nowhere.test", "wrong password 123").await;
    let disabled_right = attempt(&app, &disabled.email, PASSWORD).await;
    for (case, answer) in [("unknown e-mail", &unknown), ("disabled", &disabled_right)] {
        assert_eq!(answer.status, wrong.status, "{case}");
        assert_eq!(
            String::from_utf8_lossy(&answer.bytes),
            String::from_utf8_lossy(&wrong.bytes),
            "{case}: the body, byte for byte"
        );
        for header in ["content-type", "www-authenticate", "cache-control"] {
            assert_eq!(
                answer.headers.get(header),
                wrong.headers.get(header),
                "{case}: {header}"
            );
        }
    }

    // Service clients: an unknown client and a wrong secret alike.
    app.service_token("testsvc").await;
    let client = |id: &str| json!({"grant_type": "client_credentials", "client_id": id, "client_secret": "not the secret"});
    let wrong_secret = app
        .call(Method::POST, TOKEN, None, Some(&client("testsvc")))
        .await;
    wrong_secret.assert_problem(401, "invalid_client");
    let unknown_client = app
        .call(Method::POST, TOKEN, None, Some(&client("no-such-client")))
        .await;
    assert_eq!(unknown_client.status, wrong_secret.status);
    assert_eq!(unknown_client.bytes, wrong_secret.bytes);
}

/// A benchmark, not a check: prints the medians of 30 sign-ins each for an unknown e-mail and for
/// a known e-mail with a wrong password, and their ratio (the issue asks for "within 20%"; timing
/// is not asserted in `cargo test`). The two kinds alternate, so that a slow moment of the machine
/// falls on both.
#[tokio::test]
async fn timing_of_an_unknown_email_and_of_a_wrong_password_is_printed() {
    let app = TestApp::spawn_with(no_throttle).await;
    let user = app.bank_admin("Bank A").await;
    // Warm up both paths (connections, caches).
    attempt(&app, &user.email, "wrong password 123").await;
    attempt(&app, "nobody@nowhere.test", "wrong password 123").await;
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        let started = Instant::now();
        attempt(&app, "nobody@nowhere.test", "wrong password 123")
            .await
            .assert_problem(401, "invalid_credentials");
        unknown.push(started.elapsed());
        let started = Instant::now();
        attempt(&app, &user.email, "wrong password 123")
            .await
            .assert_problem(401, "invalid_credentials");
        wrong.push(started.elapsed());
    }
    let (unknown, wrong) = (median(unknown), median(wrong));
    println!(
        "sign-in timing over 30 tries each: unknown e-mail median {:.1} ms, wrong password median \
         {:.1} ms, ratio {:.3}",
        unknown.as_secs_f64() * 1000.0,
        wrong.as_secs_f64() * 1000.0,
        unknown.as_secs_f64() / wrong.as_secs_f64()
    );
}

#[tokio::test]
async fn repeated_failures_for_one_email_make_it_wait_known_or_unknown_and_no_other_account() {
    let app = TestApp::spawn_with(|settings| {
        settings.registry.sign_in_failures_per_email = 5;
        settings.registry.sign_in_first_delay = Duration::from_secs(30);
    })
    .await;
    let user = app.bank_admin("Bank A").await;
    for email in [user.email.as_str(), "nobody@nowhere.test"] {
        for _ in 0..5 {
            attempt(&app, email, "wrong password 123")
                .await
                .assert_problem(401, "invalid_credentials");
        }
        let refused = attempt(&app, email, "wrong password 123").await;
        assert!((1..=30).contains(&retry_after(&refused)));
    }
    // Even the right password waits: a refused attempt is not checked at all.
    let right = attempt(&app, &user.email, PASSWORD).await;
    retry_after(&right);
    // Other accounts are not affected.
    app.sign_in(&app.admin.email, PASSWORD).await;
}

#[tokio::test]
async fn parallel_wrong_passwords_for_one_email_are_counted_before_any_is_checked() {
    let app = TestApp::spawn_with(|settings| {
        settings.registry.sign_in_failures_per_email = 5;
        settings.registry.sign_in_first_delay = Duration::from_secs(30);
    })
    .await;
    let user = app.bank_admin("Bank A").await;
    let answers = futures_util::future::join_all(
        (0..20).map(|_| attempt(&app, &user.email, "wrong password 123")),
    )
    .await;
    let checked = answers.iter().filter(|a| a.status == 401).count();
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert_eq!(checked + refused.len(), 20);
    assert!(
        checked <= 5,
        "{checked} attempts were checked against the password"
    );
    for answer in refused {
        assert!((1..=30).contains(&retry_after(answer)));
    }
    // The right password does not jump the queue.
    retry_after(&attempt(&app, &user.email, PASSWORD).await);
}

#[tokio::test]
async fn failures_sprayed_over_many_emails_from_one_client_make_that_client_wait() {
    // The default allowance per address; a long first wait so that every refusal below still holds
    // when it is asked, however slow the machine.
    let app = TestApp::spawn_with(|settings| {
        settings.registry.sign_in_first_delay = Duration::from_secs(30);
    })
    .await;
    let allowed = workout_runtime::RegistrySettings::default().sign_in_failures_per_address;
    assert_eq!(allowed, 20);
    let user = app.bank_admin("Bank A").await;
    let mut emails: Vec<String> = (0..47).map(|i| format!("sprayed{i}@bank-a.test")).collect();
    emails.push(user.email.clone());
    // 80 failures over 48 e-mails, each e-mail tried at most twice: the e-mail limit never bites.
    let mut answers = Vec::new();
    for i in 0..80 {
        answers.push(attempt(&app, &emails[i % emails.len()], "Winter2026!").await);
    }
    for (i, answer) in answers.iter().enumerate() {
        if i < 20 {
            answer.assert_problem(401, "invalid_credentials");
        } else {
            assert!(
                (1..=30).contains(&retry_after(answer)),
                "attempt {i}: {answer:?}"
            );
        }
    }
    // The client waits even with the right password of an account it never guessed at.
    retry_after(&attempt(&app, &app.admin.email, PASSWORD).await);
}

#[tokio::test]
async fn the_wait_is_short_grows_with_each_failure_and_the_right_password_works_after_it() {
    let app = TestApp::spawn_with(|settings| {
        settings.registry.sign_in_failures_per_email = 2;
        settings.registry.sign_in_first_delay = Duration::from_secs(1);
        settings.registry.sign_in_max_delay = Duration::from_secs(60);
    })
    .await;
    let user = app.bank_admin("Bank A").await;
    for _ in 0..2 {
        attempt(&app, &user.email, "wrong password 123")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let first = retry_after(&attempt(&app, &user.email, "wrong password 123").await);
    assert_eq!(first, 1, "the first wait is the shortest");
    tokio::time::sleep(Duration::from_secs(first) + Duration::from_millis(100)).await;

    let sent = Instant::now();
    attempt(&app, &user.email, "wrong password 123")
        .await
        .assert_problem(401, "invalid_credentials");
    let second = retry_after(&attempt(&app, &user.email, "wrong password 123").await);
    if sent.elapsed() < Duration::from_secs(1) {
        // Less than a second since that failure, of a 2-second wait: more than 1 s remains.
        assert_eq!(second, 2, "the wait doubles after a further failure");
    } else {
        println!(
            "slow machine: {:?} between failure and refusal",
            sent.elapsed()
        );
        assert!((1..=2).contains(&second));
    }
    tokio::time::sleep(Duration::from_secs(second) + Duration::from_millis(100)).await;

    app.sign_in(&user.email, PASSWORD).await;
    // A success forgets the e-mail's failures: the next mistake is checked, not refused.
    attempt(&app, &user.email, "wrong password 123")
        .await
        .assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_counted_apart() {
    let app = TestApp::spawn_with(|settings| {
        settings.trusted_proxies = workout_runtime::settings::parse_networks("127.0.0.1").unwrap();
        settings.registry.sign_in_failures_per_address = 3;
        settings.registry.sign_in_first_delay = Duration::from_secs(30);
    })
    .await;
    let user = app.bank_admin("Bank A").await;
    // A client's own claim, left of what the proxy appended, is not believed.
    let client_a = "198.51.100.250, 203.0.113.1";
    for i in 0..3 {
        let email = format!("guess{i}@bank-a.test");
        attempt_from(&app, client_a, &email, "Winter2026!")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    retry_after(&attempt_from(&app, client_a, "guess9@bank-a.test", "Winter2026!").await);
    retry_after(&attempt_from(&app, "203.0.113.1", "guess9@bank-a.test", "x").await);
    // Another client behind the same proxy is not slowed by the first one's failures.
    attempt_from(&app, "203.0.113.2", "guess9@bank-a.test", "Winter2026!")
        .await
        .assert_problem(401, "invalid_credentials");
    let signed_in = attempt_from(&app, "203.0.113.2", &user.email, PASSWORD).await;
    assert_eq!(signed_in.status, 200, "{:?}", signed_in.json());
    // IPv6 clients are counted by their /64: a new address in the same network does not start over.
    for i in 0..3 {
        let client = format!("2001:db8:7:7::{i}");
        attempt_from(&app, &client, &format!("v6guess{i}@bank-a.test"), "x")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    retry_after(&attempt_from(&app, "2001:db8:7:7::99", "v6guess9@bank-a.test", "x").await);
    attempt_from(&app, "2001:db8:7:8::1", "v6guess9@bank-a.test", "x")
        .await
        .assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn without_trusted_proxies_x_forwarded_for_is_ignored() {
    let app = TestApp::spawn_with(|settings| {
        settings.registry.sign_in_failures_per_address = 3;
        settings.registry.sign_in_first_delay = Duration::from_secs(30);
    })
    .await;
    for i in 0..3 {
        let client = format!("203.0.113.{i}");
        attempt_from(&app, &client, &format!("guess{i}@bank-a.test"), "x")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    retry_after(&attempt_from(&app, "203.0.113.99", "guess9@bank-a.test", "x").await);
}

#[tokio::test]
async fn control_characters_in_credentials_are_refused_with_422_and_change_nothing() {
    let app = TestApp::spawn_with(|settings| {
        settings.registry.sign_in_failures_per_email = 1;
        settings.registry.sign_in_failures_per_address = 1;
        settings.registry.sign_in_first_delay = Duration::from_secs(30);
    })
    .await;
    let user = app.bank_admin("Bank A").await;
    let sessions_before = session_rows(&app).await;
    let controls = [
        "\u{0}", "\u{1}", "\u{1b}", "\t", "\r\n", "\n", "\u{7f}", "\u{85}", "\u{9f}",
    ];
    let mut refused = 0;
    for control in controls {
        let bodies = [
            password_grant(&format!("{}{control}", user.email), PASSWORD),
            password_grant(&format!("a{control}b@bank-a.test"), PASSWORD),
            password_grant(&user.email, &format!("{PASSWORD}{control}")),
            password_grant(&user.email, &format!("{control}{PASSWORD}")),
            json!({"grant_type": "client_credentials", "client_id": format!("registry{control}"), "client_secret": "s"}),
            json!({"grant_type": "client_credentials", "client_id": "registry", "client_secret": format!("s{control}")}),
        ];
        for body in bodies {
            let answer = app.call(Method::POST, TOKEN, None, Some(&body)).await;
            answer.assert_problem(422, "validation_failed");
            refused += 1;
        }
    }
    assert_eq!(refused, controls.len() * 6);
    // Nothing was counted or opened: no throttle row, no session, and with an allowance of a
    // single failure the right password still goes through at once.
    assert_eq!(failure_rows(&app).await, 0);
    assert_eq!(session_rows(&app).await, sessions_before);
    app.sign_in(&user.email, PASSWORD).await;
}

#[tokio::test]
async fn a_password_with_a_control_character_cannot_be_given_to_a_user() {
    let app = TestApp::spawn().await;
    let bank = app.institution("bank", "Bank A").await;
    let answer = app
        .post(
            &format!("/registry/v1/institutions/{bank}/users"),
            &app.admin,
            &json!({"email": "tabbed@bank-a.test", "display_name": "Tabbed", "role": "member",
                    "password": "a long\tpassword 1"}),
        )
        .await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.json()["errors"][0]["field"], "password");
}
