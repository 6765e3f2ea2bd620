//! The consent round: the nominee declines (the next largest is nominated), the coordinator of
//! record nominates another creditor, and the other creditors accept or object until the consent
//! rule of the voting engine is decided; a rule that passes appoints the nominee through the
//! registry. See the module rules in [`super`].

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::mandates::{consent_voters, nomination_order};
use workout_domain::registry_api::Appointment;
use workout_domain::text;
use workout_domain::voting::{Choice, decided};
use workout_domain::{Action, InstitutionId, MandatesTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody, input};
use workout_store::audit::Actor;
use workout_store::{Pool, Reply, idempotency, scheduler};

use super::jobs::{
    CUTOFF_JOB, EXPIRY_JOB, OVERDUE_JOB, RENEWAL_CLOSING_BEFORE, RENEWAL_CLOSING_JOB,
};
use super::read::{MandateView, view_of};
use super::{
    MandateRow, NominatedHow, Nomination, State, announce, calendar_fault, calendar_of,
    default_nomination, end_of, load_mandate, open_round, to_json, today,
};
use crate::schema::{consents, mandates};

/// `POST .../mandate/decline`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decline {
    /// Why, 1–500 characters.
    pub reason: String,
}

/// `POST .../mandate/nominations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Nominate {
    /// The creditor nominated: a creditor of today's snapshot with an exposure, not a related
    /// party.
    pub creditor_id: Uuid,
    /// Why this creditor rather than the largest, 1–500 characters.
    pub rationale: String,
}

/// `POST .../mandate/consents` and `.../renewals/{id}/responses`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Accept (true) or object (false).
    pub accept: bool,
    /// Why; required for an objection, up to 2,000 characters.
    pub reason: Option<String>,
}

/// The reason of an answer, checked: an objection needs one.
pub fn answer_reason(consent: &Consent) -> Result<Option<String>, ApiError> {
    let reason = consent
        .reason
        .as_deref()
        .map(|r| input::text("reason", text::NOTE, r))
        .transpose()?
        .filter(|r| !r.is_empty());
    if !consent.accept && reason.is_none() {
        return Err(ApiError::invalid_field(
            "reason",
            "an objection needs a reason",
        ));
    }
    Ok(reason)
}

/// `POST /mandates/v1/workouts/{workout_id}/mandate/decline` (the nominee): declines with a
/// reason; the next largest creditor is nominated. Answers 200 with the mandate.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    request_body = Decline,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = MandateView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/mandate/decline")]
pub async fn decline_nomination(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<Decline>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::AnswerMandate)?;
    let body = body.parse()?;
    let reason = input::text("reason", text::REASON, &body.value.reason)?;
    let facts = registry.workout(workout).await?;
    let day = today(&facts.calendar, Utc::now());
    let snapshot = registry.snapshot(workout, day).await?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mandate = load_mandate(conn, workout, true).await?;
        if mandate.state()? != State::Nominating
            || mandate.nominee_id != Some(caller.institution_id.into_uuid())
        {
            return Err(ApiError::Forbidden(
                "only the nominee of an open nomination round may decline it".to_owned(),
            ));
        }
        let mut passed_over = mandate.passed_over()?;
        passed_over.push(caller.institution_id);
        diesel::update(mandates::table.find(mandate.id))
            .set(mandates::passed_over.eq(to_json(&passed_over)?))
            .execute(conn)
            .await?;
        let actor = Actor::from(&caller);
        announce(
            conn,
            workout,
            &actor,
            MandatesTopic::NominationDeclined,
            &serde_json::json!({
                "mandate_id": mandate.id, "round": mandate.round,
                "nominee_id": mandate.nominee_id, "reason": reason,
            }),
        )
        .await?;
        let (nominee, nomination) = default_nomination(
            snapshot.creditors(),
            day,
            snapshot.content_hash(),
            &passed_over,
            NominatedHow::AfterDecline,
            Some(reason.clone()),
        );
        let updated = open_round(
            conn,
            &mandate,
            nominee,
            &nomination,
            &actor,
            serde_json::json!({ "declined_by": caller.institution_id }),
        )
        .await?;
        Reply::ok(&view_of(conn, &updated, day).await?)
    })
    .await
}

