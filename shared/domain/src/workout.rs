//! A workout's lifecycle, who takes part in it, and who may do what: the statuses and their
//! transition table, the participant roles, the institution kinds and which kind may take which
//! role, and the permission table (action × role) that every service consults.
//!
//! Rules: every enum here has one wire name per variant and parsing an unknown name is an error —
//! a value read from the database that no variant names is a fault to report, never a silent
//! default. A closed or failed workout is final; closing or failing needs a reason. The coordinator
//! and the borrower cannot be removed as participants (the coordinator changes only through the
//! mandates service). Positions (facilities, snapshot lines, drift) are seen whole by the
//! coordinator and the borrower, by a creditor only for its own line, and by nobody else:
//! [`PositionView`] is that one rule.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::InstitutionId;

/// A wire name that no variant of `what` carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a known {what}")]
pub struct UnknownName {
    /// The kind of value, e.g. `workout status`.
    pub what: &'static str,
    /// The text that was read.
    pub value: String,
}

/// Defines `as_str`, `ALL`, `FromStr` and `Display` over the wire names of a fieldless enum.
macro_rules! wire_names {
    ($type:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire (and database) name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl FromStr for $type {
            type Err = UnknownName;

            fn from_str(text: &str) -> Result<Self, UnknownName> {
                match text {
                    $($name => Ok(Self::$variant),)+
                    _ => Err(UnknownName { what: $what, value: text.to_owned() }),
                }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// The statuses a workout goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkoutStatus {
    /// Opened, no coordinator appointed yet.
    Open,
    /// A coordinator is appointed.
    Coordinated,
    /// A standstill is in force.
    Standstill,
    /// A term sheet is being negotiated.
    Negotiation,
    /// The restructuring is agreed.
    Agreed,
    /// The restructuring is effective.
    Effective,
    /// Closed (with a reason).
    Closed,
    /// Failed (with a reason).
    Failed,
}

wire_names!(WorkoutStatus, "workout status", {
    Open => "open",
    Coordinated => "coordinated",
    Standstill => "standstill",
    Negotiation => "negotiation",
    Agreed => "agreed",
    Effective => "effective",
    Closed => "closed",
    Failed => "failed",
});

impl WorkoutStatus {
    /// No status follows a final one.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Failed)
    }

    /// Moving into this status needs a recorded reason.
    pub const fn needs_reason(self) -> bool {
        self.is_final()
    }

    /// The statuses that may follow this one. The case moves forward; a standstill may start
    /// during negotiation and end back in coordination; an agreement the borrower or a condition
    /// undoes returns to negotiation; any live case may be closed or fail.
    pub const fn next(self) -> &'static [Self] {
        use WorkoutStatus::{
            Agreed, Closed, Coordinated, Effective, Failed, Negotiation, Open, Standstill,
        };
        match self {
            Open => &[Coordinated, Standstill, Negotiation, Closed, Failed],
            Coordinated => &[Standstill, Negotiation, Agreed, Closed, Failed],
            Standstill => &[Coordinated, Negotiation, Agreed, Closed, Failed],
            Negotiation => &[Standstill, Agreed, Closed, Failed],
            Agreed => &[Negotiation, Effective, Closed, Failed],
            Effective => &[Closed, Failed],
            Closed | Failed => &[],
        }
    }

    /// Whether `next` may follow this status.
    pub fn may_become(self, next: Self) -> bool {
        self.next().contains(&next)
    }
}

/// A participant's role in a workout. An institution may hold several (a bank is a creditor and
/// the coordinator).
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
pub enum ParticipantRole {
    /// Owed money: a bank or another creditor.
    Creditor,
    /// Runs the case for the creditors.
    Coordinator,
    /// The borrower.
    Borrower,
    /// A guarantor of the borrower's debts.
    Guarantor,
    /// An advisor (legal, financial) to the creditors.
    Advisor,
    /// Follows the case without acting.
    Observer,
}

wire_names!(ParticipantRole, "participant role", {
    Creditor => "creditor",
    Coordinator => "coordinator",
    Borrower => "borrower",
    Guarantor => "guarantor",
    Advisor => "advisor",
    Observer => "observer",
});

impl ParticipantRole {
    /// The coordinator (appointed and replaced by the mandates service) and the borrower (the
    /// subject of the case) cannot be removed from a workout.
    pub const fn is_removable(self) -> bool {
        !matches!(self, Self::Coordinator | Self::Borrower)
    }

    /// Whether a coordinator adds this role directly; the coordinator role comes only from an
    /// appointment.
    pub const fn is_added_directly(self) -> bool {
        !matches!(self, Self::Coordinator)
    }
}

/// What an institution is to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// The platform's operator (its users are platform admins).
    PlatformOperator,
    /// A bank.
    Bank,
    /// A creditor that is not a bank (tax authority, trade creditor, shareholder, employees).
    OtherCreditor,
    /// A borrower.
    Borrower,
    /// A guarantor.
    Guarantor,
    /// An advisor (legal, financial).
    Advisor,
}

