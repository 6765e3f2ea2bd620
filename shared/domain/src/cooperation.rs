//! Cooperation of the borrower: its answers to the workout's requests for a meeting or for
//! information, and the guideline's test for a possibly non-cooperative borrower (5.1.1–5.1.2:
//! "failure to respond … to two consecutive requests … within 15 calendar days of each
//! request").
//!
//! Rules:
//! - A request is due [`DEFAULT_RESPONSE_DAYS`] (15) calendar days after it is sent, as the
//!   built-in deadline rule `INFORMATION_REQUEST_RESPONSE` says: weekends and holidays count, and
//!   a due date on a non-business day is not moved. A request may be given a later due date (an
//!   extension), never one before it was sent; an answer cannot predate its request.
//! - Everything is judged as known on a day `today`: an answer dated after `today` is not known
//!   yet. An answer on the due date is in time; the request is overdue only from the day after.
//! - [`RequestStatus`] on `today`: pending (unanswered, not yet due), answered on time, answered
//!   late, or overdue (unanswered and `today` after the due date). A late answer ends "overdue".
//! - A request is **missed** when its due date has passed without an answer by the due date:
//!   answered late or not at all. A late answer does not undo the miss, because the guideline
//!   asks for an answer within 15 days of each request.
//! - The current run: requests are taken in the order sent (by `sent_on`; requests sent the same
//!   day in the order given). Walking back from the latest, pending requests at the end are left
//!   out (they cannot be judged yet); then each missed request extends the run, and the first
//!   request that is not missed (answered on time, or pending between missed ones) ends it. So an
//!   answer in time resets the count.
//! - The borrower is *possibly* non-cooperative when the run has at least
//!   [`CONSECUTIVE_MISSES_FOR_NON_COOPERATION`] (2) missed requests: exactly two consecutive
//!   misses flag it, one does not. Classing the borrower is the workout unit's decision; the
//!   assessment gives it the audit trail (which requests were missed).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::calendar::{CalendarError, add_calendar_days};

/// Calendar days a borrower has to answer a request (rule `INFORMATION_REQUEST_RESPONSE`).
pub const DEFAULT_RESPONSE_DAYS: u32 = 15;

/// Consecutive missed requests after which the borrower may be classed non-cooperative.
pub const CONSECUTIVE_MISSES_FOR_NON_COOPERATION: u32 = 2;

/// The default due date of a request sent on `sent_on`: 15 calendar days later.
///
/// # Errors
/// [`CalendarError::DateOutOfRange`] if that date is not representable.
pub fn due_date(sent_on: NaiveDate) -> Result<NaiveDate, CalendarError> {
    add_calendar_days(sent_on, i64::from(DEFAULT_RESPONSE_DAYS))
}

/// Why a request's dates are not consistent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CooperationError {
    /// The due date is before the date the request was sent.
    #[error("a request sent on {sent_on} cannot be due on {due_on}")]
    DueBeforeSent {
        /// When the request was sent.
        sent_on: NaiveDate,
        /// The due date given.
        due_on: NaiveDate,
    },
    /// The answer is dated before the request was sent.
    #[error("a request sent on {sent_on} cannot have been answered on {answered_on}")]
    AnsweredBeforeSent {
        /// When the request was sent.
        sent_on: NaiveDate,
        /// The answer date given.
        answered_on: NaiveDate,
    },
    /// The default due date is not representable.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// A request sent to the borrower for a meeting or for information, and its answer if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "InformationRequestRecord")]
pub struct InformationRequest {
    sent_on: NaiveDate,
    due_on: NaiveDate,
    answered_on: Option<NaiveDate>,
}

/// The wire form of an [`InformationRequest`], checked on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InformationRequestRecord {
    sent_on: NaiveDate,
    due_on: NaiveDate,
    answered_on: Option<NaiveDate>,
}

impl TryFrom<InformationRequestRecord> for InformationRequest {
    type Error = CooperationError;

