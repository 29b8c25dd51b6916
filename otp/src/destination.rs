//! Where a code is sent.

use std::fmt;

use crate::error::InvalidRequest;

/// Where a code is sent: a phone number (WhatsApp, SMS), an email address,
/// or an address of an app-defined channel.
///
/// Values are normalised on construction, so `+62 812-3456-7890` and
/// `6281234567890` (through `whatsapp-client`'s `PhoneNumber`) are the same
/// destination for the send limits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Destination(Inner);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Inner {
    Phone(String),
    Email(String),
    Other { scheme: String, value: String },
}

/// Longest accepted address, in bytes.
const MAX_VALUE: usize = 320;

impl Destination {
    /// A phone number that is already in E.164 form: `+`, then 8 to 15
    /// digits, the first not zero. To accept what users type (`0812...`),
    /// parse it with `whatsapp_client::PhoneNumber` and use
    /// [`Destination::phone`].
    pub fn phone_e164(e164: &str) -> Result<Self, InvalidRequest> {
        let digits = e164.strip_prefix('+').ok_or(InvalidRequest::Destination(
            "phone number must start with '+'",
        ))?;
        let ok = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(Self(Inner::Phone(e164.to_owned())))
        } else {
            Err(InvalidRequest::Destination(
                "phone number must be '+' and 8 to 15 digits",
            ))
        }
    }

    /// A phone number parsed by `whatsapp-client`.
    #[cfg(feature = "whatsapp")]
    pub fn phone(number: &whatsapp_client::PhoneNumber) -> Self {
        Self(Inner::Phone(number.e164().to_owned()))
    }

    /// An email address (trimmed; the domain is lowercased). Only the shape
    /// is checked: one `@`, something on both sides, a dot in the domain, no
    /// spaces.
    pub fn email(address: &str) -> Result<Self, InvalidRequest> {
        let address = address.trim();
        let (local, domain) = address
            .rsplit_once('@')
            .ok_or(InvalidRequest::Destination("email address needs an '@'"))?;
        let ok = !local.is_empty()
            && !domain.is_empty()
            && address.len() <= MAX_VALUE
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !local.contains('@')
            && !address.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Self(Inner::Email(format!(
                "{local}@{}",
                domain.to_ascii_lowercase()
            ))))
        } else {
            Err(InvalidRequest::Destination("not an email address"))
        }
    }

    /// An address for an app-defined channel, e.g. `("telegram", "12345")`.
    /// The scheme is 1 to 32 characters of `a-z`, `0-9`, `-`, and not `tel`
    /// or `mailto`; the value is 1 to 320 bytes without control characters.
    pub fn other(scheme: &str, value: &str) -> Result<Self, InvalidRequest> {
        let scheme_ok = !scheme.is_empty()
            && scheme.len() <= 32
            && scheme
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && scheme != "tel"
            && scheme != "mailto";
        let value_ok =
            !value.is_empty() && value.len() <= MAX_VALUE && !value.chars().any(char::is_control);
        if scheme_ok && value_ok {
            Ok(Self(Inner::Other {
                scheme: scheme.to_owned(),
                value: value.to_owned(),
            }))
        } else {
            Err(InvalidRequest::Destination("invalid scheme or address"))
        }
    }

    /// The phone number in E.164 form, when this is a phone destination.
    pub fn as_phone_e164(&self) -> Option<&str> {
        match &self.0 {
            Inner::Phone(p) => Some(p),
            _ => None,
        }
    }

    /// The email address, when this is an email destination.
    pub fn as_email(&self) -> Option<&str> {
        match &self.0 {
            Inner::Email(e) => Some(e),
            _ => None,
        }
    }

    /// The scheme and address, when this is an app-defined destination.
    pub fn as_other(&self) -> Option<(&str, &str)> {
        match &self.0 {
            Inner::Other { scheme, value } => Some((scheme, value)),
            _ => None,
        }
    }

    /// The stable form the store keeps: `tel:+62...`, `mailto:a@b.c` or
    /// `scheme:value`.
    pub fn to_key(&self) -> String {
        match &self.0 {
            Inner::Phone(p) => format!("tel:{p}"),
            Inner::Email(e) => format!("mailto:{e}"),
            Inner::Other { scheme, value } => format!("{scheme}:{value}"),
        }
    }

    /// Parses the form produced by [`Destination::to_key`].
    pub fn from_key(key: &str) -> Result<Self, InvalidRequest> {
        let (scheme, value) = key.split_once(':').ok_or(InvalidRequest::Destination(
            "stored destination has no scheme",
        ))?;
        match scheme {
            "tel" => Self::phone_e164(value),
            "mailto" => Self::email(value),
            _ => Self::other(scheme, value),
        }
    }

    /// A partly hidden form to show on screen ("we sent a code to ..."):
    /// `+6281******890`, `b***@example.com`.
    pub fn masked(&self) -> String {
        fn mask(s: &str, keep_start: usize, keep_end: usize) -> String {
            let chars: Vec<char> = s.chars().collect();
            if chars.len() <= keep_start + keep_end {
                return "*".repeat(chars.len());
            }
            let mut out: String = chars[..keep_start].iter().collect();
            out.push_str(&"*".repeat(chars.len() - keep_start - keep_end));
            out.extend(&chars[chars.len() - keep_end..]);
            out
        }
        match &self.0 {
            Inner::Phone(p) => mask(p, 5, 3),
            Inner::Email(e) => match e.rsplit_once('@') {
                Some((local, domain)) => format!("{}@{domain}", mask(local, 1, 0)),
                None => mask(e, 1, 0),
            },
            Inner::Other { scheme, value } => format!("{scheme}:{}", mask(value, 2, 2)),
        }
    }
}

