//! Who is told what: one table from every topic of every service to the participant roles whose
//! notice contacts get an e-mail about it.
//!
//! Rules: every topic of `RegistryTopic::ALL`, `VotingTopic::ALL`, `MandatesTopic::ALL` and
//! `MinutesTopic::ALL` has exactly one row (a unit test checks it, so a new topic fails the build's
//! tests until someone decides who hears of it); a topic told to nobody is still recorded as
//! received and then dropped on purpose (no deliveries). The e-mails say that something happened
//! in a workout and invite the reader to sign in; they never carry an event's payload, so the
//! table decides who is disturbed, while what each reader may see stays the services' own rule.
//! Platform-level topics (institutions, users, keys, FX rates) carry no workout and tell nobody.
//! Meetings tell nobody here: a meeting is for its invitees, whom a role cannot name; a meeting's
//! scheduling, change or cancellation reaches the invited institutions' contacts with its `.ics`
//! through [`crate::letters`], which reads the invitees from the event.

use workout_domain::ParticipantRole::{
    self, Advisor, Borrower, Coordinator, Creditor, Guarantor, Observer,
};

/// Nobody: the event is recorded and dropped.
const NOBODY: &[ParticipantRole] = &[];
/// The coordinator alone.
const COORDINATOR: &[ParticipantRole] = &[Coordinator];
/// The creditors alone (before a coordinator is appointed).
const CREDITORS: &[ParticipantRole] = &[Creditor];
/// The creditors and their coordinator.
const LENDERS: &[ParticipantRole] = &[Creditor, Coordinator];
/// The borrower and the coordinator (one channel to the borrower, 5.3.1 E vii).
const BORROWER: &[ParticipantRole] = &[Borrower, Coordinator];
/// The creditors, the coordinator and the borrower.
const LENDERS_AND_BORROWER: &[ParticipantRole] = &[Creditor, Coordinator, Borrower];
/// Whoever is bound by terms offered to the borrower: borrower, guarantors, coordinator, creditors.
const TERMS: &[ParticipantRole] = &[Borrower, Guarantor, Coordinator, Creditor];
/// Every participant.
const EVERYONE: &[ParticipantRole] = &[
    Creditor,
    Coordinator,
    Borrower,
    Guarantor,
    Advisor,
    Observer,
];

