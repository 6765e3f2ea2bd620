//! Meetings over HTTP: scheduled by the coordinator with an agenda and invitees, an iCalendar
//! invitation read back by an independent parser (Python's `icalendar`) that keeps its `UID`
//! while its `SEQUENCE` rises with each change and turns into `METHOD:CANCEL` when cancelled;
//! rescheduled with `If-Match` (stale 412, missing 428); attendance with proxies and the quorum
//! by exposure share from the registry's snapshot of the meeting's date. Only the coordinator
//! convenes; a participant not invited sees no meeting (404, as for a missing one); outsiders get
//! 404 and callers without a valid token 401 everywhere.

use std::io::Write as _;
use std::process::{Command, Stdio};

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::endpoints::meeting_path;
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    borrower: Actor,
    advisor: Actor,
    /// Two creditor banks: 500 and 200 (the coordinator holds 300).
    banks: Vec<Actor>,
}

fn facility(reference: &str, amount: &str) -> Value {
    json!({
        "reference": reference, "facility_type": "term_loan", "currency": "SAR", "committed": amount,
        "outstanding_principal": amount, "accrued_interest": "0", "past_due": "0", "days_past_due": 0,
        "fees_and_penalties": "0", "secured": false, "class": "unsecured", "related_party": false,
        "collateral": [], "guarantees": []
    })
}

