//! Attendance and quorum: the coordinator records who attended (marking the meeting `held`), and
//! anyone who reads the meeting checks the quorum by the domain's
//! [`AttendanceQuorum`], weighted by the registry's snapshot of the meeting's date. See the
//! module rules in [`super`].
//!
//! A creditor counts as present when a person attended for it or holds its proxy. Each
//! creditor's weight is shown as the domain's position rule lets the reader see it (the
//! coordinator and the borrower all, a creditor its own, others none); the engine's arithmetic
//! (totals and shares) is shown to every reader of the meeting.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::text;
use workout_domain::voting::{AttendanceQuorum, Outcome, Rule, Voter};
use workout_domain::{Action, InstitutionId, MinutesTopic, PositionView};
use workout_http::precondition::etag;
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, FieldError, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::read::{MeetingView, view_of};
use super::{
    AttendanceRow, ChangeRow, MeetingPath, State, invitees_of, load_meeting, readable_meeting,
    store_change, to_json,
};
use crate::schema::{attendance, meetings};

/// At most this many people attend a meeting.
const MAX_ATTENDEES: usize = 500;

/// One person who attended.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendeeInput {
    /// The invited institution the person attended for.
    pub institution_id: Uuid,
    /// The person's name, 1–200 characters.
    pub person_name: String,
    /// In what capacity (e.g. "Head of restructuring"), 1–200 characters.
    pub capacity: String,
    /// Another invited institution the person held a proxy for, if any.
    pub proxy_for: Option<Uuid>,
}

/// `PUT .../attendance`: the whole list.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordAttendance {
    /// Everyone who attended (1–500 people).
    pub attendees: Vec<AttendeeInput>,
}

/// `?rule=` of the quorum check.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuorumQuery {
    /// The quorum, `measure:comparison:fraction`, comma-separated: e.g. `value:more_than:1/2`
    /// (the default: more than half of the exposure present), `number:at_least:2/3`, or
    /// `value:at_least:1/2,number:more_than:1/2` (both must be met).
    pub rule: Option<String>,
}

/// A creditor of the snapshot and whether it was present.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuorumLine {
    /// The creditor.
    pub creditor_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its exposure (the weight) in the base currency; null when the reader may not see it.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<String>)]
    pub weight: Option<Decimal>,
    /// Present in person or by proxy.
    pub present: bool,
    /// The institution whose person held its proxy, when it was present only by proxy.
    pub by_proxy_of: Option<Uuid>,
    /// A related party of the borrower (left out of the quorum, as in every preset).
    pub related_party: bool,
}

/// The quorum check.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuorumView {
    /// The meeting.
    pub meeting_id: Uuid,
    /// The record date: the meeting's local date in its time zone.
    pub as_of: NaiveDate,
    /// The snapshot's content hash.
    pub snapshot_hash: String,
    /// The quorum as text.
    pub quorum: String,
    /// The quorum's thresholds.
    pub thresholds: AttendanceQuorum,
    /// The voting engine's rule it is evaluated by.
    pub rule: Rule,
    /// Whether it is met.
    pub met: bool,
    /// Every creditor of the snapshot, by id.
    pub creditors: Vec<QuorumLine>,
    /// The institutions present that are not creditors of the snapshot (e.g. the borrower).
    pub other_present: Vec<Uuid>,
    /// The engine's arithmetic: "for" is present, "not voted" is absent.
    pub outcome: Outcome,
}

/// `PUT /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}/attendance` (the coordinator):
/// records who attended (replacing an earlier record) and marks the meeting `held`. 409
/// `meeting_cancelled`; 422 for a person of an institution not invited.
#[utoipa::path(tag = "meetings", security(("bearer" = [])),
    request_body = RecordAttendance,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = MeetingView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/meetings/{meeting_id}/attendance")]
pub async fn record_attendance(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
    body: JsonBody<RecordAttendance>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::RecordAttendance)?;
    let body = body.parse()?;
    let now = Utc::now();
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mut row = load_meeting(conn, workout, id, true).await?;
        if row.state()? == State::Cancelled {
            return Err(ApiError::conflict(
                "meeting_cancelled",
                "the meeting is cancelled: no attendance can be recorded",
            ));
        }
        let invitees: BTreeSet<Uuid> = invitees_of(conn, id).await?.into_iter().collect();
        let rows = check(&body.value, &invitees, id, caller.user_id.into_uuid(), now)?;
        diesel::delete(attendance::table.filter(attendance::meeting_id.eq(id)))
            .execute(conn)
            .await?;
        diesel::insert_into(attendance::table)
            .values(&rows)
            .execute(conn)
            .await?;
        let before_state = row.state.clone();
        row.state = State::Held.as_str().to_owned();
        row.updated_at = now;
        diesel::update(meetings::table.find(id))
            .set((meetings::state.eq(&row.state), meetings::updated_at.eq(now)))
            .execute(conn)
            .await?;
        let after = serde_json::json!({ "attendees": body.value.attendees });
        store_change(
            conn,
            &ChangeRow {
                id: Uuid::now_v7(),
                meeting_id: id,
                kind: "held".to_owned(),
                before: Some(serde_json::json!({ "state": before_state })),
                after: after.clone(),
                reason: None,
                changed_by: caller.user_id.into_uuid(),
                changed_at: now,
            },
        )
        .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            MinutesTopic::AttendanceRecorded,
            MinutesTopic::AttendanceRecorded.disclosure(),
            None,
            &serde_json::json!({ "meeting_id": id, "workout_id": workout, "state": row.state,
                "attendees": to_json(&body.value.attendees)? }),
        )
        .await?;
        Ok(Reply::ok(&view_of(conn, &row).await?)?.with_etag(etag(row.sequence)))
    })
    .await
}