    fn try_from(record: InformationRequestRecord) -> Result<Self, Self::Error> {
        let request = Self::with_due_on(record.sent_on, record.due_on)?;
        match record.answered_on {
            Some(answered_on) => request.with_answer(answered_on),
            None => Ok(request),
        }
    }
}

/// Where a request stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Not answered, and the due date has not passed.
    Pending,
    /// Answered on or before the due date.
    AnsweredOnTime,
    /// Answered after the due date (missed, but no longer overdue).
    AnsweredLate,
    /// Not answered, and the due date has passed.
    Overdue,
}

impl RequestStatus {
    /// True for a request not answered by its due date once that date has passed.
    #[must_use]
    pub const fn is_missed(self) -> bool {
        matches!(self, Self::AnsweredLate | Self::Overdue)
    }
}

impl InformationRequest {
    /// A request sent on `sent_on`, due [`DEFAULT_RESPONSE_DAYS`] later, not yet answered.
    ///
    /// # Errors
    /// [`CooperationError::Calendar`] if the due date is not representable.
    pub fn new(sent_on: NaiveDate) -> Result<Self, CooperationError> {
        Self::with_due_on(sent_on, due_date(sent_on)?)
    }

    /// A request sent on `sent_on` with its own due date, not yet answered.
    ///
    /// # Errors
    /// [`CooperationError::DueBeforeSent`] if `due_on` is before `sent_on`.
    pub fn with_due_on(sent_on: NaiveDate, due_on: NaiveDate) -> Result<Self, CooperationError> {
        if due_on < sent_on {
            return Err(CooperationError::DueBeforeSent { sent_on, due_on });
        }
        Ok(Self {
            sent_on,
            due_on,
            answered_on: None,
        })
    }

    /// The same request, answered on `answered_on`.
    ///
    /// # Errors
    /// [`CooperationError::AnsweredBeforeSent`] if `answered_on` is before the request was sent.
    pub fn with_answer(self, answered_on: NaiveDate) -> Result<Self, CooperationError> {
        if answered_on < self.sent_on {
            return Err(CooperationError::AnsweredBeforeSent {
                sent_on: self.sent_on,
                answered_on,
            });
        }
        Ok(Self {
            answered_on: Some(answered_on),
            ..self
        })
    }

    /// When the request was sent.
    #[must_use]
    pub const fn sent_on(&self) -> NaiveDate {
        self.sent_on
    }

    /// The last day on which an answer is in time.
    #[must_use]
    pub const fn due_on(&self) -> NaiveDate {
        self.due_on
    }

    /// When the borrower answered, if it has.
    #[must_use]
    pub const fn answered_on(&self) -> Option<NaiveDate> {
        self.answered_on
    }

    /// Where the request stands on `today` (answers dated after `today` are not known yet).
    #[must_use]
    pub fn status(&self, today: NaiveDate) -> RequestStatus {
        match self.answered_on.filter(|answered| *answered <= today) {
            Some(answered) if answered <= self.due_on => RequestStatus::AnsweredOnTime,
            Some(_) => RequestStatus::AnsweredLate,
            None if today > self.due_on => RequestStatus::Overdue,
            None => RequestStatus::Pending,
        }
    }

    /// True if the request is unanswered on `today` and `today` is after its due date.
    #[must_use]
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status(today) == RequestStatus::Overdue
    }

    /// True if the due date has passed on `today` without an answer by the due date.
    #[must_use]
    pub fn is_missed(&self, today: NaiveDate) -> bool {
        self.status(today).is_missed()
    }
}

/// The result of [`assess`]: whether the borrower may be classed non-cooperative, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CooperationAssessment {
    /// True when the current run has at least [`CONSECUTIVE_MISSES_FOR_NON_COOPERATION`] missed
    /// requests.
    pub possibly_non_cooperative: bool,
    /// The number of consecutive missed requests in the current run.
    pub consecutive_missed: u32,
    /// Indices (into the slice given to [`assess`]) of the missed requests of the current run,
    /// in the order sent: the audit trail.
    pub trail: Vec<usize>,
}

