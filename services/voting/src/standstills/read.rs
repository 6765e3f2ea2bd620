//! Reading standstills: the list, one standstill (its baseline as the reader may see positions,
//! the accessions and breaches), and the drift of each creditor's exposure from its baseline.
//! See the module rules in [`super`].

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{Action, InstitutionId, PositionView, WorkoutId};
use workout_http::registry_client::RegistryClient;
use workout_http::{Access, ApiError, Caller, Page, PageQuery};
use workout_store::Pool;

use super::breach::BreachView;
use super::{
    AccessionRow, AccessionRule, BaselineLine, Ended, StandstillRow, Undertakings,
    accession_decided, accessions_of, breaches_of, load_standstill,
};
use crate::schema::standstills;

/// `/workouts/{workout_id}/standstills/{standstill_id}`.
#[derive(Debug, Deserialize)]
pub struct StandstillPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// The standstill.
    pub standstill_id: Uuid,
}

/// A creditor's answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessionView {
    /// The creditor.
    pub creditor_id: Uuid,
    /// `acceded` or `declined`.
    pub answer: String,
    /// Its comment.
    pub comment: Option<String>,
    /// The user who answered.
    pub answered_by: Uuid,
    /// When (the last change).
    pub answered_at: DateTime<Utc>,
}

/// Where the accessions stand.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessionCount {
    /// Creditors of the baseline.
    pub creditors: usize,
    /// Acceded.
    pub acceded: usize,
    /// Declined.
    pub declined: usize,
    /// `Some(passed)` once the accession rule can no longer change.
    pub decided: Option<bool>,
}

/// A standstill as the caller may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StandstillView {
    /// Id.
    pub id: Uuid,
    /// Workout.
    pub workout_id: Uuid,
    /// The frozen snapshot of the reference date.
    pub snapshot_id: Uuid,
    /// Its content hash.
    pub snapshot_hash: String,
    /// The reference date.
    pub reference_date: NaiveDate,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// Both parties' undertakings.
    pub undertakings: Undertakings,
    /// The termination events.
    pub termination_events: Vec<String>,
    /// The accession rule.
    pub accession_rule: AccessionRule,
    /// `proposed`, `effective`, `terminated` or `expired`.
    pub state: String,
    /// The coordinator's user who proposed it.
    pub proposed_by: Uuid,
    /// When.
    pub proposed_at: DateTime<Utc>,
    /// When it became effective.
    pub effective_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub ended: Option<Ended>,
    /// The baseline lines the caller may see (the coordinator and the borrower all, a creditor
    /// its own, others none).
    pub baseline: Vec<BaselineLine>,
    /// Where the accessions stand.
    pub accession: AccessionCount,
    /// Every creditor's answer.
    pub accessions: Vec<AccessionView>,
    /// The breaches reported.
    pub breaches: Vec<BreachView>,
    /// The extensions applied, oldest first.
    pub extensions: Vec<super::extend::Extension>,
}

/// A standstill in a list.
#[derive(Debug, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = standstills)]
pub struct StandstillItem {
    /// Id.
    pub id: Uuid,
    /// The reference date.
    pub reference_date: NaiveDate,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// The state.
    pub state: String,
    /// Proposed.
    pub proposed_at: DateTime<Utc>,
}

/// The standstill `row` as `access` may see it.
pub async fn view_of(
    conn: &mut AsyncPgConnection,
    row: &StandstillRow,
    access: &Access,
) -> Result<StandstillView, ApiError> {
    let accessions = accessions_of(conn, row.id).await?;
    let breaches = breaches_of(conn, row.id).await?;
    let positions = PositionView::of(access.institution, &access.roles);
    let baseline = row.baseline()?;
    let count = |answer: &str| accessions.iter().filter(|a| a.answer == answer).count();
    Ok(StandstillView {
        id: row.id,
        workout_id: row.workout_id,
        snapshot_id: row.snapshot_id,
        snapshot_hash: row.snapshot_hash.clone(),
        reference_date: row.reference_date,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        undertakings: row.undertakings()?,
        termination_events: row.termination_events()?,
        accession_rule: row.accession_rule()?,
        state: row.state.clone(),
        proposed_by: row.proposed_by,
        proposed_at: row.proposed_at,
        effective_at: row.effective_at,
        ended: row.ended()?,
        accession: AccessionCount {
            creditors: baseline.len(),
            acceded: count("acceded"),
            declined: count("declined"),
            decided: accession_decided(row, &accessions)?,
        },
        baseline: baseline
            .into_iter()
            .filter(|l| positions.shows(InstitutionId::from_uuid(l.creditor_id)))
            .collect(),
        accessions: accessions.iter().map(accession_view).collect(),
        breaches: breaches
            .iter()
            .map(|b| BreachView::of(b, positions))
            .collect(),
        extensions: super::extend::extensions_of(conn, row.id).await?,
    })
}

