//! The workout's exposure settings: how contingent facilities and penalties count towards voting
//! weight (see [`workout_domain::settings`]).
//!
//! Rules: the settings are agreed by the creditors; the coordinator records them, with a reason of
//! 1 to 500 characters naming that agreement (e.g. "creditors' meeting of 3 March 2027, minute
//! 4"). Every change is a new version (who, when, why), never changed or removed; a change that
//! repeats the settings in force is still recorded (it confirms them). The settings in force at an
//! instant are the latest version recorded before it, or the defaults (contingents at 100 %,
//! penalties counted) when there is none ([`settings_at`]), so a snapshot of a past date never
//! changes when the settings change later. Every participant reads them. Audited on the workout's
//! chain and announced (`registry.exposure_settings_changed`).

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{Action, ExposureSettings, Percentage, RegistryTopic, WorkoutId, text};
use workout_http::input::{self, Query};
use workout_http::{ApiError, Caller, JsonBody, Page, PageQuery};
use workout_store::Reply;
use workout_store::record::to_json;

use crate::RegistryState;
use crate::schema::exposure_setting_versions as versions;
use crate::workouts::membership::{Decider, membership};

/// One recorded version of a workout's exposure settings.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = versions, check_for_backend(diesel::pg::Pg))]
pub struct ExposureSettingsVersion {
    /// Id.
    pub id: Uuid,
    /// The weight, in percent from 0 to 100, at which contingent facilities count towards voting
    /// weight.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "100")]
    pub contingent_weight: Decimal,
    /// Whether late-payment charges (`penalties`) count towards voting weight.
    pub penalties_in_weight: bool,
    /// The creditors' agreement these settings follow.
    pub reason: String,
    /// The coordinator's user who recorded them.
    pub recorded_by: Uuid,
    /// When; they are in force from then on.
    pub recorded_at: DateTime<Utc>,
}

impl ExposureSettingsVersion {
    /// The settings this version records.
    fn settings(&self) -> Result<ExposureSettings, ApiError> {
        let contingent_weight = Percentage::new(self.contingent_weight).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("stored exposure settings {}: {e}", self.id))
        })?;
        Ok(ExposureSettings {
            contingent_weight,
            penalties_in_weight: self.penalties_in_weight,
        })
    }
}

/// The latest version of `workout`'s settings recorded before `at` (the latest of all when `None`).
async fn version_at(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    at: Option<DateTime<Utc>>,
) -> Result<Option<ExposureSettingsVersion>, ApiError> {
    let mut query = versions::table
        .filter(versions::workout_id.eq(workout.into_uuid()))
        .order((versions::recorded_at.desc(), versions::id.desc()))
        .select(ExposureSettingsVersion::as_select())
        .into_boxed();
    if let Some(at) = at {
        query = query.filter(versions::recorded_at.lt(at));
    }
    Ok(query.first(conn).await.optional()?)
}

/// The exposure settings of `workout` in force at `at` (now when `None`): the latest version
/// recorded before `at`, or [`ExposureSettings::default`] when there is none. For a snapshot as of
/// a date, pass `Some(end_of(as_of))`, as for facilities.
pub async fn settings_at(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    at: Option<DateTime<Utc>>,
) -> Result<ExposureSettings, ApiError> {
    version_at(conn, workout, at)
        .await?
        .map_or_else(|| Ok(ExposureSettings::default()), |v| v.settings())
}

/// New exposure settings, as the creditors agreed them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExposureSettingsChange {
    /// The weight, in percent from 0 to 100, at which contingent facilities (guarantees, letters
    /// of credit) count towards voting weight, e.g. `"100"`.
    #[schema(value_type = String, example = "50")]
    pub contingent_weight: Percentage,
    /// Whether late-payment charges (`penalties`) count towards voting weight.
    pub penalties_in_weight: bool,
    /// The creditors' agreement, prose of 1 to 500 characters (e.g. "creditors' meeting of 3 March
    /// 2027, minute 4").
    pub reason: String,
}

/// The workout's exposure settings: those in force and every version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExposureSettingsState {
    /// The settings in force now (the defaults when none were recorded: contingents at 100 %,
    /// penalties counted).
    pub current: ExposureSettings,
    /// Whether `current` are the defaults because no version was recorded.
    pub defaults: bool,
    /// Every recorded version, oldest first, a page.
    pub history: Page<ExposureSettingsVersion>,
}

/// `PUT /registry/v1/workouts/{workout_id}/settings` (coordinator): records new exposure settings,
/// as agreed by the creditors, in force from now on.
#[utoipa::path(tag = "workouts", security(("bearer" = [])),
    request_body = ExposureSettingsChange,
    responses((status = 200, body = ExposureSettingsVersion), (status = 403, body = workout_http::Problem), (status = 422, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/settings")]
pub async fn change_settings(
    decider: Decider,
    path: web::Path<WorkoutId>,
    body: JsonBody<ExposureSettingsChange>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let workout = path.into_inner();
    let reason = input::text("reason", text::REASON, &body.value.reason);
    let contingent_weight = body.value.contingent_weight;
    let penalties_in_weight = body.value.penalties_in_weight;
    let recorded_by = decider.caller.user_id.into_uuid();
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::SetExposureSettings),
            async |conn, member| {
                // Name the creditors' agreement these settings follow.
                let reason = reason?;
                let before = version_at(conn, workout, None).await?;
                let version: ExposureSettingsVersion = diesel::insert_into(versions::table)
                    .values((
                        versions::id.eq(Uuid::now_v7()),
                        versions::workout_id.eq(workout.into_uuid()),
                        versions::contingent_weight.eq(contingent_weight.value()),
                        versions::penalties_in_weight.eq(penalties_in_weight),
                        versions::reason.eq(&reason),
                        versions::recorded_by.eq(recorded_by),
                    ))
                    .returning(ExposureSettingsVersion::as_returning())
                    .get_result(conn)
                    .await?;
                let before = before.as_ref().map(to_json).transpose()?;
                member
                    .record(
                        conn,
                        RegistryTopic::ExposureSettingsChanged,
                        before,
                        &version,
                    )
                    .await?;
                Reply::ok(&version)
            },
        )
        .await
}

/// `GET /registry/v1/workouts/{workout_id}/settings` (participants): the exposure settings in force
/// and a page of their history, oldest first.
#[utoipa::path(tag = "workouts", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = ExposureSettingsState)))]
#[get("/v1/workouts/{workout_id}/settings")]
pub async fn show_settings(
    state: web::Data<RegistryState>,
    caller: Caller,
    path: web::Path<WorkoutId>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workout = path.into_inner();
    let window = page.window()?;
    let mut conn = state.pool.get().await?;
    membership(&mut conn, workout, &caller).await?;
    let current = version_at(&mut conn, workout, None).await?;
    let rows: Vec<ExposureSettingsVersion> = versions::table
        .filter(versions::workout_id.eq(workout.into_uuid()))
        .filter(versions::id.gt(window.after))
        .order(versions::id.asc())
        .limit(window.fetch())
        .select(ExposureSettingsVersion::as_select())
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(ExposureSettingsState {
        defaults: current.is_none(),
        current: match &current {
            Some(version) => version.settings()?,
            None => ExposureSettings::default(),
        },
        history: window.page(rows, |v: &ExposureSettingsVersion| v.id),
    }))
}
