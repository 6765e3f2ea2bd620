//! Minutes over HTTP ("done when" of the minutes issue): a meeting scheduled, moved (its
//! invitation's SEQUENCE raised, its UID kept), held with attendance and quorum; its minutes
//! drafted by the coordinator in versions (`If-Match`), commented on by those who read the
//! meeting, circulated, approved by no objection at the end of the fifth business day on the
//! workout's calendar (the scheduler's job, not before) or by every invited creditor, sent back to
//! draft by an objection, sealed with their content hash in the audit chain, exported as Markdown
//! and PDF in English and Arabic (read back with `pdftotext`), and their action items tracked and
//! announced overdue once.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_store::scheduler::{Scheduler, SchedulerConfig};
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    borrower: Actor,
    borrower_id: Uuid,
    advisor: Actor,
    banks: Vec<Actor>,
    meeting: Uuid,
}

fn facility(reference: &str, amount: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR", "committed": amount,
        "outstanding_principal": amount, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": false, "class": "unsecured", "related_party": false,
        "collateral": [], "guarantees": []
    })
}

/// A workout with two creditor banks, a borrower and an advisor, and a meeting tomorrow to which
/// the creditors, the coordinator and the borrower are invited (not the advisor).
async fn case(app: &TestApp) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-MIN", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "contacts": [{"name": "Desk", "email": "desk@coordinator.test", "language": "en"}],
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let contacts = |n: usize| json!([{"name": "Desk", "email": format!("desk{n}@member.test"), "language": "en"}]);
    let firm = app.institution("advisor", "Advisory Firm").await;
    let advisor = app.user(firm, "member").await;
    let added = app
        .add_participant(
            &coordinator,
            workout,
            &json!({"institution_id": firm, "role": "advisor", "contacts": contacts(99)}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let mut banks = Vec::new();
    for n in 0..2 {
        let bank = app.bank_admin(&format!("Creditor Bank {n}")).await;
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": bank.institution_id, "role": "creditor", "contacts": contacts(n)}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
        let created = app
            .create_facility(&bank, workout, &facility(&format!("F-{n}"), "1000000.00"))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.json());
        banks.push(bank);
    }
    let scheduled = app
        .schedule_meeting(
            &coordinator,
            workout,
            &meeting_body(&coordinator, &banks, borrower_id, 1),
        )
        .await;
    assert_eq!(scheduled.status, 201, "{:?}", scheduled.json());
    Case {
        workout,
        meeting: id_of(&scheduled.json()),
        coordinator,
        borrower,
        borrower_id,
        advisor,
        banks,
    }
}

/// The meeting `days` from now, at the Coordinator Bank; creditors and the borrower invited.
fn meeting_body(coordinator: &Actor, banks: &[Actor], borrower: Uuid, days: i64) -> Value {
    let starts = Utc::now() + Duration::days(days);
    json!({"title": "Second creditors' meeting", "starts_at": starts.to_rfc3339(),
           "ends_at": (starts + Duration::hours(2)).to_rfc3339(),
           "location": "Coordinator Bank, Riyadh",
           "agenda": [{"title": "Standstill extension", "owner_id": coordinator.institution_id}],
           "invitees": [banks[0].institution_id, banks[1].institution_id, borrower]})
}

fn minutes_path(case: &Case, rest: &str) -> String {
    format!(
        "/minutes/v1/workouts/{}/meetings/{}/minutes{rest}",
        case.workout, case.meeting
    )
}

fn content(case: &Case, decision: &str) -> Value {
    json!({
        "attendance": [
            {"institution_id": case.banks[0].institution_id, "person_name": "Sara Al-Harbi",
             "capacity": "Head of Workout"},
            {"institution_id": case.banks[1].institution_id, "person_name": "Omar Saleh",
             "capacity": "Credit Officer"}
        ],
        "quorum": "Quorate: every creditor present",
        "items": [{
            "position": 1, "title": "Standstill extension",
            "discussion": "The creditors discussed extending the standstill by 60 days.",
            "decisions": [{"text": decision}, {"text": "تمديد فترة التجميد ستين يوما"}],
            "actions": [{"text": "Circulate the extension letter",
                         "owner": case.banks[0].institution_id,
                         "due_on": (Utc::now().date_naive() + Duration::days(10)).to_string()}]
        }]
    })
}

