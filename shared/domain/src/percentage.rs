//! Percentages such as voting thresholds, quorums and interest margins.
//!
//! Rules: a [`Percentage`] is an exact decimal from 0 to 100 inclusive (`66.67` means 66.67 %);
//! anything outside that range does not parse. On the wire it is a JSON string (`"66.67"`), like
//! every decimal of the platform, never a float.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A decimal percentage between 0 and 100 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percentage(Decimal);

/// Why a value is not a percentage.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PercentageError {
    /// The value is below 0 or above 100.
    #[error("a percentage is between 0 and 100 inclusive, got {0}")]
    OutOfRange(Decimal),
    /// The text is not a decimal number.
    #[error("not a decimal number: {0:?}")]
    NotANumber(String),
}

impl Percentage {
    /// 0 %.
    pub const ZERO: Self = Self(Decimal::ZERO);
    /// 100 %.
    pub const HUNDRED: Self = Self(Decimal::ONE_HUNDRED);

    /// A percentage from its value in percent (`50` is 50 %).
    ///
    /// # Errors
    /// [`PercentageError::OutOfRange`] if `value` is below 0 or above 100.
    pub fn new(value: Decimal) -> Result<Self, PercentageError> {
        if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            Err(PercentageError::OutOfRange(value))
        } else {
            Ok(Self(value))
        }
    }

    /// The value in percent, e.g. `66.67`.
    #[must_use]
    pub const fn value(&self) -> Decimal {
        self.0
    }

    /// The value as a fraction of one, e.g. `0.6667` for 66.67 %.
    #[must_use]
    pub fn as_fraction(&self) -> Decimal {
        // Dividing by 100 only shifts the scale, so it is exact and cannot overflow.
        let mut fraction = self.0;
        let scale = fraction.scale();
        if fraction.set_scale(scale + 2).is_ok() {
            fraction
        } else {
            self.0 / Decimal::ONE_HUNDRED
        }
    }
}

impl fmt::Display for Percentage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// Parses a decimal such as `"66.67"` (no `%` sign).
impl FromStr for Percentage {
    type Err = PercentageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value = Decimal::from_str_exact(s.trim())
            .map_err(|_| PercentageError::NotANumber(s.chars().take(40).collect()))?;
        Self::new(value)
    }
}

impl TryFrom<Decimal> for Percentage {
    type Error = PercentageError;

    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Percentage> for Decimal {
    fn from(percentage: Percentage) -> Self {
        percentage.0
    }
}

impl Serialize for Percentage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        rust_decimal::serde::str::serialize(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Percentage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = rust_decimal::serde::str::deserialize(deserializer)?;
        Self::new(value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn bounds_are_inclusive() {
        assert_eq!(Percentage::new(dec("0")).unwrap(), Percentage::ZERO);
        assert_eq!(Percentage::new(dec("100")).unwrap(), Percentage::HUNDRED);
        assert_eq!(
            Percentage::new(dec("100.01")),
            Err(PercentageError::OutOfRange(dec("100.01")))
        );
        assert!(Percentage::new(dec("-0.01")).is_err());
    }

    #[test]
    fn parses_from_text_and_decimal() {
        let p: Percentage = "66.67".parse().unwrap();
        assert_eq!(p.value(), dec("66.67"));
        assert_eq!(Percentage::try_from(dec("66.67")).unwrap(), p);
        assert!("abc".parse::<Percentage>().is_err());
        assert!("150".parse::<Percentage>().is_err());
        assert_eq!(p.to_string(), "66.67%");
    }

    #[test]
    fn as_fraction_divides_by_one_hundred_exactly() {
        assert_eq!(
            "66.67".parse::<Percentage>().unwrap().as_fraction(),
            dec("0.6667")
        );
        assert_eq!(Percentage::HUNDRED.as_fraction(), Decimal::ONE);
        assert_eq!(Percentage::ZERO.as_fraction(), Decimal::ZERO);
        let fine = Percentage::new(dec("12.3456789012345678901234567")).unwrap();
        assert_eq!(fine.as_fraction() * Decimal::ONE_HUNDRED, fine.value());
    }

    #[test]
    fn serializes_as_a_string_and_refuses_out_of_range_and_floats() {
        let p: Percentage = "50.5".parse().unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"50.5\"");
        assert_eq!(serde_json::from_str::<Percentage>("\"50.5\"").unwrap(), p);
        assert!(serde_json::from_str::<Percentage>("\"101\"").is_err());
        assert!(serde_json::from_str::<Percentage>("50.5").is_err());
    }
}
