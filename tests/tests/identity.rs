//! Institutions and users: who may create, see and manage what. Another institution's data answers
//! 404 (its existence does not leak); one's own, without the right role, 403.

use reqwest::Method;
use serde_json::json;
use workout_tests::{PASSWORD, TestApp, id_of};

fn new_user(email: &str, role: &str) -> serde_json::Value {
    json!({"email": email, "display_name": "Someone", "role": role, "password": PASSWORD})
}

#[tokio::test]
async fn a_new_user_can_be_onboarded_and_sign_in() {
    let app = TestApp::spawn().await;
    let bank = app
        .post("/registry/v1/institutions", &app.admin, &json!({"kind": "bank", "name": "Riyad Test Bank", "country": "sa", "lei": "5493001kjtiigc8y1r12"}))
        .await;
    assert_eq!(bank.status, 201, "{:?}", bank.json());
    let bank_id = id_of(&bank.json());
    assert_eq!(
        bank.headers["location"],
        format!("/registry/v1/institutions/{bank_id}").as_str()
    );
    assert_eq!(bank.json()["country"], "SA");
    assert_eq!(bank.json()["lei"], "5493001KJTIIGC8Y1R12");

    let created = app
        .post(
            &format!("/registry/v1/institutions/{bank_id}/users"),
            &app.admin,
            &new_user("Officer@Bank.Example", "institution_admin"),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    assert!(
        created.json().get("password_hash").is_none(),
        "no hash leaves the registry"
    );
    let officer = app.sign_in("officer@bank.example", PASSWORD).await;
    let me = app.get("/registry/v1/me", &officer).await.json();
    assert_eq!(me["institution"]["name"], "Riyad Test Bank");
    assert_eq!(me["user"]["role"], "institution_admin");

    let duplicate = app
        .post(
            &format!("/registry/v1/institutions/{bank_id}/users"),
            &app.admin,
            &new_user("officer@bank.example", "member"),
        )
        .await;
    duplicate.assert_problem(409, "already_exists");
    let same_lei = app
        .post("/registry/v1/institutions", &app.admin, &json!({"kind": "bank", "name": "Copy", "country": "SA", "lei": "5493001KJTIIGC8Y1R12"}))
        .await;
    same_lei.assert_problem(409, "already_exists");
}

#[tokio::test]
async fn an_institution_admin_manages_only_their_own_institutions_users() {
    let app = TestApp::spawn().await;
    let bank_a = app.bank_admin("Bank A").await;
    let bank_b = app.bank_admin("Bank B").await;
    let b_member = app.user(bank_b.institution_id, "member").await;

    // Their own institution: allowed.
    let own = app
        .post(
            &format!("/registry/v1/institutions/{}/users", bank_a.institution_id),
            &bank_a,
            &new_user("teller@a.example", "member"),
        )
        .await;
    assert_eq!(own.status, 201, "{:?}", own.json());
    assert_eq!(
        app.get(
            &format!("/registry/v1/institutions/{}/users", bank_a.institution_id),
            &bank_a
        )
        .await
        .status,
        200
    );

    // Another institution: 404 for every operation, and nothing changes.
    let b = bank_b.institution_id;
    let other_user = b_member.user_id;
    app.get(&format!("/registry/v1/institutions/{b}"), &bank_a)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/registry/v1/institutions/{b}/users"), &bank_a)
        .await
        .assert_problem(404, "not_found");
    app.get(
        &format!("/registry/v1/institutions/{b}/users/{other_user}"),
        &bank_a,
    )
    .await
    .assert_problem(404, "not_found");
    app.post(
        &format!("/registry/v1/institutions/{b}/users"),
        &bank_a,
        &new_user("mole@a.example", "member"),
    )
    .await
    .assert_problem(404, "not_found");
    app.post(
        &format!("/registry/v1/institutions/{b}/users/{other_user}/disable"),
        &bank_a,
        &json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    // Bank B's user through bank A's path: still not found.
    app.get(
        &format!(
            "/registry/v1/institutions/{}/users/{other_user}",
            bank_a.institution_id
        ),
        &bank_a,
    )
    .await
    .assert_problem(404, "not_found");
    assert_eq!(
        app.get("/registry/v1/me", &b_member).await.status,
        200,
        "bank B's user is untouched"
    );
    let listed = app
        .get(&format!("/registry/v1/institutions/{b}/users"), &bank_b)
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    // A plain member of their own institution: 403.
    let a_member = app.user(bank_a.institution_id, "member").await;
    app.get(
        &format!("/registry/v1/institutions/{}/users", bank_a.institution_id),
        &a_member,
    )
    .await
    .assert_problem(403, "forbidden");

    // Nobody but platform admins makes platform admins or institutions.
    app.post(
        &format!("/registry/v1/institutions/{}/users", bank_a.institution_id),
        &bank_a,
        &new_user("boss@a.example", "platform_admin"),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        "/registry/v1/institutions",
        &bank_a,
        &json!({"kind": "bank", "name": "Mine", "country": "SA"}),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn institutions_are_listed_by_page_and_each_bank_sees_only_itself() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            app.institution("other_creditor", &format!("Creditor {n}"))
                .await,
        );
    }
    let first = app
        .get("/registry/v1/institutions?limit=3", &app.admin)
        .await
        .json();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get(
            &format!("/registry/v1/institutions?limit=3&cursor={cursor}"),
            &app.admin,
        )
        .await
        .json();
    assert!(second.get("next_cursor").is_none(), "{second}");
    let all: Vec<_> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(id_of)
        .collect();
    assert_eq!(all.len(), 6, "the operator and five creditors");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ordered by id");
    assert!(ids.iter().all(|id| all.contains(id)));

    let bank = app.bank_admin("Bank A").await;
    let seen = app.get("/registry/v1/institutions", &bank).await.json();
    let seen: Vec<_> = seen["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(seen, vec![bank.institution_id]);
    app.get(&format!("/registry/v1/institutions/{}", ids[0]), &bank)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn platform_only_operations_refuse_bank_users() {
    let app = TestApp::spawn().await;
    let bank = app.bank_admin("Bank A").await;
    app.post("/registry/v1/signing-keys", &bank, &json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.call(
        Method::POST,
        "/registry/v1/signing-keys/k-x/retire",
        Some(&bank.token),
        None,
    )
    .await
    .assert_problem(403, "forbidden");
    app.get("/registry/v1/audit/platform", &bank)
        .await
        .assert_problem(403, "forbidden");
    app.get("/notifications/v1/events", &bank)
        .await
        .assert_problem(403, "forbidden");
    app.call(
        Method::POST,
        &format!(
            "/registry/v1/institutions/{}/users/{}/disable",
            bank.institution_id, bank.user_id
        ),
        Some(&bank.token),
        None,
    )
    .await
    .assert_problem(409, "cannot_disable_self");
}

#[tokio::test]
async fn an_outsider_bank_gets_404_for_everything_of_another_institution() {
    let app = TestApp::spawn().await;
    let bank = app.bank_admin("Bank B").await;
    let colleague = app.user(bank.institution_id, "member").await;
    let outsider = app.outsider().await;
    let b = bank.institution_id;
    let u = colleague.user_id;
    for path in [
        format!("/registry/v1/institutions/{b}"),
        format!("/registry/v1/institutions/{b}/users"),
        format!("/registry/v1/institutions/{b}/users/{u}"),
    ] {
        app.get(&path, &outsider)
            .await
            .assert_problem(404, "not_found");
    }
    for path in [
        format!("/registry/v1/institutions/{b}/users"),
        format!("/registry/v1/institutions/{b}/users/{u}/disable"),
    ] {
        app.post(&path, &outsider, &new_user("x@outsider.example", "member"))
            .await
            .assert_problem(404, "not_found");
    }
    assert_eq!(
        app.get("/registry/v1/me", &colleague).await.status,
        200,
        "nothing changed for bank B"
    );
}
