//! Money: an exact decimal amount with its ISO 4217 currency.
//!
//! Rules: amounts are `rust_decimal::Decimal`, never floats, and travel as JSON strings
//! (`{"amount": "1234.50", "currency": "SAR"}`), written as plain decimals (digits, an optional
//! `-` and decimal point: no exponent, no thousands separators); a JSON number is refused so that
//! no float ever enters. A [`Currency`] is an active ISO 4217 currency (List One, as amended up to and including
//! amendment 180, effective 2026-01-01): the list's other codes, which are not money a borrower
//! owes (`XXX` "no currency", `XTS` for testing, the precious metals `XAU`, `XAG`, `XPT`, `XPD`,
//! fund codes such as `CHE` or `USN`, units of account such as `XDR`), are refused, each saying
//! what it is. Each currency knows its ISO 4217 minor unit ([`Currency::minor_units`]: 3 for
//! KWD, 0 for JPY, 2 for most). Arithmetic on two amounts of different
//! currencies is an error, never an implicit conversion: converting is the job of the caller,
//! with a recorded FX rate. The scale of an amount is kept as given (`1234.50` stays `1234.50`).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What an ISO 4217 List One code stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A currency, with its minor unit (decimal places).
    Currency(u32),
    /// A fund code (`CHE`, `CLF`, `USN`, ...): an index or settlement unit, not money one owes.
    Fund,
    /// A precious metal (`XAU`, `XAG`, `XPT`, `XPD`), quoted per troy ounce.
    PreciousMetal,
    /// A unit of account of an institution or market (`XDR`, `XUA`, `XSU`, `XAD`, the bond
    /// market units `XBA`–`XBD`).
    UnitOfAccount,
    /// `XTS`, reserved for testing.
    Testing,
    /// `XXX`, "no currency".
    NoCurrency,
}

impl Kind {
    const fn describe(self) -> &'static str {
        match self {
            Self::Currency(_) => "a currency",
            Self::Fund => "a fund (an index or settlement unit)",
            Self::PreciousMetal => "a precious metal",
            Self::UnitOfAccount => "a unit of account",
            Self::Testing => "testing",
            Self::NoCurrency => "\"no currency\"",
        }
    }
}

