//! The registry's HTTP surface: its OpenAPI document's base (title, description, tags) and
//! [`configure`], which mounts every resource's routes under `/registry` and documents them from
//! the same list.
//!
//! Rules: a path is written once, in its handler's actix route macro; the document's paths and
//! schemas come from the routes mounted, never from a list of their own. Order between resources
//! does not matter: each handler's resource matches only its own method.

use actix_web::web;
use utoipa::OpenApi;
use workout_store::runtime::{api_scope, mount_api};

use crate::{RegistryState, cooperation, exposures, facilities, identity, participants, workouts};

/// The registry's OpenAPI document, less its paths (they come from [`configure`]).
#[derive(OpenApi)]
#[openapi(info(
    title = "Workout registry",
    description = "Institutions, users, sign-in and tokens."
))]
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
        .configure(cooperation::routes);
    mount_api(cfg, "registry", ApiDoc::openapi(), scope);
}
