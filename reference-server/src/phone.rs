//! WhatsApp number normalisation for the API (E.164, default region
//! Indonesia: `0812...`, `+62 812-...` and `62812...` are one number).

use crate::http::AppError;

/// Parses a phone number into E.164 (`+62812...`) or answers 400
/// `invalid_phone_number`.
pub fn normalize(input: &str) -> Result<String, AppError> {
    let trimmed = input.trim();
    // `62812...` without the plus is common in Indonesia.
    let candidate = if trimmed.starts_with("62") && trimmed.chars().all(|c| c.is_ascii_digit()) {
        format!("+{trimmed}")
    } else {
        trimmed.to_owned()
    };
    let parsed = phonenumber::parse(Some(phonenumber::country::Id::ID), &candidate)
        .ok()
        .filter(phonenumber::PhoneNumber::is_valid)
        .ok_or_else(|| {
            AppError::bad_request(
                "invalid_phone_number",
                "the WhatsApp number is not a valid phone number",
            )
        })?;
    Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn indonesian_forms_agree() {
        for s in ["081234567890", "+62 812-3456-7890", "6281234567890"] {
            assert_eq!(normalize(s).unwrap(), "+6281234567890", "{s}");
        }
        assert!(normalize("12").is_err());
        assert!(normalize("not a number").is_err());
    }
}
