//! Cooperation of the borrower: its answers to the workout's requests for a meeting or for
//! information, the guideline's test for a possibly non-cooperative borrower (5.1.2 ii: "failure
//! to respond … to two consecutive requests … within 15 calendar days of each request"), and the
//! other grounds on which the workout unit may class a borrower non-cooperative (5.1.2 i, iii, iv).
//!
//! Rules:
//! - A request is due [`DEFAULT_RESPONSE_DAYS`] (15) calendar days after it is sent, as the
//!   built-in deadline rule `INFORMATION_REQUEST_RESPONSE` says: weekends and holidays count, and
//!   a due date on a non-business day is not moved. A request may be given a later due date (an
//!   extension), never an earlier one: the borrower always has at least 15 calendar days, so a
//!   request cannot be made to fall overdue sooner. An answer cannot predate its request.
//! - Everything is judged as known on a day `today`: an answer dated after `today` is not known
//!   yet. An answer on the due date is in time; the request is overdue only from the day after.
//! - [`RequestStatus`] on `today`: pending (unanswered, not yet due), answered on time, answered
//!   late, overdue (unanswered and `today` after the due date), or cancelled. A late answer ends
//!   "overdue". A cancelled request counts for nothing: neither as missed nor as answered.
//! - A request is **missed** when its due date has passed without an answer by the due date:
//!   answered late or not at all. A late answer does not undo the miss, because the guideline
//!   asks for an answer within 15 days of each request.
//! - Requests are taken in the order sent (by `sent_on`; requests sent the same day in the order
//!   given), cancelled ones left out.
//! - **Which requests count** (the "consecutive requests … within 15 calendar days of each"): the
//!   first request counts; a later request counts only if it was sent *after* the due date of the
//!   previous request that counts, that is on the day after that due date or later: on the first
//!   day on which the earlier request, unanswered, is overdue. A request sent on or before that due
//!   date (while the borrower still had time to answer the earlier one) does not count. Whether a
//!   request counts depends on the dates only, never on answers, so it is known when it is sent:
//!   two requests sent a day apart and both missed are one miss, not two.
//! - The current run: walking back from the latest request, pending requests at the end are left
//!   out (they cannot be judged yet); then each missed request that counts extends the run, a
//!   missed request that does not count is passed over, and anything else ends the run: a request
//!   answered on time (counted or not, since the borrower did answer the bank in time) or a
//!   request still pending between missed ones. So an answer in time resets the count.
//! - The borrower is *possibly* non-cooperative when the run has at least
//!   [`CONSECUTIVE_MISSES_FOR_NON_COOPERATION`] (2) missed requests: exactly two consecutive
//!   misses flag it, one does not. Classing the borrower is the workout unit's decision; the
//!   assessment gives it the audit trail (which requests were missed).
//! - The other grounds of 5.1.2 are judgements, never computed: [`NonCooperationGround`] names
//!   them; a classification on them cites at least one ground, each once, with a written
//!   rationale.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::calendar::{CalendarError, add_calendar_days};

/// Calendar days a borrower has to answer a request (rule `INFORMATION_REQUEST_RESPONSE`): the
/// default and the shortest allowed period.
pub const DEFAULT_RESPONSE_DAYS: u32 = 15;

/// Consecutive missed requests after which the borrower may be classed non-cooperative.
pub const CONSECUTIVE_MISSES_FOR_NON_COOPERATION: u32 = 2;

/// The default (and earliest allowed) due date of a request sent on `sent_on`: 15 calendar days
/// later.
///
/// # Errors
/// [`CalendarError::DateOutOfRange`] if that date is not representable.
pub fn due_date(sent_on: NaiveDate) -> Result<NaiveDate, CalendarError> {
    add_calendar_days(sent_on, i64::from(DEFAULT_RESPONSE_DAYS))
}

/// Why a request's dates are not consistent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CooperationError {
    /// The due date leaves the borrower less than [`DEFAULT_RESPONSE_DAYS`] calendar days.
    #[error(
        "a request sent on {sent_on} cannot be due before {earliest} (the borrower has at least 15 calendar days to answer), not on {due_on}"
    )]
    DueTooSoon {
        /// When the request was sent.
        sent_on: NaiveDate,
        /// The due date given.
        due_on: NaiveDate,
        /// The earliest due date allowed.
        earliest: NaiveDate,
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
    #[serde(default, skip_serializing_if = "is_false")]
    cancelled: bool,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_false(value: &bool) -> bool {
    !*value
}

/// The wire form of an [`InformationRequest`], checked on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InformationRequestRecord {
    sent_on: NaiveDate,
    due_on: NaiveDate,
    answered_on: Option<NaiveDate>,
    #[serde(default)]
    cancelled: bool,
}

