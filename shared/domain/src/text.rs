//! Free text that people type into the platform: names, references, labels, reasons, subjects,
//! answers, notes and descriptions. One rule for all of it, in two kinds, each field with its own
//! length ([`TextRule`], and the named rules below).
//!
//! Rules:
//! - Text is trimmed of surrounding whitespace, then counted in characters (Unicode scalar values,
//!   as PostgreSQL's `length` counts them): 1 to the field's maximum, or 0 to it where the field
//!   may be empty ([`TextRule::or_empty`]).
//! - A **line** ([`TextKind::Line`]: names, references, labels) holds no control character at all:
//!   no NUL, no tab, no carriage return or line feed, no other C0 or C1 control or DEL, and no line
//!   or paragraph separator (U+2028, U+2029). A name is shown in lists, notices, e-mail headers and
//!   spreadsheet cells, where a line break or a tab would forge a second line or cell.
//! - **Prose** ([`TextKind::Prose`]: reasons, subjects, answers, rationales, notes, descriptions)
//!   may hold line feeds (U+000A) and tabs; no other control character (NUL, carriage return, …)
//!   and no line or paragraph separator. A line ends with a line feed alone; a client on Windows
//!   sends `\n`, not `\r\n`.
//! - Neither kind holds a bidirectional embedding, override or isolate (U+202A–U+202E,
//!   U+2066–U+2069): they make text display in another order than it is stored ("Trojan Source",
//!   CVE-2021-42574), so that a reference or a reason could read differently on a screen than in
//!   the record. The marks U+200E, U+200F and U+061C, which Arabic text may need, are allowed.
//! - NUL never reaches the database (PostgreSQL cannot store it in text); nothing here is ever
//!   silently removed or replaced inside the text: a text that breaks a rule is refused, naming
//!   the first character at fault.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// The two kinds of free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextKind {
    /// One line: no control character at all.
    Line,
    /// Prose: line feeds and tabs allowed, no other control character.
    Prose,
}

/// The rule of one free-text field: its kind and its length in characters, after trimming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextRule {
    kind: TextKind,
    min_chars: usize,
    max_chars: usize,
}

/// Names of institutions, users, notice contacts and claimants; labels such as a workout's
/// governing law or an FX rate's source: one line of 1 to 200 characters.
pub const NAME: TextRule = TextRule::line(200);
/// References (a workout's, a facility's) and the kind of a collateral: one line of 1 to 60
/// characters.
pub const REFERENCE: TextRule = TextRule::line(60);
/// The subject of an information request: prose of 1 to 500 characters.
pub const SUBJECT: TextRule = TextRule::prose(500);
/// Why a record changed (a withdrawal, a removal, a decision, an appointment, new settings):
/// prose of 1 to 500 characters.
pub const REASON: TextRule = TextRule::prose(500);
/// Why a recorded fact is corrected or undone (an answer date, a cancellation, a lifted
/// classification, corrected FX rates, a closed or failed workout): prose of 1 to 2000
/// characters.
pub const LONG_REASON: TextRule = TextRule::prose(2000);
/// What the borrower answered, and the facts behind a classification: prose of 1 to 5000
/// characters.
pub const STATEMENT: TextRule = TextRule::prose(5000);
/// Where a figure comes from (a claim's note): prose of up to 2000 characters, possibly empty.
pub const NOTE: TextRule = TextRule::prose(2000).or_empty();
/// A collateral's description: prose of up to 500 characters, possibly empty.
pub const DESCRIPTION: TextRule = TextRule::prose(500).or_empty();

impl TextRule {
    /// One line of 1 to `max_chars` characters.
    #[must_use]
    pub const fn line(max_chars: usize) -> Self {
        Self {
            kind: TextKind::Line,
            min_chars: 1,
            max_chars,
        }
    }

    /// Prose of 1 to `max_chars` characters.
    #[must_use]
    pub const fn prose(max_chars: usize) -> Self {
        Self {
            kind: TextKind::Prose,
            min_chars: 1,
            max_chars,
        }
    }