/// A workout whose coordinator (a creditor of 300) has two creditor banks (500 and 200), a
/// borrower and an advisor, each with one notice contact.
async fn case(app: &TestApp) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-MEET", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "contacts": [{"name": "Workout Desk", "email": "desk@coordinator.test", "language": "en"}],
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let firm = app.institution("advisor", "Advisory Firm").await;
    let advisor = app.user(firm, "member").await;
    let added = app
        .add_participant(
            &coordinator,
            workout,
            &json!({"institution_id": firm, "role": "advisor",
                    "contacts": [{"name": "Adviser", "email": "adviser@firm.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.json());
    let created = app
        .create_facility(&coordinator, workout, &facility("F-C", "300"))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    let mut banks = Vec::new();
    for (n, amount) in ["500", "200"].into_iter().enumerate() {
        let bank = app.bank_admin(&format!("Creditor Bank {n}")).await;
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": bank.institution_id, "role": "creditor",
                        "contacts": [{"name": "Desk", "email": format!("desk{n}@member.test"), "language": "en"}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
        let created = app
            .create_facility(&bank, workout, &facility(&format!("F-{n}"), amount))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.json());
        banks.push(bank);
    }
    Case {
        workout,
        coordinator,
        borrower,
        advisor,
        banks,
    }
}

/// Nine o'clock UTC `days` from today.
fn at(days: i64, hour: u32) -> DateTime<Utc> {
    (Utc::now() + Duration::days(days))
        .date_naive()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
        .and_utc()
}

fn meeting_body(case: &Case, days: i64) -> Value {
    json!({
        "title": "First creditors' meeting",
        "starts_at": at(days, 9),
        "ends_at": at(days, 11),
        "location": "Coordinator Bank, Riyadh, room 4",
        "video_link": "https://meet.example.test/wo-meet",
        "agenda": [
            {"title": "Standstill status", "owner_id": case.coordinator.institution_id,
             "attachments": [{"name": "Standstill report", "reference": "DOC-17"}]},
            {"title": "Business plan", "owner_id": case.banks[0].institution_id}
        ]
    })
}

async fn schedule(app: &TestApp, case: &Case, body: &Value) -> Uuid {
    let scheduled = app
        .schedule_meeting(&case.coordinator, case.workout, body)
        .await;
    assert_eq!(scheduled.status, 201, "{:?}", scheduled.json());
    assert_eq!(scheduled.headers["etag"], "\"0\"");
    id_of(&scheduled.json())
}

/// The invitation as Python's `icalendar` reads it: the calendar's METHOD, VERSION and PRODID,
/// and each VEVENT's UID, SEQUENCE, STATUS, ORGANIZER, ATTENDEEs, DTSTART, DTEND and SUMMARY.
fn parse_ics(text: &[u8]) -> Value {
    const SCRIPT: &str = r#"
import json, sys
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.buffer.read())
def s(v):
    return None if v is None else str(v)
events = []
for e in cal.walk("VEVENT"):
    attendees = e.get("ATTENDEE") or []
    if not isinstance(attendees, list):
        attendees = [attendees]
    events.append({
        "uid": s(e.get("UID")), "sequence": int(e.get("SEQUENCE")), "status": s(e.get("STATUS")),
        "organizer": s(e.get("ORGANIZER")), "attendees": sorted(str(a) for a in attendees),
        "dtstart": e.decoded("DTSTART").isoformat(), "dtend": e.decoded("DTEND").isoformat(),
        "summary": s(e.get("SUMMARY")), "location": s(e.get("LOCATION")), "url": s(e.get("URL")),
        "description": s(e.get("DESCRIPTION")),
    })
print(json.dumps({"method": s(cal.get("METHOD")), "version": s(cal.get("VERSION")),
                  "prodid": s(cal.get("PRODID")), "events": events}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (with the icalendar module: pip install icalendar)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text)
        .expect("the invitation is written to the parser");
    let output = child.wait_with_output().expect("the parser ends");
    assert!(
        output.status.success(),
        "Python's icalendar refused the invitation: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(text)
    );
    serde_json::from_slice(&output.stdout).expect("the parser's JSON")
}

fn instant(text: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text.as_str().expect("a date-time"))
        .expect("an RFC 3339 date-time")
        .with_timezone(&Utc)
}

/// The invitation of `meeting` as `actor` reads it, parsed; asserts its content type's method.
async fn invitation(
    app: &TestApp,
    actor: &Actor,
    workout: Uuid,
    meeting: Uuid,
    method: &str,
) -> Value {
    let answer = app.meeting_invitation(actor, workout, meeting).await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    assert_eq!(
        answer.content_type(),
        format!("text/calendar; charset=utf-8; method={method}")
    );
    let parsed = parse_ics(&answer.bytes);
    assert_eq!(parsed["method"], method);
    assert_eq!(parsed["version"], "2.0");
    assert!(parsed["prodid"].as_str().is_some_and(|p| !p.is_empty()));
    assert_eq!(parsed["events"].as_array().map(Vec::len), Some(1));
    parsed["events"][0].clone()
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
async fn an_invitation_keeps_its_uid_while_its_sequence_rises_and_a_cancellation_cancels_it() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let w = case.workout;
    let id = schedule(&app, &case, &meeting_body(&case, 7)).await;
    let uid = format!("meeting-{id}@workout-platform");

    // Scheduled: every creditor (the coordinator among them) is invited by default.
    let read = app.meeting(&case.banks[1], w, id).await;
    assert_eq!(read.status, 200, "{:?}", read.json());
    assert_eq!(read.headers["etag"], "\"0\"");
    let body = read.json();
    assert_eq!(body["state"], "scheduled");
    assert_eq!(body["uid"], json!(uid));
    assert_eq!(body["time_zone"], "Asia/Riyadh");
    assert_eq!(body["invitees"].as_array().map(Vec::len), Some(3));
    assert_eq!(body["agenda"][1]["position"], 2);
    assert_eq!(
        body["agenda"][0]["attachments"],
        json!([{"name": "Standstill report", "reference": "DOC-17"}])
    );

    let first = invitation(&app, &case.banks[0], w, id, "REQUEST").await;
    assert_eq!(first["uid"], json!(uid));
    assert_eq!(first["sequence"], 0);
    assert_eq!(first["status"], "CONFIRMED");
    assert_eq!(first["organizer"], "mailto:desk@coordinator.test");
    assert_eq!(
        first["attendees"],
        json!([
            "mailto:desk0@member.test",
            "mailto:desk1@member.test",
            "mailto:desk@coordinator.test"
        ])
    );
    assert_eq!(instant(&first["dtstart"]), at(7, 9));
    assert_eq!(instant(&first["dtend"]), at(7, 11));
    assert_eq!(first["summary"], "First creditors' meeting");
    assert_eq!(first["location"], "Coordinator Bank, Riyadh, room 4");
    assert_eq!(first["url"], "https://meet.example.test/wo-meet");
    let description = first["description"].as_str().unwrap();
    assert!(
        description.contains("1. Standstill status (Coordinator Bank)"),
        "{description}"
    );
    assert!(
        description.contains("Standstill report: DOC-17"),
        "{description}"
    );

    // Moved by a day: the same UID, SEQUENCE 1, the new time; the change is kept.
    let mut moved = meeting_body(&case, 8);
    moved["time_zone"] = json!("Asia/Dubai");
    let updated = app
        .update_meeting(&case.coordinator, w, id, Some(0), &moved)
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.json());
    assert_eq!(updated.headers["etag"], "\"1\"");
    let second = invitation(&app, &case.coordinator, w, id, "REQUEST").await;
    assert_eq!(second["uid"], json!(uid));
    assert_eq!(second["sequence"], 1);
    assert_eq!(instant(&second["dtstart"]), at(8, 9));
    let changes = app.meeting(&case.coordinator, w, id).await.json()["changes"].clone();
    assert_eq!(changes.as_array().map(Vec::len), Some(2));
    assert_eq!(changes[1]["kind"], "rescheduled");
    assert_eq!(instant(&changes[1]["before"]["starts_at"]), at(7, 9));
    assert_eq!(instant(&changes[1]["after"]["starts_at"]), at(8, 9));
    assert_eq!(changes[1]["after"]["time_zone"], "Asia/Dubai");

    // Cancelled: METHOD:CANCEL, STATUS:CANCELLED, SEQUENCE 2, and no change any more.
    let cancelled = app
        .cancel_meeting(&case.coordinator, w, id, "The borrower asked for more time")
        .await;
    assert_eq!(cancelled.status, 200, "{:?}", cancelled.json());
    assert_eq!(cancelled.json()["state"], "cancelled");
    let third = invitation(&app, &case.banks[1], w, id, "CANCEL").await;
    assert_eq!(third["uid"], json!(uid));
    assert_eq!(third["sequence"], 2);
    assert_eq!(third["status"], "CANCELLED");
    app.update_meeting(&case.coordinator, w, id, Some(2), &meeting_body(&case, 9))
        .await
        .assert_problem(409, "meeting_cancelled");
    app.cancel_meeting(&case.coordinator, w, id, "Again")
        .await
        .assert_problem(409, "meeting_cancelled");
    app.record_attendance(
        &case.coordinator,
        w,
        id,
        &json!({"attendees": [{"institution_id": case.coordinator.institution_id,
                               "person_name": "A. Banker", "capacity": "Chair"}]}),
    )
    .await
    .assert_problem(409, "meeting_cancelled");
    let changes = app.meeting(&case.coordinator, w, id).await.json()["changes"].clone();
    assert_eq!(changes[2]["kind"], "cancelled");
    assert_eq!(changes[2]["reason"], "The borrower asked for more time");

    for topic in [
        "minutes.meeting_scheduled",
        "minutes.meeting_changed",
        "minutes.meeting_cancelled",
    ] {
        assert_eq!(topic_count(&app, topic).await, 1, "{topic}");
    }
    let export = app
        .get(
            &format!("/minutes/v1/workouts/{w}/audit"),
            &case.coordinator,
        )
        .await;
    assert_eq!(export.status, 200);
    let text = String::from_utf8_lossy(&export.bytes);
    for action in ["meeting_scheduled", "meeting_changed", "meeting_cancelled"] {
        assert!(text.contains(action), "{action} in the audit export");
    }
    assert!(text.contains("First creditors' meeting"));
    // The others see that it happened, not what (a disclosure cannot name the invitees).
    let export = app
        .get(&format!("/minutes/v1/workouts/{w}/audit"), &case.advisor)
        .await;
    assert_eq!(export.status, 200);
    let text = String::from_utf8_lossy(&export.bytes);
    assert!(text.contains("meeting_scheduled"), "{text}");
    assert!(!text.contains("First creditors' meeting"), "{text}");
}

/// The payload of the one event of `topic` in the minutes service's outbox.
async fn event_payload(app: &TestApp, topic: &str) -> Value {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use workout_store::schema::outbox;
    let mut conn = app.pool("minutes").get().await.unwrap();
    outbox::table
        .filter(outbox::topic.eq(topic))
        .select(outbox::payload)
        .first(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn each_meeting_event_carries_the_invitation_that_renders_the_same_ics_as_the_endpoint() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let w = case.workout;
    // The participants as a receiving service gets them from the registry.
    let token = app.service_token("notifications").await;
    let listed = app.internal_participants(&token, w, "?limit=100").await;
    assert_eq!(listed.status, 200, "{:?}", listed.json());
    let participants: Vec<workout_domain::registry_api::Participant> =
        serde_json::from_value(listed.items()).unwrap();

    let id = schedule(&app, &case, &meeting_body(&case, 7)).await;
    let mut moved = meeting_body(&case, 8);
    moved["invitees"] = json!([case.banks[0].institution_id]);
    let steps: [(&str, &str); 3] = [
        ("minutes.meeting_scheduled", "REQUEST"),
        ("minutes.meeting_changed", "REQUEST"),
        ("minutes.meeting_cancelled", "CANCEL"),
    ];
    for (n, (topic, method)) in steps.into_iter().enumerate() {
        match n {
            1 => {
                let updated = app
                    .update_meeting(&case.coordinator, w, id, Some(0), &moved)
                    .await;
                assert_eq!(updated.status, 200, "{:?}", updated.json());
            }
            2 => {
                let cancelled = app
                    .cancel_meeting(&case.coordinator, w, id, "Postponed")
                    .await;
                assert_eq!(cancelled.status, 200, "{:?}", cancelled.json());
            }
            _ => {}
        }
        let answer = app.meeting_invitation(&case.coordinator, w, id).await;
        assert_eq!(answer.status, 200, "{:?}", answer.json());
        let payload = event_payload(&app, topic).await;
        let carried = workout_notifications::invitation::invitation_of(&payload, &participants)
            .unwrap()
            .unwrap_or_else(|| panic!("{topic} carries no invitation: {payload}"));
        assert_eq!(
            carried.ics,
            String::from_utf8_lossy(&answer.bytes),
            "{topic}: the event's invitation renders the endpoint's .ics byte for byte"
        );
        assert_eq!(carried.meeting_id, id);
        assert_eq!(carried.content_type(), answer.content_type(), "{topic}");
        assert_eq!(parse_ics(carried.ics.as_bytes())["method"], method);
        let sequence = u64::try_from(n).unwrap();
        assert_eq!(
            payload["invitation"]["sequence"],
            json!(sequence),
            "{topic}"
        );
    }
    // The change named one creditor bank (the coordinator always added); what the payload had
    // before is still there.
    let changed = event_payload(&app, "minutes.meeting_changed").await;
    let mut invitees = vec![
        case.coordinator.institution_id,
        case.banks[0].institution_id,
    ];
    invitees.sort();
    assert_eq!(changed["invitation"]["invitees"], json!(invitees));
    assert_eq!(changed["invitees"], json!(invitees));
    assert_eq!(changed["sequence"], 1);
    let cancelled = event_payload(&app, "minutes.meeting_cancelled").await;
    assert_eq!(cancelled["reason"], "Postponed");
    assert_eq!(cancelled["meeting"]["state"], "cancelled");
    assert_eq!(cancelled["invitation"]["cancelled"], true);
}

#[tokio::test]
async fn a_retried_schedule_with_the_same_idempotency_key_makes_one_meeting() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let body = meeting_body(&case, 7);
    let path = meeting_path(case.workout, "");
    let send = || {
        app.call_with(
            Method::POST,
            &path,
            Some(&case.coordinator.token),
            Some(&body),
            &[("idempotency-key", "schedule-first-meeting")],
        )
    };
    let first = send().await;
    assert_eq!(first.status, 201, "{:?}", first.json());
    let again = send().await;
    assert_eq!(again.status, 201, "{:?}", again.json());
    assert_eq!(id_of(&again.json()), id_of(&first.json()));
    assert_eq!(again.headers["etag"], "\"0\"");
    let list = app.meetings(&case.coordinator, case.workout, "").await;
    assert_eq!(list.items().as_array().map(Vec::len), Some(1));
    assert_eq!(topic_count(&app, "minutes.meeting_scheduled").await, 1);
}

#[tokio::test]
async fn a_change_with_a_stale_if_match_gets_412_and_without_one_428() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let w = case.workout;
    let id = schedule(&app, &case, &meeting_body(&case, 7)).await;
    let updated = app
        .update_meeting(&case.coordinator, w, id, Some(0), &meeting_body(&case, 8))
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.json());
    app.update_meeting(&case.coordinator, w, id, Some(0), &meeting_body(&case, 9))
        .await
        .assert_problem(412, "stale_version");
    app.update_meeting(&case.coordinator, w, id, None, &meeting_body(&case, 9))
        .await
        .assert_problem(428, "if_match_required");
    let read = app.meeting(&case.coordinator, w, id).await.json();
    assert_eq!(read["sequence"], 1);
    assert_eq!(instant(&read["starts_at"]), at(8, 9));
    // An update that keeps the time is an `updated`, not a `rescheduled`.
    let mut renamed = meeting_body(&case, 8);
    renamed["title"] = json!("Second creditors' meeting");
    let updated = app
        .update_meeting(&case.coordinator, w, id, Some(1), &renamed)
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.json());
    assert_eq!(updated.json()["changes"][2]["kind"], "updated");
}

