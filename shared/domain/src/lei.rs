//! Legal Entity Identifiers (ISO 17442), the identity of every bank and corporate borrower.
//!
//! Rules: an LEI is exactly 20 characters, ASCII letters and digits, stored uppercase (lowercase
//! input is accepted and uppercased; surrounding whitespace is trimmed); the last two characters
//! are decimal check digits in the range 02–98; and the whole identifier, with letters converted
//! to numbers (A = 10 … Z = 35), is congruent to 1 modulo 97 (ISO 7064 MOD 97-10).
//!
//! What the check digits catch: every single substitution of a digit by a digit or a letter by a
//! letter, and every swap of two adjacent digits or two adjacent letters. A letter typed for a
//! digit (or the reverse) changes the length of the number and slips through about once in 97.
//! The registry status of the LEI (issued, lapsed, retired) is not known here: that needs GLEIF,
//! i.e. I/O.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Length of an LEI.
const LEN: usize = 20;

/// A valid ISO 17442 Legal Entity Identifier, uppercase.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lei([u8; LEN]);

/// Why a string is not a valid LEI.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LeiError {
    /// Not exactly 20 characters.
    #[error("an LEI has 20 characters, got {0}")]
    WrongLength(usize),
    /// A character that is not an ASCII letter or digit, or a letter in a check-digit position.
    #[error(
        "an LEI has only letters and digits, ending in two digits: {character:?} at position {position} is not allowed"
    )]
    BadCharacter {
        /// 1-based position of the character.
        position: usize,
        /// The offending character.
        character: char,
    },
    /// The check digits do not match the rest of the identifier (ISO 7064 MOD 97-10).
    #[error("the LEI's check digits are wrong (mistyped or transposed characters?)")]
    BadCheckDigits,
}

impl Lei {
    /// Parses an LEI, accepting lowercase letters and surrounding whitespace.
    ///
    /// # Errors
    /// [`LeiError::WrongLength`], [`LeiError::BadCharacter`] or [`LeiError::BadCheckDigits`].
    pub fn parse(input: &str) -> Result<Self, LeiError> {
        let bytes = Self::normalized(input, LEN)?;
        if mod97(&bytes) != 1 || !check_digits_in_range(&bytes[18..]) {
            return Err(LeiError::BadCheckDigits);
        }
        Ok(Self(bytes))
    }

    /// Completes an 18-character prefix (LOU prefix and entity part) with its check digits.
    ///
    /// This is how an LEI issuer makes one; tests and fixtures use it to make valid LEIs.
    ///
    /// # Errors
    /// [`LeiError::WrongLength`] unless `prefix` has 18 characters; [`LeiError::BadCharacter`]
    /// for anything but ASCII letters and digits.
    pub fn from_prefix(prefix: &str) -> Result<Self, LeiError> {
        let trimmed = prefix.trim();
        let count = trimmed.chars().count();
        if count != LEN - 2 {
            return Err(LeiError::WrongLength(count));
        }
        let mut bytes = Self::normalized(&format!("{trimmed}00"), LEN)?;
        let check = 98 - mod97(&bytes);
        // check is in 1..=98 by construction; it is a two-digit number below 100.
        bytes[18] = b'0' + u8::try_from(check / 10).unwrap_or(0);
        bytes[19] = b'0' + u8::try_from(check % 10).unwrap_or(0);
        Self::parse(&String::from_utf8_lossy(&bytes))
    }

    /// The LEI as text (20 uppercase characters).
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII letters and digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The 4-character prefix of the LEI issuer (the Local Operating Unit).
    #[must_use]
    pub fn lou_prefix(&self) -> &str {
        self.as_str().get(..4).unwrap_or_default()
    }

    /// Checks length and characters and uppercases; check digits are verified by the caller.
    fn normalized(input: &str, len: usize) -> Result<[u8; LEN], LeiError> {
        let trimmed = input.trim();
        let count = trimmed.chars().count();
        if count != len {
            return Err(LeiError::WrongLength(count));
        }
        let mut bytes = [0_u8; LEN];
        for (index, character) in trimmed.chars().enumerate() {
            let check_position = index >= LEN - 2;
            let allowed = if check_position {
                character.is_ascii_digit()
            } else {
                character.is_ascii_alphanumeric()
            };
            if !allowed {
                return Err(LeiError::BadCharacter {
                    position: index + 1,
                    character,
                });
            }
            // `character` is ASCII here, so it fits in one byte.
            bytes[index] = u8::try_from(character.to_ascii_uppercase()).unwrap_or(b'0');
        }
        Ok(bytes)
    }
}

