//! One helper per registry endpoint the tests call repeatedly, so that tests say what they do
//! (`app.add_participant(&coordinator, workout, &body)`) instead of formatting paths.
//!
//! Rules: paths are written here only; a helper sends exactly one request and returns the
//! [`Answer`] unchecked (the test asserts what it expects, errors included); user endpoints take the
//! calling [`Actor`], service endpoints (`/internal/`) a bearer token, since tests also send them
//! user tokens to see them refused; ids are typed ([`Uuid`]), dates are `YYYY-MM-DD` text; an
//! `If-Match` version is `Some(n)` (sent as `"n"`) or `None` (no header).

use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::{Actor, Answer, TestApp};

/// `/registry/v1/workouts/{workout}` followed by `rest` (empty, or starting with `/` or `?`).
pub fn workout_path(workout: Uuid, rest: &str) -> String {
    format!("/registry/v1/workouts/{workout}{rest}")
}

fn if_match(version: Option<u32>) -> Option<String> {
    version.map(|v| format!("\"{v}\""))
}

impl TestApp {
    async fn send_as(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
        if_match: Option<String>,
    ) -> Answer {
        let headers: Vec<(&str, &str)> = if_match
            .as_deref()
            .map(|v| ("if-match", v))
            .into_iter()
            .collect();
        self.call_with(method, path, Some(token), body, &headers)
            .await
    }

    /// `POST /workouts`: opens a workout. A body without `contacts` gets one notice contact for
    /// the opening bank (`notices@<institution id>.test`), as every opening needs one; a test of
    /// that rule posts to the path itself.
    pub async fn open_workout(&self, actor: &Actor, body: &Value) -> Answer {
        let mut body = body.clone();
        if let Some(fields) = body.as_object_mut() {
            fields.entry("contacts").or_insert_with(|| {
                serde_json::json!([{"name": "Workout desk",
                    "email": format!("notices@{}.test", actor.institution_id), "language": "en"}])
            });
        }
        self.post("/registry/v1/workouts", actor, &body).await
    }

    /// `GET /workouts`: the caller's workouts (a page).
    pub async fn workouts(&self, actor: &Actor) -> Answer {
        self.get("/registry/v1/workouts", actor).await
    }

    /// `GET /workouts/{id}`: one workout, with the caller's roles.
    pub async fn workout(&self, actor: &Actor, workout: Uuid) -> Answer {
        self.get(&workout_path(workout, ""), actor).await
    }

    /// `POST /workouts/{id}/participants`: adds a participant.
    pub async fn add_participant(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(&workout_path(workout, "/participants"), actor, body)
            .await
    }

    /// `GET /workouts/{id}/participants`: the active participants (a page).
    pub async fn participants(&self, actor: &Actor, workout: Uuid) -> Answer {
        self.get(&workout_path(workout, "/participants"), actor)
            .await
    }

    /// `GET /workouts/{id}/participants?include_removed=true`: removed participants too (a page).
    pub async fn participants_including_removed(&self, actor: &Actor, workout: Uuid) -> Answer {
        self.get(
            &workout_path(workout, "/participants?include_removed=true"),
            actor,
        )
        .await
    }

    /// `POST /workouts/{id}/participants/{pid}/remove`: removes a participant (`{"reason"}`).
    pub async fn remove_participant(
        &self,
        actor: &Actor,
        workout: Uuid,
        participant: Uuid,
        body: &Value,
    ) -> Answer {
        self.post(
            &workout_path(workout, &format!("/participants/{participant}/remove")),
            actor,
            body,
        )
        .await
    }

    /// `PUT /workouts/{id}/participants/{pid}/contacts`: replaces a participant's notice contacts.
    pub async fn set_contacts(
        &self,
        actor: &Actor,
        workout: Uuid,
        participant: Uuid,
        body: &Value,
    ) -> Answer {
        self.send_as(
            Method::PUT,
            &workout_path(workout, &format!("/participants/{participant}/contacts")),
            &actor.token,
            Some(body),
            None,
        )
        .await
    }

    /// `POST /workouts/{id}/facilities`: a creditor enters a facility.
    pub async fn create_facility(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(&workout_path(workout, "/facilities"), actor, body)
            .await
    }