/// ISO 4217 List One ("current currency & funds code list"), every active alphabetic code with
/// what it stands for and, for a currency, its minor unit, sorted by code.
///
/// Source: ISO 4217 List One as published by SIX Financial Information AG, the maintenance agency
/// on behalf of ISO (<https://www.six-group.com/en/products-services/financial-information/data-standards.html>),
/// with amendments up to 180 (effective 2026-01-01). Recently withdrawn and therefore absent: HRK
/// (2023), SLL (2023), ZWL (2024), CUC (2025), ANG (2025, replaced by XCG), BGN (2026-01-01,
/// Bulgaria joined the euro). Recently added: VED, SLE, ZWG, XCG and XAD (the Arab Monetary
/// Fund's accounting dinar, a unit of account). Minor units: 3 for BHD, IQD, JOD, KWD, LYD, OMR,
/// TND; 0 for BIF, CLP, DJF, GNF, ISK, JPY, KMF, KRW, PYG, RWF, UGX, VND, VUV, XAF, XOF, XPF; 2
/// for every other currency. Only the entries of kind `Currency` are currencies the platform
/// accepts.
const ISO_4217: &[(&str, Kind)] = &[
    ("AED", Kind::Currency(2)),
    ("AFN", Kind::Currency(2)),
    ("ALL", Kind::Currency(2)),
    ("AMD", Kind::Currency(2)),
    ("AOA", Kind::Currency(2)),
    ("ARS", Kind::Currency(2)),
    ("AUD", Kind::Currency(2)),
    ("AWG", Kind::Currency(2)),
    ("AZN", Kind::Currency(2)),
    ("BAM", Kind::Currency(2)),
    ("BBD", Kind::Currency(2)),
    ("BDT", Kind::Currency(2)),
    ("BHD", Kind::Currency(3)),
    ("BIF", Kind::Currency(0)),
    ("BMD", Kind::Currency(2)),
    ("BND", Kind::Currency(2)),
    ("BOB", Kind::Currency(2)),
    ("BOV", Kind::Fund),
    ("BRL", Kind::Currency(2)),
    ("BSD", Kind::Currency(2)),
    ("BTN", Kind::Currency(2)),
    ("BWP", Kind::Currency(2)),
    ("BYN", Kind::Currency(2)),
    ("BZD", Kind::Currency(2)),
    ("CAD", Kind::Currency(2)),
    ("CDF", Kind::Currency(2)),
    ("CHE", Kind::Fund),
    ("CHF", Kind::Currency(2)),
    ("CHW", Kind::Fund),
    ("CLF", Kind::Fund),
    ("CLP", Kind::Currency(0)),
    ("CNY", Kind::Currency(2)),
    ("COP", Kind::Currency(2)),
    ("COU", Kind::Fund),
    ("CRC", Kind::Currency(2)),
    ("CUP", Kind::Currency(2)),
    ("CVE", Kind::Currency(2)),
    ("CZK", Kind::Currency(2)),
    ("DJF", Kind::Currency(0)),
    ("DKK", Kind::Currency(2)),
    ("DOP", Kind::Currency(2)),
    ("DZD", Kind::Currency(2)),
    ("EGP", Kind::Currency(2)),
    ("ERN", Kind::Currency(2)),
    ("ETB", Kind::Currency(2)),
    ("EUR", Kind::Currency(2)),
    ("FJD", Kind::Currency(2)),
    ("FKP", Kind::Currency(2)),
    ("GBP", Kind::Currency(2)),
    ("GEL", Kind::Currency(2)),
    ("GHS", Kind::Currency(2)),
    ("GIP", Kind::Currency(2)),
    ("GMD", Kind::Currency(2)),
    ("GNF", Kind::Currency(0)),
    ("GTQ", Kind::Currency(2)),
    ("GYD", Kind::Currency(2)),
    ("HKD", Kind::Currency(2)),
    ("HNL", Kind::Currency(2)),
    ("HTG", Kind::Currency(2)),
    ("HUF", Kind::Currency(2)),
    ("IDR", Kind::Currency(2)),
    ("ILS", Kind::Currency(2)),
    ("INR", Kind::Currency(2)),
    ("IQD", Kind::Currency(3)),
    ("IRR", Kind::Currency(2)),
    ("ISK", Kind::Currency(0)),
    ("JMD", Kind::Currency(2)),
    ("JOD", Kind::Currency(3)),
    ("JPY", Kind::Currency(0)),
    ("KES", Kind::Currency(2)),
    ("KGS", Kind::Currency(2)),
    ("KHR", Kind::Currency(2)),
    ("KMF", Kind::Currency(0)),
    ("KPW", Kind::Currency(2)),
    ("KRW", Kind::Currency(0)),
    ("KWD", Kind::Currency(3)),
    ("KYD", Kind::Currency(2)),
    ("KZT", Kind::Currency(2)),
    ("LAK", Kind::Currency(2)),
    ("LBP", Kind::Currency(2)),
    ("LKR", Kind::Currency(2)),
    ("LRD", Kind::Currency(2)),
    ("LSL", Kind::Currency(2)),
    ("LYD", Kind::Currency(3)),
    ("MAD", Kind::Currency(2)),
    ("MDL", Kind::Currency(2)),
    ("MGA", Kind::Currency(2)),
    ("MKD", Kind::Currency(2)),
    ("MMK", Kind::Currency(2)),
    ("MNT", Kind::Currency(2)),
    ("MOP", Kind::Currency(2)),
    ("MRU", Kind::Currency(2)),
    ("MUR", Kind::Currency(2)),
    ("MVR", Kind::Currency(2)),
    ("MWK", Kind::Currency(2)),
    ("MXN", Kind::Currency(2)),
    ("MXV", Kind::Fund),
    ("MYR", Kind::Currency(2)),
    ("MZN", Kind::Currency(2)),
    ("NAD", Kind::Currency(2)),
    ("NGN", Kind::Currency(2)),
    ("NIO", Kind::Currency(2)),
    ("NOK", Kind::Currency(2)),
    ("NPR", Kind::Currency(2)),
    ("NZD", Kind::Currency(2)),
    ("OMR", Kind::Currency(3)),
    ("PAB", Kind::Currency(2)),
    ("PEN", Kind::Currency(2)),
    ("PGK", Kind::Currency(2)),
    ("PHP", Kind::Currency(2)),
    ("PKR", Kind::Currency(2)),
    ("PLN", Kind::Currency(2)),
    ("PYG", Kind::Currency(0)),
    ("QAR", Kind::Currency(2)),
    ("RON", Kind::Currency(2)),
    ("RSD", Kind::Currency(2)),
    ("RUB", Kind::Currency(2)),
    ("RWF", Kind::Currency(0)),
    ("SAR", Kind::Currency(2)),
    ("SBD", Kind::Currency(2)),
    ("SCR", Kind::Currency(2)),
    ("SDG", Kind::Currency(2)),
    ("SEK", Kind::Currency(2)),
    ("SGD", Kind::Currency(2)),
    ("SHP", Kind::Currency(2)),
    ("SLE", Kind::Currency(2)),
    ("SOS", Kind::Currency(2)),
    ("SRD", Kind::Currency(2)),
    ("SSP", Kind::Currency(2)),
    ("STN", Kind::Currency(2)),
    ("SVC", Kind::Currency(2)),
    ("SYP", Kind::Currency(2)),
    ("SZL", Kind::Currency(2)),
    ("THB", Kind::Currency(2)),
    ("TJS", Kind::Currency(2)),
    ("TMT", Kind::Currency(2)),
    ("TND", Kind::Currency(3)),
    ("TOP", Kind::Currency(2)),
    ("TRY", Kind::Currency(2)),
    ("TTD", Kind::Currency(2)),
    ("TWD", Kind::Currency(2)),
    ("TZS", Kind::Currency(2)),
    ("UAH", Kind::Currency(2)),
    ("UGX", Kind::Currency(0)),
    ("USD", Kind::Currency(2)),
    ("USN", Kind::Fund),
    ("UYI", Kind::Fund),
    ("UYU", Kind::Currency(2)),
    ("UYW", Kind::Fund),
    ("UZS", Kind::Currency(2)),
    ("VED", Kind::Currency(2)),
    ("VES", Kind::Currency(2)),
    ("VND", Kind::Currency(0)),
    ("VUV", Kind::Currency(0)),
    ("WST", Kind::Currency(2)),
    ("XAD", Kind::UnitOfAccount),
    ("XAF", Kind::Currency(0)),
    ("XAG", Kind::PreciousMetal),
    ("XAU", Kind::PreciousMetal),
    ("XBA", Kind::UnitOfAccount),
    ("XBB", Kind::UnitOfAccount),
    ("XBC", Kind::UnitOfAccount),
    ("XBD", Kind::UnitOfAccount),
    ("XCD", Kind::Currency(2)),
    ("XCG", Kind::Currency(2)),
    ("XDR", Kind::UnitOfAccount),
    ("XOF", Kind::Currency(0)),
    ("XPD", Kind::PreciousMetal),
    ("XPF", Kind::Currency(0)),
    ("XPT", Kind::PreciousMetal),
    ("XSU", Kind::UnitOfAccount),
    ("XTS", Kind::Testing),
    ("XUA", Kind::UnitOfAccount),
    ("XXX", Kind::NoCurrency),
    ("YER", Kind::Currency(2)),
    ("ZAR", Kind::Currency(2)),
    ("ZMW", Kind::Currency(2)),
    ("ZWG", Kind::Currency(2)),
];

