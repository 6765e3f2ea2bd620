//! The minutes service: meetings, agenda, attendance, minutes and their approval, decisions and
//! actions.
//!
//! Rules: it has its own schema, authenticates users with the registry's keys, asks the registry
//! who takes part in a workout (every request), and emits events through its outbox; its timed
//! work (approval by no objection, overdue action items) runs on the store kit's scheduler. A
//! quorum is a rule of the domain's voting engine ([`workout_domain::voting`]). Routes are listed
//! by [`routes`], used alike by its binary, `workoutd` and tests.

pub mod audit;
pub mod meetings;
pub mod minutes;
pub mod schema;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use utoipa::OpenApi;
use workout_http::registry_client::ServiceCredentials;
use workout_runtime::{IntoTask as _, Routes, Service, ServiceContext, remote_service};
use workout_store::migrate::ServiceMigrations;

/// The minutes service's own tables (meetings, their changes, agenda, invitees, attendance;
/// minutes, their versions, comments and answers; action items).
pub const OWN_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/minutes");

/// Everything its schema needs.
pub const MIGRATIONS: ServiceMigrations = ServiceMigrations {
    schema: "minutes",
    own: Some(&OWN_MIGRATIONS),
};

/// The minutes service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(info(
    title = "Workout minutes",
    description = "Meetings (agenda, invitees, changes kept), their iCalendar invitations, \
        attendance and the quorum by the voting engine; minutes and their approval, decisions and \
        actions."
))]
pub struct ApiDoc;

/// The routes inside `/minutes`.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(meetings::schedule::schedule_meeting)
        .service(meetings::read::list_meetings)
        .service(meetings::read::get_meeting)
        .service(meetings::change::update_meeting)
        .service(meetings::change::cancel_meeting)
        .service(meetings::invite::get_invitation)
        .service(meetings::attendance::record_attendance)
        .service(meetings::attendance::check_quorum)
        .service(minutes::draft::draft_minutes)
        .service(minutes::draft::edit_minutes)
        .service(minutes::draft::get_minutes)
        .service(minutes::draft::get_minutes_version)
        .service(minutes::draft::comment_minutes)
        .service(minutes::draft::list_minutes_comments)
        .service(minutes::approval::circulate_minutes)
        .service(minutes::approval::respond_to_minutes)
        .service(minutes::export::export_minutes)
        .service(minutes::actions::list_action_items)
        .service(minutes::actions::set_action_status)
        .service(audit::export_audit);
}

/// The minutes service of a running process: its routes, relay and job scheduler.
pub fn service(ctx: &ServiceContext, credentials: ServiceCredentials) -> anyhow::Result<Service> {
    let mut service = remote_service(ctx, "minutes", credentials, ApiDoc::openapi(), routes)?;
    let scheduler = minutes::actions::register_jobs(minutes::approval::register_jobs(
        ctx.scheduler("minutes", ctx.pool("minutes")?),
    ));
    service.tasks.push(scheduler.into_task());
    Ok(service)
}
