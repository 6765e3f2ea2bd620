//! The borrower's classification as non-cooperative on the guideline's grounds of judgement
//! (5.1.2 i, iii, iv): what stands now and the history, read by whoever may read the information
//! requests (the coordinator and the borrower).
//!
//! Rules: at most one classification stands at a time (not lifted); the history lists every
//! classification, lifted ones with who lifted them, when and why, paginated by id (oldest first).
//! The automatic criterion (5.1.2 ii) is shown next to it as `possibly_non_cooperative`: it is
//! measured, not decided, and no classification changes it.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;
use workout_domain::cooperation::NonCooperationGround;
use workout_domain::{Action, WorkoutId};
use workout_http::{ApiError, Caller, Page, PageQuery, Query};

use super::view::cooperation_view;
use super::watch::today_in;
use crate::RegistryState;
use crate::schema::borrower_classifications;
use crate::workouts::membership::membership;

/// The lifting of a classification.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Lifting {
    /// When.
    pub lifted_at: DateTime<Utc>,
    /// The user who lifted it.
    pub lifted_by: Uuid,
    /// Why.
    pub reason: String,
}

/// A classification of the borrower as non-cooperative.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Classification {
    /// Id.
    pub id: Uuid,
    /// The grounds, in the guideline's order: `strategic_default` (5.1.2 i), `denied_access`
    /// (iii), `no_constructive_engagement` (iv).
    pub grounds: Vec<NonCooperationGround>,
    /// The coordinator's written rationale.
    pub rationale: String,
    /// The user who classified the borrower.
    pub classified_by: Uuid,
    /// When.
    pub classified_at: DateTime<Utc>,
    /// Present once the classification was lifted.
    pub lifted: Option<Lifting>,
}

/// A `borrower_classifications` row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = borrower_classifications, check_for_backend(diesel::pg::Pg))]
pub struct ClassificationRow {
    id: Uuid,
    grounds: Vec<Option<String>>,
    rationale: String,
    classified_by: Uuid,
    classified_at: DateTime<Utc>,
    lifted_at: Option<DateTime<Utc>>,
    lifted_by: Option<Uuid>,
    lift_reason: Option<String>,
}

impl TryFrom<ClassificationRow> for Classification {
    type Error = ApiError;

    fn try_from(row: ClassificationRow) -> Result<Self, ApiError> {
        let grounds = row
            .grounds
            .iter()
            .map(|ground| {
                ground
                    .as_deref()
                    .ok_or_else(|| "a NULL ground".to_owned())
                    .and_then(str::parse)
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored classification: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let lifted = match (row.lifted_at, row.lifted_by, row.lift_reason) {
            (Some(lifted_at), Some(lifted_by), Some(reason)) => Some(Lifting {
                lifted_at,
                lifted_by,
                reason,
            }),
            _ => None,
        };
        Ok(Self {
            id: row.id,
            grounds,
            rationale: row.rationale,
            classified_by: row.classified_by,
            classified_at: row.classified_at,
            lifted,
        })
    }
}

/// The classification of `workout`'s borrower that stands now, if any; locked for update when
/// `lock`.
pub async fn standing(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    lock: bool,
) -> Result<Option<Classification>, ApiError> {
    let query = borrower_classifications::table
        .filter(borrower_classifications::workout_id.eq(workout.into_uuid()))
        .filter(borrower_classifications::lifted_at.is_null())
        .select(ClassificationRow::as_select());
    let row = if lock {
        query.for_update().first(conn).await.optional()?
    } else {
        query.first(conn).await.optional()?
    };
    row.map(Classification::try_from).transpose()
}

/// The borrower's classification: what stands, the measured criterion, and the history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BorrowerClassificationView {
    /// True while a classification stands.
    pub non_cooperative: bool,
    /// The classification that stands, if any.
    pub current: Option<Classification>,
    /// The measured criterion (5.1.2 ii): two consecutive missed requests that count.
    pub possibly_non_cooperative: bool,
    /// Every classification, oldest first, a page at a time (`?limit=&cursor=`).
    pub history: Page<Classification>,
}

/// `GET /registry/v1/workouts/{workout_id}/borrower-classification` (coordinator or borrower).
#[utoipa::path(tag = "cooperation", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = BorrowerClassificationView), (status = 403, body = workout_http::Problem)))]
#[get("/v1/workouts/{workout_id}/borrower-classification")]
pub async fn read_borrower_classification(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let mut conn = state.pool.get().await?;
    let member = membership(&mut conn, workout, &caller).await?;
    member.require(Action::ReadInformationRequests)?;
    let window = query.window()?;
    let rows: Vec<ClassificationRow> = borrower_classifications::table
        .filter(borrower_classifications::workout_id.eq(workout.into_uuid()))
        .filter(borrower_classifications::id.gt(window.after))
        .order(borrower_classifications::id.asc())
        .limit(window.fetch())
        .select(ClassificationRow::as_select())
        .load(&mut conn)
        .await?;
    let history = rows
        .into_iter()
        .map(Classification::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let current = standing(&mut conn, workout, false).await?;
    let today = today_in(&member.workout.calendar)?;
    let assessment = cooperation_view(&mut conn, workout, today).await?;
    Ok(HttpResponse::Ok().json(BorrowerClassificationView {
        non_cooperative: current.is_some(),
        current,
        possibly_non_cooperative: assessment.possibly_non_cooperative,
        history: window.page(history, |c| c.id),
    }))
}
