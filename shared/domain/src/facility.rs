//! Facilities: the creditor positions of a workout, as each bank enters them one facility at a
//! time ([`FacilityInput`]) or imports them from a CSV file ([`parse_facility_csv`]).
//!
//! Rules:
//! - Input from outside becomes a [`FacilityTerms`] only through [`FacilityInput::validate`] (or
//!   the CSV import, which uses the same checks). Validation reports *every* problem at once, one
//!   [`FieldIssue`] per problem, so that a bank can correct its entry in one round trip. The
//!   fields of a `FacilityTerms` are private: once validated, it cannot be made invalid.
//! - Amounts are plain decimals written as text, e.g. `"1234.50"`: digits with an optional
//!   decimal point, no sign, no thousands separators, no exponent (a leading `-` is recognized
//!   only to say that the amount is negative). Every amount is ≥ 0, below 10^18 (far above any
//!   real facility, and low enough that sums can never overflow) and has no more decimal places
//!   than its currency's ISO 4217 minor unit ([`Currency::minor_units`]: `1.234` is a KWD amount
//!   but not a SAR one, `1000.5` is not a JPY amount) — the facility's currency for its amounts,
//!   their own for a collateral's valuation and a guarantee's amount. Zeros beyond the minor unit
//!   are dropped (`1.500` SAR is kept as `1.50`, `1000.00` JPY as `1000`), other digits there are
//!   an error naming the field, never rounded away. (No currency has more than
//!   [`MAX_DECIMAL_PLACES`] places.)
//! - `currency` is an active ISO 4217 currency: not `XXX`, `XTS`, a precious metal (`XAU`, ...),
//!   a fund code or a unit of account (see [`Currency::parse`]).
//! - `reference` (the bank's own facility reference) and a collateral's `kind` are one line of
//!   1–60 characters ([`text::REFERENCE`]); a collateral's `description` is prose of at most 500
//!   ([`text::DESCRIPTION`]): the platform's one rule of free text (trimmed, no control or
//!   bidirectional override characters; a description may hold line feeds and tabs).
//! - Dates (`position_date`, a collateral's `valued_on`) are written `YYYY-MM-DD` and lie from
//!   1900-01-01 to 9999-12-31 ([`BoundedDate`]).
//! - `class` is one of the classes allowed in the workout (see [`CreditorClass`] and
//!   [`DEFAULT_CLASSES`]). The `secured` and `related_party` flags are not derived from the class,
//!   because each workout names its own classes. Collateral makes a facility secured: terms that
//!   keep a facility's collateral (a CSV row) or give it collateral (the security CSV) are
//!   secured; a secured facility without collateral is kept but flagged
//!   ([`FacilityTerms::warnings`]). `related_party` on a facility is the creditor's declaration;
//!   whether a creditor is a related party is the coordinator's decision, kept by the registry.
//! - Past due: what has fallen due and is unpaid is given split, `past_due_principal`,
//!   `past_due_interest` (interest or profit) and `past_due_fees`, each 0 when not given and each
//!   at most its own component (`outstanding_principal`, `accrued_interest`,
//!   `fees_and_penalties`). `past_due` is their sum. For older clients `past_due` may still be
//!   given: alone only as 0 (a non-zero amount must be split, so that each part can be checked),
//!   with the split only as their exact sum. `days_past_due` is 0 exactly when `past_due` is 0.
//!   `outstanding_principal` is all principal owed, **including** overdue principal;
//!   `accrued_interest` and `fees_and_penalties` likewise include their overdue parts.
//! - `penalties` (late-payment charges) are part of `fees_and_penalties` (at most it; default 0),
//!   so that a workout can leave them out of voting weight.
//! - `position_date` is the date the balances are as at (`YYYY-MM-DD`): when recorded, by default
//!   the workout's local date, and never after it ([`FacilityInput::validate_on`]).
//! - `committed` (the limit) is not compared with the outstanding amount: an overdraft may exceed
//!   its limit.
//! - Collateral and guarantees are recorded, not deducted: the exposure is gross. A collateral's
//!   valuation may be in another currency than the facility; a guarantee covers a positive
//!   amount. A facility lists at most [`MAX_COVER_ITEMS`] collateral items and as many
//!   guarantees.
//!
//! # Exposure
//!
//! The exposure of a facility, which weighs in votes and in the choice of the coordinator, is
//!
//! ```text
//! exposure = outstanding_principal + accrued_interest + fees_and_penalties
//! ```
//!
//! exactly, in the facility's currency, without rounding. `past_due` is **not** added: it is the
//! part of those amounts that has fallen due and is unpaid, so it is already inside them, and
//! adding it would count it twice (hence the checks of each past-due part against its component). `committed` is not
//! added either: an undrawn limit is not owed. Example: principal 1,000,000.00, accrued interest
//! 12,500.00, past due 40,000.00 (all principal), fees 750.00 → exposure 1,000,000.00 + 12,500.00 + 750.00 =
//! 1,013,250.00.
//!
//! # CSV import
//!
//! UTF-8 text per RFC 4180: comma-separated fields; a field may be enclosed in double quotes, and
//! then may contain commas, line breaks and doubled quotes (`""` for `"`); records end with CRLF,
//! LF or a lone CR; a final line break is optional; empty (or blank) lines are skipped; a leading
//! byte-order mark is ignored. The first non-empty line is the header, and names each of the
//! columns in [`CSV_COLUMNS`] at most once, in any order, and no other column; every column is
//! required except those of [`CSV_OPTIONAL_COLUMNS`] (`past_due`, `past_due_principal`,
//! `past_due_interest`, `past_due_fees`, `penalties`, `position_date`), which a file may leave
//! out or leave empty with the same defaults as the JSON input (a file of the old format, with
//! `past_due` 0 and no split, still imports):
//!
//! ```text
//! reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due_principal,past_due_interest,past_due_fees,days_past_due,fees_and_penalties,penalties,secured,class,related_party,position_date
//! TL-0001,term_loan,SAR,1000000.00,950000.00,12500.00,40000.00,0,0,45,750.00,250.00,true,secured,false,2026-11-20
//! ```
//!
//! Values are trimmed. `secured` and `related_party` are `true`/`false`, `yes`/`no` or `1`/`0`
//! (any case); `days_past_due` is a whole number. Collateral and guarantees are not part of the
//! CSV; they come in a second CSV, one row per item ([`parse_security_csv`]). A file has at most [`MAX_CSV_ROWS`] data rows and at least one, and no two rows may share
//! a `reference`; such a file, its values unpadded, has at most [`MAX_CSV_BYTES`] bytes (about
//! 3.07 MB), which an endpoint taking schedules must accept. Problems are reported as [`RowIssue`]s with the 1-based line number on which
//! the record starts (the header is on line 1 when the file does not start with blank lines).
//! The import succeeds only if every row is valid; otherwise every bad row is reported. When the
//! header itself is wrong, only the header's problems (and syntax errors) are reported, because
//! the rows cannot be read without it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::date::BoundedDate;
use crate::ids::InstitutionId;
use crate::money::{Currency, Money};
use crate::text::{self, Text, TextRule};

/// The most decimal places an amount may have.
pub const MAX_DECIMAL_PLACES: u32 = 4;

/// The most collateral items, and the most guarantees, one facility may list.
pub const MAX_COVER_ITEMS: usize = 100;

/// The most data rows (header excluded) one CSV file may have.
pub const MAX_CSV_ROWS: usize = 5_000;

/// The longest data row of a valid CSV file, in bytes, when each value is as long as a valid value
/// can be without padding: a reference of 60 characters of 4 bytes each, quoted (242); the longest
/// facility type, `guarantee_or_letter_of_credit` (29); a currency (3); five amounts of at most 28
/// digits and a decimal point (9 × 29 = 261: below 10^18, 4 decimal places, and trailing zeros up
/// to the 28 digits a decimal holds); `days_past_due` up to 4294967295 (10); `secured` and
/// `related_party` as `false` (2 × 5); a class of 40 characters (40); a position date (10);
/// 16 commas and a CRLF (18). 613 bytes in all.
pub const MAX_CSV_ROW_BYTES: usize = (MAX_REFERENCE_CHARS * 4 + 2)
    + "guarantee_or_letter_of_credit".len()
    + 3
    + 9 * 29
    + 10
    + 2 * "false".len()
    + MAX_CLASS_CHARS
    + "YYYY-MM-DD".len()
    + (CSV_COLUMNS.len() - 1)
    + 2;

/// The largest CSV file of [`MAX_CSV_ROWS`] rows of [`MAX_CSV_ROW_BYTES`] each, with a byte-order
/// mark and the header (the column names in any order, with CRLF): about 3.07 MB. An endpoint
/// that takes a schedule must accept a body of at least this size.
pub const MAX_CSV_BYTES: usize = 3 + csv_header_bytes() + MAX_CSV_ROWS * MAX_CSV_ROW_BYTES;

const fn csv_header_bytes() -> usize {
    let mut bytes = CSV_COLUMNS.len() - 1 + 2;
    let mut i = 0;
    while i < CSV_COLUMNS.len() {
        bytes += CSV_COLUMNS[i].len();
        i += 1;
    }
    bytes
}

/// The columns of the CSV import, each at most once, in any order; all are required except
/// [`CSV_OPTIONAL_COLUMNS`].
pub const CSV_COLUMNS: [&str; 17] = [
    "reference",
    "facility_type",
    "currency",
    "committed",
    "outstanding_principal",
    "accrued_interest",
    "past_due",
    "days_past_due",
    "fees_and_penalties",
    "secured",
    "class",
    "related_party",
    "past_due_principal",
    "past_due_interest",
    "past_due_fees",
    "penalties",
    "position_date",
];

/// The columns of [`CSV_COLUMNS`] a file may leave out (as it may leave their values empty): the
/// past-due split and `penalties` are then 0, `past_due` their sum, `position_date` the
/// workout's local date of the import.
pub const CSV_OPTIONAL_COLUMNS: [&str; 6] = [
    "past_due",
    "past_due_principal",
    "past_due_interest",
    "past_due_fees",
    "penalties",
    "position_date",
];

/// The classes a workout has unless it configures its own.
pub const DEFAULT_CLASSES: &[CreditorClass] = &[
    CreditorClass::SECURED,
    CreditorClass::UNSECURED,
    CreditorClass::RELATED_PARTY,
    CreditorClass::PREFERENTIAL,
];

/// Amounts must stay below this: 10^18 (0x0DE0_B6B3_A764_0000 split into 32-bit words).
const AMOUNT_LIMIT: Decimal = Decimal::from_parts(0xA764_0000, 0x0DE0_B6B3, 0, false, 0);

/// The longest reference: that of the one rule for references ([`text::REFERENCE`]).
const MAX_REFERENCE_CHARS: usize = text::REFERENCE.max_chars();
const MAX_CLASS_CHARS: usize = 40;