/// Assesses the borrower's answers to `requests` as known on `today`; see the module rules.
#[must_use]
pub fn assess(requests: &[InformationRequest], today: NaiveDate) -> CooperationAssessment {
    let mut order: Vec<usize> = (0..requests.len()).collect();
    // A stable sort: requests sent the same day keep the order given.
    order.sort_by_key(|index| requests.get(*index).map(InformationRequest::sent_on));
    let statuses = order.iter().filter_map(|index| {
        requests
            .get(*index)
            .map(|request| (*index, request.status(today)))
    });
    let mut trail: Vec<usize> = statuses
        .rev()
        .skip_while(|(_, status)| *status == RequestStatus::Pending)
        .take_while(|(_, status)| status.is_missed())
        .map(|(index, _)| index)
        .collect();
    trail.reverse();
    let consecutive_missed = u32::try_from(trail.len()).unwrap_or(u32::MAX);
    CooperationAssessment {
        possibly_non_cooperative: consecutive_missed >= CONSECUTIVE_MISSES_FOR_NON_COOPERATION,
        consecutive_missed,
        trail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::BusinessCalendar;
    use crate::deadline::{DeadlineRule, Period};

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// A request sent on `sent` (due 15 days later), answered on `answered` if given.
    fn request(sent: &str, answered: Option<&str>) -> InformationRequest {
        let request = InformationRequest::new(date(sent)).unwrap();
        match answered {
            Some(answered) => request.with_answer(date(answered)).unwrap(),
            None => request,
        }
    }

    #[test]
    fn the_default_due_date_is_the_guidelines_rule() {
        assert_eq!(
            DeadlineRule::INFORMATION_REQUEST_RESPONSE.period,
            Period::CalendarDays(DEFAULT_RESPONSE_DAYS)
        );
        let sa = BusinessCalendar::builtin("SA").unwrap();
        for sent in ["2026-01-01", "2026-02-20", "2026-03-15", "2026-12-25"] {
            let rule = DeadlineRule::INFORMATION_REQUEST_RESPONSE
                .deadline(date(sent), sa)
                .unwrap();
            assert_eq!(due_date(date(sent)).unwrap(), rule.due, "{sent}");
        }
        // Sent Thu 12 Feb 2026, due Fri 27 Feb: a Saudi weekend day, not moved.
        assert_eq!(due_date(date("2026-02-12")).unwrap(), date("2026-02-27"));
        assert!(InformationRequest::new(NaiveDate::MAX).is_err());
    }

    #[test]
    fn on_the_due_date_itself_a_request_is_not_yet_overdue() {
        let sent = request("2026-03-01", None);
        assert_eq!(sent.due_on(), date("2026-03-16"));
        assert_eq!(sent.status(date("2026-03-16")), RequestStatus::Pending);
        assert!(!sent.is_overdue(date("2026-03-16")));
        assert!(!sent.is_missed(date("2026-03-16")));
        assert!(sent.is_overdue(date("2026-03-17")));
        assert!(sent.is_missed(date("2026-03-17")));
        let answered_on_due_date = request("2026-03-01", Some("2026-03-16"));
        assert_eq!(
            answered_on_due_date.status(date("2026-04-30")),
            RequestStatus::AnsweredOnTime
        );
    }

    #[test]
    fn a_late_answer_ends_overdue_but_remains_missed() {
        let late = request("2026-03-01", Some("2026-03-20"));
        let today = date("2026-03-25");
        assert_eq!(late.status(today), RequestStatus::AnsweredLate);
        assert!(!late.is_overdue(today));
        assert!(late.is_missed(today));
        // Before the answer was given it was simply overdue.
        assert_eq!(late.status(date("2026-03-18")), RequestStatus::Overdue);
    }

    #[test]
    fn no_missed_request_does_not_flag() {
        let requests = [
            request("2026-01-01", Some("2026-01-10")),
            request("2026-02-01", Some("2026-02-16")),
        ];
        let assessment = assess(&requests, date("2026-06-01"));
        assert_eq!(
            assessment,
            CooperationAssessment {
                possibly_non_cooperative: false,
                consecutive_missed: 0,
                trail: vec![],
            }
        );
        assert_eq!(assess(&[], date("2026-06-01")).consecutive_missed, 0);
    }

    #[test]
    fn one_missed_request_does_not_flag() {
        let requests = [
            request("2026-01-01", Some("2026-01-10")),
            request("2026-02-01", None),
        ];
        let assessment = assess(&requests, date("2026-06-01"));
        assert!(!assessment.possibly_non_cooperative);
        assert_eq!(assessment.consecutive_missed, 1);
        assert_eq!(assessment.trail, [1]);
    }

    #[test]
    fn two_consecutive_missed_requests_flag() {
        let requests = [
            request("2026-01-01", Some("2026-01-10")),
            request("2026-02-01", None),
            request("2026-03-01", None),
        ];
        // 1 Mar + 15 days = 16 Mar: on that day the second miss is not there yet.
        assert!(!assess(&requests, date("2026-03-16")).possibly_non_cooperative);
        let assessment = assess(&requests, date("2026-03-17"));
        assert!(assessment.possibly_non_cooperative);
        assert_eq!(assessment.consecutive_missed, 2);
        assert_eq!(assessment.trail, [1, 2]);
    }

    #[test]
    fn an_answer_in_time_between_two_misses_resets_the_run() {
        let requests = [
            request("2026-01-01", None),
            request("2026-02-01", Some("2026-02-05")),
            request("2026-03-01", None),
        ];
        let assessment = assess(&requests, date("2026-06-01"));
        assert!(!assessment.possibly_non_cooperative);
        assert_eq!(assessment.trail, [2]);
    }

    #[test]
    fn answered_late_counts_as_missed() {
        let requests = [
            request("2026-01-01", Some("2026-01-30")),
            request("2026-02-01", Some("2026-02-17")),
        ];
        let assessment = assess(&requests, date("2026-06-01"));
        assert!(assessment.possibly_non_cooperative);
        assert_eq!(assessment.trail, [0, 1]);
    }

    #[test]
    fn a_pending_request_at_the_end_neither_counts_nor_resets() {
        let requests = [
            request("2026-01-01", None),
            request("2026-02-01", None),
            request("2026-03-10", None),
        ];
        let assessment = assess(&requests, date("2026-03-20"));
        assert!(assessment.possibly_non_cooperative);
        assert_eq!(assessment.trail, [0, 1]);
    }

    #[test]
    fn requests_are_taken_in_the_order_sent_and_answers_after_today_are_unknown() {
        let requests = [
            request("2026-03-01", None),
            request("2026-01-01", Some("2026-01-05")),
            request("2026-02-01", Some("2026-04-01")),
        ];
        // Sent order: index 1 (on time), index 2 (not answered on 20 March), index 0.
        let assessment = assess(&requests, date("2026-03-20"));
        assert_eq!(assessment.trail, [2, 0]);
        assert!(assessment.possibly_non_cooperative);
    }

    #[test]
    fn inconsistent_dates_are_refused() {
        assert!(matches!(
            InformationRequest::with_due_on(date("2026-03-01"), date("2026-02-28")),
            Err(CooperationError::DueBeforeSent { .. })
        ));
        let sent = request("2026-03-01", None);
        assert!(matches!(
            sent.with_answer(date("2026-02-28")),
            Err(CooperationError::AnsweredBeforeSent { .. })
        ));
        let json = serde_json::json!({
            "sent_on": "2026-03-01", "due_on": "2026-03-16", "answered_on": "2026-02-01"
        });
        assert!(serde_json::from_value::<InformationRequest>(json).is_err());
        let json = serde_json::to_value(request("2026-03-01", Some("2026-03-02"))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "sent_on": "2026-03-01", "due_on": "2026-03-16", "answered_on": "2026-03-02"
            })
        );
        assert_eq!(
            serde_json::from_value::<InformationRequest>(json).unwrap(),
            request("2026-03-01", Some("2026-03-02"))
        );
    }
}
