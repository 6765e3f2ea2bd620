//! Term sheets over HTTP: drafted by the coordinator as structured documents, every edit a new
//! immutable version with its content hash, edited with `If-Match` (stale 412, missing 428),
//! compared version to version, checked for completeness against the guideline, and commented on
//! by the creditors; the borrower and outsiders see no draft.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::endpoints::term_sheet_path;
use workout_tests::{Actor, TestApp, id_of};

struct Case {
    workout: Uuid,
    coordinator: Actor,
    borrower: Actor,
    advisor: Actor,
    bank: Actor,
}

/// A workout with a borrower, an advisor and one creditor bank.
async fn case(app: &TestApp) -> Case {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower_id = app.institution("borrower", "Distressed Co").await;
    let borrower = app.user(borrower_id, "member").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-TERMS", "borrower_id": borrower_id, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "contacts": [{"name": "Desk", "email": "desk@coordinator.test", "language": "en"}],
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    assert_eq!(opened.status, 201, "{:?}", opened.json());
    let workout = id_of(&opened.json());
    let firm = app.institution("advisor", "Advisory Firm").await;
    let advisor = app.user(firm, "member").await;
    let bank = app.bank_admin("Creditor Bank").await;
    for (institution, role, email) in [
        (firm, "advisor", "advisor@member.test"),
        (bank.institution_id, "creditor", "bank@member.test"),
    ] {
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": institution, "role": role,
                        "contacts": [{"name": "Desk", "email": email, "language": "en"}]}),
            )
            .await;
        assert_eq!(added.status, 201, "{:?}", added.json());
    }
    Case {
        workout,
        coordinator,
        borrower,
        advisor,
        bank,
    }
}

fn first_draft() -> Value {
    json!({
        "borrower": {"description": "Distressed Co, a developer of residential compounds",
                     "sector": "real_estate"},
        "banks": ["Coordinator Bank", "Creditor Bank"],
        "repayment_schedule": [
            {"due": "2027-06-30", "amount": {"amount": "2500000.00", "currency": "SAR"}},
            {"due": "2027-12-31", "amount": {"amount": "7500000.00", "currency": "SAR"}}
        ],
        "governing_law": "Kingdom of Saudi Arabia",
        "measures": [{"kind": "moratorium", "months": 18},
                     {"kind": "maturity_extension", "new_maturity": "2031-12-31"}]
    })
}

fn second_draft() -> Value {
    let mut draft = first_draft();
    draft["repayment_schedule"][1]["amount"]["amount"] = json!("7000000.00");
    draft["taxes"] = json!("Borrower bears all taxes");
    draft
}

async fn create(app: &TestApp, case: &Case) -> Uuid {
    let created = app
        .create_term_sheet(
            &case.coordinator,
            case.workout,
            &json!({"title": "Restructuring of Distressed Co", "content": first_draft()}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.json());
    assert_eq!(created.headers["etag"], "\"1\"");
    id_of(&created.json())
}

#[tokio::test]
async fn two_versions_are_kept_with_their_hashes_and_the_diff_names_the_changed_fields() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let (w, coordinator) = (case.workout, &case.coordinator);
    let id = create(&app, &case).await;

    let edited = app
        .edit_term_sheet(coordinator, w, id, Some("\"1\""), &second_draft())
        .await;
    assert_eq!(edited.status, 200, "{:?}", edited.json());
    assert_eq!(edited.headers["etag"], "\"2\"");

    let read = app.term_sheet(&case.bank, w, id).await;
    assert_eq!(read.status, 200, "{:?}", read.json());
    assert_eq!(read.headers["etag"], "\"2\"");
    let current = &read.json()["current"];
    assert_eq!(current["number"], 2);
    assert_eq!(current["content"], second_draft());

    let one = app.term_sheet_version(&case.bank, w, id, 1).await.json();
    let two = app.term_sheet_version(&case.bank, w, id, 2).await.json();
    assert_eq!(one["content"], first_draft());
    assert_eq!(two["content_hash"], current["content_hash"]);
    assert_ne!(one["content_hash"], two["content_hash"]);
    assert_eq!(one["content_hash"].as_str().map(str::len), Some(64));

    let diff = app.term_sheet_diff(&case.bank, w, id, 1, 2).await;
    assert_eq!(diff.status, 200, "{:?}", diff.json());
    assert_eq!(
        diff.json()["changes"],
        json!([
            {"path": "repayment_schedule[1].amount.amount", "before": "7500000.00",
             "after": "7000000.00"},
            {"path": "taxes", "before": null, "after": "Borrower bears all taxes"}
        ])
    );
    assert_eq!(diff.json()["from_hash"], one["content_hash"]);
    app.term_sheet_diff(&case.bank, w, id, 1, 3)
        .await
        .assert_problem(404, "not_found");

    let list = app.term_sheets(&case.bank, w, "").await;
    assert_eq!(list.status, 200, "{:?}", list.json());
    assert_eq!(list.json()["items"][0]["current_version"], 2);
}