    /// `GET /workouts/{id}/facilities`: the facilities the caller may see (a page).
    pub async fn facilities(&self, actor: &Actor, workout: Uuid) -> Answer {
        self.get(&workout_path(workout, "/facilities"), actor).await
    }

    /// `PUT /workouts/{id}/facilities/{fid}`: new terms, with `If-Match: "<version>"` when given.
    pub async fn edit_facility(
        &self,
        actor: &Actor,
        workout: Uuid,
        facility: Uuid,
        body: &Value,
        version: Option<u32>,
    ) -> Answer {
        self.send_as(
            Method::PUT,
            &workout_path(workout, &format!("/facilities/{facility}")),
            &actor.token,
            Some(body),
            if_match(version),
        )
        .await
    }

    /// `POST /workouts/{id}/facilities/{fid}/withdraw` (`{"reason"}`), with `If-Match` when given.
    pub async fn withdraw_facility(
        &self,
        actor: &Actor,
        workout: Uuid,
        facility: Uuid,
        body: &Value,
        version: Option<u32>,
    ) -> Answer {
        self.send_as(
            Method::POST,
            &workout_path(workout, &format!("/facilities/{facility}/withdraw")),
            &actor.token,
            Some(body),
            if_match(version),
        )
        .await
    }

    /// `GET /workouts/{id}/facilities/{fid}/history`: every version of a facility.
    pub async fn facility_history(&self, actor: &Actor, workout: Uuid, facility: Uuid) -> Answer {
        self.get(
            &workout_path(workout, &format!("/facilities/{facility}/history")),
            actor,
        )
        .await
    }

    /// `POST /workouts/{id}/facilities/import?mode=merge` with a `text/csv` schedule.
    pub async fn import_facilities(&self, actor: &Actor, workout: Uuid, csv: &str) -> Answer {
        self.post_csv(
            &workout_path(workout, "/facilities/import?mode=merge"),
            actor,
            csv,
        )
        .await
    }

    /// `PUT /workouts/{id}/fx-rates/{date}`: the coordinator sets the rates of a date.
    pub async fn set_fx_rates(
        &self,
        actor: &Actor,
        workout: Uuid,
        date: &str,
        body: &Value,
    ) -> Answer {
        self.send_as(
            Method::PUT,
            &workout_path(workout, &format!("/fx-rates/{date}")),
            &actor.token,
            Some(body),
            None,
        )
        .await
    }

    /// `GET /workouts/{id}/exposures?as_of=DATE`: the record-date snapshot.
    pub async fn snapshot(&self, actor: &Actor, workout: Uuid, as_of: &str) -> Answer {
        self.get(
            &workout_path(workout, &format!("/exposures?as_of={as_of}")),
            actor,
        )
        .await
    }

    /// `GET /workouts/{id}/exposures/drift?reference=DATE&as_of=DATE`: each creditor's change.
    pub async fn drift(
        &self,
        actor: &Actor,
        workout: Uuid,
        reference: &str,
        as_of: &str,
    ) -> Answer {
        self.get(
            &workout_path(
                workout,
                &format!("/exposures/drift?reference={reference}&as_of={as_of}"),
            ),
            actor,
        )
        .await
    }

    /// `POST /workouts/{id}/information-requests`: the coordinator sends a request.
    pub async fn send_information_request(
        &self,
        actor: &Actor,
        workout: Uuid,
        body: &Value,
    ) -> Answer {
        self.post(&workout_path(workout, "/information-requests"), actor, body)
            .await
    }

    /// `POST /workouts/{id}/information-requests/{rid}/answer`: records the borrower's answer.
    pub async fn answer_information_request(
        &self,
        actor: &Actor,
        workout: Uuid,
        request: Uuid,
        body: &Value,
    ) -> Answer {
        self.post(
            &workout_path(workout, &format!("/information-requests/{request}/answer")),
            actor,
            body,
        )
        .await
    }

    /// `GET /workouts/{id}/information-requests`: the requests and the cooperation flag.
    pub async fn information_requests(&self, actor: &Actor, workout: Uuid) -> Answer {
        self.get(&workout_path(workout, "/information-requests"), actor)
            .await
    }

