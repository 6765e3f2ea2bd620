//! Reporting a breach of an effective standstill: by a creditor (enforcing, accelerating or
//! reducing its exposure below the baseline) or by the borrower (breaking an undertaking). See the
//! module rules in [`super`].

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_domain::{Action, InstitutionId, PositionView, VotingTopic, text};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::read::StandstillPath;
use super::{BreachRow, State, load_standstill};
use crate::schema::standstill_breaches;

/// The party in breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// A creditor of the baseline.
    Creditor,
    /// The borrower.
    Borrower,
}

impl Party {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Creditor => "creditor",
            Self::Borrower => "borrower",
        }
    }
}

/// What was breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreachKind {
    /// A creditor enforced security or a claim.
    Enforcement,
    /// A creditor accelerated a facility.
    Acceleration,
    /// A creditor reduced its exposure (did not hold the line).
    ExposureReduction,
    /// The borrower withheld information.
    InformationWithheld,
    /// The borrower granted new security to others.
    NewSecurity,
    /// The borrower disposed of assets.
    Disposal,
    /// Anything else.
    Other,
}

impl BreachKind {
    /// The wire (and database) name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Enforcement => "enforcement",
            Self::Acceleration => "acceleration",
            Self::ExposureReduction => "exposure_reduction",
            Self::InformationWithheld => "information_withheld",
            Self::NewSecurity => "new_security",
            Self::Disposal => "disposal",
            Self::Other => "other",
        }
    }

    /// Whether `party` can commit this breach.
    pub const fn fits(self, party: Party) -> bool {
        match self {
            Self::Enforcement | Self::Acceleration | Self::ExposureReduction => {
                matches!(party, Party::Creditor)
            }
            Self::InformationWithheld | Self::NewSecurity | Self::Disposal => {
                matches!(party, Party::Borrower)
            }
            Self::Other => true,
        }
    }
}

/// `POST .../breaches`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBreach {
    /// Who is in breach.
    pub party: Party,
    /// The creditor in breach (for `party: creditor`, a creditor of the baseline).
    pub creditor_id: Option<Uuid>,
    /// What was breached.
    pub kind: BreachKind,
    /// What happened, 1–2,000 characters.
    pub description: String,
}

/// A breach as its reader may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BreachView {
    /// Id.
    pub id: Uuid,
    /// `creditor` or `borrower`.
    pub party: String,
    /// The creditor in breach.
    pub creditor_id: Option<Uuid>,
    /// What was breached.
    pub kind: String,
    /// What happened.
    pub description: String,
    /// The creditor's baseline exposure (to those who see its position).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub baseline_exposure: Option<String>,
    /// Its exposure on the day of the report (to those who see its position).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub detected_exposure: Option<String>,
    /// Reported by (user).
    pub reported_by: Uuid,
    /// Of institution.
    pub reporter_id: Uuid,
    /// When.
    pub reported_at: DateTime<Utc>,
}

impl BreachView {
    /// `row` as one who sees `positions` may see it.
    pub fn of(row: &BreachRow, positions: PositionView) -> Self {
        let shown = row
            .creditor_id
            .is_some_and(|c| positions.shows(InstitutionId::from_uuid(c)));
        let amount = |a: Option<Decimal>| a.filter(|_| shown).map(|a| a.normalize().to_string());
        Self {
            id: row.id,
            party: row.party.clone(),
            creditor_id: row.creditor_id,
            kind: row.kind.clone(),
            description: row.description.clone(),
            baseline_exposure: amount(row.baseline_exposure),
            detected_exposure: amount(row.detected_exposure),
            reported_by: row.reported_by,
            reporter_id: row.reporter_id,
            reported_at: row.reported_at,
        }
    }
}

/// `POST /voting/v1/workouts/{workout_id}/standstills/{standstill_id}/breaches` (any participant;
/// a borrower's breach only the coordinator): records and announces a breach of the effective
/// standstill; a creditor's breach keeps its exposure today (the registry's snapshot) against its
/// baseline. Answers 201; 409 `standstill_not_effective` unless it is in force.
#[utoipa::path(tag = "standstills", security(("bearer" = [])),
    request_body = ReportBreach,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = BreachView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/standstills/{standstill_id}/breaches")]
pub async fn report_breach(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<StandstillPath>,
    body: JsonBody<ReportBreach>,
) -> Result<HttpResponse, ApiError> {
    let StandstillPath {
        workout_id: workout,
        standstill_id,
    } = path.into_inner();
    let access = registry.access(workout, &caller).await?;
    access.require(Action::ReportStandstillBreach)?;
    let body = body.parse()?;
    let input = &body.value;
    let description = text::LONG_REASON
        .parse(&input.description)
        .map_err(|e| ApiError::invalid_field("description", e.to_string()))?
        .into_string();
    if !input.kind.fits(input.party) {
        return Err(ApiError::invalid_field(
            "kind",
            format!(
                "a {} cannot commit a breach of kind {}",
                input.party.as_str(),
                input.kind.as_str()
            ),
        ));
    }
    match (input.party, input.creditor_id) {
        (Party::Creditor, None) => {
            return Err(ApiError::invalid_field(
                "creditor_id",
                "name the creditor in breach",
            ));
        }
        (Party::Borrower, Some(_)) => {
            return Err(ApiError::invalid_field(
                "creditor_id",
                "a borrower's breach names no creditor",
            ));
        }
        (Party::Borrower, None) => access.require(Action::ManageStandstill)?,
        (Party::Creditor, Some(_)) => {}
    }
    let today = Utc::now().date_naive();
    let detected = match input.creditor_id {
        Some(creditor) => registry
            .snapshot(workout, today)
            .await?
            .creditor(InstitutionId::from_uuid(creditor))
            .map_or(Decimal::ZERO, |line| line.exposure.amount)
            .into(),
        None => None,
    };
    let positions = PositionView::of(access.institution, &access.roles);
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let standstill = load_standstill(conn, workout, standstill_id, false).await?;
        if standstill.state()? != State::Effective {
            return Err(ApiError::conflict(
                "standstill_not_effective",
                format!(
                    "the standstill is {}: breaches are reported while it is in force",
                    standstill.state
                ),
            ));
        }
        let baseline = match input.creditor_id {
            Some(creditor) => Some(
                standstill
                    .baseline()?
                    .into_iter()
                    .find(|l| l.creditor_id == creditor)
                    .ok_or_else(|| {
                        ApiError::invalid_field(
                            "creditor_id",
                            "not a creditor of this standstill's baseline",
                        )
                    })?
                    .exposure,
            ),
            None => None,
        };
        let row = BreachRow {
            id: Uuid::now_v7(),
            standstill_id: standstill.id,
            party: input.party.as_str().to_owned(),
            creditor_id: input.creditor_id,
            kind: input.kind.as_str().to_owned(),
            description: description.clone(),
            baseline_exposure: baseline,
            detected_exposure: detected,
            reported_by: caller.user_id.into_uuid(),
            reporter_id: caller.institution_id.into_uuid(),
            reported_at: Utc::now(),
        };
        diesel::insert_into(standstill_breaches::table)
            .values(&row)
            .execute(conn)
            .await?;
        let creditor = row.creditor_id.map(InstitutionId::from_uuid);
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::StandstillBreachReported,
            VotingTopic::StandstillBreachReported.disclosure(creditor),
            None,
            &BreachView::of(&row, PositionView::All),
        )
        .await?;
        Reply::created(
            format!(
                "/voting/v1/workouts/{workout}/standstills/{}#breach-{}",
                standstill.id, row.id
            ),
            &BreachView::of(&row, positions),
        )
    })
    .await
}
