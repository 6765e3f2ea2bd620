//! The registry's HTTP surface: its OpenAPI document's base (title, description, tags) and
//! [`configure`], which mounts every resource's routes under `/registry` and documents them from
//! the same list.
//!
//! Rules: a path is written once, in its handler's actix route macro; the document's paths and
//! schemas come from the routes mounted, never from a list of their own. Order between resources
//! does not matter: each handler's resource matches only its own method.

use actix_web::web;
use utoipa::OpenApi;
use workout_runtime::{api_scope, mount_api};

use crate::{
    RegistryState, claims, cooperation, exposures, facilities, identity, participants, workouts,
};

/// The registry's OpenAPI document, less its paths (they come from [`configure`]).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Workout registry",
        description = "Institutions, users, sign-in and tokens; the workouts' case file: \
            participants, facilities, exposures and the borrower's cooperation."
    ),
    tags(
        (name = "auth", description = "Sign-in, tokens, sessions and signing keys."),
        (name = "institutions", description = "Banks, borrowers, guarantors, advisors and the platform operator."),
        (name = "users", description = "The users of an institution, and who the caller is."),
        (name = "audit", description = "Hash-chained audit exports, as JSON lines ending with the chain's head."),
        (name = "workouts", description = "Workouts (cases) and their participants; only participants see a workout."),
        (name = "facilities", description = "Creditors' facilities, with a dated history."),
        (name = "exposures", description = "FX rates, record-date snapshots and hold-the-line drift."),
        (name = "cooperation", description = "Information requests to the borrower, and its cooperation."),
        (name = "internal", description = "For the other services (service token)."),
    )
)]
pub struct ApiDoc;

/// Mounts the registry under `/registry`, with its OpenAPI document and docs page.
pub fn configure(cfg: &mut web::ServiceConfig, state: RegistryState) {
    let scope = api_scope("registry", &state.pool, state.verifier.clone())
        .app_data(web::Data::new(state))
        .configure(identity::routes)
        .configure(workouts::routes)
        .configure(participants::routes)
        .configure(facilities::routes)
        .configure(exposures::routes)
        .configure(claims::routes)
        .configure(cooperation::routes);
    mount_api(cfg, "registry", ApiDoc::openapi(), scope);
}