/// The kind of credit a facility is.
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
pub enum FacilityType {
    /// An amortizing or bullet loan.
    TermLoan,
    /// A revolving credit facility.
    Revolving,
    /// An overdraft on a current account.
    Overdraft,
    /// A guarantee or letter of credit issued for the borrower.
    GuaranteeOrLetterOfCredit,
    /// An amount owed to a supplier.
    TradePayable,
    /// An amount owed to a tax authority.
    Tax,
    /// Anything else.
    Other,
}

impl FacilityType {
    /// Every facility type, in declaration order.
    pub const ALL: [Self; 7] = [
        Self::TermLoan,
        Self::Revolving,
        Self::Overdraft,
        Self::GuaranteeOrLetterOfCredit,
        Self::TradePayable,
        Self::Tax,
        Self::Other,
    ];

    /// The snake_case name, as on the wire and in the CSV, e.g. `term_loan`.
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::TermLoan => "term_loan",
            Self::Revolving => "revolving",
            Self::Overdraft => "overdraft",
            Self::GuaranteeOrLetterOfCredit => "guarantee_or_letter_of_credit",
            Self::TradePayable => "trade_payable",
            Self::Tax => "tax",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for FacilityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not the snake_case name of a [`FacilityType`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown facility type {0:?}; the types are {list}", list = FacilityType::ALL.map(|t| t.as_str()).join(", "))]
pub struct FacilityTypeError(pub String);

/// Parses the snake_case name exactly (`term_loan`, not `Term Loan`).
impl FromStr for FacilityType {
    type Err = FacilityTypeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|facility_type| facility_type.as_str() == s)
            .ok_or_else(|| FacilityTypeError(s.chars().take(40).collect()))
    }
}

/// The name of a class of creditors that votes separately, e.g. `secured`.
///
/// 1 to 40 characters, each a lowercase ASCII letter, a digit or `_`. Input is not lowercased or
/// trimmed: `Secured` is refused rather than guessed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditorClass(Cow<'static, str>);

/// Why a string is not a creditor class name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CreditorClassError {
    /// Empty or longer than 40 characters.
    #[error("a creditor class has 1 to {MAX_CLASS_CHARS} characters, got {0}")]
    Length(usize),
    /// A character other than a lowercase letter, a digit or `_`.
    #[error(
        "a creditor class has only lowercase letters, digits and '_' (e.g. related_party), got {0:?}"
    )]
    BadCharacter(String),
}

impl CreditorClass {
    /// Creditors whose claims are secured by collateral.
    pub const SECURED: Self = Self(Cow::Borrowed("secured"));
    /// Creditors without security.
    pub const UNSECURED: Self = Self(Cow::Borrowed("unsecured"));
    /// Creditors related to the borrower (shareholders, group companies).
    pub const RELATED_PARTY: Self = Self(Cow::Borrowed("related_party"));
    /// Priority claims such as wages and taxes (guideline 5.1.5 B: "priority claims against the
    /// borrower's assets").
    pub const PREFERENTIAL: Self = Self(Cow::Borrowed("preferential"));

    /// Parses a class name.
    ///
    /// # Errors
    /// [`CreditorClassError::Length`] or [`CreditorClassError::BadCharacter`].
    pub fn parse(name: &str) -> Result<Self, CreditorClassError> {
        let count = name.chars().count();
        if count == 0 || count > MAX_CLASS_CHARS {
            return Err(CreditorClassError::Length(count));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(CreditorClassError::BadCharacter(
                name.chars().take(MAX_CLASS_CHARS + 10).collect(),
            ));
        }
        Ok(Self(Cow::Owned(name.to_owned())))
    }

    /// The class name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl utoipa::PartialSchema for CreditorClass {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A creditor class of the workout, e.g. secured"))
            .into()
    }
}

impl utoipa::ToSchema for CreditorClass {}

impl fmt::Display for CreditorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CreditorClass {
    type Err = CreditorClassError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CreditorClass {
    type Error = CreditorClassError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CreditorClass> for String {
    fn from(class: CreditorClass) -> Self {
        class.0.into_owned()
    }
}

/// An asset pledged for a facility.
///
/// A plain record: a `Collateral` on its own is unchecked; inside a [`FacilityTerms`] it has
/// passed [`FacilityInput::validate`] (texts trimmed and within their lengths, valuation ≥ 0
/// within its currency's minor unit, ranking ≥ 1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Collateral {
    /// What the asset is, e.g. `real_estate_mortgage` or `share_pledge` (1–60 characters).
    pub kind: String,
    /// A free description (at most 500 characters, may be empty).
    #[serde(default)]
    pub description: String,
    /// The valuation, in any currency (not necessarily the facility's).
    pub valuation: Money,
    /// The date of the valuation (1900-01-01 to 9999-12-31).
    pub valued_on: BoundedDate,
    /// The rank of this creditor's charge on the asset: 1 is first ranking.
    pub ranking: u16,
}

/// A guarantee given by a third party for a facility.
///
/// A plain record: inside a [`FacilityTerms`] its amount is checked to be > 0 within its
/// currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuaranteeCover {
    /// The institution that gives the guarantee.
    pub guarantor: InstitutionId,
    /// The amount guaranteed, in any currency.
    pub amount: Money,
}

/// One problem with one field of a [`FacilityInput`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldIssue {
    /// The field, as named on the wire, e.g. `outstanding_principal` or `collateral[0].ranking`.
    pub field: String,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl FieldIssue {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// One problem with one line of an imported CSV file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowIssue {
    /// The 1-based line on which the record starts.
    pub line: usize,
    /// The column concerned, if the problem is with one column.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RowIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}, {field}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// One facility as a client sends it, before any check.
///
/// Every scalar arrives as text (amounts as decimal strings, never JSON numbers) or as an
/// optional JSON value, and every field may be missing, so that [`validate`](Self::validate)
/// can report all problems at once instead of failing on the first one. Unknown fields are
/// refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FacilityInput {
    /// The bank's own reference for the facility.
    pub reference: String,
    /// A [`FacilityType`] name, e.g. `term_loan`.
    pub facility_type: String,
    /// An ISO 4217 code, e.g. `SAR`.
    pub currency: String,
    /// The committed limit.
    pub committed: String,
    /// The principal outstanding.
    pub outstanding_principal: String,
    /// Interest accrued and not yet paid.
    pub accrued_interest: String,
    /// The part of principal, interest and fees that is due and unpaid: optional, the sum of
    /// `past_due_principal`, `past_due_interest` and `past_due_fees`. Given alone it must be 0
    /// (a non-zero amount must be split); given with the split it must equal their sum.
    pub past_due: String,
    /// Principal due and unpaid, part of `outstanding_principal` (default 0).
    pub past_due_principal: String,
    /// Interest (profit) due and unpaid, part of `accrued_interest` (default 0).
    pub past_due_interest: String,
    /// Fees and penalties due and unpaid, part of `fees_and_penalties` (default 0).
    pub past_due_fees: String,
    /// Days since the oldest unpaid amount fell due.
    pub days_past_due: Option<i64>,
    /// Fees and penalties charged and not yet paid.
    pub fees_and_penalties: String,
    /// Late-payment charges (penalties), part of `fees_and_penalties` (default 0).
    pub penalties: String,
    /// Whether the facility is secured.
    pub secured: Option<bool>,
    /// A [`CreditorClass`] allowed in the workout.
    pub class: String,
    /// Whether the creditor is related to the borrower for this facility.
    pub related_party: Option<bool>,
    /// The date the balances are as at, `YYYY-MM-DD` (default: the workout's local date when
    /// recorded; never after it).
    pub position_date: String,
    /// Assets pledged for the facility.
    pub collateral: Vec<Collateral>,
    /// Guarantees given by third parties.
    pub guarantees: Vec<GuaranteeCover>,
}

/// A validated facility: what one creditor holds against the borrower.
///
/// Made by [`FacilityInput::validate`] or [`parse_facility_csv`]; see the module documentation
/// for the rules it satisfies and for [`exposure`](Self::exposure).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub struct FacilityTerms {
    reference: String,
    facility_type: FacilityType,
    currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    committed: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    outstanding_principal: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    accrued_interest: Decimal,
    /// `past_due_principal + past_due_interest + past_due_fees`.
    #[serde(with = "rust_decimal::serde::str")]
    past_due: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    past_due_principal: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    past_due_interest: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    past_due_fees: Decimal,
    days_past_due: u32,
    #[serde(with = "rust_decimal::serde::str")]
    fees_and_penalties: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    penalties: Decimal,
    secured: bool,
    class: CreditorClass,
    related_party: bool,
    /// The date the balances are as at.
    position_date: NaiveDate,
    collateral: Vec<Collateral>,
    guarantees: Vec<GuaranteeCover>,
}

impl FacilityTerms {
    /// `outstanding_principal + accrued_interest + fees_and_penalties`, exactly, in the
    /// facility's currency. `past_due` is not added (it is part of those amounts) and neither is
    /// `committed`; see the module documentation.
    #[must_use]
    pub fn exposure(&self) -> Money {
        // Each amount is below 10^18 with at most 4 decimal places, so the sum fits exactly.
        Money::new(
            self.outstanding_principal + self.accrued_interest + self.fees_and_penalties,
            self.currency,
        )
    }

    /// The bank's own reference for the facility (trimmed, 1–60 characters).
    #[must_use]
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The kind of facility.
    #[must_use]
    pub const fn facility_type(&self) -> FacilityType {
        self.facility_type
    }

    /// The currency of every amount of the facility.
    #[must_use]
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// The committed limit.
    #[must_use]
    pub const fn committed(&self) -> Money {
        Money::new(self.committed, self.currency)
    }

    /// The principal outstanding.
    #[must_use]
    pub const fn outstanding_principal(&self) -> Money {
        Money::new(self.outstanding_principal, self.currency)
    }

    /// Interest accrued and not yet paid.
    #[must_use]
    pub const fn accrued_interest(&self) -> Money {
        Money::new(self.accrued_interest, self.currency)
    }

    /// The part of the exposure that is due and unpaid: `past_due_principal + past_due_interest
    /// + past_due_fees`.
    #[must_use]
    pub const fn past_due(&self) -> Money {
        Money::new(self.past_due, self.currency)
    }

    /// Principal due and unpaid (part of [`outstanding_principal`](Self::outstanding_principal)).
    #[must_use]
    pub const fn past_due_principal(&self) -> Money {
        Money::new(self.past_due_principal, self.currency)
    }

    /// Interest (profit) due and unpaid (part of [`accrued_interest`](Self::accrued_interest)).
    #[must_use]
    pub const fn past_due_interest(&self) -> Money {
        Money::new(self.past_due_interest, self.currency)
    }

    /// Fees and penalties due and unpaid (part of [`fees_and_penalties`](Self::fees_and_penalties)).
    #[must_use]
    pub const fn past_due_fees(&self) -> Money {
        Money::new(self.past_due_fees, self.currency)
    }

    /// Late-payment charges: the part of [`fees_and_penalties`](Self::fees_and_penalties) that
    /// penalizes late payment (a workout may leave it out of voting weight).
    #[must_use]
    pub const fn penalties(&self) -> Money {
        Money::new(self.penalties, self.currency)
    }