/// An active ISO 4217 alphabetic currency code, e.g. `SAR`.
///
/// Only the currencies of the built-in ISO 4217 table parse (not its funds, metals, units of
/// account, `XTS` or `XXX`); the code must be exactly three ASCII uppercase letters (lowercase
/// input is refused rather than guessed).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(&'static str);

/// Why a string is not an active ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CurrencyError {
    /// Not exactly three ASCII uppercase letters.
    #[error("a currency code is exactly three uppercase letters (ISO 4217), got {0:?}")]
    Malformed(String),
    /// Well formed, but not an active ISO 4217 code.
    #[error("{0} is not an active ISO 4217 currency code")]
    Unknown(String),
    /// An active ISO 4217 code that is not a currency: a fund, a precious metal, a unit of
    /// account, the testing code or "no currency".
    #[error("{code} is the ISO 4217 code of {what}, not a currency")]
    NotACurrency {
        /// The code.
        code: String,
        /// What it stands for, e.g. "a precious metal".
        what: &'static str,
    },
}

impl Currency {
    /// Saudi riyal.
    pub const SAR: Self = Self("SAR");
    /// US dollar.
    pub const USD: Self = Self("USD");
    /// Euro.
    pub const EUR: Self = Self("EUR");
    /// Pound sterling.
    pub const GBP: Self = Self("GBP");

