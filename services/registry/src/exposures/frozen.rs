//! Frozen record-date snapshots: the snapshot of a date as it stands when the coordinator freezes
//! it, stored immutably with an id, its `content_hash`, the time it was frozen and a signature by
//! the registry's signing key. Ballots, standstills and mandates refer to a frozen snapshot by id.
//!
//! Rules:
//! - Only the coordinator freezes (`POST .../snapshots {"as_of"}`), under `Idempotency-Key`, in one
//!   transaction, audited and announced (`registry.snapshot_frozen`). The record date may not lie
//!   after today in the workout's calendar (422 `record_date_in_future`); a missing rate is the
//!   same 422 `missing_fx_rates` as for the live snapshot. Freezing a date whose snapshot is
//!   already frozen with the same `content_hash` gives back that snapshot (200) instead of a copy;
//!   a different content makes a new frozen snapshot (201).
//! - The whole snapshot is stored as the JSON text served, and never changed nor deleted (the
//!   database refuses it). Reading a frozen snapshot gives the same bytes every time: later facility
//!   edits, rate corrections or renamed institutions do not reach it.
//! - Need-to-know as for the live snapshot: the coordinator and the borrower see every creditor's
//!   line, a creditor its own line and the totals, other participants get 403. Other services read
//!   the whole snapshot with a service token.
//! - The signature is a compact JWS (RFC 7515, `alg` `EdDSA`, with the signing key's `kid` in its
//!   header) made with the registry's newest active signing key, the key that signs its tokens
//!   and that `GET /registry/v1/.well-known/jwks.json` publishes. Its payload is exactly the
//!   [`SnapshotClaims`]: `purpose` (`workout-record-date-snapshot`), `snapshot_id`, `workout`,
//!   `as_of`, `base`, `content_hash`, `frozen_at` (RFC 3339, UTC) and `iat` (Unix seconds of
//!   `frozen_at`). The snapshot's amounts are covered through `content_hash`, the SHA-256 of the
//!   snapshot's canonical text (every facility line, rate and date; see
//!   `workout_domain::exposure`). The payload has none of a token's claims (`exp`, `aud`, `sub`,
//!   `typ`), so no verifier of tokens accepts it as one.
//! - What each participant can check: anyone can verify the JWS against the JWKS and compare its
//!   payload's `snapshot_id`, `as_of` and `content_hash` with the answer. The coordinator and the
//!   borrower, who see every line, can also recompute `content_hash` from the lines. A creditor sees
//!   only its own line, so it cannot recompute the hash alone: it verifies the signature, that the
//!   signed hash is the hash of its view, and compares that hash with the other banks (every
//!   creditor's view carries the same hash, so a different line shown to one bank would show as a
//!   different hash).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;
use workout_domain::exposure::Snapshot;
use workout_domain::registry_api::events::SnapshotFrozen;
use workout_domain::{Action, BoundedDate, PositionView, RegistryTopic, WorkoutId};
use workout_http::{ApiError, Caller, JsonBody, Page, PageQuery, Query, ServiceCaller};
use workout_store::Reply;

use super::snapshots::{refuse_future, snapshot_of};
use crate::RegistryState;
use crate::identity::keys;
use crate::schema::frozen_snapshots;
use crate::workouts::membership::{load_workout, membership};

/// What the `purpose` claim of every snapshot signature says.
pub const PURPOSE: &str = "workout-record-date-snapshot";

/// The body of `POST .../snapshots`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeRequest {
    /// The record date to freeze (not after today in the workout's calendar).
    pub as_of: BoundedDate,
}

/// The payload of a frozen snapshot's signature (a compact JWS), exactly.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapshotClaims {
    /// Always `workout-record-date-snapshot`.
    pub purpose: String,
    /// The frozen snapshot's id.
    pub snapshot_id: Uuid,
    /// The workout.
    pub workout: Uuid,
    /// The record date.
    pub as_of: NaiveDate,
    /// The base currency of its amounts.
    pub base: String,
    /// The snapshot's content hash.
    pub content_hash: String,
    /// When it was frozen.
    pub frozen_at: DateTime<Utc>,
    /// `frozen_at` in Unix seconds.
    pub iat: i64,
}

/// A frozen snapshot as a participant (or a service) sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FrozenSnapshot {
    /// Its id.
    pub id: Uuid,
    /// The workout.
    pub workout: Uuid,
    /// The record date.
    pub as_of: NaiveDate,
    /// The content hash of the whole snapshot (the same in every participant's view).
    pub content_hash: String,
    /// When it was frozen.
    pub frozen_at: DateTime<Utc>,
    /// The user who froze it.
    pub frozen_by: Uuid,
    /// The id of the signing key (also in the signature's header).
    pub kid: String,
    /// Compact JWS (`EdDSA`) over [`SnapshotClaims`]; verify it with the registry's JWKS.
    pub signature: String,
    /// The snapshot: every line for the coordinator, the borrower and services; a creditor's own
    /// line and the totals for a creditor.
    #[schema(value_type = super::snapshots::SnapshotAnswer)]
    pub snapshot: Box<RawValue>,
}

