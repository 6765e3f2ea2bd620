//! The coordinator's mandate for a borrower with several banks (guideline 5.3.1 E): the rule data
//! with the guideline's numbers as defaults, the nomination order, the consent rule (a rule of the
//! voting engine), the term and renewal checks, withdrawal categories and the duties checklist.
//!
//! Rules:
//! - Every number is named data: [`MandateRules::default`] holds the guideline's values (appoint
//!   within 1 month of opening, a term of at most 6 months, renewals of at most 3 months, 1 renewal
//!   allowed, the renewal decided at least 1 month before expiry), and every refusal names the rule
//!   it applies ([`MandateBreach::rule`]).
//! - Months are calendar months clamped to the end of the month (31 Jan + 1 month = 28/29 Feb),
//!   through [`crate::calendar::add_months`] and the [`DeadlineRule`]s of [`crate::deadline`].
//! - "The bank with the largest loan" is read as the largest **counted exposure** of the registry's
//!   snapshot on the nomination date (`exposure`: funded balances plus contingents at the
//!   workout's contingent weight, penalties as the workout counts them), so the nominee is the
//!   creditor with the largest voting weight. Ties go to the larger funded (on-balance) exposure,
//!   then to the lower institution id. Related parties of the borrower, creditors with no
//!   exposure and creditors that declined or withdrew in this mandate are never nominated.
//! - The consent of "all other creditor banks" is a [`Rule`] of the voting engine over the other
//!   creditors of the same snapshot (weights = counted exposure per class): by default unanimity
//!   of the eligible (every other creditor accepts; an objection or a missing answer fails it),
//!   or, as a workout's choice, the weighted majority of the `majority_lenders` preset. Related
//!   parties are left out, as in every preset.
//! - A renewal window is open until the end of the cut-off day ([`DeadlineRule::MANDATE_RENEWAL_CUTOFF`]
//!   counted back from the term's end): a renewal decided on that day counts, the day after not.
//! - Nothing here reads a clock: "today" is always an argument.

use std::borrow::Cow;
use std::cmp::Reverse;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessCalendar, CalendarError};
use crate::deadline::{Deadline, DeadlineRule, Direction, Period, Roll};
use crate::exposure::CreditorExposure;
use crate::ids::InstitutionId;
use crate::voting::{Preset, Rule, Voter};

/// The name of the rule on how many renewals a mandate may have.
pub const MANDATE_RENEWALS_ALLOWED: &str = "MANDATE_RENEWALS_ALLOWED";

/// The name of the rule that a renewal is decided before the window closes.
pub const MANDATE_RENEWAL_CUTOFF: &str = "MANDATE_RENEWAL_CUTOFF";

/// The name of the rule on the length of a term (at most [`MandateRules::max_term_months`]).
pub const MANDATE_MAX_TERM: &str = "MANDATE_MAX_TERM";

/// The name of the rule on the length of a renewal.
pub const MANDATE_RENEWAL_STEP: &str = "MANDATE_RENEWAL_STEP";

/// The name of the rule that the "positions keep changing" withdrawal needs a prior notice.
pub const MANDATE_WITHDRAWAL_NOTICE: &str = "MANDATE_WITHDRAWAL_NOTICE";

/// How the other creditors' consent to a nominee (and to a renewal) is decided.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ConsentRule {
    /// Every other (eligible) creditor accepts: the guideline's "all other creditor banks"; the
    /// engine's `unanimity` preset.
    #[default]
    AllOtherCreditors,
    /// More than 2/3 of the eligible weight accepts (absence counts against): the engine's
    /// `majority_lenders` preset.
    WeightedMajority,
}

impl ConsentRule {
    /// The engine's preset this rule is.
    #[must_use]
    pub const fn preset(self) -> Preset {
        match self {
            Self::AllOtherCreditors => Preset::Unanimity,
            Self::WeightedMajority => Preset::MajorityLenders,
        }
    }

    /// The engine's rule.
    #[must_use]
    pub const fn rule(self) -> Rule {
        self.preset().rule()
    }

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AllOtherCreditors => "all_other_creditors",
            Self::WeightedMajority => "weighted_majority",
        }
    }
}

