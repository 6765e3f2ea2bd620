//! The borrower's cooperation: information requests sent to it, its answers, and the watch that
//! announces overdue requests and flags a borrower that misses two in a row (guideline 5.1.2).
//!
//! Rules: the coordinator sends requests; the coordinator or the borrower records answers; both
//! read them. A request is due 15 calendar days after sending unless the coordinator sets another
//! date. Two consecutive missed requests (unanswered when due, or answered late) flag the borrower
//! as possibly non-cooperative, once, with the trail. Every change is audited on the workout's
//! chain; what time alone changes (a request falling overdue) is recorded by the system through a
//! scheduled job. Cooperation reads only its own tables and the workout; exposures do not depend
//! on it, nor it on them.

pub mod answer;
pub mod list;
pub mod send;
pub mod view;
pub mod watch;

use workout_runtime::Routes;

/// The cooperation endpoints.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(send::create_information_request)
        .service(answer::answer_information_request)
        .service(list::list_information_requests);
}