    /// The date the balances are as at ("position date").
    #[must_use]
    pub const fn position_date(&self) -> NaiveDate {
        self.position_date
    }

    /// Days since the oldest unpaid amount fell due (0 when nothing is past due).
    #[must_use]
    pub const fn days_past_due(&self) -> u32 {
        self.days_past_due
    }

    /// Fees and penalties charged and not yet paid.
    #[must_use]
    pub const fn fees_and_penalties(&self) -> Money {
        Money::new(self.fees_and_penalties, self.currency)
    }

    /// Whether the facility is secured.
    #[must_use]
    pub const fn secured(&self) -> bool {
        self.secured
    }

    /// The class in which the facility votes.
    #[must_use]
    pub const fn class(&self) -> &CreditorClass {
        &self.class
    }

    /// Whether the creditor is related to the borrower for this facility.
    #[must_use]
    pub const fn related_party(&self) -> bool {
        self.related_party
    }

    /// Assets pledged for the facility.
    #[must_use]
    pub fn collateral(&self) -> &[Collateral] {
        &self.collateral
    }

    /// Guarantees given by third parties.
    #[must_use]
    pub fn guarantees(&self) -> &[GuaranteeCover] {
        &self.guarantees
    }

    /// These terms with the collateral and guarantees of `current` instead of their own: a CSV row
    /// carries neither, so re-importing a facility keeps its security unless told to drop it.
    #[must_use]
    pub fn keeping_security_of(mut self, current: &Self) -> Self {
        self.collateral = current.collateral.clone();
        self.guarantees = current.guarantees.clone();
        // Collateral makes a facility secured, whatever the row says.
        self.secured |= !self.collateral.is_empty();
        self
    }

    /// What is doubtful about the security of these terms, for the coordinator to look at: a
    /// facility declared `secured` that lists no collateral (`secured_without_collateral`).
    #[must_use]
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut warnings = Vec::new();
        if self.secured && self.collateral.is_empty() {
            warnings.push("secured_without_collateral");
        }
        warnings
    }

    /// The input that validates back to these terms, e.g. to store them or to edit them.
    #[must_use]
    pub fn to_input(&self) -> FacilityInput {
        FacilityInput {
            reference: self.reference.clone(),
            facility_type: self.facility_type.as_str().to_owned(),
            currency: self.currency.as_str().to_owned(),
            committed: self.committed.to_string(),
            outstanding_principal: self.outstanding_principal.to_string(),
            accrued_interest: self.accrued_interest.to_string(),
            past_due: self.past_due.to_string(),
            past_due_principal: self.past_due_principal.to_string(),
            past_due_interest: self.past_due_interest.to_string(),
            past_due_fees: self.past_due_fees.to_string(),
            days_past_due: Some(i64::from(self.days_past_due)),
            fees_and_penalties: self.fees_and_penalties.to_string(),
            penalties: self.penalties.to_string(),
            secured: Some(self.secured),
            class: self.class.as_str().to_owned(),
            related_party: Some(self.related_party),
            position_date: self.position_date.to_string(),
            collateral: self.collateral.clone(),
            guarantees: self.guarantees.clone(),
        }
    }
}

impl FacilityInput {
    /// Checks every field and returns the validated terms, or every problem found, for input
    /// recorded on `today` (the workout's local date): a missing `position_date` is `today`, and
    /// one after `today` is refused.
    ///
    /// # Errors
    /// One [`FieldIssue`] per problem, in field order; never an empty list.
    pub fn validate_on(
        &self,
        allowed_classes: &[CreditorClass],
        today: NaiveDate,
    ) -> Result<FacilityTerms, Vec<FieldIssue>> {
        self.validate_with(allowed_classes, Some(today))
    }

    /// Checks every field as [`validate_on`](Self::validate_on) does, without a recording date:
    /// `position_date` is required and not compared with any date (e.g. terms read back from
    /// storage, which were checked when recorded).
    ///
    /// # Errors
    /// One [`FieldIssue`] per problem, in field order; never an empty list.
    pub fn validate(
        &self,
        allowed_classes: &[CreditorClass],
    ) -> Result<FacilityTerms, Vec<FieldIssue>> {
        self.validate_with(allowed_classes, None)
    }

    fn validate_with(
        &self,
        allowed_classes: &[CreditorClass],
        today: Option<NaiveDate>,
    ) -> Result<FacilityTerms, Vec<FieldIssue>> {
        let days_past_due = self.days_past_due.map(|days| days.to_string());
        let secured = self.secured.map(bool_text);
        let related_party = self.related_party.map(bool_text);
        let scalars = ScalarFields {
            values: [
                Cow::Borrowed(self.reference.as_str()),
                Cow::Borrowed(self.facility_type.as_str()),
                Cow::Borrowed(self.currency.as_str()),
                Cow::Borrowed(self.committed.as_str()),
                Cow::Borrowed(self.outstanding_principal.as_str()),
                Cow::Borrowed(self.accrued_interest.as_str()),
                Cow::Borrowed(self.past_due.as_str()),
                days_past_due.map_or(Cow::Borrowed(""), Cow::Owned),
                Cow::Borrowed(self.fees_and_penalties.as_str()),
                Cow::Borrowed(secured.unwrap_or("")),
                Cow::Borrowed(self.class.as_str()),
                Cow::Borrowed(related_party.unwrap_or("")),
                Cow::Borrowed(self.past_due_principal.as_str()),
                Cow::Borrowed(self.past_due_interest.as_str()),
                Cow::Borrowed(self.past_due_fees.as_str()),
                Cow::Borrowed(self.penalties.as_str()),
                Cow::Borrowed(self.position_date.as_str()),
            ],
        };
        let mut issues = Vec::new();
        let terms = scalars.validate(allowed_classes, today, &mut issues);
        let collateral = validate_collateral(&self.collateral, &mut issues);
        let guarantees = validate_guarantees(&self.guarantees, &mut issues);
        match terms {
            Some(terms) if issues.is_empty() => Ok(FacilityTerms {
                collateral,
                guarantees,
                ..terms
            }),
            _ => Err(issues),
        }
    }
}

const fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// The scalar fields of a facility as text, in the order of [`CSV_COLUMNS`] (an optional column
/// missing from a CSV file is empty): the common ground of the JSON input and the CSV import, so
/// that both are checked by the same code.
struct ScalarFields<'a> {
    values: [Cow<'a, str>; CSV_COLUMNS.len()],
}

impl ScalarFields<'_> {
    /// Validates the scalar fields; the result has no collateral and no guarantees. With `today`,
    /// a missing `position_date` is `today` and a later one is refused; without, it is required.
    fn validate(
        &self,
        allowed_classes: &[CreditorClass],
        today: Option<NaiveDate>,
        issues: &mut Vec<FieldIssue>,
    ) -> Option<FacilityTerms> {
        let [
            reference,
            facility_type,
            currency,
            committed,
            outstanding_principal,
            accrued_interest,
            past_due,
            days_past_due,
            fees_and_penalties,
            secured,
            class,
            related_party,
            past_due_principal,
            past_due_interest,
            past_due_fees,
            penalties,
            position_date,
        ] = &self.values;
        let reference = check(issues, "reference", parse_text(reference, text::REFERENCE));
        let facility_type = check(
            issues,
            "facility_type",
            required(facility_type)
                .and_then(|text| FacilityType::from_str(text).map_err(|e| e.to_string())),
        );
        let currency = check(
            issues,
            "currency",
            required(currency).and_then(|text| Currency::parse(text).map_err(|e| e.to_string())),
        );
        // An amount of the facility: within its currency's minor unit when the currency is known.
        let amount = |text: &str| {
            parse_amount(text).and_then(|value| match currency {
                Some(currency) => within_minor_units(value, currency),
                None => Ok(value),
            })
        };
        // An amount that is 0 when not given.
        let optional = |text: &str| {
            if text.trim().is_empty() {
                Ok(Decimal::ZERO)
            } else {
                amount(text)
            }
        };
        let committed = check(issues, "committed", amount(committed));
        let outstanding_principal = check(
            issues,
            "outstanding_principal",
            amount(outstanding_principal),
        );
        let accrued_interest = check(issues, "accrued_interest", amount(accrued_interest));
        let split_given = [past_due_principal, past_due_interest, past_due_fees]
            .iter()
            .any(|text| !text.trim().is_empty());
        let past_due = if past_due.trim().is_empty() {
            Some(None)
        } else {
            check(issues, "past_due", amount(past_due)).map(Some)
        };
        let days_past_due = check(issues, "days_past_due", parse_days(days_past_due));
        let fees_and_penalties = check(issues, "fees_and_penalties", amount(fees_and_penalties));
        let secured = check(issues, "secured", parse_bool(secured));
        let class = check(issues, "class", parse_class(class, allowed_classes));
        let related_party = check(issues, "related_party", parse_bool(related_party));
        let past_due_principal = check(issues, "past_due_principal", optional(past_due_principal));
        let past_due_interest = check(issues, "past_due_interest", optional(past_due_interest));
        let past_due_fees = check(issues, "past_due_fees", optional(past_due_fees));
        let penalties = check(issues, "penalties", optional(penalties));
        let position_date = check(
            issues,
            "position_date",
            parse_position_date(position_date, today),
        );

        // Each past-due part, and the penalties, within its own component.
        let parts = [
            (
                "past_due_principal",
                past_due_principal,
                "outstanding_principal",
                outstanding_principal,
            ),
            (
                "past_due_interest",
                past_due_interest,
                "accrued_interest",
                accrued_interest,
            ),
            (
                "past_due_fees",
                past_due_fees,
                "fees_and_penalties",
                fees_and_penalties,
            ),
            (
                "penalties",
                penalties,
                "fees_and_penalties",
                fees_and_penalties,
            ),
        ];
        for (field, part, whole_field, whole) in parts {
            if let (Some(part), Some(whole)) = (part, whole)
                && part > whole
            {
                issues.push(FieldIssue::new(
                    field,
                    format!(
                        "{field} ({part}) is part of {whole_field} and cannot exceed it ({whole})"
                    ),
                ));
            }
        }
        let sum = match (past_due_principal, past_due_interest, past_due_fees) {
            (Some(principal), Some(interest), Some(fees)) => Some(principal + interest + fees),
            _ => None,
        };
        let mut past_due_refused = false;
        if let (Some(Some(given)), Some(sum)) = (past_due, sum) {
            past_due_refused = (!split_given && !given.is_zero()) || (split_given && given != sum);
            if !split_given && !given.is_zero() {
                issues.push(FieldIssue::new(
                    "past_due",
                    format!(
                        "a past-due amount ({given}) must be given split into past_due_principal, \
                         past_due_interest and past_due_fees (each checked against its own \
                         component); past_due, if given, is their sum"
                    ),
                ));
            } else if split_given && given != sum {
                issues.push(FieldIssue::new(
                    "past_due",
                    format!(
                        "past_due ({given}) must equal past_due_principal + past_due_interest + \
                         past_due_fees ({sum}), or be left out"
                    ),
                ));
            }
        }
        if let (Some(due), Some(days), false) = (sum, days_past_due, past_due_refused) {
            if due.is_zero() && days > 0 {
                issues.push(FieldIssue::new(
                    "days_past_due",
                    "must be 0 when nothing is past due",
                ));
            } else if !due.is_zero() && days == 0 {
                issues.push(FieldIssue::new(
                    "days_past_due",
                    "must be at least 1 when something is past due",
                ));
            }
        }

        past_due?;
        Some(FacilityTerms {
            reference: reference?,
            facility_type: facility_type?,
            currency: currency?,
            committed: committed?,
            outstanding_principal: outstanding_principal?,
            accrued_interest: accrued_interest?,
            past_due: sum?,
            past_due_principal: past_due_principal?,
            past_due_interest: past_due_interest?,
            past_due_fees: past_due_fees?,
            days_past_due: days_past_due?,
            fees_and_penalties: fees_and_penalties?,
            penalties: penalties?,
            secured: secured?,
            class: class?,
            related_party: related_party?,
            position_date: position_date?,
            collateral: Vec::new(),
            guarantees: Vec::new(),
        })
    }
}