/// The numbers of a mandate, each a named rule; [`Default`] is the guideline's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MandateRules {
    /// `COORDINATOR_APPOINTMENT`: months from the workout's opening to the appointment (1).
    pub appointment_months: u32,
    /// `MANDATE_MAX_TERM`: months of the first term, at most (6).
    pub max_term_months: u32,
    /// `MANDATE_RENEWAL_STEP`: months of one renewal, at most (3).
    pub max_renewal_months: u32,
    /// `MANDATE_RENEWALS_ALLOWED`: how many renewals (1, the conservative reading of "the
    /// possibility of a renewal").
    pub renewals_allowed: u32,
    /// `MANDATE_RENEWAL_CUTOFF`: months before expiry by which a renewal is decided (1).
    pub renewal_cutoff_months: u32,
    /// How consent is decided.
    pub consent_rule: ConsentRule,
}

impl Default for MandateRules {
    fn default() -> Self {
        Self {
            appointment_months: 1,
            max_term_months: 6,
            max_renewal_months: 3,
            renewals_allowed: 1,
            renewal_cutoff_months: 1,
            consent_rule: ConsentRule::AllOtherCreditors,
        }
    }
}

/// A refusal under a mandate rule: [`Self::rule`] names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MandateBreach {
    /// A term longer than the rule allows.
    #[error("{MANDATE_MAX_TERM}: a term is at most {max} months; {asked} asked")]
    TermTooLong {
        /// Asked.
        asked: u32,
        /// Allowed.
        max: u32,
    },
    /// A renewal longer than the rule allows.
    #[error("{MANDATE_RENEWAL_STEP}: a renewal is at most {max} months; {asked} asked")]
    RenewalTooLong {
        /// Asked.
        asked: u32,
        /// Allowed.
        max: u32,
    },
    /// No renewal left.
    #[error("{MANDATE_RENEWALS_ALLOWED}: {allowed} renewal(s) allowed and {done} already made")]
    RenewalsExhausted {
        /// Allowed.
        allowed: u32,
        /// Made.
        done: u32,
    },
    /// The renewal window closed.
    #[error(
        "{MANDATE_RENEWAL_CUTOFF}: a renewal had to be decided by {cutoff}, 1 month before the expiry on {expiry}"
    )]
    RenewalWindowClosed {
        /// The last day of the window.
        cutoff: NaiveDate,
        /// The term's end.
        expiry: NaiveDate,
    },
    /// A zero-length term or renewal.
    #[error("{rule}: a period of 0 months is not a term")]
    Empty {
        /// The rule.
        rule: &'static str,
    },
    /// The "positions keep changing" withdrawal without a prior notice.
    #[error(
        "{MANDATE_WITHDRAWAL_NOTICE}: this ground needs a prior notice to all creditors and the borrower, recorded first"
    )]
    NoticeMissing,
}

impl MandateBreach {
    /// The rule applied.
    #[must_use]
    pub const fn rule(&self) -> &'static str {
        match self {
            Self::TermTooLong { .. } => MANDATE_MAX_TERM,
            Self::RenewalTooLong { .. } => MANDATE_RENEWAL_STEP,
            Self::RenewalsExhausted { .. } => MANDATE_RENEWALS_ALLOWED,
            Self::RenewalWindowClosed { .. } => MANDATE_RENEWAL_CUTOFF,
            Self::Empty { rule } => rule,
            Self::NoticeMissing => MANDATE_WITHDRAWAL_NOTICE,
        }
    }

    /// A stable snake_case code for a problem answer.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TermTooLong { .. } => "mandate_max_term",
            Self::RenewalTooLong { .. } => "mandate_renewal_step",
            Self::RenewalsExhausted { .. } => "mandate_renewals_allowed",
            Self::RenewalWindowClosed { .. } => "mandate_renewal_cutoff",
            Self::Empty { .. } => "mandate_empty_period",
            Self::NoticeMissing => "mandate_withdrawal_notice",
        }
    }
}

fn months_rule(name: &'static str, months: u32, direction: Direction) -> DeadlineRule {
    DeadlineRule {
        name: Cow::Borrowed(name),
        period: Period::Months(months),
        direction,
        roll: Roll::None,
    }
}