wire_names!(InstitutionKind, "institution kind", {
    PlatformOperator => "platform_operator",
    Bank => "bank",
    OtherCreditor => "other_creditor",
    Borrower => "borrower",
    Guarantor => "guarantor",
    Advisor => "advisor",
});

impl InstitutionKind {
    /// Whether an institution of this kind may take `role` in a workout: creditors are banks and
    /// other creditors; a guarantor may be a guarantor, a bank (a bank guarantee), the borrower (a
    /// group company) or another creditor; the platform's operator takes no part in any case. The
    /// coordinator is a bank.
    pub const fn may_take(self, role: ParticipantRole) -> bool {
        use InstitutionKind as K;
        use ParticipantRole as R;
        match role {
            R::Creditor => matches!(self, K::Bank | K::OtherCreditor),
            R::Coordinator => matches!(self, K::Bank),
            R::Borrower => matches!(self, K::Borrower),
            R::Guarantor => matches!(
                self,
                K::Guarantor | K::Bank | K::Borrower | K::OtherCreditor
            ),
            R::Advisor => matches!(self, K::Advisor),
            R::Observer => !matches!(self, K::PlatformOperator),
        }
    }

    /// Only banks open workouts (and become their acting coordinator).
    pub const fn may_open_workouts(self) -> bool {
        matches!(self, Self::Bank)
    }
}