/// The identifier read as a base-10 number (letters as two digits, A = 10 … Z = 35), modulo 97.
fn mod97(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0_u32, |remainder, &byte| {
        let value = u32::from(if byte.is_ascii_digit() {
            byte - b'0'
        } else {
            byte - b'A' + 10
        });
        if value < 10 {
            (remainder * 10 + value) % 97
        } else {
            (remainder * 100 + value) % 97
        }
    })
}

/// ISO 7064 MOD 97-10 check digits are 02..=98; 00, 01 and 99 never occur in a valid LEI.
fn check_digits_in_range(check: &[u8]) -> bool {
    let value = check
        .iter()
        .fold(0_u32, |acc, &digit| acc * 10 + u32::from(digit - b'0'));
    (2..=98).contains(&value)
}

impl fmt::Debug for Lei {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lei({})", self.as_str())
    }
}

impl fmt::Display for Lei {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Lei {
    type Err = LeiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Lei {
    type Error = LeiError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl TryFrom<&str> for Lei {
    type Error = LeiError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Lei> for String {
    fn from(lei: Lei) -> Self {
        lei.as_str().to_owned()
    }
}

impl AsRef<str> for Lei {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Serialize for Lei {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Lei {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bloomberg Finance L.P.
    const BLOOMBERG: &str = "5493001KJTIIGC8Y1R12";
    /// A German entity registered with the Bundesanzeiger LOU (prefix 5299).
    const GERMAN: &str = "529900T8BM49AURSDO55";
    /// Apple Inc.
    const APPLE: &str = "HWUPKR0MPOU8FGXBT394";

    #[test]
    fn real_leis_are_valid() {
        for text in [BLOOMBERG, GERMAN, APPLE] {
            let lei = Lei::parse(text).unwrap();
            assert_eq!(lei.as_str(), text);
            assert_eq!(lei.to_string(), text);
        }
        assert_eq!(Lei::parse(GERMAN).unwrap().lou_prefix(), "5299");
    }

    #[test]
    fn lowercase_input_is_uppercased() {
        let lei = Lei::parse(" 5493001kjtiigc8y1r12 ").unwrap();
        assert_eq!(lei.as_str(), BLOOMBERG);
    }

    /// Digits replaced by digits and letters by letters: MOD 97-10 catches every such change,
    /// because the number changes by less than 97 times a power of ten.
    #[test]
    fn a_single_changed_character_fails() {
        for text in [BLOOMBERG, GERMAN, APPLE] {
            for index in 0..LEN {
                let original = text.as_bytes()[index];
                let alphabet: &[u8] = if original.is_ascii_digit() {
                    b"0123456789"
                } else {
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                };
                for &replacement in alphabet.iter().filter(|&&r| r != original) {
                    let mut bytes = text.as_bytes().to_vec();
                    bytes[index] = replacement;
                    let changed = String::from_utf8(bytes).unwrap();
                    assert_eq!(
                        Lei::parse(&changed),
                        Err(LeiError::BadCheckDigits),
                        "{changed}"
                    );
                }
            }
        }
    }

    /// A letter typed for a digit (or the reverse) changes the number's length, so MOD 97-10
    /// cannot promise to catch it; about one such change in 97 slips through, as for IBANs.
    #[test]
    fn a_letter_for_a_digit_is_almost_always_caught() {
        let mut tried = 0;
        let mut undetected = 0;
        for text in [BLOOMBERG, GERMAN, APPLE] {
            for index in 0..18 {
                let original = text.as_bytes()[index];
                let alphabet: &[u8] = if original.is_ascii_digit() {
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                } else {
                    b"0123456789"
                };
                for &replacement in alphabet {
                    let mut bytes = text.as_bytes().to_vec();
                    bytes[index] = replacement;
                    tried += 1;
                    if Lei::parse(&String::from_utf8(bytes).unwrap()).is_ok() {
                        undetected += 1;
                    }
                }
            }
        }
        assert!(
            undetected * 40 < tried,
            "{undetected} of {tried} undetected"
        );
    }

    #[test]
    fn swapped_check_digits_fail() {
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1R21"),
            Err(LeiError::BadCheckDigits)
        );
        assert_eq!(
            Lei::parse("HWUPKR0MPOU8FGXBT349"),
            Err(LeiError::BadCheckDigits)
        );
    }

    #[test]
    fn wrong_length_is_reported() {
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1R1"),
            Err(LeiError::WrongLength(19))
        );
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1R123"),
            Err(LeiError::WrongLength(21))
        );
        assert_eq!(Lei::parse(""), Err(LeiError::WrongLength(0)));
    }

    #[test]
    fn bad_characters_are_reported_with_their_position() {
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1-12"),
            Err(LeiError::BadCharacter {
                position: 18,
                character: '-'
            })
        );
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1R1A"),
            Err(LeiError::BadCharacter {
                position: 20,
                character: 'A'
            })
        );
        assert_eq!(
            Lei::parse("5493001KJTIIGÇ8Y1R12"),
            Err(LeiError::BadCharacter {
                position: 14,
                character: 'Ç'
            })
        );
    }

