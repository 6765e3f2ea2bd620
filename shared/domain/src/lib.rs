//! Pure domain types and rules of the workout platform: ids, money, identifiers of institutions
//! and people, business calendars and the guideline's deadlines, creditors' facilities and
//! record-date exposure snapshots, the borrower's cooperation, a workout's statuses, roles and
//! permission table, the voting-rules engine (rules, exact tallies, certificates), and the
//! comparison of workout options (NPV and IRR of restructuring, enforcement, insolvency and a
//! loan sale), and term sheets (elements, completeness, content hash, diff).
//!
//! Rules of this crate: no I/O of any kind (no database, HTTP, files or async runtime); every
//! value that crosses a boundary is parsed into a type here ("parse, don't validate"), and every
//! rule taken from the regulator's guideline is data with a name, so that the services can show
//! which rule produced a result.

pub mod calendar;
pub mod claims;
pub mod cooperation;
pub mod date;
pub mod deadline;
pub mod email;
pub mod events;
pub mod exposure;
pub mod facility;
pub mod hold_the_line;
pub mod ids;
pub mod lei;
pub mod mandates;
pub mod money;
pub mod percentage;
pub mod registry_api;
pub mod settings;
pub mod term_sheet;
pub mod text;
pub mod valuation;
pub mod voting;
pub mod workout;

pub use calendar::{
    BusinessCalendar, CalendarError, CalendarRegistry, add_calendar_days, add_months,
};
pub use cooperation::{
    CooperationAssessment, CooperationError, InformationRequest, RequestStatus, assess,
};
pub use date::{BoundedDate, DateError};
pub use deadline::{Deadline, DeadlineRule, Direction, Period, Roll};
pub use email::{Email, EmailError};
pub use events::{MandatesTopic, MinutesTopic, RegistryTopic, Topic, VotingTopic};
pub use exposure::{
    ClassAmount, CreditorClassAmount, CreditorExposure, CreditorPosition, CreditorSnapshot,
    ExposureError, FacilityExposure, FxTable, RateUsed, Snapshot, convert,
};
pub use facility::{
    Collateral, CreditorClass, CreditorClassError, FacilityInput, FacilityTerms, FacilityType,
    FacilityTypeError, FieldIssue, GuaranteeCover, RowIssue, parse_facility_csv,
};
pub use ids::{
    AuditEntryId, EventId, FacilityId, IdParseError, InstitutionId, ServiceClientId, SessionId,
    UserId, WorkoutId,
};
pub use lei::{Lei, LeiError};
pub use money::{Currency, CurrencyError, Money, MoneyError};
pub use percentage::{Percentage, PercentageError};
pub use settings::ExposureSettings;
pub use term_sheet::{
    Completeness, Element, FieldChange, MeasureLimits, TermSheet, Warning, completeness,
    content_hash, diff,
};
pub use text::{Text, TextError, TextKind, TextRule};
pub use valuation::{ComparisonInput, OptionComparison, ValuationError, compare};
pub use voting::{
    BallotFacts, Certificate, CertificateError, Choice, Comparison, ConditionKind, Denominator,
    Discrepancy, Excluded, ExclusionReason, Exclusions, Fraction, FractionError, GroupPosition,
    GroupResult, Grouping, Measure, Need, Outcome, Pivotal, Position, Preset, Quorum, QuorumCheck,
    Rule, RuleError, Share, Subtotal, TallyError, Test, TestKind, TestResult, Threshold,
    UnknownPreset, Voter, decided, position, tally,
};
pub use workout::{
    Action, Disclosure, InstitutionKind, ParticipantRole, PositionView, UnknownName, WorkoutStatus,
};

/// Re-exports used by [`define_id!`] so that crates invoking the macro need not depend on
/// `serde` and `uuid` themselves. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use utoipa;
    pub use uuid::Uuid;

    /// A string schema of a known format, for types whose serde form is a plain string.
    pub fn string_schema(
        format: utoipa::openapi::schema::KnownFormat,
    ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
            .into()
    }
}