/// Something a participant does in a workout. Reading the workout itself needs only to take part
/// in it; everything else is in this table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Add a participant.
    AddParticipant,
    /// Remove a participant.
    RemoveParticipant,
    /// Replace another participant's notice contacts (its own, every participant may).
    ChangeOthersContacts,
    /// Enter or edit its own facilities.
    EnterFacilities,
    /// Set FX rates.
    SetFxRates,
    /// Read FX rates.
    ReadFxRates,
    /// Read the hold-the-line drift of every creditor.
    ReadDrift,
    /// Send the borrower an information request.
    SendInformationRequest,
    /// Record (or read) the borrower's answers to information requests.
    AnswerInformationRequest,
    /// Read information requests, the cooperation assessment and the borrower's classification.
    ReadInformationRequests,
    /// Correct the date of the borrower's answer to an information request.
    CorrectAnswerDate,
    /// Cancel an information request.
    CancelInformationRequest,
    /// Class the borrower non-cooperative on grounds of judgement, or lift that classification.
    ClassifyBorrower,
    /// Export the workout's audit chain.
    ExportAudit,
    /// Record or withdraw claims of creditors that do not take part on the platform.
    RecordOtherClaims,
    /// Read those claims.
    ReadOtherClaims,
    /// Decide whether a creditor is a related party of the borrower.
    DecideRelatedParty,
    /// Read those decisions.
    ReadRelatedParties,
    /// Open a ballot, or close one before its deadline.
    RunBallots,
    /// Cast (or change) its own vote on a ballot it is eligible for.
    CastVote,
    /// Read ballots, the turnout and, once closed, their results.
    ReadBallots,
    /// Read how each creditor voted on an open ballot (after the close, everyone does unless the
    /// ballot hides votes).
    ReadIndividualVotes,
    /// Freeze the record-date snapshot of a date (immutable and signed).
    FreezeSnapshot,
    /// Record the exposure settings the creditors agreed (contingent weight, penalties).
    SetExposureSettings,
    /// Read the coordinator's mandate: nominee, consents, due dates, renewals, duties.
    ReadMandate,
    /// Start the mandate of a workout, or nominate another creditor than the default nominee
    /// (the coordinator of record).
    ManageNomination,
    /// Answer a nomination (accept, object, or decline as the nominee) or a renewal proposal for
    /// its own institution.
    AnswerMandate,
    /// Propose a renewal of the coordinator's mandate.
    ProposeMandateRenewal,
    /// Act as the appointed coordinator on its mandate: give notice, withdraw, keep the duties
    /// checklist.
    ActOnMandate,
    /// Propose a standstill, or terminate one with a reason.
    ManageStandstill,
    /// Accede to (or decline) a standstill for its own institution.
    AccedeStandstill,
    /// Read standstills, their accessions and breaches.
    ReadStandstills,
    /// Report a breach of a standstill (a borrower's breach: the coordinator only).
    ReportStandstillBreach,
    /// Create a term sheet or save a new version of a draft.
    DraftTermSheet,
    /// Read draft term sheets, their versions, diffs, completeness and comments (the borrower
    /// does not see drafts: they are negotiated among the creditors first, 5.3.1 O iv).
    ReadTermSheets,
    /// Comment on a version of a term sheet.
    CommentTermSheet,
    /// Take a term sheet through its lifecycle: record the creditors' agreement (a ballot on one
    /// exact version), submit it to the borrower, record initialling, legal documentation,
    /// signature and effectiveness.
    AdvanceTermSheet,
    /// Record its own institution's minimum acceptable terms, or its internal credit approval of
    /// a tentatively agreed term sheet (5.3.1 O ii, 5.3.2 B vi).
    RecordCreditPosition,
    /// Read every creditor's minimum terms and credit approvals (each creditor reads its own).
    ReadCreditPositions,
    /// Read a term sheet once submitted to the borrower: the offer, its lapse date, the answer.
    ReadOffer,
    /// Accept, reject with reasons, or counter-propose a submitted offer.
    RespondToOffer,
    /// Draft the minutes of a meeting, save new versions, circulate them for approval.
    DraftMinutes,
    /// Read the workout's action items and the details of the minutes' events (the minutes
    /// themselves are read and commented by those who read their meeting).
    ReadMinutes,
    /// Approve circulated minutes or object to them with reasons, for its own institution (an
    /// invited creditor).
    AnswerMinutes,
    /// Compare the options for a version of a term sheet (NPV and IRR of restructuring,
    /// enforcement, insolvency and a loan sale, 5.2.6); those who read term sheets read them.
    CompareOptions,
    /// Issue a formal notice to the borrower and guarantors (in the coordinator's name), read the
    /// workout's notice deadlines and whole delivery log, acknowledge the borrower's written
    /// communications.
    IssueNotices,
    /// Record a written communication from the borrower (the borrower itself, or the coordinator
    /// for one received on paper).
    RecordCommunication,
    /// Read the e-mails and notices sent to its own institution (the coordinator reads all).
    ReadDeliveries,
    /// Convene a creditors' meeting: schedule it, reschedule or update it, cancel it.
    ConveneMeeting,
    /// Read meetings, their invitations, attendance and quorum. The minutes service narrows it
    /// to the meetings the caller's institution is invited to (the coordinator reads all); any
    /// other meeting answers 404 as a missing one.
    ReadMeetings,
    /// Record who attended a meeting, for which institution, and the proxies.
    RecordAttendance,
}

