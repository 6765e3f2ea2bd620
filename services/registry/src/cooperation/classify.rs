//! Classing the borrower non-cooperative on the guideline's grounds of judgement (the coordinator
//! only).
//!
//! Rules: besides the measured criterion (5.1.2 ii, two consecutive missed requests), the workout
//! unit may class the borrower non-cooperative on the grounds of 5.1.2 (i) strategic default,
//! (iii) denied access to premises, books or records, and (iv) no constructive engagement. A
//! classification names at least one of them, each once, and a written rationale of 1 to 5000
//! characters (the guideline asks for an audit trail of why). One classification stands at a
//! time: to change it, lift it first (409 `already_classified`). Audited on the workout's chain
//! and announced (`registry.borrower_classified`).

use actix_web::{HttpResponse, post, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use workout_domain::cooperation::{NonCooperationGround, grounds};
use workout_domain::registry_api::events::BorrowerClassified;
use workout_domain::text;
use workout_domain::{Action, RegistryTopic, WorkoutId};
use workout_http::input;
use workout_http::{ApiError, JsonBody};
use workout_store::Reply;

use super::classification::{Classification, ClassificationRow, standing};
use crate::schema::{borrower_classifications, workouts};
use crate::workouts::membership::Decider;

/// A classification of the borrower as non-cooperative.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClassification {
    /// One or more of `strategic_default` (5.1.2 i), `denied_access` (iii),
    /// `no_constructive_engagement` (iv).
    pub grounds: Vec<NonCooperationGround>,
    /// Why: the facts that support the grounds.
    pub rationale: String,
}

/// `POST /registry/v1/workouts/{workout_id}/borrower-classification` (coordinator): classes the
/// borrower non-cooperative, with grounds and a rationale.
#[utoipa::path(tag = "cooperation", security(("bearer" = [])),
    request_body = NewClassification,
    responses((status = 201, body = Classification), (status = 403, body = workout_http::Problem), (status = 409, body = workout_http::Problem)))]
#[post("/v1/workouts/{workout_id}/borrower-classification")]
pub async fn classify_borrower(
    decider: Decider,
    path: web::Path<WorkoutId>,
    body: JsonBody<NewClassification>,
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
                let grounds = grounds(&input.grounds)
                    .map_err(|e| ApiError::invalid_field("grounds", e.to_string()))?;
                let rationale = input::text("rationale", text::STATEMENT, &input.rationale)?;
                // The workout first (the lock order of every use case that writes its chain),
                // which also serializes two classifications of the same borrower.
                let borrower: Uuid = workouts::table
                    .find(workout.into_uuid())
                    .select(workouts::borrower_id)
                    .for_update()
                    .first(conn)
                    .await?;
                if standing(conn, workout, true).await?.is_some() {
                    return Err(ApiError::conflict(
                        "already_classified",
                        "the borrower is already classed non-cooperative: lift that \
                         classification first",
                    ));
                }
                let id = Uuid::now_v7();
                let stored: Vec<&str> = grounds.iter().map(|g| g.as_str()).collect();
                let row: ClassificationRow = diesel::insert_into(borrower_classifications::table)
                    .values((
                        borrower_classifications::id.eq(id),
                        borrower_classifications::workout_id.eq(workout.into_uuid()),
                        borrower_classifications::grounds.eq(&stored),
                        borrower_classifications::rationale.eq(&rationale),
                        borrower_classifications::classified_by
                            .eq(decider.caller.user_id.into_uuid()),
                    ))
                    .returning(ClassificationRow::as_returning())
                    .get_result(conn)
                    .await
                    .map_err(|e| workout_http::problem::from_diesel("a classification", e))?;
                let classification = Classification::try_from(row)?;
                member
                    .record(
                        conn,
                        RegistryTopic::BorrowerClassified,
                        None,
                        &BorrowerClassified {
                            id,
                            workout_id: workout.into_uuid(),
                            borrower_id: borrower,
                            grounds: classification.grounds.clone(),
                            rationale,
                        },
                    )
                    .await?;
                Reply::created(
                    format!("/registry/v1/workouts/{workout}/borrower-classification"),
                    &classification,
                )
            },
        )
        .await
}