/// A position date written `YYYY-MM-DD`: with `today`, `today` when empty and never after it;
/// without, required.
fn parse_position_date(text: &str, today: Option<NaiveDate>) -> Result<NaiveDate, String> {
    let text = text.trim();
    let date = match (text.is_empty(), today) {
        (true, Some(today)) => return Ok(today),
        _ => required(text)?,
    };
    let date = BoundedDate::parse(date).map_err(|e| e.to_string())?.get();
    match today {
        Some(today) if date > today => Err(format!(
            "{date} is after today ({today} in the workout's calendar): balances cannot be as at a \
             future date"
        )),
        _ => Ok(date),
    }
}

fn validate_collateral(items: &[Collateral], issues: &mut Vec<FieldIssue>) -> Vec<Collateral> {
    if items.len() > MAX_COVER_ITEMS {
        issues.push(FieldIssue::new(
            "collateral",
            format!("at most {MAX_COVER_ITEMS} items, got {}", items.len()),
        ));
        return Vec::new();
    }
    let mut valid = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let field = |name: &str| format!("collateral[{index}].{name}");
        let before = issues.len();
        let kind = check(
            issues,
            &field("kind"),
            parse_text(&item.kind, text::REFERENCE),
        );
        let description = check(
            issues,
            &field("description"),
            parse_text(&item.description, text::DESCRIPTION),
        );
        let valuation = check(
            issues,
            &field("valuation"),
            check_amount(item.valuation.amount)
                .and_then(|value| within_minor_units(value, item.valuation.currency)),
        );
        if item.ranking == 0 {
            issues.push(FieldIssue::new(
                field("ranking"),
                "is 1 for a first-ranking charge, 2 for second, and so on; 0 is not a rank",
            ));
        }
        if let (Some(kind), Some(description), Some(amount), true) =
            (kind, description, valuation, issues.len() == before)
        {
            valid.push(Collateral {
                kind,
                description,
                valuation: Money::new(amount, item.valuation.currency),
                valued_on: item.valued_on,
                ranking: item.ranking,
            });
        }
    }
    valid
}

fn validate_guarantees(
    items: &[GuaranteeCover],
    issues: &mut Vec<FieldIssue>,
) -> Vec<GuaranteeCover> {
    if items.len() > MAX_COVER_ITEMS {
        issues.push(FieldIssue::new(
            "guarantees",
            format!("at most {MAX_COVER_ITEMS} items, got {}", items.len()),
        ));
        return Vec::new();
    }
    let mut valid = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let field = format!("guarantees[{index}].amount");
        match check_amount(item.amount.amount)
            .and_then(|value| within_minor_units(value, item.amount.currency))
        {
            Ok(amount) if amount.is_zero() => {
                issues.push(FieldIssue::new(field, "a guarantee covers more than 0"));
            }
            Ok(amount) => valid.push(GuaranteeCover {
                guarantor: item.guarantor,
                amount: Money::new(amount, item.amount.currency),
            }),
            Err(message) => issues.push(FieldIssue::new(field, message)),
        }
    }
    valid
}

/// The value of `result`, or `None` after recording its message as an issue of `field`.
fn check<T>(issues: &mut Vec<FieldIssue>, field: &str, result: Result<T, String>) -> Option<T> {
    result
        .map_err(|message| issues.push(FieldIssue::new(field, message)))
        .ok()
}

fn required(text: &str) -> Result<&str, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err("is required".to_owned())
    } else {
        Ok(trimmed)
    }
}

/// `text` by the platform's one rule of free text (see [`crate::text`]), or why not.
pub(crate) fn parse_text(text: &str, rule: TextRule) -> Result<String, String> {
    rule.parse(text)
        .map(Text::into_string)
        .map_err(|e| e.to_string())
}

/// The bounds of a plain decimal: the most decimal places, and the limit it stays below.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecimalBounds {
    /// The most decimal places (zeros beyond them are dropped, other digits refused).
    pub(crate) places: u32,
    /// The value stays below this.
    pub(crate) limit: Decimal,
    /// `limit` as written in messages, e.g. `10^18`.
    pub(crate) limit_text: &'static str,
    /// What the value is, in messages, e.g. `an amount`.
    pub(crate) what: &'static str,
}

/// Amounts: below 10^18 with at most [`MAX_DECIMAL_PLACES`] places (PostgreSQL `numeric(22, 4)`).
pub(crate) const AMOUNT: DecimalBounds = DecimalBounds {
    places: MAX_DECIMAL_PLACES,
    limit: AMOUNT_LIMIT,
    limit_text: "10^18",
    what: "an amount",
};

/// Parses a plain decimal amount (see the module rules).
pub(crate) fn parse_amount(text: &str) -> Result<Decimal, String> {
    parse_plain_decimal(text, AMOUNT)
}

/// Parses a plain decimal ≥ 0 within `bounds`: digits with an optional decimal point, no sign
/// (a leading `-` is recognized only to say that the value is negative), no thousands separators,
/// no exponent.
pub(crate) fn parse_plain_decimal(text: &str, bounds: DecimalBounds) -> Result<Decimal, String> {
    let text = required(text)?;
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && (!digits.contains('.') || !fraction.is_empty())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if !well_formed {
        return Err(format!(
            "write {} as a plain decimal such as 1234.50, without sign, thousands separators or \
             exponent; got {:?}",
            bounds.what,
            text.chars().take(40).collect::<String>()
        ));
    }
    let value = Decimal::from_str_exact(digits).map_err(|_| {
        format!(
            "has too many digits ({} is below {} with at most {} decimal places)",
            bounds.what, bounds.limit_text, bounds.places
        )
    })?;
    if negative && !value.is_zero() {
        return Err("must not be negative".to_owned());
    }
    check_decimal(value, bounds)
}

/// Checks an amount against the module rules and returns it with at most 4 decimal places.
fn check_amount(value: Decimal) -> Result<Decimal, String> {
    check_decimal(value, AMOUNT)
}

/// Checks a decimal against `bounds` (and ≥ 0) and returns it with at most `bounds.places`
/// decimal places: zeros beyond them are dropped exactly, other digits there are an error.
pub(crate) fn check_decimal(value: Decimal, bounds: DecimalBounds) -> Result<Decimal, String> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err("must not be negative".to_owned());
    }
    let mut value = value;
    if value.scale() > bounds.places {
        let normalized = value.normalize();
        if normalized.scale() > bounds.places {
            return Err(format!(
                "has at most {} decimal places, got {}",
                bounds.places,
                normalized.scale()
            ));
        }
        // Only zeros are dropped, so this is exact.
        value = value.round_dp(bounds.places);
    }
    if value >= bounds.limit {
        return Err(format!("must be below {}", bounds.limit_text));
    }
    value.set_sign_positive(true);
    Ok(value)
}

/// `value` with no more decimal places than `currency`'s ISO 4217 minor unit: zeros beyond it are
/// dropped (exactly), other digits there are an error.
pub(crate) fn within_minor_units(value: Decimal, currency: Currency) -> Result<Decimal, String> {
    let places = currency.minor_units();
    if value.scale() <= places {
        return Ok(value);
    }
    let significant = value.normalize().scale();
    if significant > places {
        return Err(format!(
            "has at most {places} decimal places in {currency} (its ISO 4217 minor unit), got \
             {significant}"
        ));
    }
    // Only zeros are dropped, so this is exact.
    Ok(value.round_dp(places))
}

fn parse_days(text: &str) -> Result<u32, String> {
    let text = required(text)?;
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "is a whole number of days, 0 or more; got {:?}",
            text.chars().take(40).collect::<String>()
        ));
    }
    text.parse()
        .map_err(|_| format!("is at most {} days", u32::MAX))
}

fn parse_bool(text: &str) -> Result<bool, String> {
    let text = required(text)?;
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!(
            "is true or false (or yes/no, 1/0); got {:?}",
            text.chars().take(40).collect::<String>()
        )),
    }
}

fn parse_class(text: &str, allowed: &[CreditorClass]) -> Result<CreditorClass, String> {
    let class = CreditorClass::parse(required(text)?).map_err(|e| e.to_string())?;
    if allowed.contains(&class) {
        Ok(class)
    } else {
        let names: Vec<&str> = allowed.iter().map(CreditorClass::as_str).collect();
        Err(format!(
            "{class} is not a class of this workout; the classes are: {}",
            names.join(", ")
        ))
    }
}

/// Imports facilities from CSV text (see the module documentation for the format).
///
/// # Errors
/// Every problem found, as [`RowIssue`]s sorted by line: syntax errors, header problems, bad
/// values, duplicate references, a file without data rows, or more than [`MAX_CSV_ROWS`] rows.
pub fn parse_facility_csv(
    text: &str,
    allowed_classes: &[CreditorClass],
    today: NaiveDate,
) -> Result<Vec<FacilityTerms>, Vec<RowIssue>> {
    let (records, mut issues) = read_csv(text, MAX_CSV_ROWS + 1)?;
    let mut records = records.into_iter();
    let Some(header) = records.next() else {
        issues.push(RowIssue {
            line: 1,
            field: None,
            message: format!(
                "the file is empty; it needs a header row with the columns {}",
                CSV_COLUMNS.join(",")
            ),
        });
        return Err(issues);
    };
    let positions = match column_positions(&header, &CSV_COLUMNS, &CSV_OPTIONAL_COLUMNS) {
        Ok(positions) => positions,
        Err(header_issues) => {
            issues.extend(header_issues);
            issues.sort_by_key(|issue| issue.line);
            return Err(issues);
        }
    };

    let mut facilities = Vec::new();
    let mut references: HashMap<String, usize> = HashMap::new();
    let mut rows = 0_usize;
    for record in records {
        rows += 1;
        let line = record.line;
        if record.fields.len() != header.fields.len() {
            issues.push(RowIssue {
                line,
                field: None,
                message: format!(
                    "has {} fields, the header has {}",
                    record.fields.len(),
                    header.fields.len()
                ),
            });
            continue;
        }
        let scalars = ScalarFields {
            values: positions.map(|position| {
                Cow::Borrowed(
                    position
                        .and_then(|position| record.fields.get(position))
                        .map_or("", String::as_str),
                )
            }),
        };
        let mut field_issues = Vec::new();
        let terms = scalars.validate(allowed_classes, Some(today), &mut field_issues);
        let reference = scalars.values[0].trim();
        if !reference.is_empty() {
            if let Some(first) = references.get(reference) {
                field_issues.push(FieldIssue::new(
                    "reference",
                    format!("{reference:?} is already used on line {first}"),
                ));
            } else {
                references.insert(reference.to_owned(), line);
            }
        }
        issues.extend(field_issues.into_iter().map(|issue| RowIssue {
            line,
            field: Some(issue.field),
            message: issue.message,
        }));
        facilities.extend(terms);
    }
    if rows == 0 {
        issues.push(RowIssue {
            line: header.line,
            field: None,
            message: "the file has a header but no data rows".to_owned(),
        });
    }
    if issues.is_empty() {
        Ok(facilities)
    } else {
        issues.sort_by_key(|issue| issue.line);
        Err(issues)
    }
}

