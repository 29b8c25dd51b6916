//! A compact binary form of serde types (postcard) for a plugin's
//! `Plugin::prepare` and `Plugin::from_prepared`: decoding it is several
//! times cheaper than parsing the same data from JSON.

/// Encodes `value`.
///
/// # Errors
/// When `value` cannot be serialized (e.g. a map with non-string keys
/// is fine, but a type whose `Serialize` fails is not).
pub fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(value).map_err(|e| format!("cannot encode the configuration: {e}"))
}

/// Decodes what [`encode`] made.
///
/// # Errors
/// When the bytes are not an encoding of `T`.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    postcard::from_bytes(bytes)
        .map_err(|e| format!("cannot decode the prepared configuration: {e}"))
}