/// A frozen snapshot in a list (without its lines).
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = frozen_snapshots)]
pub struct FrozenSnapshotSummary {
    /// Its id.
    pub id: Uuid,
    /// The record date.
    pub as_of: NaiveDate,
    /// Its content hash.
    pub content_hash: String,
    /// When it was frozen.
    pub frozen_at: DateTime<Utc>,
    /// The user who froze it.
    pub frozen_by: Uuid,
    /// The id of the signing key.
    pub kid: String,
}

/// A stored frozen snapshot.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = frozen_snapshots)]
pub(super) struct FrozenRow {
    pub(super) id: Uuid,
    pub(super) workout_id: Uuid,
    pub(super) as_of: NaiveDate,
    pub(super) content_hash: String,
    pub(super) snapshot: String,
    pub(super) signature: String,
    pub(super) kid: String,
    pub(super) frozen_by: Uuid,
    pub(super) frozen_at: DateTime<Utc>,
}

impl FrozenRow {
    /// The stored snapshot, read back (and so checked against its own lines and hash).
    pub(super) fn parsed(&self) -> Result<Snapshot, ApiError> {
        serde_json::from_str(&self.snapshot).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!(
                "frozen snapshot {} unreadable: {e}",
                self.id
            ))
        })
    }

    /// The answer for `view` (`All`: the stored text as it is).
    fn answer(&self, view: PositionView) -> Result<FrozenSnapshot, ApiError> {
        let text = match view {
            PositionView::Own(creditor) => {
                serde_json::to_string(&self.parsed()?.for_creditor(creditor))
                    .map_err(|e| ApiError::Internal(e.into()))?
            }
            PositionView::All | PositionView::None => self.snapshot.clone(),
        };
        Ok(FrozenSnapshot {
            id: self.id,
            workout: self.workout_id,
            as_of: self.as_of,
            content_hash: self.content_hash.clone(),
            frozen_at: self.frozen_at,
            frozen_by: self.frozen_by,
            kid: self.kid.clone(),
            signature: self.signature.clone(),
            snapshot: RawValue::from_string(text).map_err(|e| ApiError::Internal(e.into()))?,
        })
    }
}

/// The frozen snapshot `id` of `workout`.
pub(super) async fn frozen_row(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    id: Uuid,
) -> Result<FrozenRow, ApiError> {
    frozen_snapshots::table
        .filter(frozen_snapshots::workout_id.eq(workout.into_uuid()))
        .filter(frozen_snapshots::id.eq(id))
        .select(FrozenRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(ApiError::NotFound("frozen snapshot"))
}

/// `/workouts/{workout_id}/snapshots/{snapshot_id}`.
#[derive(Debug, Deserialize)]
pub struct FrozenPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The frozen snapshot.
    pub snapshot_id: Uuid,
}

/// `POST /registry/v1/workouts/{workout_id}/snapshots` (coordinator): freezes the snapshot of a
/// record date as it stands, signed by the registry.
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    request_body = FreezeRequest,
    responses((status = 201, body = FrozenSnapshot, description = "Frozen now"), (status = 200, body = FrozenSnapshot, description = "The same content was already frozen for this date: that snapshot"), (status = 403, body = workout_http::Problem), (status = 422, body = workout_http::Problem, description = "A record date in the future, or a missing FX rate")))]