#[tokio::test]
async fn the_quorum_by_exposure_share_is_met_only_when_more_than_half_is_present() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let w = case.workout;
    let id = schedule(&app, &case, &meeting_body(&case, 1)).await;
    let (big, small) = (&case.banks[0], &case.banks[1]);

    // Only the bank of 500 out of 1000: exactly a half is not more than a half.
    let recorded = app
        .record_attendance(
            &case.coordinator,
            w,
            id,
            &json!({"attendees": [{"institution_id": big.institution_id,
                                   "person_name": "B. Lender", "capacity": "Head of restructuring"}]}),
        )
        .await;
    assert_eq!(recorded.status, 200, "{:?}", recorded.json());
    assert_eq!(recorded.json()["state"], "held");
    let quorum = app.meeting_quorum(&case.coordinator, w, id, "").await;
    assert_eq!(quorum.status, 200, "{:?}", quorum.json());
    let body = quorum.json();
    assert_eq!(body["quorum"], "value:more_than:1/2");
    assert_eq!(body["met"], false);
    assert_eq!(
        body["as_of"],
        json!(at(1, 9).with_timezone(&chrono_tz()).date_naive())
    );
    let pool = &body["outcome"]["groups"][0];
    assert_eq!(pool["eligible"]["count"], 3);
    assert_eq!(pool["voted_for"]["count"], 1);
    assert_eq!(pool["tests"][0]["share"]["rounded"], "0.5000000000");
    assert_eq!(pool["tests"][0]["met"], false);
    // At least a half is met by the same attendance.
    let half = app
        .meeting_quorum(&case.coordinator, w, id, "?rule=value:at_least:1/2")
        .await;
    assert_eq!(half.json()["met"], true, "{:?}", half.json());

    // Its person also holds the proxy of the bank of 200: 700 of 1000 are present.
    let recorded = app
        .record_attendance(
            &case.coordinator,
            w,
            id,
            &json!({"attendees": [
                {"institution_id": big.institution_id, "person_name": "B. Lender",
                 "capacity": "Head of restructuring", "proxy_for": small.institution_id},
                {"institution_id": case.coordinator.institution_id, "person_name": "A. Banker",
                 "capacity": "Chair"}]}),
        )
        .await;
    assert_eq!(recorded.status, 200, "{:?}", recorded.json());
    let quorum = app.meeting_quorum(big, w, id, "").await;
    assert_eq!(quorum.status, 200, "{:?}", quorum.json());
    let body = quorum.json();
    assert_eq!(body["met"], true);
    let pool = &body["outcome"]["groups"][0];
    assert_eq!(pool["voted_for"]["count"], 3);
    let line = |creditor: Uuid| {
        body["creditors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["creditor_id"] == json!(creditor))
            .cloned()
            .unwrap()
    };
    assert_eq!(
        line(small.institution_id)["by_proxy_of"],
        json!(big.institution_id)
    );
    assert_eq!(line(small.institution_id)["present"], true);
    // A creditor sees its own weight, not the others'.
    assert!(line(big.institution_id)["weight"].is_string(), "{body}");
    assert_eq!(line(small.institution_id)["weight"], Value::Null);
    // By number as well: 3 of 3 present.
    let both = app
        .meeting_quorum(big, w, id, "?rule=value:more_than:1/2,number:at_least:2/3")
        .await;
    assert_eq!(both.json()["met"], true, "{:?}", both.json());
    app.meeting_quorum(big, w, id, "?rule=value:more_than:1/1")
        .await
        .assert_problem(422, "validation_failed");

    // A held meeting is not rescheduled.
    app.update_meeting(&case.coordinator, w, id, Some(0), &meeting_body(&case, 2))
        .await
        .assert_problem(409, "meeting_held");
    let changes = app.meeting(&case.coordinator, w, id).await.json()["changes"].clone();
    assert_eq!(changes.as_array().map(Vec::len), Some(3));
    assert_eq!(changes[2]["kind"], "held");
    assert_eq!(topic_count(&app, "minutes.attendance_recorded").await, 2);
}