wire_names!(Action, "action", {
    AddParticipant => "add_participant",
    RemoveParticipant => "remove_participant",
    ChangeOthersContacts => "change_others_contacts",
    EnterFacilities => "enter_facilities",
    SetFxRates => "set_fx_rates",
    ReadFxRates => "read_fx_rates",
    ReadDrift => "read_drift",
    SendInformationRequest => "send_information_request",
    AnswerInformationRequest => "answer_information_request",
    ReadInformationRequests => "read_information_requests",
    CorrectAnswerDate => "correct_answer_date",
    CancelInformationRequest => "cancel_information_request",
    ClassifyBorrower => "classify_borrower",
    ExportAudit => "export_audit",
    RecordOtherClaims => "record_other_claims",
    ReadOtherClaims => "read_other_claims",
    DecideRelatedParty => "decide_related_party",
    ReadRelatedParties => "read_related_parties",
    RunBallots => "run_ballots",
    CastVote => "cast_vote",
    ReadBallots => "read_ballots",
    ReadIndividualVotes => "read_individual_votes",
    FreezeSnapshot => "freeze_snapshot",
    SetExposureSettings => "set_exposure_settings",
    ReadMandate => "read_mandate",
    ManageNomination => "manage_nomination",
    AnswerMandate => "answer_mandate",
    ProposeMandateRenewal => "propose_mandate_renewal",
    ActOnMandate => "act_on_mandate",
    ManageStandstill => "manage_standstill",
    AccedeStandstill => "accede_standstill",
    ReadStandstills => "read_standstills",
    ReportStandstillBreach => "report_standstill_breach",
    DraftTermSheet => "draft_term_sheet",
    ReadTermSheets => "read_term_sheets",
    CommentTermSheet => "comment_term_sheet",
    AdvanceTermSheet => "advance_term_sheet",
    RecordCreditPosition => "record_credit_position",
    ReadCreditPositions => "read_credit_positions",
    ReadOffer => "read_offer",
    RespondToOffer => "respond_to_offer",
    DraftMinutes => "draft_minutes",
    ReadMinutes => "read_minutes",
    AnswerMinutes => "answer_minutes",
    CompareOptions => "compare_options",
    ConveneMeeting => "convene_meeting",
    ReadMeetings => "read_meetings",
    RecordAttendance => "record_attendance",
    IssueNotices => "issue_notices",
    RecordCommunication => "record_communication",
    ReadDeliveries => "read_deliveries",
});

