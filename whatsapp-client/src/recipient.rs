//! Whom a message goes to (and who sent one): a phone number, or a
//! business-scoped user id when WhatsApp does not share the number.
//!
//! With WhatsApp usernames a customer may hide their phone number from a
//! business. The Cloud API then names them by a *business-scoped user id*
//! (BSUID): `US.13491208655302741918`, a two-letter country code, a period
//! and up to 128 letters and digits; a *parent* id shared by the portfolios
//! of one enterprise has `ENT` between the two (`US.ENT.11815799212886844830`).
//! Webhooks carry it as `from_user_id` / `contacts[].user_id`; a send names
//! it in `recipient` instead of `to`. A customer who changes their phone
//! number gets a new id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::phone::{PhoneError, PhoneNumber};

/// Most letters and digits after the country code (and `ENT.`).
pub const USER_ID_MAX_LEN: usize = 128;

/// A business-scoped user id (BSUID), e.g. `US.13491208655302741918`: how
/// the Cloud API names a WhatsApp user to one business, with or without a
/// phone number.
///
/// Built only by [`UserId::parse`], which checks the documented shape: two
/// ASCII capital letters (the country), a period, optionally `ENT.` (a
/// parent id), then 1 to [`USER_ID_MAX_LEN`] ASCII letters and digits. The
/// id is otherwise opaque: it is kept, compared and sent back exactly as
/// given.
///
/// ```
/// use whatsapp_client::UserId;
///
/// let id = UserId::parse("US.13491208655302741918").unwrap();
/// assert_eq!(id.as_str(), "US.13491208655302741918");
/// assert!(UserId::parse("US.ENT.11815799212886844830").unwrap().is_parent());
/// assert!(UserId::parse("13491208655302741918").is_err());
/// assert!(UserId::parse("us.1349").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

/// Why a string is not a business-scoped user id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserIdError {
    /// The input was empty or only whitespace.
    #[error("business-scoped user id is empty")]
    Empty,
    /// The input does not have the documented shape.
    #[error(
        "business-scoped user id must be a two-letter country code, a period and letters or digits (e.g. `US.13491208655302741918`)"
    )]
    Malformed,
    /// More than [`USER_ID_MAX_LEN`] letters and digits after the prefix.
    #[error("business-scoped user id is longer than {USER_ID_MAX_LEN} characters after its prefix")]
    TooLong,
}

impl UserId {
    /// Parses a business-scoped user id (surrounding whitespace is
    /// ignored; the rest is kept as given).
    pub fn parse(input: &str) -> Result<Self, UserIdError> {
        let id = input.trim();
        if id.is_empty() {
            return Err(UserIdError::Empty);
        }
        let (country, rest) = id.split_once('.').ok_or(UserIdError::Malformed)?;
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(UserIdError::Malformed);
        }
        let local = rest.strip_prefix("ENT.").unwrap_or(rest);
        if local.is_empty() || !local.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(UserIdError::Malformed);
        }
        if local.len() > USER_ID_MAX_LEN {
            return Err(UserIdError::TooLong);
        }
        Ok(Self(id.to_owned()))
    }

    /// The id as the provider gave it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-letter country code the id starts with.
    pub fn country(&self) -> &str {
        self.0.get(..2).unwrap_or_default()
    }

    /// Whether this is a parent id (`CC.ENT....`), shared by the business
    /// portfolios of one enterprise.
    pub fn is_parent(&self) -> bool {
        self.0.get(2..7) == Some(".ENT.")
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for UserId {
    type Err = UserIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for UserId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Whom a message goes to, or who sent one: a phone number, or only a
/// business-scoped user id when WhatsApp does not share the number.
///
/// [`crate::Provider::send_to`] sends to either; providers that can only
/// address phone numbers (Fonnte, generic gateways) refuse a user id with
/// [`crate::Error::UnsupportedRecipient`]. The text form ([`fmt::Display`],
/// [`FromStr`], serde) is E.164 for a number (`+6281234567890`) and the id
/// as given for a user id; the two never look alike, so the text form is a
/// usable key for a conversation.
///
/// ```
/// use whatsapp_client::{PhoneNumber, Recipient};
///
/// let phone: Recipient = "+6281234567890".parse().unwrap();
/// assert_eq!(phone.phone(), Some(&PhoneNumber::parse("081234567890").unwrap()));
/// let user: Recipient = "ID.1502576394655843".parse().unwrap();
/// assert_eq!(user.user_id().map(|u| u.as_str()), Some("ID.1502576394655843"));
/// assert_eq!(user.to_string(), "ID.1502576394655843");
/// assert_eq!(user.kind(), "user_id");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Recipient {
    /// A phone number.
    Phone(PhoneNumber),
    /// A business-scoped user id (no phone number known).
    UserId(UserId),
}

/// Why a string names neither a phone number nor a business-scoped user id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecipientError {
    /// It has the shape of a user id (`CC.`...) but is not a valid one.
    #[error(transparent)]
    UserId(#[from] UserIdError),
    /// It is not a valid phone number.
    #[error(transparent)]
    Phone(#[from] PhoneError),
}

impl Recipient {
    /// Parses a phone number in any common format (Indonesia by default,
    /// see [`PhoneNumber::parse`]) or a business-scoped user id: input
    /// that starts with two letters and a period is read as a user id.
    /// The text form of a number (`+` and digits only, as
    /// [`fmt::Display`] writes it) is read like a WhatsApp id
    /// ([`PhoneNumber::from_wa_id`]), so every number a webhook gave
    /// round-trips through its text form.
    pub fn parse(input: &str) -> Result<Self, RecipientError> {
        let t = input.trim();
        if let Some(digits) = t.strip_prefix('+')
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Ok(Self::Phone(PhoneNumber::from_wa_id(t)?));
        }
        let looks_like_user_id = t.as_bytes().get(2) == Some(&b'.')
            && t.as_bytes()
                .get(..2)
                .is_some_and(|p| p.iter().all(u8::is_ascii_alphabetic));
        if looks_like_user_id {
            Ok(Self::UserId(UserId::parse(t)?))
        } else {
            Ok(Self::Phone(PhoneNumber::parse(t)?))
        }
    }

    /// The phone number, if this is one.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        match self {
            Self::Phone(p) => Some(p),
            Self::UserId(_) => None,
        }
    }

    /// The business-scoped user id, if this is one.
    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Self::UserId(u) => Some(u),
            Self::Phone(_) => None,
        }
    }

    /// `phone` or `user_id`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Phone(_) => "phone",
            Self::UserId(_) => "user_id",
        }
    }
}

