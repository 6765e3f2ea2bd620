//! The audit chain as evidence that keeps confidences: each participant's export shows the details
//! it may read and only hashes of the rest, every export verifies against the registry's signed
//! head, and a cut tail with a forged head fails.

use chrono::{TimeDelta, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use uuid::Uuid;
use workout_store::audit::{
    BrokenLink, ChainHead, ExportLine, Trust, Verified, to_json_lines, verify,
};
use workout_store::scheduler::{Scheduler, SchedulerConfig};
use workout_tests::{Actor, TestApp, id_of};

/// Creditor A's principal and creditor B's: distinctive, so that any trace of them is found.
const A_PRINCIPAL: &str = "7654321.09";
const B_PRINCIPAL: &str = "1234987.65";

struct Case {
    workout: Uuid,
    coordinator: Actor,
    a: Actor,
    b: Actor,
    advisor: Actor,
    borrower: Actor,
}

fn facility(reference: &str, principal: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR", "committed": principal,
        "outstanding_principal": principal, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": false, "class": "unsecured", "related_party": false,
        "collateral": [], "guarantees": []
    })
}

async fn case_with_two_positions(app: &TestApp) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-AUDIT", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let mut members = Vec::new();
    for (n, (name, role)) in [
        ("Creditor Bank A", "creditor"),
        ("Creditor Bank B", "creditor"),
        ("Advisory Firm", "advisor"),
    ]
    .into_iter()
    .enumerate()
    {
        let member = if role == "advisor" {
            let firm = app.institution("advisor", name).await;
            app.user(firm, "institution_admin").await
        } else {
            app.bank_admin(name).await
        };
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": member.institution_id, "role": role,
                        "contacts": [{"name": "Desk", "email": format!("desk{n}@member.test"), "language": "en"}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
        members.push(member);
    }
    let advisor = members.pop().unwrap();
    let b = members.pop().unwrap();
    let a = members.pop().unwrap();
    for (creditor, reference, principal) in [(&a, "A-1", A_PRINCIPAL), (&b, "B-1", B_PRINCIPAL)] {
        let created = app
            .create_facility(creditor, workout, &facility(reference, principal))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.json());
    }
    Case {
        workout,
        coordinator,
        a,
        b,
        advisor,
        borrower,
    }
}

async fn document_keys(app: &TestApp) -> JwkSet {
    let keys = app
        .call(
            reqwest::Method::GET,
            "/registry/v1/.well-known/document-keys.json",
            None,
            None,
        )
        .await;
    assert_eq!(keys.status, 200);
    serde_json::from_slice(&keys.bytes).unwrap()
}

async fn export(app: &TestApp, actor: &Actor, workout: Uuid) -> String {
    let answer = app.workout_audit(actor, workout).await;
    assert_eq!(answer.status, 200);
    String::from_utf8(answer.bytes.to_vec()).unwrap()
}

fn head_of(export: &str) -> ChainHead {
    match serde_json::from_str(export.lines().last().unwrap()).unwrap() {
        ExportLine::Head(head) => head,
        ExportLine::Entry(_) => panic!("an export ends with its head"),
    }
}

fn verified(
    export: &str,
    keys: &JwkSet,
    since: Option<&ChainHead>,
) -> Result<Verified, BrokenLink> {
    verify(
        export,
        Trust {
            keys: Some(keys),
            since,
        },
    )
}