/// The columns of a security CSV (a facility's collateral and guarantees), each required exactly
/// once, in any order.
pub const SECURITY_CSV_COLUMNS: [&str; 9] = [
    "reference",
    "cover",
    "kind",
    "description",
    "amount",
    "currency",
    "valued_on",
    "ranking",
    "guarantor",
];

/// What one row of a security CSV gives a facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoverItem {
    /// A collateral item.
    Collateral(Collateral),
    /// A guarantee.
    Guarantee(GuaranteeCover),
    /// Nothing: the facility has neither collateral nor guarantees.
    None,
}

/// One row of a security CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverRow {
    /// The line on which the record starts.
    pub line: usize,
    /// The facility's reference (trimmed).
    pub reference: String,
    /// What the row gives it.
    pub item: CoverItem,
}

/// Reads a security CSV: one row per collateral item or guarantee of a facility, named by its
/// reference (same syntax as the schedule, see the module documentation).
///
/// Columns [`SECURITY_CSV_COLUMNS`]: `cover` is `collateral`, `guarantee` or `none`. A collateral
/// row has `kind` (1–60 characters), `description` (may be empty), `amount` and `currency` (its
/// valuation), `valued_on` (YYYY-MM-DD) and `ranking` (1 for first ranking), and no
/// `guarantor`; a guarantee row has `guarantor` (an institution id), `amount` and `currency`, and
/// the collateral columns empty; a `none` row (every other column empty) says that the facility
/// has neither. The amounts are checked here for their form only; against the currency's minor
/// unit and the other rules they are checked when the facility's terms are validated with them.
///
/// # Errors
/// Every problem found, as [`RowIssue`]s sorted by line, as [`parse_facility_csv`] does; a
/// `none` row for a reference that also has items is an error.
pub fn parse_security_csv(text: &str) -> Result<Vec<CoverRow>, Vec<RowIssue>> {
    let (records, mut issues) = read_csv(text, MAX_CSV_ROWS + 1)?;
    let mut records = records.into_iter();
    let Some(header) = records.next() else {
        issues.push(RowIssue {
            line: 1,
            field: None,
            message: format!(
                "the file is empty; it needs a header row with the columns {}",
                SECURITY_CSV_COLUMNS.join(",")
            ),
        });
        return Err(issues);
    };
    let positions = match column_positions(&header, &SECURITY_CSV_COLUMNS, &[]) {
        Ok(positions) => positions,
        Err(header_issues) => {
            issues.extend(header_issues);
            issues.sort_by_key(|issue| issue.line);
            return Err(issues);
        }
    };
    let mut rows = Vec::new();
    for record in records {
        let line = record.line;
        if record.fields.len() != header.fields.len() {
            issues.push(RowIssue {
                line,
                field: None,
                message: format!(
                    "has {} fields, the header has {}",
                    record.fields.len(),
                    header.fields.len()
                ),
            });
            continue;
        }
        let [
            reference,
            cover,
            kind,
            description,
            amount,
            currency,
            valued_on,
            ranking,
            guarantor,
        ] = positions.map(|position| {
            position
                .and_then(|position| record.fields.get(position))
                .map_or("", String::as_str)
        });
        let mut row_issues = Vec::new();
        let reference = check(
            &mut row_issues,
            "reference",
            parse_text(reference, text::REFERENCE),
        );
        let money = |issues: &mut Vec<FieldIssue>| {
            let currency = check(
                issues,
                "currency",
                required(currency)
                    .and_then(|text| Currency::parse(text).map_err(|e| e.to_string())),
            );
            let amount = check(issues, "amount", parse_amount(amount));
            Some(Money::new(amount?, currency?))
        };
        let empty = |issues: &mut Vec<FieldIssue>, columns: &[(&str, &str)], cover: &str| {
            for (name, value) in columns {
                if !value.trim().is_empty() {
                    issues.push(FieldIssue::new(
                        *name,
                        format!("must be empty on a {cover} row"),
                    ));
                }
            }
        };
        let item = match cover.trim() {
            "collateral" => {
                empty(&mut row_issues, &[("guarantor", guarantor)], "collateral");
                let kind = check(&mut row_issues, "kind", parse_text(kind, text::REFERENCE));
                let description = check(
                    &mut row_issues,
                    "description",
                    parse_text(description, text::DESCRIPTION),
                );
                let valuation = money(&mut row_issues);
                let valued_on = check(
                    &mut row_issues,
                    "valued_on",
                    required(valued_on)
                        .and_then(|text| BoundedDate::parse(text).map_err(|e| e.to_string())),
                );
                let ranking = check(
                    &mut row_issues,
                    "ranking",
                    required(ranking).and_then(|text| {
                        text.parse::<u16>()
                            .ok()
                            .filter(|rank| *rank >= 1)
                            .ok_or_else(|| {
                                format!("is 1 for a first-ranking charge, 2 for second, ...; got {text:?}")
                            })
                    }),
                );
                match (kind, description, valuation, valued_on, ranking) {
                    (
                        Some(kind),
                        Some(description),
                        Some(valuation),
                        Some(valued_on),
                        Some(ranking),
                    ) => Some(CoverItem::Collateral(Collateral {
                        kind,
                        description,
                        valuation,
                        valued_on,
                        ranking,
                    })),
                    _ => None,
                }
            }
            "guarantee" => {
                empty(
                    &mut row_issues,
                    &[
                        ("kind", kind),
                        ("description", description),
                        ("valued_on", valued_on),
                        ("ranking", ranking),
                    ],
                    "guarantee",
                );
                let guarantor = check(
                    &mut row_issues,
                    "guarantor",
                    required(guarantor).and_then(|text| {
                        InstitutionId::from_str(text)
                            .map_err(|_| format!("is an institution id (a UUID); got {text:?}"))
                    }),
                );
                let amount = money(&mut row_issues);
                match (guarantor, amount) {
                    (Some(guarantor), Some(amount)) => {
                        Some(CoverItem::Guarantee(GuaranteeCover { guarantor, amount }))
                    }
                    _ => None,
                }
            }
            "none" => {
                empty(
                    &mut row_issues,
                    &[
                        ("kind", kind),
                        ("description", description),
                        ("amount", amount),
                        ("currency", currency),
                        ("valued_on", valued_on),
                        ("ranking", ranking),
                        ("guarantor", guarantor),
                    ],
                    "none",
                );
                Some(CoverItem::None)
            }
            other => {
                row_issues.push(FieldIssue::new(
                    "cover",
                    format!(
                        "is collateral, guarantee or none; got {:?}",
                        other.chars().take(40).collect::<String>()
                    ),
                ));
                None
            }
        };
        issues.extend(row_issues.into_iter().map(|issue| RowIssue {
            line,
            field: Some(issue.field),
            message: issue.message,
        }));
        if let (Some(reference), Some(item)) = (reference, item) {
            rows.push(CoverRow {
                line,
                reference,
                item,
            });
        }
    }
    if rows.is_empty() && issues.is_empty() {
        issues.push(RowIssue {
            line: header.line,
            field: None,
            message: "the file has a header but no data rows".to_owned(),
        });
    }
    // A `none` row contradicts items given for the same facility.
    for row in &rows {
        if row.item == CoverItem::None
            && rows
                .iter()
                .any(|other| other.reference == row.reference && other.item != CoverItem::None)
        {
            issues.push(RowIssue {
                line: row.line,
                field: Some("cover".to_owned()),
                message: format!(
                    "{:?} has collateral or guarantees on other lines; none means it has neither",
                    row.reference
                ),
            });
        }
    }
    if issues.is_empty() {
        Ok(rows)
    } else {
        issues.sort_by_key(|issue| issue.line);
        Err(issues)
    }
}

impl FacilityTerms {
    /// These terms with `collateral` and `guarantees` instead of their own, checked as
    /// [`FacilityInput::validate`] checks them (the facility's own class stays allowed).
    ///
    /// # Errors
    /// The problems of the new items, named `collateral[i].…` or `guarantees[i].…`.
    pub fn with_security(
        &self,
        collateral: Vec<Collateral>,
        guarantees: Vec<GuaranteeCover>,
    ) -> Result<Self, Vec<FieldIssue>> {
        // Collateral makes a facility secured.
        let secured = self.secured || !collateral.is_empty();
        let input = FacilityInput {
            secured: Some(secured),
            collateral,
            guarantees,
            ..self.to_input()
        };
        input.validate(std::slice::from_ref(&self.class))
    }
}

/// For each of `columns`, its position in the header (`None` for a missing `optional` column).
fn column_positions<const N: usize>(
    header: &CsvRecord,
    columns: &[&str; N],
    optional: &[&str],
) -> Result<[Option<usize>; N], Vec<RowIssue>> {
    let mut positions = [None; N];
    let mut issues = Vec::new();
    let issue = |field: &str, message: String| RowIssue {
        line: header.line,
        field: Some(field.to_owned()),
        message,
    };
    for (position, name) in header.fields.iter().enumerate() {
        let name = name.trim();
        match columns.iter().position(|column| *column == name) {
            Some(column) => match positions[column] {
                Some(_) => {
                    issues.push(issue(name, format!("column {name} appears more than once")))
                }
                None => positions[column] = Some(position),
            },
            None => issues.push(issue(
                name,
                format!(
                    "unknown column {name:?} (column {}); the columns are {}",
                    position + 1,
                    columns.join(",")
                ),
            )),
        }
    }
    for (column, position) in columns.iter().zip(positions) {
        if position.is_none() && !optional.contains(column) {
            issues.push(issue(column, format!("the header has no column {column}")));
        }
    }
    if issues.is_empty() {
        Ok(positions)
    } else {
        Err(issues)
    }
}

/// One CSV record and the line on which it starts.
#[derive(Debug, PartialEq, Eq)]
struct CsvRecord {
    line: usize,
    fields: Vec<String>,
}