    /// `GET /workouts/{id}/audit`: the workout's audit chain (JSON lines).
    pub async fn workout_audit(&self, actor: &Actor, workout: Uuid) -> Answer {
        self.get(&workout_path(workout, "/audit"), actor).await
    }

    /// `GET /internal/workouts/{id}/members/{institution}`: an institution's roles (service token).
    pub async fn internal_member(&self, token: &str, workout: Uuid, institution: Uuid) -> Answer {
        self.send_as(
            Method::GET,
            &format!("/registry/v1/internal/workouts/{workout}/members/{institution}"),
            token,
            None,
            None,
        )
        .await
    }

    /// `GET /internal/workouts/{id}/participants` followed by `query` (empty or `?limit=…`): the
    /// participants with their contacts (a page; service token).
    pub async fn internal_participants(&self, token: &str, workout: Uuid, query: &str) -> Answer {
        self.send_as(
            Method::GET,
            &format!("/registry/v1/internal/workouts/{workout}/participants{query}"),
            token,
            None,
            None,
        )
        .await
    }

    /// `PUT /internal/workouts/{id}/coordinator`: appoints a coordinator (service token).
    pub async fn appoint_coordinator(&self, token: &str, workout: Uuid, body: &Value) -> Answer {
        self.send_as(
            Method::PUT,
            &format!("/registry/v1/internal/workouts/{workout}/coordinator"),
            token,
            Some(body),
            None,
        )
        .await
    }