    /// Parses an ISO 4217 alphabetic code.
    ///
    /// # Errors
    /// [`CurrencyError::Malformed`] unless `code` is three ASCII uppercase letters;
    /// [`CurrencyError::Unknown`] if it is not an active code; [`CurrencyError::NotACurrency`]
    /// if it is an active code of something else than a currency.
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CurrencyError::Malformed(code.chars().take(16).collect()));
        }
        let (code, kind) = entry(code).ok_or_else(|| CurrencyError::Unknown(code.to_owned()))?;
        match kind {
            Kind::Currency(_) => Ok(Self(code)),
            other => Err(CurrencyError::NotACurrency {
                code: code.to_owned(),
                what: other.describe(),
            }),
        }
    }

    /// Its ISO 4217 minor unit: the decimal places an amount in it may have (3 for KWD, 0 for JPY,
    /// 2 for SAR).
    #[must_use]
    pub fn minor_units(&self) -> u32 {
        match entry(self.0) {
            Some((_, Kind::Currency(places))) => places,
            // A `Currency` is made only from a currency entry of the table.
            _ => 2,
        }
    }

    /// The three-letter code.
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        self.0
    }

    /// Every active currency, sorted by code.
    pub fn all() -> impl Iterator<Item = Self> {
        ISO_4217
            .iter()
            .filter(|(_, kind)| matches!(kind, Kind::Currency(_)))
            .map(|(code, _)| Self(code))
    }
}

/// The table's entry for `code`.
fn entry(code: &str) -> Option<(&'static str, Kind)> {
    ISO_4217
        .binary_search_by(|(listed, _)| (*listed).cmp(code))
        .ok()
        .map(|index| ISO_4217[index])
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.0)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = CurrencyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl TryFrom<&str> for Currency {
    type Error = CurrencyError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> Self {
        currency.0.to_owned()
    }
}

impl AsRef<str> for Currency {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("ISO 4217 currency code"))
            .into()
    }
}

impl utoipa::ToSchema for Currency {}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Self::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// An exact amount of money in one currency.
///
/// Any decimal amount is a valid `Money` (negative amounts included: a balance may be negative);
/// the fields are therefore public. Serialized as `{"amount": "1234.50", "currency": "SAR"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// The amount, with the scale it was given.
    #[serde(
        serialize_with = "rust_decimal::serde::str::serialize",
        deserialize_with = "plain_decimal"
    )]
    pub amount: Decimal,
    /// The currency of the amount.
    pub currency: Currency,
}

/// Why an operation on money failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// The two amounts are in different currencies.
    #[error("cannot combine {left} with {right}: currencies differ")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// The result does not fit in a decimal.
    #[error("amount overflow")]
    Overflow,
    /// The text is not `"<amount> <currency>"`.
    #[error("money is written as \"<amount> <currency>\", e.g. \"1234.50 SAR\": {0}")]
    Malformed(String),
    /// The currency part is not an active ISO 4217 code.
    #[error(transparent)]
    Currency(#[from] CurrencyError),
}

