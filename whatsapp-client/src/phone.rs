//! Phone numbers: parse once, carry E.164 everywhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A region (ISO 3166-1 alpha-2 country) used to interpret national numbers
/// such as `0812...`. Re-exported from the [`phonenumber`] crate; parse one
/// from a code with `"ID".parse::<Region>()`.
pub use phonenumber::country::Id as Region;

/// The region used by [`PhoneNumber::parse`]: Indonesia.
pub const DEFAULT_REGION: Region = Region::ID;

/// A valid phone number in E.164 form (`+6281234567890`).
///
/// Built only by parsing (parse, don't validate): holding a `PhoneNumber`
/// means the number passed libphonenumber's validation for its region.
/// Parsing uses the maintained [`phonenumber`] port of Google's
/// libphonenumber, with Indonesia as the default region.
///
/// ```
/// use whatsapp_client::PhoneNumber;
///
/// let a = PhoneNumber::parse("0812-3456-7890").unwrap();
/// let b = PhoneNumber::parse("+62 812 3456 7890").unwrap();
/// let c = PhoneNumber::parse("6281234567890").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(b, c);
/// assert_eq!(a.to_string(), "+6281234567890");
/// assert_eq!(a.digits(), "6281234567890");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber {
    /// Always `+` followed by 8..=15 ASCII digits.
    e164: String,
}

/// Why a string is not a usable phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// The input was empty or only whitespace.
    #[error("phone number is empty")]
    Empty,
    /// The input contains characters that never appear in a phone number.
    #[error("phone number contains an invalid character {0:?}")]
    InvalidCharacter(char),
    /// Too few digits to be any phone number.
    #[error("phone number is too short")]
    TooShort,
    /// More digits than any phone number can have.
    #[error("phone number is too long")]
    TooLong,
    /// The international prefix names no known country.
    #[error("phone number has an unknown country code")]
    InvalidCountryCode,
    /// The number has a plausible shape but is not a valid number for its
    /// region (for example an Indonesian mobile number with a wrong prefix).
    #[error("phone number is not valid for region {region}")]
    NotValid {
        /// The region the number was checked against, as an ISO code.
        region: String,
    },
}