    /// `POST /internal/workouts/{id}/status` (service token), with `Idempotency-Key` when given.
    pub async fn set_workout_status(
        &self,
        token: &str,
        workout: Uuid,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Answer {
        let headers: Vec<(&str, &str)> = idempotency_key
            .map(|k| ("idempotency-key", k))
            .into_iter()
            .collect();
        self.call_with(
            Method::POST,
            &format!("/registry/v1/internal/workouts/{workout}/status"),
            Some(token),
            Some(body),
            &headers,
        )
        .await
    }

    /// `POST /workouts/{id}/information-requests/{rid}/answer-date`: the coordinator corrects the
    /// date of an answer.
    pub async fn correct_answer_date(
        &self,
        actor: &Actor,
        workout: Uuid,
        request: Uuid,
        body: &Value,
    ) -> Answer {
        self.post(
            &workout_path(
                workout,
                &format!("/information-requests/{request}/answer-date"),
            ),
            actor,
            body,
        )
        .await
    }

    /// `POST /workouts/{id}/information-requests/{rid}/cancel`: the coordinator cancels a request.
    pub async fn cancel_information_request(
        &self,
        actor: &Actor,
        workout: Uuid,
        request: Uuid,
        body: &Value,
    ) -> Answer {
        self.post(
            &workout_path(workout, &format!("/information-requests/{request}/cancel")),
            actor,
            body,
        )
        .await
    }

    /// `POST /workouts/{id}/borrower-classification`: the coordinator classes the borrower
    /// non-cooperative.
    pub async fn classify_borrower(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(
            &workout_path(workout, "/borrower-classification"),
            actor,
            body,
        )
        .await
    }

    /// `POST /workouts/{id}/borrower-classification/lift`: the coordinator lifts it.
    pub async fn lift_borrower_classification(
        &self,
        actor: &Actor,
        workout: Uuid,
        body: &Value,
    ) -> Answer {
        self.post(
            &workout_path(workout, "/borrower-classification/lift"),
            actor,
            body,
        )
        .await
    }

    /// `GET /workouts/{id}/borrower-classification[rest]`: what stands and the history (`rest`
    /// empty or a query such as `?limit=1`).
    pub async fn borrower_classification(
        &self,
        actor: &Actor,
        workout: Uuid,
        rest: &str,
    ) -> Answer {
        self.get(
            &workout_path(workout, &format!("/borrower-classification{rest}")),
            actor,
        )
        .await
    }

    /// `GET /workouts/{id}/facilities/{fid}`: one facility as now in force, with its `ETag`.
    pub async fn facility(&self, actor: &Actor, workout: Uuid, facility: Uuid) -> Answer {
        self.get(
            &workout_path(workout, &format!("/facilities/{facility}")),
            actor,
        )
        .await
    }

    /// `POST /workouts/{id}/facilities/import{query}` with a `text/csv` schedule; `query` is empty
    /// or starts with `?` (e.g. `?mode=replace`).
    pub async fn import_facilities_with(
        &self,
        actor: &Actor,
        workout: Uuid,
        query: &str,
        csv: &str,
    ) -> Answer {
        self.post_csv(
            &workout_path(workout, &format!("/facilities/import{query}")),
            actor,
            csv,
        )
        .await
    }

    /// `POST /workouts/{id}/facilities/security/import` with a `text/csv` list of collateral and
    /// guarantees.
    pub async fn import_security(&self, actor: &Actor, workout: Uuid, csv: &str) -> Answer {
        self.post_csv(
            &workout_path(workout, "/facilities/security/import"),
            actor,
            csv,
        )
        .await
    }

    /// `GET /workouts/{id}/fx-rates/{date}`: the current version of a date's rates.
    pub async fn fx_rates(&self, actor: &Actor, workout: Uuid, date: &str) -> Answer {
        self.get(&workout_path(workout, &format!("/fx-rates/{date}")), actor)
            .await
    }

    /// `GET /workouts/{id}/fx-rates/{date}/versions{query}`: a page of a date's rate versions
    /// (`query` empty or starting with `?`).
    pub async fn fx_rate_versions(
        &self,
        actor: &Actor,
        workout: Uuid,
        date: &str,
        query: &str,
    ) -> Answer {
        self.get(
            &workout_path(workout, &format!("/fx-rates/{date}/versions{query}")),
            actor,
        )
        .await
    }

    /// `POST /workouts/{id}/snapshots`: the coordinator freezes the snapshot of a record date.
    pub async fn freeze_snapshot(&self, actor: &Actor, workout: Uuid, as_of: &str) -> Answer {
        self.post(
            &workout_path(workout, "/snapshots"),
            actor,
            &serde_json::json!({ "as_of": as_of }),
        )
        .await
    }

    /// `GET /workouts/{id}/snapshots{query}`: a page of the frozen snapshots.
    pub async fn frozen_snapshots(&self, actor: &Actor, workout: Uuid, query: &str) -> Answer {
        self.get(&workout_path(workout, &format!("/snapshots{query}")), actor)
            .await
    }

    /// `GET /workouts/{id}/snapshots/{snapshot}{rest}`: a frozen snapshot (`rest` empty) or one
    /// of its exports.
    pub async fn frozen_snapshot(
        &self,
        actor: &Actor,
        workout: Uuid,
        snapshot: Uuid,
        rest: &str,
    ) -> Answer {
        self.get(
            &workout_path(workout, &format!("/snapshots/{snapshot}{rest}")),
            actor,
        )
        .await
    }

    /// `GET /internal/workouts/{id}/snapshots/{snapshot}` (service token): a whole frozen snapshot.
    pub async fn internal_frozen_snapshot(
        &self,
        token: &str,
        workout: Uuid,
        snapshot: Uuid,
    ) -> Answer {
        self.call(
            Method::GET,
            &format!("/registry/v1/internal/workouts/{workout}/snapshots/{snapshot}"),
            Some(token),
            None,
        )
        .await
    }

    /// `PUT /workouts/{id}/settings`: records exposure settings (coordinator).
    pub async fn set_exposure_settings(
        &self,
        actor: &Actor,
        workout: Uuid,
        body: &Value,
    ) -> Answer {
        self.put(&workout_path(workout, "/settings"), actor, body)
            .await
    }

    /// `GET /workouts/{id}/settings{query}`: the exposure settings in force and their history.
    pub async fn exposure_settings(&self, actor: &Actor, workout: Uuid, query: &str) -> Answer {
        self.get(&workout_path(workout, &format!("/settings{query}")), actor)
            .await
    }
}

// ---------------------------------------------------------------------------------------------
// The mandates service (issue 10).

/// `/mandates/v1/workouts/{workout}/mandate{rest}`.
pub fn mandate_path(workout: Uuid, rest: &str) -> String {
    format!("/mandates/v1/workouts/{workout}/mandate{rest}")
}

impl TestApp {
    /// `POST .../mandate`: starts the workout's mandate.
    pub async fn start_mandate(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(&mandate_path(workout, ""), actor, body).await
    }

