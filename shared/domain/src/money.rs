//! Money: an exact decimal amount with its ISO 4217 currency.
//!
//! Rules: amounts are `rust_decimal::Decimal`, never floats, and travel as JSON strings
//! (`{"amount": "1234.50", "currency": "SAR"}`); a JSON number is refused so that no float ever
//! enters. A [`Currency`] is an active ISO 4217 alphabetic code (List One, as amended up to and
//! including amendment 180, effective 2026-01-01). Arithmetic on two amounts of different
//! currencies is an error, never an implicit conversion: converting is the job of the caller,
//! with a recorded FX rate. The scale of an amount is kept as given (`1234.50` stays `1234.50`).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Active ISO 4217 alphabetic codes ("List One": currencies, funds and precious metals), sorted.
///
/// Source: ISO 4217 List One maintained by SIX on behalf of ISO, with amendments up to 180.
/// Recently withdrawn and therefore absent: HRK (2023), SLL (2023), ZWL (2024), CUC (2025),
/// ANG (2025, replaced by XCG), BGN (2026-01-01, Bulgaria joined the euro). Recently added:
/// VED, SLE, ZWG, XCG, XAD.
const ACTIVE_CODES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DJF",
    "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP",
    "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR",
    "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
    "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
    "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR",
    "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
    "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
    "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
    "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAD",
    "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF",
    "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG",
];

/// An active ISO 4217 alphabetic currency code, e.g. `SAR`.
///
/// Only codes in the built-in list of active codes parse; the code must be exactly three ASCII
/// uppercase letters (lowercase input is refused rather than guessed).
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
    /// [`CurrencyError::Unknown`] if it is not an active code.
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CurrencyError::Malformed(code.chars().take(16).collect()));
        }
        ACTIVE_CODES
            .binary_search(&code)
            .map(|index| Self(ACTIVE_CODES[index]))
            .map_err(|_| CurrencyError::Unknown(code.to_owned()))
    }

    /// The three-letter code.
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        self.0
    }

    /// Every active code, sorted.
    pub fn all() -> impl Iterator<Item = Self> {
        ACTIVE_CODES.iter().map(|code| Self(code))
    }
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
    #[serde(with = "rust_decimal::serde::str")]
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
        assert!(ACTIVE_CODES.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(
            ACTIVE_CODES
                .iter()
                .all(|code| code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()))
        );
    }

    #[test]
    fn every_listed_code_parses_and_the_constants_are_listed() {
        for code in ACTIVE_CODES {
            assert_eq!(Currency::parse(code).unwrap().as_str(), *code);
        }
        for constant in [Currency::SAR, Currency::USD, Currency::EUR, Currency::GBP] {
            assert_eq!(Currency::parse(constant.as_str()).unwrap(), constant);
        }
        assert_eq!(Currency::all().count(), ACTIVE_CODES.len());
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
    }
}
