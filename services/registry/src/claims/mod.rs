//! Claims of creditors that do not take part on the platform (guideline 5.1.1 and 5.1.5 B: tax
//! and zakat, wages, trade creditors, shareholder loans …): the whole debt picture.
//!
//! Rules: the coordinator records a claim and withdraws one with a reason; a claim is never edited
//! (a correction is a withdrawal and a new claim), so the claims in force at the end of any past
//! date can be read back (`?as_of=`). The coordinator, the borrower and the creditors read them;
//! other participants get 403. A claim never votes and carries no weight. Each change is audited
//! on the workout's chain and announced (`registry.other_claim_recorded`,
//! `registry.other_claim_withdrawn`).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::claims::{ClaimantKind, OtherClaim, OtherClaimInput};
use workout_domain::text;
use workout_domain::{Action, BoundedDate, Currency, Money, RegistryTopic, WorkoutId};
use workout_http::input;
use workout_http::{ApiError, Caller, JsonBody, Page, PageQuery, Query};
use workout_runtime::Routes;
use workout_store::Reply;
use workout_store::record::to_json;

use crate::RegistryState;
use crate::facilities::terms::refused;
use crate::facilities::versions::end_of;
use crate::schema::other_claims;
use crate::workouts::membership::{Decider, membership};

/// The claim endpoints.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(record_claim)
        .service(withdraw_claim)
        .service(list_claims);
}

/// A recorded claim, with when and by whom, and its withdrawal if any.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordedClaim {
    /// Id.
    pub id: Uuid,
    /// The claim.
    #[serde(flatten)]
    pub claim: OtherClaim,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The user who recorded it.
    pub recorded_by: Uuid,
    /// When it was withdrawn (absent: in force).
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Why it was withdrawn.
    pub withdrawn_reason: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = other_claims)]
struct ClaimRow {
    id: Uuid,
    claimant: String,
    kind: String,
    currency: String,
    amount: Decimal,
    preferential: bool,
    note: Option<String>,
    recorded_at: DateTime<Utc>,
    recorded_by: Uuid,
    withdrawn_at: Option<DateTime<Utc>>,
    withdrawn_reason: Option<String>,
}

impl TryFrom<ClaimRow> for RecordedClaim {
    type Error = ApiError;

    fn try_from(row: ClaimRow) -> Result<Self, ApiError> {
        let stored = |what: &str, error: String| {
            ApiError::Internal(anyhow::anyhow!("stored claim {}: {what}: {error}", row.id))
        };
        let kind: ClaimantKind = row.kind.parse().map_err(|e| stored("kind", e))?;
        let currency =
            Currency::parse(&row.currency).map_err(|e| stored("currency", e.to_string()))?;
        Ok(Self {
            id: row.id,
            claim: OtherClaim {
                claimant: row.claimant.clone(),
                kind,
                amount: Money::new(row.amount.normalize(), currency),
                preferential: row.preferential,
                note: row.note.clone(),
            },
            recorded_at: row.recorded_at,
            recorded_by: row.recorded_by,
            withdrawn_at: row.withdrawn_at,
            withdrawn_reason: row.withdrawn_reason,
        })
    }
}

/// The claims of `workout` in force at `at` (now when `None`), or all of them with
/// `include_withdrawn`, ordered by id; `window` reads one page.
pub async fn claims_at(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    at: Option<DateTime<Utc>>,
    include_withdrawn: bool,
    window: Option<workout_http::Window>,
) -> Result<Vec<RecordedClaim>, ApiError> {
    let mut query = other_claims::table
        .filter(other_claims::workout_id.eq(workout.into_uuid()))
        .order(other_claims::id.asc())
        .select(ClaimRow::as_select())
        .into_boxed();
    if let Some(window) = window {
        query = query
            .filter(other_claims::id.gt(window.after))
            .limit(window.fetch());
    }
    match (at, include_withdrawn) {
        (_, true) => {}
        (None, false) => query = query.filter(other_claims::withdrawn_at.is_null()),
        (Some(at), false) => {
            query = query.filter(other_claims::recorded_at.lt(at)).filter(
                other_claims::withdrawn_at
                    .is_null()
                    .or(other_claims::withdrawn_at.ge(at)),
            );
        }
    }
    let rows: Vec<ClaimRow> = query.load(conn).await?;
    rows.into_iter().map(RecordedClaim::try_from).collect()
}