fn check(
    input: &RecordAttendance,
    invitees: &BTreeSet<Uuid>,
    meeting: Uuid,
    by: Uuid,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<AttendanceRow>, ApiError> {
    let mut errors = Vec::new();
    if input.attendees.is_empty() || input.attendees.len() > MAX_ATTENDEES {
        errors.push(FieldError::new(
            "attendees",
            format!("name 1 to {MAX_ATTENDEES} people who attended"),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for (n, attendee) in input.attendees.iter().enumerate() {
        let field = |name: &str| format!("attendees[{n}].{name}");
        if !invitees.contains(&attendee.institution_id) {
            errors.push(FieldError::new(
                field("institution_id"),
                "the institution was not invited to this meeting",
            ));
        }
        if let Some(proxy) = attendee.proxy_for {
            if proxy == attendee.institution_id {
                errors.push(FieldError::new(
                    field("proxy_for"),
                    "a proxy is held for another institution than one's own",
                ));
            } else if !invitees.contains(&proxy) {
                errors.push(FieldError::new(
                    field("proxy_for"),
                    "the institution was not invited to this meeting",
                ));
            }
        }
        let person = text::NAME.parse(&attendee.person_name);
        let capacity = text::NAME.parse(&attendee.capacity);
        match (person, capacity) {
            (Ok(person), Ok(capacity)) => {
                let person = person.into_string();
                if !seen.insert((attendee.institution_id, person.clone())) {
                    errors.push(FieldError::new(
                        field("person_name"),
                        "this person is listed twice for the same institution",
                    ));
                }
                rows.push(AttendanceRow {
                    meeting_id: meeting,
                    institution_id: attendee.institution_id,
                    person_name: person,
                    capacity: capacity.into_string(),
                    proxy_for: attendee.proxy_for,
                    recorded_by: by,
                    recorded_at: now,
                });
            }
            (person, capacity) => {
                if let Err(e) = person {
                    errors.push(FieldError::new(field("person_name"), e.to_string()));
                }
                if let Err(e) = capacity {
                    errors.push(FieldError::new(field("capacity"), e.to_string()));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// `GET /minutes/v1/workouts/{workout_id}/meetings/{meeting_id}/quorum?rule=` (its invitees and
/// the coordinator): whether the creditors present make the quorum, weighted by the registry's
/// snapshot of the meeting's date, with the engine's arithmetic.
#[utoipa::path(tag = "meetings", security(("bearer" = [])),
    params(QuorumQuery),
    responses((status = 200, body = QuorumView), (status = 404, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/meetings/{meeting_id}/quorum")]
pub async fn check_quorum(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<MeetingPath>,
    query: web::Query<QuorumQuery>,
) -> Result<HttpResponse, ApiError> {
    let MeetingPath {
        workout_id: workout,
        meeting_id: id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    let (row, attendees) = {
        let mut conn = pool.get().await?;
        let row = readable_meeting(&mut conn, &access, id).await?;
        let attendees: Vec<AttendanceRow> = attendance::table
            .filter(attendance::meeting_id.eq(id))
            .select(AttendanceRow::as_select())
            .load(&mut conn)
            .await?;
        (row, attendees)
    };
    let quorum = match query.rule.as_deref() {
        None => AttendanceQuorum::DEFAULT,
        Some(text) => text
            .parse::<AttendanceQuorum>()
            .map_err(|e| ApiError::invalid_field("rule", e.to_string()))?,
    };
    let as_of = row.local_date()?;
    let snapshot = registry.snapshot(workout, as_of).await?;
    // Present in person first; by proxy only when nobody attended for it.
    let in_person: BTreeSet<Uuid> = attendees.iter().map(|a| a.institution_id).collect();
    let mut by_proxy: BTreeMap<Uuid, Uuid> = BTreeMap::new();
    for attendee in &attendees {
        if let Some(proxy) = attendee.proxy_for
            && !in_person.contains(&proxy)
        {
            by_proxy.entry(proxy).or_insert(attendee.institution_id);
        }
    }
    let present: BTreeSet<InstitutionId> = in_person
        .iter()
        .chain(by_proxy.keys())
        .map(|id| InstitutionId::from_uuid(*id))
        .collect();
    let voters: Vec<Voter> = snapshot
        .creditors()
        .iter()
        .flat_map(|line| {
            line.by_class.iter().map(|class| Voter {
                creditor: line.creditor,
                class: class.class.clone(),
                weight: class.amount.amount,
                related_party: line.related_party,
                conflicted: false,
            })
        })
        .collect();
    let outcome = quorum
        .check(&voters, &present)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("quorum tally: {e}")))?;
    let view = PositionView::of(access.institution, &access.roles);
    let creditors: Vec<QuorumLine> = snapshot
        .creditors()
        .iter()
        .map(|line| QuorumLine {
            creditor_id: line.creditor.into_uuid(),
            name: line.name.clone(),
            weight: view.shows(line.creditor).then_some(line.exposure.amount),
            present: present.contains(&line.creditor),
            by_proxy_of: by_proxy.get(&line.creditor.into_uuid()).copied(),
            related_party: line.related_party,
        })
        .collect();
    let other_present: Vec<Uuid> = present
        .iter()
        .filter(|id| snapshot.creditor(**id).is_none())
        .map(|id| id.into_uuid())
        .collect();
    Ok(HttpResponse::Ok().json(QuorumView {
        meeting_id: id,
        as_of,
        snapshot_hash: snapshot.content_hash().to_owned(),
        quorum: quorum.to_string(),
        thresholds: quorum,
        rule: quorum.rule(),
        met: outcome.passed,
        creditors,
        other_present,
        outcome,
    }))
}