async fn draft(app: &TestApp, case: &Case) {
    let drafted = app
        .post(
            &minutes_path(case, ""),
            &case.coordinator,
            &json!({"content": content(case, "Extend the standstill by 60 days")}),
        )
        .await;
    assert_eq!(drafted.status, 201, "{:?}", drafted.json());
    assert_eq!(drafted.headers["etag"], "\"1\"");
}

fn jobs(app: &TestApp) -> Scheduler {
    workout_minutes::minutes::actions::register_jobs(
        workout_minutes::minutes::approval::register_jobs(Scheduler::new(
            app.pool("minutes"),
            SchedulerConfig::new("minutes"),
        )),
    )
}

/// The text of a PDF as `pdftotext` (poppler-utils) extracts it, in reading order.
fn pdf_text(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("minutes-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("minutes.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils) must be installed: .ci/run installs it");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

async fn topic_count(app: &TestApp, topic: &str) -> i64 {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use workout_store::schema::outbox;
    let mut conn = app.pool("minutes").get().await.unwrap();
    outbox::table
        .filter(outbox::topic.eq(topic))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_meeting_moved_held_minuted_approved_by_no_objection_at_the_end_of_the_fifth_business_day_sealed_and_exported()
 {
    let app =
        TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await;
    let case = case(&app).await;
    let (w, m) = (case.workout, case.meeting);
    // The meeting is moved a day: the invitation keeps its UID and raises its SEQUENCE.
    let first = app.meeting_invitation(&case.borrower, w, m).await;
    assert_eq!(first.status, 200);
    let first = String::from_utf8(first.bytes.clone()).unwrap();
    assert!(first.contains("SEQUENCE:0"), "{first}");
    let moved = app
        .update_meeting(
            &case.coordinator,
            w,
            m,
            Some(0),
            &meeting_body(&case.coordinator, &case.banks, case.borrower_id, 2),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.json());
    let second = app.meeting_invitation(&case.banks[0], w, m).await;
    let second = String::from_utf8(second.bytes.clone()).unwrap();
    assert!(second.contains("SEQUENCE:1"), "{second}");
    let uid = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("UID:"))
            .map(str::to_owned)
    };
    assert_eq!(uid(&first), uid(&second));
    // Held: both creditor banks attend, the quorum (more than half of the exposure) is met.
    let attended = app
        .record_attendance(
            &case.coordinator,
            w,
            m,
            &json!({"attendees": [
                {"institution_id": case.banks[0].institution_id, "person_name": "Sara Al-Harbi",
                 "capacity": "Head of Workout"},
                {"institution_id": case.banks[1].institution_id, "person_name": "Omar Saleh",
                 "capacity": "Credit Officer"}]}),
        )
        .await;
    assert_eq!(attended.status, 200, "{:?}", attended.json());
    let quorum = app.meeting_quorum(&case.coordinator, w, m, "").await;
    assert_eq!(quorum.json()["met"], true, "{:?}", quorum.json());
    // Only the coordinator drafts.
    app.post(
        &minutes_path(&case, ""),
        &case.banks[0],
        &json!({"content": content(&case, "Extend")}),
    )
    .await
    .assert_problem(403, "forbidden");
    draft(&app, &case).await;
    // Versions with If-Match.
    let edit = |tag: Option<&'static str>, decision: &'static str| {
        let (app, case) = (&app, &case);
        async move {
            let headers: Vec<(&str, &str)> = tag.map(|t| ("if-match", t)).into_iter().collect();
            app.call_with(
                Method::PUT,
                &minutes_path(case, ""),
                Some(&case.coordinator.token),
                Some(&json!({"content": content(case, decision)})),
                &headers,
            )
            .await
        }
    };
    edit(None, "Extend by 30 days")
        .await
        .assert_problem(428, "if_match_required");
    let two = edit(Some("\"1\""), "Extend the standstill by 45 days").await;
    assert_eq!(two.status, 200, "{:?}", two.json());
    edit(Some("\"1\""), "Extend by 30 days")
        .await
        .assert_problem(412, "stale_version");
    // Invited institutions comment; an uninvited participant does not see the minutes.
    let commented = app
        .post(
            &minutes_path(&case, "/versions/2/comments"),
            &case.banks[1],
            &json!({"body": "Please name the letter's addressees."}),
        )
        .await;
    assert_eq!(commented.status, 201, "{:?}", commented.json());
    app.get(&minutes_path(&case, ""), &case.advisor)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.get(&minutes_path(&case, ""), &case.borrower)
            .await
            .status,
        200
    );

    let circulated = app
        .post(
            &minutes_path(&case, "/circulate"),
            &case.coordinator,
            &json!({}),
        )
        .await;
    assert_eq!(circulated.status, 200, "{:?}", circulated.json());
    let approval = circulated.json()["approval"].clone();
    assert_eq!(approval["by"], "no_objection");
    assert_eq!(approval["deadline"]["rule"]["name"], "MINUTES_NO_OBJECTION");
    let approved_at: DateTime<Utc> = approval["approved_at"].as_str().unwrap().parse().unwrap();
    // The fifth business day after today on the SA calendar (Friday and Saturday are not
    // business days), ending at midnight in Riyadh.
    let riyadh = FixedOffset::east_opt(3 * 3600).unwrap();
    let due: chrono::NaiveDate = approval["deadline"]["due"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let today = Utc::now().with_timezone(&riyadh).date_naive();
    let mut business_days = 0;
    let mut day = today;
    while day < due {
        day += Duration::days(1);
        if !matches!(day.format("%a").to_string().as_str(), "Fri" | "Sat") {
            business_days += 1;
        }
    }
    assert!(business_days >= 5, "{today} to {due}: {business_days}");
    assert_eq!(
        approved_at.with_timezone(&riyadh).date_naive(),
        due + Duration::days(1)
    );
    assert_eq!(
        approved_at.with_timezone(&riyadh).time(),
        chrono::NaiveTime::MIN
    );
    // While circulated the draft is not changed.
    edit(Some("\"2\""), "Extend by 30 days")
        .await
        .assert_problem(409, "minutes_circulated");

    let jobs = jobs(&app);
    assert_eq!(
        jobs.run_due(approved_at - Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app.get(&minutes_path(&case, ""), &case.coordinator)
            .await
            .json()["state"],
        "circulated"
    );
    assert_eq!(jobs.run_due(approved_at).await.unwrap(), 1);
    let sealed = app
        .get(&minutes_path(&case, ""), &case.banks[0])
        .await
        .json();
    assert_eq!(sealed["state"], "sealed");
    assert_eq!(sealed["sealed_how"], "no_objection");
    assert_eq!(sealed["sealed_hash"], sealed["current"]["content_hash"]);

    // The hash is the one the audit chain recorded when the minutes were sealed.
    let export = app
        .get(
            &format!("/minutes/v1/workouts/{}/audit", case.workout),
            &case.coordinator,
        )
        .await;
    assert_eq!(export.status, 200);
    let entry = String::from_utf8(export.bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["action"] == "approved")
        .expect("an approved entry");
    assert!(
        entry
            .to_string()
            .contains(sealed["sealed_hash"].as_str().unwrap()),
        "{entry}"
    );

    // Exported as documents a person files, each showing the sealed hash.
    let hash = sealed["sealed_hash"].as_str().unwrap().to_owned();
    for lang in ["en", "ar"] {
        let md = app
            .get(
                &minutes_path(&case, &format!("/export?format=markdown&lang={lang}")),
                &case.borrower,
            )
            .await;
        assert_eq!(md.status, 200);
        assert!(
            md.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/markdown")
        );
        let text = String::from_utf8(md.bytes.clone()).unwrap();
        assert!(text.contains(&hash), "{text}");
        assert_eq!(text.contains("dir=\"rtl\""), lang == "ar", "{text}");
        let pdf = app
            .get(
                &minutes_path(&case, &format!("/export?lang={lang}")),
                &case.banks[1],
            )
            .await;
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        assert!(pdf.bytes.starts_with(b"%PDF"));
        let text = pdf_text(&pdf.bytes);
        assert!(text.contains(&hash), "{lang}: {text}");
        assert!(text.contains("Second creditors"), "{lang}: {text}");
        if lang == "ar" {
            // The Arabic words come out in logical order (as typed), not reversed.
            for words in ["محضر", "تمديد فترة التجميد ستين يوما"] {
                assert!(text.contains(words), "{words} in {text}");
            }
        }
    }

    // Sealed: nothing changes any more.
    edit(Some("\"2\""), "Extend by 30 days")
        .await
        .assert_problem(409, "minutes_sealed");
    app.post(
        &minutes_path(&case, "/circulate"),
        &case.coordinator,
        &json!({}),
    )
    .await
    .assert_problem(409, "minutes_sealed");
    app.post(
        &minutes_path(&case, "/versions/2/comments"),
        &case.banks[1],
        &json!({"body": "Late remark"}),
    )
    .await
    .assert_problem(409, "minutes_sealed");
    app.post(
        &minutes_path(&case, "/responses"),
        &case.banks[1],
        &json!({"version": 2, "answer": "object", "reasons": "Too late"}),
    )
    .await
    .assert_problem(409, "minutes_sealed");

    // The action item is tracked: its owner closes it, another bank cannot; overdue once.
    let items = app
        .get(
            &format!("/minutes/v1/workouts/{}/action-items", case.workout),
            &case.coordinator,
        )
        .await
        .json();
    let item = &items["items"][0];
    assert_eq!(item["status"], "open");
    let eleven_days = Utc::now() + Duration::days(11);
    // The overdue announcement, and the reminder of the due day if the seal came before that
    // day began (run late, after the due day: it announces nothing).
    assert!(jobs.run_due(eleven_days).await.unwrap() >= 1);
    assert_eq!(jobs.run_due(eleven_days).await.unwrap(), 0);
    assert_eq!(topic_count(&app, "minutes.action_overdue").await, 1);
    assert_eq!(topic_count(&app, "minutes.action_item_due").await, 0);
    let status = format!(
        "/minutes/v1/workouts/{}/action-items/{}/status",
        case.workout,
        item["id"].as_str().unwrap()
    );
    app.put(&status, &case.banks[1], &json!({"status": "done"}))
        .await
        .assert_problem(403, "forbidden");
    let done = app
        .put(&status, &case.banks[0], &json!({"status": "done"}))
        .await;
    assert_eq!(done.status, 200, "{:?}", done.json());
    assert_eq!(done.json()["status"], "done");
}

#[tokio::test]
async fn an_objection_sends_minutes_back_to_draft_and_only_invited_creditors_answer() {
    let app =
        TestApp::spawn_with(|s| s.scheduler_poll = std::time::Duration::from_secs(3600)).await;
    let case = case(&app).await;
    draft(&app, &case).await;
    app.get(&minutes_path(&case, "/export"), &case.coordinator)
        .await
        .assert_problem(409, "minutes_not_sealed");
    let circulate = |body: Value| {
        let (app, case) = (&app, &case);
        async move {
            app.post(&minutes_path(case, "/circulate"), &case.coordinator, &body)
                .await
        }
    };
    for who in [&case.banks[0], &case.borrower] {
        app.post(&minutes_path(&case, "/circulate"), who, &json!({}))
            .await
            .assert_problem(403, "forbidden");
    }
    circulate(json!({"business_days": 0}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(circulate(json!({})).await.status, 200);
    let respond = |who: &Actor, body: Value| {
        let (app, case) = (&app, &case);
        let token = who.clone();
        async move {
            app.post(&minutes_path(case, "/responses"), &token, &body)
                .await
        }
    };
    // The borrower is invited but is no creditor; the advisor is not invited.
    respond(&case.borrower, json!({"version": 1, "answer": "approve"}))
        .await
        .assert_problem(403, "forbidden");
    respond(&case.advisor, json!({"version": 1, "answer": "approve"}))
        .await
        .assert_problem(404, "not_found");
    respond(&case.banks[0], json!({"version": 1, "answer": "object"}))
        .await
        .assert_problem(422, "validation_failed");
    let objected = respond(
        &case.banks[0],
        json!({"version": 1, "answer": "object", "reasons": "The decision omits the fee"}),
    )
    .await;
    assert_eq!(objected.status, 200, "{:?}", objected.json());
    assert_eq!(objected.json()["state"], "draft");
    assert_eq!(topic_count(&app, "minutes.objection").await, 1);
    // The no-objection deadline went with the circulation.
    assert_eq!(
        jobs(&app)
            .run_due(Utc::now() + Duration::days(30))
            .await
            .unwrap(),
        0
    );

    // Circulated again for every invited creditor's approval: the last approval seals them.
    let again = circulate(json!({"approval": "approvals"})).await;
    assert_eq!(again.status, 200, "{:?}", again.json());
    for (n, who) in [&case.banks[0], &case.banks[1], &case.coordinator]
        .into_iter()
        .enumerate()
    {
        let answered = respond(who, json!({"version": 1, "answer": "approve"})).await;
        assert_eq!(answered.status, 200, "{:?}", answered.json());
        let expected = if n == 2 { "sealed" } else { "circulated" };
        assert_eq!(
            answered.json()["state"],
            expected,
            "after {} approvals",
            n + 1
        );
    }
    let sealed = app
        .get(&minutes_path(&case, ""), &case.coordinator)
        .await
        .json();
    assert_eq!(sealed["sealed_how"], "approvals");
}

#[tokio::test]
async fn outsiders_get_404_and_callers_without_a_valid_token_401_on_every_minutes_endpoint() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    draft(&app, &case).await;
    let outsider = app.outsider().await;
    let endpoints = [
        (
            Method::POST,
            minutes_path(&case, ""),
            Some(json!({"content": {}})),
        ),
        (
            Method::PUT,
            minutes_path(&case, ""),
            Some(json!({"content": {}})),
        ),
        (Method::GET, minutes_path(&case, ""), None),
        (Method::GET, minutes_path(&case, "/versions/1"), None),
        (
            Method::POST,
            minutes_path(&case, "/versions/1/comments"),
            Some(json!({"body": "Hi"})),
        ),
        (
            Method::GET,
            minutes_path(&case, "/versions/1/comments"),
            None,
        ),
        (
            Method::POST,
            minutes_path(&case, "/circulate"),
            Some(json!({})),
        ),
        (
            Method::POST,
            minutes_path(&case, "/responses"),
            Some(json!({"version": 1, "answer": "approve"})),
        ),
        (
            Method::GET,
            format!("/minutes/v1/workouts/{}/action-items", case.workout),
            None,
        ),
        (
            Method::PUT,
            format!(
                "/minutes/v1/workouts/{}/action-items/{}/status",
                case.workout,
                Uuid::now_v7()
            ),
            Some(json!({"status": "done"})),
        ),
    ];
    for (method, path, body) in &endpoints {
        app.call_with(
            method.clone(),
            path,
            Some(&outsider.token),
            body.as_ref(),
            &[("if-match", "\"1\"")],
        )
        .await
        .assert_problem(404, "not_found");
        for token in [None, Some("not-a-token")] {
            let answer = app.call(method.clone(), path, token, body.as_ref()).await;
            assert_eq!(answer.status, 401, "{method} {path} with {token:?}");
        }
    }
}