impl MandateRules {
    /// The appointment's due date: `appointment_months` after the opening.
    ///
    /// # Errors
    /// [`CalendarError::DateOutOfRange`].
    pub fn appointment_due(
        &self,
        opened_on: NaiveDate,
        calendar: &BusinessCalendar,
    ) -> Result<Deadline, CalendarError> {
        months_rule(
            "COORDINATOR_APPOINTMENT",
            self.appointment_months,
            Direction::After,
        )
        .deadline(opened_on, calendar)
    }

    /// Checks a first term of `months`.
    ///
    /// # Errors
    /// [`MandateBreach::TermTooLong`] or [`MandateBreach::Empty`].
    pub const fn check_term(&self, months: u32) -> Result<(), MandateBreach> {
        if months == 0 {
            return Err(MandateBreach::Empty {
                rule: MANDATE_MAX_TERM,
            });
        }
        if months > self.max_term_months {
            return Err(MandateBreach::TermTooLong {
                asked: months,
                max: self.max_term_months,
            });
        }
        Ok(())
    }

    /// The term's end: `months` after the appointment.
    ///
    /// # Errors
    /// [`CalendarError::DateOutOfRange`].
    pub fn term_end(
        &self,
        appointed_on: NaiveDate,
        months: u32,
        calendar: &BusinessCalendar,
    ) -> Result<Deadline, CalendarError> {
        months_rule(MANDATE_MAX_TERM, months, Direction::After).deadline(appointed_on, calendar)
    }

    /// The last day on which a renewal of a term ending on `expiry` may be decided.
    ///
    /// # Errors
    /// [`CalendarError::DateOutOfRange`].
    pub fn renewal_cutoff(
        &self,
        expiry: NaiveDate,
        calendar: &BusinessCalendar,
    ) -> Result<Deadline, CalendarError> {
        months_rule(
            MANDATE_RENEWAL_CUTOFF,
            self.renewal_cutoff_months,
            Direction::Before,
        )
        .deadline(expiry, calendar)
    }

    /// Checks a renewal of `months` proposed or decided `today`, after `done` renewals, of a term
    /// ending on `expiry`; answers the window's deadline.
    ///
    /// # Errors
    /// The first breach found: length, count, then the window.
    pub fn check_renewal(
        &self,
        months: u32,
        done: u32,
        expiry: NaiveDate,
        today: NaiveDate,
        calendar: &BusinessCalendar,
    ) -> Result<Deadline, MandateBreach> {
        if months == 0 {
            return Err(MandateBreach::Empty {
                rule: MANDATE_RENEWAL_STEP,
            });
        }
        if months > self.max_renewal_months {
            return Err(MandateBreach::RenewalTooLong {
                asked: months,
                max: self.max_renewal_months,
            });
        }
        if done >= self.renewals_allowed {
            return Err(MandateBreach::RenewalsExhausted {
                allowed: self.renewals_allowed,
                done,
            });
        }
        self.check_window(expiry, today, calendar)
    }

    /// Whether a renewal may still be decided `today` for a term ending on `expiry` (the cut-off
    /// day itself counts).
    ///
    /// # Errors
    /// [`MandateBreach::RenewalWindowClosed`].
    pub fn check_window(
        &self,
        expiry: NaiveDate,
        today: NaiveDate,
        calendar: &BusinessCalendar,
    ) -> Result<Deadline, MandateBreach> {
        let closed = || MandateBreach::RenewalWindowClosed {
            cutoff: expiry,
            expiry,
        };
        let cutoff = self
            .renewal_cutoff(expiry, calendar)
            .map_err(|_| closed())?;
        if cutoff.is_overdue(today) {
            return Err(MandateBreach::RenewalWindowClosed {
                cutoff: cutoff.due,
                expiry,
            });
        }
        Ok(cutoff)
    }

    /// The term's new end after a renewal of `months`.
    ///
    /// # Errors
    /// [`CalendarError::DateOutOfRange`].
    pub fn renewed_end(
        &self,
        expiry: NaiveDate,
        months: u32,
        calendar: &BusinessCalendar,
    ) -> Result<Deadline, CalendarError> {
        months_rule(MANDATE_RENEWAL_STEP, months, Direction::After).deadline(expiry, calendar)
    }
}

/// A creditor in the nomination order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Candidate {
    /// The creditor.
    pub creditor: InstitutionId,
    /// Its name.
    pub name: String,
    /// Its counted exposure (the measure of "largest").
    pub exposure: String,
    /// Its funded (on-balance) exposure (the first tie-break).
    pub funded: String,
}

