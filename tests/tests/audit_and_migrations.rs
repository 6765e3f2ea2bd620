//! The audit chain as a client sees it (export, offline verification, tampering detected in the
//! database), migrations that apply, revert and apply again, and the migrated template test
//! databases are copied from (complete, closed to connections, swept only when unused).

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::json;
use uuid::Uuid;
use workout_store::audit::{BrokenLink, verify};
use workout_tests::{TestApp, fresh_database_url};

#[tokio::test]
async fn the_platform_chain_records_every_identity_change_and_verifies_offline() {
    let app = TestApp::spawn().await;
    let bank = app.bank_admin("Bank A").await;
    app.post(
        &format!(
            "/registry/v1/institutions/{}/users/{}/disable",
            bank.institution_id, bank.user_id
        ),
        &app.admin,
        &json!({}),
    )
    .await;
    let export = app.get("/registry/v1/audit/platform", &app.admin).await;
    assert_eq!(export.status, 200);
    assert!(export.content_type().starts_with("application/x-ndjson"));
    let text = String::from_utf8(export.bytes.clone()).unwrap();
    let verified = verify(&text, Default::default()).expect("an untouched chain verifies");
    let actions: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "entry")
        .map(|v| v["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "institution_created",
            "user_created",
            "institution_created",
            "user_created",
            "user_disabled"
        ]
    );
    assert_eq!(verified.entries, 5);
    let disabled = text.lines().nth(4).unwrap();
    assert!(
        disabled.contains(&app.admin.user_id.to_string()),
        "the actor is recorded: {disabled}"
    );
    assert!(
        disabled.contains(r#""disabled":false"#) && disabled.contains(r#""disabled":true"#),
        "before and after"
    );

    // The table refuses edits and deletes...
    let pool = app.pool("registry");
    let mut conn = pool.get().await.unwrap();
    let edit = conn
        .batch_execute("UPDATE audit_log SET action = 'nothing' WHERE seq = 2")
        .await;
    assert!(edit.is_err_and(|e| e.to_string().contains("append-only")));
    assert!(
        conn.batch_execute("DELETE FROM audit_log WHERE seq = 5")
            .await
            .is_err()
    );
    assert!(
        conn.batch_execute("UPDATE audit_details SET after = '{}' WHERE seq = 4")
            .await
            .is_err_and(|e| e.to_string().contains("append-only")),
        "the details stored apart too"
    );
    // ...and an edit by someone who can switch that off is still found by the verifier: of the
    // details (they no longer match the hash the entry commits to) or of the entry itself.
    conn.batch_execute(
        "ALTER TABLE audit_details DISABLE TRIGGER audit_details_append_only;
         UPDATE audit_details SET after = jsonb_set(after, '{email}', '\"mallory@evil.test\"') WHERE seq = 4;
         ALTER TABLE audit_details ENABLE TRIGGER audit_details_append_only;",
    )
    .await
    .unwrap();
    let tampered = app.get("/registry/v1/audit/platform", &app.admin).await;
    let broken = verify(
        &String::from_utf8(tampered.bytes).unwrap(),
        Default::default(),
    );
    assert_eq!(broken.unwrap_err(), BrokenLink::DetailsMismatch { seq: 4 });
    conn.batch_execute(
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
         UPDATE audit_log SET action = 'user_deleted' WHERE seq = 2;
         ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;",
    )
    .await
    .unwrap();
    let tampered = app.get("/registry/v1/audit/platform", &app.admin).await;
    let broken = verify(
        &String::from_utf8(tampered.bytes).unwrap(),
        Default::default(),
    );
    assert_eq!(broken.unwrap_err(), BrokenLink::ContentMismatch { seq: 2 });
}

