//! Request values turned into domain values at the edge, every failure naming its field: free
//! text by the domain's one text rule ([`workout_domain::text`]), query strings and path dates.
//!
//! Rules:
//! - Free text in a body goes through [`text`] (or [`text_to`], which collects the problem with
//!   the others of the body): a text that breaks its rule answers 422 `validation_failed` naming
//!   the field and the first character at fault; nothing else of the platform checks free text.
//! - Query strings are read by [`Query`]: a value that does not fit (a date outside 1900-01-01 to
//!   9999-12-31, a number that is not one) answers 400 `invalid_query_parameter` whose detail
//!   starts with the parameter's name, e.g. `as_of: is a date from 1900-01-01 to 9999-12-31; got
//!   0000-01-01`. Dates there are [`BoundedDate`]s, as in bodies.
//! - A date in a path is read by [`path_date`]: 400 `invalid_path_parameter` naming it.

use std::future::{Ready, ready};
use std::ops::Deref;

use actix_web::{FromRequest, HttpRequest};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use workout_domain::{BoundedDate, FieldIssue, TextRule};

use crate::problem::{ApiError, FieldError};

/// `value` by `rule`, trimmed; a 422 naming `field` otherwise.
pub fn text(field: &str, rule: TextRule, value: &str) -> Result<String, ApiError> {
    rule.parse(value)
        .map(String::from)
        .map_err(|error| ApiError::invalid_field(field, error.to_string()))
}

/// `value` by `rule`, trimmed; otherwise `None`, with the problem added to `errors` as
/// `field`'s.
pub fn text_to(
    errors: &mut Vec<FieldError>,
    field: impl Into<String>,
    rule: TextRule,
    value: &str,
) -> Option<String> {
    rule.parse(value)
        .map(String::from)
        .map_err(|error| errors.push(FieldError::new(field, error.to_string())))
        .ok()
}

impl From<FieldIssue> for FieldError {
    fn from(issue: FieldIssue) -> Self {
        Self::new(issue.field, issue.message)
    }
}

/// The date of path segment `name`, written `YYYY-MM-DD` within 1900-01-01 to 9999-12-31; a 400
/// `invalid_path_parameter` naming it otherwise.
pub fn path_date(name: &str, value: &str) -> Result<NaiveDate, ApiError> {
    BoundedDate::parse(value)
        .map(BoundedDate::get)
        .map_err(|error| {
            ApiError::bad_request("invalid_path_parameter", format!("{name}: {error}"))
        })
}

/// A query string read into `T`; a value that does not fit answers 400 `invalid_query_parameter`
/// naming its parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    /// The parsed query.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Reads a query string (without its `?`) into `T`, naming the parameter that does not fit.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        let detail = if path.is_empty() || path == "." {
            message
        } else {
            format!("{path}: {message}")
        };
        ApiError::bad_request("invalid_query_parameter", detail)
    })
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(
            parse_query(req.query_string())
                .map(Self)
                .map_err(Into::into),
        )
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use workout_domain::text;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Dates {
        as_of: BoundedDate,
        #[serde(default)]
        limit: Option<i64>,
    }

    #[test]
    fn a_query_value_that_does_not_fit_is_named() {
        let ok: Dates = parse_query("as_of=2026-11-24&limit=5").unwrap();
        assert_eq!(ok.as_of.to_string(), "2026-11-24");
        assert_eq!(ok.limit, Some(5));
        for (query, named) in [
            ("as_of=-5000-01-01", "as_of: "),
            ("as_of=%2B10000-01-15", "as_of: "),
            ("as_of=0000-01-01", "as_of: "),
            ("as_of=2026-11-24&limit=x", "limit: "),
        ] {
            let error = parse_query::<Dates>(query).unwrap_err();
            assert_eq!(error.code(), "invalid_query_parameter");
            assert!(error.to_string().starts_with(named), "{query}: {error}");
        }
        let missing = parse_query::<Dates>("").unwrap_err();
        assert!(missing.to_string().contains("as_of"), "{missing}");
    }

    #[test]
    fn free_text_that_breaks_its_rule_names_its_field() {
        assert_eq!(text("name", text::NAME, " Bank ").unwrap(), "Bank");
        let error = text("name", text::NAME, "Bank\u{0}").unwrap_err();
        assert!(matches!(&error, ApiError::Validation(e) if e[0].field == "name"));
        let mut errors = Vec::new();
        assert!(text_to(&mut errors, "reason", text::REASON, "a\u{202E}b").is_none());
        assert_eq!(errors[0].field, "reason");
    }

    #[test]
    fn a_path_date_is_bounded_and_named() {
        assert!(path_date("date", "2026-11-24").is_ok());
        let error = path_date("date", "+10000-01-15").unwrap_err();
        assert_eq!(error.code(), "invalid_path_parameter");
        assert!(error.to_string().starts_with("date: "), "{error}");
    }
}