    #[test]
    fn check_digits_outside_02_to_98_are_refused() {
        // 99 ≡ 02 (mod 97), so "...99" passes the modulus test whenever "...02" does.
        let with_02 = (0..)
            .map(|n| Lei::from_prefix(&format!("TEST{n:014}")).unwrap())
            .find(|lei| lei.as_str().ends_with("02"))
            .unwrap();
        let with_99 = format!("{}99", &with_02.as_str()[..18]);
        assert_eq!(Lei::parse(&with_99), Err(LeiError::BadCheckDigits));
    }

    #[test]
    fn from_prefix_computes_the_issuers_check_digits() {
        assert_eq!(
            Lei::from_prefix("5493001KJTIIGC8Y1R").unwrap().as_str(),
            BLOOMBERG
        );
        assert_eq!(
            Lei::from_prefix("529900T8BM49AURSDO").unwrap().as_str(),
            GERMAN
        );
        assert_eq!(Lei::from_prefix("SHORT"), Err(LeiError::WrongLength(5)));
    }

    #[test]
    fn serde_uses_the_plain_string_and_validates() {
        let lei = Lei::parse(BLOOMBERG).unwrap();
        let json = serde_json::to_string(&lei).unwrap();
        assert_eq!(json, format!("\"{BLOOMBERG}\""));
        assert_eq!(serde_json::from_str::<Lei>(&json).unwrap(), lei);
        assert!(serde_json::from_str::<Lei>("\"5493001KJTIIGC8Y1R21\"").is_err());
    }

    proptest! {
        #[test]
        fn any_prefix_completed_with_check_digits_is_valid(prefix in "[0-9A-Z]{18}") {
            let lei = Lei::from_prefix(&prefix).unwrap();
            prop_assert_eq!(&lei.as_str()[..18], prefix.as_str());
            prop_assert_eq!(Lei::parse(lei.as_str()), Ok(lei));
        }

        #[test]
        fn swapping_two_adjacent_digits_or_letters_is_detected(
            prefix in "[0-9A-Z]{18}",
            index in 0_usize..17,
            pair in prop_oneof![
                ("[0-9]", "[0-9]"),
                ("[A-Z]", "[A-Z]"),
            ].prop_filter("two different characters", |(a, b)| a != b),
        ) {
            // Two digits or two letters: guaranteed by MOD 97-10 (a letter next to a digit is
            // not, for the same reason as in `a_letter_for_a_digit_is_almost_always_caught`).
            let mut chars: Vec<u8> = prefix.into_bytes();
            chars[index] = pair.0.as_bytes()[0];
            chars[index + 1] = pair.1.as_bytes()[0];
            let lei = Lei::from_prefix(&String::from_utf8(chars).unwrap()).unwrap();
            let mut bytes = lei.as_str().as_bytes().to_vec();
            bytes.swap(index, index + 1);
            let swapped = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(Lei::parse(&swapped), Err(LeiError::BadCheckDigits), "{}", swapped);
        }
    }
}