impl TryFrom<InformationRequestRecord> for InformationRequest {
    type Error = CooperationError;

    fn try_from(record: InformationRequestRecord) -> Result<Self, Self::Error> {
        let mut request = Self::with_due_on(record.sent_on, record.due_on)?;
        if let Some(answered_on) = record.answered_on {
            request = request.with_answer(answered_on)?;
        }
        Ok(if record.cancelled {
            request.cancelled()
        } else {
            request
        })
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
    /// Cancelled by the workout unit: it counts for nothing.
    Cancelled,
}

impl RequestStatus {
    /// True for a request not answered by its due date once that date has passed.
    #[must_use]
    pub const fn is_missed(self) -> bool {
        matches!(self, Self::AnsweredLate | Self::Overdue)
    }

    /// The wire name (`pending`, `answered_on_time`, `answered_late`, `overdue`, `cancelled`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::AnsweredOnTime => "answered_on_time",
            Self::AnsweredLate => "answered_late",
            Self::Overdue => "overdue",
            Self::Cancelled => "cancelled",
        }
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
    /// [`CooperationError::DueTooSoon`] if `due_on` is less than [`DEFAULT_RESPONSE_DAYS`]
    /// calendar days after `sent_on`; [`CooperationError::Calendar`] if that earliest date is not
    /// representable.
    pub fn with_due_on(sent_on: NaiveDate, due_on: NaiveDate) -> Result<Self, CooperationError> {
        let earliest = due_date(sent_on)?;
        if due_on < earliest {
            return Err(CooperationError::DueTooSoon {
                sent_on,
                due_on,
                earliest,
            });
        }
        Ok(Self {
            sent_on,
            due_on,
            answered_on: None,
            cancelled: false,
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

    /// The same request, cancelled: it no longer counts, whatever its answer.
    #[must_use]
    pub const fn cancelled(self) -> Self {
        Self {
            cancelled: true,
            ..self
        }
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

    /// Whether the request was cancelled.
    #[must_use]
    pub const fn is_cancelled(&self) -> bool {
        self.cancelled
    }

    /// Where the request stands on `today` (answers dated after `today` are not known yet).
    #[must_use]
    pub fn status(&self, today: NaiveDate) -> RequestStatus {
        if self.cancelled {
            return RequestStatus::Cancelled;
        }
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
    /// For each request given to [`assess`] (same index), whether it counts towards the
    /// criterion (see the module rules); cancelled requests never do.
    pub counts: Vec<bool>,
}

/// Which of `requests` count towards the criterion (same indices), given the order sent
/// (`order`: indices of the requests not cancelled, sorted by `sent_on`): each one sent after the
/// due date of the previous one that counts.
fn counting(requests: &[InformationRequest], order: &[usize]) -> Vec<bool> {
    let mut counts = vec![false; requests.len()];
    let mut previous_due: Option<NaiveDate> = None;
    for index in order {
        let Some(request) = requests.get(*index) else {
            continue;
        };
        if previous_due.is_none_or(|due| request.sent_on > due) {
            if let Some(count) = counts.get_mut(*index) {
                *count = true;
            }
            previous_due = Some(request.due_on);
        }
    }
    counts
}

/// Assesses the borrower's answers to `requests` as known on `today`; see the module rules.
#[must_use]
pub fn assess(requests: &[InformationRequest], today: NaiveDate) -> CooperationAssessment {
    let mut order: Vec<usize> = (0..requests.len())
        .filter(|index| requests.get(*index).is_some_and(|r| !r.cancelled))
        .collect();
    // A stable sort: requests sent the same day keep the order given.
    order.sort_by_key(|index| requests.get(*index).map(InformationRequest::sent_on));
    let counts = counting(requests, &order);
    let statuses = order.iter().filter_map(|index| {
        requests
            .get(*index)
            .map(|request| (*index, request.status(today)))
    });
    let mut trail = Vec::new();
    for (index, status) in statuses
        .rev()
        .skip_while(|(_, status)| *status == RequestStatus::Pending)
    {
        if !status.is_missed() {
            break;
        }
        if counts.get(index).copied().unwrap_or(false) {
            trail.push(index);
        }
    }
    trail.reverse();
    let consecutive_missed = u32::try_from(trail.len()).unwrap_or(u32::MAX);
    CooperationAssessment {
        possibly_non_cooperative: consecutive_missed >= CONSECUTIVE_MISSES_FOR_NON_COOPERATION,
        consecutive_missed,
        trail,
        counts,
    }
}

/// The grounds of guideline 5.1.2 on which the workout unit may class a borrower non-cooperative
/// by its own judgement, besides the measured one (ii, two consecutive unanswered requests).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NonCooperationGround {
    /// 5.1.2 (i): defaults while able to pay ("strategic defaulter"), hoping for unwarranted
    /// concessions.
    StrategicDefault,
    /// 5.1.2 (iii): denies access to its premises and/or books and records.
    DeniedAccess,
    /// 5.1.2 (iv): does not engage constructively: generally unresponsive, consistently fails to
    /// keep promises, and/or rejects restructuring proposals out of hand.
    NoConstructiveEngagement,
}

impl NonCooperationGround {
    /// Every ground, in the guideline's order.
    pub const ALL: [Self; 3] = [
        Self::StrategicDefault,
        Self::DeniedAccess,
        Self::NoConstructiveEngagement,
    ];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::StrategicDefault => "strategic_default",
            Self::DeniedAccess => "denied_access",
            Self::NoConstructiveEngagement => "no_constructive_engagement",
        }
    }

    /// The guideline's item, e.g. `5.1.2 (i)`.
    #[must_use]
    pub const fn guideline(self) -> &'static str {
        match self {
            Self::StrategicDefault => "5.1.2 (i)",
            Self::DeniedAccess => "5.1.2 (iii)",
            Self::NoConstructiveEngagement => "5.1.2 (iv)",
        }
    }
}

impl std::str::FromStr for NonCooperationGround {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|ground| ground.as_str() == text)
            .ok_or_else(|| format!("{text:?} is not a ground of non-cooperation"))
    }
}

