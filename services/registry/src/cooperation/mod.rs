//! The borrower's cooperation: information requests sent to it, its answers, the watch that
//! announces overdue requests and flags a borrower that misses two counted requests in a row
//! (guideline 5.1.2 ii), and the coordinator's classification of the borrower on the guideline's
//! other grounds (5.1.2 i, iii, iv).
//!
//! Rules: the coordinator sends requests; the coordinator or the borrower records answers, which
//! the registry stamps with the time it records them (nobody dates an answer); both read them. A
//! request is due 15 calendar days after sending unless the coordinator sets a later date (never
//! an earlier one). Only the coordinator corrects an answer date or cancels a request, each with
//! a written reason, and only the coordinator classes the borrower non-cooperative (with a
//! written rationale) or lifts that classification (with a reason); whoever may read the requests
//! may read the classification. Two consecutive missed requests that count (see
//! `workout_domain::cooperation`) flag the borrower as possibly non-cooperative, once, with the
//! trail. Every change is audited on the workout's chain and announced; what time alone changes
//! (a request falling overdue) is recorded by the system through a scheduled job. Cooperation
//! reads only its own tables and the workout; exposures do not depend on it, nor it on them.

pub mod answer;
pub mod cancel;
pub mod classification;
pub mod classify;
pub mod correct;
pub mod lift;
pub mod list;
pub mod send;
pub mod view;
pub mod watch;

use serde::Deserialize;
use uuid::Uuid;
use workout_domain::WorkoutId;
use workout_runtime::Routes;

/// The cooperation endpoints.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(send::create_information_request)
        .service(answer::answer_information_request)
        .service(correct::correct_answer_date)
        .service(cancel::cancel_information_request)
        .service(list::list_information_requests)
        .service(classify::classify_borrower)
        .service(lift::lift_borrower_classification)
        .service(classification::read_borrower_classification);
}

/// `/workouts/{workout_id}/information-requests/{request_id}`.
#[derive(Debug, Deserialize)]
pub struct RequestPath {
    /// The workout.
    pub workout_id: WorkoutId,
    /// One of its information requests.
    pub request_id: Uuid,
}