impl Money {
    /// An amount in a currency.
    #[must_use]
    pub const fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero in a currency.
    #[must_use]
    pub const fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// `self + other`.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] if the currencies differ, [`MoneyError::Overflow`] if the
    /// sum does not fit.
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_add(other.amount)
            .map(|amount| Self::new(amount, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// `self - other`.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] if the currencies differ, [`MoneyError::Overflow`] if the
    /// difference does not fit.
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_sub(other.amount)
            .map(|amount| Self::new(amount, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// True if the amount is below zero.
    #[must_use]
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// True if the amount is zero (of any scale).
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    fn same_currency(self, other: Self) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

/// A decimal written as a JSON string of digits with an optional `-` and decimal point: no
/// exponent, no `+`, no spaces, never a JSON number (so that no float ever enters).
fn plain_decimal<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let text = String::deserialize(deserializer)?;
    let digits = text.strip_prefix('-').unwrap_or(&text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let plain = !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if !plain {
        return Err(serde::de::Error::custom(format!(
            "an amount is a plain decimal such as \"1234.50\", without exponent or thousands \
             separators; got {:?}",
            text.chars().take(40).collect::<String>()
        )));
    }
    Decimal::from_str_exact(&text).map_err(|_| {
        serde::de::Error::custom(format!(
            "an amount has at most 28 significant digits; got {:?}",
            text.chars().take(40).collect::<String>()
        ))
    })
}

/// `1234.50 SAR`: the amount with its scale, a space, the code.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Parses the [`Display`](fmt::Display) form, `"1234.50 SAR"`.
impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (amount, currency) = s
            .trim()
            .split_once(' ')
            .ok_or_else(|| MoneyError::Malformed("missing the currency".to_owned()))?;
        let amount = Decimal::from_str_exact(amount)
            .map_err(|err| MoneyError::Malformed(format!("amount {amount:?}: {err}")))?;
        Ok(Self::new(amount, Currency::parse(currency)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn the_code_list_is_sorted_and_unique_so_binary_search_works() {
        assert!(ISO_4217.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert!(
            ISO_4217
                .iter()
                .all(|(code, _)| code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()))
        );
    }

    #[test]
    fn every_currency_parses_and_the_constants_are_currencies() {
        for (code, kind) in ISO_4217 {
            if let Kind::Currency(_) = kind {
                assert_eq!(Currency::parse(code).unwrap().as_str(), *code);
            }
        }
        for constant in [Currency::SAR, Currency::USD, Currency::EUR, Currency::GBP] {
            assert_eq!(Currency::parse(constant.as_str()).unwrap(), constant);
        }
        assert_eq!(Currency::all().count(), 155);
    }

    #[test]
    fn codes_of_things_other_than_currencies_are_refused_saying_what_they_are() {
        for (code, what) in [
            ("XXX", "\"no currency\""),
            ("XTS", "testing"),
            ("XAU", "a precious metal"),
            ("XAG", "a precious metal"),
            ("XPT", "a precious metal"),
            ("XPD", "a precious metal"),
            ("CHE", "a fund (an index or settlement unit)"),
            ("CLF", "a fund (an index or settlement unit)"),
            ("USN", "a fund (an index or settlement unit)"),
            ("XDR", "a unit of account"),
            ("XBA", "a unit of account"),
            ("XUA", "a unit of account"),
        ] {
            let error = Currency::parse(code).unwrap_err();
            assert_eq!(
                error,
                CurrencyError::NotACurrency {
                    code: code.to_owned(),
                    what
                }
            );
            assert!(error.to_string().starts_with(code), "{error}");
        }
        assert!(Currency::all().all(|c| !["XAU", "XXX", "XTS", "XDR"].contains(&c.as_str())));
    }

    #[test]
    fn each_currency_has_its_iso_4217_minor_unit() {
        let places = |code: &str| Currency::parse(code).unwrap().minor_units();
        for code in ["KWD", "BHD", "OMR", "JOD", "LYD", "IQD", "TND"] {
            assert_eq!(places(code), 3, "{code}");
        }
        for code in [
            "JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF", "XPF", "UGX",
        ] {
            assert_eq!(places(code), 0, "{code}");
        }
        for code in [
            "SAR", "USD", "EUR", "GBP", "AED", "QAR", "EGP", "IDR", "XCD", "XCG",
        ] {
            assert_eq!(places(code), 2, "{code}");
        }
    }

    #[test]
    fn withdrawn_and_invented_codes_are_unknown() {
        for code in [
            "BGN", "HRK", "ANG", "ZWL", "SLL", "CUC", "DEM", "ABC", "BTC",
        ] {
            assert_eq!(
                Currency::parse(code),
                Err(CurrencyError::Unknown(code.to_owned())),
                "{code}"
            );
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        for code in ["sar", "Sar", "SA", "SARS", "", "S4R", " SAR", "ŞAR"] {
            assert!(
                matches!(Currency::parse(code), Err(CurrencyError::Malformed(_))),
                "{code:?}"
            );
        }
    }

    #[test]
    fn adding_and_subtracting_the_same_currency() {
        let a = Money::new(dec("1000.25"), Currency::SAR);
        let b = Money::new(dec("234.25"), Currency::SAR);
        assert_eq!(
            a.checked_add(b).unwrap(),
            Money::new(dec("1234.50"), Currency::SAR)
        );
        let diff = b.checked_sub(a).unwrap();
        assert_eq!(diff.amount, dec("-766.00"));
        assert!(diff.is_negative());
        assert!(!a.is_negative());
        assert!(!Money::new(dec("-0.00"), Currency::SAR).is_negative());
        assert!(Money::zero(Currency::USD).is_zero());
    }

    #[test]
    fn combining_different_currencies_is_an_error() {
        let sar = Money::new(dec("1"), Currency::SAR);
        let usd = Money::new(dec("1"), Currency::USD);
        let expected = MoneyError::CurrencyMismatch {
            left: Currency::SAR,
            right: Currency::USD,
        };
        assert_eq!(sar.checked_add(usd), Err(expected.clone()));
        assert_eq!(sar.checked_sub(usd), Err(expected));
    }

    #[test]
    fn overflow_is_an_error() {
        let max = Money::new(Decimal::MAX, Currency::SAR);
        assert_eq!(max.checked_add(max), Err(MoneyError::Overflow));
    }

    #[test]
    fn money_displays_with_its_scale_and_code() {
        let m = Money::new(dec("1234.50"), Currency::SAR);
        assert_eq!(m.to_string(), "1234.50 SAR");
        assert_eq!("1234.50 SAR".parse::<Money>().unwrap(), m);
        assert!("1234.50".parse::<Money>().is_err());
        assert!("12x SAR".parse::<Money>().is_err());
        assert!(matches!(
            "1 XYZ".parse::<Money>(),
            Err(MoneyError::Currency(CurrencyError::Unknown(_)))
        ));
    }

    #[test]
    fn money_serializes_with_the_amount_as_a_string() {
        let m = Money::new(dec("1234.50"), Currency::SAR);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount":"1234.50","currency":"SAR"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }

    #[test]
    fn money_refuses_float_amounts_and_unknown_currencies() {
        assert!(serde_json::from_str::<Money>(r#"{"amount":1234.5,"currency":"SAR"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"XYZ"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"sar"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"abc","currency":"SAR"}"#).is_err());
        for bad in [
            "1e5",
            "+1",
            " 1",
            "1.",
            ".5",
            "1,000",
            "79228162514264337593543950336",
        ] {
            let json = format!(r#"{{"amount":"{bad}","currency":"SAR"}}"#);
            assert!(serde_json::from_str::<Money>(&json).is_err(), "{bad}");
        }
        let negative: Money =
            serde_json::from_str(r#"{"amount":"-0.50","currency":"SAR"}"#).unwrap();
        assert_eq!(negative.amount.to_string(), "-0.50");
    }
}