/// Every topic's name and the roles told of it.
pub const TOLD: &[(&str, &[ParticipantRole])] = &[
    // The registry.
    ("registry.institution_created", NOBODY),
    ("registry.user_created", NOBODY),
    ("registry.user_disabled", NOBODY),
    ("registry.signing_key_created", NOBODY),
    ("registry.signing_key_retired", NOBODY),
    ("registry.workout_opened", LENDERS),
    ("registry.participant_added", COORDINATOR),
    ("registry.participant_removed", COORDINATOR),
    ("registry.participant_contacts_changed", COORDINATOR),
    ("registry.workout_status_changed", EVERYONE),
    ("registry.coordinator_appointed", EVERYONE),
    ("registry.facility_changed", COORDINATOR),
    ("registry.facility_withdrawn", COORDINATOR),
    ("registry.fx_rates_set", NOBODY),
    ("registry.snapshot_frozen", LENDERS),
    ("registry.information_request_sent", BORROWER),
    ("registry.information_request_answered", COORDINATOR),
    ("registry.information_request_overdue", BORROWER),
    ("registry.borrower_flagged", LENDERS),
    ("registry.information_request_answer_corrected", COORDINATOR),
    ("registry.information_request_cancelled", BORROWER),
    ("registry.borrower_classified", LENDERS),
    ("registry.borrower_classification_lifted", LENDERS),
    ("registry.other_claim_recorded", COORDINATOR),
    ("registry.other_claim_withdrawn", COORDINATOR),
    ("registry.related_party_decided", COORDINATOR),
    ("registry.notice_contacts_missing", COORDINATOR),
    ("registry.exposure_settings_changed", LENDERS),
    // Voting. A single vote tells nobody: individual votes are not everyone's to know.
    ("voting.ballot_opened", LENDERS),
    ("voting.vote_cast", NOBODY),
    ("voting.ballot_closing_soon", LENDERS),
    ("voting.ballot_closed", LENDERS),
    ("voting.standstill_proposed", LENDERS_AND_BORROWER),
    ("voting.standstill_acceded", COORDINATOR),
    ("voting.standstill_declined", COORDINATOR),
    ("voting.standstill_effective", EVERYONE),
    ("voting.standstill_breach_reported", LENDERS),
    ("voting.standstill_terminated", EVERYONE),
    ("voting.standstill_expired", EVERYONE),
    ("voting.standstill_extended", EVERYONE),
    ("voting.standstill_expiring", EVERYONE),
    ("voting.term_sheet_created", LENDERS),
    ("voting.term_sheet_revised", LENDERS),
    ("voting.term_sheet_commented", LENDERS),
    ("voting.minimum_terms_recorded", COORDINATOR),
    ("voting.term_sheet_creditors_agreed", LENDERS),
    ("voting.term_sheet_credit_approval", COORDINATOR),
    ("voting.term_sheet_submitted", TERMS),
    ("voting.term_sheet_accepted", TERMS),
    ("voting.term_sheet_rejected", TERMS),
    ("voting.term_sheet_counter_proposed", TERMS),
    ("voting.term_sheet_offer_lapsing", TERMS),
    ("voting.term_sheet_lapsed", TERMS),
    ("voting.term_sheet_initialled", TERMS),
    ("voting.term_sheet_documented", TERMS),
    ("voting.term_sheet_signed", TERMS),
    ("voting.term_sheet_effective", TERMS),
    ("voting.term_sheet_compared", COORDINATOR),
    // Mandates. Duties are the coordinator's own checklist.
    ("mandates.mandate_opened", CREDITORS),
    ("mandates.mandate_started", LENDERS),
    ("mandates.coordinator_nominated", LENDERS),
    ("mandates.nomination_declined", LENDERS),
    ("mandates.consent_given", COORDINATOR),
    ("mandates.consent_failed", LENDERS),
    ("mandates.coordinator_appointed", EVERYONE),
    ("mandates.appointment_overdue", LENDERS),
    ("mandates.renewal_proposed", LENDERS),
    ("mandates.renewal_answered", COORDINATOR),
    ("mandates.renewal_decided", LENDERS),
    ("mandates.renewal_window_closing", LENDERS),
    ("mandates.renewal_window_closed", LENDERS),
    ("mandates.mandate_expired", EVERYONE),
    ("mandates.withdrawal_notice_given", LENDERS_AND_BORROWER),
    ("mandates.coordinator_withdrew", LENDERS_AND_BORROWER),
    ("mandates.duty_updated", NOBODY),
    ("mandates.agent_decided", LENDERS),
    ("mandates.agent_appointed", EVERYONE),
    // Minutes. Meetings: see the module rules; drafts are the coordinator's own work.
    ("minutes.meeting_scheduled", NOBODY),
    ("minutes.meeting_changed", NOBODY),
    ("minutes.meeting_cancelled", NOBODY),
    ("minutes.attendance_recorded", NOBODY),
    ("minutes.drafted", NOBODY),
    ("minutes.revised", NOBODY),
    ("minutes.commented", COORDINATOR),
    ("minutes.circulated", LENDERS),
    ("minutes.approved", LENDERS),
    ("minutes.objection", COORDINATOR),
    ("minutes.action_updated", COORDINATOR),
    ("minutes.action_item_due", COORDINATOR),
    ("minutes.action_overdue", COORDINATOR),
];

/// The roles told of `topic`; nobody for a topic the table does not know (the intake only accepts
/// known topics, so this is a newer sender's topic this replica has not learnt yet).
pub fn told(topic: &str) -> &'static [ParticipantRole] {
    TOLD.iter()
        .find(|(name, _)| *name == topic)
        .map_or(NOBODY, |(_, roles)| roles)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use workout_domain::events::{MandatesTopic, MinutesTopic, RegistryTopic, Topic, VotingTopic};

    use super::*;

    fn every_topic() -> Vec<&'static str> {
        RegistryTopic::ALL
            .iter()
            .map(|t| t.name())
            .chain(VotingTopic::ALL.iter().map(|t| t.name()))
            .chain(MandatesTopic::ALL.iter().map(|t| t.name()))
            .chain(MinutesTopic::ALL.iter().map(|t| t.name()))
            .collect()
    }

    #[test]
    fn every_topic_of_every_service_has_exactly_one_row() {
        let rows: Vec<&str> = TOLD.iter().map(|(name, _)| *name).collect();
        for topic in every_topic() {
            let found = rows.iter().filter(|name| **name == topic).count();
            assert_eq!(
                found, 1,
                "{topic}: decide who is told of it in TOLD ({found} rows)"
            );
        }
    }

    #[test]
    fn no_row_names_a_topic_no_service_announces() {
        let known: BTreeSet<&str> = every_topic().into_iter().collect();
        for (name, _) in TOLD {
            assert!(known.contains(name), "{name} is no service's topic");
        }
    }

    #[test]
    fn a_ballot_opening_tells_the_creditors_and_the_coordinator_and_a_new_institution_nobody() {
        assert_eq!(told("voting.ballot_opened"), &[Creditor, Coordinator]);
        assert_eq!(
            told("voting.term_sheet_submitted"),
            &[Borrower, Guarantor, Coordinator, Creditor]
        );
        assert!(told("registry.institution_created").is_empty());
        assert!(told("somebody.unknown").is_empty());
    }
}
