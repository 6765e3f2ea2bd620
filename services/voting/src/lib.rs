//! The voting service: ballots, votes, results and their certificates; standstill agreements;
//! term sheets as structured, versioned documents, from the creditors' minimum terms to the
//! offer to the borrower and the restructuring's effectiveness, and the comparison of their
//! options (NPV, IRR).
//!
//! Rules: it has its own schema, authenticates users with the registry's keys, asks the registry
//! who takes part in a workout (every request), and emits events through its outbox; its timed
//! work (closing ballots at their deadline, reminders, expiries, offer lapses) runs on the store
//! kit's scheduler. The voting rules and the tally are the domain's engine
//! ([`workout_domain::voting`]). Routes are listed by [`routes`], used alike by its binary,
//! `workoutd` and tests.

pub mod audit;
pub mod ballots;
pub mod certificates;
pub mod schema;
pub mod standstills;
pub mod term_sheets;

use std::sync::Arc;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use utoipa::OpenApi;
use workout_http::registry_client::{RegistryClient, ServiceCredentials};
use workout_runtime::{IntoTask as _, Routes, Service, ServiceContext, remote_service};
use workout_store::migrate::ServiceMigrations;

/// The voting service's own tables (ballots, voters, votes; standstills, accessions, breaches;
/// term sheets, their versions, comments, credit approvals, lifecycle and option comparisons;
/// minimum terms).
pub const OWN_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/voting");

/// Everything its schema needs.
pub const MIGRATIONS: ServiceMigrations = ServiceMigrations {
    schema: "voting",
    own: Some(&OWN_MIGRATIONS),
};

/// The voting service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(info(
    title = "Workout voting",
    description = "Ballots of a workout's creditors under voting rules, votes, results and \
        verifiable result certificates; standstill agreements; term sheets (versions, diffs, \
        completeness, comments, minimum terms, credit approvals, the offer to the borrower and \
        its answer, the steps to effectiveness, option comparisons with NPV and IRR)."
))]
pub struct ApiDoc;

/// The routes inside `/voting`.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(ballots::open::open_ballot)
        .service(ballots::read::list_ballots)
        .service(ballots::read::get_ballot)
        .service(ballots::read::get_certificate)
        .service(ballots::vote::cast_vote)
        .service(ballots::close::close_ballot)
        .service(certificates::verify_certificate)
        .service(standstills::propose::propose_standstill)
        .service(standstills::read::list_standstills)
        .service(standstills::read::get_standstill)
        .service(standstills::read::get_drift)
        .service(standstills::accede::accede_standstill)
        .service(standstills::accede::decline_standstill)
        .service(standstills::breach::report_breach)
        .service(standstills::end::terminate_standstill)
        .service(standstills::extend::apply_extension)
        .service(term_sheets::create::create_term_sheet)
        .service(term_sheets::read::list_term_sheets)
        .service(term_sheets::read::get_term_sheet)
        .service(term_sheets::edit::edit_term_sheet)
        .service(term_sheets::read::get_term_sheet_version)
        .service(term_sheets::read::diff_term_sheet)
        .service(term_sheets::read::term_sheet_completeness)
        .service(term_sheets::comments::post_term_sheet_comment)
        .service(term_sheets::comments::list_term_sheet_comments)
        .service(term_sheets::positions::record_minimum_terms)
        .service(term_sheets::positions::list_minimum_terms)
        .service(term_sheets::positions::record_credit_approval)
        .service(term_sheets::positions::list_credit_approvals)
        .service(term_sheets::lifecycle::record_agreement)
        .service(term_sheets::lifecycle::submit_term_sheet)
        .service(term_sheets::steps::record_step)
        .service(term_sheets::offer::get_offer)
        .service(term_sheets::offer::respond_to_offer)
        .service(term_sheets::comparison::compare_term_sheet_options)
        .service(term_sheets::comparison::list_term_sheet_comparisons)
        .service(term_sheets::comparison::get_term_sheet_comparison)
        .service(audit::export_audit);
}

/// The voting service of a running process: its routes, relay and job scheduler.
pub fn service(ctx: &ServiceContext, credentials: ServiceCredentials) -> anyhow::Result<Service> {
    let registry = Arc::new(RegistryClient::new(
        ctx.client.clone(),
        &ctx.registry_url,
        ctx.tokens(credentials.clone()),
    ));
    let mut service = remote_service(ctx, "voting", credentials, ApiDoc::openapi(), routes)?;
    let scheduler = term_sheets::lifecycle::register_jobs(standstills::end::register_jobs(
        ballots::close::register_jobs(ctx.scheduler("voting", ctx.pool("voting")?)),
        registry,
    ));
    service.tasks.push(scheduler.into_task());
    Ok(service)
}