/// The creditors that may be nominated, largest first: by counted exposure, then funded
/// exposure, then lower institution id; related parties, creditors without exposure and those in
/// `passed_over` (declined or withdrew) left out.
#[must_use]
pub fn nomination_order(
    lines: &[CreditorExposure],
    passed_over: &[InstitutionId],
) -> Vec<Candidate> {
    let mut eligible: Vec<&CreditorExposure> = lines
        .iter()
        .filter(|line| {
            !line.related_party
                && line.exposure.amount > rust_decimal::Decimal::ZERO
                && !passed_over.contains(&line.creditor)
        })
        .collect();
    eligible.sort_by_key(|line| {
        (
            Reverse(line.exposure.amount),
            Reverse(line.funded.amount),
            line.creditor,
        )
    });
    eligible
        .into_iter()
        .map(|line| Candidate {
            creditor: line.creditor,
            name: line.name.clone(),
            exposure: line.exposure.amount.to_string(),
            funded: line.funded.amount.to_string(),
        })
        .collect()
}

/// The voters of a consent round on `nominee` (or a renewal of `nominee`'s mandate): every other
/// creditor of the snapshot with an exposure, one row per class, weighted by counted exposure.
#[must_use]
pub fn consent_voters(lines: &[CreditorExposure], nominee: InstitutionId) -> Vec<Voter> {
    lines
        .iter()
        .filter(|line| line.creditor != nominee)
        .flat_map(|line| {
            line.by_class.iter().map(|class| Voter {
                creditor: line.creditor,
                class: class.class.clone(),
                weight: class.amount.amount,
                related_party: line.related_party,
                conflicted: false,
            })
        })
        .collect()
}

/// The grounds on which the coordinator may withdraw during its term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalCategory {
    /// Creditors or the borrower keep changing positions without reason: needs a recorded prior
    /// notice to all creditors and the borrower.
    PositionsKeepChanging,
    /// The borrower does not cooperate.
    BorrowerNotCooperating,
    /// A conflict of interest arose.
    ConflictOfInterest,
    /// The bank's exposure ended (repaid or transferred).
    ExposureEnded,
    /// Another grounded reason, spelled out in the text.
    OtherGroundedReason,
}

impl WithdrawalCategory {
    /// Whether the category needs a prior notice.
    #[must_use]
    pub const fn needs_notice(self) -> bool {
        matches!(self, Self::PositionsKeepChanging)
    }

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PositionsKeepChanging => "positions_keep_changing",
            Self::BorrowerNotCooperating => "borrower_not_cooperating",
            Self::ConflictOfInterest => "conflict_of_interest",
            Self::ExposureEnded => "exposure_ended",
            Self::OtherGroundedReason => "other_grounded_reason",
        }
    }

    /// Checks that a withdrawal on this ground may go ahead.
    ///
    /// # Errors
    /// [`MandateBreach::NoticeMissing`].
    pub const fn check(self, notice_given: bool) -> Result<(), MandateBreach> {
        if self.needs_notice() && !notice_given {
            Err(MandateBreach::NoticeMissing)
        } else {
            Ok(())
        }
    }
}

/// An item of the coordinator's duties checklist (5.3.1 E).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DutyItem {
    /// Record the goals and deadlines of the process at the start (5.3.1 E v).
    GoalsAndDeadlines,
    /// Assess the need for a standstill.
    StandstillNeed,
    /// Assess the need to extend the mandate.
    ExtensionNeed,
    /// Assess the need for an external consultant, and record its appointment.
    ExternalConsultant,
    /// Draft the proposed solution.
    ProposedSolution,
    /// Keep the minutes of creditor meetings.
    MeetingMinutes,
}

impl DutyItem {
    /// Every item, in checklist order.
    pub const ALL: [Self; 6] = [
        Self::GoalsAndDeadlines,
        Self::StandstillNeed,
        Self::ExtensionNeed,
        Self::ExternalConsultant,
        Self::ProposedSolution,
        Self::MeetingMinutes,
    ];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::GoalsAndDeadlines => "goals_and_deadlines",
            Self::StandstillNeed => "standstill_need",
            Self::ExtensionNeed => "extension_need",
            Self::ExternalConsultant => "external_consultant",
            Self::ProposedSolution => "proposed_solution",
            Self::MeetingMinutes => "meeting_minutes",
        }
    }

    /// The item named `text`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|item| item.as_str() == text)
    }
}