/// Splits RFC 4180 text into records with the `csv` crate, skipping empty (and blank) lines.
///
/// The crate is lenient where RFC 4180 is not: it keeps text after a closing quote (`"x"y` reads
/// as `xy`), a quote inside an unquoted field, and an unclosed quote (the field runs to the end of
/// the file). A bank's file with such a slip would import wrong values silently, so each record is
/// checked against its text (see [`check_quoting`]) and reported as a syntax error instead. The
/// crate counts lines by line feeds only; line numbers are counted here from each record's byte
/// offset, so that CR-only files number their lines too.
///
/// Records with a syntax error are reported and left out. Reading stops with an error alone once
/// there would be more than `max_records` records (counting those with syntax errors).
fn read_csv(
    text: &str,
    max_records: usize,
) -> Result<(Vec<CsvRecord>, Vec<RowIssue>), Vec<RowIssue>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut issues = Vec::new();
    // Records read so far, including those with syntax errors.
    let mut seen = 0_usize;
    let mut lines = LineCounter::new(text);
    for result in reader.records() {
        let record = match result {
            Ok(record) => record,
            // Reading text from memory cannot fail on I/O or UTF-8, but say so if it ever does.
            Err(error) => {
                let offset = error
                    .position()
                    .map_or(text.len(), |p| byte_offset(p.byte()));
                issues.push(RowIssue {
                    line: lines.line_at(offset),
                    field: None,
                    message: format!("unreadable: {error}"),
                });
                break;
            }
        };
        // The reader may place a record at the line feed of the CRLF before it: a record never
        // starts with a line break, so skip those.
        let position = record.position().map_or(0, |p| byte_offset(p.byte()));
        let raw = text
            .get(position..)
            .unwrap_or_default()
            .trim_start_matches(['\r', '\n']);
        let start = text.len() - raw.len();
        let line = lines.line_at(start);
        let blank = record.len() == 1
            && !raw.starts_with('"')
            && record.iter().all(|f| f.trim().is_empty());
        if blank {
            continue;
        }
        if seen == max_records {
            return Err(vec![RowIssue {
                line,
                field: None,
                message: format!("the file has more than {MAX_CSV_ROWS} data rows; split it"),
            }]);
        }
        seen += 1;
        match check_quoting(raw, &record) {
            Ok(()) => records.push(CsvRecord {
                line,
                fields: record.iter().map(str::to_owned).collect(),
            }),
            Err(message) => issues.push(RowIssue {
                line,
                field: None,
                message,
            }),
        }
    }
    Ok((records, issues))
}

/// A byte offset from the reader as an index into the text.
fn byte_offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// Checks that `raw`, the text from the record's first byte on, spells the fields the reader made
/// of it the way RFC 4180 does: a field that starts with `"` ends with the closing `"` (inner
/// quotes doubled), followed by `,` or the end of the line; any other field has no `"`.
fn check_quoting(raw: &str, record: &csv::StringRecord) -> Result<(), String> {
    let mut rest = raw;
    for (index, value) in record.iter().enumerate() {
        if index > 0 {
            // The ',' the reader split on.
            rest = rest.get(1..).unwrap_or_default();
        }
        let Some(quoted) = rest.strip_prefix('"') else {
            if value.contains('"') {
                return Err(
                    "a '\"' inside a field that does not start with '\"' (enclose the \
                            field in quotes and double the quote: \"\")"
                        .to_owned(),
                );
            }
            rest = rest.get(value.len()..).unwrap_or_default();
            continue;
        };
        let escaped = value.replace('"', "\"\"");
        match quoted
            .char_indices()
            .zip(escaped.chars())
            .find(|((_, written), read)| written != read)
        {
            // The field went on after its closing quote (`written`): the reader appended the rest.
            Some(((at, written), _)) => {
                let unexpected = quoted
                    .get(at + written.len_utf8()..)
                    .and_then(|after| after.chars().next())
                    .unwrap_or(written);
                return Err(format!(
                    "unexpected {unexpected:?} after a closing quote (a quoted field ends with \
                     '\"' followed by ',' or the end of the line)"
                ));
            }
            None => match quoted
                .get(escaped.len()..)
                .and_then(|s| s.strip_prefix('"'))
            {
                Some(after) => rest = after,
                None => return Err("a quoted field is never closed (a missing '\"'?)".to_owned()),
            },
        }
    }
    Ok(())
}

