//! Money in Indonesian rupiah.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of Indonesian rupiah as a whole number.
///
/// Midtrans only accepts whole rupiah: a float never appears here. Requests
/// send it as a JSON integer; responses, which often carry `"145000.00"`,
/// are read leniently (integer, or a string with an all-zero fraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Idr(i64);

impl Idr {
    /// Zero rupiah.
    pub const ZERO: Idr = Idr(0);

    /// Wraps a number of rupiah.
    #[must_use]
    pub const fn new(rupiah: i64) -> Self {
        Idr(rupiah)
    }

    /// The number of rupiah.
    #[must_use]
    pub const fn rupiah(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: Idr) -> Option<Idr> {
        self.0.checked_add(other.0).map(Idr)
    }

    /// `self * n`, or `None` on overflow.
    #[must_use]
    pub fn checked_mul(self, n: i64) -> Option<Idr> {
        self.0.checked_mul(n).map(Idr)
    }

    /// Parses the text forms Midtrans uses: `"145000"`, `"145000.00"`,
    /// `"145000.0"`. A non-zero fraction is rejected: rupiah have no cents.
    pub fn parse(text: &str) -> Result<Idr, ParseIdrError> {
        let text = text.trim();
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        if let Some(frac) = frac
            && (frac.is_empty() || !frac.bytes().all(|b| b == b'0'))
        {
            return Err(ParseIdrError(text.to_owned()));
        }
        let digits = whole.strip_prefix('-').unwrap_or(whole);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseIdrError(text.to_owned()));
        }
        whole
            .parse::<i64>()
            .map(Idr)
            .map_err(|_| ParseIdrError(text.to_owned()))
    }

    /// The two-decimal text form Midtrans puts in `gross_amount`
    /// (`"145000.00"`).
    #[must_use]
    pub fn to_decimal_string(self) -> String {
        format!("{}.00", self.0)
    }
}

impl From<i64> for Idr {
    fn from(v: i64) -> Self {
        Idr(v)
    }
}

impl fmt::Display for Idr {
    /// Formats as `Rp 145.000` (Indonesian thousands separator).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        if self.0 < 0 {
            write!(f, "-Rp {grouped}")
        } else {
            write!(f, "Rp {grouped}")
        }
    }
}

/// The text was not a whole rupiah amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a whole rupiah amount: {0:?}")]
pub struct ParseIdrError(String);

impl Serialize for Idr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Idr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Idr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole rupiah amount as a number or a string")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Idr, E> {
                Ok(Idr(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Idr, E> {
                i64::try_from(v)
                    .map(Idr)
                    .map_err(|_| E::custom("rupiah amount out of range"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Idr, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(Idr(v as i64))
                } else {
                    Err(E::custom("rupiah amount with a fraction"))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Idr, E> {
                Idr::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Serializes an [`Idr`] as a JSON string of digits (`"14000"`), the form
/// the Subscription API wants.
pub(crate) mod as_string {
    use super::Idr;
    use serde::Serializer;

    pub(crate) fn serialize<S: Serializer>(v: &Idr, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&v.0)
    }
}

/// Serializes an [`Idr`] as a two-decimal string (`"100000.00"`), the form
/// Iris wants.
pub(crate) mod as_decimal_string {
    use super::Idr;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &Idr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_decimal_string())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Idr, D::Error> {
        Idr::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_midtrans_forms() {
        assert_eq!(Idr::parse("145000.00"), Ok(Idr(145000)));
        assert_eq!(Idr::parse("145000"), Ok(Idr(145000)));
        assert_eq!(Idr::parse("-5000.0"), Ok(Idr(-5000)));
        assert!(Idr::parse("145000.50").is_err());
        assert!(Idr::parse("1e5").is_err());
        assert!(Idr::parse("").is_err());
        assert!(Idr::parse("12.").is_err());
    }

    #[test]
    fn displays_with_dots() {
        assert_eq!(Idr(1_450_000).to_string(), "Rp 1.450.000");
        assert_eq!(Idr(999).to_string(), "Rp 999");
        assert_eq!(Idr(-1000).to_string(), "-Rp 1.000");
    }

    #[test]
    fn serde_round_trip() {
        assert_eq!(serde_json::to_string(&Idr(10)).unwrap(), "10");
        let v: Idr = serde_json::from_str("\"10000.00\"").unwrap();
        assert_eq!(v, Idr(10000));
        let v: Idr = serde_json::from_str("10000").unwrap();
        assert_eq!(v, Idr(10000));
        assert!(serde_json::from_str::<Idr>("10.5").is_err());
    }
}
