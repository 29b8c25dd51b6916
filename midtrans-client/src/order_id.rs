//! Validated order ids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// The longest order id Midtrans accepts.
pub const ORDER_ID_MAX_LEN: usize = 50;

/// A merchant order id as Midtrans accepts it: 1 to 50 characters, each an
/// ASCII letter, a digit, `-`, `_`, `~` or `.`.
///
/// Parse, don't validate: holding an `OrderId` means the value is valid.
/// Order ids are still percent-encoded whenever they go into a URL path.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct OrderId(String);

/// Why a text is not a valid [`OrderId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidOrderId {
    /// The text was empty.
    #[error("order id is empty")]
    Empty,
    /// The text was longer than [`ORDER_ID_MAX_LEN`] characters.
    #[error("order id is {len} characters long, the maximum is {ORDER_ID_MAX_LEN}")]
    TooLong {
        /// The length that was given.
        len: usize,
    },
    /// The text contained a character Midtrans does not allow.
    #[error(
        "order id contains {found:?} at position {position}; allowed are letters, digits, '-', '_', '~' and '.'"
    )]
    BadCharacter {
        /// The offending character.
        found: char,
        /// Its index (in characters).
        position: usize,
    },
}

impl OrderId {
    /// Validates `id`.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidOrderId> {
        let id = id.into();
        Self::check(&id)?;
        Ok(OrderId(id))
    }

    fn check(id: &str) -> Result<(), InvalidOrderId> {
        if id.is_empty() {
            return Err(InvalidOrderId::Empty);
        }
        for (position, found) in id.chars().enumerate() {
            if !is_allowed(found) {
                return Err(InvalidOrderId::BadCharacter { found, position });
            }
        }
        // All characters are ASCII here, so bytes == characters.
        if id.len() > ORDER_ID_MAX_LEN {
            return Err(InvalidOrderId::TooLong { len: id.len() });
        }
        Ok(())
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the id, returning the text.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Whether Midtrans allows `c` in an order id.
#[must_use]
pub(crate) fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '~' | '.')
}

impl fmt::Debug for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OrderId").field(&self.0).finish()
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for OrderId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for OrderId {
    type Err = InvalidOrderId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderId::new(s)
    }
}

impl TryFrom<String> for OrderId {
    type Error = InvalidOrderId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        OrderId::new(s)
    }
}

impl TryFrom<&str> for OrderId {
    type Error = InvalidOrderId;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        OrderId::new(s)
    }
}

impl<'de> Deserialize<'de> for OrderId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        OrderId::new(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_documented_characters() {
        assert!(OrderId::new("ORDER-101_a~b.c").is_ok());
        assert!(OrderId::new("a".repeat(50)).is_ok());
    }

    #[test]
    fn rejects_bad_ids() {
        assert_eq!(OrderId::new(""), Err(InvalidOrderId::Empty));
        assert_eq!(
            OrderId::new("a".repeat(51)),
            Err(InvalidOrderId::TooLong { len: 51 })
        );
        assert_eq!(
            OrderId::new("a/b"),
            Err(InvalidOrderId::BadCharacter {
                found: '/',
                position: 1
            })
        );
        assert!(OrderId::new("a b").is_err());
        assert!(OrderId::new("é").is_err());
        assert!(serde_json::from_str::<OrderId>("\"a?b\"").is_err());
    }
}
