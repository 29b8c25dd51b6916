//! Buyer types: requests, answers, rows and validation.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{AddressId, BuyerId};
use crate::http::AppError;
use crate::http::i18n::tr;

/// The signed-in buyer of a request (`Authorization: Bearer wsb_...`).
#[derive(Debug, Clone)]
pub struct CurrentBuyer {
    /// The buyer.
    pub buyer_id: BuyerId,
    /// The session the token belongs to.
    pub session_id: String,
}

/// Ask for a sign-in code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RequestCode {
    /// WhatsApp number (`0812...`, `+62 812-...`, `62812...`).
    pub whatsapp: String,
    /// `id` (default) or `en`: the language of the code message and, for a
    /// new buyer, of later messages.
    pub locale: Option<String>,
}

/// A code was sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    /// Pass it back with the code.
    pub challenge_id: String,
    /// When the code expires (unix ms).
    pub expires_at: i64,
    /// Seconds before another code may be requested.
    pub resend_after_secs: u64,
}

/// Sign in with the code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyCode {
    /// From [`CodeSent`].
    pub challenge_id: String,
    /// The code received over WhatsApp.
    pub code: String,
    /// A name for a new account (kept for an existing one).
    pub name: Option<String>,
    /// `id` or `en` for a new account.
    pub locale: Option<String>,
}

/// A buyer's session.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuyerSession {
    /// The bearer token (shown once).
    pub token: String,
    /// When it expires (unix ms).
    pub expires_at: i64,
    /// Whether this sign-in created the account.
    pub created: bool,
    /// The buyer.
    pub buyer: Buyer,
}

/// A buyer as shown to itself.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Buyer {
    /// Id.
    pub id: BuyerId,
    /// WhatsApp number (E.164).
    pub whatsapp: String,
    /// Name, once given.
    pub name: Option<String>,
    /// `id` or `en`.
    pub locale: String,
    /// Created (unix ms).
    pub created_at: i64,
}

/// Change the buyer's name or language.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateBuyer {
    /// New name.
    pub name: Option<String>,
    /// `id` or `en`.
    pub locale: Option<String>,
}

/// A new shipping address.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAddress {
    /// E.g. "Rumah", "Kantor".
    pub label: String,
    /// Who receives the parcel.
    pub recipient: String,
    /// The recipient's phone number.
    pub phone: String,
    /// Street, number, RT/RW, district.
    pub street: String,
    /// City or regency.
    pub city: String,
    /// Province.
    pub province: String,
    /// Five-digit postal code.
    pub postal_code: String,
}

/// A shipping address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Address {
    /// Id.
    pub id: AddressId,
    /// Label.
    pub label: String,
    /// Recipient.
    pub recipient: String,
    /// Phone (E.164).
    pub phone: String,
    /// Street.
    pub street: String,
    /// City.
    pub city: String,
    /// Province.
    pub province: String,
    /// Postal code.
    pub postal_code: String,
}

/// A required text of at most `max` characters, trimmed.
pub(crate) fn text_field(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::bad_request(
            "invalid_field",
            tr!("{field}: wajib diisi", "{field}: is required"),
        ));
    }
    if v.chars().count() > max {
        return Err(AppError::bad_request(
            "invalid_field",
            tr!(
                "{field}: paling banyak {max} karakter",
                "{field}: at most {max} characters"
            ),
        ));
    }
    Ok(v.to_owned())
}

/// `id` or `en`.
pub(crate) fn locale(value: &str) -> Result<String, AppError> {
    match value.trim() {
        "id" => Ok("id".to_owned()),
        "en" => Ok("en".to_owned()),
        _ => Err(AppError::bad_request(
            "invalid_locale",
            tr!("locale: pilih id atau en", "locale: choose id or en"),
        )),
    }
}

impl NewAddress {
    /// The address with every field checked and trimmed.
    pub(crate) fn validate(&self) -> Result<NewAddress, AppError> {
        let postal_code = self.postal_code.trim().to_owned();
        if postal_code.len() != 5 || !postal_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::bad_request(
                "invalid_field",
                tr!(
                    "postal_code: harus 5 angka",
                    "postal_code: must be 5 digits"
                ),
            ));
        }
        Ok(NewAddress {
            label: text_field("label", &self.label, 40)?,
            recipient: text_field("recipient", &self.recipient, 100)?,
            phone: crate::phone::normalize(&self.phone)?,
            street: text_field("street", &self.street, 300)?,
            city: text_field("city", &self.city, 100)?,
            province: text_field("province", &self.province, 100)?,
            postal_code,
        })
    }
}