    /// `GET .../mandate`.
    pub async fn mandate(&self, actor: &Actor, workout: Uuid) -> Answer {
        self.get(&mandate_path(workout, ""), actor).await
    }

    /// `POST .../mandate/decline`.
    pub async fn decline_nomination(&self, actor: &Actor, workout: Uuid, reason: &str) -> Answer {
        self.post(
            &mandate_path(workout, "/decline"),
            actor,
            &serde_json::json!({ "reason": reason }),
        )
        .await
    }

    /// `POST .../mandate/nominations`.
    pub async fn nominate_coordinator(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(&mandate_path(workout, "/nominations"), actor, body)
            .await
    }

    /// `POST .../mandate/consents`.
    pub async fn consent(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(&mandate_path(workout, "/consents"), actor, body)
            .await
    }

    /// `POST .../mandate/renewals`.
    pub async fn propose_renewal(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(&mandate_path(workout, "/renewals"), actor, body)
            .await
    }

    /// `POST .../mandate/renewals/{renewal}/responses`.
    pub async fn answer_renewal(
        &self,
        actor: &Actor,
        workout: Uuid,
        renewal: Uuid,
        body: &Value,
    ) -> Answer {
        self.post(
            &mandate_path(workout, &format!("/renewals/{renewal}/responses")),
            actor,
            body,
        )
        .await
    }

    /// `POST .../mandate/withdrawal-notices`.
    pub async fn give_withdrawal_notice(&self, actor: &Actor, workout: Uuid, text: &str) -> Answer {
        self.post(
            &mandate_path(workout, "/withdrawal-notices"),
            actor,
            &serde_json::json!({ "text": text }),
        )
        .await
    }

    /// `POST .../mandate/withdrawal`.
    pub async fn withdraw_coordinator(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(&mandate_path(workout, "/withdrawal"), actor, body)
            .await
    }

    /// `GET .../mandate/duties`.
    pub async fn duties(&self, actor: &Actor, workout: Uuid) -> Answer {
        self.get(&mandate_path(workout, "/duties"), actor).await
    }

    /// `PUT .../mandate/duties/{item}`.
    pub async fn update_duty(
        &self,
        actor: &Actor,
        workout: Uuid,
        item: &str,
        body: &Value,
    ) -> Answer {
        self.put(
            &mandate_path(workout, &format!("/duties/{item}")),
            actor,
            body,
        )
        .await
    }
}

// ---------------------------------------------------------------------------------------------
// Standstills (voting service): one helper per endpoint of `/voting/v1/.../standstills`.
// ---------------------------------------------------------------------------------------------

/// `/voting/v1/workouts/{workout}/standstills` followed by `rest` (empty, or starting with `/`).
pub fn standstill_path(workout: Uuid, rest: &str) -> String {
    format!("/voting/v1/workouts/{workout}/standstills{rest}")
}

impl TestApp {
    /// `POST .../standstills`: proposes a standstill.
    pub async fn propose_standstill(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(&standstill_path(workout, ""), actor, body).await
    }

    /// `GET .../standstills`: the list (`query` empty or starting with `?`).
    pub async fn standstills(&self, actor: &Actor, workout: Uuid, query: &str) -> Answer {
        self.get(&standstill_path(workout, query), actor).await
    }

    /// `GET .../standstills/{id}`.
    pub async fn standstill(&self, actor: &Actor, workout: Uuid, standstill: Uuid) -> Answer {
        self.get(&standstill_path(workout, &format!("/{standstill}")), actor)
            .await
    }

    /// `POST .../standstills/{id}/accede` (`{}`).
    pub async fn accede_standstill(
        &self,
        actor: &Actor,
        workout: Uuid,
        standstill: Uuid,
    ) -> Answer {
        self.post(
            &standstill_path(workout, &format!("/{standstill}/accede")),
            actor,
            &serde_json::json!({}),
        )
        .await
    }

