//! Creditors' facilities in a workout, with a dated history: entering one, editing and withdrawing
//! it, listing them as of a date, reading one (with the `ETag` an edit needs) and its history, and
//! importing a creditor's schedule as CSV, and their collateral and guarantees as a second CSV;
//! and, for other services, their collateral as of a date ([`collateral`]).
//!
//! Rules: a creditor enters and edits only its own facilities (another creditor's facility answers
//! 404); every edit closes the current version and opens a new one at the same instant, so the
//! terms in force at the end of any past date can be read back (`?as_of=`); an edit must name the
//! version it replaces (`If-Match`), a stale one answers 412. The coordinator and the borrower see
//! every creditor's facilities; a creditor sees its own; other participants get 403
//! ([`creditor_of`], [`visible_creditor`]). A CSV schedule is validated whole and written whole:
//! one bad row and nothing is written. Facility changes are audited on the workout's chain and
//! announced as `registry.facility_changed` (`registry.facility_withdrawn` for a withdrawal).

pub mod collateral;

pub mod create;
pub mod history;
pub mod import;
pub mod import_security;
pub mod list;
pub mod obligations;
pub mod show;
pub mod terms;
pub mod update;
pub mod versions;
pub mod withdraw;

use serde::Deserialize;
use uuid::Uuid;
use workout_domain::{Action, InstitutionId, PositionView, WorkoutId};
use workout_http::ApiError;
use workout_runtime::Routes;

use crate::workouts::membership::Membership;

/// `/workouts/{workout_id}/facilities/{facility_id}`.
#[derive(Debug, Deserialize)]
pub struct FacilityPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// One of its facilities.
    pub facility_id: Uuid,
}

/// The facility endpoints.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(create::create_facility)
        .service(list::list_facilities)
        .service(show::show_facility)
        .service(import::import_facilities)
        .service(import_security::import_security)
        .service(update::update_facility)
        .service(history::facility_history)
        .service(withdraw::withdraw_facility)
        .service(collateral::internal_collateral)
        .service(obligations::internal_obligations);
}

/// The caller's institution, which must be a creditor to enter facilities (403 otherwise).
pub fn creditor_of(member: &Membership) -> Result<InstitutionId, ApiError> {
    member.require(Action::EnterFacilities)?;
    Ok(member.institution)
}

/// Whose positions the member may see: `None` for all (coordinator, borrower), `Some(itself)` for
/// a creditor; 403 for other participants. Facilities and snapshots follow the same rule.
pub fn visible_creditor(member: &Membership) -> Result<Option<InstitutionId>, ApiError> {
    Ok(match member.positions()? {
        PositionView::Own(creditor) => Some(creditor),
        PositionView::All | PositionView::None => None,
    })
}