impl fmt::Display for Recipient {
    /// E.164 for a phone number (`+6281234567890`), the id as given for a
    /// user id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Phone(p) => fmt::Display::fmt(p, f),
            Self::UserId(u) => fmt::Display::fmt(u, f),
        }
    }
}

impl FromStr for Recipient {
    type Err = RecipientError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<PhoneNumber> for Recipient {
    fn from(p: PhoneNumber) -> Self {
        Self::Phone(p)
    }
}

impl From<&PhoneNumber> for Recipient {
    fn from(p: &PhoneNumber) -> Self {
        Self::Phone(p.clone())
    }
}

impl From<UserId> for Recipient {
    fn from(u: UserId) -> Self {
        Self::UserId(u)
    }
}

impl From<&UserId> for Recipient {
    fn from(u: &UserId) -> Self {
        Self::UserId(u.clone())
    }
}

impl PartialEq<PhoneNumber> for Recipient {
    fn eq(&self, other: &PhoneNumber) -> bool {
        self.phone() == Some(other)
    }
}

impl PartialEq<UserId> for Recipient {
    fn eq(&self, other: &UserId) -> bool {
        self.user_id() == Some(other)
    }
}

impl Serialize for Recipient {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Recipient {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_shapes() {
        for ok in [
            "US.13491208655302741918",
            "BR.1502576394655843",
            "ID.a1B2c3",
            "US.ENT.11815799212886844830",
            " IN.1648738043044942 ",
        ] {
            let id = UserId::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(id.as_str(), ok.trim());
        }
        assert_eq!(UserId::parse(""), Err(UserIdError::Empty));
        assert_eq!(UserId::parse("  "), Err(UserIdError::Empty));
        for bad in [
            "BSUID_123",
            "US",
            "US.",
            "us.123",
            "USA.123",
            "U.123",
            "US.12-3",
            "US.ENT.",
            "US.X.123",
            "US.123.456",
            "+6281234567890",
            "US.13 49",
        ] {
            assert_eq!(UserId::parse(bad), Err(UserIdError::Malformed), "{bad}");
        }
        let longest = format!("US.{}", "9".repeat(USER_ID_MAX_LEN));
        assert!(UserId::parse(&longest).is_ok());
        let too_long = format!("US.{}", "9".repeat(USER_ID_MAX_LEN + 1));
        assert_eq!(UserId::parse(&too_long), Err(UserIdError::TooLong));
        let parent = UserId::parse("US.ENT.118").unwrap();
        assert!(parent.is_parent());
        assert_eq!(parent.country(), "US");
        assert!(!UserId::parse("US.ENTER1").unwrap().is_parent());
    }

    #[test]
    fn recipient_text_form_round_trips() {
        // +972 98 765 4321 is not in libphonenumber's ranges, but WhatsApp
        // sends such ids; its text form still reads back.
        for s in [
            "+6281234567890",
            "+972987654321",
            "ID.1502576394655843",
            "US.ENT.118",
        ] {
            let r = Recipient::parse(s).unwrap();
            assert_eq!(r.to_string(), s);
            assert_eq!(Recipient::parse(&r.to_string()).unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Recipient>(&json).unwrap(), r);
        }
        assert_eq!(
            Recipient::parse("0812-3456-7890").unwrap(),
            PhoneNumber::parse("+6281234567890").unwrap()
        );
        assert!(matches!(
            Recipient::parse("id.123"),
            Err(RecipientError::UserId(UserIdError::Malformed))
        ));
        assert!(matches!(
            Recipient::parse("hello"),
            Err(RecipientError::Phone(_))
        ));
        assert!(serde_json::from_str::<UserId>("\"BSUID_123\"").is_err());
    }
}