#[tokio::test]
async fn every_services_migrations_apply_revert_and_apply_again() {
    let url = fresh_database_url();
    workout_store::pool::ensure_database(&url).await.unwrap();
    for migrations in workoutd::ALL_MIGRATIONS {
        let applied = workout_store::migrate::run(&url, migrations).await.unwrap();
        assert!(!applied.is_empty(), "{}", migrations.schema);
        workout_store::migrate::revert_all(&url, migrations)
            .await
            .unwrap();
        let again = workout_store::migrate::run(&url, migrations).await.unwrap();
        assert_eq!(applied, again, "{}", migrations.schema);
        assert!(
            workout_store::migrate::run(&url, migrations)
                .await
                .unwrap()
                .is_empty(),
            "nothing left to apply"
        );
    }
    workout_store::pool::drop_database(&url).await.unwrap();
}

#[tokio::test]
async fn two_processes_migrating_at_once_both_succeed() {
    let url = fresh_database_url();
    let (a, b) = tokio::join!(workoutd::migrate_all(&url), workoutd::migrate_all(&url));
    a.unwrap();
    b.unwrap();
    workout_store::pool::drop_database(&url).await.unwrap();
}

#[tokio::test]
async fn a_database_copied_from_the_template_has_every_migration_and_nobody_connects_to_the_template()
 {
    let url = workout_tests::database::migrated_database_url()
        .await
        .unwrap();
    for migrations in workoutd::ALL_MIGRATIONS {
        assert!(
            workout_store::migrate::run(&url, migrations)
                .await
                .unwrap()
                .is_empty(),
            "nothing left to apply in {}",
            migrations.schema
        );
    }
    let hash = workout_tests::database::migrations_hash().unwrap();
    let template = format!(
        "{}/wt_template_{hash}",
        workout_tests::database::server_url()
    );
    let refused = AsyncPgConnection::establish(&template).await;
    assert!(
        refused.is_err_and(|e| e
            .to_string()
            .contains("not currently accepting connections")),
        "the template refuses connections"
    );
    workout_store::pool::drop_database(&url).await.unwrap();
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Count>(conn)
        .await
        .unwrap()
        .n
        == 1
}

#[tokio::test]
async fn the_sweeper_drops_old_leftovers_and_unused_templates_of_other_migrations_only() {
    // This process uses the current template.
    let mine = workout_tests::database::migrated_database_url()
        .await
        .unwrap();
    let server = workout_tests::database::server_url();
    let mut conn = AsyncPgConnection::establish(&format!("{server}/postgres"))
        .await
        .unwrap();
    let random = Uuid::new_v4().simple().to_string();
    let other_hash = &random[..16];
    let other_template = format!("wt_template_{other_hash}");
    let old_leftover = format!("wt_test_1000000000_{}", &random[16..28]);
    let young = workout_tests::database::fresh_database_name();
    for name in [&other_template, &old_leftover, &young] {
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
    }
    // A process that uses the other template holds its lock.
    let mut user = AsyncPgConnection::establish(&format!("{server}/postgres"))
        .await
        .unwrap();
    let lock = workout_tests::database::template_in_use_lock(other_hash);
    user.batch_execute(&format!("SELECT pg_advisory_lock_shared({lock})"))
        .await
        .unwrap();

    workout_tests::database::sweep().await.unwrap();
    assert!(
        !database_exists(&mut conn, &old_leftover).await,
        "old leftover"
    );
    assert!(
        database_exists(&mut conn, &young).await,
        "a young test database stays"
    );
    assert!(
        database_exists(&mut conn, &other_template).await,
        "a template in use stays"
    );

    user.batch_execute(&format!("SELECT pg_advisory_unlock_shared({lock})"))
        .await
        .unwrap();
    workout_tests::database::sweep().await.unwrap();
    assert!(
        !database_exists(&mut conn, &other_template).await,
        "an unused template of other migrations goes"
    );
    let hash = workout_tests::database::migrations_hash().unwrap();
    assert!(
        database_exists(&mut conn, &format!("wt_template_{hash}")).await,
        "the current template stays"
    );
    conn.batch_execute(&format!("DROP DATABASE {young}"))
        .await
        .unwrap();
    workout_store::pool::drop_database(&mine).await.unwrap();
}
