//! What a webhook call answers, and the texts of its refusals.

use serde::Serialize;
use utoipa::ToSchema;
use whatsapp_client::webhook;

use crate::http::AppError;
use crate::http::i18n::{Text, tr};

/// Header carrying the device token for Fonnte and gateway webhooks (the
/// alternative to `?token=`).
pub const TOKEN_HEADER: &str = "x-webhook-token";

/// What a webhook call did, for the provider's logs and for tests.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct WebhookSummary {
    /// New inbound messages stored.
    pub messages: u32,
    /// Inbound messages already seen (provider retries), ignored.
    pub duplicates: u32,
    /// Replies sent by the bot.
    pub replies: u32,
    /// Stored messages whose status changed.
    pub statuses: u32,
    /// Device connection reports that changed the device's state.
    pub connection_changes: u32,
    /// Events that were not messages, statuses or connection reports.
    pub ignored: u32,
}

pub(super) fn unauthorized(message: Text) -> AppError {
    AppError::forbidden("webhook_unauthorized", message)
}

/// Why Meta's subscription handshake was refused, in both languages.
pub(super) fn handshake_refused(e: &webhook::HandshakeError) -> Text {
    match e {
        webhook::HandshakeError::BadMode => Text::new(
            "hub.mode harus \"subscribe\"",
            "hub.mode must be \"subscribe\"",
        ),
        webhook::HandshakeError::TokenMismatch => Text::new(
            "hub.verify_token tidak cocok",
            "hub.verify_token does not match",
        ),
        webhook::HandshakeError::MissingChallenge => {
            Text::new("hub.challenge tidak ada", "hub.challenge is missing")
        }
        other => {
            let other = other.to_string();
            tr!("handshake langganan ditolak: {other}", "{other}")
        }
    }
}

/// 403 for a failed signature check, in both languages.
pub(super) fn bad_signature(e: &webhook::SignatureError) -> AppError {
    let (id, en) = match e {
        webhook::SignatureError::Missing => (
            "header tanda tangan tidak ada atau kosong",
            "signature header is missing or empty",
        ),
        webhook::SignatureError::Malformed => (
            "format header tanda tangan salah",
            "signature header is malformed",
        ),
        webhook::SignatureError::Mismatch => {
            ("tanda tangan tidak cocok", "signature does not match")
        }
        other => {
            let other = other.to_string();
            return unauthorized(tr!(
                "pemeriksaan tanda tangan gagal: {other}",
                "signature check failed: {other}"
            ));
        }
    };
    unauthorized(tr!(
        "pemeriksaan tanda tangan gagal: {id}",
        "signature check failed: {en}"
    ))
}

/// 400 `invalid_webhook` for a body the provider's parser refused; the
/// decoder's own detail is kept.
pub(super) fn invalid_webhook(e: &webhook::ParseError) -> AppError {
    let message = match e {
        webhook::ParseError::Syntax { format, message } => tr!(
            "isi webhook bukan {format} yang valid: {message}",
            "webhook body is not valid {format}: {message}"
        ),
        webhook::ParseError::Shape(detail) => tr!(
            "bentuk isi webhook tidak sesuai: {detail}",
            "webhook body has an unexpected shape: {detail}"
        ),
        other => {
            let other = other.to_string();
            tr!("webhook tidak valid: {other}", "{other}")
        }
    };
    AppError::bad_request("invalid_webhook", message)
}