impl Action {
    /// The roles that may take this action (the permission table).
    pub const fn roles(self) -> &'static [ParticipantRole] {
        use ParticipantRole::{Advisor, Borrower, Coordinator, Creditor, Guarantor, Observer};
        const EVERYONE: &[ParticipantRole] = &[
            Creditor,
            Coordinator,
            Borrower,
            Guarantor,
            Advisor,
            Observer,
        ];
        match self {
            Self::AddParticipant
            | Self::RemoveParticipant
            | Self::ChangeOthersContacts
            | Self::SetFxRates
            | Self::ReadDrift
            | Self::SendInformationRequest
            | Self::CorrectAnswerDate
            | Self::CancelInformationRequest
            | Self::ClassifyBorrower
            | Self::RecordOtherClaims
            | Self::DecideRelatedParty
            | Self::FreezeSnapshot
            | Self::SetExposureSettings
            | Self::RunBallots
            | Self::ReadIndividualVotes
            | Self::ManageNomination
            | Self::ActOnMandate
            | Self::ManageStandstill
            | Self::DraftTermSheet
            | Self::AdvanceTermSheet
            | Self::ReadCreditPositions
            | Self::DraftMinutes
            | Self::CompareOptions
            | Self::ConveneMeeting
            | Self::RecordAttendance
            | Self::IssueNotices => &[Coordinator],
            Self::EnterFacilities
            | Self::CastVote
            | Self::AnswerMandate
            | Self::AccedeStandstill
            | Self::RecordCreditPosition
            | Self::AnswerMinutes => &[Creditor],
            Self::RespondToOffer => &[Borrower],
            Self::ReadOffer => &[Coordinator, Creditor, Borrower, Guarantor],
            Self::ProposeMandateRenewal
            | Self::ReadTermSheets
            | Self::CommentTermSheet
            | Self::ReadMinutes => &[Creditor, Coordinator],
            Self::AnswerInformationRequest
            | Self::ReadInformationRequests
            | Self::RecordCommunication => &[Coordinator, Borrower],
            Self::ReadOtherClaims | Self::ReadRelatedParties => &[Coordinator, Borrower, Creditor],
            Self::ReadFxRates
            | Self::ExportAudit
            | Self::ReadBallots
            | Self::ReadMandate
            | Self::ReadStandstills
            | Self::ReportStandstillBreach
            | Self::ReadMeetings
            | Self::ReadDeliveries => EVERYONE,
        }
    }

    /// Whether any of `roles` may take this action.
    pub fn allowed_for(self, roles: &[ParticipantRole]) -> bool {
        roles.iter().any(|role| self.roles().contains(role))
    }

    /// What the action is, for a refusal's detail ("only the coordinator may …").
    pub const fn describe(self) -> &'static str {
        match self {
            Self::AddParticipant => "add participants",
            Self::RemoveParticipant => "remove participants",
            Self::ChangeOthersContacts => "change another participant's notice contacts",
            Self::EnterFacilities => "enter facilities",
            Self::SetFxRates => "set FX rates",
            Self::ReadFxRates => "read FX rates",
            Self::ReadDrift => "read the creditors' drift",
            Self::SendInformationRequest => "send information requests",
            Self::AnswerInformationRequest => "record answers to information requests",
            Self::ReadInformationRequests => {
                "read information requests and the borrower's classification"
            }
            Self::CorrectAnswerDate => "correct the date of an answer",
            Self::CancelInformationRequest => "cancel information requests",
            Self::ClassifyBorrower => "classify the borrower or lift its classification",
            Self::ExportAudit => "export the audit chain",
            Self::RecordOtherClaims => "record claims of creditors not on the platform",
            Self::ReadOtherClaims => "read claims of creditors not on the platform",
            Self::DecideRelatedParty => "decide whether a creditor is a related party",
            Self::ReadRelatedParties => "read the related-party decisions",
            Self::RunBallots => "open or close ballots",
            Self::CastVote => "vote",
            Self::ReadBallots => "read ballots",
            Self::ReadIndividualVotes => "read how each creditor voted on an open ballot",
            Self::FreezeSnapshot => "freeze a record-date snapshot",
            Self::SetExposureSettings => "record the exposure settings",
            Self::ReadMandate => "read the coordinator's mandate",
            Self::ManageNomination => "start a mandate or nominate a coordinator",
            Self::AnswerMandate => "answer a nomination or a renewal proposal",
            Self::ProposeMandateRenewal => "propose a renewal of the mandate",
            Self::ActOnMandate => "act as the coordinator on its mandate",
            Self::ManageStandstill => "propose or terminate a standstill",
            Self::AccedeStandstill => "accede to or decline a standstill",
            Self::ReadStandstills => "read standstills",
            Self::ReportStandstillBreach => "report a breach of a standstill",
            Self::DraftTermSheet => "create or edit a term sheet",
            Self::ReadTermSheets => "read draft term sheets",
            Self::CommentTermSheet => "comment on a term sheet",
            Self::AdvanceTermSheet => "take a term sheet through its lifecycle",
            Self::RecordCreditPosition => {
                "record its minimum terms or its credit approval of a term sheet"
            }
            Self::ReadCreditPositions => "read every creditor's minimum terms and credit approvals",
            Self::ReadOffer => "read a term sheet submitted to the borrower",
            Self::RespondToOffer => "answer a term sheet submitted to the borrower",
            Self::DraftMinutes => "draft and circulate the minutes of a meeting",
            Self::ReadMinutes => "read the action items of the minutes",
            Self::AnswerMinutes => "approve or object to circulated minutes",
            Self::CompareOptions => "compare the options for a term sheet",
            Self::ConveneMeeting => "schedule, change or cancel a meeting",
            Self::ReadMeetings => "read meetings",
            Self::RecordAttendance => "record a meeting's attendance",
            Self::IssueNotices => "issue formal notices and read the delivery log",
            Self::RecordCommunication => "record a written communication from the borrower",
            Self::ReadDeliveries => "read the e-mails sent to its institution",
        }
    }

    /// The refusal's detail: who may do it.
    pub fn refusal(self) -> String {
        let who: Vec<&str> = self.roles().iter().map(|r| r.as_str()).collect();
        format!(
            "only a participant with the role {} may {} in this workout",
            who.join(" or "),
            self.describe()
        )
    }
}

/// How much of the creditors' positions (facilities, snapshot lines, drift) a participant sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionView {
    /// Every creditor's position.
    All,
    /// Only this creditor's own position (and the totals).
    Own(InstitutionId),
    /// No position at all.
    None,
}

impl PositionView {
    /// The one visibility rule: the coordinator and the borrower see all, a creditor its own,
    /// anyone else (guarantor, advisor, observer) none.
    pub fn of(institution: InstitutionId, roles: &[ParticipantRole]) -> Self {
        if roles.contains(&ParticipantRole::Coordinator)
            || roles.contains(&ParticipantRole::Borrower)
        {
            Self::All
        } else if roles.contains(&ParticipantRole::Creditor) {
            Self::Own(institution)
        } else {
            Self::None
        }
    }

    /// Whether this view shows `creditor`'s position.
    pub fn shows(self, creditor: InstitutionId) -> bool {
        match self {
            Self::All => true,
            Self::Own(own) => own == creditor,
            Self::None => false,
        }
    }
}