/// `POST /mandates/v1/workouts/{workout_id}/mandate/nominations` (the coordinator of record,
/// before an appointment): nominates another creditor with a rationale; a new consent round opens.
/// Answers 200 with the mandate; 409 `mandate_appointed` once a coordinator is appointed.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    request_body = Nominate,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = MandateView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/mandate/nominations")]
pub async fn nominate_coordinator(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<Nominate>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ManageNomination)?;
    let body = body.parse()?;
    let rationale = input::text("rationale", text::REASON, &body.value.rationale)?;
    let nominee = InstitutionId::from_uuid(body.value.creditor_id);
    let facts = registry.workout(workout).await?;
    let day = today(&facts.calendar, Utc::now());
    let snapshot = registry.snapshot(workout, day).await?;
    let lines = snapshot.creditors();
    if !nomination_order(lines, &[])
        .iter()
        .any(|c| c.creditor == nominee)
    {
        return Err(ApiError::invalid_field(
            "creditor_id",
            "is not a creditor with an exposure in today's snapshot (or is a related party)",
        ));
    }
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mandate = load_mandate(conn, workout, true).await?;
        if mandate.state()? == State::Opened {
            return Err(ApiError::conflict(
                "mandate_not_started",
                "the mandate is not started: the coordinator of record starts it first \
                 (POST .../mandate), which nominates the largest creditor",
            ));
        }
        if !mandate.state()?.is_open_for_nomination() {
            return Err(ApiError::conflict(
                "mandate_appointed",
                "a coordinator is appointed: a new nomination opens only after a withdrawal",
            ));
        }
        let passed_over = mandate.passed_over()?;
        let nomination = Nomination {
            how: NominatedHow::ByCoordinator,
            rationale: Some(rationale.clone()),
            as_of: day,
            snapshot_hash: snapshot.content_hash().to_owned(),
            order: nomination_order(lines, &passed_over),
            voters: consent_voters(lines, nominee),
        };
        let updated = open_round(
            conn,
            &mandate,
            Some(nominee),
            &nomination,
            &Actor::from(&caller),
            serde_json::Value::Null,
        )
        .await?;
        Reply::ok(&view_of(conn, &updated, day).await?)
    })
    .await
}

/// `POST /mandates/v1/workouts/{workout_id}/mandate/consents` (another creditor of the round):
/// accepts the nominee or objects with a reason, once per round. When the consent rule passes the
/// nominee is appointed; when it fails the round ends with no coordinator. Answers 200 with the
/// mandate; 409 `no_open_round` or `already_answered`.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    request_body = Consent,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = MandateView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/mandate/consents")]
pub async fn give_consent(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<Consent>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::AnswerMandate)?;
    let body = body.parse()?;
    let reason = answer_reason(&body.value)?;
    let accepted = body.value.accept;
    let facts = registry.workout(workout).await?;
    let creditor = caller.institution_id;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        // The row lock makes the answers of one mandate take turns: the one that decides the rule
        // sees every earlier answer, and only one appoints.
        let mandate = load_mandate(conn, workout, true).await?;
        if mandate.state()? != State::Nominating {
            return Err(ApiError::conflict(
                "no_open_round",
                "no nomination round is open for consent",
            ));
        }
        let nomination = mandate.nomination()?;
        if mandate.nominee_id == Some(creditor.into_uuid()) {
            return Err(ApiError::Forbidden(
                "the nominee does not consent to its own nomination (it may decline)".to_owned(),
            ));
        }
        if !nomination.voters.iter().any(|v| v.creditor == creditor) {
            return Err(ApiError::Forbidden(
                "only the other creditors of this round's snapshot consent".to_owned(),
            ));
        }
        let now = Utc::now();
        let inserted = diesel::insert_into(consents::table)
            .values((
                consents::mandate_id.eq(mandate.id),
                consents::round.eq(mandate.round),
                consents::creditor_id.eq(creditor.into_uuid()),
                consents::accepted.eq(accepted),
                consents::reason.eq(&reason),
                consents::given_by.eq(caller.user_id.into_uuid()),
                consents::given_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if inserted == 0 {
            return Err(ApiError::conflict(
                "already_answered",
                "your institution answered this nomination round already",
            ));
        }
        let actor = Actor::from(&caller);
        announce(
            conn,
            workout,
            &actor,
            MandatesTopic::ConsentGiven,
            &serde_json::json!({
                "mandate_id": mandate.id, "round": mandate.round, "nominee_id": mandate.nominee_id,
                "creditor_id": creditor, "accepted": accepted, "reason": reason,
            }),
        )
        .await?;
        let answers: Vec<(Uuid, bool)> = consents::table
            .filter(consents::mandate_id.eq(mandate.id))
            .filter(consents::round.eq(mandate.round))
            .select((consents::creditor_id, consents::accepted))
            .load(conn)
            .await?;
        let rule = mandate.settings()?.rules.consent_rule;
        let day = today(&facts.calendar, now);
        let result = decided(&rule.rule(), &nomination.voters, &choices(&answers))
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("consent tally: {e}")))?;
        let updated = match result {
            Some(true) => appoint(conn, &registry, &mandate, &facts.calendar, day).await?,
            Some(false) => {
                let failed: MandateRow = diesel::update(mandates::table.find(mandate.id))
                    .set((
                        mandates::state.eq(State::Failed.as_str()),
                        mandates::updated_at.eq(now),
                    ))
                    .returning(MandateRow::as_returning())
                    .get_result(conn)
                    .await?;
                announce(
                    conn,
                    workout,
                    &Actor::service("mandates"),
                    MandatesTopic::ConsentFailed,
                    &serde_json::json!({
                        "mandate_id": mandate.id, "round": mandate.round,
                        "nominee_id": mandate.nominee_id, "rule": rule.as_str(),
                    }),
                )
                .await?;
                failed
            }
            None => mandate,
        };
        Reply::ok(&view_of(conn, &updated, day).await?)
    })
    .await
}

