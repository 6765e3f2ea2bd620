//! Exposures: FX rates, record-date snapshots of the creditors' exposures, and hold-the-line
//! drift.
//!
//! Rules: the coordinator enters rates per date (units of the base currency per unit), each time as
//! a new version with its source (and a reason when correcting); a snapshot as of a date uses the
//! facilities in force at the end of that date and the rates as recorded by the end of that date
//! (latest rate date on or before it, in its version then current) — every currency that occurs needs a rate
//! there, and a missing one is a 422 naming the currencies, never a silent 1.0. The coordinator and
//! the borrower see every creditor's line; a creditor sees its own line and the totals. Other
//! services read the full snapshot with a service token (voting weights come from it). Exposures
//! are read from facilities; nothing here changes them.

pub mod drift;
pub mod export;
pub mod frozen;
pub mod fx_rates;
pub mod snapshots;

use workout_runtime::Routes;

/// The exposure endpoints.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(fx_rates::set_rates)
        .service(fx_rates::get_rates)
        .service(fx_rates::rate_versions)
        .service(snapshots::get_snapshot)
        .service(snapshots::internal_snapshot)
        .service(drift::get_drift)
        .service(frozen::freeze_snapshot)
        .service(frozen::list_frozen_snapshots)
        .service(frozen::get_frozen_snapshot)
        .service(frozen::internal_frozen_snapshot)
        .service(export::live_csv)
        .service(export::live_xlsx)
        .service(export::frozen_csv)
        .service(export::frozen_xlsx);
}