/// Why the grounds of a classification are not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GroundsError {
    /// No ground was given.
    #[error(
        "name at least one ground: strategic_default, denied_access or no_constructive_engagement"
    )]
    Empty,
    /// A ground was given twice.
    #[error("{} is given twice", .0.as_str())]
    Repeated(NonCooperationGround),
}

/// The grounds a classification cites: at least one, each once, in the guideline's order.
///
/// # Errors
/// [`GroundsError`] if `grounds` is empty or repeats one.
pub fn grounds(
    grounds: &[NonCooperationGround],
) -> Result<Vec<NonCooperationGround>, GroundsError> {
    let mut seen = BTreeSet::new();
    for ground in grounds {
        if !seen.insert(*ground) {
            return Err(GroundsError::Repeated(*ground));
        }
    }
    if seen.is_empty() {
        return Err(GroundsError::Empty);
    }
    Ok(seen.into_iter().collect())
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
                counts: vec![true, true],
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
            Err(CooperationError::DueTooSoon { .. })
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

    #[test]
    fn a_due_date_under_fifteen_calendar_days_is_refused_and_a_later_one_allowed() {
        let sent = date("2026-03-01");
        assert_eq!(
            InformationRequest::with_due_on(sent, date("2026-03-03")),
            Err(CooperationError::DueTooSoon {
                sent_on: sent,
                due_on: date("2026-03-03"),
                earliest: date("2026-03-16"),
            })
        );
        assert!(InformationRequest::with_due_on(sent, date("2026-03-15")).is_err());
        assert_eq!(
            InformationRequest::with_due_on(sent, date("2026-03-16"))
                .unwrap()
                .due_on(),
            date("2026-03-16")
        );
        assert_eq!(
            InformationRequest::with_due_on(sent, date("2026-04-30"))
                .unwrap()
                .due_on(),
            date("2026-04-30")
        );
        let json = serde_json::json!({"sent_on": "2026-03-01", "due_on": "2026-03-03", "answered_on": null});
        assert!(serde_json::from_value::<InformationRequest>(json).is_err());
    }

    #[test]
    fn two_requests_sent_a_day_apart_and_both_missed_are_one_miss() {
        let requests = [request("2026-03-01", None), request("2026-03-02", None)];
        let assessment = assess(&requests, date("2026-06-01"));
        assert_eq!(assessment.counts, [true, false]);
        assert!(!assessment.possibly_non_cooperative);
        assert_eq!(assessment.consecutive_missed, 1);
        assert_eq!(assessment.trail, [0]);
    }

    #[test]
    fn a_request_counts_only_if_sent_after_the_previous_counted_one_was_due() {
        // The first is due on 16 March: a request sent that day does not count, one sent on
        // 17 March (the first day the first one is overdue) does.
        let on_the_due_date = [request("2026-03-01", None), request("2026-03-16", None)];
        let assessment = assess(&on_the_due_date, date("2026-06-01"));
        assert_eq!(assessment.counts, [true, false]);
        assert!(!assessment.possibly_non_cooperative);
        let the_day_after = [request("2026-03-01", None), request("2026-03-17", None)];
        let assessment = assess(&the_day_after, date("2026-06-01"));
        assert_eq!(assessment.counts, [true, true]);
        assert!(assessment.possibly_non_cooperative);
        assert_eq!(assessment.trail, [0, 1]);
        // "Previous" is the previous request that counts, not merely the previous one sent: the
        // third is measured against the first (due 16 March), the second being passed over.
        let requests = [
            request("2026-03-01", None),
            request("2026-03-10", None),
            request("2026-03-20", None),
        ];
        let assessment = assess(&requests, date("2026-06-01"));
        assert_eq!(assessment.counts, [true, false, true]);
        assert_eq!(assessment.trail, [0, 2]);
        assert!(assessment.possibly_non_cooperative);
        // An extended due date pushes the next counting request later.
        let extended = [
            InformationRequest::with_due_on(date("2026-03-01"), date("2026-04-30")).unwrap(),
            request("2026-04-01", None),
            request("2026-05-01", None),
        ];
        assert_eq!(
            assess(&extended, date("2026-07-01")).counts,
            [true, false, true]
        );
    }

    #[test]
    fn an_answer_in_time_to_a_request_that_does_not_count_still_ends_the_run() {
        let requests = [
            request("2026-03-01", None),
            request("2026-03-05", Some("2026-03-06")),
            request("2026-03-20", None),
        ];
        let assessment = assess(&requests, date("2026-06-01"));
        assert_eq!(assessment.counts, [true, false, true]);
        assert!(!assessment.possibly_non_cooperative);
        assert_eq!(assessment.trail, [2]);
    }

    #[test]
    fn a_cancelled_request_counts_for_nothing() {
        // Answered in time, then cancelled: no longer ends the run.
        let requests = [
            request("2026-01-01", None),
            request("2026-02-01", Some("2026-02-02")).cancelled(),
            request("2026-03-01", None),
        ];
        let assessment = assess(&requests, date("2026-06-01"));
        assert_eq!(assessment.counts, [true, false, true]);
        assert_eq!(assessment.trail, [0, 2]);
        assert!(assessment.possibly_non_cooperative);
        assert_eq!(
            requests[1].status(date("2026-06-01")),
            RequestStatus::Cancelled
        );
        // Missed, then cancelled: no longer a miss.
        let requests = [
            request("2026-01-01", None).cancelled(),
            request("2026-02-01", None),
        ];
        let assessment = assess(&requests, date("2026-06-01"));
        assert!(!assessment.possibly_non_cooperative);
        assert_eq!(assessment.trail, [1]);
        assert!(!requests[0].is_missed(date("2026-06-01")));
        assert!(!requests[0].is_overdue(date("2026-06-01")));
        // A cancelled request is no "previous" one: the request after it counts again.
        let requests = [
            request("2026-03-01", None).cancelled(),
            request("2026-03-02", None),
        ];
        assert_eq!(assess(&requests, date("2026-06-01")).counts, [false, true]);
        let json = serde_json::to_value(requests[0]).unwrap();
        assert_eq!(json["cancelled"], true);
        assert_eq!(
            serde_json::from_value::<InformationRequest>(json).unwrap(),
            requests[0]
        );
    }

    #[test]
    fn a_classification_cites_each_ground_once() {
        use NonCooperationGround::{DeniedAccess, NoConstructiveEngagement, StrategicDefault};
        assert_eq!(grounds(&[]), Err(GroundsError::Empty));
        assert_eq!(
            grounds(&[DeniedAccess, DeniedAccess]),
            Err(GroundsError::Repeated(DeniedAccess))
        );
        assert_eq!(
            grounds(&[NoConstructiveEngagement, StrategicDefault]).unwrap(),
            [StrategicDefault, NoConstructiveEngagement]
        );
        for ground in NonCooperationGround::ALL {
            assert_eq!(ground.as_str().parse::<NonCooperationGround>(), Ok(ground));
            assert_eq!(
                serde_json::to_value(ground).unwrap(),
                serde_json::json!(ground.as_str())
            );
        }
        assert_eq!(StrategicDefault.guideline(), "5.1.2 (i)");
        assert!(
            "unanswered_requests"
                .parse::<NonCooperationGround>()
                .is_err()
        );
    }
}