fn accession_view(row: &AccessionRow) -> AccessionView {
    AccessionView {
        creditor_id: row.creditor_id,
        answer: row.answer.clone(),
        comment: row.comment.clone(),
        answered_by: row.answered_by,
        answered_at: row.answered_at,
    }
}

/// `GET /voting/v1/workouts/{workout_id}/standstills` (any participant): the workout's
/// standstills, oldest first, a page.
#[utoipa::path(tag = "standstills", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<StandstillItem>), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/standstills")]
pub async fn list_standstills(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::ReadStandstills)?;
    let window = query.window()?;
    let mut conn = pool.get().await?;
    let rows: Vec<StandstillItem> = standstills::table
        .filter(standstills::workout_id.eq(workout.into_uuid()))
        .filter(standstills::id.gt(window.after))
        .order(standstills::id.asc())
        .limit(window.fetch())
        .select(StandstillItem::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(window.page(rows, |s: &StandstillItem| s.id)))
}

/// `GET /voting/v1/workouts/{workout_id}/standstills/{standstill_id}` (any participant): the
/// standstill as the caller may see it.
#[utoipa::path(tag = "standstills", security(("bearer" = [])),
    responses((status = 200, body = StandstillView), (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/standstills/{standstill_id}")]
pub async fn get_standstill(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<StandstillPath>,
) -> Result<HttpResponse, ApiError> {
    let StandstillPath {
        workout_id: workout,
        standstill_id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ReadStandstills)?;
    let mut conn = pool.get().await?;
    let row = load_standstill(&mut conn, workout, standstill_id, false).await?;
    Ok(HttpResponse::Ok().json(view_of(&mut conn, &row, &access).await?))
}

/// One creditor's exposure today against its baseline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DriftLine {
    /// The creditor.
    pub creditor_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its exposure on the reference date.
    #[schema(value_type = String)]
    pub baseline_exposure: String,
    /// Its exposure today (zero when it has none left).
    #[schema(value_type = String)]
    pub exposure_today: String,
    /// By how much it is below the baseline (zero when it is not).
    #[schema(value_type = String)]
    pub reduction: String,
    /// Below the baseline: a breach of the undertaking to hold the line.
    pub breach: bool,
}

/// The drift of a standstill's creditors from its baseline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DriftView {
    /// The standstill.
    pub standstill_id: Uuid,
    /// The reference date.
    pub reference_date: NaiveDate,
    /// Today (the registry's snapshot compared).
    pub as_of: NaiveDate,
    /// That snapshot's content hash.
    pub snapshot_hash: String,
    /// The lines the caller may see.
    pub lines: Vec<DriftLine>,
    /// How many of them are flagged as breaches.
    pub breaches: usize,
}

/// `GET /voting/v1/workouts/{workout_id}/standstills/{standstill_id}/drift` (the coordinator and
/// the borrower see every creditor, a creditor its own line; others 403): each creditor of the
/// baseline, its exposure in the registry's snapshot of today against its baseline; a reduction
/// is flagged as a breach. Computed on request, not stored (a breach is recorded by reporting it).
#[utoipa::path(tag = "standstills", security(("bearer" = [])),
    responses((status = 200, body = DriftView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/standstills/{standstill_id}/drift")]
pub async fn get_drift(
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<StandstillPath>,
) -> Result<HttpResponse, ApiError> {
    let StandstillPath {
        workout_id: workout,
        standstill_id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ReadStandstills)?;
    let positions = access.positions()?;
    let row = {
        let mut conn = pool.get().await?;
        load_standstill(&mut conn, workout, standstill_id, false).await?
    };
    let today = Utc::now().date_naive();
    let snapshot = registry.snapshot(workout, today).await?;
    let lines: Vec<DriftLine> = row
        .baseline()?
        .into_iter()
        .filter(|l| positions.shows(InstitutionId::from_uuid(l.creditor_id)))
        .map(|line| {
            let now = snapshot
                .creditor(InstitutionId::from_uuid(line.creditor_id))
                .map_or(Decimal::ZERO, |c| c.exposure.amount);
            let reduction = (line.exposure - now).max(Decimal::ZERO);
            DriftLine {
                creditor_id: line.creditor_id,
                name: line.name,
                baseline_exposure: line.exposure.normalize().to_string(),
                exposure_today: now.normalize().to_string(),
                reduction: reduction.normalize().to_string(),
                breach: now < line.exposure,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(DriftView {
        standstill_id: row.id,
        reference_date: row.reference_date,
        as_of: today,
        snapshot_hash: snapshot.content_hash().to_owned(),
        breaches: lines.iter().filter(|l| l.breach).count(),
        lines,
    }))
}
