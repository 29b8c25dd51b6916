//! Lenient deserialization helpers for fields the documentation shows
//! sometimes as numbers and sometimes as strings.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

struct StringLenient;

impl<'de> Visitor<'de> for StringLenient {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // Only amounts arrive as JSON floats; Midtrans writes amounts with two
        // decimals, so that is the form kept.
        Ok(Some(format!("{v:.2}")))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(StringLenient)
    }
}

/// A string that may arrive as a JSON number (kept as its decimal text),
/// absent or null.
pub(crate) fn opt_string_lenient<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    d.deserialize_any(StringLenient)
}

/// A string that may arrive as a JSON number; null is an error.
pub(crate) fn string_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_string_lenient(d)?.ok_or_else(|| de::Error::custom("expected a string, found null"))
}

/// A list of messages that may also arrive as a single string, null, or an
/// object of field -> message(s) (Iris `errors`).
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v: serde_json::Value = serde::Deserialize::deserialize(d)?;
    let mut out = Vec::new();
    flatten(&v, None, &mut out);
    Ok(out)
}

fn flatten(v: &serde_json::Value, key: Option<&str>, out: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::Null => {}
        Value::String(s) => out.push(match key {
            Some(k) => format!("{k}: {s}"),
            None => s.clone(),
        }),
        Value::Array(items) => items.iter().for_each(|i| flatten(i, key, out)),
        Value::Object(map) => map.iter().for_each(|(k, i)| flatten(i, Some(k), out)),
        other => out.push(match key {
            Some(k) => format!("{k}: {other}"),
            None => other.to_string(),
        }),
    }
}

/// `Option<Idr>` that treats `""` and null as absent.
pub(crate) fn opt_idr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<crate::Idr>, D::Error> {
    match opt_string_lenient(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => crate::Idr::parse(&s).map(Some).map_err(de::Error::custom),
    }
}

/// Deserializes an unsigned integer that may arrive as a string.
pub(crate) fn opt_u32_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match opt_string_lenient(d)? {
        None => Ok(None),
        Some(s) => s.trim().parse().map(Some).map_err(de::Error::custom),
    }
}
