//! Workouts: the case file's root. Opening a case, listing and reading one, exporting its audit
//! chain, its status and the roles institutions hold in it (for other services), its exposure
//! settings (how contingents and penalties count towards voting weight), and the
//! [`membership`] shell every workout use case runs in.
//!
//! Rules: a bank opens a workout for a borrower institution; the opening bank becomes a creditor and
//! the acting coordinator (until the mandates service appoints one), the borrower a participant.
//! Only participants see a workout — anyone else, platform admins included, gets 404. Status
//! changes come only from the services that own each step (service token). Every change is one
//! transaction with its audit entry on the workout's chain and its outbox event. The resources of a
//! workout (participants, facilities, exposures, cooperation) build on this module; it depends on
//! none of them.

pub mod audit;
pub mod get;
pub mod list;
pub mod members;
pub mod membership;
pub mod open;
pub mod settings;
pub mod status;

use workout_runtime::Routes;

/// The workout endpoints.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(open::open_workout)
        .service(list::list_workouts)
        .service(get::get_workout)
        .service(audit::export_workout_audit)
        .service(members::member_roles)
        .service(members::internal_workout)
        .service(status::change_status)
        .service(settings::change_settings)
        .service(settings::show_settings);
}
