//! Saving a new version of a draft term sheet (the coordinator, `If-Match`). See the module rules
//! in [`super`].

use actix_web::{HttpRequest, HttpResponse, put, web};
use workout_domain::term_sheet::TermSheet;
use workout_domain::{Action, VotingTopic};
use workout_http::precondition::{check_version, etag, if_match};
use workout_http::registry_client::RegistryClient;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::audit::Actor;
use workout_store::{Chain, Pool, Reply, idempotency, record};

use super::{
    READERS, State, TermSheetPath, TermSheetSummary, TermSheetView, load_term_sheet, load_version,
    save_version,
};

/// `PUT /voting/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}` (the coordinator,
/// `If-Match`): the full new content, saved as the next version. 428 without `If-Match`, 412 when
/// it names a version that is no longer current; 409 `term_sheet_state` while an offer is out or
/// once the terms are agreed. A new version ends the creditors' agreement on an earlier one: the
/// term sheet is a `draft` again and needs a new ballot.
#[utoipa::path(tag = "term sheets", security(("bearer" = [])),
    request_body(content = TermSheet, description = "The full new content"),
    params(("If-Match" = String, Header, description = "The version being replaced (its ETag)")),
    responses((status = 200, body = TermSheetView), (status = 403, body = workout_http::Problem),
        (status = 404, body = workout_http::Problem), (status = 409, body = workout_http::Problem),
        (status = 412, body = workout_http::Problem),
        (status = 422, body = workout_http::Problem), (status = 428, body = workout_http::Problem)))]
#[put("/v1/workouts/{workout_id}/term-sheets/{term_sheet_id}")]
pub async fn edit_term_sheet(
    req: HttpRequest,
    pool: web::Data<Pool>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    path: web::Path<TermSheetPath>,
    body: JsonBody<TermSheet>,
) -> Result<HttpResponse, ApiError> {
    let TermSheetPath {
        workout_id: workout,
        term_sheet_id: id,
    } = path.into_inner();
    registry
        .access(workout, &caller)
        .await?
        .require(Action::DraftTermSheet)?;
    let body = body.parse()?;
    let expected = if_match(&req)?;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let mut row = load_term_sheet(conn, workout, id, true).await?;
        check_version("term sheet", expected, row.current_version)?;
        let state = row.state()?;
        if !state.editable() {
            return Err(ApiError::conflict(
                "term_sheet_state",
                format!(
                    "the term sheet is {}: no new version may be saved now",
                    state.as_str()
                ),
            ));
        }
        let before = load_version(conn, id, row.current_version).await?;
        let version = save_version(
            conn,
            &mut row,
            &body.value,
            caller.user_id.into_uuid(),
            State::Draft,
        )
        .await?;
        record(
            conn,
            Chain::Workout(workout),
            &Actor::from(&caller),
            VotingTopic::TermSheetRevised,
            READERS,
            Some(
                serde_json::to_value(TermSheetSummary::of(&row, &before))
                    .map_err(|e| ApiError::Internal(e.into()))?,
            ),
            &TermSheetSummary::of(&row, &version),
        )
        .await?;
        Ok(Reply::ok(&TermSheetView::of(&row, &version)?)?.with_etag(etag(version.number)))
    })
    .await
}
