//! Calendar dates that come in from outside (bodies, query strings, paths, CSV files): opening
//! dates, record dates, FX rate dates, dates of requests and answers, valuations, positions.
//!
//! Rules: a [`BoundedDate`] is written `YYYY-MM-DD` — a four-digit year without sign, two-digit
//! month and day, as RFC 3339's `full-date` (OpenAPI's `date`) — is a real day of the Gregorian
//! calendar, and lies from [`EARLIEST`] (1900-01-01) to [`LATEST`] (9999-12-31) inclusive.
//! Anything else is refused, naming the field, before it reaches a rule or the database: no date
//! of a workout lies before 1900, and 9999 is the last year written with four digits, so every
//! date the platform accepts is one it can answer in the same form (chrono writes year 10000 as
//! `+10000-01-15`, which is not an OpenAPI `date`), that PostgreSQL stores (from 4713 BC) and that
//! spreadsheets show. Dates computed from an accepted date (a due date 15 days on) may lie a few
//! days after 9999-12-31 only where the input was within a few days of it.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("a valid constant date"),
    }
}

/// The earliest date accepted: 1900-01-01.
pub const EARLIEST: NaiveDate = ymd(1900, 1, 1);
/// The latest date accepted: 9999-12-31.
pub const LATEST: NaiveDate = ymd(9999, 12, 31);

/// A date from [`EARLIEST`] to [`LATEST`], read from and written as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BoundedDate(NaiveDate);

/// Why a text or a date is not a [`BoundedDate`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateError {
    /// Not written `YYYY-MM-DD`, or not a day of the calendar.
    #[error("is a date written YYYY-MM-DD (e.g. 2026-11-24); got {0:?}")]
    Malformed(String),
    /// A day outside the accepted range.
    #[error("is a date from 1900-01-01 to 9999-12-31; got {0}")]
    OutOfRange(String),
}

impl BoundedDate {
    /// 1900-01-01.
    pub const EARLIEST: Self = Self(EARLIEST);
    /// 9999-12-31.
    pub const LATEST: Self = Self(LATEST);

    /// `date`, if it lies within the accepted range.
    ///
    /// # Errors
    /// [`DateError::OutOfRange`] otherwise.
    pub fn new(date: NaiveDate) -> Result<Self, DateError> {
        if (EARLIEST..=LATEST).contains(&date) {
            Ok(Self(date))
        } else {
            Err(DateError::OutOfRange(date.to_string()))
        }
    }

    /// Reads `YYYY-MM-DD` (surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`DateError::Malformed`] for any other writing or a day that does not exist (2026-02-30),
    /// [`DateError::OutOfRange`] for a day outside the range (0000-01-01).
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let text = text.trim();
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            });
        let malformed = || DateError::Malformed(text.chars().take(40).collect());
        if !shaped {
            return Err(malformed());
        }
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| malformed())?;
        Self::new(date).map_err(|_| DateError::OutOfRange(text.to_owned()))
    }

    /// The date.
    #[must_use]
    pub const fn get(self) -> NaiveDate {
        self.0
    }
}

impl From<BoundedDate> for NaiveDate {
    fn from(date: BoundedDate) -> Self {
        date.0
    }
}

impl PartialEq<NaiveDate> for BoundedDate {
    fn eq(&self, other: &NaiveDate) -> bool {
        self.0 == *other
    }
}

impl PartialOrd<NaiveDate> for BoundedDate {
    fn partial_cmp(&self, other: &NaiveDate) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

impl fmt::Display for BoundedDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl FromStr for BoundedDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for BoundedDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BoundedDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = BoundedDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date written YYYY-MM-DD from 1900-01-01 to 9999-12-31")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<BoundedDate, E> {
                BoundedDate::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

impl utoipa::PartialSchema for BoundedDate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .description(Some(
                "A date written YYYY-MM-DD, from 1900-01-01 to 9999-12-31.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for BoundedDate {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_range_read_and_write_as_yyyy_mm_dd() {
        for text in ["1900-01-01", "2026-11-24", "2028-02-29", "9999-12-31"] {
            let date = BoundedDate::parse(text).unwrap();
            assert_eq!(date.to_string(), text);
            assert_eq!(serde_json::to_string(&date).unwrap(), format!("\"{text}\""));
            assert_eq!(
                serde_json::from_str::<BoundedDate>(&format!("\"{text}\"")).unwrap(),
                date
            );
        }
        assert_eq!(
            BoundedDate::parse(" 2026-11-24 ").unwrap().get(),
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
        );
    }

    #[test]
    fn dates_outside_the_range_or_otherwise_written_are_refused() {
        for text in ["0000-01-01", "1899-12-31", "0001-01-01"] {
            assert!(
                matches!(BoundedDate::parse(text), Err(DateError::OutOfRange(_))),
                "{text}"
            );
        }
        for text in [
            "-5000-01-01",
            "+10000-01-15",
            "10000-01-01",
            "2026-02-30",
            "2026-2-3",
            "26-11-24",
            "2026/11/24",
            "2026-11-24T00:00:00Z",
            "",
            "2026-11-24\u{0}",
        ] {
            assert!(
                matches!(BoundedDate::parse(text), Err(DateError::Malformed(_))),
                "{text:?}"
            );
            assert!(serde_json::from_value::<BoundedDate>(serde_json::json!(text)).is_err());
        }
        assert!(serde_json::from_value::<BoundedDate>(serde_json::json!(20261124)).is_err());
        assert!(BoundedDate::new(NaiveDate::from_ymd_opt(10000, 1, 1).unwrap()).is_err());
        assert_eq!(
            BoundedDate::parse("+10000-01-15").unwrap_err().to_string(),
            "is a date written YYYY-MM-DD (e.g. 2026-11-24); got \"+10000-01-15\""
        );
    }

    #[test]
    fn the_bounds_are_dates_of_the_range() {
        assert_eq!(BoundedDate::EARLIEST.to_string(), "1900-01-01");
        assert_eq!(BoundedDate::LATEST.to_string(), "9999-12-31");
    }
}