    /// `POST .../standstills/{id}/decline` (`{"comment"}`).
    pub async fn decline_standstill(
        &self,
        actor: &Actor,
        workout: Uuid,
        standstill: Uuid,
        comment: &str,
    ) -> Answer {
        self.post(
            &standstill_path(workout, &format!("/{standstill}/decline")),
            actor,
            &serde_json::json!({ "comment": comment }),
        )
        .await
    }

    /// `POST .../standstills/{id}/breaches`.
    pub async fn report_breach(
        &self,
        actor: &Actor,
        workout: Uuid,
        standstill: Uuid,
        body: &Value,
    ) -> Answer {
        self.post(
            &standstill_path(workout, &format!("/{standstill}/breaches")),
            actor,
            body,
        )
        .await
    }

    /// `POST .../standstills/{id}/terminate` (`{"reason"}`).
    pub async fn terminate_standstill(
        &self,
        actor: &Actor,
        workout: Uuid,
        standstill: Uuid,
        reason: &str,
    ) -> Answer {
        self.post(
            &standstill_path(workout, &format!("/{standstill}/terminate")),
            actor,
            &serde_json::json!({ "reason": reason }),
        )
        .await
    }

    /// `GET .../standstills/{id}/drift`.
    pub async fn standstill_drift(&self, actor: &Actor, workout: Uuid, standstill: Uuid) -> Answer {
        self.get(
            &standstill_path(workout, &format!("/{standstill}/drift")),
            actor,
        )
        .await
    }
}

// ---------------------------------------------------------------------------------------------
// Term sheets (voting service): one helper per endpoint of `/voting/v1/.../term-sheets`.
// ---------------------------------------------------------------------------------------------

/// `/voting/v1/workouts/{workout}/term-sheets` followed by `rest` (empty, or starting with `/`
/// or `?`).
pub fn term_sheet_path(workout: Uuid, rest: &str) -> String {
    format!("/voting/v1/workouts/{workout}/term-sheets{rest}")
}

impl TestApp {
    /// `POST .../term-sheets` (`{"title", "content"}`).
    pub async fn create_term_sheet(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(&term_sheet_path(workout, ""), actor, body).await
    }

    /// `GET .../term-sheets` (`query` empty or starting with `?`).
    pub async fn term_sheets(&self, actor: &Actor, workout: Uuid, query: &str) -> Answer {
        self.get(&term_sheet_path(workout, query), actor).await
    }

    /// `GET .../term-sheets/{id}`.
    pub async fn term_sheet(&self, actor: &Actor, workout: Uuid, sheet: Uuid) -> Answer {
        self.get(&term_sheet_path(workout, &format!("/{sheet}")), actor)
            .await
    }

    /// `PUT .../term-sheets/{id}` with `If-Match: if_match` (none when `None`).
    pub async fn edit_term_sheet(
        &self,
        actor: &Actor,
        workout: Uuid,
        sheet: Uuid,
        if_match: Option<&str>,
        content: &Value,
    ) -> Answer {
        let headers: Vec<(&str, &str)> =
            if_match.map(|tag| ("if-match", tag)).into_iter().collect();
        self.call_with(
            Method::PUT,
            &term_sheet_path(workout, &format!("/{sheet}")),
            Some(&actor.token),
            Some(content),
            &headers,
        )
        .await
    }

    /// `GET .../term-sheets/{id}/versions/{n}`.
    pub async fn term_sheet_version(
        &self,
        actor: &Actor,
        workout: Uuid,
        sheet: Uuid,
        version: i32,
    ) -> Answer {
        self.get(
            &term_sheet_path(workout, &format!("/{sheet}/versions/{version}")),
            actor,
        )
        .await
    }

    /// `GET .../term-sheets/{id}/diff?from=&to=`.
    pub async fn term_sheet_diff(
        &self,
        actor: &Actor,
        workout: Uuid,
        sheet: Uuid,
        from: i32,
        to: i32,
    ) -> Answer {
        self.get(
            &term_sheet_path(workout, &format!("/{sheet}/diff?from={from}&to={to}")),
            actor,
        )
        .await
    }

