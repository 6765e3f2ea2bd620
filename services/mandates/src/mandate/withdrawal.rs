//! The coordinator's withdrawal during its term: a ground (category) and its text; the ground
//! "creditors or the borrower keep changing positions" needs a notice to all creditors and the
//! borrower recorded first. Withdrawal ends the mandate's term and opens a new nomination (the
//! next largest creditor, the withdrawn one passed over). The registry keeps the withdrawn bank as
//! coordinator of record until the next appointment replaces it. See the module rules in
//! [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::mandates::WithdrawalCategory;
use workout_domain::text;
use workout_domain::{Action, MandatesTopic, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{Access, ApiError, Caller, JsonBody, input};
use workout_store::audit::Actor;
use workout_store::{Pool, Reply, idempotency, scheduler};

use super::jobs::{CUTOFF_JOB, EXPIRY_JOB, RENEWAL_CLOSING_JOB};
use super::read::{MandateView, view_of};
use super::{
    MandateRow, NominatedHow, State, announce, breach, default_nomination, load_mandate,
    open_round, to_json, today,
};
use crate::schema::{mandates, withdrawal_notices, withdrawals};

/// `POST .../mandate/withdrawal-notices`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveNotice {
    /// The notice as sent to all creditors and the borrower, 1–2,000 characters.
    pub text: String,
}

/// `POST .../mandate/withdrawal`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdraw {
    /// The ground.
    pub category: WithdrawalCategory,
    /// The grounds spelled out, 1–2,000 characters.
    pub text: String,
}

/// The mandate of `workout` locked, if the caller's institution is its appointed coordinator with
/// a term running; 403 otherwise.
pub async fn as_coordinator(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    caller: &Caller,
    access: &Access,
) -> Result<MandateRow, ApiError> {
    access.require(Action::ActOnMandate)?;
    let mandate = load_mandate(conn, workout, true).await?;
    let running = matches!(mandate.state()?, State::Active | State::Closing);
    if !running || mandate.coordinator_id != Some(caller.institution_id.into_uuid()) {
        return Err(ApiError::Forbidden(
            "only the coordinator appointed under this mandate, during its term, may do this"
                .to_owned(),
        ));
    }
    Ok(mandate)
}

/// `POST /mandates/v1/workouts/{workout_id}/mandate/withdrawal-notices` (the appointed
/// coordinator): records its notice to all creditors and the borrower that positions keep
/// changing without reason. Answers 201 with the mandate.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    request_body = GiveNotice,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = MandateView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/mandate/withdrawal-notices")]
pub async fn give_withdrawal_notice(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<GiveNotice>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ActOnMandate)?;
    let body = body.parse()?;
    let notice = input::text("text", text::LONG_REASON, &body.value.text)?;
    let facts = registry.workout(workout).await?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mandate = as_coordinator(conn, workout, &caller, &access).await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        diesel::insert_into(withdrawal_notices::table)
            .values((
                withdrawal_notices::id.eq(id),
                withdrawal_notices::mandate_id.eq(mandate.id),
                withdrawal_notices::coordinator_id.eq(caller.institution_id.into_uuid()),
                withdrawal_notices::text.eq(&notice),
                withdrawal_notices::given_by.eq(caller.user_id.into_uuid()),
                withdrawal_notices::given_at.eq(now),
            ))
            .execute(conn)
            .await?;
        announce(
            conn,
            workout,
            &Actor::from(&caller),
            MandatesTopic::WithdrawalNoticeGiven,
            &serde_json::json!({ "mandate_id": mandate.id, "notice_id": id, "text": notice }),
        )
        .await?;
        Reply::created(
            format!("/mandates/v1/workouts/{workout}/mandate"),
            &view_of(conn, &mandate, today(&facts.calendar, now)).await?,
        )
    })
    .await
}

/// `POST /mandates/v1/workouts/{workout_id}/mandate/withdrawal` (the appointed coordinator):
/// withdraws on a ground; the next largest creditor is nominated. Answers 200 with the mandate;
/// 422 `mandate_withdrawal_notice` for the "positions keep changing" ground without a notice.
#[utoipa::path(tag = "mandates", security(("bearer" = [])),
    request_body = Withdraw,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, body = MandateView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/mandate/withdrawal")]
pub async fn withdraw(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    body: JsonBody<Withdraw>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ActOnMandate)?;
    let body = body.parse()?;
    let grounds = input::text("text", text::LONG_REASON, &body.value.text)?;
    let category = body.value.category;
    let facts = registry.workout(workout).await?;
    let now = Utc::now();
    let day = today(&facts.calendar, now);
    let snapshot = registry.snapshot(workout, day).await?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mandate = as_coordinator(conn, workout, &caller, &access).await?;
        let notice: Option<Uuid> = withdrawal_notices::table
            .filter(withdrawal_notices::mandate_id.eq(mandate.id))
            .filter(withdrawal_notices::coordinator_id.eq(caller.institution_id.into_uuid()))
            .order(withdrawal_notices::given_at.desc())
            .select(withdrawal_notices::id)
            .first(conn)
            .await
            .optional()?;
        category.check(notice.is_some()).map_err(|e| breach(&e))?;
        diesel::insert_into(withdrawals::table)
            .values((
                withdrawals::id.eq(Uuid::now_v7()),
                withdrawals::mandate_id.eq(mandate.id),
                withdrawals::coordinator_id.eq(caller.institution_id.into_uuid()),
                withdrawals::category.eq(category.as_str()),
                withdrawals::text.eq(&grounds),
                withdrawals::notice_id.eq(notice.filter(|_| category.needs_notice())),
                withdrawals::withdrawn_by.eq(caller.user_id.into_uuid()),
                withdrawals::withdrawn_at.eq(now),
            ))
            .execute(conn)
            .await?;
        let mut passed_over = mandate.passed_over()?;
        passed_over.push(caller.institution_id);
        let ended: MandateRow = diesel::update(mandates::table.find(mandate.id))
            .set((
                mandates::coordinator_id.eq(None::<Uuid>),
                mandates::appointed_on.eq(None::<chrono::NaiveDate>),
                mandates::term_end.eq(None::<serde_json::Value>),
                mandates::renewals.eq(0),
                mandates::passed_over.eq(to_json(&passed_over)?),
            ))
            .returning(MandateRow::as_returning())
            .get_result(conn)
            .await?;
        let key = mandate.id.to_string();
        scheduler::cancel(conn, CUTOFF_JOB, &key).await?;
        scheduler::cancel(conn, EXPIRY_JOB, &key).await?;
        scheduler::cancel(conn, RENEWAL_CLOSING_JOB, &key).await?;
        let actor = Actor::from(&caller);
        announce(
            conn,
            workout,
            &actor,
            MandatesTopic::CoordinatorWithdrew,
            &serde_json::json!({
                "mandate_id": mandate.id, "coordinator_id": caller.institution_id,
                "category": category, "text": grounds, "notice_id": notice,
            }),
        )
        .await?;
        let (nominee, nomination) = default_nomination(
            snapshot.creditors(),
            day,
            snapshot.content_hash(),
            &passed_over,
            NominatedHow::AfterWithdrawal,
            None,
        );
        let updated = open_round(
            conn,
            &ended,
            nominee,
            &nomination,
            &actor,
            serde_json::Value::Null,
        )
        .await?;
        Reply::ok(&view_of(conn, &updated, day).await?)
    })
    .await
}
