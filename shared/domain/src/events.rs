//! The events each service announces: one enum of topics per service, with the topic's wire name
//! (`<service>.<action>`) and the audit action it records.
//!
//! Each event's payload is a typed record: the changed record itself (a workout, participant,
//! facility, institution, user) or a payload of `registry_api::events`, so that the emitting
//! service and its subscribers read the same type.
//!
//! Rules: a topic's name never changes once published (subscribers route on its prefix and match
//! on its name); every recorded change names exactly one topic; the audit action is the topic's
//! name without the service prefix, so the chain and the event stream read alike. Each topic
//! says who may read the details of its changes ([`RegistryTopic::disclosure`]), by the rule of the
//! endpoints that show the same record.

use std::fmt;

use crate::{Action, Disclosure, InstitutionId};

/// A topic of some service's events.
pub trait Topic: Copy + fmt::Debug + Send + Sync {
    /// The wire name, e.g. `registry.workout_opened`.
    fn name(self) -> &'static str;

    /// The audit action: the name without the service prefix, e.g. `workout_opened`.
    fn action(self) -> &'static str {
        let name = self.name();
        name.split_once('.').map_or(name, |(_, action)| action)
    }
}

/// Defines a topic enum with its wire names.
macro_rules! topics {
    ($(#[$meta:meta])* $type:ident { $($(#[$vmeta:meta])* $variant:ident => $name:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $type {
            $($(#[$vmeta])* $variant),+
        }

        impl $type {
            /// Every topic, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
        }

        impl Topic for $type {
            fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }
    };
}

topics!(
    /// What the registry announces.
    RegistryTopic {
        /// An institution was registered.
        InstitutionCreated => "registry.institution_created",
        /// A user was created.
        UserCreated => "registry.user_created",
        /// A user was disabled.
        UserDisabled => "registry.user_disabled",
        /// A signing key took over signing.
        SigningKeyCreated => "registry.signing_key_created",
        /// A signing key was retired.
        SigningKeyRetired => "registry.signing_key_retired",
        /// A workout was opened.
        WorkoutOpened => "registry.workout_opened",
        /// A participant was added.
        ParticipantAdded => "registry.participant_added",
        /// A participant was removed.
        ParticipantRemoved => "registry.participant_removed",
        /// A participant's notice contacts were replaced.
        ParticipantContactsChanged => "registry.participant_contacts_changed",
        /// A workout's status changed.
        WorkoutStatusChanged => "registry.workout_status_changed",
        /// A coordinator was appointed.
        CoordinatorAppointed => "registry.coordinator_appointed",
        /// A facility was created or its terms changed.
        FacilityChanged => "registry.facility_changed",
        /// A facility was withdrawn.
        FacilityWithdrawn => "registry.facility_withdrawn",
        /// FX rates of a date were set.
        FxRatesSet => "registry.fx_rates_set",
        /// A record-date snapshot was frozen (stored immutably and signed).
        SnapshotFrozen => "registry.snapshot_frozen",
        /// An information request was sent to the borrower.
        InformationRequestSent => "registry.information_request_sent",
        /// The borrower's answer was recorded.
        InformationRequestAnswered => "registry.information_request_answered",
        /// An information request went unanswered past its due date.
        InformationRequestOverdue => "registry.information_request_overdue",
        /// The borrower was flagged as possibly non-cooperative.
        BorrowerFlagged => "registry.borrower_flagged",
        /// The coordinator corrected the date of the borrower's answer.
        InformationRequestAnswerCorrected => "registry.information_request_answer_corrected",
        /// The coordinator cancelled an information request.
        InformationRequestCancelled => "registry.information_request_cancelled",
        /// The coordinator classed the borrower non-cooperative on grounds of judgement.
        BorrowerClassified => "registry.borrower_classified",
        /// The coordinator lifted the borrower's classification.
        BorrowerClassificationLifted => "registry.borrower_classification_lifted",
        /// A claim of a creditor not on the platform was recorded.
        OtherClaimRecorded => "registry.other_claim_recorded",
        /// Such a claim was withdrawn.
        OtherClaimWithdrawn => "registry.other_claim_withdrawn",
        /// The coordinator decided whether a creditor is a related party of the borrower.
        RelatedPartyDecided => "registry.related_party_decided",
        /// The first notice to the borrower is due and the borrower has no notice contacts.
        NoticeContactsMissing => "registry.notice_contacts_missing",
        /// The coordinator recorded new exposure settings (contingent weight, penalties) for the
        /// workout, as agreed by the creditors.
        ExposureSettingsChanged => "registry.exposure_settings_changed",
    }
);

topics!(
    /// What the voting service announces.
    VotingTopic {
        /// A ballot opened: its question, rule, deadline and eligible creditors are fixed.
        BallotOpened => "voting.ballot_opened",
        /// A creditor cast or changed its vote.
        VoteCast => "voting.vote_cast",
        /// A ballot closes soon (a reminder to those who have not voted).
        BallotClosingSoon => "voting.ballot_closing_soon",
        /// A ballot closed, with its result.
        BallotClosed => "voting.ballot_closed",
        /// The coordinator proposed a standstill: its baseline, dates, undertakings, termination
        /// events and accession rule are fixed.
        StandstillProposed => "voting.standstill_proposed",
        /// A creditor of the baseline acceded to a standstill.
        StandstillAcceded => "voting.standstill_acceded",
        /// A creditor of the baseline declined a standstill.
        StandstillDeclined => "voting.standstill_declined",
        /// The accession rule passed: the standstill is effective (the workout is in standstill).
        StandstillEffective => "voting.standstill_effective",
        /// A breach of a standstill was reported (by a creditor or by the borrower).
        StandstillBreachReported => "voting.standstill_breach_reported",
        /// A termination event ended a standstill, with a reason.
        StandstillTerminated => "voting.standstill_terminated",
        /// A standstill reached its end date.
        StandstillExpired => "voting.standstill_expired",
        /// A ballot of the creditors extended a standstill to a later end date.
        StandstillExtended => "voting.standstill_extended",
        /// A live standstill ends in 3 days (a reminder, once per end date).
        StandstillExpiring => "voting.standstill_expiring",
        /// The coordinator created a term sheet (its first version).
        TermSheetCreated => "voting.term_sheet_created",
        /// The coordinator saved a new version of a draft term sheet.
        TermSheetRevised => "voting.term_sheet_revised",
        /// A creditor or the coordinator commented on a version of a term sheet.
        TermSheetCommented => "voting.term_sheet_commented",
        /// A creditor recorded its minimum acceptable terms (5.3.1 O ii).
        MinimumTermsRecorded => "voting.minimum_terms_recorded",
        /// A ballot on one exact version passed: the creditors' tentative agreement is recorded.
        TermSheetCreditorsAgreed => "voting.term_sheet_creditors_agreed",
        /// A creditor recorded its internal credit approval (or decline) of the agreed version.
        TermSheetCreditApproval => "voting.term_sheet_credit_approval",
        /// The coordinator submitted the agreed version to the borrower; the offer's lapse date
        /// is fixed.
        TermSheetSubmitted => "voting.term_sheet_submitted",
        /// The borrower accepted the offer: the terms are agreed.
        TermSheetAccepted => "voting.term_sheet_accepted",
        /// The borrower rejected the offer, with reasons.
        TermSheetRejected => "voting.term_sheet_rejected",
        /// The borrower counter-proposed: a new version, which needs a new creditor ballot.
        TermSheetCounterProposed => "voting.term_sheet_counter_proposed",
        /// An open offer lapses in 3 days unless the borrower answers (a reminder, once per offer).
        TermSheetOfferLapsing => "voting.term_sheet_offer_lapsing",
        /// The offer lapsed, not accepted in time.
        TermSheetLapsed => "voting.term_sheet_lapsed",
        /// The agreed term sheet was initialled.
        TermSheetInitialled => "voting.term_sheet_initialled",
        /// The legal documentation based on the initialled term sheet was recorded.
        TermSheetDocumented => "voting.term_sheet_documented",
        /// The legal documents were signed.
        TermSheetSigned => "voting.term_sheet_signed",
        /// Every condition of effectiveness was met: the restructuring is effective.
        TermSheetEffective => "voting.term_sheet_effective",
        /// The coordinator compared the options for a version of a term sheet (NPV and IRR), the
        /// comparison kept with its assumptions.
        TermSheetCompared => "voting.term_sheet_compared",
    }
);

topics!(
    /// What the mandates service announces: every transition of a coordinator's mandate.
    MandatesTopic {
        /// A workout opened (the registry's event): its mandate is kept from now on, the
        /// appointment's due date fixed; the nomination waits for the mandate's start.
        MandateOpened => "mandates.mandate_opened",
        /// A mandate was started for a workout (its appointment due date is fixed).
        MandateStarted => "mandates.mandate_started",
        /// A creditor was nominated coordinator (by default the largest, or by the coordinator
        /// of record with a rationale); a consent round opens.
        CoordinatorNominated => "mandates.coordinator_nominated",
        /// The nominee declined, with a reason.
        NominationDeclined => "mandates.nomination_declined",
        /// A creditor accepted the nominee or objected.
        ConsentGiven => "mandates.consent_given",
        /// The consent round failed under its rule: no coordinator.
        ConsentFailed => "mandates.consent_failed",
        /// The consent rule passed: the nominee is appointed and its term starts.
        CoordinatorAppointed => "mandates.coordinator_appointed",
        /// The appointment due date passed with no coordinator appointed.
        AppointmentOverdue => "mandates.appointment_overdue",
        /// A renewal of the mandate was proposed.
        RenewalProposed => "mandates.renewal_proposed",
        /// A creditor answered a renewal proposal.
        RenewalAnswered => "mandates.renewal_answered",
        /// A renewal proposal was decided (passed: the term is extended; or failed).
        RenewalDecided => "mandates.renewal_decided",
        /// The renewal window of the running term closes in 14 days and a renewal is still
        /// allowed (a reminder, once per term).
        RenewalWindowClosing => "mandates.renewal_window_closing",
        /// The renewal window closed with no renewal: the workout is set to close at expiry.
        RenewalWindowClosed => "mandates.renewal_window_closed",
        /// The mandate expired; the workout was closed.
        MandateExpired => "mandates.mandate_expired",
        /// The coordinator gave all creditors and the borrower notice (positions keep changing).
        WithdrawalNoticeGiven => "mandates.withdrawal_notice_given",
        /// The coordinator withdrew with a grounded reason; a new nomination opens.
        CoordinatorWithdrew => "mandates.coordinator_withdrew",
        /// An item of the coordinator's duties checklist changed.
        DutyUpdated => "mandates.duty_updated",
        /// The creditors decided who becomes the facility agent after completion (not the
        /// coordinator), recorded with their decision.
        AgentDecided => "mandates.agent_decided",
        /// The workout became effective: the coordinator (or the creditors' choice) is the
        /// facility agent.
        AgentAppointed => "mandates.agent_appointed",
    }
);

topics!(
    /// What the minutes service announces: meetings and their minutes.
    MinutesTopic {
        /// The coordinator scheduled a meeting: its invitation (iCalendar `SEQUENCE` 0) goes out.
        MeetingScheduled => "minutes.meeting_scheduled",
        /// A meeting was rescheduled or updated: an updated invitation (a higher `SEQUENCE`).
        MeetingChanged => "minutes.meeting_changed",
        /// A meeting was cancelled, with a reason (`METHOD:CANCEL`).
        MeetingCancelled => "minutes.meeting_cancelled",
        /// The coordinator recorded who attended: the meeting was held.
        AttendanceRecorded => "minutes.attendance_recorded",
        /// The coordinator drafted the minutes of a meeting (their first version).
        MinutesDrafted => "minutes.drafted",
        /// The coordinator saved a new version of draft minutes.
        MinutesRevised => "minutes.revised",
        /// A reader commented on a version of the minutes.
        MinutesCommented => "minutes.commented",
        /// The coordinator circulated a version of the minutes for approval.
        Circulated => "minutes.circulated",
        /// The minutes were approved and sealed: their content hash is in the audit chain.
        Approved => "minutes.approved",
        /// An invited creditor objected to the circulated minutes, with reasons: back to draft.
        Objection => "minutes.objection",
        /// The coordinator or its owner changed an action item's status.
        ActionUpdated => "minutes.action_updated",
        /// An open action item's due day began (a reminder, once per item).
        ActionItemDue => "minutes.action_item_due",
        /// An action item passed its due date still open.
        ActionOverdue => "minutes.action_overdue",
    }
);

impl MinutesTopic {
    /// Who may read the details. A meeting is read by its invitees and the coordinator only, and a
    /// disclosure cannot name a meeting's invitees, so its events show their details to the
    /// coordinator ([`Action::ConveneMeeting`]) and the hash alone to the others rather than
    /// showing an uninvited participant a meeting its endpoints hide. The minutes and their
    /// action items likewise.
    pub const fn disclosure(self) -> Disclosure {
        match self {
            Self::MeetingScheduled
            | Self::MeetingChanged
            | Self::MeetingCancelled
            | Self::AttendanceRecorded => Disclosure::Permitted(Action::ConveneMeeting),
            // The minutes are read by the meeting's invitees, whom a disclosure cannot name either:
            // the same rule as the meeting's.
            Self::MinutesDrafted
            | Self::MinutesRevised
            | Self::MinutesCommented
            | Self::Circulated
            | Self::Approved
            | Self::Objection
            | Self::ActionUpdated
            | Self::ActionItemDue
            | Self::ActionOverdue => Disclosure::Permitted(Action::ConveneMeeting),
        }
    }
}

impl MandatesTopic {
    /// Who may read the details: every participant (a mandate, its consents and duties are open
    /// to the whole workout; no position is shown).
    pub const fn disclosure(self) -> Disclosure {
        Disclosure::Participants
    }
}

impl VotingTopic {
    /// Who may read the details of a change announced under this topic. A vote (`creditor`'s) is
    /// read by that creditor and by those who may read individual votes while a ballot is open.
    pub fn disclosure(self, creditor: Option<InstitutionId>) -> Disclosure {
        match (self, creditor) {
            (Self::VoteCast, Some(creditor)) => {
                Disclosure::OwnOrPermitted(creditor, Action::ReadIndividualVotes)
            }
            (Self::VoteCast, None) => Disclosure::Permitted(Action::ReadIndividualVotes),
            // A breach about a creditor shows its exposure against the baseline.
            (Self::StandstillBreachReported, Some(creditor)) => Disclosure::PositionOf(creditor),
            // Drafts are read by those who may read term sheets (not the borrower).
            (
                Self::TermSheetCreated
                | Self::TermSheetRevised
                | Self::TermSheetCommented
                | Self::TermSheetCreditorsAgreed
                | Self::TermSheetCompared,
                _,
            ) => Disclosure::Permitted(Action::ReadTermSheets),
            // A creditor's minimum terms and credit decision: its own, and the coordinator's.
            (Self::MinimumTermsRecorded | Self::TermSheetCreditApproval, Some(creditor)) => {
                Disclosure::OwnOrPermitted(creditor, Action::ReadCreditPositions)
            }
            (Self::MinimumTermsRecorded | Self::TermSheetCreditApproval, None) => {
                Disclosure::Permitted(Action::ReadCreditPositions)
            }
            // The offer and what becomes of it: those who may read it, the borrower included.
            (
                Self::TermSheetSubmitted
                | Self::TermSheetOfferLapsing
                | Self::TermSheetAccepted
                | Self::TermSheetRejected
                | Self::TermSheetCounterProposed
                | Self::TermSheetLapsed
                | Self::TermSheetInitialled
                | Self::TermSheetDocumented
                | Self::TermSheetSigned
                | Self::TermSheetEffective,
                _,
            ) => Disclosure::Permitted(Action::ReadOffer),
            (
                Self::BallotOpened
                | Self::BallotClosingSoon
                | Self::BallotClosed
                | Self::StandstillProposed
                | Self::StandstillAcceded
                | Self::StandstillDeclined
                | Self::StandstillEffective
                | Self::StandstillBreachReported
                | Self::StandstillTerminated
                | Self::StandstillExpired
                | Self::StandstillExtended
                | Self::StandstillExpiring,
                _,
            ) => Disclosure::Participants,
        }
    }
}

impl RegistryTopic {
    /// Who may read the details of a change announced under this topic: the same rule as the
    /// endpoints that show that record. `position_of` names the creditor whose position a facility
    /// change shows; without it such a change is shown only to those who see every position.
    pub fn disclosure(self, position_of: Option<InstitutionId>) -> Disclosure {
        use RegistryTopic as T;
        match self {
            T::FacilityChanged | T::FacilityWithdrawn => {
                position_of.map_or(Disclosure::AllPositions, Disclosure::PositionOf)
            }
            T::InformationRequestSent
            | T::InformationRequestAnswered
            | T::InformationRequestOverdue
            | T::InformationRequestAnswerCorrected
            | T::InformationRequestCancelled
            | T::BorrowerFlagged
            | T::BorrowerClassified
            | T::BorrowerClassificationLifted => {
                Disclosure::Permitted(Action::ReadInformationRequests)
            }
            T::OtherClaimRecorded | T::OtherClaimWithdrawn => {
                Disclosure::Permitted(Action::ReadOtherClaims)
            }
            T::RelatedPartyDecided => Disclosure::Permitted(Action::ReadRelatedParties),
            T::InstitutionCreated
            | T::UserCreated
            | T::UserDisabled
            | T::SigningKeyCreated
            | T::SigningKeyRetired
            | T::WorkoutOpened
            | T::ParticipantAdded
            | T::ParticipantRemoved
            | T::ParticipantContactsChanged
            | T::WorkoutStatusChanged
            | T::CoordinatorAppointed
            | T::FxRatesSet
            | T::SnapshotFrozen
            | T::NoticeContactsMissing
            | T::ExposureSettingsChanged => Disclosure::Participants,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_are_unique_prefixed_and_their_action_is_the_rest() {
        let mut names: Vec<_> = RegistryTopic::ALL.iter().map(|t| t.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RegistryTopic::ALL.len());
        for topic in RegistryTopic::ALL {
            assert!(topic.name().starts_with("registry."));
            assert_eq!(format!("registry.{}", topic.action()), topic.name());
        }
        assert_eq!(RegistryTopic::WorkoutOpened.action(), "workout_opened");
        for topic in MinutesTopic::ALL {
            assert!(topic.name().starts_with("minutes."));
            assert_eq!(format!("minutes.{}", topic.action()), topic.name());
        }
    }
}