async fn load_claim(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    claim: Uuid,
) -> Result<RecordedClaim, ApiError> {
    let row: ClaimRow = other_claims::table
        .find(claim)
        .filter(other_claims::workout_id.eq(workout.into_uuid()))
        .select(ClaimRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(ApiError::NotFound("claim"))?;
    RecordedClaim::try_from(row)
}

/// `POST /registry/v1/workouts/{workout_id}/other-claims` (coordinator): records what a creditor
/// that is not on the platform is owed.
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    request_body = OtherClaimInput,
    responses((status = 201, body = RecordedClaim), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/other-claims")]
pub async fn record_claim(
    decider: Decider,
    path: web::Path<WorkoutId>,
    body: JsonBody<OtherClaimInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let workout = path.into_inner();
    let checked = body.value.validate().map_err(refused);
    let recorded_by = decider.caller.user_id.into_uuid();
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::RecordOtherClaims),
            async |conn, member| {
                let claim = checked?;
                if member.workout.status.is_final() {
                    return Err(ApiError::conflict(
                        "workout_closed",
                        "the workout is closed",
                    ));
                }
                let id = Uuid::now_v7();
                diesel::insert_into(other_claims::table)
                    .values((
                        other_claims::id.eq(id),
                        other_claims::workout_id.eq(workout.into_uuid()),
                        other_claims::claimant.eq(&claim.claimant),
                        other_claims::kind.eq(claim.kind.as_str()),
                        other_claims::currency.eq(claim.amount.currency.as_str()),
                        other_claims::amount.eq(claim.amount.amount),
                        other_claims::preferential.eq(claim.preferential),
                        other_claims::note.eq(&claim.note),
                        other_claims::recorded_by.eq(recorded_by),
                    ))
                    .execute(conn)
                    .await
                    .map_err(|e| workout_http::problem::from_diesel("this claim", e))?;
                let recorded = load_claim(conn, workout, id).await?;
                member
                    .record(conn, RegistryTopic::OtherClaimRecorded, None, &recorded)
                    .await?;
                Reply::created(
                    format!("/registry/v1/workouts/{workout}/other-claims/{id}"),
                    &recorded,
                )
            },
        )
        .await
}

/// `/workouts/{workout_id}/other-claims/{claim_id}`.
#[derive(Debug, Deserialize)]
pub struct ClaimPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// One of its claims.
    pub claim_id: Uuid,
}

/// Why a claim is withdrawn.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimWithdrawal {
    /// E.g. "paid" or "figure corrected, see the new claim"; 1 to 500 characters.
    pub reason: String,
}

/// `POST /registry/v1/workouts/{workout_id}/other-claims/{claim_id}/withdraw` (coordinator): the
/// claim no longer counts from now on; it stays readable.
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    request_body = ClaimWithdrawal,
    responses((status = 200, body = RecordedClaim), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/other-claims/{claim_id}/withdraw")]
pub async fn withdraw_claim(
    decider: Decider,
    path: web::Path<ClaimPath>,
    body: JsonBody<ClaimWithdrawal>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let ClaimPath {
        workout_id: workout,
        claim_id: claim,
    } = path.into_inner();
    let reason = &body.value.reason;
    let withdrawn_by = decider.caller.user_id.into_uuid();
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::RecordOtherClaims),
            async |conn, member| {
                let reason = input::text("reason", text::REASON, reason)?;
                let before = load_claim(conn, workout, claim).await?;
                let updated = diesel::update(
                    other_claims::table
                        .find(claim)
                        .filter(other_claims::withdrawn_at.is_null()),
                )
                .set((
                    other_claims::withdrawn_at.eq(Utc::now()),
                    other_claims::withdrawn_by.eq(withdrawn_by),
                    other_claims::withdrawn_reason.eq(&reason),
                ))
                .execute(conn)
                .await?;
                if updated == 0 {
                    return Err(ApiError::conflict(
                        "already_withdrawn",
                        "this claim is already withdrawn",
                    ));
                }
                let after = load_claim(conn, workout, claim).await?;
                member
                    .record(
                        conn,
                        RegistryTopic::OtherClaimWithdrawn,
                        Some(to_json(&before)?),
                        &after,
                    )
                    .await?;
                Reply::ok(&after)
            },
        )
        .await
}

/// `?as_of=DATE&include_withdrawn=BOOL`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ClaimsQuery {
    /// The claims in force at the end of this date (UTC); default: now.
    pub as_of: Option<BoundedDate>,
    /// Every claim ever recorded, withdrawn ones included (ignores `as_of`).
    #[serde(default)]
    pub include_withdrawn: bool,
}

/// `GET /registry/v1/workouts/{workout_id}/other-claims` (coordinator, borrower, creditors): the
/// claims of creditors not on the platform, a page ordered by id.
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    params(ClaimsQuery, PageQuery),
    responses((status = 200, body = Page<RecordedClaim>), (status = 403, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/other-claims")]
pub async fn list_claims(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: Query<ClaimsQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let window = page.window()?;
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    member.require(Action::ReadOtherClaims)?;
    let at = query.as_of.map(|date| end_of(date.get()));
    let rows = claims_at(
        &mut conn,
        workout,
        at,
        query.include_withdrawn,
        Some(window),
    )
    .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |c: &RecordedClaim| c.id)))
}