/// Who may read the details of a recorded change (the `before` and `after` of its audit entry):
/// the permission table and the positions' visibility rule, applied to the audit chain, so that an
/// export shows a participant exactly what the endpoints show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// Every participant.
    Participants,
    /// The participants the permission table allows this action (e.g. reading information
    /// requests).
    Permitted(Action),
    /// The details show this creditor's position: whoever [`PositionView`] lets see it.
    PositionOf(InstitutionId),
    /// The details are this institution's own (e.g. its vote): it reads them, and so do the
    /// participants the permission table allows the action.
    OwnOrPermitted(InstitutionId, Action),
    /// The details show several creditors' positions: whoever sees every position.
    AllPositions,
}

impl Disclosure {
    /// Whether `institution`, holding `roles` in the workout, may read the details.
    pub fn shows_to(self, institution: InstitutionId, roles: &[ParticipantRole]) -> bool {
        if roles.is_empty() {
            return false;
        }
        match self {
            Self::Participants => true,
            Self::Permitted(action) => action.allowed_for(roles),
            Self::PositionOf(creditor) => PositionView::of(institution, roles).shows(creditor),
            Self::OwnOrPermitted(owner, action) => {
                owner == institution || action.allowed_for(roles)
            }
            Self::AllPositions => PositionView::of(institution, roles) == PositionView::All,
        }
    }
}

impl fmt::Display for Disclosure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Participants => f.write_str("participants"),
            Self::Permitted(action) => write!(f, "permitted:{action}"),
            Self::PositionOf(creditor) => write!(f, "position_of:{creditor}"),
            Self::OwnOrPermitted(owner, action) => write!(f, "own_or_permitted:{owner}:{action}"),
            Self::AllPositions => f.write_str("all_positions"),
        }
    }
}

impl FromStr for Disclosure {
    type Err = UnknownName;