    /// `GET .../term-sheets/{id}/completeness` (`query` empty or `?version=n`).
    pub async fn term_sheet_completeness(
        &self,
        actor: &Actor,
        workout: Uuid,
        sheet: Uuid,
        query: &str,
    ) -> Answer {
        self.get(
            &term_sheet_path(workout, &format!("/{sheet}/completeness{query}")),
            actor,
        )
        .await
    }

    /// `POST .../term-sheets/{id}/versions/{n}/comments` (`{"body"}`).
    pub async fn comment_term_sheet(
        &self,
        actor: &Actor,
        workout: Uuid,
        sheet: Uuid,
        version: i32,
        body: &str,
    ) -> Answer {
        self.post(
            &term_sheet_path(workout, &format!("/{sheet}/versions/{version}/comments")),
            actor,
            &serde_json::json!({ "body": body }),
        )
        .await
    }

    /// `GET .../term-sheets/{id}/versions/{n}/comments`.
    pub async fn term_sheet_comments(
        &self,
        actor: &Actor,
        workout: Uuid,
        sheet: Uuid,
        version: i32,
    ) -> Answer {
        self.get(
            &term_sheet_path(workout, &format!("/{sheet}/versions/{version}/comments")),
            actor,
        )
        .await
    }
}

// ---------------------------------------------------------------------------------------------

/// `/minutes/v1/workouts/{workout}/meetings` followed by `rest` (empty, or starting with `/` or
/// `?`).
pub fn meeting_path(workout: Uuid, rest: &str) -> String {
    format!("/minutes/v1/workouts/{workout}/meetings{rest}")
}

impl TestApp {
    /// `POST .../meetings`: schedules a meeting.
    pub async fn schedule_meeting(&self, actor: &Actor, workout: Uuid, body: &Value) -> Answer {
        self.post(&meeting_path(workout, ""), actor, body).await
    }

    /// `GET .../meetings` (`query` empty or starting with `?`).
    pub async fn meetings(&self, actor: &Actor, workout: Uuid, query: &str) -> Answer {
        self.get(&meeting_path(workout, query), actor).await
    }

    /// `GET .../meetings/{id}`.
    pub async fn meeting(&self, actor: &Actor, workout: Uuid, meeting: Uuid) -> Answer {
        self.get(&meeting_path(workout, &format!("/{meeting}")), actor)
            .await
    }

    /// `PUT .../meetings/{id}` with `If-Match: "<sequence>"` when given.
    pub async fn update_meeting(
        &self,
        actor: &Actor,
        workout: Uuid,
        meeting: Uuid,
        sequence: Option<u32>,
        body: &Value,
    ) -> Answer {
        self.send_as(
            Method::PUT,
            &meeting_path(workout, &format!("/{meeting}")),
            &actor.token,
            Some(body),
            if_match(sequence),
        )
        .await
    }

    /// `POST .../meetings/{id}/cancel` (`{"reason"}`).
    pub async fn cancel_meeting(
        &self,
        actor: &Actor,
        workout: Uuid,
        meeting: Uuid,
        reason: &str,
    ) -> Answer {
        self.post(
            &meeting_path(workout, &format!("/{meeting}/cancel")),
            actor,
            &serde_json::json!({ "reason": reason }),
        )
        .await
    }

    /// `GET .../meetings/{id}/invite.ics`.
    pub async fn meeting_invitation(&self, actor: &Actor, workout: Uuid, meeting: Uuid) -> Answer {
        self.get(
            &meeting_path(workout, &format!("/{meeting}/invite.ics")),
            actor,
        )
        .await
    }

    /// `PUT .../meetings/{id}/attendance` (`{"attendees": [...]}`).
    pub async fn record_attendance(
        &self,
        actor: &Actor,
        workout: Uuid,
        meeting: Uuid,
        body: &Value,
    ) -> Answer {
        self.put(
            &meeting_path(workout, &format!("/{meeting}/attendance")),
            actor,
            body,
        )
        .await
    }

    /// `GET .../meetings/{id}/quorum` (`query` empty or starting with `?`).
    pub async fn meeting_quorum(
        &self,
        actor: &Actor,
        workout: Uuid,
        meeting: Uuid,
        query: &str,
    ) -> Answer {
        self.get(
            &meeting_path(workout, &format!("/{meeting}/quorum{query}")),
            actor,
        )
        .await
    }
}
