//! WhatsApp number normalisation for the API (E.164, default region
//! Indonesia: `0812...`, `+62 812-...` and `62812...` are one number).

use whatsapp_client::PhoneError;

use crate::http::AppError;
use crate::http::i18n::{Text, tr};

/// 400 `invalid_phone_number` for the request field `field` (`to`,
/// `phone`, ...), saying in both languages what is wrong with the number.
pub fn invalid(field: &str, e: &PhoneError) -> AppError {
    AppError::bad_request("invalid_phone_number", why(e).about(field))
}

/// What is wrong with a number, in both languages.
pub fn why(e: &PhoneError) -> Text {
    match e {
        PhoneError::Empty => Text::new("nomor telepon kosong", "the phone number is empty"),
        PhoneError::InvalidCharacter(c) => tr!(
            "nomor telepon berisi karakter yang tidak valid {c:?}",
            "the phone number contains an invalid character {c:?}"
        ),
        PhoneError::TooShort => Text::new(
            "nomor telepon terlalu pendek",
            "the phone number is too short",
        ),
        PhoneError::TooLong => Text::new(
            "nomor telepon terlalu panjang",
            "the phone number is too long",
        ),
        PhoneError::InvalidCountryCode => Text::new(
            "kode negara nomor telepon tidak dikenal",
            "the phone number has an unknown country code",
        ),
        PhoneError::NotValid { region } => tr!(
            "nomor telepon tidak valid untuk wilayah {region}",
            "the phone number is not valid for region {region}"
        ),
        // A variant added later: its own (English) text.
        other => {
            let other = other.to_string();
            tr!("nomor telepon tidak valid ({other})", "{other}")
        }
    }
}

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
                Text::new(
                    "nomor WhatsApp ini bukan nomor telepon yang valid",
                    "the WhatsApp number is not a valid phone number",
                ),
            )
        })?;
    Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::http::i18n::Lang;

    #[test]
    fn indonesian_forms_agree() {
        for s in ["081234567890", "+62 812-3456-7890", "6281234567890"] {
            assert_eq!(normalize(s).unwrap(), "+6281234567890", "{s}");
        }
        assert!(normalize("12").is_err());
        assert!(normalize("not a number").is_err());
    }

    #[test]
    fn invalid_numbers_are_explained_in_both_languages() {
        let texts = |e: PhoneError| match invalid("to", &e) {
            AppError::BadRequest { code, message } => {
                assert_eq!(code, "invalid_phone_number");
                (
                    message.get(Lang::Id).to_owned(),
                    message.get(Lang::En).to_owned(),
                )
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            texts(PhoneError::TooShort),
            (
                "to: nomor telepon terlalu pendek".to_owned(),
                "to: the phone number is too short".to_owned()
            )
        );
        let (id, en) = texts(PhoneError::NotValid {
            region: "ID".into(),
        });
        assert_eq!(id, "to: nomor telepon tidak valid untuk wilayah ID");
        assert_eq!(en, "to: the phone number is not valid for region ID");
        let parsed = whatsapp_client::PhoneNumber::parse("0812-abc").unwrap_err();
        let (id, en) = texts(parsed);
        assert!(id.starts_with("to: nomor telepon"), "{id}");
        assert!(en.starts_with("to: the phone number"), "{en}");
    }
}