/// The engine's view of the answers: accept is `for`, objection is `against`.
pub fn choices(answers: &[(Uuid, bool)]) -> BTreeMap<InstitutionId, Choice> {
    answers
        .iter()
        .map(|(creditor, accepted)| {
            (
                InstitutionId::from_uuid(*creditor),
                if *accepted {
                    Choice::For
                } else {
                    Choice::Against
                },
            )
        })
        .collect()
}

/// Appoints `mandate`'s nominee (its row locked): the registry first (idempotent, keyed by the
/// mandate and round), then the term, its jobs, and `mandates.coordinator_appointed`.
async fn appoint(
    conn: &mut AsyncPgConnection,
    registry: &RegistryClient,
    mandate: &MandateRow,
    calendar_name: &str,
    day: NaiveDate,
) -> Result<MandateRow, ApiError> {
    let nominee = mandate
        .nominee_id
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a round without a nominee")))?;
    let settings = mandate.settings()?;
    let workout = mandate.workout();
    registry
        .appoint_coordinator(
            workout,
            &Appointment {
                institution_id: nominee,
                reason: format!(
                    "mandate {}, round {}: the other creditors consented under the rule {}",
                    mandate.id,
                    mandate.round,
                    settings.rules.consent_rule.as_str()
                ),
            },
            &format!("mandate-{}-round-{}", mandate.id, mandate.round),
        )
        .await?;
    let calendar = calendar_of(calendar_name)?;
    let term_end = settings
        .rules
        .term_end(day, settings.term_months, calendar)
        .map_err(calendar_fault)?;
    let updated: MandateRow = diesel::update(mandates::table.find(mandate.id))
        .set((
            mandates::state.eq(State::Active.as_str()),
            mandates::coordinator_id.eq(Some(nominee)),
            mandates::appointed_on.eq(Some(day)),
            mandates::term_end.eq(Some(to_json(&term_end)?)),
            mandates::updated_at.eq(Utc::now()),
        ))
        .returning(MandateRow::as_returning())
        .get_result(conn)
        .await?;
    scheduler::cancel(conn, OVERDUE_JOB, &mandate.id.to_string()).await?;
    schedule_term_jobs(conn, &updated, calendar_name).await?;
    let due = mandate.appointment_due()?;
    announce(
        conn,
        workout,
        &Actor::service("mandates"),
        MandatesTopic::CoordinatorAppointed,
        &serde_json::json!({
            "mandate_id": mandate.id, "round": mandate.round, "coordinator_id": nominee,
            "appointed_on": day, "late": due.is_overdue(day), "appointment_due": due,
            "term_end": term_end,
        }),
    )
    .await?;
    Ok(updated)
}

/// Schedules (or moves) the renewal cut-off and the expiry of `mandate`'s current term, and the
/// reminder [`RENEWAL_CLOSING_BEFORE`] before the cut-off while a renewal is still allowed and
/// that instant is still to come (otherwise any earlier reminder not yet run is cancelled).
pub async fn schedule_term_jobs(
    conn: &mut AsyncPgConnection,
    mandate: &MandateRow,
    calendar_name: &str,
) -> Result<(), ApiError> {
    let Some(term_end) = mandate.term_end()? else {
        return Ok(());
    };
    let settings = mandate.settings()?;
    let cutoff = settings
        .rules
        .renewal_cutoff(term_end.due, calendar_of(calendar_name)?)
        .map_err(calendar_fault)?;
    let key = mandate.id.to_string();
    let payload = serde_json::json!({
        "workout_id": mandate.workout_id, "mandate_id": mandate.id, "term_end": term_end.due,
        "calendar": calendar_name,
    });
    let window_closes = end_of(cutoff.due, calendar_name)?;
    scheduler::schedule(conn, CUTOFF_JOB, &key, window_closes, payload.clone()).await?;
    let reminder = window_closes - RENEWAL_CLOSING_BEFORE;
    let renewals_left = i64::from(settings.rules.renewals_allowed) > i64::from(mandate.renewals);
    if renewals_left && reminder > Utc::now() {
        scheduler::schedule(conn, RENEWAL_CLOSING_JOB, &key, reminder, payload.clone()).await?;
    } else {
        scheduler::cancel(conn, RENEWAL_CLOSING_JOB, &key).await?;
    }
    scheduler::schedule(
        conn,
        EXPIRY_JOB,
        &key,
        end_of(term_end.due, calendar_name)?,
        payload,
    )
    .await?;
    Ok(())
}