/// Shows the masked form, so logs never carry a full phone number or address.
impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Destination({})", self.masked())
    }
}

/// Shows the full address (E.164 number, email address or `scheme:value`).
impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Phone(p) => f.write_str(p),
            Inner::Email(e) => f.write_str(e),
            Inner::Other { scheme, value } => write!(f, "{scheme}:{value}"),
        }
    }
}

#[cfg(feature = "whatsapp")]
impl From<whatsapp_client::PhoneNumber> for Destination {
    fn from(number: whatsapp_client::PhoneNumber) -> Self {
        Self::phone(&number)
    }
}

#[cfg(feature = "whatsapp")]
impl From<&whatsapp_client::PhoneNumber> for Destination {
    fn from(number: &whatsapp_client::PhoneNumber) -> Self {
        Self::phone(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_must_be_e164() {
        let d = Destination::phone_e164("+6281234567890").unwrap();
        assert_eq!(d.as_phone_e164(), Some("+6281234567890"));
        assert_eq!(d.to_key(), "tel:+6281234567890");
        for bad in [
            "081234567890",
            "+0812345678",
            "+62812",
            "+62 812 3456",
            "+6281234567890123",
        ] {
            assert!(Destination::phone_e164(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_trimmed_and_domain_lowercased() {
        let d = Destination::email("  Budi.Santoso@Example.CO.ID ").unwrap();
        assert_eq!(d.as_email(), Some("Budi.Santoso@example.co.id"));
        for bad in [
            "budi",
            "@example.com",
            "budi@",
            "budi@localhost",
            "bu di@x.id",
            "a@b@c.id",
        ] {
            assert!(Destination::email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_round_trip() {
        let all = [
            Destination::phone_e164("+6281234567890").unwrap(),
            Destination::email("budi@example.com").unwrap(),
            Destination::other("telegram", "12345").unwrap(),
        ];
        for d in all {
            assert_eq!(Destination::from_key(&d.to_key()).unwrap(), d);
        }
        assert!(Destination::other("tel", "+62812").is_err());
        assert!(Destination::from_key("no-scheme").is_err());
    }

    #[test]
    fn masked_and_debug_hide_most_of_the_address() {
        let phone = Destination::phone_e164("+6281234567890").unwrap();
        assert_eq!(phone.masked(), "+6281******890");
        assert_eq!(format!("{phone:?}"), "Destination(+6281******890)");
        assert_eq!(phone.to_string(), "+6281234567890");
        let email = Destination::email("budi@example.com").unwrap();
        assert_eq!(email.masked(), "b***@example.com");
    }
}
