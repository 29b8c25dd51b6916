//! `GET|POST /webhooks/whatsapp/{device}`: the URL a vendor pastes at its
//! WhatsApp provider.
//!
//! - **Cloud API** devices: `GET` answers Meta's subscription handshake
//!   with the device's verify token; every `POST` must carry a valid
//!   `X-Hub-Signature-256` (HMAC-SHA256 of the raw body under the device's
//!   app secret), checked before anything is parsed.
//! - **Fonnte** devices (and **gateway** devices that post Fonnte-shaped
//!   webhooks): Fonnte does not sign webhooks, so the call must prove it
//!   knows the device's token: `?token=<device token>` in the URL pasted at
//!   Fonnte, or an `X-Webhook-Token: <device token>` header. Compared in
//!   constant time.
//! - **Simulator** devices accept Cloud-API-shaped posts signed with the
//!   simulator's optional app secret (for trying webhooks and load tests).
//!
//! Accepted events are handled by [`crate::bots::engine`]: messages are
//! de-duplicated by provider message id in the database, answered by the
//! vendor's bot pipeline and stored; status events update stored messages.
//! A banned vendor's webhooks are accepted (200, so the provider does not
//! retry forever) but its bots do not answer.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use whatsapp_client::webhook::{self, Event};

use crate::AppState;
use crate::bots::engine::{self, Outcome};
use crate::devices::DeviceKind;
use crate::devices::registry::{self, DeviceRuntime};
use crate::http::i18n::{Text, tr};
use crate::http::{ApiResult, AppError, ok};

/// Header carrying the device token for Fonnte and gateway webhooks (the
/// alternative to `?token=`).
pub const TOKEN_HEADER: &str = "x-webhook-token";

/// The webhook routes (outside the API prefix).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify_webhook, receive_webhook))
}

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

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn unauthorized(message: Text) -> AppError {
    AppError::forbidden("webhook_unauthorized", message)
}

/// Why Meta's subscription handshake was refused, in both languages.
fn handshake_refused(e: &webhook::HandshakeError) -> Text {
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
fn bad_signature(e: &webhook::SignatureError) -> AppError {
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
fn invalid_webhook(e: &webhook::ParseError) -> AppError {
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

/// Meta's subscription handshake: echoes `hub.challenge` when
/// `hub.verify_token` is the device's verify token.
#[utoipa::path(
    get, path = "/webhooks/whatsapp/{device}", tag = "webhooks",
    params(
        ("device" = String, Path, description = "Device id"),
        ("hub.mode" = String, Query, description = "`subscribe`"),
        ("hub.verify_token" = String, Query, description = "The device's verify token"),
        ("hub.challenge" = String, Query, description = "Echoed back"),
    ),
    responses(
        (status = 200, description = "The challenge, as plain text", body = String),
        (status = 403, description = "Wrong verify token or mode", body = crate::http::ErrorBody),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
async fn verify_webhook(
    State(state): State<AppState>,
    Path(device): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let (rt, _) = registry::get(&state, &device)
        .await?
        .ok_or(AppError::NotFound("device"))?;
    let Some(expected) = rt.secrets.verify_token.as_ref() else {
        return Err(AppError::bad_request(
            "handshake_not_supported",
            Text::new(
                "jenis perangkat ini tidak punya handshake langganan",
                "this device kind has no subscription handshake",
            ),
        ));
    };
    match webhook::verify_subscription_query(
        query.as_deref().unwrap_or_default(),
        expected.expose_secret(),
    ) {
        Ok(challenge) => Ok((StatusCode::OK, challenge).into_response()),
        Err(e) => Err(unauthorized(handshake_refused(&e))),
    }
}

/// Checks the call's credentials for the device and parses the body.
fn authenticate_and_parse(
    rt: &DeviceRuntime,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Vec<Event>, AppError> {
    match rt.kind {
        DeviceKind::CloudApi | DeviceKind::Simulator => {
            let Some(secret) = rt.secrets.app_secret.as_ref() else {
                return Err(unauthorized(Text::new(
                    "perangkat ini tidak punya app secret; tidak bisa menerima webhook",
                    "this device has no app secret; it cannot receive webhooks",
                )));
            };
            let header = headers
                .get(webhook::SIGNATURE_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            webhook::verify_signature(secret.expose_secret().as_bytes(), header, body)
                .map_err(|e| bad_signature(&e))?;
            webhook::parse_cloud(body).map_err(|e| invalid_webhook(&e))
        }
        DeviceKind::Fonnte | DeviceKind::Gateway => {
            let Some(expected) = rt.secrets.token.as_ref() else {
                return Err(unauthorized(Text::new(
                    "perangkat ini tidak punya token",
                    "this device has no token",
                )));
            };
            let given = headers
                .get(TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .or_else(|| query_param(query, "token"))
                .unwrap_or_default();
            let ok: bool = given
                .as_bytes()
                .ct_eq(expected.expose_secret().as_bytes())
                .into();
            if given.is_empty() || !ok {
                return Err(unauthorized(Text::new(
                    "token perangkat tidak ada atau salah (?token= atau X-Webhook-Token)",
                    "missing or wrong device token (?token= or X-Webhook-Token)",
                )));
            }
            webhook::parse_fonnte(body)
                .map(|e| vec![e])
                .map_err(|e| invalid_webhook(&e))
        }
    }
}

/// Receives provider webhooks: messages (answered by the vendor's bots)
/// and delivery statuses. See the module documentation for how each device
/// kind authenticates.
#[utoipa::path(
    post, path = "/webhooks/whatsapp/{device}", tag = "webhooks",
    params(("device" = String, Path, description = "Device id")),
    request_body(content = String, description = "The provider's webhook body, verbatim"),
    responses(
        (status = 200, description = "Accepted", body = WebhookSummary),
        (status = 400, description = "Not a webhook of the device's provider", body = crate::http::ErrorBody),
        (status = 403, description = "Bad signature or token", body = crate::http::ErrorBody),
        (status = 404, description = "No such device", body = crate::http::ErrorBody),
    )
)]
async fn receive_webhook(
    State(state): State<AppState>,
    Path(device): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<WebhookSummary> {
    let found = registry::lookup(&state, &device)
        .await?
        .ok_or(AppError::NotFound("device"))?;
    let rt = &found.device;
    let events = authenticate_and_parse(rt, &headers, query.as_deref(), &body)?;
    let mut summary = WebhookSummary::default();
    for event in events {
        match event {
            // A sender with a number and one WhatsApp names only by a
            // business-scoped user id take the same path.
            Event::Message(_) | Event::UserIdMessage(_) => {
                let Some(m) = event.into_message() else {
                    continue;
                };
                match engine::handle_message(&state, &found, m).await? {
                    Outcome::Duplicate => summary.duplicates += 1,
                    Outcome::Handled { replies } => {
                        summary.messages += 1;
                        summary.replies += replies;
                    }
                }
            }
            Event::Status(s) => {
                if engine::handle_status(&state, rt, &s).await? {
                    summary.statuses += 1;
                }
            }
            Event::DeviceStatus(d) => {
                if let crate::devices::connection::Recorded::Changed(_) =
                    crate::devices::connection::record(&state, rt, &d).await?
                {
                    summary.connection_changes += 1;
                }
            }
            _ => summary.ignored += 1,
        }
    }
    Ok(ok(summary))
}