#[tokio::test]
async fn each_participant_reads_only_what_it_may_and_every_export_verifies_against_the_same_signed_head()
 {
    let app = TestApp::spawn().await;
    let case = case_with_two_positions(&app).await;
    let keys = document_keys(&app).await;

    let coordinator = export(&app, &case.coordinator, case.workout).await;
    let by_b = export(&app, &case.b, case.workout).await;
    let by_advisor = export(&app, &case.advisor, case.workout).await;
    let by_borrower = export(&app, &case.borrower, case.workout).await;

    // What each sees.
    for (who, text) in [
        ("the coordinator", &coordinator),
        ("the borrower", &by_borrower),
    ] {
        assert!(
            text.contains(A_PRINCIPAL) && text.contains(B_PRINCIPAL),
            "{who} sees every position"
        );
    }
    assert!(
        !by_b.contains("7654321"),
        "creditor B never sees creditor A's amounts"
    );
    assert!(by_b.contains(B_PRINCIPAL), "creditor B sees its own");
    assert!(
        !by_advisor.contains("7654321") && !by_advisor.contains("1234987"),
        "an advisor sees no position"
    );
    assert!(
        by_advisor.contains("WO-AUDIT"),
        "an advisor still reads the entries everyone may (the workout's opening)"
    );

    // Every export verifies, signed, and the same head (count and hash) ends each.
    let at_coordinator = verified(&coordinator, &keys, None).expect("the coordinator's export");
    assert_eq!(at_coordinator.withheld, 0);
    let head = head_of(&coordinator);
    for (who, text) in [
        ("B", &by_b),
        ("the advisor", &by_advisor),
        ("the borrower", &by_borrower),
    ] {
        let checked = verified(text, &keys, Some(&head))
            .unwrap_or_else(|broken| panic!("{who}'s export: {broken}"));
        assert_eq!(checked.head.seq, head.seq);
        assert_eq!(checked.head.hash, head.hash);
        assert!(checked.head_signed_by.is_some());
    }
    assert_eq!(
        verified(&by_b, &keys, None).unwrap().withheld,
        1,
        "A's facility"
    );
    assert_eq!(verified(&by_advisor, &keys, None).unwrap().withheld, 2);

    // A withheld entry carries no salt, so its hash cannot be used to confirm a guessed amount.
    let withheld: Vec<Value> = by_b
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["withheld"] == json!(true))
        .collect();
    assert_eq!(withheld.len(), 1);
    assert!(withheld[0].get("details_salt").is_none() && withheld[0]["after"].is_null());
    assert_eq!(
        withheld[0]["disclosure"],
        json!(format!("position_of:{}", case.a.institution_id))
    );

    // An outsider gets nothing at all.
    let outsider = app.outsider().await;
    app.workout_audit(&outsider, case.workout)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_cut_tail_with_a_rewritten_head_and_a_head_signed_by_another_key_fail() {
    let app = TestApp::spawn().await;
    let case = case_with_two_positions(&app).await;
    let keys = document_keys(&app).await;
    let full = export(&app, &case.coordinator, case.workout).await;
    let head = head_of(&full);
    verified(&full, &keys, None).expect("the export as made");

    // Cut the last entry (creditor B's facility) and rewrite the head to name the new last one.
    let lines: Vec<&str> = full.lines().collect();
    let kept = &lines[..lines.len() - 2];
    let last: Value = serde_json::from_str(kept[kept.len() - 1]).unwrap();
    let seq = last["seq"].as_i64().unwrap();
    let hash = last["hash"].as_str().unwrap().to_owned();
    let with_head = |forged: &ChainHead| {
        let mut text: String = kept.iter().map(|l| format!("{l}\n")).collect();
        text.push_str(&to_json_lines(&[ExportLine::Head(forged.clone())]));
        text
    };
    let unsigned = ChainHead {
        seq,
        hash: hash.clone(),
        signed_at: None,
        signature: None,
        ..head.clone()
    };
    assert!(
        verify(&with_head(&unsigned), Trust::default()).is_ok(),
        "without keys a consistent prefix cannot be told from a complete chain"
    );
    assert!(matches!(
        verified(&with_head(&unsigned), &keys, None),
        Err(BrokenLink::Unsigned { .. })
    ));
    let old_signature = ChainHead {
        seq,
        hash: hash.clone(),
        ..head.clone()
    };
    assert!(matches!(
        verified(&with_head(&old_signature), &keys, None),
        Err(BrokenLink::BadSignature { .. })
    ));
    assert!(
        matches!(
            verified(&with_head(&unsigned), &keys, Some(&head)),
            Err(BrokenLink::Unsigned { .. } | BrokenLink::HeadMismatch { .. })
        ),
        "and a saved head shows entries were removed"
    );

    // Heads signed by a key that is not the registry's, under a name of its own or the registry's.
    let stranger = {
        use aws_lc_rs::signature::Ed25519KeyPair;
        Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).unwrap()
    };
    let registry_kid = keys.keys[0].common.key_id.clone().unwrap();
    for kid in ["k-not-a-registry-key".to_owned(), registry_kid] {
        let claims = unsigned.claims(Utc::now());
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        let signature = jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_ed_der(stranger.as_ref()),
        )
        .unwrap();
        let forged = unsigned.clone().signed(&claims, signature);
        assert!(
            matches!(
                verified(&with_head(&forged), &keys, None),
                Err(BrokenLink::BadSignature { .. })
            ),
            "a head signed by another key named {kid}"
        );
    }
}

#[tokio::test]
async fn signed_checkpoints_in_the_chain_prove_later_that_nothing_before_them_was_removed() {
    // The platform's own scheduler looks for due jobs once, at start: the test runs the
    // registry's jobs itself, as of chosen instants.
    let app =
        TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await;
    let case = case_with_two_positions(&app).await;
    let keys = document_keys(&app).await;
    let jobs = workout_registry::register_jobs(Scheduler::new(
        app.pool("registry"),
        SchedulerConfig::new("registry"),
    ));
    // What is due now (the opening's check of the borrower's notice contacts) runs first.
    jobs.run_due(Utc::now()).await.unwrap();
    let saved_by_b = export(&app, &case.b, case.workout).await;
    let saved_head = head_of(&saved_by_b);

    let in_two_hours = Utc::now() + TimeDelta::hours(2);
    assert!(jobs.run_due(in_two_hours).await.unwrap() >= 1);
    let later = export(&app, &case.b, case.workout).await;
    let checked = verified(&later, &keys, Some(&saved_head)).expect("the later export");
    assert_eq!(
        checked.checkpoints, 1,
        "the workout's chain was checkpointed"
    );
    assert_eq!(checked.head.seq, saved_head.seq + 1);
    let checkpoint: Value = serde_json::from_str(later.lines().nth_back(1).unwrap()).unwrap();
    assert_eq!(checkpoint["action"], json!("chain_checkpoint"));
    assert_eq!(checkpoint["after"]["seq"], json!(saved_head.seq));

    // Nothing changed since: the next run stores no second checkpoint, and the job stays
    // scheduled for the next interval.
    let in_four_hours = in_two_hours + TimeDelta::hours(2);
    jobs.run_due(in_four_hours).await.unwrap();
    let again = export(&app, &case.b, case.workout).await;
    assert_eq!(head_of(&again).seq, checked.head.seq);
    let pending: i64 = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use workout_store::schema::scheduled_jobs;
        let mut conn = app.pool("registry").get().await.unwrap();
        scheduled_jobs::table
            .filter(scheduled_jobs::kind.eq("audit_checkpoints"))
            .filter(scheduled_jobs::done_at.is_null())
            .count()
            .get_result(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(pending, 1, "the checkpoint job reschedules itself");
}