    /// The same rule, but the text may be empty (after trimming).
    #[must_use]
    pub const fn or_empty(self) -> Self {
        Self {
            min_chars: 0,
            ..self
        }
    }

    /// The kind of text.
    #[must_use]
    pub const fn kind(self) -> TextKind {
        self.kind
    }

    /// The fewest characters (0 or 1).
    #[must_use]
    pub const fn min_chars(self) -> usize {
        self.min_chars
    }

    /// The most characters.
    #[must_use]
    pub const fn max_chars(self) -> usize {
        self.max_chars
    }

    /// `input` trimmed, if it keeps this rule.
    ///
    /// # Errors
    /// A [`TextError`] naming the first rule it breaks: empty, a forbidden character (with the
    /// character), or too long.
    pub fn parse(self, input: &str) -> Result<Text, TextError> {
        let text = input.trim();
        if text.is_empty() && self.min_chars > 0 {
            return Err(TextError::Empty);
        }
        if let Some(found) = text.chars().find(|&c| forbidden(self.kind, c)) {
            return Err(if is_bidi_control(found) {
                TextError::Bidi(found)
            } else {
                TextError::Control {
                    kind: self.kind,
                    found,
                }
            });
        }
        let count = text.chars().count();
        if count > self.max_chars {
            return Err(TextError::TooLong {
                max: self.max_chars,
                got: count,
            });
        }
        Ok(Text(text.to_owned()))
    }
}

/// Whether `c` may not occur in text of `kind`.
fn forbidden(kind: TextKind, c: char) -> bool {
    let allowed_control = kind == TextKind::Prose && matches!(c, '\n' | '\t');
    (c.is_control() && !allowed_control)
        || matches!(c, '\u{2028}' | '\u{2029}')
        || is_bidi_control(c)
}

/// The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
#[must_use]
pub const fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Why a text breaks its rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    /// Nothing but whitespace, where some text is required.
    #[error("is required")]
    Empty,
    /// Longer than the field allows.
    #[error("has at most {max} characters, got {got}")]
    TooLong {
        /// The most characters the field takes.
        max: usize,
        /// How many the text has, after trimming.
        got: usize,
    },
    /// A control character (or a line or paragraph separator) the kind does not allow.
    #[error("{}", control_message(*kind, *found))]
    Control {
        /// The kind of text the field takes.
        kind: TextKind,
        /// The first character at fault.
        found: char,
    },
    /// A bidirectional embedding, override or isolate.
    #[error(
        "must not contain bidirectional override or isolate characters (U+202A-U+202E, \
         U+2066-U+2069); found {}",
        code_point(*.0)
    )]
    Bidi(char),
}

fn control_message(kind: TextKind, found: char) -> String {
    match kind {
        TextKind::Line => format!(
            "must be a single line without control characters (no line break, tab or NUL); \
             found {}",
            code_point(found)
        ),
        TextKind::Prose => format!(
            "must not contain control characters other than line feeds (\\n) and tabs; found {}",
            code_point(found)
        ),
    }
}

fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Text that kept its [`TextRule`]: trimmed, within its length, without forbidden characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether it is empty (only where its rule allows it).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn text_is_trimmed_and_kept_as_written_inside() {
        assert_eq!(NAME.parse("  Bank A  ").unwrap().as_str(), "Bank A");
        assert_eq!(
            NAME.parse("مصرف الراجحي\u{200F}").unwrap().as_str(),
            "مصرف الراجحي\u{200F}"
        );
        let prose = REASON.parse("\n  first line\n\tsecond line \n").unwrap();
        assert_eq!(prose.as_str(), "first line\n\tsecond line");
    }

    #[test]
    fn a_line_refuses_every_control_character_and_separator() {
        for bad in [
            "A\u{0}B",
            "A\nB",
            "A\r\nB",
            "A\rB",
            "A\tB",
            "A\u{7}B",
            "A\u{7f}B",
            "A\u{85}B",
            "A\u{2028}B",
            "A\u{2029}B",
        ] {
            let error = NAME.parse(bad).unwrap_err();
            assert!(
                matches!(
                    error,
                    TextError::Control {
                        kind: TextKind::Line,
                        ..
                    }
                ),
                "{bad:?}: {error:?}"
            );
            assert!(error.to_string().contains("single line"), "{error}");
        }
        assert_eq!(
            NAME.parse("A\u{0}B").unwrap_err().to_string(),
            "must be a single line without control characters (no line break, tab or NUL); \
             found U+0000"
        );
    }

    #[test]
    fn prose_takes_line_feeds_and_tabs_but_no_other_control_character() {
        assert!(REASON.parse("A\nB\tC").is_ok());
        for bad in ["A\u{0}B", "A\rB", "A\r\nB", "A\u{1b}[31mB", "A\u{2028}B"] {
            assert!(
                matches!(
                    REASON.parse(bad),
                    Err(TextError::Control {
                        kind: TextKind::Prose,
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bidirectional_overrides_and_isolates_are_refused_in_both_kinds() {
        for c in ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}'] {
            assert_eq!(NAME.parse(&format!("A{c}B")), Err(TextError::Bidi(c)));
            assert_eq!(REASON.parse(&format!("A{c}B")), Err(TextError::Bidi(c)));
        }
        for c in ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'] {
            assert_eq!(NAME.parse(&format!("A{c}B")), Err(TextError::Bidi(c)));
        }
        assert!(
            NAME.parse("A\u{202E}B")
                .unwrap_err()
                .to_string()
                .ends_with("found U+202E")
        );
    }

    #[test]
    fn lengths_are_counted_in_characters_after_trimming() {
        assert_eq!(NAME.parse("   "), Err(TextError::Empty));
        assert_eq!(NOTE.parse("   ").unwrap().as_str(), "");
        let arabic = "ب".repeat(60);
        assert!(REFERENCE.parse(&format!(" {arabic} ")).is_ok());
        assert_eq!(
            REFERENCE.parse(&format!("{arabic}ب")),
            Err(TextError::TooLong { max: 60, got: 61 })
        );
        assert_eq!(
            STATEMENT.parse(&"x".repeat(100 * 1024)),
            Err(TextError::TooLong {
                max: 5000,
                got: 102_400
            })
        );
    }

    fn forbidden_char() -> impl Strategy<Value = char> {
        prop_oneof![
            (0_u32..0x20).prop_filter_map("not LF or TAB", |c| char::from_u32(c)
                .filter(|c| !matches!(c, '\n' | '\t'))),
            (0x7f_u32..0xa0).prop_filter_map("C1 or DEL", char::from_u32),
            (0x202a_u32..0x202f).prop_filter_map("bidi", char::from_u32),
            (0x2066_u32..0x206a).prop_filter_map("isolate", char::from_u32),
            Just('\u{2028}'),
            Just('\u{2029}'),
        ]
    }

    proptest! {
        #[test]
        fn text_with_a_forbidden_character_inside_is_refused_in_both_kinds(
            before in "[a-zA-Z0-9 ]{1,20}",
            bad in forbidden_char(),
            after in "[a-zA-Z0-9 ]{1,20}",
        ) {
            let text = format!("x{before}{bad}{after}x");
            prop_assert!(NAME.parse(&text).is_err());
            prop_assert!(LONG_REASON.parse(&text).is_err());
        }

        #[test]
        fn accepted_text_is_trimmed_bounded_and_free_of_forbidden_characters(input in any::<String>()) {
            for rule in [NAME, REFERENCE, REASON, NOTE] {
                if let Ok(text) = rule.parse(&input) {
                    let text = text.as_str();
                    prop_assert_eq!(text, text.trim());
                    prop_assert!(text.chars().count() <= rule.max_chars());
                    prop_assert!(!text.chars().any(|c| forbidden(rule.kind(), c)));
                    prop_assert!(!text.contains(char::from(0_u8)));
                }
            }
        }
    }
}