#[tokio::test]
async fn an_edit_with_a_stale_if_match_gets_412_and_without_one_428() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let (w, coordinator) = (case.workout, &case.coordinator);
    let id = create(&app, &case).await;
    let edited = app
        .edit_term_sheet(coordinator, w, id, Some("\"1\""), &second_draft())
        .await;
    assert_eq!(edited.status, 200, "{:?}", edited.json());
    // Someone who still holds version 1 loses.
    app.edit_term_sheet(coordinator, w, id, Some("\"1\""), &first_draft())
        .await
        .assert_problem(412, "stale_version");
    app.edit_term_sheet(coordinator, w, id, None, &first_draft())
        .await
        .assert_problem(428, "if_match_required");
    // Nothing was written by the refused edits.
    let read = app.term_sheet(coordinator, w, id).await;
    assert_eq!(read.json()["current"]["number"], 2);
    app.term_sheet_version(coordinator, w, id, 3)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_completeness_check_lists_missing_elements_and_the_12_month_warning() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let id = create(&app, &case).await;
    let checked = app
        .term_sheet_completeness(&case.bank, case.workout, id, "")
        .await;
    assert_eq!(checked.status, 200, "{:?}", checked.json());
    let body = checked.json();
    assert_eq!(body["version"], 1);
    assert_eq!(body["complete"], false);
    assert_eq!(
        body["missing"],
        json!([
            "amounts_to_restructure",
            "fees_and_expenses",
            "anticipated_closing_date",
            "representations_and_warranties",
            "mandatory_repayments",
            "cash_sweep",
            "interest_rates",
            "default_interest",
            "interest_payment_dates",
            "events_of_default",
            "additional_security",
            "documentation",
            "taxes",
            "milestones",
            "conditions_of_effectiveness"
        ])
    );
    // A moratorium of 18 months for a real-estate borrower: beyond the 12 months.
    assert_eq!(
        body["warnings"],
        json!([{"kind": "short_term_too_long", "measure": 0, "name": "moratorium", "months": 18,
                "limit_months": 12, "rule": "SHORT_TERM_MEASURE_LIMIT_REAL_ESTATE"}])
    );
}

#[tokio::test]
async fn creditors_comment_on_a_version_and_the_borrower_sees_no_draft() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let w = case.workout;
    let id = create(&app, &case).await;
    let posted = app
        .comment_term_sheet(&case.bank, w, id, 1, "The moratorium is too long for us")
        .await;
    assert_eq!(posted.status, 201, "{:?}", posted.json());
    assert_eq!(
        posted.json()["institution_id"],
        json!(case.bank.institution_id)
    );
    let by_coordinator = app
        .comment_term_sheet(&case.coordinator, w, id, 1, "Noted; see version 2")
        .await;
    assert_eq!(by_coordinator.status, 201, "{:?}", by_coordinator.json());
    let comments = app.term_sheet_comments(&case.bank, w, id, 1).await;
    assert_eq!(comments.status, 200, "{:?}", comments.json());
    assert_eq!(comments.json()["items"].as_array().map(Vec::len), Some(2));
    app.comment_term_sheet(&case.bank, w, id, 2, "No such version")
        .await
        .assert_problem(404, "not_found");

    // A creditor cannot create or edit.
    app.create_term_sheet(&case.bank, w, &json!({"title": "Mine"}))
        .await
        .assert_problem(403, "forbidden");
    app.edit_term_sheet(&case.bank, w, id, Some("\"1\""), &first_draft())
        .await
        .assert_problem(403, "forbidden");
    // The borrower and the advisor neither read nor comment drafts.
    for who in [&case.borrower, &case.advisor] {
        app.term_sheet(who, w, id)
            .await
            .assert_problem(403, "forbidden");
        app.comment_term_sheet(who, w, id, 1, "Hello")
            .await
            .assert_problem(403, "forbidden");
    }
}

#[tokio::test]
async fn outsiders_get_404_and_callers_without_a_valid_token_401_on_every_endpoint() {
    let app = TestApp::spawn().await;
    let case = case(&app).await;
    let w = case.workout;
    let id = create(&app, &case).await;
    app.term_sheet(&case.coordinator, w, Uuid::now_v7())
        .await
        .assert_problem(404, "not_found");
    let outsider = app.outsider().await;
    let one = |rest: &str| term_sheet_path(w, &format!("/{id}{rest}"));
    let endpoints = [
        (Method::GET, term_sheet_path(w, ""), None),
        (
            Method::POST,
            term_sheet_path(w, ""),
            Some(json!({"title": "Another"})),
        ),
        (Method::GET, one(""), None),
        (Method::PUT, one(""), Some(first_draft())),
        (Method::GET, one("/versions/1"), None),
        (Method::GET, one("/diff?from=1&to=1"), None),
        (Method::GET, one("/completeness"), None),
        (
            Method::POST,
            one("/versions/1/comments"),
            Some(json!({"body": "Hi"})),
        ),
        (Method::GET, one("/versions/1/comments"), None),
    ];
    for (method, path, body) in &endpoints {
        let answer = app
            .call_with(
                method.clone(),
                path,
                Some(&outsider.token),
                body.as_ref(),
                &[("if-match", "\"1\"")],
            )
            .await;
        answer.assert_problem(404, "not_found");
        for token in [None, Some("not-a-token")] {
            let answer = app.call(method.clone(), path, token, body.as_ref()).await;
            assert_eq!(answer.status, 401, "{method} {path} with {token:?}");
        }
    }
}