fn chrono_tz() -> chrono::FixedOffset {
    // Asia/Riyadh has no daylight saving time: UTC+3 all year.
    chrono::FixedOffset::east_opt(3 * 3600).unwrap()
}

#[tokio::test]
async fn only_the_coordinator_convenes_and_a_participant_not_invited_sees_no_meeting() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let w = case.workout;
    let id = schedule(&app, &case, &meeting_body(&case, 7)).await;
    let bank = &case.banks[0];

    // A creditor invited reads, but neither convenes nor records attendance.
    app.schedule_meeting(bank, w, &meeting_body(&case, 7))
        .await
        .assert_problem(403, "forbidden");
    app.update_meeting(bank, w, id, Some(0), &meeting_body(&case, 8))
        .await
        .assert_problem(403, "forbidden");
    app.cancel_meeting(bank, w, id, "Not mine to cancel")
        .await
        .assert_problem(403, "forbidden");
    app.record_attendance(
        bank,
        w,
        id,
        &json!({"attendees": [{"institution_id": bank.institution_id,
                               "person_name": "B. Lender", "capacity": "Observer"}]}),
    )
    .await
    .assert_problem(403, "forbidden");

    // The advisor and the borrower were not invited: the meeting does not exist for them.
    for who in [&case.advisor, &case.borrower] {
        app.meeting(who, w, id)
            .await
            .assert_problem(404, "not_found");
        app.meeting_invitation(who, w, id)
            .await
            .assert_problem(404, "not_found");
        app.meeting_quorum(who, w, id, "")
            .await
            .assert_problem(404, "not_found");
        let list = app.meetings(who, w, "").await;
        assert_eq!(list.status, 200, "{:?}", list.json());
        assert_eq!(list.items(), json!([]));
    }
    let list = app.meetings(bank, w, "").await;
    assert_eq!(list.items()[0]["id"], json!(id));

    // The borrower when listed: it and the coordinator, nobody else.
    let mut body = meeting_body(&case, 10);
    body["invitees"] = json!([case.borrower.institution_id]);
    let with_borrower = schedule(&app, &case, &body).await;
    let event = invitation(&app, &case.borrower, w, with_borrower, "REQUEST").await;
    assert_eq!(
        event["attendees"],
        json!(["mailto:cfo@borrower.test", "mailto:desk@coordinator.test"])
    );
    app.meeting(bank, w, with_borrower)
        .await
        .assert_problem(404, "not_found");
    // Attendance of an institution not invited is refused.
    let refused = app
        .record_attendance(
            &case.coordinator,
            w,
            with_borrower,
            &json!({"attendees": [{"institution_id": bank.institution_id,
                                   "person_name": "B. Lender", "capacity": "Observer"}]}),
        )
        .await;
    refused.assert_problem(422, "validation_failed");

    // What does not fit is named field by field.
    let outsider = app.outsider().await;
    let mut bad = meeting_body(&case, -1);
    bad["time_zone"] = json!("Mars/Olympus_Mons");
    bad["video_link"] = json!("http://insecure.test");
    bad["invitees"] = json!([outsider.institution_id]);
    bad["agenda"][1]["owner_id"] = json!(outsider.institution_id);
    let refused = app.schedule_meeting(&case.coordinator, w, &bad).await;
    refused.assert_problem(422, "validation_failed");
    let fields: Vec<String> = refused.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    for field in [
        "starts_at",
        "time_zone",
        "video_link",
        "invitees[0]",
        "agenda[1].owner_id",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
}