#[post("/v1/workouts/{workout_id}/snapshots")]
pub async fn freeze_snapshot(
    decider: crate::workouts::membership::Decider,
    path: web::Path<WorkoutId>,
    body: JsonBody<FreezeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let workout = path.into_inner();
    let as_of = body.value.as_of.get();
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::FreezeSnapshot),
            async |conn, member| {
                refuse_future(&member.workout, as_of)?;
                let snapshot = snapshot_of(conn, &member.workout, as_of).await?;
                let existing = frozen_snapshots::table
                    .filter(frozen_snapshots::workout_id.eq(workout.into_uuid()))
                    .filter(frozen_snapshots::as_of.eq(as_of))
                    .filter(frozen_snapshots::content_hash.eq(snapshot.content_hash()))
                    .select(FrozenRow::as_select())
                    .first(conn)
                    .await
                    .optional()?;
                if let Some(row) = existing {
                    return Reply::ok(&row.answer(PositionView::All)?);
                }
                let id = Uuid::now_v7();
                let now = Utc::now();
                // Stored with microseconds: the answer now must be the answer read back later.
                let frozen_at =
                    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
                let claims = SnapshotClaims {
                    purpose: PURPOSE.to_owned(),
                    snapshot_id: id,
                    workout: workout.into_uuid(),
                    as_of,
                    base: snapshot.base().to_string(),
                    content_hash: snapshot.content_hash().to_owned(),
                    frozen_at,
                    iat: frozen_at.timestamp(),
                };
                let signature = keys::sign(conn, &claims).await?;
                let kid = jsonwebtoken::decode_header(&signature)
                    .ok()
                    .and_then(|h| h.kid)
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("signature without kid")))?;
                let text =
                    serde_json::to_string(&snapshot).map_err(|e| ApiError::Internal(e.into()))?;
                let row: FrozenRow = diesel::insert_into(frozen_snapshots::table)
                    .values((
                        frozen_snapshots::id.eq(id),
                        frozen_snapshots::workout_id.eq(workout.into_uuid()),
                        frozen_snapshots::as_of.eq(as_of),
                        frozen_snapshots::content_hash.eq(snapshot.content_hash()),
                        frozen_snapshots::snapshot.eq(&text),
                        frozen_snapshots::signature.eq(&signature),
                        frozen_snapshots::kid.eq(&kid),
                        frozen_snapshots::frozen_by.eq(decider.caller.user_id.into_uuid()),
                        frozen_snapshots::frozen_at.eq(frozen_at),
                    ))
                    .returning(FrozenRow::as_returning())
                    .get_result(conn)
                    .await?;
                member
                    .record(
                        conn,
                        RegistryTopic::SnapshotFrozen,
                        None,
                        &SnapshotFrozen {
                            id,
                            as_of,
                            content_hash: row.content_hash.clone(),
                            kid: row.kid.clone(),
                            frozen_at,
                        },
                    )
                    .await?;
                Reply::created(
                    format!("/registry/v1/workouts/{workout}/snapshots/{id}"),
                    &row.answer(PositionView::All)?,
                )
            },
        )
        .await
}

/// `GET /registry/v1/workouts/{workout_id}/snapshots/{snapshot_id}`: a frozen snapshot, the same
/// bytes every time (every line for the coordinator and the borrower, a creditor's own line and
/// the totals for a creditor).
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    responses((status = 200, body = FrozenSnapshot), (status = 403, body = workout_http::Problem), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/snapshots/{snapshot_id}")]
pub async fn get_frozen_snapshot(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<FrozenPath>,
) -> Result<HttpResponse, ApiError> {
    let FrozenPath {
        workout_id: workout,
        snapshot_id,
    } = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    let view = member.positions()?;
    let row = frozen_row(&mut conn, workout, snapshot_id).await?;
    Ok(HttpResponse::Ok().json(row.answer(view)?))
}

/// `GET /registry/v1/workouts/{workout_id}/snapshots`: the frozen snapshots, oldest first, a page
/// at a time (whoever may see the snapshot: coordinator, borrower, creditors).
#[utoipa::path(tag = "exposures", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<FrozenSnapshotSummary>), (status = 403, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/snapshots")]
pub async fn list_frozen_snapshots(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let window = page.window()?;
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller).await?.positions()?;
    let rows: Vec<FrozenSnapshotSummary> = frozen_snapshots::table
        .filter(frozen_snapshots::workout_id.eq(workout.into_uuid()))
        .filter(frozen_snapshots::id.gt(window.after))
        .order(frozen_snapshots::id.asc())
        .limit(window.fetch())
        .select(FrozenSnapshotSummary::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |s: &FrozenSnapshotSummary| s.id)))
}

/// `GET /registry/v1/internal/workouts/{workout_id}/snapshots/{snapshot_id}` (service token): the
/// whole frozen snapshot, for ballots, standstills and mandates that refer to it by id.
#[utoipa::path(tag = "internal", security(("bearer" = [])),
    responses((status = 200, body = FrozenSnapshot, description = "The whole frozen snapshot"), (status = 404, body = workout_http::Problem)))]
#[get("/v1/internal/workouts/{workout_id}/snapshots/{snapshot_id}")]
pub async fn internal_frozen_snapshot(
    state: web::Data<RegistryState>,
    _service: ServiceCaller,
    path: web::Path<FrozenPath>,
) -> Result<HttpResponse, ApiError> {
    let FrozenPath {
        workout_id: workout,
        snapshot_id,
    } = path.into_inner();
    let mut conn = state.pool.get().await?;
    load_workout(&mut conn, workout, false).await?;
    let row = frozen_row(&mut conn, workout, snapshot_id).await?;
    Ok(HttpResponse::Ok().json(row.answer(PositionView::All)?))
}