/// Where a duty stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DutyStatus {
    /// Not started.
    Open,
    /// Under way.
    InProgress,
    /// Done.
    Done,
    /// Assessed and not needed.
    NotNeeded,
}

impl DutyStatus {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::NotNeeded => "not_needed",
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::voting::{Choice, decided};

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn sa() -> &'static BusinessCalendar {
        BusinessCalendar::builtin("SA").unwrap()
    }

    #[test]
    fn the_defaults_are_the_guidelines_numbers() {
        let rules = MandateRules::default();
        assert_eq!(rules.appointment_months, 1);
        assert_eq!(rules.max_term_months, 6);
        assert_eq!(rules.max_renewal_months, 3);
        assert_eq!(rules.renewals_allowed, 1);
        assert_eq!(rules.renewal_cutoff_months, 1);
        assert_eq!(rules.consent_rule.preset(), Preset::Unanimity);
    }

    #[test]
    fn the_appointment_is_due_one_calendar_month_after_opening_clamped_to_february() {
        let rules = MandateRules::default();
        let due = |opened: &str| rules.appointment_due(date(opened), sa()).unwrap();
        assert_eq!(due("2027-01-31").due, date("2027-02-28"), "non-leap year");
        assert_eq!(due("2028-01-31").due, date("2028-02-29"), "leap year");
        assert_eq!(due("2026-11-02").due, date("2026-12-02"));
        assert_eq!(due("2026-11-02").rule.name, "COORDINATOR_APPOINTMENT");
        assert!(!due("2027-01-31").is_overdue(date("2027-02-28")));
        assert!(due("2027-01-31").is_overdue(date("2027-03-01")));
    }

    #[test]
    fn a_first_term_over_six_months_or_a_renewal_over_three_is_refused_naming_its_rule() {
        let rules = MandateRules::default();
        assert!(rules.check_term(6).is_ok());
        let long = rules.check_term(7).unwrap_err();
        assert_eq!(long.rule(), "MANDATE_MAX_TERM");
        assert!(long.to_string().starts_with("MANDATE_MAX_TERM"));
        let expiry = date("2027-05-31");
        let today = date("2027-03-01");
        assert!(rules.check_renewal(3, 0, expiry, today, sa()).is_ok());
        let step = rules.check_renewal(4, 0, expiry, today, sa()).unwrap_err();
        assert_eq!(step.rule(), "MANDATE_RENEWAL_STEP");
        let second = rules.check_renewal(3, 1, expiry, today, sa()).unwrap_err();
        assert_eq!(second.rule(), "MANDATE_RENEWALS_ALLOWED");
        assert_eq!(
            rules.check_term(0).unwrap_err().code(),
            "mandate_empty_period"
        );
    }

    #[test]
    fn the_renewal_window_closes_one_month_before_expiry_that_day_included() {
        let rules = MandateRules::default();
        // Expiry 31 May 2027: cut-off 30 April.
        let expiry = date("2027-05-31");
        let window = rules
            .check_window(expiry, date("2027-04-30"), sa())
            .unwrap();
        assert_eq!(window.due, date("2027-04-30"));
        assert_eq!(window.rule.name, "MANDATE_RENEWAL_CUTOFF");
        let late = rules
            .check_window(expiry, date("2027-05-01"), sa())
            .unwrap_err();
        assert_eq!(
            late,
            MandateBreach::RenewalWindowClosed {
                cutoff: date("2027-04-30"),
                expiry
            }
        );
        // Expiry 31 March: the cut-off clamps to the end of February, leap or not.
        assert_eq!(
            rules.renewal_cutoff(date("2027-03-31"), sa()).unwrap().due,
            date("2027-02-28")
        );
        assert_eq!(
            rules.renewal_cutoff(date("2028-03-31"), sa()).unwrap().due,
            date("2028-02-29")
        );
    }

    #[test]
    fn terms_and_renewals_count_calendar_months_with_clamping() {
        let rules = MandateRules::default();
        assert_eq!(
            rules.term_end(date("2026-08-31"), 6, sa()).unwrap().due,
            date("2027-02-28")
        );
        assert_eq!(
            rules.term_end(date("2027-08-31"), 6, sa()).unwrap().due,
            date("2028-02-29")
        );
        assert_eq!(
            rules.renewed_end(date("2027-02-28"), 3, sa()).unwrap().due,
            date("2027-05-28")
        );
    }

    fn line(id: u128, name: &str, exposure: i64, funded: i64, related: bool) -> CreditorExposure {
        let json = serde_json::json!({
            "creditor": uuid::Uuid::from_u128(id), "name": name,
            "exposure": {"amount": exposure.to_string(), "currency": "SAR"},
            "funded": {"amount": funded.to_string(), "currency": "SAR"},
            "contingent": {"amount": (exposure - funded).to_string(), "currency": "SAR"},
            "balances_as_at": null, "stale": false, "share_of_total": "0",
            "by_class": [{"class": "unsecured", "amount": {"amount": exposure.to_string(), "currency": "SAR"}, "share_of_class": "0"}],
            "related_party": related, "facilities": []
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_largest_exposure_is_nominated_ties_to_the_larger_funded_then_the_lower_id() {
        let lines = [
            line(5, "E", 300, 300, false),
            line(4, "D", 900, 900, true),
            line(3, "C", 500, 400, false),
            line(2, "B", 500, 500, false),
            line(1, "A", 300, 300, false),
            line(6, "F", 0, 0, false),
        ];
        let order: Vec<u128> = nomination_order(&lines, &[])
            .iter()
            .map(|c| c.creditor.into_uuid().as_u128())
            .collect();
        // D is a related party, F holds nothing; B beats C on funded, A beats E on id.
        assert_eq!(order, [2, 3, 1, 5]);
        let after_decline: Vec<u128> = nomination_order(
            &lines,
            &[InstitutionId::from_uuid(uuid::Uuid::from_u128(2))],
        )
        .iter()
        .map(|c| c.creditor.into_uuid().as_u128())
        .collect();
        assert_eq!(after_decline, [3, 1, 5]);
    }

    #[test]
    fn consent_is_decided_by_the_engine_under_either_rule() {
        let lines = [
            line(1, "A", 500, 500, false),
            line(2, "B", 300, 300, false),
            line(3, "C", 200, 200, false),
        ];
        let nominee = InstitutionId::from_uuid(uuid::Uuid::from_u128(1));
        let voters = consent_voters(&lines, nominee);
        assert_eq!(voters.len(), 2);
        assert_eq!(voters[0].weight, Decimal::from(300));
        let b = InstitutionId::from_uuid(uuid::Uuid::from_u128(2));
        let c = InstitutionId::from_uuid(uuid::Uuid::from_u128(3));
        let all = ConsentRule::AllOtherCreditors.rule();
        let weighted = ConsentRule::WeightedMajority.rule();
        let only_b = [(b, Choice::For)].into_iter().collect();
        assert_eq!(decided(&all, &voters, &only_b).unwrap(), None);
        // B holds 300 of 500: 3/5 is not more than 2/3, and C could still tip it.
        assert_eq!(decided(&weighted, &voters, &only_b).unwrap(), None);
        let both = [(b, Choice::For), (c, Choice::For)].into_iter().collect();
        assert_eq!(decided(&all, &voters, &both).unwrap(), Some(true));
        let objection = [(b, Choice::For), (c, Choice::Against)]
            .into_iter()
            .collect();
        assert_eq!(decided(&all, &voters, &objection).unwrap(), Some(false));
    }

    #[test]
    fn the_positions_keep_changing_ground_needs_a_notice() {
        assert_eq!(
            WithdrawalCategory::PositionsKeepChanging.check(false),
            Err(MandateBreach::NoticeMissing)
        );
        assert!(
            WithdrawalCategory::PositionsKeepChanging
                .check(true)
                .is_ok()
        );
        assert!(WithdrawalCategory::ConflictOfInterest.check(false).is_ok());
        assert_eq!(
            DutyItem::parse("meeting_minutes"),
            Some(DutyItem::MeetingMinutes)
        );
        assert_eq!(DutyItem::parse("nothing"), None);
    }
}