impl PhoneNumber {
    /// Parses a number, reading national numbers (`0812...`) as Indonesian.
    ///
    /// Accepts the usual decorations (spaces, dashes, dots, parentheses, a
    /// leading `+` or international `00` prefix) and numbers that start with
    /// the country code without `+` (`62812...`).
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        Self::parse_with_region(input, DEFAULT_REGION)
    }

    /// Parses a number, reading national numbers as belonging to `region`.
    pub fn parse_with_region(input: &str, region: Region) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        // libphonenumber is lenient with letters (vanity numbers) and stray
        // text; for a messaging address we only accept what people type for
        // a number, so reject anything else up front with a precise reason.
        if let Some(bad) = trimmed.chars().find(|c| {
            !(c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '.' | '(' | ')' | '/' | '\u{a0}'))
        }) {
            return Err(PhoneError::InvalidCharacter(bad));
        }
        if trimmed.chars().skip(1).any(|c| c == '+') {
            return Err(PhoneError::InvalidCharacter('+'));
        }
        let digit_count = trimmed.chars().filter(char::is_ascii_digit).count();
        if digit_count < 5 {
            return Err(PhoneError::TooShort);
        }
        if digit_count > 17 {
            return Err(PhoneError::TooLong);
        }
        let parsed = phonenumber::parse(Some(region), trimmed).map_err(|e| match e {
            phonenumber::ParseError::NoNumber => PhoneError::TooShort,
            phonenumber::ParseError::TooShortAfterIdd | phonenumber::ParseError::TooShortNsn => {
                PhoneError::TooShort
            }
            phonenumber::ParseError::TooLong => PhoneError::TooLong,
            phonenumber::ParseError::InvalidCountryCode => PhoneError::InvalidCountryCode,
            // All-zero and similar inputs leave an empty national number.
            phonenumber::ParseError::MalformedInteger(_) => PhoneError::NotValid {
                region: region.as_ref().to_owned(),
            },
        })?;
        if !phonenumber::is_valid(&parsed) {
            let region = parsed.country().id().map_or_else(
                || format!("+{}", parsed.code().value()),
                |id| id.as_ref().to_owned(),
            );
            return Err(PhoneError::NotValid { region });
        }
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        Ok(Self { e164 })
    }

    /// Builds a number from a WhatsApp id: the digits-with-country-code
    /// form (`6281234567890`) in which the Cloud API and Fonnte report
    /// senders. A leading `+` is accepted.
    ///
    /// WhatsApp has already verified that the account exists, so this
    /// checks only the shape (8 to 15 digits, no leading zero) and that the
    /// country code exists, not libphonenumber's per-region number ranges.
    /// That is much faster than [`PhoneNumber::parse`] (webhook parsing
    /// does it for every event), and keeps messages from new number ranges
    /// that libphonenumber's metadata does not know yet. For Indonesian and
    /// almost all other numbers the result equals what `parse` gives for the
    /// same number.
    pub fn from_wa_id(wa_id: &str) -> Result<Self, PhoneError> {
        let trimmed = wa_id.trim();
        let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(PhoneError::InvalidCharacter(bad));
        }
        if digits.len() < 8 {
            return Err(PhoneError::TooShort);
        }
        if digits.len() > 15 {
            return Err(PhoneError::TooLong);
        }
        if digits.starts_with('0') {
            return Err(PhoneError::InvalidCountryCode);
        }
        // Country calling codes are prefix-free: at most one of the 1-, 2-
        // and 3-digit prefixes is assigned.
        let known = (1..=3).any(|n| {
            digits
                .get(..n)
                .and_then(|p| p.parse::<u16>().ok())
                .is_some_and(|code| phonenumber::metadata::DATABASE.by_code(&code).is_some())
        });
        if !known {
            return Err(PhoneError::InvalidCountryCode);
        }
        Ok(Self {
            e164: format!("+{digits}"),
        })
    }

    /// The number in E.164 form with the leading plus: `+6281234567890`.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The number as digits only, without the plus: `6281234567890`.
    /// This is the wire form the Cloud API, Fonnte and most gateways want.
    pub fn digits(&self) -> &str {
        // e164 always starts with '+', an ASCII byte, so index 1 is a char
        // boundary.
        self.e164.get(1..).unwrap_or_default()
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PhoneNumber").field(&self.e164).finish()
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for PhoneNumber {
    type Error = PhoneError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.e164
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.e164)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_forms_agree() {
        let forms = [
            "0812-3456-7890",
            "+62 812 3456 7890",
            "6281234567890",
            "(0812) 3456-7890",
            "+6281234567890",
            " 0812.3456.7890 ",
        ];
        for f in forms {
            let n = PhoneNumber::parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!(n.e164(), "+6281234567890", "{f}");
            assert_eq!(n.digits(), "6281234567890", "{f}");
            assert_eq!(n.to_string(), "+6281234567890", "{f}");
        }
    }

    #[test]
    fn errors_say_why() {
        assert_eq!(PhoneNumber::parse(""), Err(PhoneError::Empty));
        assert_eq!(PhoneNumber::parse("   "), Err(PhoneError::Empty));
        assert_eq!(
            PhoneNumber::parse("0812abc"),
            Err(PhoneError::InvalidCharacter('a'))
        );
        assert_eq!(PhoneNumber::parse("12"), Err(PhoneError::TooShort));
        assert_eq!(
            PhoneNumber::parse("1234567890123456789"),
            Err(PhoneError::TooLong)
        );
        assert_eq!(
            PhoneNumber::parse("+62+812"),
            Err(PhoneError::InvalidCharacter('+'))
        );
        let r = PhoneNumber::parse("0000 0000");
        assert!(matches!(r, Err(PhoneError::NotValid { .. })), "{r:?}");
    }

    #[test]
    fn other_regions_explicitly() {
        let us = PhoneNumber::parse_with_region("(201) 555-0123", Region::US).unwrap();
        assert_eq!(us.e164(), "+12015550123");
        let my = PhoneNumber::parse_with_region("012-345 6789", Region::MY).unwrap();
        assert_eq!(my.e164(), "+60123456789");
        // An international number parses regardless of the default region.
        let sg = PhoneNumber::parse("+65 8123 4567").unwrap();
        assert_eq!(sg.digits(), "6581234567");
    }

    #[test]
    fn wa_ids() {
        let parsed = PhoneNumber::parse("0812-3456-7890").unwrap();
        assert_eq!(PhoneNumber::from_wa_id("6281234567890").unwrap(), parsed);
        assert_eq!(PhoneNumber::from_wa_id("+6281234567890").unwrap(), parsed);
        assert_eq!(
            PhoneNumber::from_wa_id("16505551234").unwrap(),
            PhoneNumber::parse("+1 650-555-1234").unwrap()
        );
        assert_eq!(PhoneNumber::from_wa_id(""), Err(PhoneError::Empty));
        assert_eq!(
            PhoneNumber::from_wa_id("081234567890"),
            Err(PhoneError::InvalidCountryCode)
        );
        assert_eq!(
            PhoneNumber::from_wa_id("62812x"),
            Err(PhoneError::InvalidCharacter('x'))
        );
        assert_eq!(PhoneNumber::from_wa_id("6281"), Err(PhoneError::TooShort));
        assert_eq!(
            PhoneNumber::from_wa_id("6281234567890123"),
            Err(PhoneError::TooLong)
        );
        // +999 is not an assigned country calling code.
        assert_eq!(
            PhoneNumber::from_wa_id("99912345678"),
            Err(PhoneError::InvalidCountryCode)
        );
        assert!(PhoneNumber::from_wa_id("120363025343298765@g.us").is_err());
    }

    #[test]
    fn serde_is_e164_string() {
        let n = PhoneNumber::parse("081234567890").unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"+6281234567890\"");
        let back: PhoneNumber = serde_json::from_str(&json).unwrap();
        assert_eq!(back, n);
        assert!(serde_json::from_str::<PhoneNumber>("\"hello\"").is_err());
    }
}