/// Line numbers of byte offsets, for offsets that only grow: CRLF, LF and a lone CR each end a
/// line.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of `offset`.
    fn line_at(&mut self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        for at in self.offset..end {
            let byte = self.text[at];
            if byte == b'\n' || (byte == b'\r' && self.text.get(at + 1) != Some(&b'\n')) {
                self.line += 1;
            }
        }
        self.offset = self.offset.max(end);
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    fn input() -> FacilityInput {
        FacilityInput {
            reference: " TL-0001 ".to_owned(),
            facility_type: "term_loan".to_owned(),
            currency: "SAR".to_owned(),
            committed: "1000000.00".to_owned(),
            outstanding_principal: "1000000.00".to_owned(),
            accrued_interest: "12500.00".to_owned(),
            past_due: "40000.00".to_owned(),
            past_due_principal: "40000.00".to_owned(),
            days_past_due: Some(45),
            fees_and_penalties: "750.00".to_owned(),
            secured: Some(true),
            class: "secured".to_owned(),
            related_party: Some(false),
            position_date: "2026-11-20".to_owned(),
            collateral: vec![Collateral {
                kind: "real_estate_mortgage".to_owned(),
                description: "Warehouse, Riyadh".to_owned(),
                valuation: Money::new(dec("2500000"), Currency::USD),
                valued_on: BoundedDate::parse("2026-01-15").unwrap(),
                ranking: 1,
            }],
            guarantees: vec![GuaranteeCover {
                guarantor: InstitutionId::new(),
                amount: Money::new(dec("500000"), Currency::SAR),
            }],
            ..FacilityInput::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    fn fields(issues: &[FieldIssue]) -> Vec<&str> {
        issues.iter().map(|issue| issue.field.as_str()).collect()
    }

    const HEADER: &str = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees_and_penalties,secured,class,related_party";

    #[test]
    fn the_amount_limit_is_ten_to_the_eighteenth() {
        assert_eq!(AMOUNT_LIMIT, Decimal::from(1_000_000_000_000_000_000_i64));
    }

    #[test]
    fn a_complete_facility_validates_and_its_exposure_leaves_out_past_due() {
        let terms = input().validate(DEFAULT_CLASSES).unwrap();
        assert_eq!(terms.reference(), "TL-0001");
        assert_eq!(terms.facility_type(), FacilityType::TermLoan);
        assert_eq!(terms.class(), &CreditorClass::SECURED);
        assert_eq!(terms.collateral().len(), 1);
        assert_eq!(terms.guarantees().len(), 1);
        // 1,000,000.00 + 12,500.00 + 750.00; past due 40,000.00 is inside those amounts.
        assert_eq!(
            terms.exposure(),
            Money::new(dec("1013250.00"), Currency::SAR)
        );
        assert_eq!(terms.to_input().validate(DEFAULT_CLASSES).unwrap(), terms);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut bad = input();
        bad.reference = "  ".to_owned();
        bad.facility_type = "loan".to_owned();
        bad.currency = "usd".to_owned();
        bad.committed = "-1".to_owned();
        bad.outstanding_principal = "1,000.00".to_owned();
        bad.accrued_interest = "1.00001".to_owned();
        bad.past_due = "forty".to_owned();
        bad.days_past_due = None;
        bad.fees_and_penalties = "1e3".to_owned();
        bad.secured = None;
        bad.class = "mezzanine".to_owned();
        bad.related_party = None;
        bad.collateral[0].kind = String::new();
        bad.collateral[0].ranking = 0;
        bad.collateral[0].valuation.amount = dec("-5");
        bad.guarantees[0].amount.amount = Decimal::ZERO;
        let issues = bad.validate(DEFAULT_CLASSES).unwrap_err();
        assert_eq!(
            fields(&issues),
            [
                "reference",
                "facility_type",
                "currency",
                "committed",
                "outstanding_principal",
                "accrued_interest",
                "past_due",
                "days_past_due",
                "fees_and_penalties",
                "secured",
                "class",
                "related_party",
                "collateral[0].kind",
                "collateral[0].valuation",
                "collateral[0].ranking",
                "guarantees[0].amount",
            ]
        );
        assert!(
            issues[10]
                .message
                .contains("secured, unsecured, related_party")
        );
    }

    #[test]
    fn amounts_have_no_more_decimals_than_their_currencys_minor_unit_but_zeros_are_dropped() {
        let mut entry = input();
        entry.accrued_interest = "12500.120000".to_owned();
        let terms = entry.validate(DEFAULT_CLASSES).unwrap();
        assert_eq!(terms.accrued_interest().amount.to_string(), "12500.12");
        entry.accrued_interest = "12500.125".to_owned();
        let issues = entry.validate(DEFAULT_CLASSES).unwrap_err();
        assert_eq!(fields(&issues), ["accrued_interest"]);
        assert!(
            issues[0]
                .message
                .contains("at most 2 decimal places in SAR"),
            "{issues:?}"
        );
        entry.accrued_interest = "12500.12345".to_owned();
        let issues = entry.validate(DEFAULT_CLASSES).unwrap_err();
        assert!(issues[0].message.contains("at most 4 decimal places"));

        // KWD has 3 places, JPY none.
        let mut kwd = input();
        kwd.currency = "KWD".to_owned();
        kwd.accrued_interest = "12500.125".to_owned();
        let terms = kwd.validate(DEFAULT_CLASSES).unwrap();
        assert_eq!(terms.accrued_interest().amount.to_string(), "12500.125");
        kwd.fees_and_penalties = "750.1255".to_owned();
        assert_eq!(
            fields(&kwd.validate(DEFAULT_CLASSES).unwrap_err()),
            ["fees_and_penalties"]
        );
        let mut jpy = input();
        jpy.currency = "JPY".to_owned();
        let terms = jpy.validate(DEFAULT_CLASSES).unwrap();
        assert_eq!(terms.committed().amount.to_string(), "1000000");
        jpy.outstanding_principal = "1000000.5".to_owned();
        let issues = jpy.validate(DEFAULT_CLASSES).unwrap_err();
        assert_eq!(fields(&issues), ["outstanding_principal"]);
        assert!(
            issues[0]
                .message
                .contains("at most 0 decimal places in JPY")
        );

        // A collateral's valuation and a guarantee's amount follow their own currencies.
        let mut cover = input();
        cover.collateral[0].valuation =
            Money::new(dec("2500000.5"), Currency::parse("JPY").unwrap());
        cover.guarantees[0].amount = Money::new(dec("10.005"), Currency::SAR);
        assert_eq!(
            fields(&cover.validate(DEFAULT_CLASSES).unwrap_err()),
            ["collateral[0].valuation", "guarantees[0].amount"]
        );
        cover.guarantees[0].amount = Money::new(dec("10.005"), Currency::parse("BHD").unwrap());
        cover.collateral[0].valuation =
            Money::new(dec("2500000.00"), Currency::parse("JPY").unwrap());
        let terms = cover.validate(DEFAULT_CLASSES).unwrap();
        assert_eq!(terms.collateral()[0].valuation.to_string(), "2500000 JPY");

        for bad in ["+1", ".5", "5.", "1_000", " ", "1 000", "0x10", "NaN"] {
            assert!(parse_amount(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_amount("-0").unwrap().to_string(), "0");
        assert!(parse_amount("999999999999999999.9999").is_ok());
        assert!(parse_amount("1000000000000000000").is_err());
    }

    #[test]
    fn a_currency_is_an_active_iso_4217_currency_not_a_metal_fund_or_test_code() {
        for code in ["XAU", "XXX", "XTS", "CHE", "XDR", "ABC"] {
            let mut entry = input();
            entry.currency = code.to_owned();
            let issues = entry.validate(DEFAULT_CLASSES).unwrap_err();
            assert_eq!(fields(&issues), ["currency"], "{code}");
            assert!(issues[0].message.contains(code), "{issues:?}");
        }
    }

    #[test]
    fn each_past_due_part_is_checked_against_its_own_component() {
        let mut entry = input();
        entry.past_due = String::new();
        // 40,000 of principal is past due; interest 12,500 and fees 750 are the components.
        entry.past_due_interest = "12500.01".to_owned();
        entry.past_due_fees = "750.01".to_owned();
        let issues = entry.validate(DEFAULT_CLASSES).unwrap_err();
        assert_eq!(fields(&issues), ["past_due_interest", "past_due_fees"]);
        assert!(issues[0].message.contains("accrued_interest"), "{issues:?}");
        entry.past_due_interest = "12500".to_owned();
        entry.past_due_fees = "750".to_owned();
        let terms = entry.validate(DEFAULT_CLASSES).unwrap();
        assert_eq!(terms.past_due().to_string(), "53250.00 SAR");
        assert_eq!(terms.past_due_interest().to_string(), "12500 SAR");
        entry.past_due_principal = "1000000.01".to_owned();
        assert_eq!(
            fields(&entry.validate(DEFAULT_CLASSES).unwrap_err()),
            ["past_due_principal"]
        );
    }

    #[test]
    fn past_due_alone_must_be_zero_and_with_the_split_their_sum() {
        let mut entry = input();
        entry.past_due_principal = String::new();
        let issues = entry.validate(DEFAULT_CLASSES).unwrap_err();
        assert_eq!(fields(&issues), ["past_due"]);
        assert!(issues[0].message.contains("split"), "{issues:?}");
        entry.past_due = "0".to_owned();
        entry.days_past_due = Some(0);
        assert!(
            entry
                .validate(DEFAULT_CLASSES)
                .unwrap()
                .past_due()
                .amount
                .is_zero()
        );
        entry.past_due = "40000".to_owned();
        entry.past_due_principal = "30000".to_owned();
        entry.days_past_due = Some(45);
        assert_eq!(
            fields(&entry.validate(DEFAULT_CLASSES).unwrap_err()),
            ["past_due"]
        );
        entry.past_due_fees = "750".to_owned();
        entry.past_due = "30750".to_owned();
        assert!(entry.validate(DEFAULT_CLASSES).is_ok());
        // days_past_due > 0 exactly when something is past due.
        entry.days_past_due = Some(0);
        assert_eq!(
            fields(&entry.validate(DEFAULT_CLASSES).unwrap_err()),
            ["days_past_due"]
        );
        entry.past_due = String::new();
        entry.past_due_principal = "0".to_owned();
        entry.past_due_fees = "0".to_owned();
        entry.days_past_due = Some(1);
        assert_eq!(
            fields(&entry.validate(DEFAULT_CLASSES).unwrap_err()),
            ["days_past_due"]
        );
    }

    #[test]
    fn penalties_are_part_of_fees_and_penalties() {
        let mut entry = input();
        assert!(
            entry
                .validate(DEFAULT_CLASSES)
                .unwrap()
                .penalties()
                .amount
                .is_zero()
        );
        entry.penalties = "750.01".to_owned();
        assert_eq!(
            fields(&entry.validate(DEFAULT_CLASSES).unwrap_err()),
            ["penalties"]
        );
        entry.penalties = "250".to_owned();
        let terms = entry.validate(DEFAULT_CLASSES).unwrap();
        assert_eq!(terms.penalties().to_string(), "250 SAR");
        assert_eq!(terms.to_input().validate(DEFAULT_CLASSES).unwrap(), terms);
    }

    #[test]
    fn the_position_date_defaults_to_the_recording_date_and_is_not_after_it() {
        let mut entry = input();
        entry.position_date = String::new();
        assert_eq!(
            fields(&entry.validate(DEFAULT_CLASSES).unwrap_err()),
            ["position_date"]
        );
        assert_eq!(
            entry
                .validate_on(DEFAULT_CLASSES, today())
                .unwrap()
                .position_date(),
            today()
        );
        entry.position_date = "2026-11-25".to_owned();
        let issues = entry.validate_on(DEFAULT_CLASSES, today()).unwrap_err();
        assert_eq!(fields(&issues), ["position_date"]);
        assert!(issues[0].message.contains("after today"), "{issues:?}");
        entry.position_date = "24/11/2026".to_owned();
        assert_eq!(
            fields(&entry.validate_on(DEFAULT_CLASSES, today()).unwrap_err()),
            ["position_date"]
        );
        entry.position_date = "2026-10-31".to_owned();
        let terms = entry.validate_on(DEFAULT_CLASSES, today()).unwrap();
        assert_eq!(terms.position_date().to_string(), "2026-10-31");
    }

    #[test]
    fn a_csv_file_may_give_the_split_penalties_and_position_date() {
        let text = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due_principal,past_due_interest,past_due_fees,days_past_due,fees_and_penalties,penalties,secured,class,related_party,position_date\n\
                    TL-1,term_loan,SAR,100,100,10,5,2,1,30,3,1,false,unsecured,false,2026-11-01\n\
                    TL-2,term_loan,SAR,100,100,10,0,0,0,0,3,,false,unsecured,false,\n";
        let facilities = parse_facility_csv(text, DEFAULT_CLASSES, today()).unwrap();
        assert_eq!(facilities[0].past_due().to_string(), "8 SAR");
        assert_eq!(facilities[0].penalties().to_string(), "1 SAR");
        assert_eq!(facilities[0].position_date().to_string(), "2026-11-01");
        assert_eq!(facilities[1].position_date(), today());
        let bad = text
            .replace("2026-11-01", "2026-12-01")
            .replace(",5,2,1,", ",5,11,1,");
        let issues = parse_facility_csv(&bad, DEFAULT_CLASSES, today()).unwrap_err();
        let found: Vec<_> = issues.iter().map(|i| i.field.as_deref()).collect();
        assert_eq!(found, [Some("position_date"), Some("past_due_interest")]);
    }

    #[test]
    fn the_class_must_be_one_the_workout_allows() {
        let mut entry = input();
        entry.class = "senior_secured".to_owned();
        let custom = [CreditorClass::parse("senior_secured").unwrap()];
        assert!(entry.validate(&custom).is_ok());
        assert!(entry.validate(DEFAULT_CLASSES).is_err());
    }

    #[test]
    fn class_names_are_lowercase_words() {
        assert_eq!(
            CreditorClass::parse("related_party").unwrap(),
            CreditorClass::RELATED_PARTY
        );
        assert!(CreditorClass::parse("class_2").is_ok());
        assert!(CreditorClass::parse(&"a".repeat(40)).is_ok());
        assert_eq!(
            CreditorClass::parse(&"a".repeat(41)),
            Err(CreditorClassError::Length(41))
        );
        assert_eq!(CreditorClass::parse(""), Err(CreditorClassError::Length(0)));
        for bad in ["Secured", "un secured", "related-party", "ümlaut"] {
            assert!(
                matches!(
                    CreditorClass::parse(bad),
                    Err(CreditorClassError::BadCharacter(_))
                ),
                "{bad}"
            );
        }
        let json = serde_json::to_string(&CreditorClass::SECURED).unwrap();
        assert_eq!(json, "\"secured\"");
        assert!(serde_json::from_str::<CreditorClass>("\"Secured\"").is_err());
    }

    #[test]
    fn facility_types_use_their_snake_case_names() {
        for facility_type in FacilityType::ALL {
            let json = serde_json::to_string(&facility_type).unwrap();
            assert_eq!(json, format!("\"{}\"", facility_type.as_str()));
            assert_eq!(
                facility_type.as_str().parse::<FacilityType>().unwrap(),
                facility_type
            );
        }
        assert!("Term Loan".parse::<FacilityType>().is_err());
    }

    #[test]
    fn facility_input_reads_json_with_string_amounts_and_refuses_numbers() {
        let json = serde_json::json!({
            "reference": "RCF-9",
            "facility_type": "revolving",
            "currency": "USD",
            "committed": "500000",
            "outstanding_principal": "250000.50",
            "accrued_interest": "0",
            "past_due": "0",
            "days_past_due": 0,
            "fees_and_penalties": "0",
            "secured": false,
            "class": "unsecured",
            "related_party": false,
            "position_date": "2026-11-01"
        });
        let input: FacilityInput = serde_json::from_value(json.clone()).unwrap();
        let terms = input.validate(DEFAULT_CLASSES).unwrap();
        assert_eq!(terms.exposure().to_string(), "250000.50 USD");
        let serialized = serde_json::to_value(&terms).unwrap();
        assert_eq!(serialized["outstanding_principal"], "250000.50");
        assert_eq!(serialized["class"], "unsecured");

        let mut with_number = json;
        with_number["committed"] = serde_json::json!(500000.0);
        assert!(serde_json::from_value::<FacilityInput>(with_number).is_err());
        let missing: FacilityInput = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(missing.validate(DEFAULT_CLASSES).unwrap_err().len(), 12);
    }

    #[test]
    fn a_csv_file_imports_with_columns_in_any_order() {
        let text = "class,reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due_principal,days_past_due,fees_and_penalties,secured,related_party\r\n\
                    secured,TL-1,term_loan,SAR,100,100,1.5,0,0,0,yes,no\r\n\
                    \r\n\
                    unsecured,\"OD, \"\"main\"\"\",overdraft,USD,0,20.25,0,20.25,3,0,FALSE,0\r\n";
        let facilities = parse_facility_csv(text, DEFAULT_CLASSES, today()).unwrap();
        assert_eq!(facilities.len(), 2);
        assert_eq!(facilities[0].reference(), "TL-1");
        assert_eq!(facilities[0].exposure().to_string(), "101.5 SAR");
        assert!(facilities[0].secured());
        assert_eq!(facilities[1].reference(), "OD, \"main\"");
        assert_eq!(facilities[1].days_past_due(), 3);
        assert!(!facilities[1].secured());
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let text = format!(
            "{HEADER}\n\
             TL-1,term_loan,SAR,100,100,0,0,0,0,true,secured,false\n\
             TL-2,term_loan,SAR,-100,100,0,0,0,0,true,senior,false\n\
             TL-3,term_loan,SAR,100,100,0,0,0,0,true,secured\n\
             \"TL-4\nsecond line\",term_loan,SAR,100,100,0,0,0,0,maybe,secured,false\n\
             TL-1,term_loan,SAR,100,100,0,0,0,0,true,secured,false\n"
        );
        let issues = parse_facility_csv(&text, DEFAULT_CLASSES, today()).unwrap_err();
        let found: Vec<(usize, Option<&str>)> = issues
            .iter()
            .map(|issue| (issue.line, issue.field.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (3, Some("committed")),
                (3, Some("class")),
                (4, None),
                (5, Some("reference")),
                (5, Some("secured")),
                (7, Some("reference")),
            ]
        );
        assert!(issues[5].message.contains("already used on line 2"));
        assert_eq!(
            issues[2].to_string(),
            "line 4: has 11 fields, the header has 12"
        );
    }

    #[test]
    fn header_problems_are_reported_alone() {
        let text = "reference,facility_type,currency,committed,outstanding_principal,accrued_interest,past_due,days_past_due,fees,secured,class,class\n\
                    junk\n";
        let issues = parse_facility_csv(text, DEFAULT_CLASSES, today()).unwrap_err();
        let messages: Vec<String> = issues.iter().map(ToString::to_string).collect();
        assert_eq!(issues.len(), 4, "{messages:#?}");
        assert!(issues.iter().all(|issue| issue.line == 1));
        assert!(messages[0].contains("unknown column \"fees\""));
        assert!(messages[1].contains("class appears more than once"));
        assert!(messages[2].contains("no column fees_and_penalties"));
        assert!(messages[3].contains("no column related_party"));
    }

    #[test]
    fn empty_files_and_files_without_rows_are_refused() {
        assert_eq!(
            parse_facility_csv("", DEFAULT_CLASSES, today()).unwrap_err()[0].line,
            1
        );
        assert_eq!(
            parse_facility_csv("\n\n", DEFAULT_CLASSES, today())
                .unwrap_err()
                .len(),
            1
        );
        let issues =
            parse_facility_csv(&format!("{HEADER}\n"), DEFAULT_CLASSES, today()).unwrap_err();
        assert!(issues[0].message.contains("no data rows"));
    }

    #[test]
    fn more_than_five_thousand_rows_is_an_error() {
        let row = |n: usize| format!("R-{n},tax,SAR,0,1,0,0,0,0,false,unsecured,false\n");
        let mut text = format!("{HEADER}\n");
        for n in 0..MAX_CSV_ROWS {
            text.push_str(&row(n));
        }
        assert_eq!(
            parse_facility_csv(&text, DEFAULT_CLASSES, today())
                .unwrap()
                .len(),
            MAX_CSV_ROWS
        );
        text.push_str(&row(MAX_CSV_ROWS));
        let issues = parse_facility_csv(&text, DEFAULT_CLASSES, today()).unwrap_err();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].line, MAX_CSV_ROWS + 2);
        assert!(issues[0].message.contains("more than 5000 data rows"));
    }

    #[test]
    fn the_longest_valid_row_has_max_csv_row_bytes_and_a_full_file_fits_max_csv_bytes() {
        let class = "c".repeat(MAX_CLASS_CHARS);
        let classes = [CreditorClass::parse(&class).unwrap()];
        let reference = format!("\"{}\"", "\u{1d11e}".repeat(MAX_REFERENCE_CHARS));
        let amount = "999999999999999999.0000000000";
        let zero = "000000000000000000.0000000000";
        let header = CSV_COLUMNS.join(",");
        let row = format!(
            "{reference},guarantee_or_letter_of_credit,SAR,{amount},{amount},{amount},{amount},\
             4294967295,{amount},false,{class},false,{amount},{zero},{zero},{amount},2026-11-24\r\n"
        );
        assert_eq!(row.len(), MAX_CSV_ROW_BYTES);
        let terms = parse_facility_csv(&format!("{header}\r\n{row}"), &classes, today()).unwrap();
        assert_eq!(terms[0].reference().chars().count(), MAX_REFERENCE_CHARS);
        assert_eq!(
            format!("\u{feff}{header}\r\n").len() + MAX_CSV_ROWS * row.len(),
            MAX_CSV_BYTES
        );
    }

    #[test]
    fn hostile_text_dates_and_amounts_are_issues_of_their_field() {
        let mut entry = input();
        entry.reference = "TL\u{202E}1000".to_owned();
        entry.position_date = "-5000-01-01".to_owned();
        entry.committed = "100000000000000000000".to_owned();
        entry.collateral[0].kind = "mortgage\nBcc: x".to_owned();
        entry.collateral[0].description = "x".repeat(100 * 1024);
        let issues = entry.validate_on(DEFAULT_CLASSES, today()).unwrap_err();
        assert_eq!(
            fields(&issues),
            [
                "reference",
                "committed",
                "position_date",
                "collateral[0].kind",
                "collateral[0].description"
            ]
        );
        let mut entry = input();
        entry.position_date = "0000-01-01".to_owned();
        let issues = entry.validate_on(DEFAULT_CLASSES, today()).unwrap_err();
        assert!(
            issues[0].message.contains("1900-01-01 to 9999-12-31"),
            "{issues:?}"
        );
        // A collateral's valuation date comes in as a bounded date: the JSON names it.
        let mut json = serde_json::to_value(input()).unwrap();
        json["collateral"][0]["valued_on"] = serde_json::json!("+10000-01-15");
        assert!(serde_json::from_value::<FacilityInput>(json).is_err());
        // The CSV of security: a valuation date out of range, a bidi override in the kind.
        let csv = "reference,cover,kind,description,amount,currency,valued_on,ranking,guarantor\n\
                   A,collateral,x\u{2066},,1,SAR,1899-12-31,1,\n";
        let at: Vec<Option<String>> = parse_security_csv(csv)
            .unwrap_err()
            .into_iter()
            .map(|issue| issue.field)
            .collect();
        assert_eq!(at, [Some("kind".to_owned()), Some("valued_on".to_owned())]);
    }

    #[test]
    fn a_security_csv_gives_collateral_guarantees_or_none_per_reference() {
        let guarantor = InstitutionId::new();
        let text = format!(
            "reference,cover,kind,description,amount,currency,valued_on,ranking,guarantor\n\
             A,collateral,real_estate,\"Warehouse, Jeddah\",900000,SAR,2026-06-30,1,\n\
             A,guarantee,,,500.50,USD,,,{guarantor}\n\
             B,none,,,,,,,\n"
        );
        let rows = parse_security_csv(&text).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].line, 2);
        assert!(
            matches!(&rows[0].item, CoverItem::Collateral(c) if c.description == "Warehouse, Jeddah" && c.ranking == 1)
        );
        assert_eq!(
            rows[1].item,
            CoverItem::Guarantee(GuaranteeCover {
                guarantor,
                amount: Money::new(dec("500.50"), Currency::USD),
            })
        );
        assert_eq!(
            (rows[2].reference.as_str(), &rows[2].item),
            ("B", &CoverItem::None)
        );

        let bad = "reference,cover,kind,description,amount,currency,valued_on,ranking,guarantor\n\
                   A,collateral,x,,1,XAU,30/06/2026,0,\n\
                   C,collateral,x,,1,SAR,2026-06-30,1,\n\
                   C,none,,,,,,,\n\
                   B,none,kind,,,,,,\n";
        let issues = parse_security_csv(bad).unwrap_err();
        let at: Vec<(usize, Option<&str>)> = issues
            .iter()
            .map(|i| (i.line, i.field.as_deref()))
            .collect();
        assert_eq!(
            at,
            [
                (2, Some("currency")),
                (2, Some("valued_on")),
                (2, Some("ranking")),
                (4, Some("cover")),
                (5, Some("kind")),
            ]
        );
    }

    #[test]
    fn a_byte_order_mark_is_ignored_and_quoted_line_breaks_count_as_lines() {
        let good = format!(
            "\u{feff}{HEADER}\r\n\"TL-1\",term_loan,SAR,100,100,0,0,0,0,true,secured,false\r\n"
        );
        let facilities = parse_facility_csv(&good, DEFAULT_CLASSES, today()).unwrap();
        assert_eq!(facilities.len(), 1);
        assert_eq!(facilities[0].reference(), "TL-1");

        let bad = format!(
            "\u{feff}{HEADER}\r\n\
             \"TL-1\r\nsecond line\",term_loan,SAR,100,100,0,0,0,0,true,secured,false\r\n\
             TL-2,term_loan,SAR,100,100,0,0,0,0,maybe,secured,false\r\n"
        );
        let issues: Vec<String> = parse_facility_csv(&bad, DEFAULT_CLASSES, today())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(issues.len(), 2, "{issues:#?}");
        assert!(issues[0].starts_with("line 2, reference: "), "{issues:#?}");
        assert!(issues[1].starts_with("line 4, secured: "), "{issues:#?}");
    }

    #[test]
    fn quoting_slips_that_the_csv_crate_would_accept_are_syntax_errors() {
        let row = "term_loan,SAR,100,100,0,0,0,0,true,secured";
        let text = format!("{HEADER}\nTL-0,{row},false\n\"TL-1\" ,{row},false\nTL-2,{row},\"false");
        let issues = parse_facility_csv(&text, DEFAULT_CLASSES, today()).unwrap_err();
        assert_eq!(issues.len(), 2, "{issues:#?}");
        assert_eq!(issues[0].line, 3);
        assert!(
            issues[0]
                .message
                .contains("unexpected ' ' after a closing quote")
        );
        assert_eq!(issues[1].line, 4);
        assert!(issues[1].message.contains("never closed"));
    }

    #[test]
    fn the_csv_reader_follows_rfc_4180() {
        let records = |text: &str| {
            let (records, issues) = read_csv(text, 100).unwrap();
            assert!(issues.is_empty(), "{issues:?}");
            records
                .into_iter()
                .map(|record| (record.line, record.fields))
                .collect::<Vec<_>>()
        };
        let owned = |fields: &[&str]| fields.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            records("a,b\r\n1,2"),
            [(1, owned(&["a", "b"])), (2, owned(&["1", "2"]))]
        );
        assert_eq!(
            records("\u{feff}a,\"b,\"\"c\"\"\r\nd\",\n\n  \n\"\",x\n"),
            [
                (1, owned(&["a", "b,\"c\"\r\nd", ""])),
                (5, owned(&["", "x"]))
            ]
        );
        assert_eq!(records("a\rb\r"), [(1, owned(&["a"])), (2, owned(&["b"]))]);
        assert_eq!(records(",\n"), [(1, owned(&["", ""]))]);

        let (records, issues) = read_csv("a\"b,c\n\"x\"y,z\nok\n\"open\nrest", 100).unwrap();
        assert_eq!(
            records,
            [CsvRecord {
                line: 3,
                fields: owned(&["ok"])
            }]
        );
        let lines: Vec<usize> = issues.iter().map(|issue| issue.line).collect();
        assert_eq!(lines, [1, 2, 4]);
        assert!(issues[2].message.contains("never closed"));
    }
}
