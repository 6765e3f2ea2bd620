//! Lifting the borrower's classification as non-cooperative (the coordinator only).
//!
//! Rules: the coordinator lifts the classification that stands, with a written reason of 1 to 2000
//! characters; without one standing the answer is 409 `not_classified`. The classification stays
//! in the history with who lifted it, when and why. Audited on the workout's chain (before: the
//! classification as it stood) and announced (`registry.borrower_classification_lifted`).

use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::registry_api::events::BorrowerClassificationLifted;
use workout_domain::text;
use workout_domain::{Action, RegistryTopic, WorkoutId};
use workout_http::input;
use workout_http::{ApiError, JsonBody};
use workout_store::Reply;
use workout_store::record::to_json;

use super::classification::{Classification, ClassificationRow, standing};
use crate::schema::{borrower_classifications, workouts};
use crate::workouts::membership::Decider;

/// Why the classification is lifted.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassificationLifting {
    /// E.g. "books opened to the advisors on 3 March"; recorded in the audit chain.
    pub reason: String,
}

/// `POST /registry/v1/workouts/{workout_id}/borrower-classification/lift` (coordinator): lifts the
/// classification that stands, with a reason.
#[utoipa::path(tag = "cooperation", security(("bearer" = [])),
    request_body = ClassificationLifting,
    responses((status = 200, body = Classification), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/borrower-classification/lift")]
pub async fn lift_borrower_classification(
    decider: Decider,
    path: web::Path<WorkoutId>,
    body: JsonBody<ClassificationLifting>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let workout = path.into_inner();
    let input = &body.value;
    decider
        .decide(
            &body.fingerprint,
            workout,
            Some(Action::ClassifyBorrower),
            async |conn, member| {
                let reason = input::text("reason", text::LONG_REASON, &input.reason)?;
                let borrower: Uuid = workouts::table
                    .find(workout.into_uuid())
                    .select(workouts::borrower_id)
                    .for_update()
                    .first(conn)
                    .await?;
                let Some(before) = standing(conn, workout, true).await? else {
                    return Err(ApiError::conflict(
                        "not_classified",
                        "no classification of the borrower stands",
                    ));
                };
                let row: ClassificationRow =
                    diesel::update(borrower_classifications::table.find(before.id))
                        .set((
                            borrower_classifications::lifted_at.eq(Utc::now()),
                            borrower_classifications::lifted_by
                                .eq(decider.caller.user_id.into_uuid()),
                            borrower_classifications::lift_reason.eq(&reason),
                        ))
                        .returning(ClassificationRow::as_returning())
                        .get_result(conn)
                        .await?;
                let lifted = Classification::try_from(row)?;
                member
                    .record(
                        conn,
                        RegistryTopic::BorrowerClassificationLifted,
                        Some(to_json(&before)?),
                        &BorrowerClassificationLifted {
                            id: before.id,
                            workout_id: workout.into_uuid(),
                            borrower_id: borrower,
                            reason,
                        },
                    )
                    .await?;
                Reply::ok(&lifted)
            },
        )
        .await
}