    fn from_str(text: &str) -> Result<Self, UnknownName> {
        let unknown = || UnknownName {
            what: "disclosure",
            value: text.to_owned(),
        };
        match text.split_once(':') {
            None if text == "participants" => Ok(Self::Participants),
            None if text == "all_positions" => Ok(Self::AllPositions),
            Some(("permitted", action)) => action.parse().map(Self::Permitted),
            Some(("position_of", creditor)) => creditor
                .parse()
                .map(Self::PositionOf)
                .map_err(|_| unknown()),
            Some(("own_or_permitted", rest)) => {
                let (owner, action) = rest.split_once(':').ok_or_else(unknown)?;
                Ok(Self::OwnOrPermitted(
                    owner.parse().map_err(|_| unknown())?,
                    action.parse()?,
                ))
            }
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_name_parses_back_and_unknown_names_are_errors() {
        for status in WorkoutStatus::ALL {
            assert_eq!(status.as_str().parse::<WorkoutStatus>(), Ok(*status));
        }
        for role in ParticipantRole::ALL {
            assert_eq!(role.as_str().parse::<ParticipantRole>(), Ok(*role));
        }
        for kind in InstitutionKind::ALL {
            assert_eq!(kind.as_str().parse::<InstitutionKind>(), Ok(*kind));
        }
        assert!("archived".parse::<WorkoutStatus>().is_err());
        assert!("Creditor".parse::<ParticipantRole>().is_err());
        assert!("".parse::<InstitutionKind>().is_err());
    }

    #[test]
    fn serde_names_are_the_wire_names() {
        for status in WorkoutStatus::ALL {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        for role in ParticipantRole::ALL {
            assert_eq!(
                serde_json::to_value(role).unwrap(),
                serde_json::json!(role.as_str())
            );
        }
        for kind in InstitutionKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
    }

    #[test]
    fn final_statuses_have_no_successor_and_need_a_reason() {
        for status in WorkoutStatus::ALL {
            assert_eq!(status.is_final(), status.next().is_empty(), "{status}");
            assert_eq!(status.needs_reason(), status.is_final(), "{status}");
            assert!(
                !status.may_become(*status),
                "{status} does not follow itself"
            );
            if !status.is_final() {
                assert!(status.may_become(WorkoutStatus::Closed));
                assert!(status.may_become(WorkoutStatus::Failed));
            }
        }
        assert!(WorkoutStatus::Open.may_become(WorkoutStatus::Coordinated));
        assert!(!WorkoutStatus::Effective.may_become(WorkoutStatus::Open));
        assert!(!WorkoutStatus::Closed.may_become(WorkoutStatus::Open));
    }

    #[test]
    fn only_banks_and_other_creditors_are_creditors_and_only_banks_coordinate() {
        use InstitutionKind as K;
        use ParticipantRole as R;
        assert!(K::Bank.may_take(R::Creditor));
        assert!(K::OtherCreditor.may_take(R::Creditor));
        assert!(!K::Borrower.may_take(R::Creditor));
        assert!(!K::Advisor.may_take(R::Creditor));
        assert!(K::Bank.may_take(R::Coordinator));
        assert!(!K::OtherCreditor.may_take(R::Coordinator));
        assert!(K::Borrower.may_take(R::Guarantor));
        assert!(K::Bank.may_take(R::Guarantor), "a bank guarantee");
        assert!(!K::Advisor.may_take(R::Guarantor));
        for role in R::ALL {
            assert!(!K::PlatformOperator.may_take(*role), "{role}");
        }
        assert!(K::Bank.may_open_workouts());
        assert!(!K::OtherCreditor.may_open_workouts());
    }

    #[test]
    fn the_coordinator_and_the_borrower_cannot_be_removed() {
        let fixed: Vec<_> = ParticipantRole::ALL
            .iter()
            .filter(|r| !r.is_removable())
            .collect();
        assert_eq!(
            fixed,
            [&ParticipantRole::Coordinator, &ParticipantRole::Borrower]
        );
    }

    #[test]
    fn the_permission_table_gives_coordinator_actions_only_to_the_coordinator() {
        use ParticipantRole as R;
        assert!(Action::SetFxRates.allowed_for(&[R::Creditor, R::Coordinator]));
        assert!(!Action::SetFxRates.allowed_for(&[R::Creditor]));
        assert!(!Action::SetFxRates.allowed_for(&[R::Borrower]));
        assert!(Action::EnterFacilities.allowed_for(&[R::Creditor]));
        assert!(!Action::EnterFacilities.allowed_for(&[R::Coordinator]));
        assert!(Action::AnswerInformationRequest.allowed_for(&[R::Borrower]));
        assert!(!Action::AnswerInformationRequest.allowed_for(&[R::Creditor]));
        assert!(!Action::ExportAudit.allowed_for(&[]));
        // The mandate: the coordinator nominates and acts; only creditors answer; creditors and
        // the coordinator propose renewals; the borrower, a guarantor and an advisor only read.
        assert!(Action::ManageNomination.allowed_for(&[R::Coordinator]));
        assert!(!Action::ManageNomination.allowed_for(&[R::Creditor]));
        assert!(Action::ActOnMandate.allowed_for(&[R::Creditor, R::Coordinator]));
        assert!(Action::AnswerMandate.allowed_for(&[R::Creditor]));
        assert!(Action::ProposeMandateRenewal.allowed_for(&[R::Creditor]));
        assert!(Action::ProposeMandateRenewal.allowed_for(&[R::Coordinator]));
        for role in [R::Borrower, R::Guarantor, R::Advisor] {
            assert!(Action::ReadMandate.allowed_for(&[role]));
            for action in [
                Action::ManageNomination,
                Action::ActOnMandate,
                Action::AnswerMandate,
                Action::ProposeMandateRenewal,
            ] {
                assert!(!action.allowed_for(&[role]), "{action:?} for {role:?}");
            }
        }
        // Standstills: the coordinator proposes and terminates, only creditors accede, every
        // participant reads and reports breaches.
        assert!(Action::ManageStandstill.allowed_for(&[R::Coordinator]));
        assert!(Action::AccedeStandstill.allowed_for(&[R::Creditor, R::Coordinator]));
        for role in [
            R::Creditor,
            R::Borrower,
            R::Guarantor,
            R::Advisor,
            R::Observer,
        ] {
            assert!(!Action::ManageStandstill.allowed_for(&[role]), "{role:?}");
            assert!(Action::ReadStandstills.allowed_for(&[role]), "{role:?}");
            assert!(
                Action::ReportStandstillBreach.allowed_for(&[role]),
                "{role:?}"
            );
        }
        for role in [
            R::Coordinator,
            R::Borrower,
            R::Guarantor,
            R::Advisor,
            R::Observer,
        ] {
            assert!(!Action::AccedeStandstill.allowed_for(&[role]), "{role:?}");
        }
        // Term sheets: only the coordinator drafts; creditors and the coordinator read and
        // comment; the borrower and the others do not see drafts.
        assert!(Action::DraftTermSheet.allowed_for(&[R::Coordinator]));
        for role in [R::Creditor, R::Coordinator] {
            assert!(Action::ReadTermSheets.allowed_for(&[role]), "{role:?}");
            assert!(Action::CommentTermSheet.allowed_for(&[role]), "{role:?}");
        }
        for role in [
            R::Creditor,
            R::Borrower,
            R::Guarantor,
            R::Advisor,
            R::Observer,
        ] {
            assert!(!Action::DraftTermSheet.allowed_for(&[role]), "{role:?}");
            assert!(!Action::CompareOptions.allowed_for(&[role]), "{role:?}");
        }
        assert!(Action::CompareOptions.allowed_for(&[R::Coordinator]));
        for role in [R::Borrower, R::Guarantor, R::Advisor, R::Observer] {
            assert!(!Action::ReadTermSheets.allowed_for(&[role]), "{role:?}");
            assert!(!Action::CommentTermSheet.allowed_for(&[role]), "{role:?}");
        }
        // Meetings: only the coordinator convenes and records attendance; every participant may
        // read meetings (the service narrows it to the invitees).
        for action in [Action::ConveneMeeting, Action::RecordAttendance] {
            assert!(action.allowed_for(&[R::Coordinator]), "{action:?}");
            for role in [
                R::Creditor,
                R::Borrower,
                R::Guarantor,
                R::Advisor,
                R::Observer,
            ] {
                assert!(!action.allowed_for(&[role]), "{action:?} for {role:?}");
                assert!(Action::ReadMeetings.allowed_for(&[role]), "{role:?}");
            }
        }
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>(), Ok(*action));
        }
        assert_eq!(
            Action::SetFxRates.refusal(),
            "only a participant with the role coordinator may set FX rates in this workout"
        );
    }

    #[test]
    fn positions_are_seen_whole_by_coordinator_and_borrower_and_own_by_a_creditor() {
        use ParticipantRole as R;
        let me = InstitutionId::new();
        let other = InstitutionId::new();
        assert_eq!(
            PositionView::of(me, &[R::Creditor, R::Coordinator]),
            PositionView::All
        );
        assert_eq!(PositionView::of(me, &[R::Borrower]), PositionView::All);
        assert_eq!(PositionView::of(me, &[R::Creditor]), PositionView::Own(me));
        assert!(PositionView::of(me, &[R::Creditor]).shows(me));
        assert!(!PositionView::of(me, &[R::Creditor]).shows(other));
        for role in [R::Guarantor, R::Advisor, R::Observer] {
            assert_eq!(PositionView::of(me, &[role]), PositionView::None);
            assert!(!PositionView::of(me, &[role]).shows(me));
        }
    }

    #[test]
    fn a_disclosure_shows_details_as_the_endpoints_show_them_and_reads_back_from_its_name() {
        use ParticipantRole as R;
        let (me, other) = (InstitutionId::new(), InstitutionId::new());
        let mine = Disclosure::PositionOf(me);
        assert!(mine.shows_to(me, &[R::Creditor]));
        assert!(!mine.shows_to(other, &[R::Creditor]));
        assert!(mine.shows_to(other, &[R::Coordinator]));
        assert!(mine.shows_to(other, &[R::Borrower]));
        assert!(!mine.shows_to(other, &[R::Advisor]));
        assert!(!Disclosure::AllPositions.shows_to(me, &[R::Creditor]));
        assert!(Disclosure::AllPositions.shows_to(me, &[R::Coordinator]));
        let requests = Disclosure::Permitted(Action::ReadInformationRequests);
        assert!(requests.shows_to(me, &[R::Borrower]));
        assert!(!requests.shows_to(me, &[R::Creditor]));
        assert!(Disclosure::Participants.shows_to(me, &[R::Observer]));
        assert!(!Disclosure::Participants.shows_to(me, &[]));
        for disclosure in [
            Disclosure::Participants,
            requests,
            mine,
            Disclosure::AllPositions,
        ] {
            assert_eq!(disclosure.to_string().parse::<Disclosure>(), Ok(disclosure));
        }
        assert!("position_of:nonsense".parse::<Disclosure>().is_err());
        assert!("everyone".parse::<Disclosure>().is_err());
    }
}