#[tokio::test]
async fn outsiders_get_404_and_callers_without_a_valid_token_401_on_every_endpoint() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let w = case.workout;
    let id = schedule(&app, &case, &meeting_body(&case, 7)).await;
    app.meeting(&case.coordinator, w, Uuid::now_v7())
        .await
        .assert_problem(404, "not_found");
    let outsider = app.outsider().await;
    let one = |rest: &str| meeting_path(w, &format!("/{id}{rest}"));
    let attendance = json!({"attendees": [{"institution_id": outsider.institution_id,
                                           "person_name": "O. Sider", "capacity": "None"}]});
    let endpoints = [
        (Method::GET, meeting_path(w, ""), None),
        (
            Method::POST,
            meeting_path(w, ""),
            Some(meeting_body(&case, 7)),
        ),
        (Method::GET, one(""), None),
        (Method::PUT, one(""), Some(meeting_body(&case, 8))),
        (
            Method::POST,
            one("/cancel"),
            Some(json!({"reason": "Because"})),
        ),
        (Method::GET, one("/invite.ics"), None),
        (Method::PUT, one("/attendance"), Some(attendance)),
        (Method::GET, one("/quorum"), None),
        (Method::GET, format!("/minutes/v1/workouts/{w}/audit"), None),
    ];
    for (method, path, body) in &endpoints {
        let answer = app
            .call_with(
                method.clone(),
                path,
                Some(&outsider.token),
                body.as_ref(),
                &[("if-match", "\"0\"")],
            )
            .await;
        answer.assert_problem(404, "not_found");
        for token in [None, Some("not-a-token")] {
            let answer = app.call(method.clone(), path, token, body.as_ref()).await;
            assert_eq!(answer.status, 401, "{method} {path} with {token:?}");
        }
    }
    // Nothing changed.
    let read = app.meeting(&case.coordinator, w, id).await.json();
    assert_eq!(read["state"], "scheduled");
    assert_eq!(read["sequence"], 0);
}
