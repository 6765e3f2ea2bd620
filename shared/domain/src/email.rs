//! E-mail addresses of users, borrowers and guarantors, to which formal notices are sent.
//!
//! Rules: an [`Email`] is trimmed, has exactly one `@`, a local part of 1–64 characters and a
//! domain of dot-separated labels (letters, digits and inner hyphens, 1–63 characters each, at
//! least two labels, the last not all digits), is at most 254 characters in all, and contains no
//! whitespace or control characters. The domain is lowercased; the local part keeps its case
//! (RFC 5321 leaves it to the receiving server). Only the unquoted dot-atom form of RFC 5322 is
//! accepted, in ASCII: quoted local parts, comments, IP-address domains and internationalized
//! addresses are refused, because they are rare in banking and each one is a way to smuggle
//! header syntax (`<`, `>`, `,`, `"`, line breaks) into an outgoing message.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;
const MAX_LABEL_LEN: usize = 63;

/// A syntactically valid e-mail address with a lowercase domain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email {
    address: String,
    at: usize,
}

/// Why a string is not an acceptable e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    /// Nothing but whitespace.
    #[error("the e-mail address is empty")]
    Empty,
    /// Longer than 254 characters.
    #[error("an e-mail address has at most {MAX_LEN} characters, got {0}")]
    TooLong(usize),
    /// Contains a space, tab, line break or other control character.
    #[error("an e-mail address contains no spaces or control characters")]
    Whitespace,
    /// No `@`, or more than one.
    #[error("an e-mail address has exactly one '@'")]
    At,
    /// The part before the `@` is empty, too long or has a character outside the dot-atom set.
    #[error("the part before '@' is not valid: {0}")]
    LocalPart(&'static str),
    /// The part after the `@` is not a domain name with at least one dot.
    #[error("the part after '@' is not a valid domain name: {0}")]
    Domain(&'static str),
}

impl Email {
    /// Parses an address; see the module documentation for what is accepted.
    ///
    /// # Errors
    /// An [`EmailError`] naming the first rule the input breaks.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        let length = trimmed.chars().count();
        if length > MAX_LEN {
            return Err(EmailError::TooLong(length));
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Whitespace);
        }
        let mut parts = trimmed.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::At);
        };
        check_local_part(local)?;
        check_domain(domain)?;
        Ok(Self {
            address: format!("{local}@{}", domain.to_ascii_lowercase()),
            at: local.len(),
        })
    }

    /// The whole address, e.g. `Jane.Doe@bank.example`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The part before the `@`, with its case as given.
    #[must_use]
    pub fn local_part(&self) -> &str {
        self.address.get(..self.at).unwrap_or_default()
    }

    /// The domain, lowercase.
    #[must_use]
    pub fn domain(&self) -> &str {
        self.address.get(self.at + 1..).unwrap_or_default()
    }
}

fn check_local_part(local: &str) -> Result<(), EmailError> {
    if local.is_empty() {
        return Err(EmailError::LocalPart("it is empty"));
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(EmailError::LocalPart("it is longer than 64 characters"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::LocalPart(
            "dots may not start or end it, nor follow each other",
        ));
    }
    // RFC 5322 `atext` plus the dot of `dot-atom`.
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    if !local.chars().all(atext) {
        return Err(EmailError::LocalPart(
            "only letters, digits and !#$%&'*+-/=?^_`{|}~. are allowed",
        ));
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), EmailError> {
    if domain.is_empty() {
        return Err(EmailError::Domain("it is empty"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(EmailError::Domain("it needs at least one dot"));
    }
    for label in &labels {
        if label.is_empty() {
            return Err(EmailError::Domain("it has an empty label"));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(EmailError::Domain("a label is longer than 63 characters"));
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(EmailError::Domain(
                "labels have only letters, digits and hyphens",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(EmailError::Domain("a label may not start or end with '-'"));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(EmailError::Domain("the top-level label is all digits"));
    }
    Ok(())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

impl FromStr for Email {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl TryFrom<&str> for Email {
    type Error = EmailError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.address
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.address
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_address_parses_and_its_domain_is_lowercased() {
        let email = Email::parse("  Jane.Doe+workout@Bank.EXAMPLE.sa ").unwrap();
        assert_eq!(email.as_str(), "Jane.Doe+workout@bank.example.sa");
        assert_eq!(email.local_part(), "Jane.Doe+workout");
        assert_eq!(email.domain(), "bank.example.sa");
        assert_eq!(email.to_string(), "Jane.Doe+workout@bank.example.sa");
    }

    #[test]
    fn addresses_that_break_a_rule_are_refused() {
        type Check = fn(&EmailError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("", |e| *e == EmailError::Empty),
            ("   ", |e| *e == EmailError::Empty),
            ("jane", |e| *e == EmailError::At),
            ("jane@doe@bank.sa", |e| *e == EmailError::At),
            ("jane doe@bank.sa", |e| *e == EmailError::Whitespace),
            ("jane@bank.sa\r\nBcc: x@y.z", |e| {
                *e == EmailError::Whitespace
            }),
            ("@bank.sa", |e| matches!(e, EmailError::LocalPart(_))),
            (".jane@bank.sa", |e| matches!(e, EmailError::LocalPart(_))),
            ("jane.@bank.sa", |e| matches!(e, EmailError::LocalPart(_))),
            ("ja..ne@bank.sa", |e| matches!(e, EmailError::LocalPart(_))),
            ("\"jane\"@bank.sa", |e| {
                matches!(e, EmailError::LocalPart(_))
            }),
            ("<jane>@bank.sa", |e| matches!(e, EmailError::LocalPart(_))),
            ("jané@bank.sa", |e| matches!(e, EmailError::LocalPart(_))),
            ("jane@", |e| matches!(e, EmailError::Domain(_))),
            ("jane@localhost", |e| matches!(e, EmailError::Domain(_))),
            ("jane@bank..sa", |e| matches!(e, EmailError::Domain(_))),
            ("jane@.bank.sa", |e| matches!(e, EmailError::Domain(_))),
            ("jane@bank.sa.", |e| matches!(e, EmailError::Domain(_))),
            ("jane@-bank.sa", |e| matches!(e, EmailError::Domain(_))),
            ("jane@bank-.sa", |e| matches!(e, EmailError::Domain(_))),
            ("jane@bank_1.sa", |e| matches!(e, EmailError::Domain(_))),
            ("jane@[10.0.0.1]", |e| matches!(e, EmailError::Domain(_))),
            ("jane@10.0.0.1", |e| matches!(e, EmailError::Domain(_))),
        ];
        for (input, expected) in cases {
            let err = Email::parse(input).unwrap_err();
            assert!(expected(&err), "{input:?} gave {err:?}");
        }
    }

    #[test]
    fn length_limits_are_enforced() {
        let local_64 = "a".repeat(64);
        assert!(Email::parse(&format!("{local_64}@bank.sa")).is_ok());
        assert!(matches!(
            Email::parse(&format!("a{local_64}@bank.sa")),
            Err(EmailError::LocalPart(_))
        ));
        let label_63 = "b".repeat(63);
        assert!(Email::parse(&format!("jane@{label_63}.sa")).is_ok());
        assert!(Email::parse(&format!("jane@b{label_63}.sa")).is_err());
        // 64 + 1 + 63 + 1 + 63 + 1 + 61 = 254
        let at_limit = format!("{local_64}@{label_63}.{label_63}.{}", "c".repeat(61));
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok());
        assert_eq!(
            Email::parse(&format!("{at_limit}c")),
            Err(EmailError::TooLong(255))
        );
    }

    #[test]
    fn serde_uses_the_plain_string_and_validates() {
        let email = Email::parse("ops@Bank.sa").unwrap();
        assert_eq!(serde_json::to_string(&email).unwrap(), "\"ops@bank.sa\"");
        assert_eq!(
            serde_json::from_str::<Email>("\"ops@BANK.sa\"").unwrap(),
            email
        );
        assert!(serde_json::from_str::<Email>("\"not an address\"").is_err());
    }
}
